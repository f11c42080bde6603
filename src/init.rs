//! The supervisor loop that every nsinit that waits for a child runs: the
//! outer nsinit, and the init that is PID 1 of a new PID namespace.
//!
//! Every signal is blocked (since before the clone), so signals queue
//! instead of interrupting anything, and one `rt_sigtimedwait` takes them
//! in order; each is forwarded, and after every wakeup every child that
//! has exited is reaped (the kernel dequeues the lowest-numbered pending
//! signal first, so a stream of other signals must not starve SIGCHLD).
//! The kernel's own fault signals (SIGSEGV, SIGBUS, ...) cannot be blocked
//! in effect: a real fault in nsinit still kills it. No allocation, no
//! syscalls beyond the wait, the forwarding `kill` and the reaping
//! `wait4`s. Once here we never bail out: a dead PID 1 takes its whole
//! namespace with it, so a failing call is skipped, not fatal.

use crate::cli::Policy;
use crate::cstr;
use crate::out::Line;
use crate::sys::{self, sigbit, Errno};
use crate::text;
use linux_raw_sys::general as k;

/// Where a supervisor stands.
pub struct Supervisor<'a> {
    pub policy: &'a Policy,
    pub child: i32,
    /// Our child is COMMAND itself, not an init of ours.
    pub command: bool,
    /// COMMAND runs in its own process group, which owns the terminal.
    pub tty: bool,
    /// We are PID 1 of a PID namespace (else, with `command`, a subreaper).
    pub pid1: bool,
    /// Our own PID, to tell our own SIGPIPE from one sent to us.
    pub me: i32,
    /// Job control across a PID namespace, at a terminal: the pipe on
    /// which the init tells the outer nsinit that COMMAND stopped (the
    /// init holds the write end, the outer the read end); else -1.
    pub jobs: i32,
}

/// What the init writes on the jobs pipe when COMMAND stops.
const STOPPED: u8 = b'Z';

/// Waits for the child, forwarding signals to it and reaping every other
/// child too (orphans, as PID 1 or a subreaper); returns the exit status
/// nsinit should end with.
pub fn supervise(s: &Supervisor) -> u8 {
    let child = s.child;
    let target = if s.command && s.policy.pgroup {
        -child
    } else {
        child
    };
    // Outside a PID namespace at a terminal, COMMAND's process group as we
    // see it: the outer nsinit continues and foregrounds it itself.
    let job = if s.tty && !s.pid1 {
        if s.jobs >= 0 {
            listen(s.jobs, s.me);
        }
        sys::tcgetpgrp(0).unwrap_or(child)
    } else {
        0
    };
    let status = loop {
        match sys::sigtimedwait(&!0, None) {
            // The jobs pipe has news: COMMAND stopped in the init's PID
            // namespace. Stop our own job so that the shell sees it.
            // (A SIGIO from the kernel has a positive si_code, SI_KERNEL
            // without F_SETSIG; one sent with kill(2) has SI_USER, 0, and
            // is forwarded like any other.)
            Ok(i) if i.signo == k::SIGIO && i.code > 0 && s.jobs >= 0 => {
                let mut b = [0u8; 16];
                if let Ok(n) = sys::read(s.jobs, &mut b) {
                    if crate::out::has_byte(&b[..n], STOPPED) {
                        let _ = sys::kill(0, k::SIGSTOP);
                    }
                }
            }
            // `fg` or `bg`: the shell continues our job's process group,
            // and for `fg` hands it the terminal. COMMAND's group is its
            // own: pass the terminal on if we have it, then continue all
            // of COMMAND's group, as the shell would have.
            Ok(i) if i.signo == k::SIGCONT && job != 0 => {
                if sys::tcgetpgrp(0) == Ok(sys::getpgrp()) {
                    let _ = sys::tcsetpgrp(0, job);
                }
                let _ = sys::kill(-job, k::SIGCONT);
            }
            // Our own write to a dead pipe (stderr closed by its reader):
            // not COMMAND's business.
            Ok(i) if i.signo == k::SIGPIPE && i.code == 0 && i.pid == s.me => {}
            Ok(i) if i.signo != k::SIGCHLD => {
                // A failed kill means the child is already gone; its
                // SIGCHLD is on its way.
                let _ = sys::kill(target, i.signo);
            }
            _ => {}
        }
        if let Some(status) = reap(child, s.tty && s.command, s.jobs) {
            break status;
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
        if let Some(secs) = s.policy.grace {
            grace(secs, s.pid1);
        }
        if s.policy.remap[code as usize / 64] >> (code % 64) & 1 != 0 {
            code = 0;
        }
    }
    code
}

/// The outer nsinit's end of the jobs pipe raises SIGIO (which we wait
/// for, blocked, with the rest) when the init writes to it.
#[cold]
#[inline(never)]
fn listen(fd: i32, me: i32) {
    let _ = sys::fcntl_setown(fd, me);
    let _ = sys::fcntl_setfl(fd, k::FASYNC | k::O_NONBLOCK);
}

/// SIGCHLDs coalesce: one may stand for many exits, so collect until the
/// kernel has nothing more, or `child` is among them: its wait status is
/// returned at once (orphans left are the grace's, or whoever adopts them
/// when we exit). With `job` (COMMAND at a terminal), a stop of COMMAND (Ctrl-Z)
/// stops our own process group too, so that the shell sees its job stop
/// and takes the terminal back; from inside a PID namespace the init
/// cannot reach that group, and tells the outer nsinit through `jobs`.
fn reap(child: i32, job: bool, jobs: i32) -> Option<i32> {
    let opts = k::WNOHANG | if job { k::WUNTRACED } else { 0 };
    loop {
        match sys::wait4(-1, opts) {
            Ok((0, _)) | Err(_) => return None,
            Ok((pid, status)) if pid == child => {
                if status & 0xff != 0x7f {
                    return Some(status);
                }
                if jobs >= 0 {
                    let _ = sys::write(jobs, &[STOPPED]);
                } else {
                    let _ = sys::kill(0, k::SIGSTOP);
                }
            }
            Ok(_) => {}
        }
    }
}

/// After COMMAND: SIGTERM whatever is left, reap for up to `secs` (a
/// SIGTERM or SIGINT to us cuts it short), then SIGKILL until nothing is.
/// As PID 1, "left" is the whole namespace (`kill(-1)` spares only us); as
/// a subreaper, our children, and the orphans we adopt as their parents
/// die.
#[cold]
#[inline(never)]
fn grace(secs: u32, pid1: bool) {
    let deadline = sys::monotonic_ns() + secs as u64 * 1_000_000_000;
    let mut told = Told::new(pid1);
    if let Err(e) = terminate(pid1, k::SIGTERM, &mut told) {
        Line::msg()
            .push_text(text!("--grace: cannot list our children: "))
            .push_errno(e.into_raw())
            .push_text(text!("; they are left running"))
            .eprint();
        return;
    }
    let wake = sigbit(k::SIGCHLD) | sigbit(k::SIGTERM) | sigbit(k::SIGINT);
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
        // Anything else waits, unforwarded: there is no COMMAND left to
        // forward it to.
        match sys::sigtimedwait(&wake, Some(&ts)) {
            Ok(i) if i.signo == k::SIGCHLD => {}
            _ => break,
        }
        // Newly adopted orphans get their SIGTERM too.
        let _ = terminate(pid1, k::SIGTERM, &mut told);
    }
    loop {
        let _ = terminate(pid1, k::SIGKILL, &mut Told::nothing());
        if sys::wait4(-1, 0) == Err(Errno::ECHILD) {
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
            Err(e) => return e != Errno::ECHILD,
        }
    }
}

/// The processes already sent a SIGTERM, so that adopting more orphans
/// does not repeat it to those that chose to outlive it. As PID 1, one
/// `kill(-1)` reaches everyone at once: a flag. As a subreaper, a bit per
/// possible PID (the kernel's PID_MAX_LIMIT, 4M: 512 KiB of address
/// space, of which only the pages holding our children's PIDs are ever
/// touched).
struct Told {
    all: bool,
    pids: Option<&'static mut [u64]>,
}

const PID_MAX_LIMIT: usize = 4 * 1024 * 1024;

impl Told {
    fn new(pid1: bool) -> Told {
        Told {
            all: false,
            pids: if pid1 {
                None
            } else {
                sys::anon_dontfork(PID_MAX_LIMIT / 64).ok()
            },
        }
    }

    /// Remembers nothing: every call signals everyone left (SIGKILL).
    fn nothing() -> Told {
        Told {
            all: false,
            pids: None,
        }
    }

    /// Records `pid`; false if it was already there. Without a table (no
    /// memory for one), every PID is new.
    fn first(&mut self, pid: usize) -> bool {
        match &mut self.pids {
            Some(t) if pid < PID_MAX_LIMIT => {
                let (w, b) = (pid / 64, 1u64 << (pid % 64));
                let new = t[w] & b == 0;
                t[w] |= b;
                new
            }
            _ => true,
        }
    }
}

/// Sends `sig` to what is left, each process once (`told`); a SIGTERM
/// comes with a SIGCONT, so that a stopped process can act on it.
#[cold]
fn terminate(pid1: bool, sig: u32, told: &mut Told) -> sys::Result<()> {
    let cont = if sig == k::SIGTERM { k::SIGCONT } else { sig };
    if pid1 {
        if !told.all {
            let _ = sys::kill(-1, sig);
            let _ = sys::kill(-1, cont);
            told.all = sig == k::SIGTERM;
        }
        return Ok(());
    }
    // We are single-threaded, so our one thread's list is all of our
    // children (proc(5): /proc/PID/task/TID/children). Read in pieces: a
    // PID cut at the end of one carries over to the next.
    let fd = sys::open(cstr!("/proc/thread-self/children"), k::O_RDONLY)?;
    let mut buf = [0u8; 512];
    let mut pid = 0usize;
    loop {
        let n = sys::read(fd, &mut buf).unwrap_or(0);
        for &b in &buf[..n] {
            if b.is_ascii_digit() {
                pid = pid * 10 + (b - b'0') as usize;
            } else {
                signal_once(pid, sig, cont, told);
                pid = 0;
            }
        }
        if n == 0 {
            signal_once(pid, sig, cont, told);
            break;
        }
    }
    let _ = sys::close(fd);
    Ok(())
}

fn signal_once(pid: usize, sig: u32, cont: u32, told: &mut Told) {
    if pid > 0 && told.first(pid) {
        let _ = sys::kill(pid as i32, sig);
        let _ = sys::kill(pid as i32, cont);
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
