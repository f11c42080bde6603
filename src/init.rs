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
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use linux_raw_sys::general as k;

/// nsinit's controlling terminal: how to reach it, and whether our
/// process group was its foreground when we started (COMMAND's group is
/// then given the terminal, as a shell gives it to a job).
#[derive(Clone, Copy)]
pub struct Terminal {
    pub fd: i32,
    pub fg: bool,
}

impl Terminal {
    /// `/dev/tty` is the controlling terminal whatever stdio is (a pipe
    /// into `less`, a `</dev/null`): opening it fails with ENXIO when
    /// there is none, one call, as the ioctl that would ask stdin. Where
    /// it cannot be opened (no such node, no descriptor left), stdin, if
    /// it is the terminal.
    pub fn find() -> Option<Terminal> {
        let fd = match sys::open(cstr!("/dev/tty"), k::O_RDWR | k::O_NOCTTY | k::O_NONBLOCK) {
            Ok(fd) => crate::rt::above_stdio(fd).ok()?,
            Err(Errno::ENXIO) => return None,
            Err(_) => 0,
        };
        let fg = sys::tcgetpgrp(fd).ok()? == sys::getpgrp();
        Some(Terminal { fd, fg })
    }

    /// Whether our process group is the terminal's foreground now.
    fn ours(self) -> bool {
        sys::tcgetpgrp(self.fd) == Ok(sys::getpgrp())
    }
}

/// Where a supervisor stands.
pub struct Supervisor<'a> {
    pub policy: &'a Policy,
    pub child: i32,
    /// Our child is COMMAND itself, not an init of ours.
    pub command: bool,
    /// Our controlling terminal, if we have one.
    pub term: Option<Terminal>,
    /// We are PID 1 of a PID namespace (else, with `command`, a subreaper).
    pub pid1: bool,
    /// Our own PID, to tell our own SIGPIPE from one sent to us.
    pub me: i32,
    /// Job control across a PID namespace, at a terminal: the pipe on
    /// which the init tells the outer nsinit that COMMAND stopped, and by
    /// which signal (the init holds the write end, the outer the read
    /// end); else -1.
    pub jobs: i32,
}

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
    // At a terminal, the outer nsinit stands in for COMMAND's job: it
    // stops when COMMAND stops, and continues COMMAND's process group
    // (`job`, as we see it) when the shell continues us. COMMAND is our
    // child, or the init's, in which case we see its group only if it took
    // the terminal; else we look for it when we need it.
    let outer = s.term.filter(|_| !s.pid1);
    let mut job = 0;
    if let Some(t) = outer {
        job = if s.command {
            child
        } else if t.fg {
            sys::tcgetpgrp(t.fd).unwrap_or(0)
        } else {
            0
        };
        if s.jobs >= 0 {
            listen(s, &mut job);
        }
    }
    let status = loop {
        match sys::sigtimedwait(&!0, None) {
            // The jobs pipe has news: COMMAND stopped in the init's PID
            // namespace. (A SIGIO from the kernel has a positive si_code,
            // SI_KERNEL without F_SETSIG; one sent with kill(2) has
            // SI_USER, 0, and is forwarded like any other.)
            Ok(i) if i.signo == k::SIGIO && i.code > 0 && s.jobs >= 0 => news(s, &mut job),
            // `fg` or `bg`: the shell continues our job's process group,
            // and for `fg` hands it the terminal. COMMAND's group is its
            // own: pass the terminal on if we have it, then continue all
            // of COMMAND's group, as the shell would have.
            Ok(i) if i.signo == k::SIGCONT && outer.is_some() => resume(s, &mut job),
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
        if let Some(status) = reap(s, &mut job) {
            break status;
        }
    };
    // A dead COMMAND's group leaves the terminal to nobody: give it back
    // to ours for whoever reads it next. (The outer nsinit does this, the
    // one that can see both groups.)
    if let Some(t) = outer {
        if let Ok(fg) = sys::tcgetpgrp(t.fd) {
            if sys::kill(-fg, 0).is_err() {
                let _ = sys::tcsetpgrp(t.fd, sys::getpgrp());
            }
        }
    }
    let mut code = exit_status(status);
    if s.command {
        if let Some(secs) = s.policy.grace {
            grace(secs, s.pid1, s.me);
        }
        if s.policy.remap[code as usize / 64] >> (code % 64) & 1 != 0 {
            code = 0;
        }
    }
    code
}

/// The outer nsinit's end of the jobs pipe raises SIGIO (which we wait
/// for, blocked, with the rest) when the init writes to it; what the init
/// wrote before we asked for that is read now. (Inlined: once per run at
/// a terminal, a few instructions.)
fn listen(s: &Supervisor, job: &mut i32) {
    let _ = sys::fcntl_setown(s.jobs, s.me);
    let _ = sys::fcntl_setfl(s.jobs, k::FASYNC | k::O_NONBLOCK);
    news(s, job);
}

/// Reads the jobs pipe: a byte for each stop of COMMAND, its signal.
#[cold]
#[inline(never)]
fn news(s: &Supervisor, job: &mut i32) {
    let mut b = [0u8; 16];
    if let Ok(n) = sys::read(s.jobs, &mut b) {
        for &sig in &b[..n] {
            stopped(s, job, sig as u32);
        }
    }
}

/// COMMAND stopped, by signal `sig`.
#[cold]
#[inline(never)]
fn stopped(s: &Supervisor, job: &mut i32, sig: u32) {
    let Some(t) = s.term else { return };
    // It tried the terminal from the background, and the terminal is ours
    // now (we were started in the background and brought to the
    // foreground since): it may have it.
    if (sig == k::SIGTTIN || sig == k::SIGTTOU) && t.ours() {
        return resume(s, job);
    }
    if job_control_above() {
        // Our job stops too, so that the shell sees it and takes the
        // terminal back; it will continue us with the job.
        let _ = sys::kill(0, k::SIGSTOP);
    } else {
        // Nothing above us could ever continue a stopped nsinit (we lead
        // the session, as with ssh -t, or the shell does no job control):
        // the kernel ignores a Ctrl-Z there, and so do we, continuing
        // COMMAND at once.
        let _ = sys::kill(-command_group(s, job), k::SIGCONT);
    }
}

/// Whether a job-control shell stands above us: our parent in another
/// process group of our session, which can continue our group. (Else our
/// group is orphaned, in the kernel's words.)
fn job_control_above() -> bool {
    let parent = sys::getppid();
    parent > 0
        && sys::getpgid(parent) != Ok(sys::getpgrp())
        && sys::getsid(parent) == sys::getsid(0)
}

/// We were continued: COMMAND's group gets the terminal if we have it,
/// and is continued.
#[cold]
#[inline(never)]
fn resume(s: &Supervisor, job: &mut i32) {
    let group = command_group(s, job);
    if let Some(t) = s.term {
        if t.ours() {
            let _ = sys::tcsetpgrp(t.fd, group);
        }
    }
    let _ = sys::kill(-group, k::SIGCONT);
}

/// COMMAND's process group as we see it. Below an init that it never took
/// the terminal from, we learn it when we first need it: COMMAND is the
/// init's one child, and leads its own group (the kernel's children list
/// gives PIDs as our PID namespace sees them).
#[cold]
#[inline(never)]
fn command_group(s: &Supervisor, job: &mut i32) -> i32 {
    if *job == 0 && !proc_is_not_ours(s.me) {
        let mut path = Line::new();
        path.push_str(b"/proc/")
            .push_u64(s.child as u64)
            .push_str(b"/task/")
            .push_u64(s.child as u64)
            .push_str(b"/children\0");
        if let Some(p) = sys::Zstr::new(path.as_bytes()) {
            if let Ok(fd) = crate::rt::open(p, k::O_RDONLY) {
                let mut b = [0u8; 24];
                let n = sys::read(fd, &mut b).unwrap_or(0);
                let _ = sys::close(fd);
                let digits = b[..n].split(|&c| c == b' ').next().unwrap_or(b"");
                *job = crate::out::parse_i64(digits).unwrap_or(0) as i32;
            }
        }
    }
    if *job == 0 {
        s.child
    } else {
        *job
    }
}

/// Whether the /proc we see is another PID namespace's (mounted for an
/// ancestor's, as under `unshare -pf` without `--mount-proc`): its PIDs are
/// not ours to signal. (No /proc at all is not that: its absence says so
/// itself where it is read.)
#[cold]
fn proc_is_not_ours(me: i32) -> bool {
    let mut b = [0u8; 12];
    match sys::readlink(cstr!("/proc/self"), &mut b) {
        Ok(pid) => crate::out::parse_i64(pid.bytes()) != Some(me as i64),
        Err(_) => false,
    }
}

/// SIGCHLDs coalesce: one may stand for many exits, so collect until the
/// kernel has nothing more, or `child` is among them: its wait status is
/// returned at once (orphans left are the grace's, or whoever adopts them
/// when we exit). At a terminal COMMAND's stops are news too: the init
/// passes them to the outer nsinit, which cannot see them from outside the
/// PID namespace, through `jobs`; the outer acts on them (`stopped`).
fn reap(s: &Supervisor, job: &mut i32) -> Option<i32> {
    let watch = s.term.is_some() && s.command;
    let opts = k::WNOHANG | if watch { k::WUNTRACED } else { 0 };
    loop {
        match sys::wait4(-1, opts) {
            Ok((0, _)) | Err(_) => return None,
            Ok((pid, status)) if pid == s.child => {
                if status & 0xff != 0x7f {
                    return Some(status);
                }
                let sig = (status >> 8) as u8;
                if s.pid1 {
                    let _ = sys::write(s.jobs, &[sig]);
                } else {
                    stopped(s, job, sig as u32);
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
/// die. Each process is signalled once per phase, however many there are
/// and however they die: the work grows with their number, not its square.
#[cold]
#[inline(never)]
fn grace(secs: u32, pid1: bool, me: i32) {
    let deadline = sys::monotonic_ns() + secs as u64 * 1_000_000_000;
    if !pid1 && proc_is_not_ours(me) {
        // Its children lists hold that namespace's PIDs: sent to ours,
        // a signal would reach some other process, or none, and the wait
        // for the ones it missed would never end.
        Line::msg()
            .push_text(text!("--grace: cannot list our children: /proc is another PID namespace's; they are left running"))
            .eprint();
        return;
    }
    if let Err(e) = terminate(pid1, TERM) {
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
        let _ = terminate(pid1, TERM);
    }
    loop {
        let _ = terminate(pid1, KILL);
        // Sleep until one more is gone, collect every other that is,
        // and only then look again for orphans adopted meanwhile.
        match sys::wait4(-1, 0) {
            Ok((pid, _)) => forget(pid),
            Err(Errno::EINTR) => {}
            Err(_) => return,
        }
        if !children_left() {
            return;
        }
    }
}

/// Reaps what has exited; false once we have no child at all.
fn children_left() -> bool {
    loop {
        match sys::wait4(-1, k::WNOHANG) {
            Ok((0, _)) => return true,
            Ok((pid, _)) => forget(pid),
            Err(e) => return e != Errno::ECHILD,
        }
    }
}

/// The grace's two phases, as indices into `TOLD`.
const TERM: usize = 0;
const KILL: usize = 1;

/// The kernel's PID_MAX_LIMIT: a PID is below it.
const PID_MAX_LIMIT: usize = 4 * 1024 * 1024;

/// Per phase, a bit per possible PID: sent that phase's signal, not yet
/// reaped (so that a PID reused by a new orphan is signalled anew). As a
/// subreaper, adopting more orphans must not repeat a SIGTERM to those
/// that chose to outlive it. 1 MiB of .bss: no file bytes, and no memory
/// but the pages that hold our children's PIDs, touched only by a
/// --grace. (Atomics: statics the grace may write without `unsafe`; one
/// thread.)
static TOLD: [[AtomicU64; PID_MAX_LIMIT / 64]; 2] =
    [const { [const { AtomicU64::new(0) }; PID_MAX_LIMIT / 64] }; 2];

/// Whether `pid` is new to `phase`, which now counts it as told.
fn first(phase: usize, pid: usize) -> bool {
    let b = 1u64 << (pid % 64);
    TOLD[phase]
        .get(pid / 64)
        .is_none_or(|w| w.fetch_or(b, Relaxed) & b == 0)
}

/// `pid` was reaped: its number may come back as another process.
fn forget(pid: i32) {
    for phase in &TOLD {
        if let Some(w) = phase.get(pid as usize / 64) {
            w.fetch_and(!(1u64 << (pid % 64)), Relaxed);
        }
    }
}

/// Sends the phase's signal to what is left that has not had it; a
/// SIGTERM comes with a SIGCONT, so that a stopped process can act on it.
#[cold]
fn terminate(pid1: bool, phase: usize) -> sys::Result<()> {
    let sig = if phase == TERM {
        k::SIGTERM
    } else {
        k::SIGKILL
    };
    if pid1 {
        // One `kill(-1)` reaches everyone in the namespace, and the
        // children they are forking (the kernel holds a fork back until
        // it has the signal too). The SIGTERM goes once; the SIGKILL
        // again after each wait, for a process that entered our PID
        // namespace by setns(2) since.
        // (PID 0, never a process, stands for "sent" in TERM.)
        if phase == KILL || first(TERM, 0) {
            send(-1, sig);
        }
        return Ok(());
    }
    // We are single-threaded, so our one thread's list is all of our
    // children (proc(5): /proc/PID/task/TID/children). Read in pieces: a
    // PID cut at the end of one carries over to the next.
    let fd = crate::rt::open(cstr!("/proc/thread-self/children"), k::O_RDONLY)?;
    let mut buf = [0u8; 512];
    let mut pid = 0usize;
    loop {
        let n = sys::read(fd, &mut buf).unwrap_or(0);
        for &b in &buf[..n] {
            if b.is_ascii_digit() {
                pid = pid * 10 + (b - b'0') as usize;
            } else {
                signal_once(pid, phase, sig);
                pid = 0;
            }
        }
        if n == 0 {
            signal_once(pid, phase, sig);
            break;
        }
    }
    let _ = sys::close(fd);
    Ok(())
}

fn signal_once(pid: usize, phase: usize, sig: u32) {
    if pid > 0 && first(phase, pid) {
        send(pid as i32, sig);
    }
}

fn send(pid: i32, sig: u32) {
    let _ = sys::kill(pid, sig);
    if sig == k::SIGTERM {
        let _ = sys::kill(pid, k::SIGCONT);
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
