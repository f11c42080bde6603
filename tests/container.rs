//! System test with a real OCI runtime: runc runs a bundle whose rootfs
//! holds only nsinit and a static busybox, with nsinit as the container's
//! PID 1 (`["/nsinit", "--", ...]`).

mod common;
use common::*;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn ready() -> bool {
    root() && need("runc") && need("busybox")
}

/// A JSON string literal.
fn json(s: &str) -> String {
    let mut o = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => o.push_str("\\\""),
            '\\' => o.push_str("\\\\"),
            '\n' => o.push_str("\\n"),
            c => o.push(c),
        }
    }
    o.push('"');
    o
}

struct Bundle {
    dir: PathBuf,
    id: String,
}

impl Bundle {
    /// A bundle from `runc spec`, run without a terminal, with `args` as
    /// the process.
    fn new(args: &[&str]) -> Bundle {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let id = format!(
            "nsinit-test-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        );
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(&id);
        let _ = std::fs::remove_dir_all(&dir);
        let rootfs = dir.join("rootfs");
        for d in ["bin", "proc", "dev", "tmp", "sys"] {
            std::fs::create_dir_all(rootfs.join(d)).unwrap();
        }
        std::fs::copy(NSINIT, rootfs.join("nsinit")).unwrap();
        let busybox = std::env::split_paths(&std::env::var_os("PATH").unwrap())
            .map(|d| d.join("busybox"))
            .find(|p| p.is_file())
            .unwrap();
        std::fs::copy(busybox, rootfs.join("bin/busybox")).unwrap();
        for applet in ["sh", "sleep", "cat", "echo", "wc", "kill", "true", "ps"] {
            std::os::unix::fs::symlink("busybox", rootfs.join("bin").join(applet)).unwrap();
        }
        let st = Command::new("runc")
            .arg("spec")
            .current_dir(&dir)
            .status()
            .unwrap();
        assert!(st.success());
        let cfg = std::fs::read_to_string(dir.join("config.json")).unwrap();
        let argv = args.iter().map(|a| json(a)).collect::<Vec<_>>().join(", ");
        let cfg = cfg
            .replacen("\"terminal\": true", "\"terminal\": false", 1)
            .replacen(
                "\"args\": [\n\t\t\t\"sh\"\n\t\t]",
                &format!("\"args\": [{argv}]"),
                1,
            );
        assert!(cfg.contains(&argv), "runc spec's layout changed: {cfg}");
        std::fs::write(dir.join("config.json"), cfg).unwrap();
        Bundle { dir, id }
    }

    fn run(&self) -> Command {
        let mut c = Command::new("runc");
        c.args(["run", "--bundle"])
            .arg(&self.dir)
            .arg(&self.id)
            .stdin(Stdio::null());
        c
    }

    fn kill(&self, sig: &str) {
        let st = Command::new("runc")
            .args(["kill", &self.id, sig])
            .status()
            .unwrap();
        assert!(st.success());
    }

    /// Waits until the container's process is up.
    fn wait_running(&self) {
        let running = wait_until(Duration::from_secs(10), || {
            let o = Command::new("runc")
                .args(["state", &self.id])
                .output()
                .unwrap();
            String::from_utf8_lossy(&o.stdout).contains("\"status\": \"running\"")
        });
        assert!(running, "container {} never ran", self.id);
    }
}

impl Drop for Bundle {
    fn drop(&mut self) {
        let _ = Command::new("runc")
            .args(["delete", "-f", &self.id])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Makes an orphan, shows it was adopted by PID 1, waits for it to exit
/// and counts the zombies left; then exits 42.
const ORPHANS: &str = "sh -c 'sleep 0.3 &'; echo adopted=$(cat /proc/1/task/1/children | wc -w); \
                       sleep 1; z=0; for s in /proc/[0-9]*/stat; do case $(cat $s 2>/dev/null) in *') Z '*) z=$((z+1));; esac; done; \
                       echo zombies=$z pid1=$(cat /proc/1/comm); exit 42";

#[test]
fn orphans_are_reaped_inside_a_container() {
    if !ready() {
        return;
    }
    let b = Bundle::new(&["/nsinit", "--", "/bin/sh", "-c", ORPHANS]);
    let r = out(b.run().output().unwrap());
    // The command's status is the container's.
    assert_eq!(r.status, 42, "{}", r.stderr);
    assert_eq!(
        r.stdout, "adopted=2\nzombies=0 pid1=nsinit\n",
        "{}",
        r.stderr
    );

    // The control: a PID 1 that does not reap (here `sleep`, with the
    // same script as its child) leaves the orphan a zombie, so the count
    // above can fail.
    let b = Bundle::new(&["/bin/sh", "-c", "/bin/sh -c \"$0\" & exec sleep 2", ORPHANS]);
    let r = out(b.run().output().unwrap());
    assert_eq!(r.stdout, "adopted=2\nzombies=1 pid1=sleep\n");
}

#[test]
fn runc_kill_term_ends_the_container_at_once() {
    if !ready() {
        return;
    }
    let b = Bundle::new(&["/nsinit", "--", "/bin/sleep", "100"]);
    let mut c = b.run().spawn().unwrap();
    b.wait_running();
    std::thread::sleep(Duration::from_millis(200));
    let t = Instant::now();
    b.kill("TERM");
    let st = c.wait().unwrap();
    let took = t.elapsed();
    assert_eq!(st.code(), Some(143));
    assert!(took < Duration::from_secs(1), "took {took:?}");

    // The control: `sleep` as PID 1 ignores SIGTERM, which is why an init
    // is needed at all.
    let b = Bundle::new(&["/bin/sleep", "100"]);
    let mut c = b.run().spawn().unwrap();
    b.wait_running();
    b.kill("TERM");
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        c.try_wait().unwrap().is_none(),
        "sleep as PID 1 died of SIGTERM"
    );
    b.kill("KILL");
    assert_eq!(c.wait().unwrap().code(), Some(137));
}

#[test]
fn exit_statuses_are_the_containers() {
    if !ready() {
        return;
    }
    for (script, want) in [("exit 0", 0), ("exit 3", 3), ("kill -USR1 $$", 128 + 10)] {
        let b = Bundle::new(&["/nsinit", "--", "/bin/sh", "-c", script]);
        let r = out(b.run().output().unwrap());
        assert_eq!(r.status, want, "{script}: {}", r.stderr);
    }
    // Not found inside the container: 127 and nsinit's message.
    let b = Bundle::new(&["/nsinit", "--", "nosuch"]);
    let r = out(b.run().output().unwrap());
    assert_eq!(
        (r.status, r.stderr.as_str()),
        (
            127,
            "nsinit: execve nosuch: ENOENT (No such file or directory)\n"
        )
    );
}
