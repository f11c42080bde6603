//! x86-64: the process entry point, the clone trampoline, and the memory
//! primitives the compiler expects from a libc.
//!
//! ABI rules this file relies on (System V AMD64, Linux):
//! - At `_start` the kernel leaves `rsp` pointing at `argc`, followed by the
//!   `argv` pointers, a NULL, the `envp` pointers, a NULL, then the auxv.
//!   `rsp` is 16-byte aligned there, but nothing obliges us to trust that.
//! - Before a `call`, `rsp` must be 16-byte aligned, so that the callee sees
//!   `rsp + 8` aligned after the return address is pushed.
//! - `rbp` is zero in the outermost frame so that unwinders and debuggers
//!   stop there.
//! - `syscall` takes the number in `rax`, arguments in `rdi rsi rdx r10 r8
//!   r9`, returns in `rax` (`-4095..-1` is `-errno`), and clobbers `rcx`
//!   (return `rip`) and `r11` (saved `rflags`). Every other register comes
//!   back as it went in, in the parent and, for `clone`, in the child too.
//! - The direction flag is clear on entry to every function.

use core::arch::asm;

/// Alignment of a stack pointer at a `call` instruction.
pub const STACK_ALIGN: usize = 16;

/// Raw `clone(2)` that starts the child in `func(arg)` on `stack_top`.
///
/// This must be assembly: the child resumes at the same instruction as the
/// parent, inside the `syscall`, but on a stack that holds nothing yet — no
/// return address, no saved registers, no locals of the Rust function that
/// made the call. Compiled code would try to return through that empty
/// stack. So the child never leaves this block: it calls `func` at once and
/// never comes back. Registers other than `rax`, `rcx` and `r11` survive the
/// syscall in the child too, which is how `func` and `arg` cross over.
///
/// Returns the raw kernel result in the parent: the child's PID or `-errno`.
///
/// # Safety
/// - `stack_top` is the 16-byte-aligned upper end of a writable stack large
///   enough for `func`, that nothing else will use while the child runs on
///   it (with `CLONE_VM` the memory is shared: the parent must not touch it
///   until the child has exec'd or exited, which `CLONE_VFORK` ensures);
///   or null without `CLONE_VM`: the child goes on on its own copy of our
///   stack, below our stack pointer.
/// - `func` never returns and `arg` is what it expects.
/// - `flags` carries no `CLONE_SETTLS`, `CLONE_*TID` or `CLONE_PIDFD`: their
///   pointer arguments are passed as 0; and no `CLONE_THREAD`.
pub unsafe fn clone(
    flags: usize,
    stack_top: *mut u8,
    func: unsafe extern "C" fn(*mut u8) -> !,
    arg: *mut u8,
) -> isize {
    debug_assert!((stack_top as usize).is_multiple_of(STACK_ALIGN));
    debug_assert!(!stack_top.is_null() || flags & linux_raw_sys::general::CLONE_VM as usize == 0);
    let ret: isize;
    // SAFETY: the caller's contract above; the parent path behaves like any
    // `syscall`, and the child path never returns into compiled code.
    unsafe {
        asm!(
            "syscall",
            // rax is 0 in the child, the child's PID or -errno in the parent.
            "test rax, rax",
            "jnz 2f",
            // Child: outermost frame on the new stack, which the kernel
            // already loaded into rsp (or, stack_top null, on its copy of
            // ours, wherever inside this block it was): aligned for the
            // `call`.
            "xor ebp, ebp",
            "and rsp, -16",
            "mov rdi, r9",
            "call r12",
            // func() is `-> !`; trap if it lies.
            "ud2",
            "2:",
            inlateout("rax") syscalls::Sysno::clone as isize => ret,
            in("rdi") flags,
            in("rsi") stack_top,
            in("rdx") 0usize, // parent_tid
            in("r10") 0usize, // child_tid
            in("r8") 0usize,  // tls
            // Not syscall arguments (clone takes five): carried across in
            // registers the kernel preserves, for the child's use.
            in("r9") arg,
            in("r12") func,
            out("rcx") _,
            out("r11") _,
        );
    }
    ret
}

/// What only the executable defines: `_start`, which hands the kernel's
/// initial stack pointer to `$start` and runs it on `$stack` (the top of
/// a stack of our own, so that `RLIMIT_STACK` — which may leave as little
/// as 3 KiB of the kernel's stack below argv and envp — cannot make our
/// frames fault), and the memory functions the compiler lowers copies and
/// comparisons to. A library that defined them would
/// clash with the C runtime of any std program linking it (tests, fuzzers).
/// Expanded by `nsinit::entry!` in `src/main.rs`.
#[doc(hidden)]
#[macro_export]
macro_rules! __arch_entry {
    ($start:path, $stack:path, $size:expr) => {
        core::arch::global_asm!(
            ".pushsection .text._start,\"ax\",@progbits",
            ".globl _start",
            ".type _start,@function",
            "_start:",
            // Outermost frame: no caller, no saved frame pointer.
            "    xor ebp, ebp",
            // First argument: the initial stack, where argc/argv/envp are.
            "    mov rdi, rsp",
            // Our own stack, from its top down; aligned for the call.
            "    lea rsp, [rip + {stack}]",
            "    add rsp, {size}",
            "    and rsp, -16",
            // $start never returns; should it ever, trap rather than run on
            // into whatever follows.
            "    call {start}",
            "    ud2",
            ".size _start, .-_start",
            ".popsection",
            start = sym $start,
            stack = sym $stack,
            size = const $size,
        );

        // `rep movsb`/`rep stosb` are short and, on every x86-64 since Ivy
        // Bridge (ERMSB), fast for the sizes nsinit copies. Written in
        // assembly so that the compiler cannot recognise a loop and turn it
        // back into a call to the function itself.
        mod __mem {
            use core::arch::asm;

            /// # Safety
            /// `dst` and `src` are valid for `n` bytes and do not overlap.
            #[no_mangle]
            pub unsafe extern "C" fn memcpy(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
                // SAFETY: the caller's contract; rep movsb copies exactly n
                // bytes forwards (the direction flag is clear by the ABI).
                unsafe {
                    asm!("rep movsb", inout("rdi") dst => _, inout("rsi") src => _,
                         inout("rcx") n => _, options(nostack, preserves_flags));
                }
                dst
            }

            /// # Safety
            /// `dst` and `src` are valid for `n` bytes; they may overlap.
            #[no_mangle]
            pub unsafe extern "C" fn memmove(dst: *mut u8, src: *const u8, n: usize) -> *mut u8 {
                if (dst as usize).wrapping_sub(src as usize) >= n {
                    // SAFETY: a forward copy is correct when dst is below src
                    // or past the end of the source.
                    return unsafe { memcpy(dst, src, n) };
                }
                // SAFETY: dst overlaps the tail of src: copy backwards, from
                // the last byte, with the direction flag set and restored.
                unsafe {
                    asm!("std", "rep movsb", "cld",
                         inout("rdi") dst.add(n).wrapping_sub(1) => _,
                         inout("rsi") src.add(n).wrapping_sub(1) => _,
                         inout("rcx") n => _, options(nostack));
                }
                dst
            }

            /// # Safety
            /// `dst` is valid for `n` bytes.
            #[no_mangle]
            pub unsafe extern "C" fn memset(dst: *mut u8, c: i32, n: usize) -> *mut u8 {
                // SAFETY: the caller's contract; rep stosb stores n bytes of al.
                unsafe {
                    asm!("rep stosb", inout("rdi") dst => _, inout("rcx") n => _,
                         in("al") c as u8, options(nostack, preserves_flags));
                }
                dst
            }

            /// # Safety
            /// `a` and `b` are valid for `n` bytes.
            #[no_mangle]
            pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
                let mut i = 0;
                while i < n {
                    // SAFETY: i < n, within both buffers by the caller's
                    // contract. Volatile, or the compiler would see memcmp.
                    let (x, y) = unsafe { (a.add(i).read_volatile(), b.add(i).read_volatile()) };
                    if x != y {
                        return x as i32 - y as i32;
                    }
                    i += 1;
                }
                0
            }

            /// # Safety
            /// `s` is NUL-terminated. (The compiler turns a loop looking
            /// for the NUL, as `Zstr::from_ptr` has, into a call of this.)
            #[no_mangle]
            pub unsafe extern "C" fn strlen(s: *const u8) -> usize {
                let mut n = 0;
                // SAFETY: every byte up to and including the NUL is
                // readable. Volatile, or the compiler would see strlen.
                while unsafe { s.add(n).read_volatile() } != 0 {
                    n += 1;
                }
                n
            }

            /// # Safety
            /// As `memcmp`.
            #[no_mangle]
            pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
                // SAFETY: same contract.
                unsafe { memcmp(a, b, n) }
            }
        }
    };
}
