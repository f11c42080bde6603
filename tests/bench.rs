//! `nsinit bench`: every row, valid JSON, errors per case, usage errors
//! before anything runs, a clean stop on Ctrl-C, and nothing in a timed
//! window but the clone and the wait.

mod common;
use common::*;
use std::process::{Command, Stdio};
use std::time::Duration;

/// nsinit under `strace -f -qq` with `opts`, killed after a minute.
fn strace(opts: &[&str], args: &[&str]) -> std::process::Output {
    Command::new("timeout")
        .args(["-s", "KILL", "60", "strace", "-f", "-qq"])
        .args(opts)
        .arg(NSINIT)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap()
}

const MEASURES: [&str; 4] = ["create-fork", "create-vfork", "spawn", "teardown"];

/// A row of the table: case, measure, then n and five numbers, or an
/// error text.
#[derive(Debug)]
struct Row {
    case: String,
    measure: String,
    nums: Option<[f64; 6]>,
    error: String,
}

fn table(stdout: &str) -> Vec<Row> {
    let mut lines = stdout.lines();
    let header: Vec<&str> = lines.next().expect("header").split_whitespace().collect();
    assert_eq!(
        header,
        ["case", "measure", "n", "min", "median", "p90", "p99", "mean", "(us)"]
    );
    lines
        .map(|l| {
            let w: Vec<&str> = l.split_whitespace().collect();
            let nums: Vec<f64> = w[2..].iter().filter_map(|x| x.parse().ok()).collect();
            Row {
                case: w[0].into(),
                measure: w[1].into(),
                nums: (nums.len() == 6 && w.len() == 8).then(|| nums.try_into().unwrap()),
                error: w[2..].join(" "),
            }
        })
        .collect()
}

fn check_numbers(r: &Row, n: f64) {
    let [got, min, median, p90, p99, mean] = r.nums.unwrap_or_else(|| panic!("{r:?}"));
    assert_eq!(got, n, "{r:?}");
    assert!(
        min > 0.0 && min <= median && median <= p90 && p90 <= p99,
        "{r:?}"
    );
    assert!(min <= mean && mean <= p99.max(mean), "{r:?}");
}

#[test]
fn every_row() {
    if !root() {
        return;
    }
    let r = run(&["bench", "-n", "50", "pid", "uts", "ipc", "none"]);
    assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{}", r.stdout);
    let rows = table(&r.stdout);
    let mut want = Vec::new();
    for case in ["pid", "uts", "ipc", "none"] {
        for m in MEASURES {
            if case == "none" && m == "teardown" {
                continue;
            }
            want.push((case.to_string(), m.to_string()));
        }
    }
    let got: Vec<(String, String)> = rows
        .iter()
        .map(|r| (r.case.clone(), r.measure.clone()))
        .collect();
    assert_eq!(got, want, "{}", r.stdout);
    for row in &rows {
        // A teardown in every 20th round: rounds 0, 20 and 40 of 50.
        let n = if row.measure == "teardown" { 3.0 } else { 50.0 };
        check_numbers(row, n);
    }
    // The kernel frees a PID namespace in an RCU callback after its last
    // process is reaped, a UTS namespace before wait4 returns.
    let median = |case: &str| {
        rows.iter()
            .find(|r| r.case == case && r.measure == "teardown")
            .unwrap()
            .nums
            .unwrap()[2]
    };
    assert!(median("pid") > 10.0 * median("uts"), "{}", r.stdout);
}

/// The JSON lines, parsed by Python's json module; prints one line per
/// object: case, measure, then `error` or the six numbers.
fn json_rows(stdout: &str) -> Vec<String> {
    let check = r#"
import json, sys
for line in sys.stdin:
    o = json.loads(line)
    if "error" in o:
        assert set(o) == {"case", "measure", "error"}, o
        print(o["case"], o["measure"], "error", o["error"])
        continue
    keys = ["n", "min_us", "median_us", "p90_us", "p99_us", "mean_us"]
    assert set(o) == {"case", "measure", *keys}, o
    assert isinstance(o["n"], int) and o["n"] > 0, o
    assert all(isinstance(o[k], float) for k in keys[1:]), o
    assert o["min_us"] <= o["median_us"] <= o["p90_us"] <= o["p99_us"], o
    assert o["min_us"] <= o["mean_us"] <= o["p99_us"] or o["n"] < 100, o
    print(o["case"], o["measure"], o["n"])
"#;
    let mut c = Command::new("python3")
        .args(["-c", check])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    use std::io::Write;
    c.stdin
        .take()
        .unwrap()
        .write_all(stdout.as_bytes())
        .unwrap();
    let o = c.wait_with_output().unwrap();
    assert!(
        o.status.success(),
        "{}\n{stdout}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8(o.stdout)
        .unwrap()
        .lines()
        .map(String::from)
        .collect()
}

#[test]
fn json_is_valid_and_complete() {
    if !root() || !need("python3") {
        return;
    }
    let r = run(&[
        "bench",
        "--json",
        "-n",
        "21",
        "pid+uts+ipc",
        "none",
        "net+user",
        "time",
    ]);
    assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{}", r.stdout);
    let got = json_rows(&r.stdout);
    let mut want = Vec::new();
    for case in ["pid+uts+ipc", "none", "net+user", "time"] {
        for m in MEASURES {
            match (case, m) {
                ("none", "teardown") => {}
                (_, "teardown") => want.push(format!("{case} {m} 2")),
                _ => want.push(format!("{case} {m} 21")),
            }
        }
    }
    assert_eq!(got, want, "{}", r.stdout);
}

/// The errors of one case do not stop the others: without privileges, a
/// PID namespace needs a user namespace too.
#[test]
fn errors_per_case() {
    if !root() || !need("setpriv") {
        return;
    }
    // A world-executable copy: the build directory may be private.
    let dir = std::env::temp_dir().join(format!("nsinit-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = dir.join("nsinit");
    std::fs::copy(NSINIT, &bin).unwrap();
    let r = sh(
        "setpriv",
        &[
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "--",
            bin.to_str().unwrap(),
            "bench",
            "-n",
            "5",
            "pid",
            "user+pid",
            "none",
        ],
    );
    std::fs::remove_dir_all(&dir).unwrap();
    assert_eq!((r.status, r.stderr.as_str()), (0, ""), "{}", r.stdout);
    let rows = table(&r.stdout);
    for row in &rows {
        match (row.case.as_str(), row.measure.as_str()) {
            // A namespace that cannot be made has no teardown to time.
            ("pid", "teardown") => panic!("a teardown for a case never created: {row:?}"),
            ("pid", _) => assert_eq!(row.error, "EPERM (Operation not permitted)", "{row:?}"),
            (_, "teardown") => check_numbers(row, 1.0),
            _ => check_numbers(row, 5.0),
        }
    }
    assert_eq!(rows.len(), 10, "{}", r.stdout);
}

/// A kernel without a kind of namespace refuses it with EINVAL (injected
/// here into the first create): that row says so, the rest is measured.
#[test]
fn einval_per_case() {
    if !root() || !need("strace") {
        return;
    }
    // The nsinit's clones: the teardown worker, then pid's create-fork.
    let o = strace(
        &[
            "-o",
            "/dev/null",
            "-e",
            "trace=clone",
            "-e",
            "inject=clone:error=EINVAL:when=2",
        ],
        &["bench", "-n", "3", "pid", "none"],
    );
    let r = out(o);
    assert_eq!(r.status, 0, "{}{}", r.stdout, r.stderr);
    let rows = table(&r.stdout);
    assert_eq!(rows.len(), 7, "{}", r.stdout);
    assert_eq!(rows[0].error, "EINVAL (Invalid argument)", "{}", r.stdout);
    for row in rows.iter().filter(|r| r.measure != "teardown").skip(1) {
        check_numbers(row, 3.0);
    }
}

/// Where the kernel will not let a teardown be seen (here: the limits
/// cannot be set), the rows say why, and the rest is measured.
#[test]
fn teardown_not_allowed() {
    if !root() || !need("strace") {
        return;
    }
    let o = strace(
        &[
            "-o",
            "/dev/null",
            "-P",
            "/proc/sys/user/max_net_namespaces",
            "-e",
            "trace=openat",
            "-e",
            "inject=openat:error=EACCES",
        ],
        &["bench", "-n", "3", "net", "uts"],
    );
    let r = out(o);
    assert_eq!(r.status, 0, "{}{}", r.stdout, r.stderr);
    let rows = table(&r.stdout);
    assert_eq!(rows.len(), 8, "{}", r.stdout);
    for row in &rows {
        if row.measure == "teardown" {
            assert_eq!(row.error, "EACCES (Permission denied)", "{row:?}");
        } else {
            check_numbers(row, 3.0);
        }
    }
}

#[test]
fn payloads() {
    if !root() {
        return;
    }
    let r = run(&["bench", "-n", "3", "--payload", "false", "none"]);
    assert_eq!(r.status, 0, "{}{}", r.stdout, r.stderr);
    let rows = table(&r.stdout);
    assert_eq!(rows[2].measure, "spawn");
    assert_eq!(rows[2].error, "payload exited with status 1");
    check_numbers(&rows[0], 3.0);
    let r = run(&["bench", "-n", "3", "--payload", "/nonexistent", "uts"]);
    let rows = table(&r.stdout);
    assert_eq!(rows[2].error, "ENOENT (No such file or directory)");
    check_numbers(&rows[3], 1.0);
    // The default payload: nsinit itself, `bench --exit`.
    let r = run(&["bench", "--exit"]);
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (0, "", "")
    );
}

#[test]
fn usage_errors_before_anything_runs() {
    let try_ = "Try 'nsinit --help' for more information.\n";
    for (args, msg) in [
        (&["bench", "pid", "bogus"][..], "unknown case: bogus"),
        (&["bench", "pid+"], "unknown case: pid+"),
        (&["bench", "-n", "0", "pid"], "iterations: 1 to 1000000: 0"),
        (&["bench", "-n"], "option requires an argument: -n"),
        (&["bench", "--jsn", "pid"], "unrecognized option: --jsn"),
        (&["bench", "pid", "-n", "5"], "unknown case: -n"),
    ] {
        // Under strace: not one clone, not one namespace.
        let o = Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-e",
                "trace=clone,clone3,unshare,mmap",
                "-o",
                "/dev/stderr",
            ])
            .arg(NSINIT)
            .args(args)
            .stdin(Stdio::null())
            .output();
        let r = match o {
            Ok(o) if have("strace") => out(o),
            _ => run(args),
        };
        assert_eq!((r.status, r.stdout.as_str()), (125, ""), "{args:?}");
        assert_eq!(r.stderr, format!("nsinit: {msg}\n{try_}"), "{args:?}");
    }
    let r = run(&["bench", "--help"]);
    assert_eq!(r.status, 0);
    assert!(r.stdout.contains("nsinit bench"), "{}", r.stdout);
}

/// Ctrl-C at a terminal reaches the whole foreground group, the payload
/// too: the run stops, prints what it measured, exits 130, leaves nothing.
#[test]
fn interrupt_prints_what_was_measured() {
    if !root() {
        return;
    }
    use std::os::unix::process::CommandExt;
    let child = nsinit(&["bench", "-n", "1000000", "pid", "none"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap();
    let pid = child.id();
    std::thread::sleep(Duration::from_millis(1500));
    let kids = children(pid);
    assert!(!kids.is_empty(), "the teardown worker runs");
    // As the terminal would: to the whole process group, the payload too.
    let group = format!("-{pid}");
    let sent = Command::new("kill")
        .args(["-s", "INT", "--", &group])
        .status()
        .unwrap();
    assert!(sent.success());
    let stopped = wait_until(Duration::from_secs(20), || {
        std::fs::read_to_string(format!("/proc/{pid}/stat")).map_or(true, |s| s.contains(") Z "))
    });
    if !stopped {
        kill(pid, "KILL");
    }
    let o = child.wait_with_output().unwrap();
    assert!(stopped, "still running 20 s after SIGINT");
    let r = out(o);
    assert_eq!((r.status, r.stderr.as_str()), (130, ""), "{}", r.stdout);
    let rows = table(&r.stdout);
    assert_eq!(rows.len(), 7, "{}", r.stdout);
    for row in &rows {
        let n = row.nums.unwrap_or_else(|| panic!("{row:?}"))[0];
        assert!((1.0..1_000_000.0).contains(&n), "{row:?}");
    }
    for k in kids {
        assert!(!exists(&format!("/proc/{k}")), "{k} left behind");
    }
}

/// The timed window of a create holds clock_gettime, clone, wait4,
/// clock_gettime and nothing else; the child makes one call, exit_group.
#[test]
fn nothing_else_in_the_window() {
    if !root() || !need("strace") {
        return;
    }
    let log = std::env::temp_dir().join(format!("nsinit-bench-strace-{}", std::process::id()));
    let o = strace(
        &["-o", log.to_str().unwrap()],
        &["bench", "-n", "4", "none"],
    );
    assert_eq!(out(o).status, 0);
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    // "PID name(args) = ret": the parent is the first PID.
    let calls: Vec<(u32, &str, &str)> = text
        .lines()
        .filter_map(|l| {
            // strace pads the PID to a width: "2417  execve(...".
            let (pid, rest) = l.split_once(' ')?;
            let rest = rest.trim_start();
            let name = rest.split('(').next()?;
            // Not "<... wait4 resumed>", "--- SIGCHLD", "+++ exited".
            if !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return None;
            }
            Some((pid.trim().parse().ok()?, name, rest))
        })
        .collect();
    assert!(!calls.is_empty(), "no calls in the log: {text:?}");
    let parent = calls[0].0;
    let mine: Vec<&(u32, &str, &str)> = calls.iter().filter(|c| c.0 == parent).collect();
    let mut windows = Vec::new();
    let mut i = 0;
    while i < mine.len() {
        if mine[i].1 == "clock_gettime" {
            let j = i
                + 1
                + mine[i + 1..]
                    .iter()
                    .position(|c| c.1 == "clock_gettime")
                    .unwrap();
            windows.push(mine[i + 1..j].iter().map(|c| c.1).collect::<Vec<_>>());
            i = j + 1;
        } else {
            i += 1;
        }
    }
    let create = ["clone", "wait4"];
    // A CLONE_VM child reports a failure in the memory it shares with us:
    // no pipe.
    let spawn = ["clone", "wait4"];
    let round = [&create[..], &create[..], &spawn[..]];
    // The unrecorded warm-up round, then four. The warm-up's first spawn
    // registers the robust futex that is a CLONE_VM child's lifeline, once.
    // (The clone stack's guard page is the text segment below it: no
    // mprotect.)
    assert_eq!(windows.len(), 5 * round.len(), "{text}");
    assert_eq!(windows[0], create, "{text}");
    assert_eq!(windows[1], create, "{text}");
    assert_eq!(windows[2], ["set_robust_list", "clone", "wait4"], "{text}");
    for (w, want) in windows.iter().zip(round.iter().cycle()).skip(3) {
        assert_eq!(w, want, "{text}");
    }
    // Each create child: exit_group, nothing before it. (The spawn
    // children start with their own steps.)
    let mut pids: Vec<u32> = calls.iter().map(|c| c.0).filter(|&p| p != parent).collect();
    pids.sort_unstable();
    pids.dedup();
    let mut kids = 0;
    for pid in pids {
        let theirs: Vec<&str> = calls.iter().filter(|c| c.0 == pid).map(|c| c.1).collect();
        if theirs.first() == Some(&"exit_group") {
            assert_eq!(theirs, ["exit_group"]);
            kids += 1;
        }
    }
    assert_eq!(kids, 10, "{text}");
}

/// A case name longer than any line buffer: every JSON object still ends
/// its line, and parses.
#[test]
fn long_rows_stay_whole() {
    if !root() || !need("python3") {
        return;
    }
    let case = vec!["uts"; 120].join("+");
    let r = run(&["bench", "--json", "-n", "2", &case]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    assert!(r.stdout.ends_with("}\n"), "{}", r.stdout);
    let rows = json_rows(&r.stdout);
    assert_eq!(rows.len(), 4, "{}", r.stdout);
    for row in rows {
        // json_rows gives "case measure n" per object Python parsed.
        assert!(row.starts_with(&format!("{case} ")), "{row}");
    }
}

/// A child killed by a signal is reported as such, not as an errno.
#[test]
fn a_killed_child_is_not_an_errno() {
    if !root() || !need("strace") {
        return;
    }
    // Every child's exit_group gets SIGKILL delivered instead; the
    // benchmark itself never calls exit_group before its table is out.
    let o = strace(
        &[
            "-o",
            "/dev/null",
            "-e",
            "inject=exit_group:signal=SIGKILL:when=1",
        ],
        &["bench", "-n", "3", "uts"],
    );
    let stdout = String::from_utf8_lossy(&o.stdout);
    let rows = table(&stdout);
    for (measure, error) in [
        ("create-fork", "child killed by signal 9"),
        ("create-vfork", "child killed by signal 9"),
        ("spawn", "payload exited with status 137"),
    ] {
        let row = rows.iter().find(|r| r.measure == measure).unwrap();
        assert_eq!(row.error, error, "{stdout}");
    }
}

/// The teardown worker's two pipes: when the second cannot be made, the
/// first is closed, and the teardown rows say why.
#[test]
fn worker_setup_failing_leaks_nothing() {
    if !root() || !need("strace") {
        return;
    }
    let log = std::env::temp_dir().join(format!("nsinit-worker-{}", std::process::id()));
    let o = strace(
        &[
            "-o",
            log.to_str().unwrap(),
            "-e",
            "trace=pipe2,close",
            "-e",
            "inject=pipe2:error=EMFILE:when=2",
        ],
        &["bench", "-n", "2", "uts"],
    );
    let text = std::fs::read_to_string(&log).unwrap();
    std::fs::remove_file(&log).unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    let rows = table(&stdout);
    let teardown = rows.iter().find(|r| r.measure == "teardown").unwrap();
    assert_eq!(teardown.error, "EMFILE (Too many open files)", "{stdout}");
    // pipe2([3, 4]) made, the second refused: both of the first closed.
    let first = text
        .lines()
        .find_map(|l| {
            l.split_once("pipe2([")?
                .1
                .split_once(']')
                .map(|(f, _)| f.to_string())
        })
        .expect(&text);
    for fd in first.split(", ") {
        assert!(
            text.lines().any(|l| l.contains(&format!("close({fd})"))),
            "fd {fd} of the first pipe left open:\n{text}"
        );
    }
}

/// The teardown worker killed mid-run: the benchmark's next write to it
/// raises SIGPIPE, which must not kill the benchmark; the teardown rows
/// say EPIPE and the rest of the table is measured.
#[test]
fn a_dead_worker_is_an_error_row() {
    if !root() {
        return;
    }
    let c = nsinit(&["bench", "-n", "2000", "pid", "none"])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The worker is the benchmark's one long-lived child.
    let mut worker = None;
    assert!(wait_until(std::time::Duration::from_secs(5), || {
        worker = children(c.id()).first().copied();
        worker.is_some()
    }));
    kill(worker.unwrap(), "KILL");
    let o = c.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert_eq!(o.status.code(), Some(0), "{stdout}");
    let rows = table(&stdout);
    // pid: four rows; none: three (a plain process has no teardown).
    assert_eq!(rows.len(), 7, "{stdout}");
    for r in &rows {
        if r.measure == "teardown" {
            assert!(r.error.starts_with("EPIPE"), "{stdout}");
        } else {
            check_numbers(r, 2000.0);
        }
    }
}
