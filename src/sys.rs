//! One thin wrapper per system call, named after the kernel's entry point,
//! returning `Result<_, Errno>`. No policy lives here (that is `ops`,
//! `spawn` and `init`); this is the only module besides `arch` and `rt`
//! with `unsafe` code, and each block says why it holds.
//!
//! Only calls that every architecture has: `openat`, `dup3`, `ppoll`,
//! never `open`, `dup2` or `poll`, which arm64 and RISC-V lack.
//!
//! Pointers cross into the kernel as `usize`; every wrapper derives them
//! from Rust references or from the process's initial stack, so the kernel
//! reads and writes only memory we own for as long as the call lasts.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicIsize, AtomicU32, AtomicUsize};
use linux_raw_sys::general as k;
pub use syscalls::Errno;
use syscalls::{syscall, Sysno};

pub type Result<T> = core::result::Result<T, Errno>;

/// A `u32` constant from linux-raw-sys as a syscall argument. The one place
/// where the bindings' `u32`s meet the `usize` of the syscall ABI.
#[inline(always)]
pub const fn c(v: u32) -> usize {
    v as usize
}

/// A NUL-terminated byte string: its bytes and the NUL in one slice.
/// `core::ffi::CStr` would do, but its checked constructors cost half a
/// kilobyte; here the invariant is just "the last byte is 0", which is all
/// the kernel needs to never read past the end.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Zstr<'a>(&'a [u8]);

impl<'a> Zstr<'a> {
    /// `with_nul` must end in a NUL; checked at compile time for literals.
    pub const fn lit(with_nul: &'a [u8]) -> Zstr<'a> {
        assert!(!with_nul.is_empty() && with_nul[with_nul.len() - 1] == 0);
        Zstr(with_nul)
    }

    pub fn new(with_nul: &'a [u8]) -> Option<Zstr<'a>> {
        match with_nul.last() {
            Some(0) => Some(Zstr(with_nul)),
            _ => None,
        }
    }

    /// The string at `s`, up to and including its NUL.
    ///
    /// # Safety
    /// `s` points at a NUL-terminated string that lives for `'a`.
    pub unsafe fn from_ptr(s: *const u8) -> Zstr<'a> {
        let mut n = 0;
        // SAFETY: every byte up to and including the NUL is readable; we
        // stop at the NUL.
        while unsafe { *s.add(n) } != 0 {
            n += 1;
        }
        // SAFETY: n + 1 bytes, the NUL included, are readable for 'a.
        Zstr(unsafe { core::slice::from_raw_parts(s, n + 1) })
    }

    /// Without the NUL.
    pub fn bytes(&self) -> &'a [u8] {
        &self.0[..self.0.len() - 1]
    }

    /// With the NUL.
    pub fn with_nul(&self) -> &'a [u8] {
        self.0
    }

    fn ptr(&self) -> usize {
        self.0.as_ptr() as usize
    }
}

/// A `Zstr` literal: `cstr!("/proc")`.
#[macro_export]
macro_rules! cstr {
    ($s:literal) => {{
        // A constant: the NUL check happens at compile time.
        const Z: $crate::sys::Zstr<'static> = $crate::sys::Zstr::lit(concat!($s, "\0").as_bytes());
        Z
    }};
}

/// A NULL-terminated array of C strings, for execve: from the initial
/// stack (`rt::Process`), or an `ArgvBuf` of nsinit's own making.
#[derive(Clone, Copy)]
pub struct Argv<'a>(*const *const u8, PhantomData<&'a [u8]>);

impl<'a> Argv<'a> {
    /// # Safety
    /// `p` points at a NULL-terminated array of pointers to NUL-terminated
    /// strings, all of which live for `'a`.
    pub unsafe fn from_raw(p: *const *const u8) -> Argv<'a> {
        Argv(p, PhantomData)
    }

    /// The strings, in order.
    pub fn iter(self) -> impl Iterator<Item = Zstr<'a>> {
        let mut p = self.0;
        core::iter::from_fn(move || {
            // SAFETY: the array is NULL-terminated (from_raw's contract),
            // and we never step past the NULL.
            let s = unsafe { *p };
            if s.is_null() {
                return None;
            }
            // SAFETY: not at the NULL yet, so the next slot is in the array.
            p = unsafe { p.add(1) };
            // SAFETY: a string of the array, which lives for 'a.
            Some(unsafe { Zstr::from_ptr(s) })
        })
    }
}

/// Up to three words as an `Argv`, NULL-terminated.
pub struct ArgvBuf<'a>([*const u8; 4], PhantomData<&'a [u8]>);

impl<'a> ArgvBuf<'a> {
    pub fn new(words: &[Zstr<'a>]) -> ArgvBuf<'a> {
        let mut a = [core::ptr::null(); 4];
        for (slot, w) in a[..3].iter_mut().zip(words) {
            *slot = w.0.as_ptr();
        }
        ArgvBuf(a, PhantomData)
    }

    pub fn argv(&self) -> Argv<'_> {
        Argv(self.0.as_ptr(), PhantomData)
    }
}

/// `["/bin/sh", NULL]`: a machine's COMMAND when it is given none, ready
/// made (building it costs more code than these 16 bytes of table).
pub fn shell_argv() -> Argv<'static> {
    struct Words([*const u8; 2]);
    // SAFETY: pointers to a literal, never written: sharing them between
    // threads is sharing the literal.
    unsafe impl Sync for Words {}
    static SH: Words = Words([c"/bin/sh".as_ptr().cast(), core::ptr::null()]);
    Argv(SH.0.as_ptr(), PhantomData)
}

/// `write(2)`.
pub fn write(fd: i32, buf: &[u8]) -> Result<usize> {
    // SAFETY: the kernel reads buf.len() bytes from a live slice.
    unsafe { syscall!(Sysno::write, fd, buf.as_ptr(), buf.len()) }
}

/// `read(2)`.
pub fn read(fd: i32, buf: &mut [u8]) -> Result<usize> {
    // SAFETY: the kernel writes at most buf.len() bytes into a live slice.
    unsafe { syscall!(Sysno::read, fd, buf.as_mut_ptr(), buf.len()) }
}

/// `close(2)`.
pub fn close(fd: i32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::close, fd) }
}

/// `openat(2)` relative to the working directory; always `O_CLOEXEC`, so
/// nothing nsinit opens leaks into COMMAND.
pub fn open(path: Zstr, flags: u32) -> Result<i32> {
    open_inherited(path, flags | k::O_CLOEXEC)
}

/// `openat(2)` as asked, without adding `O_CLOEXEC`: only for the console
/// that becomes the machine's stdin, stdout and stderr, which COMMAND must
/// inherit. (nsinit never creates files: no mode.)
pub fn open_inherited(path: Zstr, flags: u32) -> Result<i32> {
    // SAFETY: path is NUL-terminated and outlives the call.
    unsafe { syscall!(Sysno::openat, k::AT_FDCWD, path.ptr(), c(flags), 0) }.map(|fd| fd as i32)
}

/// `fcntl(2)` `F_GETFD`: whether `fd` is open.
pub fn is_open(fd: i32) -> bool {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fcntl, fd, c(k::F_GETFD)) }.is_ok()
}

/// `fcntl(2)` `F_DUPFD_CLOEXEC`: a close-on-exec copy of `fd` numbered
/// `min` or above.
pub fn dup_above(fd: i32, min: i32) -> Result<i32> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fcntl, fd, c(k::F_DUPFD_CLOEXEC), min) }.map(|fd| fd as i32)
}

/// `fcntl(2)` `F_SETOWN`: who gets the SIGIO of an `O_ASYNC` descriptor.
pub fn fcntl_setown(fd: i32, pid: i32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fcntl, fd, c(k::F_SETOWN), pid) }
}

/// `fcntl(2)` `F_SETFL`: the file status flags (`O_ASYNC`, `O_NONBLOCK`).
pub fn fcntl_setfl(fd: i32, flags: u32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fcntl, fd, c(k::F_SETFL), c(flags)) }
}

/// `dup3(2)`, without `O_CLOEXEC`: `new` is to be inherited.
pub fn dup3(old: i32, new: i32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::dup3, old, new, 0) }
}

/// `mkdirat(2)` relative to the working directory.
pub fn mkdir(path: Zstr, mode: u32) -> Result<usize> {
    // SAFETY: path is NUL-terminated and outlives the call.
    unsafe { syscall!(Sysno::mkdirat, k::AT_FDCWD, path.ptr(), c(mode)) }
}

/// `sync(2)`.
pub fn sync() {
    // SAFETY: no arguments.
    let _ = unsafe { syscall!(Sysno::sync) };
}

/// `reboot(2)` with `cmd` (`LINUX_REBOOT_CMD_*`).
// Inlined (opt-level "z" would not): at each call site the result is
// tested one way only, and the Result between the two falls away.
#[inline(always)]
pub fn reboot(cmd: u32) -> Result<usize> {
    let (m1, m2) = (c(k::LINUX_REBOOT_MAGIC1), c(k::LINUX_REBOOT_MAGIC2));
    // SAFETY: no memory is passed for these commands.
    unsafe { syscall!(Sysno::reboot, m1, m2, c(cmd), 0) }
}

/// `pipe2(2)` with `O_CLOEXEC`: returns (read end, write end).
pub fn pipe() -> Result<(i32, i32)> {
    let mut fds = [0i32; 2];
    // SAFETY: the kernel writes two ints into fds.
    unsafe { syscall!(Sysno::pipe2, fds.as_mut_ptr(), c(k::O_CLOEXEC)) }?;
    Ok((fds[0], fds[1]))
}

/// `ppoll(2)` on one descriptor without waiting: returns its `revents`.
pub fn poll_now(fd: i32, events: u32) -> Result<u32> {
    let mut p = k::pollfd {
        fd,
        events: events as i16,
        revents: 0,
    };
    let zero = k::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: one pollfd and a timespec, live for the call; no sigmask.
    unsafe {
        syscall!(
            Sysno::ppoll,
            &mut p as *mut k::pollfd,
            1,
            &zero as *const k::timespec,
            0,
            0
        )
    }?;
    Ok(p.revents as u16 as u32)
}

/// `exit_group(2)`: end the process (every thread; there is only one).
pub fn exit(code: u8) -> ! {
    // SAFETY: exit_group does not return and touches no memory of ours.
    unsafe {
        let _ = syscall!(Sysno::exit_group, code as usize);
    }
    loop {
        core::hint::spin_loop();
    }
}

/// `getpid(2)`.
pub fn getpid() -> i32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { syscall!(Sysno::getpid) }.unwrap_or(0) as i32
}

/// `getppid(2)`: 0 when the parent is outside our PID namespace.
pub fn getppid() -> i32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { syscall!(Sysno::getppid) }.unwrap_or(0) as i32
}

/// `geteuid(2)`, `getegid(2)`.
pub fn geteuid() -> u32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { syscall!(Sysno::geteuid) }.unwrap_or(0) as u32
}
pub fn getegid() -> u32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { syscall!(Sysno::getegid) }.unwrap_or(0) as u32
}

/// `setpgid(2)`.
pub fn setpgid(pid: i32, pgid: i32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::setpgid, pid, pgid) }
}

/// `getpgid(2)`: the process group of `pid` (0: ourselves).
pub fn getpgid(pid: i32) -> Result<i32> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getpgid, pid) }.map(|g| g as i32)
}

/// Our own process group: `getpgid(0)` cannot fail.
pub fn getpgrp() -> i32 {
    getpgid(0).unwrap_or(0)
}

/// `getsid(2)`: the session of `pid` (0: ourselves).
pub fn getsid(pid: i32) -> Result<i32> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::getsid, pid) }.map(|g| g as i32)
}

/// `tcgetpgrp(3)`: the foreground process group of terminal `fd`.
pub fn tcgetpgrp(fd: i32) -> Result<i32> {
    let mut pgrp = 0i32;
    // SAFETY: TIOCGPGRP fills a pid_t.
    unsafe { ioctl(fd, linux_raw_sys::ioctl::TIOCGPGRP, &mut pgrp) }?;
    Ok(pgrp)
}

/// `tcsetpgrp(3)`: make `pgrp` the foreground process group of `fd`.
// Inlined, as `reboot`: its callers ignore the result.
#[inline(always)]
pub fn tcsetpgrp(fd: i32, mut pgrp: i32) -> Result<usize> {
    // SAFETY: TIOCSPGRP reads a pid_t.
    unsafe { ioctl(fd, linux_raw_sys::ioctl::TIOCSPGRP, &mut pgrp) }
}

/// `clock_gettime(2)` of `CLOCK_MONOTONIC`, in nanoseconds.
pub fn monotonic_ns() -> u64 {
    let mut ts = k::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: the kernel fills one live timespec. (A syscall, not the vDSO:
    // nsinit does not parse the vDSO's ELF to find it.)
    let _ = unsafe {
        syscall!(
            Sysno::clock_gettime,
            c(k::CLOCK_MONOTONIC),
            &mut ts as *mut k::timespec
        )
    };
    ts.tv_sec as u64 * 1_000_000_000 + ts.tv_nsec as u64
}

/// `kill(2)`.
pub fn kill(pid: i32, sig: u32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::kill, pid as isize as usize, c(sig)) }
}

/// `wait4(2)` for `pid` (or -1 for any child): returns (pid, wait status);
/// pid 0 means `WNOHANG` found nothing yet.
pub fn wait4(pid: i32, options: u32) -> Result<(i32, i32)> {
    let mut status = 0i32;
    // SAFETY: the kernel writes one int; no rusage.
    let r = unsafe {
        syscall!(
            Sysno::wait4,
            pid as isize as usize,
            &mut status as *mut i32,
            c(options),
            0
        )
    }?;
    Ok((r as i32, status))
}

/// A kernel signal set (`sigset_t` as the kernel sees it: 64 bits).
pub type SigSet = u64;
pub const SIGSET_SIZE: usize = core::mem::size_of::<SigSet>();

/// The set holding signal `sig` alone.
pub const fn sigbit(sig: u32) -> SigSet {
    1 << (sig - 1)
}

/// `rt_sigprocmask(2)`: returns the previous mask.
pub fn sigprocmask(how: u32, set: &SigSet) -> Result<SigSet> {
    let mut old: SigSet = 0;
    // SAFETY: both sets are live u64s of the size we pass.
    unsafe {
        syscall!(
            Sysno::rt_sigprocmask,
            c(how),
            set as *const SigSet,
            &mut old as *mut SigSet,
            SIGSET_SIZE
        )
    }?;
    Ok(old)
}

/// Who sent a signal, from its `siginfo_t`: the fields every sender fills.
#[derive(Clone, Copy, Default, Debug, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: u32,
    /// `SI_USER` (0) from kill(2), > 0 when the kernel raised it.
    pub code: i32,
    /// The sender's PID as our PID namespace sees it (0: from outside).
    pub pid: i32,
}

/// `rt_sigtimedwait(2)`: take one pending signal of `set`, waiting at most
/// `timeout` (forever when `None`).
pub fn sigtimedwait(set: &SigSet, timeout: Option<&k::timespec>) -> Result<SigInfo> {
    // siginfo_t is 128 bytes: si_signo, si_errno, si_code (three ints),
    // padding to 8, then the union, whose kill(2) form starts with si_pid.
    let mut info = [0i32; 32];
    let ts = timeout.map_or(0, |t| t as *const k::timespec as usize);
    // SAFETY: set, info and timeout are live for the call; info has the
    // kernel's 128 bytes.
    unsafe {
        syscall!(
            Sysno::rt_sigtimedwait,
            set as *const SigSet,
            info.as_mut_ptr(),
            ts,
            SIGSET_SIZE
        )
    }?;
    Ok(SigInfo {
        signo: info[0] as u32,
        code: info[2],
        pid: info[4],
    })
}

/// `rt_sigaction(2)` setting `sig` to `SIG_DFL`, or `SIG_IGN` if `ignore`
/// (no handler, so no restorer is needed); returns whether it was ignored
/// before.
pub fn sigdefault(sig: u32, ignore: bool) -> Result<bool> {
    // SAFETY: all-zero is a valid kernel_sigaction: SIG_DFL, no flags, no
    // restorer, empty mask.
    let mut act: k::kernel_sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: SIG_IGN is the handler value 1, never called.
    act.sa_handler_kernel =
        unsafe { core::mem::transmute::<usize, k::__kernel_sighandler_t>(ignore as usize) };
    // SAFETY: as above, for the old action the kernel fills in.
    let mut old: k::kernel_sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: both actions are live for the call.
    unsafe {
        syscall!(
            Sysno::rt_sigaction,
            c(sig),
            &act as *const k::kernel_sigaction,
            &mut old as *mut k::kernel_sigaction,
            SIGSET_SIZE
        )
    }?;
    Ok(old.sa_handler_kernel.map_or(0, |h| h as usize) == 1)
}

/// `prctl(2)` with an integer argument (the options nsinit uses take no
/// pointers).
fn prctl(option: u32, arg: usize) -> Result<usize> {
    // SAFETY: these options take integers, not pointers.
    unsafe { syscall!(Sysno::prctl, c(option), arg, 0, 0, 0) }
}

/// `prctl(2)` `PR_SET_PDEATHSIG`: `sig` when our parent dies.
pub fn set_pdeathsig(sig: u32) -> Result<usize> {
    prctl(linux_raw_sys::prctl::PR_SET_PDEATHSIG, c(sig))
}

/// `prctl(2)` `PR_SET_CHILD_SUBREAPER`: orphaned descendants become ours.
pub fn set_child_subreaper() -> Result<usize> {
    prctl(linux_raw_sys::prctl::PR_SET_CHILD_SUBREAPER, 1)
}

/// `sethostname(2)`.
pub fn sethostname(name: &[u8]) -> Result<usize> {
    // SAFETY: the kernel reads name.len() bytes.
    unsafe { syscall!(Sysno::sethostname, name.as_ptr(), name.len()) }
}

/// `mount(2)`.
pub fn mount(src: Option<Zstr>, target: Zstr, fstype: Option<Zstr>, flags: u32) -> Result<usize> {
    let opt = |s: Option<Zstr>| s.map_or(0, |s| s.ptr());
    // SAFETY: every string is NUL-terminated and live; no data argument.
    unsafe {
        syscall!(
            Sysno::mount,
            opt(src),
            target.ptr(),
            opt(fstype),
            c(flags),
            0
        )
    }
}

/// `chdir(2)`.
pub fn chdir(path: Zstr) -> Result<usize> {
    // SAFETY: NUL-terminated, live.
    unsafe { syscall!(Sysno::chdir, path.ptr()) }
}

/// `fchdir(2)`.
pub fn fchdir(fd: i32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::fchdir, fd) }
}

/// `chroot(2)`.
pub fn chroot(path: Zstr) -> Result<usize> {
    // SAFETY: NUL-terminated, live.
    unsafe { syscall!(Sysno::chroot, path.ptr()) }
}

/// `unshare(2)`.
pub fn unshare(flags: u32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::unshare, c(flags)) }
}

/// `setns(2)`.
pub fn setns(fd: i32, nstype: u32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::setns, fd, c(nstype)) }
}

/// `socket(2)`, always close-on-exec.
pub fn socket(domain: u32, ty: u32) -> Result<i32> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::socket, c(domain), c(ty | k::O_CLOEXEC), 0) }.map(|fd| fd as i32)
}

/// `ioctl(2)` whose argument is a struct the kernel reads or fills.
///
/// # Safety
/// `T` is the type the kernel expects for `req`.
unsafe fn ioctl<T>(fd: i32, req: u32, arg: &mut T) -> Result<usize> {
    // SAFETY: arg is a live, exclusively borrowed T of the type `req`
    // takes (the caller's contract).
    unsafe { syscall!(Sysno::ioctl, fd, c(req), arg as *mut T) }
}

/// `struct ifreq` with the `ifr_flags` member of its union, which is all
/// SIOCSIFFLAGS reads: 16 bytes of name, then a 24-byte union.
#[repr(C)]
struct IfreqFlags {
    name: [u8; 16],
    flags: i16,
    _pad: [u8; 22],
}

/// `ioctl(2)` `SIOCSIFFLAGS` on a socket: set interface `name`'s flags.
pub fn set_iface_flags(sock: i32, name: &[u8], flags: u32) -> Result<usize> {
    let mut req = IfreqFlags {
        name: [0; 16],
        flags: flags as i16,
        _pad: [0; 22],
    };
    // At most 15 bytes: the name's NUL stays.
    for (d, s) in req.name[..15].iter_mut().zip(name) {
        *d = *s;
    }
    // SAFETY: SIOCSIFFLAGS takes a struct ifreq, whose first 18 bytes
    // IfreqFlags lays out, in a buffer of the full 40.
    unsafe { ioctl(sock, linux_raw_sys::ioctl::SIOCSIFFLAGS, &mut req) }
}

/// `readlinkat(2)` relative to the working directory, into `buf`; the
/// result gets a NUL so that it can be a path again (ENAMETOOLONG when
/// there is no room for it).
#[cold]
pub fn readlink<'a>(path: Zstr, buf: &'a mut [u8]) -> Result<Zstr<'a>> {
    // SAFETY: path is NUL-terminated; the kernel writes at most buf.len()
    // bytes into a live slice.
    let n = unsafe {
        syscall!(
            Sysno::readlinkat,
            k::AT_FDCWD,
            path.ptr(),
            buf.as_mut_ptr(),
            buf.len()
        )
    }?;
    if n >= buf.len() {
        return Err(Errno::ENAMETOOLONG);
    }
    buf[n] = 0;
    Ok(Zstr(&buf[..=n]))
}

/// `prlimit64(2)` on ourselves: sets `resource` to `new` if given, and
/// returns the limit as it was, (soft, hard).
#[cold]
pub fn prlimit(resource: u32, new: Option<(u64, u64)>) -> Result<(u64, u64)> {
    let set = new.map(|(cur, max)| k::rlimit64 {
        rlim_cur: cur,
        rlim_max: max,
    });
    let mut old = k::rlimit64 {
        rlim_cur: 0,
        rlim_max: 0,
    };
    let set_ptr = set.as_ref().map_or(0, |r| r as *const k::rlimit64 as usize);
    // SAFETY: both rlimits are live for the call; pid 0 is ourselves.
    unsafe {
        syscall!(
            Sysno::prlimit64,
            0,
            c(resource),
            set_ptr,
            &mut old as *mut k::rlimit64
        )
    }?;
    Ok((old.rlim_cur, old.rlim_max))
}

/// `n` zeroed `u64`s of fresh anonymous memory that fork-style children do
/// not inherit (`MADV_DONTFORK`): however large, it adds nothing to the
/// page tables a fork copies. Never unmapped.
#[cold]
pub fn anon_dontfork(n: usize) -> Result<&'static mut [u64]> {
    let len = n.checked_mul(8).ok_or(Errno::ENOMEM)?.max(1);
    let prot = k::PROT_READ | k::PROT_WRITE;
    let flags = k::MAP_PRIVATE | k::MAP_ANONYMOUS;
    // SAFETY: a new mapping at an address of the kernel's choosing; no
    // memory of ours is touched.
    let addr = unsafe { syscall!(Sysno::mmap, 0, len, c(prot), c(flags), -1isize as usize, 0) }?;
    // SAFETY: only advice about the mapping just made.
    unsafe { syscall!(Sysno::madvise, addr, len, c(k::MADV_DONTFORK)) }?;
    // SAFETY: len bytes of zeroed, writable, 8-byte-aligned (page-aligned)
    // memory that nothing else refers to and that is never unmapped; zero
    // is a valid u64.
    Ok(unsafe { core::slice::from_raw_parts_mut(addr as *mut u64, n) })
}

/// A robust list of one futex: the kernel's `struct robust_list_head`,
/// its one entry (a `struct robust_list`), and that entry's futex word.
/// Atomics, so that a zero-initialised static (in .bss, no file bytes)
/// can be filled in without `unsafe`.
#[repr(C)]
pub struct RobustFutex {
    /// `head.list.next`: the entry.
    pub list_next: AtomicUsize,
    /// `head.futex_offset`: from the entry to its futex word.
    pub futex_offset: AtomicIsize,
    /// `head.list_op_pending`: none.
    pub pending: AtomicUsize,
    /// The entry's `next`: back to `head.list`, closing the circle.
    pub entry_next: AtomicUsize,
    /// The futex word.
    pub word: AtomicU32,
}

/// `set_robust_list(2)`: the futexes the kernel marks `FUTEX_OWNER_DIED`
/// when this thread dies, however it dies.
pub fn set_robust_list(head: &'static RobustFutex) -> Result<usize> {
    const _: () = assert!(
        core::mem::offset_of!(RobustFutex, entry_next)
            == core::mem::size_of::<k::robust_list_head>()
    );
    let size = core::mem::size_of::<k::robust_list_head>();
    // SAFETY: the kernel keeps the pointer for the thread's life: 'static.
    // It reads the list, and writes only the futex words the list leads
    // to, which are atomics.
    unsafe { syscall!(Sysno::set_robust_list, head as *const RobustFutex, size) }
}

/// Raw `clone(2)` through the trampoline (`arch::clone`).
///
/// # Safety
/// As `arch::clone`: `top` is the aligned end of a stack nothing else uses
/// while the child runs, `func(arg)` never returns, and `flags` holds no
/// option that takes a pointer or makes a thread.
pub unsafe fn clone(
    flags: u32,
    top: *mut u8,
    func: unsafe extern "C" fn(*mut u8) -> !,
    arg: *mut u8,
) -> isize {
    // SAFETY: the caller's contract.
    unsafe { crate::arch::clone(c(flags), top, func, arg) }
}

/// `execve(2)`: returns only on failure.
pub fn execve(path: Zstr, argv: Argv, envp: Argv) -> Errno {
    // SAFETY: path is NUL-terminated; argv and envp are NULL-terminated
    // arrays of NUL-terminated strings, live for their lifetimes (see
    // `Argv`).
    match unsafe { syscall!(Sysno::execve, path.ptr(), argv.0, envp.0) } {
        Err(e) => e,
        Ok(_) => Errno::EINVAL,
    }
}
