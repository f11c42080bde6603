//! The namespaces' contents: an ordered list of setup operations that the
//! child runs after clone(2), before execve. Each operation is one `Step`
//! applied to one operand, so a failure names exactly what failed; a new
//! setup feature is a new entry here, not a special case in `spawn`.
//!
//! The order follows unshare(1): identity first (user maps, which every
//! later step's permission checks depend on), then the time namespace,
//! hostname, mounts, root and directory, and the network last.

use crate::cli::{Config, Propagation};
use crate::cstr;
use crate::out::Line;
use crate::rt;
use crate::step::{self, Failure, Step};
use crate::sys::{self, Errno, Zstr};
use linux_raw_sys::general as k;

/// Who we were before the user namespace: the ids the maps point at.
#[derive(Clone, Copy, Default)]
pub struct Outside {
    pub uid: u32,
    pub gid: u32,
}

impl Outside {
    /// Read in the parent, before clone: the child's own ids are the
    /// overflow ids until its maps are written.
    pub fn of(cfg: &Config) -> Outside {
        if cfg.has(k::CLONE_NEWUSER) {
            Outside {
                uid: sys::geteuid(),
                gid: sys::getegid(),
            }
        } else {
            Outside::default()
        }
    }
}

/// One setup operation.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Op<'a> {
    /// Unprivileged writers may map only their own id, and only after
    /// giving up setgroups(2) for good (user_namespaces(7)); a privileged
    /// writer loses nothing it could have used inside.
    Setgroups,
    /// `inside outside 1`: the single id an unprivileged user may map.
    GidMap(u32),
    UidMap(u32),
    /// Legacy clone() has no bit for CLONE_NEWTIME (0x80 is in its
    /// exit-signal byte), and offsets can be set only before any process
    /// lives in the namespace. So: create it for our children, set the
    /// offsets, then move ourselves in with setns(2) — which the kernel
    /// allows only to a process that shares its memory with nobody, hence
    /// fork-style clone for `-T`.
    UnshareTime,
    TimeOffsets,
    SetnsTime,
    Hostname(&'a [u8]),
    /// A new mount namespace starts as a copy whose mounts still share
    /// propagation with the caller's: unless told otherwise, make `/`
    /// recursively private so that nothing below reaches the caller.
    Propagation(u32, &'static [u8]),
    Chroot(Zstr<'a>),
    Chdir(Zstr<'a>),
    /// Work in a directory for the operations that follow, until
    /// `Leave`: they name it `.`, so that its path is resolved once, and
    /// a symlink swapped in between two of them cannot send the second
    /// elsewhere.
    Enter(Zstr<'a>),
    Leave,
    /// Unless `/` was just made private or a slave, the proc mount point may still
    /// propagate to the caller's namespace: a proc mounted there would
    /// cover the caller's /proc with one that dies with our PID
    /// namespace. Make it private first (in it: `Enter`); on a directory
    /// that is not a mount point the kernel refuses (EINVAL), and so do
    /// we.
    ProcPrivate(Zstr<'a>),
    MountProc(Zstr<'a>),
    /// A new network namespace has only `lo`, and it is down; bring it up
    /// so COMMAND can talk to itself, as unshare(1) and bwrap do.
    Loopback,
}

impl<'a> Op<'a> {
    pub fn step(self) -> Step {
        match self {
            Op::Setgroups => Step::Setgroups,
            Op::GidMap(_) => Step::GidMap,
            Op::UidMap(_) => Step::UidMap,
            Op::UnshareTime => Step::UnshareTime,
            Op::TimeOffsets => Step::TimeOffsets,
            Op::SetnsTime => Step::SetnsTime,
            Op::Hostname(_) => Step::Sethostname,
            Op::Propagation(..) => Step::Propagation,
            Op::Chroot(_) => Step::Chroot,
            Op::Chdir(_) | Op::Enter(_) | Op::Leave => Step::Chdir,
            Op::ProcPrivate(_) => Step::ProcPrivate,
            Op::MountProc(_) => Step::MountProc,
            Op::Loopback => Step::LoopbackUp,
        }
    }

    /// What the step is applied to, for messages.
    pub fn operand(self) -> Option<&'a [u8]> {
        match self {
            Op::Hostname(name) => Some(name),
            Op::Propagation(_, name) => Some(name),
            Op::Chroot(d) | Op::Chdir(d) | Op::Enter(d) | Op::ProcPrivate(d) | Op::MountProc(d) => {
                Some(d.bytes())
            }
            _ => None,
        }
    }

    /// Runs the operation; `back` is the working directory a `Leave`
    /// returns to, held open by `Enter` (else -1).
    fn run(self, cfg: &Config, outside: Outside, back: &mut i32) -> sys::Result<()> {
        // In an `Enter`ed directory, its operations act on `.`.
        let here = |dir| if *back >= 0 { cstr!(".") } else { dir };
        match self {
            Op::Setgroups => write_file(cstr!("/proc/self/setgroups"), b"deny"),
            Op::GidMap(gid) => write_map(cstr!("/proc/self/gid_map"), gid, outside.gid),
            Op::UidMap(uid) => write_map(cstr!("/proc/self/uid_map"), uid, outside.uid),
            Op::UnshareTime => sys::unshare(k::CLONE_NEWTIME).map(drop),
            Op::TimeOffsets => {
                let mut l = Line::new();
                if let Some(s) = cfg.monotonic {
                    l.push_str(b"monotonic ").push_i64(s).push_str(b" 0\n");
                }
                if let Some(s) = cfg.boottime {
                    l.push_str(b"boottime ").push_i64(s).push_str(b" 0\n");
                }
                write_file(cstr!("/proc/self/timens_offsets"), l.as_bytes())
            }
            Op::SetnsTime => {
                let fd = rt::open(cstr!("/proc/self/ns/time_for_children"), k::O_RDONLY)?;
                let r = sys::setns(fd, k::CLONE_NEWTIME);
                let _ = sys::close(fd);
                r.map(drop)
            }
            Op::Hostname(name) => sys::sethostname(name).map(drop),
            Op::Propagation(flag, _) => {
                sys::mount(None, cstr!("/"), None, k::MS_REC | flag).map(drop)
            }
            Op::Chroot(dir) => sys::chroot(dir).map(drop),
            Op::Chdir(dir) => sys::chdir(dir).map(drop),
            Op::Enter(dir) => {
                // Holding the way back takes search permission on where
                // we are, and a descriptor: without either, the mounts
                // name DIR by its path, as util-linux's unshare does.
                if let Ok(fd) = rt::open(cstr!("."), k::O_PATH | k::O_DIRECTORY) {
                    if let Err(e) = sys::chdir(dir) {
                        let _ = sys::close(fd);
                        return Err(e);
                    }
                    *back = fd;
                }
                Ok(())
            }
            Op::Leave if *back < 0 => Ok(()),
            Op::Leave => {
                let r = sys::fchdir(*back);
                let _ = sys::close(*back);
                *back = -1;
                r.map(drop)
            }
            Op::ProcPrivate(dir) => {
                sys::mount(None, here(dir), None, k::MS_REC | k::MS_PRIVATE).map(drop)
            }
            Op::MountProc(dir) => {
                let flags = k::MS_NOSUID | k::MS_NODEV | k::MS_NOEXEC;
                sys::mount(Some(cstr!("proc")), here(dir), Some(cstr!("proc")), flags).map(drop)
            }
            Op::Loopback => loopback_up(),
        }
    }
}

/// Hands the operations `cfg` asks for to `f`, in the order they run.
/// The list is computed as it is walked, with no list kept: the child
/// runs it, and the parent walks it again to name what a failure was
/// about. A new operation is one entry here. (`dyn`: one copy of the walk
/// for both. No early stop: the walk is short, and its callers need none.)
#[inline(never)]
pub fn each<'a>(cfg: &Config<'a>, f: &mut dyn FnMut(Op<'a>)) {
    if cfg.has(k::CLONE_NEWUSER) {
        if let Some(gid) = cfg.map_group {
            f(Op::Setgroups);
            f(Op::GidMap(gid));
        }
        if let Some(uid) = cfg.map_user {
            f(Op::UidMap(uid));
        }
    }
    if cfg.time() {
        f(Op::UnshareTime);
        if cfg.monotonic.is_some() || cfg.boottime.is_some() {
            f(Op::TimeOffsets);
        }
        f(Op::SetnsTime);
    }
    if let Some(name) = cfg.hostname {
        f(Op::Hostname(name));
    }
    if let Some((flag, name)) = cfg.propagation.flag().filter(|_| cfg.has(k::CLONE_NEWNS)) {
        f(Op::Propagation(flag, name));
    }
    if let Some(dir) = cfg.root {
        f(Op::Chroot(dir));
        // A relative --wd is inside the new root, as chroot(1) has it:
        // chroot leaves the working directory outside.
        f(Op::Chdir(cstr!("/")));
    }
    if let Some(dir) = cfg.wd {
        f(Op::Chdir(dir));
    }
    if let Some(dir) = cfg.mount_proc {
        // Under a private or slave `/`, no mount of ours propagates to
        // the caller's namespace.
        if matches!(
            cfg.propagation,
            Propagation::Shared | Propagation::Unchanged
        ) {
            f(Op::Enter(dir));
            f(Op::ProcPrivate(dir));
            f(Op::MountProc(dir));
            f(Op::Leave);
        } else {
            f(Op::MountProc(dir));
        }
    }
    if cfg.has(k::CLONE_NEWNET) {
        f(Op::Loopback);
    }
}

/// Runs the list: the first failure stops it and says which operation it
/// was.
pub fn run(cfg: &Config, outside: Outside) -> Result<(), Failure> {
    let mut i = 0;
    let mut failed = Ok(());
    let mut back = -1;
    each(cfg, &mut |op| {
        // After a failure, the rest of the list is not run.
        if failed.is_ok() {
            step::verbose(cfg.verbose(), op.step(), op.operand());
            if let Err(errno) = op.run(cfg, outside, &mut back) {
                failed = Err(Failure {
                    step: op.step(),
                    op: i,
                    errno,
                });
            }
            i += 1;
        }
    });
    failed
}

/// The operand of the operation a failure came from, or of the step when
/// it is not one of the list's (COMMAND's name for execve).
pub fn operand_of<'a>(cfg: &Config<'a>, f: Failure) -> Option<&'a [u8]> {
    if f.step == Step::Execve {
        return Some(cfg.name.bytes());
    }
    let mut i = 0;
    let mut operand = None;
    each(cfg, &mut |op| {
        if i == f.op {
            operand = op.operand();
        }
        i += 1;
    });
    operand
}

fn write_file(path: Zstr, data: &[u8]) -> sys::Result<()> {
    let fd = rt::open(path, k::O_WRONLY)?;
    let r = sys::write(fd, data);
    let _ = sys::close(fd);
    // The kernel takes a map in one write or not at all.
    match r {
        Ok(n) if n == data.len() => Ok(()),
        Ok(_) => Err(Errno::EIO),
        Err(e) => Err(e),
    }
}

fn write_map(path: Zstr, inside: u32, outside: u32) -> sys::Result<()> {
    let mut l = Line::new();
    l.push_u64(inside as u64)
        .push_str(b" ")
        .push_u64(outside as u64)
        .push_str(b" 1\n");
    write_file(path, l.as_bytes())
}

fn loopback_up() -> sys::Result<()> {
    let fd = rt::with_fd_room(&mut || {
        sys::socket(linux_raw_sys::net::AF_INET, linux_raw_sys::net::SOCK_DGRAM)
    })?;
    let up = linux_raw_sys::net::net_device_flags::IFF_UP as u32;
    let r = sys::set_iface_flags(fd, b"lo", up);
    let _ = sys::close(fd);
    r.map(drop)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg(words: &[&str]) -> Config<'static> {
        let owned: Vec<Vec<u8>> = words
            .iter()
            .map(|w| w.bytes().chain([0]).collect())
            .collect();
        let owned: &'static Vec<Vec<u8>> = Box::leak(Box::new(owned));
        let z: &'static Vec<Zstr<'static>> = Box::leak(Box::new(
            owned.iter().map(|w| Zstr::new(w).unwrap()).collect(),
        ));
        match crate::cli::parse(&z[..], false) {
            Ok(crate::cli::Action::Run(c)) => c,
            _ => panic!("{words:?}"),
        }
    }

    fn list<'a>(cfg: &Config<'a>) -> Vec<Op<'a>> {
        let mut v = Vec::new();
        each(cfg, &mut |op| v.push(op));
        v
    }

    fn steps(words: &[&str]) -> Vec<Step> {
        list(&cfg(words)).into_iter().map(Op::step).collect()
    }

    #[test]
    fn a_bare_command_needs_nothing() {
        assert_eq!(steps(&["true"]), []);
        assert_eq!(steps(&["-p", "-u", "-i", "true"]), []);
    }

    #[test]
    fn order_follows_unshare() {
        use Step::*;
        assert_eq!(
            steps(&[
                "-r",
                "-T",
                "--monotonic=5",
                "--hostname=h",
                "--mount-proc",
                "-n",
                "-R",
                "/srv",
                "-w",
                "x",
                "true"
            ]),
            [
                Setgroups,
                GidMap,
                UidMap,
                UnshareTime,
                TimeOffsets,
                SetnsTime,
                Sethostname,
                Propagation,
                Chroot,
                Chdir,
                Chdir,
                MountProc,
                LoopbackUp
            ]
        );
        // No offsets: none written. No group map: setgroups left alone.
        assert_eq!(
            steps(&["-T", "--map-user=0", "true"]),
            [UidMap, UnshareTime, SetnsTime]
        );
        // The mount point of proc is made private unless / was made
        // private or a slave.
        assert_eq!(
            steps(&["--propagation=slave", "--mount-proc", "true"]),
            [Propagation, MountProc]
        );
        assert_eq!(
            steps(&["--propagation=shared", "--mount-proc", "true"]),
            [Propagation, Chdir, ProcPrivate, MountProc, Chdir]
        );
        assert_eq!(
            steps(&["--propagation=unchanged", "--mount-proc", "true"]),
            [Chdir, ProcPrivate, MountProc, Chdir]
        );
    }

    #[test]
    fn wd_is_inside_the_root() {
        let c = cfg(&["-R", "/srv", "-w", "rel", "true"]);
        let ops: Vec<Op> = list(&c);
        assert_eq!(
            ops,
            [
                Op::Chroot(cstr!("/srv")),
                Op::Chdir(cstr!("/")),
                Op::Chdir(cstr!("rel"))
            ]
        );
        let c = cfg(&["-R", "/srv", "true"]);
        assert_eq!(list(&c), [Op::Chroot(cstr!("/srv")), Op::Chdir(cstr!("/"))]);
    }

    #[test]
    fn failures_name_their_operand() {
        let c = cfg(&["--hostname=box", "-R", "/srv", "-w", "/data", "sh"]);
        let f = |step, op| Failure {
            step,
            op,
            errno: Errno::ENOENT,
        };
        assert_eq!(operand_of(&c, f(Step::Sethostname, 0)), Some(&b"box"[..]));
        assert_eq!(operand_of(&c, f(Step::Chroot, 1)), Some(&b"/srv"[..]));
        assert_eq!(operand_of(&c, f(Step::Chdir, 3)), Some(&b"/data"[..]));
        assert_eq!(operand_of(&c, f(Step::Execve, u32::MAX)), Some(&b"sh"[..]));
        assert_eq!(
            operand_of(&c, Failure::new(Step::Clone, Errno::EPERM)),
            None
        );
    }
}
