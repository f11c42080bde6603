//! One thin wrapper per system call, named after the kernel's entry point,
//! returning `Result<usize, Errno>`. No policy lives here (that is `ns`,
//! `spawn` and `init`); this is the only module besides `arch` with
//! `unsafe` code, and each block says why it holds.
//!
//! Pointers cross into the kernel as `usize`; every wrapper derives them
//! from Rust references or from the process's initial stack, so the kernel
//! reads and writes only memory we own for as long as the call lasts.

use core::marker::PhantomData;
use core::sync::atomic::{AtomicU8, Ordering::Relaxed};
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

/// A `Zstr` literal: `z!("/proc")`.
#[macro_export]
macro_rules! z {
    ($s:literal) => {{
        // A constant: the NUL check happens at compile time.
        const Z: $crate::sys::Zstr<'static> = $crate::sys::Zstr::lit(concat!($s, "\0").as_bytes());
        Z
    }};
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

/// `dup2(2)`.
pub fn dup2(old: i32, new: i32) -> Result<usize> {
    // SAFETY: no memory is passed.
    unsafe { syscall!(Sysno::dup2, old, new) }
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

/// `poll(2)` on one descriptor: returns its `revents`.
pub fn poll1(fd: i32, events: u32, timeout_ms: i32) -> Result<u32> {
    let mut p = k::pollfd {
        fd,
        events: events as i16,
        revents: 0,
    };
    // SAFETY: one pollfd, live for the call.
    unsafe { syscall!(Sysno::poll, &mut p as *mut k::pollfd, 1, timeout_ms) }?;
    Ok(p.revents as u16 as u32)
}

/// `exit_group(2)`: end the process (every thread; there is only one).
pub fn exit(code: u8) -> ! {
    // SAFETY: exit_group does not return and touches no memory of ours.
    unsafe {
        let _ = syscall!(Sysno::exit_group, code as usize);
    }
    unreachable_ud()
}

/// For the `-> !` wrappers, after a call the kernel never returns from.
fn unreachable_ud() -> ! {
    loop {
        core::hint::spin_loop();
    }
}

/// `getpid(2)`.
pub fn getpid() -> i32 {
    // SAFETY: no arguments; cannot fail.
    unsafe { syscall!(Sysno::getpid) }.unwrap_or(0) as i32
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

/// `getpgid(2)` of ourselves: our process group.
pub fn getpgrp() -> i32 {
    // SAFETY: no memory is passed; cannot fail for ourselves.
    unsafe { syscall!(Sysno::getpgid, 0) }.unwrap_or(0) as i32
}

/// `tcgetpgrp(3)`: the foreground process group of terminal `fd`.
pub fn tcgetpgrp(fd: i32) -> Result<i32> {
    let mut pgrp = 0i32;
    // SAFETY: TIOCGPGRP fills a pid_t.
    unsafe { ioctl(fd, linux_raw_sys::ioctl::TIOCGPGRP, &mut pgrp) }?;
    Ok(pgrp)
}

/// `tcsetpgrp(3)`: make `pgrp` the foreground process group of `fd`.
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
    // nsinit does not parse the auxiliary vector to find it.)
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

/// `rt_sigtimedwait(2)`: take one pending signal of `set`, waiting at most
/// `timeout` (forever when `None`). Returns the signal number.
pub fn sigtimedwait(set: &SigSet, timeout: Option<&k::timespec>) -> Result<u32> {
    let ts = timeout.map_or(0, |t| t as *const k::timespec as usize);
    // SAFETY: set and timeout are live for the call; no siginfo is asked for.
    unsafe {
        syscall!(
            Sysno::rt_sigtimedwait,
            set as *const SigSet,
            0,
            ts,
            SIGSET_SIZE
        )
    }
    .map(|s| s as u32)
}

/// `rt_sigaction(2)` setting `sig` to `SIG_DFL` (no handler, so no
/// restorer is needed).
pub fn sigdefault(sig: u32) -> Result<usize> {
    // SAFETY: all-zero is a valid kernel_sigaction: SIG_DFL, no flags, no
    // restorer, empty mask.
    let act: k::kernel_sigaction = unsafe { core::mem::zeroed() };
    // SAFETY: act is live for the call; the old action is not asked for.
    unsafe {
        syscall!(
            Sysno::rt_sigaction,
            c(sig),
            &act as *const k::kernel_sigaction,
            0,
            SIGSET_SIZE
        )
    }
}

/// `prctl(2)` `PR_SET_PDEATHSIG`: `sig` when our parent dies.
pub fn set_pdeathsig(sig: u32) -> Result<usize> {
    // SAFETY: this option takes an integer, not a pointer.
    unsafe {
        syscall!(
            Sysno::prctl,
            c(linux_raw_sys::prctl::PR_SET_PDEATHSIG),
            c(sig),
            0,
            0,
            0
        )
    }
}

/// `prctl(2)` `PR_SET_CHILD_SUBREAPER`: orphaned descendants become ours.
pub fn set_child_subreaper() -> Result<usize> {
    // SAFETY: this option takes an integer, not a pointer.
    unsafe {
        syscall!(
            Sysno::prctl,
            c(linux_raw_sys::prctl::PR_SET_CHILD_SUBREAPER),
            1,
            0,
            0,
            0
        )
    }
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
    let n = name.len().min(15);
    req.name[..n].copy_from_slice(&name[..n]);
    // SAFETY: SIOCSIFFLAGS takes a struct ifreq, whose first 18 bytes
    // IfreqFlags lays out, in a buffer of the full 40.
    unsafe { ioctl(sock, linux_raw_sys::ioctl::SIOCSIFFLAGS, &mut req) }
}

/// `readlinkat(2)` relative to the working directory, into `buf`; the
/// result gets a NUL so that it can be a path again (ENAMETOOLONG when
/// there is no room for it).
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

/// `n` zeroed `u64`s of fresh anonymous memory that fork-style children do
/// not inherit (`MADV_DONTFORK`): however large, it adds nothing to the
/// page tables a fork copies. Never unmapped.
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

/// `mprotect(2)`.
fn mprotect(addr: usize, len: usize, prot: u32) -> Result<usize> {
    // SAFETY: only changes protection of pages we own (the stack slots).
    unsafe { syscall!(Sysno::mprotect, addr, len, c(prot)) }
}

/// The process's initial stack as the kernel laid it out: `argc`, the
/// NULL-terminated `argv`, then the NULL-terminated `envp`.
#[derive(Clone, Copy)]
pub struct Process {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
}

impl Process {
    /// # Safety
    /// `sp` is the stack pointer the kernel handed to `_start`.
    pub unsafe fn from_stack(sp: *const usize) -> Process {
        // SAFETY: the kernel's layout: argc, then argc pointers and a NULL,
        // then the environment.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *const *const u8;
            Process {
                argc,
                argv,
                envp: argv.add(argc + 1),
            }
        }
    }

    pub fn argc(&self) -> usize {
        self.argc
    }

    /// `argv[i]`, for `i < argc`.
    pub fn arg(&self, i: usize) -> Zstr<'static> {
        assert!(i < self.argc);
        // SAFETY: i < argc, so argv[i] is in the array.
        zstr(unsafe { *self.argv.add(i) })
    }

    /// `argv[from..]`, NULL-terminated as execve wants it.
    pub fn args_from(&self, from: usize) -> Argv<'static> {
        assert!(from < self.argc);
        // SAFETY: from < argc: the pointer stays inside the argv array.
        Argv(unsafe { self.argv.add(from) }, PhantomData)
    }

    pub fn envp(&self) -> Argv<'static> {
        Argv(self.envp, PhantomData)
    }

    /// The value of environment variable `name` (given with its `=`).
    pub fn getenv(&self, name_eq: &[u8]) -> Option<Zstr<'static>> {
        let mut p = self.envp;
        loop {
            // SAFETY: envp is NULL-terminated; we stop at the NULL.
            let s = unsafe { *p };
            if s.is_null() {
                return None;
            }
            if let Some(v) = zstr(s).with_nul().strip_prefix(name_eq) {
                return Some(Zstr(v));
            }
            // SAFETY: not past the NULL yet.
            p = unsafe { p.add(1) };
        }
    }
}

/// A string of the initial stack (argv or envp), which the kernel placed
/// NUL-terminated in memory that lives as long as the process.
fn zstr(s: *const u8) -> Zstr<'static> {
    let mut n = 0;
    // SAFETY: every byte up to and including the NUL is the kernel's copy
    // of the string; we stop at the NUL.
    while unsafe { *s.add(n) } != 0 {
        n += 1;
    }
    // SAFETY: n + 1 bytes, the NUL included, are readable for 'static.
    Zstr(unsafe { core::slice::from_raw_parts(s, n + 1) })
}

/// A NULL-terminated array of C strings, for execve: from the initial
/// stack (`'static`), or `Words` of nsinit's own making.
#[derive(Clone, Copy)]
pub struct Argv<'a>(*const *const u8, PhantomData<&'a [u8]>);

/// Up to three words as an `Argv`, NULL-terminated.
pub struct Words<'a>([*const u8; 4], PhantomData<&'a [u8]>);

impl<'a> Words<'a> {
    pub fn new(words: &[Zstr<'a>]) -> Words<'a> {
        let mut a = [core::ptr::null(); 4];
        for (slot, w) in a[..3].iter_mut().zip(words) {
            *slot = w.0.as_ptr();
        }
        Words(a, PhantomData)
    }

    pub fn argv(&self) -> Argv<'_> {
        Argv(self.0.as_ptr(), PhantomData)
    }
}

/// `argv` of the default COMMAND of a machine's init, `/bin/sh`.
#[repr(transparent)]
struct StaticArgv([*const u8; 2]);
// SAFETY: it points at a string literal and is never written.
unsafe impl Sync for StaticArgv {}
static SHELL: StaticArgv = StaticArgv([c"/bin/sh".as_ptr() as *const u8, core::ptr::null()]);

impl Argv<'static> {
    /// `{"/bin/sh", NULL}`.
    pub fn shell() -> Argv<'static> {
        Argv(SHELL.0.as_ptr(), PhantomData)
    }
}

/// `execve(2)`: returns only on failure.
pub fn execve(path: Zstr, argv: Argv, envp: Argv) -> Errno {
    // SAFETY: path is NUL-terminated; argv and envp are NULL-terminated
    // arrays of NUL-terminated strings, live for their lifetimes (see
    // `Process` and `Words`).
    match unsafe { syscall!(Sysno::execve, path.ptr(), argv.0, envp.0) } {
        Err(e) => e,
        Ok(_) => Errno::EINVAL,
    }
}

/// Size of one clone stack, guard page included. The child runs nsinit's
/// setup and an execvp path buffer (4 KiB); 64 KiB leaves room for
/// unoptimised debug builds.
const SLOT: usize = 64 * 1024;
const PAGE: usize = 4096;

/// The hand-managed clone stacks, in .bss: untouched pages cost neither
/// file bytes nor memory. A child gets the slot after the one its parent
/// runs on: the original nsinit runs on the kernel's stack and starts its
/// child on slot 0; a child (fork-style, on its copy of slot 0, or one
/// that shares our memory) starts its own on slot 1. So no two live
/// frames ever share a slot, whoever clones.
///
/// Aligned at run time rather than by the linker: a page-aligned .bss
/// would push the data segment to a new page and pad the file.
static mut STACKS: [u8; 2 * SLOT + PAGE] = [0; 2 * SLOT + PAGE];

/// A bit per slot of `STACKS` whose guard page is in place.
static GUARDED: AtomicU8 = AtomicU8::new(0);

/// How the child comes to life.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Style {
    /// `CLONE_VM|CLONE_VFORK`: shares our memory, no page tables copied;
    /// we sleep until it execs or exits. For children that only set up and
    /// `execve`.
    Vfork,
    /// Its own copy of memory, like fork(); we go on at once. For children
    /// that live on (an init).
    Fork,
}

/// `clone(2)` through the trampoline: the child runs `f(arg)` on a
/// hand-managed stack with a guard page below it; returns its PID.
/// `flags` are the namespace flags plus the exit signal.
pub fn clone<T>(style: Style, flags: u32, f: fn(&T) -> !, arg: &T) -> Result<i32> {
    let first = ((&raw mut STACKS) as usize + PAGE - 1) & !(PAGE - 1);
    // Where are we running? A local's address says.
    let here = 0u8;
    let sp = &here as *const u8 as usize;
    let base = match sp.wrapping_sub(first) / SLOT {
        0 => first + SLOT,
        1 => return Err(Errno::EAGAIN),
        _ => first,
    };
    // The guard: a stack overflow faults instead of running into the slot
    // below (or the data before it). Set once per slot and kept: a child
    // that shares our memory shares the protection and this record of it,
    // a fork-style one inherits both; and `nsinit bench` times clones
    // without an mprotect in them.
    let bit = 1 << ((base - first) / SLOT);
    if GUARDED.load(Relaxed) & bit == 0 {
        mprotect(base, PAGE, k::PROT_NONE)?;
        GUARDED.fetch_or(bit, Relaxed);
    }
    let top = (base + SLOT) & !(crate::arch::STACK_ALIGN - 1);

    struct Call<'a, T> {
        f: fn(&T) -> !,
        arg: &'a T,
    }
    unsafe extern "C" fn start<T>(p: *mut u8) -> ! {
        // SAFETY: p is the &Call made below. With Vfork the parent sleeps
        // in clone() with that frame alive until we exec or exit; with Fork
        // we read our own copy of it.
        let call = unsafe { &*(p as *const Call<T>) };
        (call.f)(call.arg)
    }

    let call = Call { f, arg };
    let vm = match style {
        Style::Vfork => k::CLONE_VM | k::CLONE_VFORK,
        Style::Fork => 0,
    };
    // SAFETY: top is the aligned end of a slot no live frame uses (see
    // STACKS); `start::<T>` never returns and gets the Call it expects;
    // flags carry no pointer-taking options.
    let r = unsafe {
        crate::arch::clone(
            c(flags | vm),
            top as *mut u8,
            start::<T>,
            &call as *const Call<T> as *mut u8,
        )
    };
    Errno::from_ret(r as usize).map(|pid| pid as i32)
}
