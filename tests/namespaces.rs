//! What a command sees inside: PIDs, hostname, /proc, one new namespace per
//! flag, loopback, time offsets, user maps, working and root directory.

mod common;
use common::*;

#[test]
fn exec_makes_command_pid_1() {
    if !root() {
        return;
    }
    let r = run(&["--exec", "-p", "--", "sh", "-c", "echo $$; echo $PPID"]);
    // PPID 0: the parent is outside the namespace.
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (0, "1\n0\n", "")
    );
}

#[test]
fn default_pid_namespace_puts_an_init_in_front() {
    if !root() {
        return;
    }
    let r = run(&[
        "-p",
        "--mount-proc",
        "--",
        "sh",
        "-c",
        "echo $$ $PPID; cat /proc/1/comm",
    ]);
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (0, "2 1\nnsinit\n", "")
    );
}

#[test]
fn hostname_inside_and_not_outside() {
    if !root() {
        return;
    }
    let before = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let r = run(&["--hostname", "box", "--", "uname", "-n"]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "box\n"));
    let r = run(&[
        &format!("--hostname={}", "h".repeat(64)),
        "-p",
        "uname",
        "-n",
    ]);
    assert_eq!((r.status, r.stdout.trim_end().len()), (0, 64));
    assert_eq!(
        std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap(),
        before
    );
}

#[test]
fn mount_proc_lists_only_the_namespace() {
    if !root() {
        return;
    }
    let host_proc = link("/proc/self");
    // A glob, not ls: no process of its own to show up in the list.
    let list = "echo /proc/[0-9]*";
    let r = run(&["--exec", "-p", "--mount-proc", "--", "sh", "-c", list]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "/proc/1\n"));
    let r = run(&["-p", "--mount-proc", "--", "sh", "-c", list]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "/proc/1 /proc/2\n"));
    // A proc mounted elsewhere, for a command that wants the host's too.
    let r = run(&[
        "-p",
        "--mount-proc=/mnt",
        "--",
        "sh",
        "-c",
        "ls -d /mnt/1 /mnt/2; test ! -e /mnt/3",
    ]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "/mnt/1\n/mnt/2\n"));
    // The host's /proc is untouched.
    assert!(link("/proc/self") != "1" && exists(&format!("/proc/{host_proc}")));
    let r = sh(
        "sh",
        &[
            "-c",
            "grep -c ' /proc proc ' /proc/self/mounts; grep -c ' /mnt proc ' /proc/self/mounts",
        ],
    );
    assert_eq!(r.stdout, "1\n0\n");
}

#[test]
fn proc_mount_is_nosuid_nodev_noexec() {
    if !root() {
        return;
    }
    let r = run(&[
        "-p",
        "--mount-proc",
        "--",
        "grep",
        "^proc /proc ",
        "/proc/self/mounts",
    ]);
    assert_eq!(r.status, 0);
    // The last one is on top: ours, over the copy of the host's.
    let opts = r
        .stdout
        .lines()
        .last()
        .unwrap()
        .split_whitespace()
        .nth(3)
        .unwrap()
        .to_string();
    for o in ["nosuid", "nodev", "noexec"] {
        assert!(opts.split(',').any(|x| x == o), "{opts}");
    }
}

#[test]
fn each_flag_makes_a_new_namespace_and_only_that_one() {
    if !root() {
        return;
    }
    let kinds = [
        ("-p", "pid"),
        ("-u", "uts"),
        ("-i", "ipc"),
        ("-m", "mnt"),
        ("-n", "net"),
        ("-U", "user"),
        ("-C", "cgroup"),
        ("-T", "time"),
    ];
    let outside: Vec<String> = kinds
        .iter()
        .map(|(_, k)| link(&format!("/proc/self/ns/{k}")))
        .collect();
    let script: String = kinds
        .iter()
        .map(|(_, k)| format!("readlink /proc/self/ns/{k};"))
        .collect();
    for (i, (flag, kind)) in kinds.iter().enumerate() {
        let r = run(&[flag, "--", "sh", "-c", &script]);
        assert_eq!(r.status, 0, "{flag}: {}", r.stderr);
        let inside: Vec<&str> = r.stdout.lines().collect();
        for (j, (_, other)) in kinds.iter().enumerate() {
            if i == j {
                assert_ne!(inside[j], outside[j], "{flag} made no new {kind} namespace");
            } else {
                assert_eq!(
                    inside[j], outside[j],
                    "{flag} changed the {other} namespace"
                );
            }
        }
    }
}

#[test]
fn net_brings_loopback_up() {
    if !root() || !need("ip") {
        return;
    }
    let r = run(&["-n", "--", "ip", "-o", "link", "show", "lo"]);
    assert_eq!(r.status, 0);
    assert!(is_up(&r.stdout), "{}", r.stdout);
    // ... with its address, as a fresh namespace's lo has once it is up.
    let r = run(&["-n", "--", "ip", "-o", "addr", "show", "lo"]);
    assert!(r.stdout.contains("inet 127.0.0.1/8"), "{}", r.stdout);
    // The control: a bare new network namespace has lo down, so the check
    // above can fail.
    if have("unshare") {
        let r = sh("unshare", &["-n", "ip", "-o", "link", "show", "lo"]);
        assert!(!is_up(&r.stdout), "{}", r.stdout);
    }
}

/// Whether `ip -o link` output shows the UP flag between its <...>.
fn is_up(link: &str) -> bool {
    let flags = link
        .split('<')
        .nth(1)
        .and_then(|f| f.split('>').next())
        .unwrap_or("");
    flags.split(',').any(|f| f == "UP")
}

fn uptime(s: &str) -> f64 {
    s.split_whitespace().next().unwrap().parse().unwrap()
}

#[test]
fn time_offsets_are_visible() {
    if !root() {
        return;
    }
    let host = uptime(&std::fs::read_to_string("/proc/uptime").unwrap());
    let r = run(&[
        "-T",
        "--boottime=86400",
        "--monotonic=-60",
        "--",
        "sh",
        "-c",
        "cat /proc/uptime /proc/self/timens_offsets",
    ]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let inside = uptime(&r.stdout);
    assert!(
        inside - host >= 86400.0 && inside - host < 86400.0 + 60.0,
        "host {host}, inside {inside}"
    );
    let words = |s: &str| {
        s.lines()
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        words(&r.stdout)[1..],
        ["monotonic -60 0", "boottime 86400 0"]
    );
    // --boottime alone implies -T; the other clock keeps a zero offset.
    let r = run(&["--boottime=-5", "--", "cat", "/proc/self/timens_offsets"]);
    assert_eq!(words(&r.stdout), ["monotonic 0 0", "boottime -5 0"]);
    // Init mode: the init joins the time namespace, so COMMAND does too.
    let host = uptime(&std::fs::read_to_string("/proc/uptime").unwrap());
    let r = run(&["-p", "--boottime=86400", "--", "cat", "/proc/uptime"]);
    assert!(uptime(&r.stdout) - host >= 86400.0, "{}", r.stdout);
}

fn setpriv(args: &[&str]) -> Run {
    let mut a = vec!["--reuid=65534", "--regid=65534", "--clear-groups", NSINIT];
    a.extend_from_slice(args);
    sh("setpriv", &a)
}

fn userns_allowed() -> bool {
    std::fs::read_to_string("/proc/sys/user/max_user_namespaces")
        .map(|s| s.trim() != "0")
        .unwrap_or(false)
}

#[test]
fn unprivileged_user_maps() {
    if !root() || !need("setpriv") || !can(userns_allowed(), "user namespaces are disabled") {
        return;
    }
    let r = setpriv(&["-r", "-p", "--mount-proc", "--", "sh", "-c", "id -u; id -g; cat /proc/self/uid_map /proc/self/gid_map /proc/self/setgroups; echo /proc/[0-9]*"]);
    assert_eq!(r.status, 0, "{}", r.stderr);
    let lines: Vec<String> = r
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
        .collect();
    assert_eq!(
        lines,
        [
            "0",
            "0",
            "0 65534 1",
            "0 65534 1",
            "deny",
            "/proc/1 /proc/2"
        ]
    );
    let r = setpriv(&[
        "--map-user=1000",
        "--map-group=100",
        "--",
        "sh",
        "-c",
        "id -u; id -g",
    ]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "1000\n100\n"));
    // Everything at once, unprivileged.
    let r = setpriv(&[
        "-r",
        "-p",
        "-u",
        "-i",
        "-m",
        "-n",
        "-C",
        "-T",
        "--hostname=box",
        "--mount-proc",
        "--",
        "uname",
        "-n",
    ]);
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (0, "box\n", "")
    );
    // Without --user, an unprivileged user gets the hint.
    let r = setpriv(&["-p", "--", "true"]);
    assert_eq!(r.status, 125);
    assert_eq!(
        r.stderr,
        "nsinit: clone: EPERM (Operation not permitted); needs CAP_SYS_ADMIN, or add --user\n"
    );
    // proc of the host's PID namespace cannot be mounted from a new user
    // namespace: the hint names the fix.
    let r = setpriv(&["-r", "--mount-proc", "--", "true"]);
    assert_eq!(r.status, 125);
    assert!(
        r.stderr
            .starts_with("nsinit: mount proc on /proc: EPERM (Operation not permitted); "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.ends_with("add --pid\n"), "{}", r.stderr);
}

#[test]
fn user_namespace_as_root() {
    if !root() {
        return;
    }
    let r = run(&[
        "-U",
        "--",
        "sh",
        "-c",
        "id -u; cat /proc/self/uid_map | wc -l",
    ]);
    // No map: the overflow id, as in any unmapped user namespace.
    assert_eq!((r.status, r.stdout.as_str()), (0, "65534\n0\n"));
    let r = run(&["-r", "--", "cat", "/proc/self/uid_map"]);
    assert_eq!(
        r.stdout.split_whitespace().collect::<Vec<_>>(),
        ["0", "0", "1"]
    );
}

#[test]
fn working_and_root_directory() {
    if !root() {
        return;
    }
    let r = run(&["-w", "/usr", "--", "pwd"]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "/usr\n"));
    // A root of our own: a busybox-free one made from the host's /usr and
    // /bin via bind mounts would need more; a chroot into / is enough to
    // see --root and --wd combine and PATH be searched inside it.
    let r = run(&["-R", "/", "-w", "/etc", "--", "sh", "-c", "pwd"]);
    assert_eq!((r.status, r.stdout.as_str()), (0, "/etc\n"));
    let dir = std::env::temp_dir().join(format!("nsinit-root-{}", std::process::id()));
    std::fs::create_dir_all(dir.join("sub")).unwrap();
    let r = run(&["-R", dir.to_str().unwrap(), "--", "/bin/sh", "-c", "true"]);
    // Nothing to run in an empty root: the message says where we looked.
    assert_eq!(
        (r.status, r.stderr.as_str()),
        (
            127,
            "nsinit: execve /bin/sh: ENOENT (No such file or directory)\n"
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn tutorial_bug_regression_shared_root() {
    if !root() || !need("unshare") || !need("ps") {
        return;
    }
    // Inside a scratch mount namespace whose / is shared (systemd's
    // default), nsinit mounts a fresh proc for its own PID namespace,
    // under every propagation. The scratch namespace's /proc must still
    // be its own afterwards.
    let check = "readlink /proc/self >/dev/null && ps -e -o pid= | wc -l";
    for p in ["private", "slave", "shared", "unchanged"] {
        let script = format!(
            "mount --make-rshared / && {NSINIT} -p --propagation={p} --mount-proc -- true || exit 9; {check}"
        );
        let r = sh("unshare", &["-m", "sh", "-c", &script]);
        assert_eq!(r.status, 0, "{p}: {}", r.stderr);
        assert!(
            r.stdout.trim().parse::<u32>().unwrap() > 3,
            "{p}: ps saw too few processes: {}",
            r.stdout
        );
    }
    // A DIR that is not a mount point cannot be made private first: with
    // / left shared, nsinit refuses rather than mount where the caller
    // would see it.
    let script = format!(
        "mount --make-rshared / && mkdir -p /tmp/nsinit-pp && {NSINIT} -p --propagation=shared --mount-proc=/tmp/nsinit-pp -- true; echo status=$?; grep -c nsinit-pp /proc/self/mountinfo"
    );
    let r = sh("unshare", &["-m", "sh", "-c", &script]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        ("status=125\n0\n", "nsinit: mount --make-rprivate /tmp/nsinit-pp: EINVAL (Invalid argument); --mount-proc with --propagation=shared or unchanged needs DIR to be a mount point\n")
    );
    let _ = std::fs::remove_dir("/tmp/nsinit-pp");
    // The control: the tutorial's way — a proc mounted from a new PID and
    // mount namespace whose / stays shared — propagates back over the
    // scratch namespace's /proc: this test sees the bug when it is there.
    let script = format!(
        "mount --make-rshared / && unshare -m --propagation unchanged -p -f mount -t proc proc /proc || exit 9; {check}"
    );
    let r = sh("unshare", &["-m", "sh", "-c", &script]);
    assert_ne!(r.status, 0, "the control did not break /proc: {}", r.stdout);
}

#[test]
fn mount_proc_without_a_way_back_names_dir_by_path() {
    if !root() || !need("unshare") || !need("prlimit") || !need("setpriv") {
        return;
    }
    // Entering DIR holds the way back open: that takes a descriptor and
    // search permission on the working directory. Without either, nsinit
    // still mounts proc (naming DIR by its path) and the caller's /proc
    // stays alive. Under a slave /, no make-private is needed at all, so
    // a DIR that is no mount point is fine.
    let check = "readlink /proc/self >/dev/null && echo alive";
    let cases = [
        format!("prlimit --nofile=3:3 {NSINIT} --propagation=shared --mount-proc -- {NSINIT} bench --exit"),
        format!("mkdir -p /tmp/nsinit-x && cd /tmp/nsinit-x && chmod 000 . && setpriv --reuid=65534 --regid=65534 --clear-groups {NSINIT} -r -p --propagation=unchanged --mount-proc -- true; s=$?; cd / && rmdir /tmp/nsinit-x; (exit $s)"),
        format!("mkdir -p /tmp/nsinit-s && {NSINIT} -p --propagation=slave --mount-proc=/tmp/nsinit-s -- sh -c 'test -r /tmp/nsinit-s/self/status'; s=$?; rmdir /tmp/nsinit-s; (exit $s)"),
    ];
    for case in &cases {
        let script = format!("mount --make-rshared / && {case} && {check}");
        let r = sh("unshare", &["-m", "sh", "-c", &script]);
        assert_eq!(
            (r.status, r.stdout.as_str(), r.stderr.as_str()),
            (0, "alive\n", ""),
            "{case}"
        );
    }
}

#[test]
fn propagation_options() {
    if !root() || !need("unshare") {
        return;
    }
    // Start from a shared / (in a scratch namespace) so that each choice
    // shows in mountinfo's optional fields.
    for (p, want) in [
        ("private", ""),
        ("slave", "master:"),
        ("shared", "shared:"),
        ("unchanged", "shared:"),
    ] {
        let script =
            format!("{NSINIT} -m --propagation={p} -- grep -m1 ' / / ' /proc/self/mountinfo");
        let r = sh(
            "unshare",
            &["-m", "--propagation", "shared", "sh", "-c", &script],
        );
        assert_eq!(r.status, 0, "{}", r.stderr);
        let opt = r
            .stdout
            .split(" - ")
            .next()
            .unwrap()
            .split_whitespace()
            .skip(6)
            .collect::<Vec<_>>()
            .join(" ");
        if want.is_empty() {
            assert!(opt.is_empty(), "{p}: {}", r.stdout);
        } else {
            assert!(opt.starts_with(want), "{p}: {}", r.stdout);
        }
    }
}
