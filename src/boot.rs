//! The machine's init: nsinit as the first process the kernel starts
//! (`rdinit=/nsinit` of an initramfs, or `init=`). Nothing is mounted yet
//! and, from an initramfs without a /dev/console node, fds 0-2 may not be
//! open. When COMMAND ends, the machine powers off with one line saying
//! how COMMAND ended: init returning would make the kernel panic
//! ("Attempted to kill init!").

use crate::cli::Config;
use crate::cstr;
use crate::out::Line;
use crate::rt::Process;
use crate::step::{self, Failure, Step};
use crate::sys::{self, SigSet, Zstr};
use crate::text;
use linux_raw_sys::general as k;

/// Whether we are the first process of a machine: PID 1 of the initial
/// PID namespace, with CAP_SYS_BOOT. The probe is what an init does first
/// anyway — turn Ctrl-Alt-Del into a SIGINT to init (which our loop
/// forwards to COMMAND) — and the kernel allows it only there: a PID
/// namespace's PID 1 gets EINVAL, one without the capability EPERM.
pub fn first_process(me: i32) -> bool {
    me == 1 && sys::reboot(k::LINUX_REBOOT_CMD_CAD_OFF).is_ok()
}

/// `machine`: what `first_process` found. Anywhere else — a shell, or
/// PID 1 of a PID namespace or container — `--boot` refuses: mounting
/// /proc, /sys and /dev there would cover what the caller sees, and
/// reboot(2) in a PID namespace only kills its init with SIGINT.
#[cold]
#[inline(never)]
pub fn run(cfg: &Config, p: &Process, machine: bool, mask: SigSet) -> u8 {
    if !machine {
        return crate::out::refuse(text!("--boot: not a machine's first process (PID 1 of the initial PID namespace with CAP_SYS_BOOT)"));
    }
    let nosuid = k::MS_NOSUID | k::MS_NODEV | k::MS_NOEXEC;
    mount(cstr!("proc"), cstr!("/proc"), nosuid, b"proc on /proc");
    mount(cstr!("sysfs"), cstr!("/sys"), nosuid, b"sysfs on /sys");
    mount(
        cstr!("devtmpfs"),
        cstr!("/dev"),
        k::MS_NOSUID,
        b"devtmpfs on /dev",
    );
    console();
    let code = crate::spawn::run(cfg, p, mask, 1);
    let end: &[u8] = if cfg.reboot() {
        b"; rebooting"
    } else {
        b"; powering off"
    };
    Line::msg()
        .push_str(cfg.name.bytes())
        .push_str(b" exited with status ")
        .push_u64(code as u64)
        .push_str(end)
        .eprint();
    sys::sync();
    let cmd = if cfg.reboot() {
        k::LINUX_REBOOT_CMD_RESTART
    } else {
        k::LINUX_REBOOT_CMD_POWER_OFF
    };
    let Err(e) = sys::reboot(cmd) else {
        return code;
    };
    // Still here: the probe said we may, yet the kernel refused. Say so
    // and exit with COMMAND's status rather than hang.
    Line::msg()
        .push_str(b"reboot: ")
        .push_errno(e.into_raw())
        .eprint();
    code
}

/// Mounts `fstype` on `dir`, making `dir` if it is missing; one already
/// mounted there (a kernel with CONFIG_DEVTMPFS_MOUNT, a second boot stage)
/// is fine. Failures are reported and the boot goes on: COMMAND may not
/// need what failed.
#[cold]
fn mount(fstype: Zstr, dir: Zstr, flags: u32, what: &[u8]) {
    let _ = sys::mkdir(dir, 0o755);
    match sys::mount(Some(fstype), dir, Some(fstype), flags) {
        Ok(_) | Err(sys::Errno::EBUSY) => {}
        Err(e) => drop(step::report(
            Failure::new(Step::Mount, e),
            Some(what),
            Default::default(),
        )),
    }
}

/// Gives COMMAND a stdin, stdout and stderr on /dev/console where the
/// kernel could not.
#[cold]
fn console() {
    if (0..3).all(sys::is_open) {
        return;
    }
    let Ok(fd) = sys::open_inherited(cstr!("/dev/console"), k::O_RDWR | k::O_NOCTTY) else {
        return;
    };
    for i in 0..3 {
        if !sys::is_open(i) {
            let _ = sys::dup3(fd, i);
        }
    }
    if fd > 2 {
        let _ = sys::close(fd);
    }
}
