//! The library links into an ordinary std program: `_start` and the
//! memory functions come from the executable alone (`nsinit::entry!`), so
//! this test binary, with the C library's own start-up, links and runs
//! nsinit's code — as a fuzzer or a second tool would.

use nsinit::cli::{self, Action};
use nsinit::step::{Failure, Step};
use nsinit::sys::{self, Errno, Zstr};

fn words(s: &[&str]) -> Vec<Vec<u8>> {
    s.iter().map(|w| w.bytes().chain([0]).collect()).collect()
}

#[test]
fn parses_like_the_binary() {
    let w = words(&["-p", "--hostname=box", "--", "sh", "-c", "true"]);
    let z: Vec<Zstr> = w.iter().map(|w| Zstr::new(w).unwrap()).collect();
    let Ok(Action::Run(cfg)) = cli::parse(&z[..], false) else {
        panic!("not a run");
    };
    assert_eq!(cfg.hostname, Some(&b"box"[..]));
    assert_eq!(cfg.name.bytes(), b"sh");
    let mut ops: Vec<Step> = Vec::new();
    nsinit::ops::each(&cfg, &mut |op| ops.push(op.step()));
    assert_eq!(ops, [Step::Sethostname]);
}

#[test]
fn calls_the_kernel_through_it() {
    // The syscall layer is usable as is: our PID, as std sees it.
    assert_eq!(sys::getpid() as u32, std::process::id());
    assert_eq!(
        sys::chdir(nsinit::cstr!("/nonexistent/dir")),
        Err(Errno::ENOENT)
    );
    let f = Failure::new(Step::Execve, Errno::ENOENT);
    assert_eq!(Failure::decode(f.encode()), Some(f));
    assert_eq!(f.status(), 127);
}
