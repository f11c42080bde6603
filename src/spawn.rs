//! The clone plan: which process is whose child, with which flags, on
//! which stack, and how a failure anywhere reaches the one process that
//! reports it.
//!
//! ```text
//!   nsinit ─clone─▶ COMMAND                     (no --pid, or --pid --exec)
//!   nsinit ─clone─▶ init (PID 1) ─clone─▶ COMMAND          (--pid)
//! ```
//! The outer nsinit always stays outside, forwards signals and exits with
//! the status of its child. A child whose only job is set-up-then-execve is
//! started `CLONE_VM|CLONE_VFORK` (no page tables copied); an init, or a
//! child that must join a time namespace, fork-style.
//!
//! Errors after clone travel through a close-on-exec pipe: the failing
//! process writes `[step, 0, errno lo, errno hi]` and exits; a successful
//! execve closes its end, so end-of-file means "COMMAND is running". The
//! same pipe is the child's lifeline: with the parent dead, its read end
//! is closed and `poll` reports `POLLERR` on the write end.

use crate::cli::Config;
use crate::ns::{self, Outside};
use crate::out::Line;
use crate::sys::{self, Argv, Errno, Process, Style, Zstr};
use crate::z;
use linux_raw_sys::general as k;

named! {
    /// Every step between argv and execve that can fail, in the order they
    /// run, with what messages call it.
    pub enum Step {
        Subreaper = "prctl PR_SET_CHILD_SUBREAPER",
        Sigmask = "rt_sigprocmask",
        Pipe = "pipe2",
        Clone = "clone",
        Lifeline = "prctl PR_SET_PDEATHSIG",
        Setgroups = "write /proc/self/setgroups",
        GidMap = "write /proc/self/gid_map",
        UidMap = "write /proc/self/uid_map",
        UnshareTime = "unshare CLONE_NEWTIME",
        TimeOffsets = "write /proc/self/timens_offsets",
        SetnsTime = "setns CLONE_NEWTIME",
        Sethostname = "sethostname",
        Propagation = "mount --make-r",
        Chroot = "chroot",
        Chdir = "chdir",
        ProcPrivate = "mount --make-rprivate",
        MountProc = "mount proc on",
        LoopbackUp = "bring up lo",
        CloneCommand = "clone COMMAND",
        Execve = "execve",
    }
}

impl Step {
    /// `sethostname box`, `chdir /srv`, `execve sh`: the step and what it
    /// was applied to.
    fn describe(self, l: &mut Line, cfg: &Config) {
        l.s(self.name());
        let arg = match self {
            Step::Sethostname => cfg.hostname,
            Step::Propagation => Some(match cfg.propagation {
                crate::cli::Propagation::Slave => &b"slave /"[..],
                crate::cli::Propagation::Shared => b"shared /",
                _ => b"private /",
            }),
            Step::Chroot => cfg.root.map(|d| d.bytes()),
            Step::Chdir => Some(cfg.wd.unwrap_or(z!("/")).bytes()),
            Step::MountProc | Step::ProcPrivate => cfg.mount_proc.map(|d| d.bytes()),
            Step::Execve => Some(cfg.name.bytes()),
            _ => None,
        };
        if let Some(a) = arg {
            // "mount --make-r" + "private /" reads as mount(8) would say it.
            if self != Step::Propagation {
                l.s(b" ");
            }
            l.s(a);
        }
    }

    /// Advice for the errors a user can do something about.
    fn hint(self, e: Errno, cfg: &Config) -> Option<&'static str> {
        let user = cfg.has(k::CLONE_NEWUSER);
        Some(match (self, e) {
            (Step::Clone | Step::UnshareTime, Errno::EPERM) if user => {
                "user namespaces may be disabled (sysctl user.max_user_namespaces)"
            }
            (Step::Clone | Step::UnshareTime, Errno::EPERM) => "needs CAP_SYS_ADMIN, or add --user",
            (Step::Clone | Step::UnshareTime, Errno::ENOSPC) => {
                "namespace limit reached (/proc/sys/user/max_*)"
            }
            (Step::Clone, Errno::EINVAL) => "the kernel lacks a requested namespace",
            (Step::UnshareTime, Errno::EINVAL) => "the kernel lacks time namespaces",
            (Step::MountProc, Errno::EPERM) if user && !cfg.has(k::CLONE_NEWPID) => {
                "a user namespace cannot mount the host's proc: add --pid"
            }
            (Step::Sethostname, Errno::EPERM) => "needs CAP_SYS_ADMIN: add --user",
            (Step::ProcPrivate, Errno::EINVAL) => {
                "--mount-proc with --propagation=shared or unchanged needs DIR to be a mount point"
            }
            _ => return None,
        })
    }
}

/// `-v`: one line per step, before it runs.
pub fn verbose(cfg: &Config, step: Step) {
    if cfg.verbose {
        let mut l = Line::msg();
        step.describe(&mut l, cfg);
        l.eprint();
    }
}

/// What a child needs, shared (Vfork) or copied (Fork) from the parent.
pub struct Ctx<'a> {
    cfg: &'a Config<'a>,
    p: Process,
    /// COMMAND's argv.
    argv: Argv<'a>,
    outside: Outside,
    /// The signal mask nsinit was started with, for COMMAND.
    mask: sys::SigSet,
    rd: i32,
    wr: i32,
    /// The child is PID 1 of a new PID namespace and COMMAND its child.
    init: bool,
    /// nsinit runs in the foreground of a terminal on stdin: COMMAND gets
    /// a process group of its own and the terminal with it, so that the
    /// terminal's signals (Ctrl-C, Ctrl-Z) reach COMMAND alone, once.
    tty: bool,
}

impl<'a> Ctx<'a> {
    /// Everything a `launch` needs but its pipe. Signals must be blocked
    /// by now (`mask` is what COMMAND gets back).
    pub fn new(
        cfg: &'a Config<'a>,
        p: &Process,
        argv: Argv<'a>,
        mask: sys::SigSet,
        tty: bool,
    ) -> Ctx<'a> {
        let outside = if cfg.has(k::CLONE_NEWUSER) {
            Outside {
                uid: sys::geteuid(),
                gid: sys::getegid(),
            }
        } else {
            Outside { uid: 0, gid: 0 }
        };
        Ctx {
            cfg,
            p: *p,
            argv,
            outside,
            mask,
            rd: -1,
            wr: -1,
            init: cfg.has(k::CLONE_NEWPID) && !cfg.exec,
            tty,
        }
    }
}

/// Runs COMMAND as `cfg` says; returns nsinit's exit status.
pub fn run(cfg: &Config, p: &Process) -> u8 {
    match start(cfg, p) {
        Ok(code) => code,
        Err((step, e)) => report(cfg, step, e),
    }
}

fn at(step: Step) -> impl Fn(Errno) -> (Step, Errno) {
    move |e| (step, e)
}

fn start(cfg: &Config, p: &Process) -> Result<u8, (Step, Errno)> {
    // COMMAND as our direct child, outside a PID namespace of its own:
    // become the reaper of its orphans, as an init would be.
    if cfg.subreaper || !cfg.has(k::CLONE_NEWPID) {
        verbose(cfg, Step::Subreaper);
        sys::set_child_subreaper().map_err(at(Step::Subreaper))?;
    }
    // A SIG_IGN inherited for SIGCHLD would make the kernel reap our child
    // itself and take its status with it.
    let _ = sys::sigdefault(k::SIGCHLD);
    // Blocked before clone so that no signal falls between the child's
    // birth and the first sigtimedwait; the child restores `mask` for
    // COMMAND.
    let mask = sys::sigprocmask(k::SIG_BLOCK, &!0).map_err(at(Step::Sigmask))?;
    let tty = sys::tcgetpgrp(0).is_ok_and(|fg| fg == sys::getpgrp());
    let argv = match cfg.command {
        0 => Argv::shell(),
        i => p.args_from(i),
    };
    let mut ctx = Ctx::new(cfg, p, argv, mask, tty);
    let pid = launch(&mut ctx)?;
    Ok(supervise(pid, &ctx, !ctx.init, false))
}

/// Clones the child and waits for its word through the error pipe:
/// returns its PID once COMMAND (or the init, which has launched COMMAND)
/// runs, or the step that failed, with the child already collected.
pub fn launch(ctx: &mut Ctx) -> Result<i32, (Step, Errno)> {
    let cfg = ctx.cfg;
    (ctx.rd, ctx.wr) = sys::pipe().map_err(at(Step::Pipe))?;
    let style = if ctx.init || cfg.time {
        Style::Fork
    } else {
        Style::Vfork
    };
    verbose(cfg, Step::Clone);
    let pid = sys::clone(style, cfg.clone_flags | k::SIGCHLD, child, &*ctx);
    let _ = sys::close(ctx.wr);
    let mut rec = [0u8; 4];
    let n = sys::read(ctx.rd, &mut rec);
    let _ = sys::close(ctx.rd);
    let pid = pid.map_err(at(Step::Clone))?;
    if let Ok(4) = n {
        // The child failed and is exiting: collect it, then say why.
        let _ = sys::wait4(pid, 0);
        let step = Step::from_u8(rec[0]).unwrap_or(Step::Clone);
        return Err((
            step,
            Errno::new(u16::from_le_bytes([rec[2], rec[3]]) as i32),
        ));
    }
    Ok(pid)
}

fn supervise(child: i32, ctx: &Ctx, command: bool, pid1: bool) -> u8 {
    let s = crate::init::Supervise {
        cfg: ctx.cfg,
        command,
        tty: ctx.tty,
        pid1,
    };
    crate::init::supervise(child, &s)
}

/// The clone child: lifeline, namespace contents, then COMMAND — directly,
/// or as the child of the init this process becomes.
fn child(ctx: &Ctx) -> ! {
    let cfg = ctx.cfg;
    // Our copy of the read end would keep the pipe readable after the
    // parent's death and blind the lifeline check.
    let _ = sys::close(ctx.rd);
    if !cfg.no_kill_child {
        if let Err(e) = sys::set_pdeathsig(k::SIGKILL) {
            fail(ctx, Step::Lifeline, e);
        }
        // The parent may have died before the prctl took effect, in which
        // case no signal is coming: no reader left on the pipe means so.
        if let Ok(ev) = sys::poll1(ctx.wr, k::POLLOUT, 0) {
            if ev & k::POLLERR != 0 {
                sys::exit(125);
            }
        }
    }
    if let Err((step, e)) = ns::setup(cfg, ctx.outside) {
        fail(ctx, step, e);
    }
    if ctx.init {
        let pid = match sys::clone(Style::Vfork, k::SIGCHLD, command, ctx) {
            Ok(pid) => pid,
            Err(e) => fail(ctx, Step::CloneCommand, e),
        };
        // COMMAND has exec'd (or failed and written its record): the pipe
        // is done with, and the outer nsinit sees its end-of-file.
        let _ = sys::close(ctx.wr);
        sys::exit(supervise(pid, ctx, true, true));
    }
    command(ctx)
}

/// COMMAND's side: its own process group if it is to have the terminal
/// or its group's signals, its original signal mask, then execvp.
fn command(ctx: &Ctx) -> ! {
    if ctx.tty || ctx.cfg.pgroup {
        // Best effort, as in a shell: COMMAND runs either way. Signals are
        // still blocked, so taking the terminal raises no SIGTTOU.
        let _ = sys::setpgid(0, 0);
        if ctx.tty {
            let _ = sys::tcsetpgrp(0, sys::getpgrp());
        }
    }
    let _ = sys::sigprocmask(k::SIG_SETMASK, &ctx.mask);
    verbose(ctx.cfg, Step::Execve);
    let e = execvp(ctx);
    fail(ctx, Step::Execve, e)
}

/// Tells the outer nsinit which step failed and why, then exits with the
/// status that step stands for.
fn fail(ctx: &Ctx, step: Step, e: Errno) -> ! {
    let [lo, hi] = (e.into_raw() as u16).to_le_bytes();
    let _ = sys::write(ctx.wr, &[step as u8, 0, lo, hi]);
    sys::exit(status_of(step, e))
}

/// 127 when COMMAND was not found, 126 when it could not be run, 125 for
/// nsinit's own failures (env(1), chroot(1), timeout(1), docker).
pub fn status_of(step: Step, e: Errno) -> u8 {
    match (step, e) {
        (Step::Execve, Errno::ENOENT) => 127,
        (Step::Execve, _) => 126,
        _ => 125,
    }
}

/// `nsinit: <step>: <ERRNO> (<text>)[; <hint>]`, and the exit status.
fn report(cfg: &Config, step: Step, e: Errno) -> u8 {
    let mut l = Line::msg();
    step.describe(&mut l, cfg);
    l.s(b": ").errno(e.into_raw());
    if let Some(h) = step.hint(e, cfg) {
        l.s(b"; ").s(h.as_bytes());
    }
    l.eprint();
    status_of(step, e)
}

/// The default search path when PATH is unset: what execvp and env(1) use
/// on Linux distributions.
const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// execvp(3) without the shell fallback: COMMAND with a slash is a path;
/// otherwise each PATH entry in turn (an empty one is the working
/// directory). Returns only on failure: EACCES if some candidate existed
/// but could not be run, else the last "not there" error.
fn execvp(ctx: &Ctx) -> Errno {
    let cmd = ctx.cfg.name;
    let (argv, p) = (ctx.argv, &ctx.p);
    let envp = p.envp();
    let name = cmd.bytes();
    if name.contains(&b'/') {
        return sys::execve(cmd, argv, envp);
    }
    if name.is_empty() {
        return Errno::ENOENT;
    }
    let path = p.getenv(b"PATH=").map_or(DEFAULT_PATH, |v| v.bytes());
    let mut buf = [0u8; 4096];
    let mut err = Errno::ENOENT;
    for dir in path.split(|&b| b == b':') {
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        let len = dir.len() + 1 + name.len();
        if len >= buf.len() {
            err = Errno::ENAMETOOLONG;
            continue;
        }
        buf[..dir.len()].copy_from_slice(dir);
        buf[dir.len()] = b'/';
        buf[dir.len() + 1..len].copy_from_slice(name);
        buf[len] = 0;
        let full = Zstr::lit(&buf[..=len]);
        match sys::execve(full, argv, envp) {
            // Not here: try the next directory, remembering a candidate we
            // were refused, as execvp does.
            Errno::EACCES => err = Errno::EACCES,
            Errno::ENOENT
            | Errno::ENOTDIR
            | Errno::ENAMETOOLONG
            | Errno::ELOOP
            | Errno::ESTALE
            | Errno::ENODEV
            | Errno::ETIMEDOUT => {}
            e => return e,
        }
    }
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_line_up() {
        assert_eq!(Step::Subreaper.name(), b"prctl PR_SET_CHILD_SUBREAPER");
        assert_eq!(Step::MountProc.name(), b"mount proc on");
        assert_eq!(Step::Execve.name(), b"execve");
        assert_eq!(Step::NAMES.split(|&b| b == 0).count(), Step::ALL.len() + 1);
        assert_eq!(Step::ALL.len(), Step::Execve as usize + 1);
        for b in 0..=Step::Execve as u8 {
            assert_eq!(Step::from_u8(b).map(|s| s as u8), Some(b));
        }
        assert_eq!(Step::from_u8(Step::Execve as u8 + 1), None);
    }

    #[test]
    fn statuses_of_failures() {
        assert_eq!(status_of(Step::Execve, Errno::ENOENT), 127);
        assert_eq!(status_of(Step::Execve, Errno::EACCES), 126);
        assert_eq!(status_of(Step::Execve, Errno::ENOEXEC), 126);
        assert_eq!(status_of(Step::Clone, Errno::EPERM), 125);
        assert_eq!(status_of(Step::MountProc, Errno::ENOENT), 125);
    }
}
