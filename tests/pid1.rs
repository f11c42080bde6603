//! PID 1 done right: reaping, signal forwarding, exit statuses, grace,
//! process groups — as the init of a new PID namespace (`-p`) and as a
//! plain init/subreaper (no namespace).

mod common;
use common::*;
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, ChildStdout, Stdio};
use std::time::{Duration, Instant};

/// An init of ours in a new PID namespace, and nsinit as a plain init.
const MODES: &[&[&str]] = &[&["-p"], &[]];

fn start(mode: &[&str], cmd: &[&str]) -> (Child, ChildStdin, BufReader<ChildStdout>) {
    let mut args: Vec<&str> = mode.to_vec();
    args.push("--");
    args.extend_from_slice(cmd);
    let mut c = nsinit(&args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let (i, o) = (
        c.stdin.take().unwrap(),
        BufReader::new(c.stdout.take().unwrap()),
    );
    (c, i, o)
}

fn line(o: &mut BufReader<ChildStdout>) -> String {
    let mut l = String::new();
    o.read_line(&mut l).unwrap();
    l
}

/// The process that reaps COMMAND's orphans: the init below the outer
/// nsinit with -p, the outer nsinit itself without.
fn reaper(outer: u32, mode: &[&str]) -> u32 {
    if mode.contains(&"-p") {
        let c = children(outer);
        assert_eq!(c.len(), 1, "the outer nsinit has one child, the init");
        c[0]
    } else {
        outer
    }
}

#[test]
fn zombie_storm_leaves_no_zombie_and_flat_memory() {
    if !root() || !need("cc") {
        return;
    }
    let storm = prog("storm");
    for mode in MODES {
        let (mut c, mut i, mut o) = start(mode, &[&storm, "10000"]);
        assert_eq!(line(&mut o), "spawned 10000\n");
        let r = reaper(c.id(), mode);
        let before = rss_kb(r);
        writeln!(i).unwrap();
        assert_eq!(line(&mut o), "released\n");
        // 10,000 orphans exit at once; each must be reaped as it comes.
        let reaped = wait_until(Duration::from_secs(30), || {
            children(r).len() == 1 && zombies_of(r) == 0
        });
        assert!(
            reaped,
            "{mode:?}: {} children, {} zombies",
            children(r).len(),
            zombies_of(r)
        );
        let after = rss_kb(r);
        assert!(
            after <= before + 64,
            "{mode:?}: reaper grew from {before} to {after} kB"
        );
        writeln!(i).unwrap();
        assert!(c.wait().unwrap().success());
    }
}

/// Every signal a process can catch, as glibc numbers them: 1-31 but KILL,
/// STOP and CHLD, and SIGRTMIN..SIGRTMAX.
fn forwardable(rtmin: i32, rtmax: i32) -> Vec<i32> {
    (1..=31)
        .filter(|s| ![9, 17, 19].contains(s))
        .chain(rtmin..=rtmax)
        .collect()
}

#[test]
fn every_signal_reaches_command_exactly_once() {
    if !root() || !need("cc") {
        return;
    }
    let sigcount = prog("sigcount");
    for mode in [&["-p"][..], &[], &["-u", "-i"], &["--exec", "-p"]] {
        let (mut c, mut i, mut o) = start(mode, &[&sigcount]);
        let ready = line(&mut o);
        let rt: Vec<i32> = ready
            .split_whitespace()
            .skip(1)
            .map(|n| n.parse().unwrap())
            .collect();
        let sigs = forwardable(rt[0], rt[1]);
        // One at a time, each awaited: the kernel itself discards a pending
        // SIGCONT when a stop signal is sent, and the reverse (signal(7)).
        for s in &sigs {
            kill(c.id(), &s.to_string());
            assert_eq!(line(&mut o), format!("{s:02}\n"), "{mode:?}");
        }
        // Then nothing more, and each exactly once.
        std::thread::sleep(Duration::from_millis(200));
        writeln!(i, "report").unwrap();
        let mut got = Vec::new();
        loop {
            let l = line(&mut o);
            assert!(
                !l.is_empty() && l.contains(':') || l == "end\n",
                "{mode:?}: late signal {l:?}"
            );
            if l == "end\n" {
                break;
            }
            got.push(l.trim_end().to_string());
        }
        let want: Vec<String> = sigs.iter().map(|s| format!("{s}:1")).collect();
        assert_eq!(got, want, "{mode:?}");
        drop(i);
        assert!(c.wait().unwrap().success());
    }
}

#[test]
fn term_reaches_a_command_without_a_handler() {
    if !root() {
        return;
    }
    // The PID-1 trap: as PID 1 (`unshare -pf`, or --exec) `sleep` would
    // ignore SIGTERM; behind our init it is PID 2 and dies of it.
    for mode in MODES {
        let mut c = nsinit(&[mode, &["--", "sleep", "100"][..]].concat())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(100));
        let t = Instant::now();
        kill(c.id(), "TERM");
        let st = c.wait().unwrap();
        assert_eq!(st.code(), Some(143), "{mode:?}");
        assert!(t.elapsed() < Duration::from_secs(1));
    }
}

#[test]
fn every_exit_status_passes_through_and_remaps() {
    if !root() {
        return;
    }
    // All 256 exit codes in one nsinit each, as init and as plain init.
    for mode in MODES {
        let script = "exit $1";
        for code in 0..=255 {
            let code = code.to_string();
            let r = run(&[mode, &["--", "sh", "-c", script, "sh", &code][..]].concat());
            assert_eq!(r.status.to_string(), code, "{mode:?}");
        }
        for sig in [1, 2, 3, 6, 9, 10, 12, 13, 14, 15] {
            let r = run(&[mode, &["--", "sh", "-c", &format!("kill -{sig} $$")][..]].concat());
            assert_eq!(r.status, 128 + sig, "{mode:?}");
        }
        // -e CODE reports CODE as 0, and only CODE; repeatable.
        let ok = |args: &[&str], script: &str| {
            run(&[mode, args, &["--", "sh", "-c", script][..]].concat()).status
        };
        assert_eq!(ok(&["-e", "3"], "exit 3"), 0);
        assert_eq!(ok(&["-e", "3"], "exit 4"), 4);
        assert_eq!(ok(&["-e", "3", "--remap-exit=4"], "exit 4"), 0);
        assert_eq!(ok(&["-e143"], "kill -TERM $$"), 0);
        assert_eq!(ok(&["-e", "143"], "kill -KILL $$"), 137);
    }
}

#[test]
fn grace_terminates_then_kills() {
    if !root() {
        return;
    }
    for mode in MODES {
        let m = marker();
        // One straggler that obeys SIGTERM and one that ignores it (an
        // ignored signal stays ignored across exec).
        let script = format!("sleep {m} & (trap '' TERM; exec sleep {m}) & sleep 0.2; exit 4");
        let t = Instant::now();
        let r = run(&[mode, &["--grace=2", "--", "sh", "-c", &script][..]].concat());
        let took = t.elapsed();
        assert_eq!(r.status, 4, "{mode:?}: {}", r.stderr);
        assert!(
            took >= Duration::from_secs(2) && took < Duration::from_secs(4),
            "{mode:?}: {took:?}"
        );
        assert_none_left(&m);

        // Stragglers that obey SIGTERM end the grace early.
        let m = marker();
        let script = format!("sleep {m} & sleep {m} & sleep 0.2; exit 5");
        let t = Instant::now();
        let r = run(&[mode, &["--grace=10", "--", "sh", "-c", &script][..]].concat());
        assert_eq!(r.status, 5);
        assert!(
            t.elapsed() < Duration::from_secs(3),
            "{mode:?}: {:?}",
            t.elapsed()
        );
        assert_none_left(&m);
    }
}

#[test]
fn without_grace_a_subreapers_leftovers_run_on() {
    // The documented default, as a control for the test above.
    // (The leftover gets its own stdout: ours must reach end-of-file.)
    let m = marker();
    let r = run(&[
        "--",
        "sh",
        "-c",
        &format!("sleep {m} >/dev/null 2>&1 & exit 0"),
    ]);
    assert_eq!(r.status, 0);
    let left = pids_with(&m);
    assert_eq!(left.len(), 1);
    kill(left[0] as u32, "KILL");
    // ... and a PID namespace ends with its init.
    if root() {
        let m = marker();
        let r = run(&["-p", "--", "sh", "-c", &format!("sleep {m} & exit 0")]);
        assert_eq!(r.status, 0);
        assert_none_left(&m);
    }
}

#[test]
fn pgroup_reaches_the_whole_group() {
    if !root() {
        return;
    }
    for mode in MODES {
        let m = marker();
        let script = format!("sleep {m} & echo ready; sleep {m}");
        let mut c = nsinit(&[mode, &["-g", "--", "sh", "-c", &script][..]].concat())
            .stdout(Stdio::piped())
            .spawn()
            .unwrap();
        let mut o = BufReader::new(c.stdout.take().unwrap());
        assert_eq!(line(&mut o), "ready\n");
        assert!(wait_until(Duration::from_secs(5), || pids_with(&m).len() == 2));
        kill(c.id(), "TERM");
        assert_eq!(c.wait().unwrap().code(), Some(143), "{mode:?}");
        assert_none_left(&m);
    }
    // The control: without -g only the shell is signalled; both sleeps,
    // behind a plain init, run on.
    let m = marker();
    let script = format!("sleep {m} & echo ready; sleep {m}");
    let mut c = nsinit(&["--", "sh", "-c", &script])
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut o = BufReader::new(c.stdout.take().unwrap());
    assert_eq!(line(&mut o), "ready\n");
    assert!(wait_until(Duration::from_secs(5), || pids_with(&m).len() == 2));
    kill(c.id(), "TERM");
    assert_eq!(c.wait().unwrap().code(), Some(143));
    std::thread::sleep(Duration::from_millis(200));
    let left = pids_with(&m);
    for p in &left {
        kill(*p as u32, "KILL");
    }
    assert_eq!(left.len(), 2);
}

#[test]
fn job_control_under_a_terminal() {
    if !root() || !need("python3") || !need("bash") {
        return;
    }
    let script = format!("{}/tests/jobctl.py", env!("CARGO_MANIFEST_DIR"));
    for mode in ["", "-p", "-p -u -m --mount-proc"] {
        let r = sh("python3", &[&script, NSINIT, mode]);
        assert_eq!(r.status, 0, "{mode}: {}\n{}", r.stdout, r.stderr);
    }
}
