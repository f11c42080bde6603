//! The nsinit binary: the library (`src/lib.rs`) holds everything,
//! `_start` included; this crate adds what only a final no_std executable
//! may define.

// A test build of this crate (clippy --all-targets) gets std and a main.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]

// Linked for its `_start` (src/arch), which calls nsinit::main.
use nsinit as _;

/// A panic is a bug in nsinit: end with the status of nsinit's own
/// failures rather than print through `core::fmt`, which would cost more
/// than the rest of the binary.
#[cfg(not(test))]
#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    nsinit::sys::exit(125)
}

#[cfg(test)]
fn main() {}
