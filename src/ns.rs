//! Inside the child, after clone(2): the namespaces' contents. Each step
//! returns the `Step` that failed with its errno; `spawn` reports it to the
//! parent. The order follows unshare(1): identity first (user maps, which
//! every later step's permission checks depend on), then the time
//! namespace, hostname, mounts, root and directory, and the network last.

use crate::cli::{Config, Propagation};
use crate::out::Line;
use crate::spawn::Step;
use crate::sys::Zstr;
use crate::sys::{self, Errno};
use crate::z;
use linux_raw_sys::general as k;

pub type Result = core::result::Result<(), (Step, Errno)>;

trait At<T> {
    fn at(self, step: Step) -> core::result::Result<T, (Step, Errno)>;
}

impl<T> At<T> for sys::Result<T> {
    fn at(self, step: Step) -> core::result::Result<T, (Step, Errno)> {
        self.map_err(|e| (step, e))
    }
}

/// Who we were before the user namespace: the ids the maps point at.
#[derive(Clone, Copy)]
pub struct Outside {
    pub uid: u32,
    pub gid: u32,
}

pub fn setup(cfg: &Config, outside: Outside) -> Result {
    if cfg.has(k::CLONE_NEWUSER) {
        // Unprivileged writers may map only their own id, and only after
        // giving up setgroups(2) for good (user_namespaces(7)); a
        // privileged writer loses nothing it could have used inside.
        if let Some(gid) = cfg.map_group {
            write_file(cfg, Step::Setgroups, z!("/proc/self/setgroups"), b"deny")?;
            write_map(
                cfg,
                Step::GidMap,
                z!("/proc/self/gid_map"),
                gid,
                outside.gid,
            )?;
        }
        if let Some(uid) = cfg.map_user {
            write_map(
                cfg,
                Step::UidMap,
                z!("/proc/self/uid_map"),
                uid,
                outside.uid,
            )?;
        }
    }
    if cfg.time {
        time_namespace(cfg)?;
    }
    if let Some(name) = cfg.hostname {
        crate::spawn::verbose(cfg, Step::Sethostname);
        sys::sethostname(name).at(Step::Sethostname)?;
    }
    if cfg.has(k::CLONE_NEWNS) {
        // A new mount namespace starts as a copy whose mounts still share
        // propagation with the host's: without this, mounting proc below
        // would reach the host's /proc (the tutorial's bug).
        if let Some(flag) = cfg.propagation.flag() {
            crate::spawn::verbose(cfg, Step::Propagation);
            sys::mount(None, z!("/"), None, k::MS_REC | flag).at(Step::Propagation)?;
        }
    }
    if let Some(root) = cfg.root {
        crate::spawn::verbose(cfg, Step::Chroot);
        sys::chroot(root).at(Step::Chroot)?;
    }
    if let Some(wd) = cfg.wd.or(cfg.root.map(|_| z!("/"))) {
        crate::spawn::verbose(cfg, Step::Chdir);
        sys::chdir(wd).at(Step::Chdir)?;
    }
    if let Some(dir) = cfg.mount_proc {
        // Unless / was just made private, DIR may still propagate to the
        // caller's namespace: a proc mounted there would cover the
        // caller's /proc with one that dies with our PID namespace. Make
        // DIR private first, as util-linux's unshare does; on a DIR that
        // is not a mount point the kernel refuses (EINVAL), and so do we.
        if cfg.propagation != Propagation::Private {
            crate::spawn::verbose(cfg, Step::ProcPrivate);
            sys::mount(None, dir, None, k::MS_REC | k::MS_PRIVATE).at(Step::ProcPrivate)?;
        }
        crate::spawn::verbose(cfg, Step::MountProc);
        let flags = k::MS_NOSUID | k::MS_NODEV | k::MS_NOEXEC;
        sys::mount(Some(z!("proc")), dir, Some(z!("proc")), flags).at(Step::MountProc)?;
    }
    if cfg.has(k::CLONE_NEWNET) {
        crate::spawn::verbose(cfg, Step::LoopbackUp);
        loopback_up().at(Step::LoopbackUp)?;
    }
    Ok(())
}

fn write_file(cfg: &Config, step: Step, path: Zstr, data: &[u8]) -> Result {
    crate::spawn::verbose(cfg, step);
    let fd = sys::open(path, k::O_WRONLY).at(step)?;
    let r = sys::write(fd, data);
    let _ = sys::close(fd);
    // The kernel takes a map in one write or not at all.
    match r {
        Ok(n) if n == data.len() => Ok(()),
        Ok(_) => Err((step, Errno::EIO)),
        Err(e) => Err((step, e)),
    }
}

/// One line, `inside outside 1`: the single id an unprivileged user may map.
fn write_map(cfg: &Config, step: Step, path: Zstr, inside: u32, outside: u32) -> Result {
    let mut l = Line::default();
    l.u(inside as u64).s(b" ").u(outside as u64).s(b" 1\n");
    write_file(cfg, step, path, l.as_bytes())
}

/// Legacy clone() has no bit for CLONE_NEWTIME (0x80 is in its exit-signal
/// byte), and offsets can be set only before any process lives in the
/// namespace. So: create it for our children, set the offsets, then move
/// ourselves in with setns(2) — which the kernel allows only to a process
/// that shares its memory with nobody, hence fork-style clone for `-T`.
fn time_namespace(cfg: &Config) -> Result {
    crate::spawn::verbose(cfg, Step::UnshareTime);
    sys::unshare(k::CLONE_NEWTIME).at(Step::UnshareTime)?;
    if cfg.monotonic.is_some() || cfg.boottime.is_some() {
        let mut l = Line::default();
        if let Some(s) = cfg.monotonic {
            l.s(b"monotonic ").i(s).s(b" 0\n");
        }
        if let Some(s) = cfg.boottime {
            l.s(b"boottime ").i(s).s(b" 0\n");
        }
        write_file(
            cfg,
            Step::TimeOffsets,
            z!("/proc/self/timens_offsets"),
            l.as_bytes(),
        )?;
    }
    crate::spawn::verbose(cfg, Step::SetnsTime);
    let fd = sys::open(z!("/proc/self/ns/time_for_children"), k::O_RDONLY).at(Step::SetnsTime)?;
    let r = sys::setns(fd, k::CLONE_NEWTIME);
    let _ = sys::close(fd);
    r.map(drop).at(Step::SetnsTime)
}

/// A new network namespace has only `lo`, and it is down; bring it up so
/// COMMAND can talk to itself, as unshare(1) and bwrap do.
fn loopback_up() -> sys::Result<()> {
    let fd = sys::socket(linux_raw_sys::net::AF_INET, linux_raw_sys::net::SOCK_DGRAM)?;
    let up = linux_raw_sys::net::net_device_flags::IFF_UP as u32;
    let r = sys::set_iface_flags(fd, b"lo", up);
    let _ = sys::close(fd);
    r.map(drop)
}
