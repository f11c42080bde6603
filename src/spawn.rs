//! The clone plan: which process is whose child, how it is started, on
//! which stack, and how a failure anywhere reaches the one process that
//! reports it.
//!
//! ```text
//!   nsinit ─clone─▶ COMMAND                     (no --pid, or --pid --exec)
//!   nsinit ─clone─▶ init (PID 1) ─clone─▶ COMMAND          (--pid)
//! ```
//! The outer nsinit always stays outside, forwards signals and exits with
//! the status of its child. `Plan::of` decides, once, how each child is
//! started: a child whose only job is set-up-then-execve shares our memory
//! (`CLONE_VM|CLONE_VFORK`: no page tables copied, and we sleep until it
//! has exec'd), and reports a failure by writing it into that memory; an
//! init, or a child that must join a time namespace, is fork-style and
//! reports through a close-on-exec pipe, whose end-of-file means "COMMAND
//! is running".
//!
//! The child's lifeline: `PR_SET_PDEATHSIG`, then a check that the parent
//! did not die before it took effect: a `CLONE_VM` child reads the robust
//! futex the kernel marks when we die (`rt::arm_lifeline`); a fork-style
//! one watches the pipe, whose read end only the parent holds (`POLLERR`
//! when it is gone).

use crate::cli::Config;
use crate::init::Terminal;
use crate::ops::{self, Outside};
use crate::out::copy;
use crate::rt::{self, Process, Style};
use crate::step::{self, Failure, Step};
use crate::sys::{self, Argv, Errno, SigSet, Zstr};
use core::sync::atomic::{AtomicU64, Ordering::Relaxed};
use linux_raw_sys::general as k;

/// How the outer nsinit's child comes to life, decided once from the
/// configuration.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Plan {
    /// The child is PID 1 of a new PID namespace and COMMAND its child.
    pub init: bool,
    pub style: Style,
    /// A pipe: the fork-style child's way to report, and its lifeline.
    pub pipe: bool,
}

impl Plan {
    pub fn of(cfg: &Config) -> Plan {
        let init = cfg.has(k::CLONE_NEWPID) && !cfg.exec();
        // setns(2) into a time namespace refuses a process that shares its
        // memory: a -T child cannot be a CLONE_VM one.
        let style = if init || cfg.time() {
            Style::Fork
        } else {
            Style::Vfork
        };
        Plan {
            init,
            style,
            pipe: style == Style::Fork,
        }
    }
}

/// What a child needs, shared (Vfork) or copied (Fork) from the parent.
pub struct Ctx<'a> {
    cfg: &'a Config<'a>,
    plan: Plan,
    p: Process,
    /// COMMAND's argv.
    argv: Argv<'a>,
    outside: Outside,
    /// The signal mask nsinit was started with, for COMMAND.
    mask: SigSet,
    /// Our PID.
    parent: i32,
    /// nsinit's controlling terminal, if any: COMMAND's process group
    /// gets it if we were its foreground.
    term: Option<Terminal>,
    /// SIGCHLD was ignored when we started: COMMAND gets that back, as it
    /// would from a plain exec (a disposition of SIG_IGN survives one).
    chld_ignored: bool,
    /// The pipe of `Plan::pipe`, or -1.
    rd: i32,
    wr: i32,
    /// A `CLONE_VM` child's failure, written into the memory it shares with
    /// the process that cloned it (`Failure::encode`; 0 for none).
    failed: AtomicU64,
}

impl<'a> Ctx<'a> {
    /// Everything a `launch` needs. Signals must be blocked by now
    /// (`mask` is what COMMAND gets back); `me` is our PID.
    pub fn new(
        cfg: &'a Config<'a>,
        p: &Process,
        argv: Argv<'a>,
        mask: SigSet,
        me: i32,
        term: Option<Terminal>,
    ) -> Ctx<'a> {
        Ctx {
            cfg,
            plan: Plan::of(cfg),
            p: *p,
            argv,
            outside: Outside::of(cfg),
            mask,
            parent: me,
            term,
            chld_ignored: false,
            rd: -1,
            wr: -1,
            failed: AtomicU64::new(0),
        }
    }
}

/// Runs COMMAND as `cfg` says; returns nsinit's exit status. Every signal
/// is blocked already (since `main`'s first call), so that none falls
/// between the child's birth and the first sigtimedwait; `mask` is the one
/// nsinit was started with, which COMMAND gets back.
pub fn run(cfg: &Config, p: &Process, mask: SigSet, me: i32) -> u8 {
    // COMMAND as our direct child, outside a PID namespace of its own:
    // become the reaper of its orphans, as an init would be.
    if cfg.subreaper() || !cfg.has(k::CLONE_NEWPID) {
        step::verbose(cfg.verbose(), Step::Subreaper, None);
        if let Err(e) = sys::set_child_subreaper() {
            return report(cfg, Failure::new(Step::Subreaper, e));
        }
    }
    // A SIG_IGN inherited for SIGCHLD would make the kernel reap our child
    // itself and take its status with it.
    let chld_ignored = sys::sigdefault(k::SIGCHLD, false) == Ok(true);
    let term = Terminal::find();
    // No COMMAND: a machine's init runs the shell, as the kernel would.
    let argv = match cfg.command {
        0 => sys::shell_argv(),
        i => p.args_from(i),
    };
    let mut ctx = Ctx::new(cfg, p, argv, mask, me, term);
    ctx.chld_ignored = chld_ignored;
    let pid = match launch(&mut ctx) {
        Ok(pid) => pid,
        Err(f) => return report(cfg, f),
    };
    // The supervisor holds no directory: a volume nsinit was started in
    // can be unmounted while COMMAND runs.
    let _ = sys::chdir(crate::cstr!("/"));
    let s = crate::init::Supervisor {
        policy: &cfg.policy,
        child: pid,
        command: !ctx.plan.init,
        term,
        pid1: false,
        me: ctx.parent,
        jobs: ctx.rd,
    };
    crate::init::supervise(&s)
}

/// Clones the child and waits until COMMAND (or the init, which has
/// launched COMMAND) runs: returns its PID, or the failure, with the child
/// already collected. (Out of line: inlined into `run`, the two shared
/// registers badly; 96 bytes.)
#[inline(never)]
pub fn launch(ctx: &mut Ctx) -> Result<i32, Failure> {
    let cfg = ctx.cfg;
    if ctx.plan.pipe {
        (ctx.rd, ctx.wr) = pipe().map_err(|e| Failure::new(Step::Pipe, e))?;
    } else if !cfg.no_kill_child() {
        rt::arm_lifeline(ctx.parent).map_err(|e| Failure::new(Step::Lifeline, e))?;
    }
    ctx.failed.store(0, Relaxed);
    step::verbose(cfg.verbose(), Step::Clone, None);
    let pid = rt::clone(ctx.plan.style, cfg.ns, child, &*ctx);
    let mut failed = Failure::decode(ctx.failed.load(Relaxed));
    if ctx.plan.pipe {
        let _ = sys::close(ctx.wr);
        if ctx.plan.style == Style::Fork {
            // Blocks until the child writes a failure, or every write end
            // is closed: COMMAND exec'd, or the init has said it did (and
            // keeps its end only as a terminal's job-control line).
            let mut rec = [0u8; 8];
            if let (Ok(8), Ok(_)) = (sys::read(ctx.rd, &mut rec), &pid) {
                failed = Failure::decode(u64::from_le_bytes(rec));
            }
        }
        if !(ctx.plan.init && ctx.term.is_some()) || failed.is_some() || pid.is_err() {
            let _ = sys::close(ctx.rd);
            ctx.rd = -1;
        }
    }
    let pid = pid.map_err(|e| Failure::new(Step::Clone, e))?;
    if let Some(f) = failed {
        // The child failed and has exited: collect it, then say why.
        let _ = sys::wait4(pid, 0);
        return Err(f);
    }
    Ok(pid)
}

/// A close-on-exec pipe whose ends are above stdio, wherever fds 0-2 are
/// closed and however low `RLIMIT_NOFILE` is.
fn pipe() -> sys::Result<(i32, i32)> {
    let mut wr = -1;
    let rd = rt::with_fd_room(&mut || {
        let (rd, w) = sys::pipe()?;
        match (rt::above_stdio(rd), rt::above_stdio(w)) {
            (Ok(rd), Ok(w)) => {
                wr = w;
                Ok(rd)
            }
            (a, b) => {
                let _ = a.map(sys::close);
                let _ = b.map(sys::close);
                Err(Errno::EMFILE)
            }
        }
    })?;
    Ok((rd, wr))
}

/// The clone child: lifeline, namespace contents, then COMMAND — directly,
/// or as the child of the init this process becomes.
fn child(ctx: &Ctx) -> ! {
    let cfg = ctx.cfg;
    let plan = ctx.plan;
    let shared = plan.style == Style::Vfork;
    if plan.pipe {
        // Our copy of the read end would keep the pipe readable after the
        // parent's death and blind the lifeline check.
        let _ = sys::close(ctx.rd);
    }
    if !cfg.no_kill_child() {
        if let Err(e) = sys::set_pdeathsig(k::SIGKILL) {
            fail(ctx, shared, Failure::new(Step::Lifeline, e));
        }
        // The parent may have died before the prctl took effect, in which
        // case no signal is coming.
        let orphaned = if plan.pipe {
            sys::poll_now(ctx.wr, k::POLLOUT).is_ok_and(|ev| ev & k::POLLERR != 0)
        } else {
            rt::parent_died()
        };
        if orphaned {
            sys::exit(125);
        }
    }
    if let Err(f) = ops::run(cfg, ctx.outside) {
        fail(ctx, shared, f);
    }
    if plan.init {
        init(ctx)
    }
    command(ctx, shared)
}

/// PID 1 of the new PID namespace: in a process group of its own (a
/// signal to the caller's group reaches it once, from the outer nsinit),
/// it starts COMMAND and supervises it.
fn init(ctx: &Ctx) -> ! {
    let _ = sys::setpgid(0, 0);
    let pid = match rt::clone(Style::Vfork, Default::default(), run_command, ctx) {
        Ok(pid) => pid,
        Err(e) => fail(ctx, false, Failure::new(Step::CloneCommand, e)),
    };
    if let Some(f) = Failure::decode(ctx.failed.load(Relaxed)) {
        // COMMAND failed in our memory: pass it on to the outer nsinit.
        let _ = sys::wait4(pid, 0);
        fail(ctx, false, f);
    }
    // COMMAND runs. At a terminal, keep the pipe: the outer nsinit learns
    // through it when COMMAND stops (Ctrl-Z), which it cannot see from
    // outside our PID namespace; say "running" with an empty record.
    let jobs = if ctx.term.is_some() {
        let _ = sys::write(ctx.wr, &0u64.to_le_bytes());
        ctx.wr
    } else {
        let _ = sys::close(ctx.wr);
        -1
    };
    let _ = sys::chdir(crate::cstr!("/"));
    let s = crate::init::Supervisor {
        policy: &ctx.cfg.policy,
        child: pid,
        command: true,
        term: ctx.term,
        pid1: true,
        me: 1,
        jobs,
    };
    sys::exit(crate::init::supervise(&s))
}

fn run_command(ctx: &Ctx) -> ! {
    command(ctx, true)
}

/// COMMAND's side: a process group of its own, as tini gives it (so a
/// signal to the caller's group reaches it once, forwarded), the terminal
/// if we had it, its original signal mask, then execvp.
fn command(ctx: &Ctx, shared: bool) -> ! {
    let _ = sys::setpgid(0, 0);
    if let Some(t) = ctx.term.filter(|t| t.fg) {
        // Signals are still blocked, so taking the terminal raises no
        // SIGTTOU.
        let _ = sys::tcsetpgrp(t.fd, sys::getpgrp());
    }
    step::verbose(ctx.cfg.verbose(), Step::Execve, Some(ctx.cfg.name.bytes()));
    if ctx.cfg.verbose() {
        // A write to a dead stderr raised a SIGPIPE that is pending here,
        // blocked: it is ours, not COMMAND's to die of.
        let _ = sys::sigtimedwait(&sys::sigbit(k::SIGPIPE), Some(&ZERO));
    }
    if ctx.chld_ignored {
        let _ = sys::sigdefault(k::SIGCHLD, true);
    }
    let _ = sys::sigprocmask(k::SIG_SETMASK, &ctx.mask);
    let e = execvp(ctx);
    fail(ctx, shared, Failure::new(Step::Execve, e))
}

const ZERO: k::timespec = k::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// Tells the nsinit that reports which step failed and why — through the
/// memory we share with it, or the pipe — then exits with the status
/// that step stands for.
#[cold]
#[inline(never)]
fn fail(ctx: &Ctx, shared: bool, f: Failure) -> ! {
    let rec = f.encode();
    if shared {
        // Read by the parent once we are gone: it sleeps in clone(2)
        // until then.
        ctx.failed.store(rec, Relaxed);
    } else {
        let _ = sys::write(ctx.wr, &rec.to_le_bytes());
    }
    sys::exit(f.status())
}

/// `nsinit: <step> <operand>: <ERRNO> (<text>)[; <hint>]`, and the exit
/// status.
#[cold]
#[inline(never)]
pub fn report(cfg: &Config, f: Failure) -> u8 {
    step::report(f, ops::operand_of(cfg, f), cfg.ns)
}

/// The default search path when PATH is unset: what execvp and env(1) use
/// on Linux distributions.
const DEFAULT_PATH: &[u8] = b"/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// execvp(3): COMMAND with a slash is a path; otherwise each PATH entry in
/// turn (an empty one is the working directory). A file the kernel cannot
/// run but that exists (ENOEXEC: a script without `#!`) is run by
/// `/bin/sh`, as execvp and unshare(1) do. Returns only on failure: EACCES
/// if some candidate existed but could not be run, else the last "not
/// there" error.
fn execvp(ctx: &Ctx) -> Errno {
    let cmd = ctx.cfg.name;
    let name = cmd.bytes();
    if crate::out::has_byte(name, b'/') {
        return exec(ctx, cmd);
    }
    if name.is_empty() {
        return Errno::ENOENT;
    }
    let path = ctx.p.getenv(b"PATH=").map_or(DEFAULT_PATH, |v| v.bytes());
    let mut err = Errno::ENOENT;
    let mut rest = Some(path);
    while let Some((dir, more)) = rest.map(|r| crate::out::cut(r, b':')) {
        rest = more;
        let dir: &[u8] = if dir.is_empty() { b"." } else { dir };
        // Candidates are short: a small buffer keeps COMMAND's frames on
        // one page of the clone stack; a long one gets a buffer of
        // PATH_MAX, out of line.
        let mut buf = [0u8; 256];
        let e = match candidate(&mut buf, dir, name) {
            Some(full) => exec(ctx, full),
            None => exec_long(ctx, dir, name),
        };
        match e {
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

/// `dir/name` and its NUL in `buf`, if they fit.
fn candidate<'b>(buf: &'b mut [u8], dir: &[u8], name: &[u8]) -> Option<Zstr<'b>> {
    let len = dir.len() + 1 + name.len();
    let buf = buf.get_mut(..=len)?;
    copy(buf, dir);
    buf[dir.len()] = b'/';
    copy(&mut buf[dir.len() + 1..], name);
    buf[len] = 0;
    Some(Zstr::lit(buf))
}

/// A candidate longer than `execvp`'s small buffer: PATH_MAX of room.
/// One too long for that is not a path, not here: skipped, as execvp does.
#[cold]
#[inline(never)]
fn exec_long(ctx: &Ctx, dir: &[u8], name: &[u8]) -> Errno {
    let mut buf = [0u8; 4096];
    match candidate(&mut buf, dir, name) {
        Some(full) => exec(ctx, full),
        None => Errno::ENAMETOOLONG,
    }
}

/// execve of `path`, and of `/bin/sh path ARG...` when the kernel finds no
/// format it knows in it.
fn exec(ctx: &Ctx, path: Zstr) -> Errno {
    let envp = ctx.p.envp();
    match sys::execve(path, ctx.argv, envp) {
        Errno::ENOEXEC if ctx.cfg.command > 0 => {
            let argv = ctx.p.script_argv(ctx.cfg.command, path);
            let _ = sys::execve(crate::cstr!("/bin/sh"), argv, envp);
            Errno::ENOEXEC
        }
        e => e,
    }
}
