//! nsinit: run a command in new Linux namespaces behind a correct PID 1.
//!
//! The routing table. Layers, each using only those below it:
//!
//! ```text
//! arch    all assembly: the clone trampoline, _start and the memory
//!         functions (expanded in the executable only, by `entry!`)
//! sys     one thin wrapper per syscall (portable ones only: dup3, ppoll)
//! rt      the process as started (argv, envp, auxv); the clone stacks and
//!         the typed clone built on them
//! text    the English, byte-pair encoded at compile time
//! out     lines buffered and written whole (a longer one in pieces);
//!         errno names
//! step    the vocabulary of setup steps, failures and their messages
//! cli     argv -> Config; each option declared once
//! ops     the ordered list of setup operations run in the child
//! init    the supervisor: forwarding, reaping, job control, grace
//! spawn   the clone plan: which process, fork- or vfork-style, reports
//! boot    the machine's init
//! bench   `nsinit bench`, a command of its own: its own argv parser
//! ```
//! (`main`, below, is the one place that knows both `cli` and `bench`.)
//! Data flows one way: argv → `cli` → `Config` → `spawn` (parent) → `ops`
//! (child) → execve, while `init` waits for statuses. Only `arch`, `sys`
//! and `rt` contain `unsafe`.

#![cfg_attr(not(test), no_std)]
#![deny(unsafe_code)]
#![deny(unsafe_op_in_unsafe_fn)]
#![deny(clippy::undocumented_unsafe_blocks)]

/// A fieldless enum whose variants each carry a name, with the names
/// packed into one NUL-separated string (a table of `&str` would cost 16
/// bytes of pointer per entry) and the variants listed once, in order.
/// Names that are only ever printed are a `Text` (`named! { text ... }`);
/// those matched against argv stay bytes, with `find`.
macro_rules! named {
    ($(#[$m:meta])* pub enum $name:ident { $($var:ident = $s:expr,)* }) => {
        named!(@enum $(#[$m])* pub enum $name { $($var,)* });

        impl $name {
            const NAMES: &'static [u8] = concat!($($s, "\0",)*).as_bytes();

            /// This variant's name.
            pub fn name(self) -> &'static [u8] {
                crate::out::nth(Self::NAMES, self as usize)
            }

            /// The variant named `word`.
            pub fn find(word: &[u8]) -> Option<$name> {
                Self::from_index(crate::out::position(Self::NAMES, word)?)
            }
        }
    };
    // A last group of variants may be conditional, `#[cfg(...)] { ... }`:
    // without it, neither they nor their names are in the build.
    (text $(#[$m:meta])* pub enum $name:ident {
        $($var:ident = $s:expr,)*
        $(#[cfg($c:meta)] { $($cvar:ident = $cs:expr,)* })?
    }) => {
        named!(@enum $(#[$m])* pub enum $name { $($var,)* $($(#[cfg($c)] $cvar,)*)? });

        impl $name {
            named!(@names $($c)? [$($s),*] $([$($cs),*])?);

            /// This variant's name.
            pub fn name(self) -> crate::text::Text {
                Self::NAMES.nth(self as usize).unwrap_or(crate::text!("?"))
            }
        }
    };
    (@names [$($s:expr),*]) => {
        const NAMES: crate::text::Text = crate::text!(concat!($($s, "\0",)*));
    };
    (@names $c:meta [$($s:expr),*] [$($cs:expr),*]) => {
        #[cfg($c)]
        const NAMES: crate::text::Text = crate::text!(concat!($($s, "\0",)* $($cs, "\0",)*));
        #[cfg(not($c))]
        named!(@names [$($s),*]);
    };
    (@enum $(#[$m:meta])* pub enum $name:ident { $($(#[$vm:meta])* $var:ident,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, PartialEq, Eq, Debug)]
        #[repr(u8)]
        pub enum $name { $($(#[$vm])* $var,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($(#[$vm])* $name::$var,)*];

            /// The variant with this number, as `self as u8` gave it.
            pub fn from_u8(b: u8) -> Option<$name> {
                Self::from_index(b as usize)
            }

            /// The variant at `i` in `ALL`. (Compiled to a comparison: a
            /// lookup in `ALL` would keep it as a table.)
            pub fn from_index(i: usize) -> Option<$name> {
                $($(#[$vm])* if i == $name::$var as usize {
                    return Some($name::$var);
                })*
                None
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
pub mod ops;
pub mod out;
#[allow(unsafe_code)]
pub mod rt;
pub mod spawn;
pub mod step;
#[allow(unsafe_code)]
pub mod sys;
pub mod text;

use cli::Action;
use out::Line;
use rt::Process;

/// nsinit's `main`: parse, then run; returns the exit status.
pub fn main(p: &Process) -> u8 {
    // Every signal blocked from the first instruction on: a signal for
    // COMMAND queues until the supervisor forwards it, and our own
    // SIGPIPE (a message to a stderr whose reader is gone) is not fatal.
    // The mask we were started with is COMMAND's.
    let mask = match sys::sigprocmask(linux_raw_sys::general::SIG_BLOCK, &!0) {
        Ok(mask) => mask,
        Err(e) => {
            let f = step::Failure::new(step::Step::Sigmask, e);
            return step::report(f, None, rt::Namespaces::default());
        }
    };
    if p.secure() {
        return refuse_secure();
    }
    let me = sys::getpid();
    // `nsinit bench ...`: a command of its own, with its own options.
    if p.argc() > 1 && p.arg(1) == cstr!("bench") {
        return bench(p, mask, me);
    }
    let machine = boot::first_process(me);
    // Matched by reference: the `Config` stays where `parse` built it
    // rather than be copied out (200 bytes, and the code to copy them).
    match &cli::parse(p, machine) {
        Ok(Action::Run(cfg)) if cfg.boot() => boot::run(cfg, p, machine, mask),
        Ok(Action::Run(cfg)) => spawn::run(cfg, p, mask, me),
        Ok(Action::Help) => help(),
        Ok(Action::Version) => version(),
        Err(u) => misuse(u),
    }
}

// What main does once per run at most, when it is not starting a
// COMMAND: out of the start-up path's pages (#[cold]: linker/nsinit.ld;
// a refusal is a call of the cold `out::refuse`).

/// Set-user-ID or file capabilities: argv and the environment come from
/// someone less privileged, and nsinit would make namespaces (and mounts,
/// and a root) on their behalf.
fn refuse_secure() -> u8 {
    out::refuse(text!(
        "refusing to run set-user-ID, set-group-ID or with file capabilities"
    ))
}

#[cfg(feature = "bench")]
fn bench(p: &Process, mask: sys::SigSet, me: i32) -> u8 {
    match &bench::parse(p, 1) {
        Ok(bench::Parsed::Run(b)) => bench::run(b, p, mask, me),
        Ok(bench::Parsed::Exit) => 0,
        Ok(bench::Parsed::Help) => help(),
        Err(u) => misuse(u),
    }
}

#[cfg(not(feature = "bench"))]
fn bench(_: &Process, _: sys::SigSet, _: i32) -> u8 {
    out::refuse(text!("bench: not in this build (cargo feature \"bench\"); a COMMAND named bench: nsinit -- bench"))
}

#[cold]
#[inline(never)]
fn help() -> u8 {
    out::print(1, cli::HELP);
    #[cfg(feature = "bench")]
    out::print(1, bench::HELP);
    0
}

#[cold]
#[inline(never)]
fn version() -> u8 {
    let _ = sys::write(
        1,
        concat!("nsinit ", env!("CARGO_PKG_VERSION"), "\n").as_bytes(),
    );
    0
}

#[cold]
#[inline(never)]
fn misuse(u: &cli::Usage) -> u8 {
    let mut l = Line::msg();
    l.push_text(u.what.name());
    if !u.word.is_empty() {
        l.push_str(b": ").push_str(u.word);
    }
    l.push_text(text!("\nTry 'nsinit --help' for more information."))
        .eprint();
    125
}
