//! nsinit: run a command in new Linux namespaces behind a correct PID 1.
//!
//! The routing table. Data flows one way:
//! argv → `cli` → `Config` → `spawn` (parent) → `ns` (child) → execve,
//! while `init` waits for statuses. Only `arch` and `sys` contain `unsafe`.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

/// A fieldless enum whose variants each carry a name, with the names
/// packed into one NUL-separated string (a table of `&str` would cost 16
/// bytes of pointer per entry) and the variants listed once, in order.
macro_rules! named {
    ($(#[$m:meta])* pub enum $name:ident { $($var:ident = $s:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u8)]
        pub enum $name { $($var,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$var,)*];
            const NAMES: &'static [u8] = concat!($($s, "\0",)*).as_bytes();

            /// This variant's name.
            pub fn name(self) -> &'static [u8] {
                crate::out::nth(Self::NAMES, self as usize)
            }

            /// The variant with this number, as `self as u8` gave it.
            pub fn from_u8(b: u8) -> Option<$name> {
                Self::ALL.get(b as usize).copied()
            }

            /// The first variant whose name `pred` accepts.
            pub fn find(pred: impl Fn(&[u8]) -> bool) -> Option<$name> {
                Self::NAMES.split(|&b| b == 0).position(pred).and_then(|i| Self::ALL.get(i).copied())
            }
        }
    };
}

#[allow(unsafe_code)]
pub mod arch;
#[cfg(feature = "bench")]
pub mod bench;
pub mod boot;
pub mod cli;
pub mod init;
pub mod ns;
pub mod out;
pub mod spawn;
#[allow(unsafe_code)]
pub mod sys;

use cli::Action;
use out::Line;
use sys::Process;

/// The most argv words nsinit looks at before COMMAND; plenty for every
/// option at once, and it keeps parsing allocation-free.
const MAX_ARGS: usize = 64;

/// Called by `_start` with the initial stack pointer; never returns.
#[cfg(not(test))]
#[allow(unsafe_code)]
extern "C" fn entry(sp: *const usize) -> ! {
    // SAFETY: `_start` passes the stack pointer the kernel gave it.
    let p = unsafe { Process::from_stack(sp) };
    sys::exit(main(&p))
}

/// parse, then run; returns the exit status.
pub fn main(p: &Process) -> u8 {
    let mut words = [z!(""); MAX_ARGS];
    let n = p.argc().saturating_sub(1).min(MAX_ARGS);
    for (i, w) in words[..n].iter_mut().enumerate() {
        *w = p.arg(i + 1);
    }
    let machine = boot::first_process();
    match cli::parse(&words[..n], machine) {
        Ok(Action::Run(cfg)) if cfg.boot => boot::run(&cfg, p, machine),
        Ok(Action::Run(cfg)) => spawn::run(&cfg, p),
        #[cfg(feature = "bench")]
        Ok(Action::Bench(b)) => bench::run(&b, p),
        #[cfg(feature = "bench")]
        Ok(Action::Exit) => 0,
        Ok(Action::Help) => {
            let _ = sys::write(1, cli::HELP.as_bytes());
            #[cfg(feature = "bench")]
            let _ = sys::write(1, bench::HELP.as_bytes());
            0
        }
        Ok(Action::Version) => {
            let _ = sys::write(
                1,
                concat!("nsinit ", env!("CARGO_PKG_VERSION"), "\n").as_bytes(),
            );
            0
        }
        Err(u) => {
            let mut l = Line::msg();
            l.s(u.what.as_bytes());
            if !u.word.is_empty() {
                l.s(b": ").s(u.word);
            }
            l.s(b"\nTry 'nsinit --help' for more information.").eprint();
            125
        }
    }
}
