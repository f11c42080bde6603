//! The vocabulary of setup: every step between argv and execve that can
//! fail, how a message names it, the advice for errors a user can act on,
//! and the record of a failure that crosses from a child to the nsinit
//! that reports it. A leaf: `ops`, `spawn` and `bench` all speak it.

use crate::out::Line;
use crate::rt::Namespaces;
use crate::sys::Errno;
use crate::text;
use crate::text::Text;
use linux_raw_sys::general as k;

named! {
    text
    /// Every step that can fail, with what messages call it.
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
        Mount = "mount",
        CloneCommand = "clone COMMAND",
        Execve = "execve",
    }
}

/// What went wrong in a child: the step, which operation of the setup
/// list it was (so the reporter can name its operand), and the errno. It
/// crosses the process boundary as one `u64`: through the memory a
/// `CLONE_VM` child shares with its parent, or a pipe.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Failure {
    pub step: Step,
    /// Position in `ops::each`'s list of the failing operation; `u32::MAX` for
    /// steps outside the list (clone, lifeline, execve).
    pub op: u32,
    pub errno: Errno,
}

impl Failure {
    pub fn new(step: Step, errno: Errno) -> Failure {
        Failure {
            step,
            op: u32::MAX,
            errno,
        }
    }

    /// Never 0, which stands for "no failure".
    pub fn encode(self) -> u64 {
        1 << 63
            | (self.op as u64) << 24
            | (self.errno.into_raw() as u16 as u64) << 8
            | self.step as u64
    }

    #[inline(never)]
    pub fn decode(v: u64) -> Option<Failure> {
        if v >> 63 == 0 {
            return None;
        }
        Some(Failure {
            step: Step::from_u8(v as u8)?,
            op: (v >> 24) as u32,
            errno: Errno::new((v >> 8) as u16 as i32),
        })
    }

    /// 127 when COMMAND was not found, 126 when it could not be run, 125
    /// for nsinit's own failures (env(1), chroot(1), timeout(1), docker).
    pub fn status(self) -> u8 {
        match (self.step, self.errno) {
            (Step::Execve, Errno::ENOENT) => 127,
            (Step::Execve, _) => 126,
            _ => 125,
        }
    }
}

/// `sethostname box`, `chdir /srv`, `execve sh`: the step and what it was
/// applied to.
#[cold]
pub fn describe(l: &mut Line, step: Step, operand: Option<&[u8]>) {
    l.push_text(step.name());
    if let Some(a) = operand {
        // "mount --make-r" + "private /" reads as mount(8) would say it.
        if step != Step::Propagation {
            l.push_str(b" ");
        }
        l.push_str(a);
    }
}

/// Advice for the errors a user can do something about, given the
/// namespaces that were asked for.
#[cold]
pub fn hint(step: Step, e: Errno, ns: Namespaces) -> Option<Text> {
    let user = ns.has(k::CLONE_NEWUSER);
    Some(match (step, e) {
        (Step::Clone | Step::UnshareTime, Errno::EPERM) if user => {
            text!("user namespaces are refused in a chroot, and where disabled (sysctl kernel.unprivileged_userns_clone, AppArmor, SELinux)")
        }
        (Step::Clone | Step::UnshareTime | Step::Sethostname, Errno::EPERM) => {
            text!("needs CAP_SYS_ADMIN, or add --user")
        }
        (Step::Chroot, Errno::EPERM) => text!("needs CAP_SYS_CHROOT, or add --user"),
        (Step::Clone | Step::UnshareTime, Errno::ENOSPC) => {
            text!("namespace limit reached: /proc/sys/user/max_*_namespaces, or PID or user namespaces nested 32 deep")
        }
        (Step::Clone, Errno::EINVAL) => text!("the kernel lacks a requested namespace"),
        (Step::UnshareTime, Errno::EINVAL) => text!("the kernel lacks time namespaces"),
        (Step::MountProc, Errno::EPERM) if user && !ns.has(k::CLONE_NEWPID) => {
            text!("a user namespace cannot mount the host's proc: add --pid")
        }
        (Step::Pipe, Errno::EMFILE) => {
            text!("RLIMIT_NOFILE leaves no descriptor even at its hard limit (-p and -T need one)")
        }
        (_, Errno::EMFILE) => {
            text!("RLIMIT_NOFILE leaves no descriptor even at its hard limit")
        }
        (Step::ProcPrivate, Errno::EINVAL) => {
            text!(
                "--mount-proc with --propagation=shared or unchanged needs DIR to be a mount point"
            )
        }
        _ => return None,
    })
}

/// `-v`: one line per step, before it runs.
#[inline(always)]
pub fn verbose(on: bool, step: Step, operand: Option<&[u8]>) {
    if on {
        verbose_line(step, operand);
    }
}

#[cold]
#[inline(never)]
fn verbose_line(step: Step, operand: Option<&[u8]>) {
    let mut l = Line::msg();
    describe(&mut l, step, operand);
    l.eprint();
}

/// `nsinit: <step> <operand>: <ERRNO> (<text>)[; <hint>]`; returns the
/// exit status the failure stands for.
#[cold]
pub fn report(f: Failure, operand: Option<&[u8]>, ns: Namespaces) -> u8 {
    let mut l = Line::msg();
    describe(&mut l, f.step, operand);
    l.push_str(b": ").push_errno(f.errno.into_raw());
    if let Some(h) = hint(f.step, f.errno, ns) {
        l.push_str(b"; ").push_text(h);
    }
    l.eprint();
    f.status()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_names_line_up() {
        assert_eq!(
            Step::Subreaper.name().string(),
            "prctl PR_SET_CHILD_SUBREAPER"
        );
        assert_eq!(Step::MountProc.name().string(), "mount proc on");
        assert_eq!(Step::Execve.name().string(), "execve");
        assert_eq!(
            Step::NAMES.0.split(|&b| b == 0).count(),
            Step::ALL.len() + 1
        );
        assert_eq!(Step::ALL.len(), Step::Execve as usize + 1);
        for b in 0..=Step::Execve as u8 {
            assert_eq!(Step::from_u8(b).map(|s| s as u8), Some(b));
        }
        assert_eq!(Step::from_u8(Step::Execve as u8 + 1), None);
    }

    #[test]
    fn failures_cross_as_one_word() {
        for step in Step::ALL {
            for (op, e) in [(0, 1), (7, 36), (u32::MAX, 4095), (65536, 133)] {
                let f = Failure {
                    step: *step,
                    op,
                    errno: Errno::new(e),
                };
                assert_ne!(f.encode(), 0);
                assert_eq!(Failure::decode(f.encode()), Some(f));
            }
        }
        assert_eq!(Failure::decode(0), None);
        assert_eq!(Failure::decode(1 << 63 | 200), None, "no such step");
    }

    #[test]
    fn statuses_of_failures() {
        let st = |s, e| Failure::new(s, e).status();
        assert_eq!(st(Step::Execve, Errno::ENOENT), 127);
        assert_eq!(st(Step::Execve, Errno::EACCES), 126);
        assert_eq!(st(Step::Execve, Errno::ENOEXEC), 126);
        assert_eq!(st(Step::Clone, Errno::EPERM), 125);
        assert_eq!(st(Step::MountProc, Errno::ENOENT), 125);
    }

    #[test]
    fn hints_say_what_to_do() {
        let user = Namespaces::new(k::CLONE_NEWUSER);
        let none = Namespaces::default();
        assert!(hint(Step::Clone, Errno::EPERM, user)
            .unwrap()
            .string()
            .contains("chroot"));
        assert!(hint(Step::Clone, Errno::EPERM, none)
            .unwrap()
            .string()
            .contains("--user"));
        let nospc = hint(Step::Clone, Errno::ENOSPC, none).unwrap().string();
        assert!(nospc.contains("max_*_namespaces") && nospc.contains("nested 32 deep"));
        assert!(hint(Step::MountProc, Errno::EPERM, user).is_some());
        let userpid = Namespaces::new(k::CLONE_NEWUSER | k::CLONE_NEWPID);
        assert!(hint(Step::MountProc, Errno::EPERM, userpid).is_none());
        assert!(hint(Step::Chdir, Errno::ENOENT, none).is_none());
        assert!(hint(Step::Chroot, Errno::EPERM, none)
            .unwrap()
            .string()
            .contains("CAP_SYS_CHROOT"));
    }
}
