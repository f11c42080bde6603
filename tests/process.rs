//! The outside nsinit: exit statuses, signals forwarded, file descriptors
//! passed through, and nothing left behind when it dies.

mod common;
use common::*;
use std::io::{BufRead, BufReader};
use std::process::{Child, Stdio};
use std::time::Duration;

/// The ways COMMAND can stand behind nsinit.
const MODES: &[&[&str]] = &[
    &[],                 // plain: nsinit forks COMMAND, no namespace
    &["-u", "-i"],       // namespaces, COMMAND our direct child
    &["--exec", "-p"],   // COMMAND is PID 1
    &["-p", "-m", "-u"], // an init of ours is PID 1, COMMAND its child
];

fn with(mode: &[&str], rest: &[&str]) -> Vec<String> {
    mode.iter().chain(rest).map(|s| s.to_string()).collect()
}

fn run_v(args: &[String]) -> Run {
    let a: Vec<&str> = args.iter().map(|s| s.as_str()).collect();
    run(&a)
}

#[test]
fn exit_statuses_pass_through() {
    if !root() {
        return;
    }
    for mode in MODES {
        let pid1 = mode.contains(&"--exec");
        for (script, want) in [
            ("exit 0", 0),
            ("exit 1", 1),
            ("exit 255", 255),
            ("kill -SEGV $$", 128 + 11),
            ("kill -TERM $$", 128 + 15),
        ] {
            if pid1 && script.starts_with("kill") {
                // PID 1 is immune to signals it has no handler for, even
                // its own: the kernel's rule that --exec exposes.
                continue;
            }
            let r = run_v(&with(mode, &["--", "sh", "-c", script]));
            assert_eq!(r.status, want, "{mode:?} {script}: {}", r.stderr);
            assert_eq!(r.stderr, "", "{mode:?} {script}");
        }
    }
}

#[test]
fn a_real_fault_is_128_plus_sigsegv() {
    if !root() || !need("cc") {
        return;
    }
    let segv = prog("segv");
    for mode in MODES {
        let r = run_v(&with(mode, &["--", &segv]));
        assert_eq!((r.status, r.stderr.as_str()), (139, ""), "{mode:?}");
    }
}

#[test]
fn not_found_and_not_executable() {
    if !root() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("nsinit-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    use std::os::unix::fs::PermissionsExt;
    let (plain, script) = (dir.join("plain"), dir.join("script"));
    std::fs::write(&plain, "not a program\n").unwrap();
    std::fs::set_permissions(&plain, std::fs::Permissions::from_mode(0o644)).unwrap();
    // No #! line: the kernel says ENOEXEC, and execvp hands it to /bin/sh.
    std::fs::write(&script, "echo \"from a script: $0 $*\"; exit 3\n").unwrap();
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (plain, script) = (plain.to_str().unwrap(), script.to_str().unwrap());
    for mode in MODES {
        let r = run_v(&with(mode, &["--", "no-such-command-here"]));
        assert_eq!(
            (r.status, r.stderr.as_str()),
            (
                127,
                "nsinit: execve no-such-command-here: ENOENT (No such file or directory)\n"
            ),
            "{mode:?}"
        );
        let r = run_v(&with(mode, &["--", "/no/such/path"]));
        assert_eq!(
            (r.status, r.stderr.as_str()),
            (
                127,
                "nsinit: execve /no/such/path: ENOENT (No such file or directory)\n"
            ),
            "{mode:?}"
        );
        let r = run_v(&with(mode, &["--", plain]));
        assert_eq!(
            (r.status, r.stderr),
            (
                126,
                format!("nsinit: execve {plain}: EACCES (Permission denied)\n")
            ),
            "{mode:?}"
        );
        let r = run_v(&with(mode, &["--", script, "a", "b"]));
        assert_eq!(
            (r.status, r.stdout, r.stderr.as_str()),
            (3, format!("from a script: {script} a b\n"), ""),
            "{mode:?}"
        );
        let r = run_v(&with(mode, &["--", "/etc"]));
        assert_eq!(
            (r.status, r.stderr.as_str()),
            (126, "nsinit: execve /etc: EACCES (Permission denied)\n"),
            "{mode:?}"
        );
    }
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn path_search() {
    let dir = std::env::temp_dir().join(format!("nsinit-path-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let noexec = dir.join("tool");
    std::fs::write(&noexec, "#!/bin/sh\necho wrong\n").unwrap();
    let good = dir.join("sub");
    std::fs::create_dir_all(&good).unwrap();
    std::fs::write(good.join("tool"), "#!/bin/sh\necho right \"$@\"\n").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(good.join("tool"), std::fs::Permissions::from_mode(0o755)).unwrap();
    // A non-executable candidate earlier in PATH is skipped, as execvp does.
    let path = format!("/nonexistent:{}:{}", dir.display(), good.display());
    let r = out(nsinit(&["tool", "a b"])
        .env("PATH", &path)
        .output()
        .unwrap());
    assert_eq!((r.status, r.stdout.as_str()), (0, "right a b\n"));
    // Only non-executable candidates: EACCES, 126.
    let r = out(nsinit(&["tool"])
        .env("PATH", dir.display().to_string())
        .output()
        .unwrap());
    assert_eq!(
        (r.status, r.stderr.as_str()),
        (126, "nsinit: execve tool: EACCES (Permission denied)\n")
    );
    // No PATH at all: the default one finds sh.
    let r = out(nsinit(&["sh", "-c", "echo ok"])
        .env_remove("PATH")
        .output()
        .unwrap());
    assert_eq!((r.status, r.stdout.as_str()), (0, "ok\n"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn environment_is_passed() {
    let r = out(nsinit(&["sh", "-c", "echo $NSINIT_TEST_VAR"])
        .env("NSINIT_TEST_VAR", "v=1")
        .output()
        .unwrap());
    assert_eq!(r.stdout, "v=1\n");
}

#[test]
fn command_sees_only_the_fds_it_was_given() {
    if !root() {
        return;
    }
    // The shell adds fd 7 to whatever this test was given and execs
    // COMMAND (ls), with and without nsinit in between: ls must list the
    // same fds both ways. Its own directory fd takes the lowest free
    // number, so a leaked fd of nsinit's would show as a shifted number.
    let ls = |pre: &str| {
        sh(
            "sh",
            &[
                "-c",
                &format!("exec 7</dev/null; exec {pre} ls /proc/self/fd"),
            ],
        )
        .stdout
    };
    let given = ls("");
    assert!(given.lines().any(|l| l == "7"), "{given}");
    for mode in MODES {
        let pre = format!("{NSINIT} {} --", mode.join(" "));
        assert_eq!(ls(&pre), given, "{mode:?}");
    }
}

fn spawn_ready(args: &[String]) -> (Child, BufReader<std::process::ChildStdout>) {
    let mut c = nsinit(&args.iter().map(|s| s.as_str()).collect::<Vec<_>>())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut rd = BufReader::new(c.stdout.take().unwrap());
    let mut line = String::new();
    rd.read_line(&mut line).unwrap();
    assert_eq!(line, "ready\n");
    (c, rd)
}

#[test]
fn signals_to_nsinit_reach_command() {
    if !root() {
        return;
    }
    for mode in MODES {
        for sig in ["INT", "TERM", "HUP", "QUIT", "USR1", "USR2"] {
            // The handler exits with a status that names the signal, so the
            // status proves delivery and the exit proves it came once.
            let script = format!(
                "trap 'echo got {sig}; exit 42' {sig}; echo ready; while :; do sleep 0.05; done"
            );
            let (mut c, mut rd) = spawn_ready(&with(mode, &["--", "sh", "-c", &script]));
            kill(c.id(), sig);
            let mut line = String::new();
            rd.read_line(&mut line).unwrap();
            assert_eq!(line, format!("got {sig}\n"), "{mode:?}");
            let st = c.wait().unwrap();
            assert_eq!(st.code(), Some(42), "{mode:?} {sig}");
        }
    }
}

#[test]
fn sigkill_to_nsinit_leaves_nothing_behind() {
    if !root() {
        return;
    }
    for mode in MODES {
        let m = marker();
        // COMMAND forks a grandchild too: in a PID namespace everything
        // dies with PID 1; without one, PDEATHSIG takes COMMAND and the
        // grandchild's own sleep is ours to check.
        let script = format!("sleep {m} & echo ready; exec sleep {m}");
        let (mut c, _rd) = spawn_ready(&with(mode, &["--", "sh", "-c", &script]));
        assert!(wait_until(Duration::from_secs(5), || pids_with(&m).len() == 2));
        kill(c.id(), "KILL");
        c.wait().unwrap();
        if mode.contains(&"-p") {
            assert_none_left(&m);
        } else {
            // COMMAND itself dies with nsinit; its own orphan, as without
            // nsinit, is not ours to kill (that is --pid's job).
            assert!(
                wait_until(Duration::from_secs(5), || pids_with(&m).len() == 1),
                "{mode:?}: {:?}",
                pids_with(&m)
            );
            for p in pids_with(&m) {
                kill(p as u32, "KILL");
            }
        }
    }
}

#[test]
fn no_kill_child_lets_command_live_on() {
    if !root() {
        return;
    }
    let m = marker();
    let (mut c, _rd) = spawn_ready(&with(
        &["--no-kill-child", "-u"],
        &["--", "sh", "-c", &format!("echo ready; exec sleep {m}")],
    ));
    assert!(wait_until(Duration::from_secs(5), || pids_with(&m).len() == 1));
    kill(c.id(), "KILL");
    c.wait().unwrap();
    std::thread::sleep(Duration::from_millis(200));
    let left = pids_with(&m);
    assert_eq!(left.len(), 1);
    kill(left[0] as u32, "KILL");
    assert_none_left(&m);
}

#[test]
fn orphans_are_reaped_behind_a_plain_nsinit() {
    // nsinit is a subreaper: the orphaned sleep becomes its child, and its
    // zombie is reaped the moment it exits, leaving COMMAND (the shell)
    // as nsinit's only child.
    let script = "sh -c 'sleep 0.1 &'; c=$(cat /proc/$PPID/task/$PPID/children); \
                  sleep 0.5; echo \"$c\" | wc -w; cat /proc/$PPID/task/$PPID/children; echo; echo $$; exit 3";
    let r = run(&["--", "sh", "-c", script]);
    let l: Vec<&str> = r.stdout.lines().collect();
    assert_eq!(r.status, 3);
    assert_eq!(l[0], "2", "the orphan was not adopted: {}", r.stdout);
    assert_eq!(l[1].trim(), l[2], "a zombie is left: {}", r.stdout);
}

#[test]
fn an_ignored_sigchld_is_commands_again() {
    // A disposition of SIG_IGN survives execve: COMMAND should see what
    // it would see without nsinit in between, though nsinit itself needs
    // SIGCHLD (ignored, the kernel would reap COMMAND and lose its status).
    let caller = "import os, signal, sys\n\
        signal.signal(signal.SIGCHLD, signal.SIG_IGN)\n\
        os.execv(sys.argv[1], sys.argv[1:])";
    if !need("python3") {
        return;
    }
    let modes: &[&[&str]] = if root() { MODES } else { &MODES[..1] };
    for mode in modes {
        let mut args = vec!["-c", caller, NSINIT];
        args.extend_from_slice(mode);
        // Not through a shell: sh sets its own SIGCHLD. grep fails (2) on
        // the missing file, so that nsinit must have seen COMMAND's status.
        let missing = "/nonexistent-nsinit";
        args.extend_from_slice(&["--", "grep", "-h", "SigIgn", "/proc/self/status", missing]);
        let r = sh("python3", &args);
        assert_eq!(r.status, 2, "{mode:?}: {}", r.stderr);
        let ign = r.stdout.trim().trim_start_matches("SigIgn:").trim();
        let ign = u64::from_str_radix(ign, 16).unwrap();
        assert_ne!(
            ign & 1 << (17 - 1),
            0,
            "{mode:?}: SIGCHLD not ignored: {}",
            r.stdout
        );
    }
}
