//! The supervisor loop that every nsinit that waits for a child runs: the
//! outer nsinit, and the init that is PID 1 of a new PID namespace.
//!
//! Every signal is blocked (since before the clone), so signals queue
//! instead of interrupting anything, and one `rt_sigtimedwait` takes them
//! in order: SIGCHLD means reap, anything else is forwarded. The kernel's
//! own fault signals (SIGSEGV, SIGBUS, ...) cannot be blocked in effect: a
//! real fault in nsinit still kills it. No allocation, no syscalls beyond
//! the wait, the forwarding `kill` and the reaping `wait4`s. Once here we
//! never bail out: a dead PID 1 takes its whole namespace with it.

use crate::cli::Config;
use crate::sys;
use linux_raw_sys::general as k;

/// Waits for `child`, forwarding signals to it and reaping every other
/// child too (orphans, when we are PID 1 or a subreaper); returns the exit
/// status nsinit should end with.
pub fn supervise(child: i32, _cfg: &Config) -> u8 {
    let all: sys::SigSet = !0;
    loop {
        match sys::sigtimedwait(&all, None) {
            Ok(sig) if sig == k::SIGCHLD => {
                if let Some(status) = reap(child) {
                    return exit_status(status);
                }
            }
            // A failed kill means the child is already gone; its SIGCHLD
            // is on its way.
            Ok(sig) => drop(sys::kill(child, sig)),
            Err(_) => {}
        }
    }
}

/// SIGCHLDs coalesce: one may stand for many exits, so collect until the
/// kernel has nothing more. Returns `child`'s wait status once it is among
/// them.
fn reap(child: i32) -> Option<i32> {
    let mut found = None;
    loop {
        match sys::wait4(-1, k::WNOHANG) {
            Ok((0, _)) | Err(_) => return found,
            Ok((pid, status)) if pid == child => found = Some(status),
            Ok(_) => {}
        }
    }
}

/// A wait status as a shell reports it: the exit code, or 128+N for a
/// death by signal N.
pub fn exit_status(status: i32) -> u8 {
    let sig = status & 0x7f;
    if sig == 0 {
        (status >> 8) as u8
    } else {
        128u8.wrapping_add(sig as u8)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statuses() {
        // exit(0), exit(1), exit(255)
        assert_eq!(exit_status(0), 0);
        assert_eq!(exit_status(1 << 8), 1);
        assert_eq!(exit_status(255 << 8), 255);
        // killed by SIGKILL, SIGSEGV with core dump (0x80), SIGTERM
        assert_eq!(exit_status(9), 137);
        assert_eq!(exit_status(11 | 0x80), 139);
        assert_eq!(exit_status(15), 143);
        // real-time signals: 128+64 still fits a byte
        assert_eq!(exit_status(64), 192);
    }
}
