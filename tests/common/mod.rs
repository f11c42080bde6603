//! Helpers shared by the integration tests, which run the built binary.
#![allow(dead_code)]

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

pub const NSINIT: &str = env!("CARGO_BIN_EXE_nsinit");

/// A test binary started from a non-interactive shell's background job
/// inherits SIGINT and SIGQUIT ignored, and so would everything it
/// spawns, nsinit's COMMANDs included: put them back to their defaults
/// before main, for the whole process and its children. (nsinit's own
/// wrapper: the library links into std programs.)
#[used]
#[link_section = ".init_array"]
static RESET_SIGNALS: extern "C" fn() = reset_signals;

extern "C" fn reset_signals() {
    use linux_raw_sys::general::{SIGINT, SIGQUIT};
    for sig in [SIGINT, SIGQUIT] {
        let _ = nsinit::sys::sigdefault(sig, false);
    }
}

pub fn nsinit(args: &[&str]) -> Command {
    let mut c = Command::new(NSINIT);
    c.args(args).stdin(Stdio::null());
    c
}

pub struct Run {
    pub status: i32,
    pub stdout: String,
    pub stderr: String,
}

pub fn out(o: Output) -> Run {
    Run {
        status: o
            .status
            .code()
            .unwrap_or_else(|| panic!("killed by a signal: {:?}", o.status)),
        stdout: String::from_utf8_lossy(&o.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&o.stderr).into_owned(),
    }
}

/// Runs nsinit with `args` to completion.
pub fn run(args: &[&str]) -> Run {
    out(nsinit(args).output().expect("run nsinit"))
}

/// Runs `prog args` to completion.
pub fn sh(prog: &str, args: &[&str]) -> Run {
    out(Command::new(prog)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect(prog))
}

/// Whether this test can run here; a test that cannot skips with a printed
/// reason, except under CI=true, where a skip is a failure.
pub fn can(ok: bool, why: &str) -> bool {
    if !ok {
        if std::env::var("CI").as_deref() == Ok("true") {
            panic!("cannot run under CI: {why}");
        }
        eprintln!("SKIPPED: {why}");
    }
    ok
}

pub fn have(tool: &str) -> bool {
    std::env::var_os("PATH")
        .map(|p| std::env::split_paths(&p).any(|d| d.join(tool).is_file()))
        .unwrap_or(false)
}

pub fn need(tool: &str) -> bool {
    can(
        have(tool),
        &format!("{tool} is not installed (tests/run installs it)"),
    )
}

pub fn root() -> bool {
    can(unsafe_free_geteuid() == 0, "needs root")
}

fn unsafe_free_geteuid() -> u32 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|u| u.parse().ok())
        .unwrap()
}

/// A word no other process on the machine has in its command line, to
/// find (or not) the processes a test started.
pub fn marker() -> String {
    use std::sync::atomic::{AtomicU32, Ordering};
    static N: AtomicU32 = AtomicU32::new(0);
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .subsec_nanos();
    // `sleep` takes it as a number of seconds: 1000 and a fraction.
    format!(
        "1000.{}{:09}{}",
        std::process::id(),
        t,
        N.fetch_add(1, Ordering::Relaxed)
    )
}

/// PIDs of processes (other than us) whose command line holds `word`.
pub fn pids_with(word: &str) -> Vec<i32> {
    let me = std::process::id() as i32;
    let mut v = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<i32>() else {
            continue;
        };
        if pid == me {
            continue;
        }
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline")) {
            if String::from_utf8_lossy(&cmd).split('\0').any(|a| a == word) {
                v.push(pid);
            }
        }
    }
    v
}

/// Waits until `f` holds, for at most `limit`.
pub fn wait_until(limit: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + limit;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    f()
}

/// Asserts that nothing with `word` in its command line is left running.
pub fn assert_none_left(word: &str) {
    let gone = wait_until(Duration::from_secs(5), || pids_with(word).is_empty());
    assert!(gone, "processes left behind: {:?}", pids_with(word));
}

pub fn link(p: &str) -> String {
    std::fs::read_link(p)
        .unwrap()
        .to_string_lossy()
        .into_owned()
}

pub fn exists(p: &str) -> bool {
    Path::new(p).exists()
}

/// Signal a PID with kill(1), which every test machine has.
pub fn kill(pid: u32, sig: &str) {
    let s = Command::new("kill")
        .args([&format!("-{sig}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(s.success());
}

/// Builds tests/progs/NAME.c (static, so it runs in any root) once per
/// test binary and returns its path.
pub fn prog(name: &str) -> String {
    use std::collections::HashMap;
    use std::sync::Mutex;
    static BUILT: Mutex<Option<HashMap<String, String>>> = Mutex::new(None);
    let mut built = BUILT.lock().unwrap();
    let map = built.get_or_insert_with(HashMap::new);
    if let Some(p) = map.get(name) {
        return p.clone();
    }
    let src = format!("{}/tests/progs/{name}.c", env!("CARGO_MANIFEST_DIR"));
    let out = format!(
        "{}/{name}-{}",
        env!("CARGO_TARGET_TMPDIR"),
        std::process::id()
    );
    let st = Command::new("cc")
        .args(["-O2", "-static", "-o", &out, &src])
        .status()
        .expect("cc");
    assert!(st.success(), "cc {src} failed");
    map.insert(name.to_string(), out.clone());
    out
}

/// Resident memory of a process, in kB.
pub fn rss_kb(pid: u32) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .unwrap()
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .unwrap()
}

/// The children of a process, from /proc/PID/task/PID/children.
pub fn children(pid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{pid}/task/{pid}/children"))
        .unwrap_or_default()
        .split_whitespace()
        .map(|p| p.parse().unwrap())
        .collect()
}

/// How many zombies `parent` has right now.
pub fn zombies_of(parent: u32) -> usize {
    children(parent)
        .iter()
        .filter(|c| {
            std::fs::read_to_string(format!("/proc/{c}/stat"))
                .map(|s| {
                    s.rsplit(')')
                        .next()
                        .unwrap_or("")
                        .trim_start()
                        .starts_with('Z')
                })
                .unwrap_or(false)
        })
        .count()
}
