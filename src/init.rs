//! The supervisor loop that every nsinit that waits for a child runs: the
//! outer nsinit, and the init that is PID 1 of a new PID namespace.
//!
//! Every signal is blocked (since before the clone), so signals queue
//! instead of interrupting anything, and one `rt_sigtimedwait` takes them
//! in order: SIGCHLD means reap, anything else is forwarded. The kernel's
//! own fault signals (SIGSEGV, SIGBUS, ...) cannot be blocked in effect: a
//! real fault in nsinit still kills it. No allocation, no syscalls beyond
//! the wait, the forwarding `kill` and the reaping `wait4`s. Once here we
//! never bail out: a dead PID 1 takes its whole namespace with it, so a
//! failing call is skipped, not fatal.

use crate::cli::Config;
use crate::sys;
use linux_raw_sys::general as k;

/// Where a supervisor stands.
pub struct Supervise<'a> {
    pub cfg: &'a Config<'a>,
    /// Our child is COMMAND itself, not an init of ours.
    pub command: bool,
    /// COMMAND runs in its own process group, which owns the terminal.
    pub tty: bool,
    /// We are PID 1 of a PID namespace (else, with `command`, a subreaper).
    pub pid1: bool,
}

const fn bit(sig: u32) -> sys::SigSet {
    1 << (sig - 1)
}

/// Waits for `child`, forwarding signals to it and reaping every other
/// child too (orphans, as PID 1 or a subreaper); returns the exit status
/// nsinit should end with.
pub fn supervise(child: i32, s: &Supervise) -> u8 {
    let cfg = s.cfg;
    let job = s.command && s.tty;
    let target = if s.command && cfg.pgroup {
        -child
    } else {
        child
    };
    let status = loop {
        match sys::sigtimedwait(&!0, None) {
            Ok(k::SIGCHLD) => {
                if let Some(status) = reap(child, job) {
                    break status;
                }
            }
            // `fg` or `bg`: the shell continues our job's process group,
            // and for `fg` hands it the terminal. COMMAND's group is its
            // own: pass the terminal on if we have it, then continue all
            // of COMMAND's group, as the shell would have. Above an init,
            // the init is in our group and gets the shell's SIGCONT itself.
            Ok(k::SIGCONT) if s.tty => {
                if s.command {
                    if sys::tcgetpgrp(0) == Ok(sys::getpgrp()) {
                        let _ = sys::tcsetpgrp(0, child);
                    }
                    let _ = sys::kill(-child, k::SIGCONT);
                }
            }
            // A failed kill means the child is already gone; its SIGCHLD
            // is on its way.
            Ok(sig) => drop(sys::kill(target, sig)),
            Err(_) => {}
        }
    };
    // A dead COMMAND's group leaves the terminal to nobody: give it back
    // to ours for whoever reads it next. (The outer nsinit does this, the
    // one that can see both groups.)
    if s.tty && !s.pid1 {
        if let Ok(fg) = sys::tcgetpgrp(0) {
            if sys::kill(-fg, 0).is_err() {
                let _ = sys::tcsetpgrp(0, sys::getpgrp());
            }
        }
    }
    let mut code = exit_status(status);
    if s.command {
        if let Some(secs) = cfg.grace {
            grace(secs, s.pid1);
        }
        if cfg.remap[code as usize / 64] >> (code % 64) & 1 != 0 {
            code = 0;
        }
    }
    code
}

/// SIGCHLDs coalesce: one may stand for many exits, so collect until the
/// kernel has nothing more. Returns `child`'s wait status once it is among
/// them. With `job`, a stop of COMMAND (Ctrl-Z) stops our own process
/// group too, so that the shell sees its job stop and takes the terminal
/// back.
fn reap(child: i32, job: bool) -> Option<i32> {
    let opts = k::WNOHANG | if job { k::WUNTRACED } else { 0 };
    let mut found = None;
    loop {
        match sys::wait4(-1, opts) {
            Ok((0, _)) | Err(_) => return found,
            Ok((pid, status)) if pid == child => {
                if status & 0xff == 0x7f {
                    let _ = sys::kill(0, k::SIGSTOP);
                } else {
                    found = Some(status);
                }
            }
            Ok(_) => {}
        }
    }
}

/// After COMMAND: SIGTERM whatever is left, reap for up to `secs`, then
/// SIGKILL until nothing is. As PID 1, "left" is the whole namespace
/// (`kill(-1)` spares only us); as a subreaper, our children, and the
/// orphans we adopt as their parents die.
fn grace(secs: u32, pid1: bool) {
    let deadline = sys::monotonic_ns() + secs as u64 * 1_000_000_000;
    let mut told = Told::default();
    if !terminate(pid1, k::SIGTERM, &mut told) {
        // No way to find our descendants (no /proc): leave them be, as
        // without --grace.
        return;
    }
    loop {
        if !children_left() {
            return;
        }
        let left = deadline.saturating_sub(sys::monotonic_ns());
        if left == 0 {
            break;
        }
        let ts = k::timespec {
            tv_sec: (left / 1_000_000_000) as _,
            tv_nsec: (left % 1_000_000_000) as _,
        };
        // Only SIGCHLD wakes us now; anything else waits, unforwarded, as
        // there is no COMMAND left to forward it to.
        if sys::sigtimedwait(&bit(k::SIGCHLD), Some(&ts)) == Err(sys::Errno::EAGAIN) {
            break;
        }
        // Newly adopted orphans get their SIGTERM too.
        terminate(pid1, k::SIGTERM, &mut told);
    }
    let mut told = Told::default();
    loop {
        told.n = 0;
        terminate(pid1, k::SIGKILL, &mut told);
        if sys::wait4(-1, 0) == Err(sys::Errno::ECHILD) {
            return;
        }
    }
}

/// Reaps what has exited; false once we have no child at all.
fn children_left() -> bool {
    loop {
        match sys::wait4(-1, k::WNOHANG) {
            Ok((0, _)) => return true,
            Ok(_) => {}
            Err(e) => return e != sys::Errno::ECHILD,
        }
    }
}

/// The PIDs already sent a signal, so that adopting more orphans does not
/// repeat it to those that chose to outlive it; past its size, repeats.
struct Told {
    pids: [i32; 128],
    n: usize,
}

impl Default for Told {
    fn default() -> Self {
        Told {
            pids: [0; 128],
            n: 0,
        }
    }
}

/// Sends `sig` to what is left; a SIGTERM comes with a SIGCONT, so that a
/// stopped process can act on it. False if our children cannot be listed.
fn terminate(pid1: bool, sig: u32, told: &mut Told) -> bool {
    let cont = if sig == k::SIGTERM { k::SIGCONT } else { sig };
    if pid1 {
        if told.n == 0 {
            let _ = sys::kill(-1, sig);
            let _ = sys::kill(-1, cont);
            told.n = 1;
        }
        return true;
    }
    // We are single-threaded, so our one thread's list is all of our
    // children (proc(5): /proc/PID/task/TID/children).
    let Ok(fd) = sys::open(crate::z!("/proc/thread-self/children"), k::O_RDONLY) else {
        return false;
    };
    let mut buf = [0u8; 4096];
    let n = sys::read(fd, &mut buf).unwrap_or(0);
    let _ = sys::close(fd);
    for word in buf[..n].split(|&b| b == b' ') {
        let Some(pid) = crate::out::parse_i64(word).filter(|&p| p > 0) else {
            continue;
        };
        let pid = pid as i32;
        if told.pids[..told.n].contains(&pid) {
            continue;
        }
        let _ = sys::kill(pid, sig);
        let _ = sys::kill(pid, cont);
        if told.n < told.pids.len() {
            told.pids[told.n] = pid;
            told.n += 1;
        }
    }
    true
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
