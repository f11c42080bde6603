//! Bad input and failing setup steps: one line, a documented status,
//! nothing left running. Setup failures that the host cannot produce on
//! demand are injected with strace, as bubblewrap's tests do.

mod common;
use common::*;

const TRY: &str = "Try 'nsinit --help' for more information.\n";

#[test]
fn usage_errors_before_anything_runs() {
    let flag = std::env::temp_dir().join(format!("nsinit-usage-{}", std::process::id()));
    let touch = flag.to_str().unwrap();
    let long = "x".repeat(65);
    let cases: &[(&[&str], &str)] = &[
        (
            &["--bogus", "touch", touch],
            "nsinit: unrecognized option: --bogus\n",
        ),
        (&["-pZ", "touch", touch], "nsinit: invalid option: -pZ\n"),
        (
            &["--pid=yes", "touch", touch],
            "nsinit: option takes no argument: --pid=yes\n",
        ),
        (
            &["--hostname"],
            "nsinit: option requires an argument: --hostname\n",
        ),
        (&["-p", "-w"], "nsinit: option requires an argument: -w\n"),
        (&[], "nsinit: missing COMMAND\n"),
        (&["-p", "-u", "--"], "nsinit: missing COMMAND\n"),
        (
            &["--hostname", &long, "touch", touch],
            &format!("nsinit: hostname over 64 bytes: {long}\n"),
        ),
        (
            &["--monotonic=soon", "touch", touch],
            "nsinit: not a number of seconds: soon\n",
        ),
        (
            &["--boottime", "1e3", "touch", touch],
            "nsinit: not a number of seconds: 1e3\n",
        ),
        (
            &["--map-user=root", "touch", touch],
            "nsinit: not a valid id: root\n",
        ),
        (
            &["--propagation=rshared", "touch", touch],
            "nsinit: propagation: private, slave, shared or unchanged: rshared\n",
        ),
        (&["--wd=", "touch", touch], "nsinit: empty directory\n"),
        (&["--hostname=", "touch", touch], "nsinit: empty hostname\n"),
        // Options that would silently do nothing.
        (
            &["--exec", "-u", "touch", touch],
            "nsinit: --exec needs -p\n",
        ),
        (
            &["-p", "--propagation=shared", "touch", touch],
            "nsinit: --propagation needs -m\n",
        ),
    ];
    for (args, msg) in cases {
        let r = run(args);
        assert_eq!((r.status, r.stdout.as_str()), (125, ""), "{args:?}");
        assert_eq!(r.stderr, format!("{msg}{TRY}"), "{args:?}");
        assert!(!flag.exists(), "{args:?} ran COMMAND");
    }
}

#[test]
fn help_and_version() {
    let r = run(&["--help"]);
    assert_eq!(r.status, 0);
    assert!(r
        .stdout
        .starts_with("Usage: nsinit [OPTIONS] [--] COMMAND [ARG...]\n"));
    // Every option the parser knows is in the help.
    for o in [
        "--pid",
        "--uts",
        "--ipc",
        "--mount",
        "--net",
        "--user",
        "--cgroup",
        "--time",
        "--monotonic",
        "--boottime",
        "--map-root-user",
        "--map-user",
        "--map-group",
        "--hostname",
        "--mount-proc",
        "--propagation",
        "--wd",
        "--root",
        "--exec",
        "--subreaper",
        "--pgroup",
        "--remap-exit",
        "--grace",
        "--no-kill-child",
        "--boot",
        "--reboot",
        "--verbose",
        "--help",
        "--version",
    ] {
        assert!(r.stdout.contains(o), "{o} missing from --help");
        if o != "--help" && o != "--version" {
            // ... and really is an option (a usage error would say so).
            let r = run(&[o, "1", "true"]);
            assert!(!r.stderr.contains("unrecognized"), "{o}");
        }
    }
    let r = run(&["-h"]);
    assert_eq!(r.status, 0);
    let r = run(&["-V"]);
    assert_eq!(
        (r.status, r.stdout.as_str()),
        (0, concat!("nsinit ", env!("CARGO_PKG_VERSION"), "\n"))
    );
    // Options after COMMAND are COMMAND's.
    let r = run(&["printf", "%s\n", "--help"]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "--help\n"));
}

#[test]
fn verbose_names_each_step() {
    if !root() {
        return;
    }
    let r = run(&[
        "-v",
        "-p",
        "--hostname=box",
        "--mount-proc",
        "-n",
        "-w",
        "/",
        "--",
        "true",
    ]);
    assert_eq!(r.status, 0);
    assert_eq!(
        r.stderr,
        "nsinit: clone\n\
         nsinit: sethostname box\n\
         nsinit: mount --make-rprivate /\n\
         nsinit: chdir /\n\
         nsinit: mount proc on /proc\n\
         nsinit: bring up lo\n\
         nsinit: execve true\n"
    );
}

/// Runs nsinit under strace with one fault injected; returns the run.
/// `filter` adds strace options (e.g. -P PATH to pick one file's calls).
fn inject(filter: &[&str], fault: &str, args: &[&str]) -> Run {
    // A fault that fails to fire would leave COMMAND (a long sleep)
    // running: bound every run.
    let mut a = vec!["-s", "KILL", "60", "strace", "-f", "-qq", "-o", "/dev/null"];
    a.extend_from_slice(filter);
    a.extend_from_slice(&["-e", fault, NSINIT]);
    a.extend_from_slice(args);
    let mut r = sh("timeout", &a);
    // strace's own note on how it resolved -P's path is not nsinit's.
    r.stderr = r
        .stderr
        .lines()
        .filter(|l| !l.starts_with("strace: Requested path"))
        .map(|l| format!("{l}\n"))
        .collect();
    r
}

#[test]
fn every_setup_step_fails_cleanly() {
    if !root() || !need("strace") {
        return;
    }
    let m = marker();
    // (strace filter, fault, nsinit options, status, message)
    type Case<'a> = (&'a [&'a str], &'a str, &'a [&'a str], i32, &'a str);
    let cases: &[Case] = &[
        (&[], "inject=clone:error=EPERM", &["-p"], 125, "clone: EPERM (Operation not permitted); needs CAP_SYS_ADMIN, or add --user"),
        (&[], "inject=clone:error=ENOSPC", &["-n"], 125, "clone: ENOSPC (No space left on device); namespace limit reached: /proc/sys/user/max_*_namespaces, or PID or user namespaces nested 32 deep"),
        (&[], "inject=clone:error=EINVAL", &["-C"], 125, "clone: EINVAL (Invalid argument); the kernel lacks a requested namespace"),
        (&[], "inject=clone:error=EPERM", &["-U"], 125, "clone: EPERM (Operation not permitted); user namespaces are refused in a chroot, and where disabled (sysctl kernel.unprivileged_userns_clone, AppArmor, SELinux)"),
        (&[], "inject=pipe2:error=EMFILE", &["-p"], 125, "pipe2: EMFILE (Too many open files); RLIMIT_NOFILE leaves no descriptor even at its hard limit (-p and -T need one)"),
        (&[], "inject=rt_sigprocmask:error=EINVAL:when=1", &["-p"], 125, "rt_sigprocmask: EINVAL (Invalid argument)"),
        (&[], "inject=prctl:error=EINVAL", &["-u"], 125, "prctl PR_SET_CHILD_SUBREAPER: EINVAL (Invalid argument)"),
        (&[], "inject=prctl:error=EINVAL", &["-p"], 125, "prctl PR_SET_PDEATHSIG: EINVAL (Invalid argument)"),
        (&[], "inject=sethostname:error=EPERM", &["--hostname=box"], 125, "sethostname box: EPERM (Operation not permitted); needs CAP_SYS_ADMIN, or add --user"),
        (&[], "inject=mount:error=EPERM", &["-p", "--mount-proc"], 125, "mount --make-rprivate /: EPERM (Operation not permitted)"),
        (&[], "inject=mount:error=EINVAL", &["-m", "--propagation=slave"], 125, "mount --make-rslave /: EINVAL (Invalid argument)"),
        (&[], "inject=mount:error=ENODEV:when=2", &["-p", "--mount-proc=/mnt"], 125, "mount proc on /mnt: ENODEV (No such device)"),
        (&["-P", "/proc/self/setgroups"], "inject=openat:error=EACCES", &["-r"], 125, "write /proc/self/setgroups: EACCES (Permission denied)"),
        (&["-P", "/proc/self/gid_map"], "inject=openat:error=EPERM", &["-r"], 125, "write /proc/self/gid_map: EPERM (Operation not permitted)"),
        (&["-P", "/proc/self/uid_map"], "inject=openat:error=EPERM", &["--map-user=0"], 125, "write /proc/self/uid_map: EPERM (Operation not permitted)"),
        (&[], "inject=unshare:error=EINVAL", &["-T"], 125, "unshare CLONE_NEWTIME: EINVAL (Invalid argument); the kernel lacks time namespaces"),
        (&[], "inject=unshare:error=EPERM", &["-T"], 125, "unshare CLONE_NEWTIME: EPERM (Operation not permitted); needs CAP_SYS_ADMIN, or add --user"),
        (&["-P", "/proc/self/timens_offsets"], "inject=openat:error=EACCES", &["--monotonic=5"], 125, "write /proc/self/timens_offsets: EACCES (Permission denied)"),
        (&[], "inject=setns:error=EUSERS", &["-T"], 125, "setns CLONE_NEWTIME: EUSERS (Too many users)"),
        (&[], "inject=chroot:error=ENOENT", &["-R", "/"], 125, "chroot /: ENOENT (No such file or directory)"),
        (&[], "inject=chroot:error=EPERM", &["-R", "/"], 125, "chroot /: EPERM (Operation not permitted); needs CAP_SYS_CHROOT, or add --user"),
        (&[], "inject=chdir:error=ENOTDIR", &["-p", "-w", "/tmp"], 125, "chdir /tmp: ENOTDIR (Not a directory)"),
        (&[], "inject=socket:error=EMFILE", &["-n"], 125, "bring up lo: EMFILE (Too many open files); RLIMIT_NOFILE leaves no descriptor even at its hard limit"),
        (&[], "inject=ioctl:error=EPERM", &["-n"], 125, "bring up lo: EPERM (Operation not permitted)"),
        (&["-P", "/bin/sleep"], "inject=execve:error=ENOENT", &["-p"], 127, "execve /bin/sleep: ENOENT (No such file or directory)"),
        (&["-P", "/bin/sleep"], "inject=execve:error=EACCES", &["-u"], 126, "execve /bin/sleep: EACCES (Permission denied)"),
        // ENOEXEC, then the shell that execvp falls back to fails too.
        (&["-P", "/bin/sleep", "-P", "/bin/sh"], "inject=execve:error=ENOEXEC", &["--exec", "-p"], 126, "execve /bin/sleep: ENOEXEC (Exec format error)"),
    ];
    for (filter, fault, opts, status, msg) in cases {
        let mut args = opts.to_vec();
        args.extend_from_slice(&["--", "/bin/sleep", &m]);
        let r = inject(filter, fault, &args);
        assert_eq!(
            (r.status, r.stderr.as_str()),
            (*status, format!("nsinit: {msg}\n").as_str()),
            "{fault} {opts:?}"
        );
        assert_none_left(&m);
    }
}

#[test]
fn supervisor_survives_failing_syscalls() {
    if !root() || !need("strace") {
        return;
    }
    use std::io::BufRead;
    // SIGUSR1 to nsinit, whose forwarding kill() fails: the loop carries
    // on and COMMAND's own status comes through. Without the fault the
    // forwarded SIGUSR1 kills COMMAND (the control: 128+10).
    for (fault, want) in [("inject=kill:error=ESRCH", 5), ("trace=kill", 138)] {
        let mut c = std::process::Command::new("strace")
            .args([
                "-f",
                "-qq",
                "-o",
                "/dev/null",
                "-e",
                fault,
                NSINIT,
                "--",
                "sh",
                "-c",
                "echo ready; sleep 0.5; exit 5",
            ])
            .stdout(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        let mut o = std::io::BufReader::new(c.stdout.take().unwrap());
        let mut l = String::new();
        o.read_line(&mut l).unwrap();
        let outer = children(c.id())[0];
        kill(outer, "USR1");
        assert_eq!(c.wait().unwrap().code(), Some(want), "{fault}");
    }
    let r = inject(
        &[],
        "inject=rt_sigtimedwait:error=EINTR:when=1",
        &["--", "sh", "-c", "exit 6"],
    );
    assert_eq!(r.status, 6);
}

#[test]
fn init_cannot_fork_command() {
    if !root() || !need("setpriv") || !need("prlimit") {
        return;
    }
    // The one clone strace cannot single out (its counters are per process):
    // the init's clone of COMMAND. RLIMIT_NPROC of 2 for an unprivileged
    // user lets the outer nsinit and the init exist, and no third process.
    let m = marker();
    let r = sh(
        "setpriv",
        &[
            "--reuid=65534",
            "--regid=65534",
            "--clear-groups",
            "prlimit",
            "--nproc=2",
            NSINIT,
            "-r",
            "-p",
            "--",
            "/bin/sleep",
            &m,
        ],
    );
    assert_eq!(
        (r.status, r.stderr.as_str()),
        (
            125,
            "nsinit: clone COMMAND: EAGAIN (Resource temporarily unavailable)\n"
        )
    );
    assert_none_left(&m);
}
