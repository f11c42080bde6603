//! System test on a real kernel: Debian's kernel boots under QEMU with an
//! initramfs holding only nsinit and a static busybox (tools/mkinitramfs),
//! nsinit as the machine's init. The verdict is read from the serial
//! console; `-no-reboot` and `panic=-1` make a kernel panic end QEMU too,
//! so only the console tells a power-off from a panic.
//!
//! TCG by default: on these machines /dev/kvm exists but KVM fails or
//! hangs under nested virtualization. NSINIT_QEMU_ACCEL=kvm picks KVM.

mod common;
use common::*;
use std::path::PathBuf;
use std::process::{Command, Stdio};

fn kernel() -> Option<PathBuf> {
    let mut k: Vec<PathBuf> = std::fs::read_dir("/boot")
        .ok()?
        .flatten()
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .unwrap()
                .to_string_lossy()
                .starts_with("vmlinuz-")
        })
        .collect();
    k.sort();
    k.pop()
}

fn ready() -> bool {
    need("qemu-system-x86_64")
        && need("cpio")
        && need("busybox")
        && can(
            kernel().is_some(),
            "no kernel in /boot (tests/run installs linux-image-amd64)",
        )
        && can(
            !cfg!(debug_assertions),
            "boots the release binary: run cargo test --release",
        )
}

/// The image, built once per test binary.
fn initramfs() -> String {
    static IMG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    IMG.get_or_init(|| {
        let out = format!(
            "{}/initramfs-{}.cpio.gz",
            env!("CARGO_TARGET_TMPDIR"),
            std::process::id()
        );
        let busybox = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .map(|d| d.join("busybox"))
            .find(|p| p.is_file())
            .unwrap();
        let st = Command::new(concat!(env!("CARGO_MANIFEST_DIR"), "/tools/mkinitramfs"))
            .arg(&out)
            .arg("--busybox")
            .arg(busybox)
            .env("NSINIT", NSINIT)
            .stdout(Stdio::null())
            .status()
            .unwrap();
        assert!(st.success());
        out
    })
    .clone()
}

/// Boots with `cmdline` after the console options; returns the console.
fn boot(cmdline: &str) -> String {
    let accel = std::env::var("NSINIT_QEMU_ACCEL").unwrap_or_else(|_| "tcg".into());
    let append = format!("console=ttyS0 panic=-1 quiet {cmdline}");
    let o = Command::new("timeout")
        .args([
            "-s",
            "KILL",
            "180",
            "qemu-system-x86_64",
            "-accel",
            &accel,
            "-m",
            "256",
            "-smp",
            "1",
        ])
        // No network: the image needs none, and no NIC needs no option ROM.
        .args(["-nic", "none", "-nographic", "-no-reboot", "-kernel"])
        .arg(kernel().unwrap())
        .args(["-initrd", &initramfs(), "-append", &append])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let console = String::from_utf8_lossy(&o.stdout).replace('\r', "");
    // Killed by timeout: the machine neither powered off nor panicked.
    assert_eq!(
        o.status.code(),
        Some(0),
        "QEMU did not end by itself:\n{console}"
    );
    console
}

fn powered_off(console: &str) -> bool {
    console.contains("reboot: Power down") && !console.contains("Kernel panic")
}

/// Shows COMMAND's parent, the mounts, and an orphan adopted and reaped.
/// (The first echo ends the line that the firmware's escape codes began.)
const CHECKS: &str = "echo; echo ppid=$PPID; for m in /proc /sys /dev; do cut -d' ' -f2 /proc/mounts | grep -qx $m && echo mounted=$m; done; \
                      sh -c 'sleep 0.3 &'; echo adopted=$(cat /proc/1/task/1/children | wc -w); sleep 1; \
                      z=0; for s in /proc/[0-9]*/stat; do case $(cat $s 2>/dev/null) in *') Z '*) z=$((z+1));; esac; done; \
                      echo zombies=$z";

fn lines(console: &str) -> Vec<&str> {
    console.lines().map(|l| l.trim_end()).collect()
}

#[test]
fn boots_runs_command_and_powers_off() {
    if !ready() {
        return;
    }
    for (end, status) in [("exit 7", 7), ("exit 0", 0), ("kill -KILL $$", 137)] {
        // The kernel passes what follows -- to init as its arguments;
        // double quotes keep the script one argument.
        let console = boot(&format!("rdinit=/nsinit -- /bin/sh -c \"{CHECKS}; {end}\""));
        let l = lines(&console);
        for want in [
            "ppid=1",
            "mounted=/proc",
            "mounted=/sys",
            "mounted=/dev",
            "adopted=2",
            "zombies=0",
        ] {
            assert!(l.contains(&want), "{end}: no {want:?} in:\n{console}");
        }
        let verdict = format!("nsinit: /bin/sh exited with status {status}; powering off");
        assert!(
            l.contains(&verdict.as_str()),
            "{end}: no {verdict:?} in:\n{console}"
        );
        assert!(
            powered_off(&console),
            "{end}: did not power off:\n{console}"
        );
    }
}

#[test]
fn boots_into_new_namespaces() {
    if !ready() {
        return;
    }
    // /init is nsinit too (a link), so no rdinit= is needed. The kernel
    // stops reading init's arguments at a second "--", so none here: the
    // first word that is not an option is COMMAND.
    let console = boot("-- -p -u -m --mount-proc --hostname=vm /bin/sh -c \"h=$(hostname); echo; echo pid=$$ host=$h; echo /proc/[0-9]*\"");
    assert!(lines(&console).contains(&"pid=2 host=vm"), "{console}");
    assert!(lines(&console).contains(&"/proc/1 /proc/2"), "{console}");
    assert!(
        lines(&console).contains(&"nsinit: /bin/sh exited with status 0; powering off"),
        "{console}"
    );
    assert!(powered_off(&console), "{console}");
}

#[test]
fn reboot_restarts_instead() {
    if !ready() {
        return;
    }
    // -no-reboot turns the guest's restart into QEMU's exit.
    let console = boot("rdinit=/nsinit -- --reboot /bin/sh -c \"echo; exit 4\"");
    assert!(
        lines(&console).contains(&"nsinit: /bin/sh exited with status 4; rebooting"),
        "{console}"
    );
    assert!(
        console.contains("reboot: Restarting system") && !console.contains("Kernel panic"),
        "{console}"
    );
}

#[test]
fn a_command_past_word_64_is_still_the_command() {
    if !ready() {
        return;
    }
    // The kernel gives init at most 32 arguments; a shell as PID 1 that
    // execs nsinit gives it as many as it likes. Seventy options before
    // COMMAND: nsinit must run the script, not fall back to /bin/sh.
    let opts = "-s ".repeat(70);
    let console = boot(&format!(
        "rdinit=/bin/sh -- -c \"exec /nsinit {opts}-- /bin/sh -c 'echo; exit 6'\""
    ));
    assert!(
        lines(&console).contains(&"nsinit: /bin/sh exited with status 6; powering off"),
        "{console}"
    );
    assert!(powered_off(&console), "{console}");
}

#[test]
fn a_shell_as_init_panics_the_control() {
    if !ready() {
        return;
    }
    // Without nsinit the same image panics when its command ends: the
    // checks above can tell the two apart.
    let console = boot("rdinit=/bin/sh -- -c \"exit 3\"");
    assert!(
        console.contains("Kernel panic") && !console.contains("reboot: Power down"),
        "{console}"
    );
}

#[test]
fn boot_needs_pid_1() {
    // Asked for on a running system, --boot refuses instead of powering
    // the host off.
    let r = run(&["--boot", "true"]);
    assert_eq!((r.status, r.stderr.as_str()), (125, NOT_A_MACHINE));
}

const NOT_A_MACHINE: &str = "nsinit: --boot: not a machine's first process (PID 1 of the initial PID namespace with CAP_SYS_BOOT)\n";

/// What a PID namespace sees of its caller's /proc, run in a scratch
/// mount namespace of the test's own: `ok` while it is a live proc.
const PROC_ALIVE: &str =
    "readlink /proc/self >/dev/null && test -r /proc/self/mountinfo && echo proc=ok";

#[test]
fn boot_in_a_pid_namespace_mounts_nothing_and_refuses() {
    if !root() || !need("unshare") {
        return;
    }
    // PID 1 of a PID namespace that shares its caller's mount namespace:
    // mounting /proc there would cover the caller's /proc with one that
    // dies with the namespace, and reboot(2) would end the init with
    // SIGINT (status 130). It refuses instead, and touches nothing.
    let script =
        format!("{NSINIT} -p --exec {NSINIT} --boot sh -c 'exit 3'; echo status=$?; {PROC_ALIVE}");
    let r = sh("unshare", &["-m", "sh", "-c", &script]);
    assert_eq!(
        (r.stdout.as_str(), r.stderr.as_str()),
        ("status=125\nproc=ok\n", NOT_A_MACHINE)
    );
    // With CAP_SYS_BOOT and a /proc of its own, as in the issue.
    let r = sh(
        "unshare",
        &[
            "-mpf",
            "--mount-proc",
            NSINIT,
            "--boot",
            "--",
            "sh",
            "-c",
            "exit 3",
        ],
    );
    assert_eq!((r.status, r.stderr.as_str()), (125, NOT_A_MACHINE));
    // The caller's /proc is still alive here too.
    assert!(std::fs::read_link("/proc/self").is_ok());
}

#[test]
fn a_containers_pid_1_is_no_machine() {
    if !root() || !need("unshare") || !need("setpriv") {
        return;
    }
    // PID 1 of a PID namespace, with a PID 2 beside it and /proc mounted,
    // as in a container: nsinit stays a plain init, boots nothing and
    // powers nothing off.
    let script = format!("sleep 5 >/dev/null 2>&1 & exec {NSINIT} -- sh -c 'echo pid=$$; exit 3'");
    let r = sh(
        "unshare",
        &["-m", "-p", "-f", "--mount-proc", "sh", "-c", &script],
    );
    assert_eq!(
        (r.status, r.stdout.as_str(), r.stderr.as_str()),
        (3, "pid=3\n", "")
    );
    // Told --boot there without CAP_SYS_BOOT, it is no machine's init: it
    // refuses before running anything.
    let script = format!("exec setpriv --bounding-set -sys_boot --inh-caps -sys_boot {NSINIT} --boot -- sh -c 'exit 3'");
    let r = sh(
        "timeout",
        &[
            "-s",
            "KILL",
            "20",
            "unshare",
            "-m",
            "-p",
            "-f",
            "--mount-proc",
            "sh",
            "-c",
            &script,
        ],
    );
    assert_eq!((r.status, r.stderr.as_str()), (125, NOT_A_MACHINE));
}
