//! The runtime: what a C library's start-up code and its `posix_spawn`
//! would otherwise provide. The process as the kernel started it (argv,
//! envp and the auxiliary vector on the initial stack), and the
//! hand-managed stacks that clone children start on.
//!
//! Nothing here runs unless the executable asks: `_start` and the memory
//! functions are defined by `nsinit::entry!` in `src/main.rs` alone, so
//! this library links into any std program (tests, fuzzers).

use crate::sys::{self, Argv, Errno, Zstr};
use core::sync::atomic::{AtomicIsize, AtomicU32, AtomicUsize, Ordering::Relaxed};
use linux_raw_sys::auxvec as aux;
use linux_raw_sys::general as k;

/// Defines the executable's `_start`, which calls `$main(&Process)` and
/// exits with the status it returns, and the memory functions the
/// compiler expects (`memcpy`, `memset`, ...). Once, in the binary.
#[macro_export]
macro_rules! entry {
    ($main:path) => {
        extern "C" fn __nsinit_start(sp: *const usize) -> ! {
            // SAFETY: `_start` passes the stack pointer the kernel gave it.
            let p = unsafe { $crate::rt::Process::from_stack(sp) };
            $crate::sys::exit($main(&p))
        }
        $crate::__arch_entry!(
            __nsinit_start,
            $crate::rt::MAIN_STACK,
            $crate::rt::MAIN_STACK_SIZE
        );
    };
}

/// The process's initial stack as the kernel laid it out: `argc`, the
/// NULL-terminated `argv`, the NULL-terminated `envp`, then the auxiliary
/// vector, of which nsinit reads two entries.
#[derive(Clone, Copy)]
pub struct Process {
    argc: usize,
    argv: *const *const u8,
    envp: *const *const u8,
    /// `AT_SECURE`: started set-user-ID, set-group-ID or with file
    /// capabilities, so the environment and argv come from someone with
    /// less privilege than we have.
    secure: bool,
}

impl Process {
    /// # Safety
    /// `sp` is the stack pointer the kernel handed to `_start`.
    pub unsafe fn from_stack(sp: *const usize) -> Process {
        // SAFETY: the kernel's layout: argc, then argc pointers and a NULL,
        // then the environment and its NULL, then (type, value) pairs up to
        // AT_NULL. We read no further than that terminator.
        unsafe {
            let argc = *sp;
            let argv = sp.add(1) as *const *const u8;
            let envp = argv.add(argc + 1);
            let mut aux = envp as *const usize;
            while *aux != 0 {
                aux = aux.add(1);
            }
            aux = aux.add(1);
            let mut secure = false;
            loop {
                let (ty, val) = (*aux, *aux.add(1));
                match ty as u32 {
                    aux::AT_NULL => break,
                    aux::AT_SECURE => secure = val != 0,
                    _ => {}
                }
                aux = aux.add(2);
            }
            Process {
                argc,
                argv,
                envp,
                secure,
            }
        }
    }

    pub fn argc(&self) -> usize {
        self.argc
    }

    pub fn secure(&self) -> bool {
        self.secure
    }

    /// `argv[i]`, for `i < argc`.
    pub fn arg(&self, i: usize) -> Zstr<'static> {
        assert!(i < self.argc);
        // SAFETY: i < argc, so argv[i] is in the array.
        zstr(unsafe { *self.argv.add(i) })
    }

    /// `argv[from..]`, NULL-terminated as execve wants it; `from` may be
    /// `argc`, which gives an empty list.
    pub fn args_from(&self, from: usize) -> Argv<'static> {
        assert!(from <= self.argc);
        // SAFETY: from <= argc: the pointer stays inside the argv array,
        // whose NULL terminator is at argc.
        unsafe { Argv::from_raw(self.argv.add(from)) }
    }

    /// argv for running `path` as a shell script, `/bin/sh path ARG...`
    /// where COMMAND is `argv[command]`, made in place: argv's own pointer
    /// array is rewritten, the word before COMMAND (an option or `--`
    /// nsinit has parsed) becoming `/bin/sh` and COMMAND becoming `path`.
    /// Only for a child about to execve or exit: nothing reads those two
    /// slots of argv after parsing (messages use the `Config`'s copies of
    /// the words), and argv may hold any number of words, so there is no
    /// fixed-size array to copy it into instead.
    pub fn script_argv<'p>(&self, command: usize, path: Zstr<'p>) -> Argv<'p> {
        assert!(command >= 1 && command < self.argc);
        // SAFETY: both slots are inside the argv array (1 <= command <
        // argc), which is writable memory of the initial stack; the words
        // written point at NUL-terminated strings (a literal, and `path`,
        // which lives for 'p), and the array stays NULL-terminated.
        unsafe {
            let slot = self.argv.add(command - 1) as *mut *const u8;
            *slot = c"/bin/sh".as_ptr().cast();
            *slot.add(1) = path.with_nul().as_ptr();
            Argv::from_raw(slot)
        }
    }

    pub fn envp(&self) -> Argv<'static> {
        // SAFETY: the kernel's NULL-terminated environment, which lives as
        // long as the process.
        unsafe { Argv::from_raw(self.envp) }
    }

    /// The value of environment variable `name` (given with its `=`).
    pub fn getenv(&self, name_eq: &[u8]) -> Option<Zstr<'static>> {
        self.envp()
            .iter()
            .find_map(|s| s.with_nul().strip_prefix(name_eq).and_then(Zstr::new))
    }
}

/// A string of the initial stack (argv or envp), which the kernel placed
/// NUL-terminated in memory that lives as long as the process.
fn zstr(s: *const u8) -> Zstr<'static> {
    // SAFETY: every string of the initial stack is NUL-terminated and
    // lives as long as the process.
    unsafe { Zstr::from_ptr(s) }
}

// The two stacks, laid out by the linker (linker/nsinit.ld) at the
// start of the writable segment, which holds nothing but .bss: first the
// clone stack, on the first page boundary above the read-only segments,
// then nsinit's own stack, then every other variable. A stack that
// overflowed would run down, through an untouched rest of a page, into the
// cold segment's last page and fault: both have a guard
// page without an mprotect(2) (which cost 1% of the start-up path: it
// splits the mapping). And untouched pages cost neither file bytes nor
// memory: the top page of nsinit's stack is the one its variables are in.

/// The stack nsinit's own process runs on, from `_start` on. The kernel's
/// stack may leave as little as 3 KiB below argv and envp under a small
/// RLIMIT_STACK; this one does not depend on it. nsinit has no recursion;
/// its deepest call chain uses a few KiB, a tenth of this.
///
/// It follows the clone stack, whose top is on a page boundary, and is
/// 256 bytes short of whole pages: its top is 256 bytes below a page
/// boundary, and the variables after it (`.bss.nsinit.vars`) share that
/// page with the top of the stack, where the frames of a run live.
#[doc(hidden)]
#[link_section = ".bss.nsinit.main_stack"]
pub static mut MAIN_STACK: [u8; MAIN_STACK_SIZE] = [0; MAIN_STACK_SIZE];
#[doc(hidden)]
pub const MAIN_STACK_SIZE: usize = 64 * 1024 - 256;

/// The hand-managed stack that `CLONE_VM` children start on. Only one is
/// ever needed: a `CLONE_VM` child only sets up and execs (it never
/// clones), and a fork-style child runs on its own copy of its parent's
/// stack, so it may start `CLONE_VM` children of its own on its copy of
/// this one. Its child runs nsinit's setup and execvp; 64 KiB leaves
/// room for unoptimised debug builds.
///
/// Page-aligned by the linker script, not by its type: a section aligned
/// to a page would start the writable segment on a page boundary, and
/// the file would be padded up to one (linker/nsinit.ld).
#[link_section = ".bss.nsinit.clone_stack"]
static mut CLONE_STACK: StackAligned<[u8; 64 * 1024]> = StackAligned([0; 64 * 1024]);

#[repr(C, align(16))]
struct StackAligned<T>(T);

const _: () = assert!(crate::arch::STACK_ALIGN <= 16);

/// The top of the clone stack, aligned. Refuses (`EDEADLK`) a caller
/// running on it.
fn stack_top() -> Result<*mut u8, Errno> {
    let base = core::ptr::addr_of_mut!(CLONE_STACK) as usize;
    let top = (base + 64 * 1024) & !(crate::arch::STACK_ALIGN - 1);
    let here = 0u8;
    if (base..top).contains(&(&here as *const u8 as usize)) {
        return Err(Errno::EDEADLK);
    }
    Ok(top as *mut u8)
}

/// How a child comes to life.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Style {
    /// `CLONE_VM|CLONE_VFORK`: shares our memory, no page tables copied;
    /// we sleep until it execs or exits. For children that only set up and
    /// `execve` (posix_spawn's way).
    Vfork,
    /// Its own copy of memory, like fork(); we go on at once. For children
    /// that live on (an init), or that must be alone in their memory
    /// (`setns` into a time namespace).
    Fork,
}

/// Namespace flags for `clone(2)`: only `CLONE_NEW*` bits, so no caller
/// can slip `CLONE_VM`, `CLONE_THREAD`, `CLONE_SETTLS` or the
/// pointer-taking options into a clone. (`CLONE_NEWTIME` is not among
/// them: legacy clone has no bit for it, 0x80 being in the exit-signal
/// byte.)
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Namespaces(u32);

impl Namespaces {
    const ALL: u32 = k::CLONE_NEWNS
        | k::CLONE_NEWUTS
        | k::CLONE_NEWIPC
        | k::CLONE_NEWUSER
        | k::CLONE_NEWPID
        | k::CLONE_NEWNET
        | k::CLONE_NEWCGROUP;

    /// The namespace bits of `flags`; any other bit is dropped.
    pub const fn new(flags: u32) -> Namespaces {
        Namespaces(flags & Self::ALL)
    }

    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn has(self, flag: u32) -> bool {
        self.0 & flag != 0
    }

    pub fn add(&mut self, flag: u32) {
        self.0 |= flag & Self::ALL;
    }
}

/// `clone(2)` through the trampoline: the child runs `f(arg)` in new
/// namespaces `ns`, with SIGCHLD as its exit signal; returns its PID. A
/// `Vfork` child starts on the clone stack; a `Fork` child goes on where
/// we are, on its own copy of our stack, as after fork(2): it touches no
/// page of ours, and only the pages it writes become its own.
///
/// `clone3` (for `CLONE_PIDFD` and `CLONE_INTO_CGROUP`) would be a second
/// trampoline in `arch` taking a `clone_args`, called from here: the
/// typed flags and the choice of stack stay as they are.
pub fn clone<T>(style: Style, ns: Namespaces, f: fn(&T) -> !, arg: &T) -> Result<i32, Errno> {
    let top = match style {
        Style::Vfork => stack_top()?,
        Style::Fork => core::ptr::null_mut(),
    };

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
    // SAFETY: top is the aligned end of the clone stack, which no live
    // frame uses (`stack_top`), or null: the fork-style child's own copy
    // of our stack; `start::<T>` never returns and gets the Call it expects;
    // the flags are namespace bits, CLONE_VM|CLONE_VFORK (the parent then
    // sleeps until the child is done with our memory) and the exit signal.
    let r = unsafe {
        sys::clone(
            ns.bits() | vm | k::SIGCHLD,
            top,
            start::<T>,
            &call as *const Call<T> as *mut u8,
        )
    };
    Errno::from_ret(r as usize).map(|pid| pid as i32)
}

/// The lifeline of a `CLONE_VM` child: a robust futex of ours. While we
/// live, its word holds our TID; when we die — SIGKILL included — the
/// kernel's robust-list walk sets `FUTEX_OWNER_DIED` in it
/// (`handle_futex_death`). A child that shares our memory reads the word
/// after its `PR_SET_PDEATHSIG`: set means we died before the prctl could
/// take effect, and no signal is coming. Unlike `getppid()`, this works
/// from inside a new PID namespace, where the parent has no PID; unlike a
/// pipe, it needs no file descriptor (RLIMIT_NOFILE may leave none) and no
/// system call in the child.
#[link_section = ".bss.nsinit.vars"]
static LIFELINE: sys::RobustFutex = sys::RobustFutex {
    list_next: AtomicUsize::new(0),
    futex_offset: AtomicIsize::new(0),
    pending: AtomicUsize::new(0),
    entry_next: AtomicUsize::new(0),
    word: AtomicU32::new(0),
};

/// Makes `LIFELINE` ours: `me` is our TID (our PID: one thread). Once per
/// process; the registration is not inherited by children.
pub fn arm_lifeline(me: i32) -> Result<(), Errno> {
    let l = &LIFELINE;
    l.word.store(me as u32, Relaxed);
    if l.list_next.load(Relaxed) == 0 {
        // A circle of one: the head leads to the entry, which leads back.
        let head = l as *const sys::RobustFutex as usize;
        let entry = &l.entry_next as *const AtomicUsize as usize;
        let word = &l.word as *const AtomicU32 as usize;
        l.futex_offset.store((word - entry) as isize, Relaxed);
        l.entry_next.store(head, Relaxed);
        l.list_next.store(entry, Relaxed);
        if let Err(e) = sys::set_robust_list(l) {
            l.list_next.store(0, Relaxed);
            return Err(e);
        }
    }
    Ok(())
}

/// In a `CLONE_VM` child: whether the parent that armed the lifeline has
/// died.
pub fn parent_died() -> bool {
    LIFELINE.word.load(Relaxed) & linux_raw_sys::general::FUTEX_OWNER_DIED != 0
}

// Descriptors of our own.

/// Runs `f`, which makes a descriptor; if the process is at its
/// `RLIMIT_NOFILE` (EMFILE), raises the soft limit for that one call and
/// puts it back: a descriptor above the limit stays valid, and COMMAND
/// gets the limit nsinit was given. (tini-static runs with a limit of 3;
/// so must we, with 0-2 open.)
/// (One copy for every caller: `dyn`, not a generic per closure.)
pub fn with_fd_room(f: &mut dyn FnMut() -> sys::Result<i32>) -> sys::Result<i32> {
    match f() {
        Err(Errno::EMFILE) => with_more_room(f),
        r => r,
    }
}

/// `sys::open`, with room made for its descriptor as `with_fd_room` makes
/// it: one closure for every such open.
pub fn open(path: Zstr, flags: u32) -> sys::Result<i32> {
    with_fd_room(&mut || sys::open(path, flags))
}

#[cold]
#[inline(never)]
fn with_more_room(f: &mut dyn FnMut() -> sys::Result<i32>) -> sys::Result<i32> {
    let (soft, hard) = sys::prlimit(k::RLIMIT_NOFILE, None)?;
    let room = soft.saturating_add(8);
    // Past the hard limit only with CAP_SYS_RESOURCE; lowering it again
    // is always allowed.
    if sys::prlimit(k::RLIMIT_NOFILE, Some((room, hard.max(room)))).is_err() {
        return Err(Errno::EMFILE);
    }
    let r = f();
    let _ = sys::prlimit(k::RLIMIT_NOFILE, Some((soft, hard)));
    r
}

/// `fd`, or a copy of it numbered 3 or above if it is 0, 1 or 2: with
/// stdio closed, a descriptor of ours would land there and our own
/// messages on stderr would go into it.
pub fn above_stdio(fd: i32) -> sys::Result<i32> {
    if fd > 2 {
        return Ok(fd);
    }
    let r = sys::dup_above(fd, 3);
    let _ = sys::close(fd);
    r
}
