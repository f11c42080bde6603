//! Everything that is written in assembly, one file per architecture, each
//! exposing the same interface: `_start`, `clone`, `STACK_ALIGN`.

#[cfg(target_arch = "x86_64")]
mod x86_64;
#[cfg(target_arch = "x86_64")]
pub use x86_64::*;

#[cfg(not(target_arch = "x86_64"))]
compile_error!("nsinit supports x86-64 only so far: add src/arch/<arch>.rs");
