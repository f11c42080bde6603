//! Everything that is written in assembly, one file per architecture, each
//! exposing the same interface: `clone` (the trampoline), `STACK_ALIGN`, and
//! the `__arch_entry!` macro that gives the executable its `_start` and the
//! memory functions.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(not(target_arch = "x86_64"))]
compile_error!("nsinit supports x86-64 only so far: add src/arch/<arch>.rs");
