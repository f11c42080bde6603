//! The nsinit executable: the library (`src/lib.rs`) holds everything;
//! this crate adds what only a final no_std executable may define — the
//! entry point, the memory functions and the panic handler.

// A test build of this crate (clippy --all-targets) gets std and a main.
#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]

#[cfg(not(test))]
nsinit::entry!(nsinit::main);

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
