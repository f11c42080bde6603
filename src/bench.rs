//! `nsinit bench`: what each kind of namespace costs to create, measured by
//! the same clone path that creates namespaces for real.
//!
//! For every case (a set of namespaces), in rounds so that machine drift
//! hits all cases alike:
//! - `create-fork`, `create-vfork`: clone into the namespaces, the child
//!   exits at once, `wait4` returns; fork-style and `CLONE_VM|CLONE_VFORK`.
//!   The window holds two `clock_gettime`, the `clone` and the `wait4`;
//!   nothing else of ours runs in it but the trampoline.
//! - `spawn`: `nsinit --exec`'s own path (`spawn::launch`: error pipe,
//!   clone, lifeline, setup, execve of the payload), then `wait4`.
//! - `teardown`: how long after `wait4` the namespaces are really gone.
//!   Some go in RCU callbacks and workqueues after their last process. A
//!   scratch user namespace whose `max_<kind>_namespaces` are 1 makes this
//!   visible: the next clone of the same kinds fails with ENOSPC until then.
//!
//! Samples live in one anonymous mapping that forks do not inherit, so the
//! fork-style clones copy no more page tables at the millionth iteration
//! than at the first.

use crate::cli::{Action, Config, Usage};
use crate::out::Line;
use crate::spawn::{self, Ctx};
use crate::sys::{self, Errno, Process, SigSet, Style, Words, Zstr};
use crate::z;
use linux_raw_sys::general as k;

named! {
    /// The namespace kinds, as a case names them, in `/proc/sys/user`'s
    /// spelling (`max_<kind>_namespaces`).
    pub enum Kind {
        Pid = "pid",
        Uts = "uts",
        Ipc = "ipc",
        Mnt = "mnt",
        Net = "net",
        User = "user",
        Cgroup = "cgroup",
        Time = "time",
    }
}

impl Kind {
    pub fn flag(self) -> u32 {
        [
            k::CLONE_NEWPID,
            k::CLONE_NEWUTS,
            k::CLONE_NEWIPC,
            k::CLONE_NEWNS,
            k::CLONE_NEWNET,
            k::CLONE_NEWUSER,
            k::CLONE_NEWCGROUP,
            k::CLONE_NEWTIME,
        ][self as usize]
    }
}

named! {
    /// What is timed for each case, in the order of a round.
    pub enum Measure {
        Fork = "create-fork",
        Vfork = "create-vfork",
        Spawn = "spawn",
        Teardown = "teardown",
    }
}

/// After the main help text.
pub const HELP: &str = "\
Usage: nsinit bench [-n N] [--json] [--payload PATH] [CASE...]
Time, per CASE, in rounds: clone + wait4, fork-style and CLONE_VM|CLONE_VFORK
(create); clone, setup, execve PATH, wait4 (spawn: nsinit --exec); until the
namespaces are gone (teardown). CASE: none, or pid uts ipc mnt net user cgroup
time joined by + (default: none and each alone). -n: rounds (300).
";

/// The most cases one run takes: every kind, `none`, and room for
/// combinations.
pub const MAX_CASES: usize = 16;

/// Iterations when `-n` is not given: a few seconds for the default cases.
pub const DEFAULT_N: u32 = 300;

/// A teardown waits for an RCU grace period or a workqueue: tens of
/// milliseconds, a hundred times a clone. It is measured in one round of
/// this many (rounds 1, 21, 41, ...), or it would be all the run's time.
pub const TEARDOWN_EVERY: u32 = 20;

/// Waiting longer than this for a namespace to go means it is not going.
const TEARDOWN_MAX_NS: u64 = 10_000_000_000;
const ENOSPC: i32 = linux_raw_sys::errno::ENOSPC as i32;

/// Without CASE words: the plain-process floor and every kind alone.
static DEFAULT: [Zstr<'static>; 9] = [
    z!("none"),
    z!("pid"),
    z!("uts"),
    z!("ipc"),
    z!("mnt"),
    z!("net"),
    z!("user"),
    z!("cgroup"),
    z!("time"),
];

#[derive(Debug, PartialEq, Eq)]
pub struct Bench<'a> {
    pub n: u32,
    pub json: bool,
    pub payload: Option<Zstr<'a>>,
    /// The CASE words, each checked by `parse_case`; empty for `DEFAULT`.
    pub cases: &'a [Zstr<'a>],
}

/// `none`, or kind names joined by `+`: their `CLONE_NEW*` bits,
/// `CLONE_NEWTIME` included (legacy clone cannot take it: the child
/// unshares it).
pub fn parse_case(name: &[u8]) -> Option<u32> {
    if name == b"none" {
        return Some(0);
    }
    let mut flags = 0;
    for part in name.split(|&b| b == b'+') {
        flags |= Kind::find(|n| n == part)?.flag();
    }
    Some(flags)
}

/// Parses the words after `bench`. Options come first, as for nsinit
/// itself; the first other word starts the cases.
pub fn parse<'a>(args: &'a [Zstr<'a>]) -> Result<Action<'a>, Usage<'a>> {
    let mut b = Bench {
        n: DEFAULT_N,
        json: false,
        payload: None,
        cases: &[],
    };
    let mut i = 0;
    while let Some(w) = args.get(i) {
        let w = w.bytes();
        i += 1;
        let mut value = || {
            i += 1;
            args.get(i - 1).copied().ok_or(Usage {
                what: "option requires an argument",
                word: w,
            })
        };
        match w {
            b"--json" => b.json = true,
            b"--exit" => return Ok(Action::Exit),
            b"-h" | b"--help" => return Ok(Action::Help),
            b"-n" => {
                let v = value()?.bytes();
                match crate::out::parse_i64(v) {
                    Some(n @ 1..=1_000_000) => b.n = n as u32,
                    _ => return usage("iterations: 1 to 1000000", v),
                }
            }
            b"--payload" => b.payload = Some(value()?),
            b"--" => break,
            [b'-', ..] => return usage("unrecognized option", w),
            _ => {
                i -= 1;
                break;
            }
        }
    }
    b.cases = &args[i..];
    if b.cases.len() > MAX_CASES {
        return usage("more than 16 cases", b"");
    }
    for c in b.cases {
        if parse_case(c.bytes()).is_none() {
            return usage("unknown case", c.bytes());
        }
    }
    Ok(Action::Bench(b))
}

fn usage<'a, T>(what: &'static str, word: &'a [u8]) -> Result<T, Usage<'a>> {
    Err(Usage { what, word })
}

/// min, median, p90, p99 and mean of a set of samples, in nanoseconds.
#[derive(Debug, PartialEq, Eq)]
pub struct Stats {
    pub n: usize,
    pub min: u64,
    pub median: u64,
    pub p90: u64,
    pub p99: u64,
    pub mean: u64,
}

/// Sorts `v` (not empty) and summarises it. Percentiles by nearest rank:
/// the smallest sample with at least p% of them at or below it; the median
/// of an even count is the mean of the middle two.
pub fn stats(v: &mut [u64]) -> Stats {
    heapsort(v);
    let n = v.len();
    let rank = |p: usize| v[(p * n).div_ceil(100) - 1];
    Stats {
        n,
        min: v[0],
        median: (v[(n - 1) / 2] + v[n / 2]) / 2,
        p90: rank(90),
        p99: rank(99),
        mean: v.iter().sum::<u64>() / n as u64,
    }
}

/// In place, O(n log n) at any n, in a few dozen instructions: `-n` may be
/// a million.
fn heapsort(v: &mut [u64]) {
    fn sift(v: &mut [u64], mut root: usize) {
        loop {
            let mut c = 2 * root + 1;
            if c >= v.len() {
                return;
            }
            if c + 1 < v.len() && v[c + 1] > v[c] {
                c += 1;
            }
            if v[root] >= v[c] {
                return;
            }
            v.swap(root, c);
            root = c;
        }
    }
    for i in (0..v.len() / 2).rev() {
        sift(v, i);
    }
    for end in (1..v.len()).rev() {
        v.swap(0, end);
        sift(&mut v[..end], 0);
    }
}

/// The create child: exits at once, having unshared the time namespace if
/// asked (legacy clone has no bit for it); the status is the errno.
fn exit_at_once(flags: &u32) -> ! {
    let mut code = 0;
    if flags & k::CLONE_NEWTIME != 0 {
        if let Err(e) = sys::unshare(k::CLONE_NEWTIME) {
            code = e.into_raw() as u8;
        }
    }
    sys::exit(code)
}

/// One create: clone into `flags`' namespaces, the child exits, wait4.
/// Fails with the errno of clone, or of the child's unshare.
fn create(flags: u32, style: Style) -> Result<(), i32> {
    let f = flags & !k::CLONE_NEWTIME | k::SIGCHLD;
    match sys::clone(style, f, exit_at_once, &flags).and_then(|pid| sys::wait4(pid, 0)) {
        Ok((_, 0)) => Ok(()),
        Ok((_, status)) => Err(crate::init::exit_status(status) as i32),
        Err(e) => Err(e.into_raw()),
    }
}

/// A wait status from the spawn payload that is not a clean exit: kept
/// apart from errnos by this offset.
const PAYLOAD_STATUS: i32 = 0x10000;

/// One spawn of the payload as `nsinit --exec` would, then wait4.
fn spawn_once(ctx: &mut Ctx) -> Result<(), i32> {
    let pid = spawn::launch(ctx).map_err(|(_, e)| e.into_raw())?;
    match sys::wait4(pid, 0) {
        Ok((_, 0)) => Ok(()),
        Ok((_, status)) => Err(PAYLOAD_STATUS + crate::init::exit_status(status) as i32),
        Err(e) => Err(e.into_raw()),
    }
}

/// The teardown worker: a fork-style child in a user namespace of its own,
/// asked for one teardown at a time over a pipe.
struct Worker {
    /// Our ends: requests (case flags) out, results (nanoseconds, or a
    /// negative errno) in.
    req: i32,
    resp: i32,
    pid: i32,
}

struct WorkerCtx<'a> {
    cfg: Config<'a>,
    outside: crate::ns::Outside,
    /// The worker's ends, and the two it must close.
    req: i32,
    resp: i32,
    ours: [i32; 2],
}

impl Worker {
    fn start() -> Result<Worker, Errno> {
        let (req_rd, req_wr) = sys::pipe()?;
        let (resp_rd, resp_wr) = sys::pipe()?;
        let mut cfg = Config::new();
        cfg.clone_flags = k::CLONE_NEWUSER;
        cfg.map_user = Some(0);
        cfg.map_group = Some(0);
        let ctx = WorkerCtx {
            cfg,
            outside: crate::ns::Outside {
                uid: sys::geteuid(),
                gid: sys::getegid(),
            },
            req: req_rd,
            resp: resp_wr,
            ours: [req_wr, resp_rd],
        };
        let pid = sys::clone(Style::Fork, k::CLONE_NEWUSER | k::SIGCHLD, worker, &ctx);
        let _ = sys::close(req_rd);
        let _ = sys::close(resp_wr);
        Ok(Worker {
            req: req_wr,
            resp: resp_rd,
            pid: pid?,
        })
    }

    fn teardown(&self, flags: u32) -> Result<u64, i32> {
        let mut r = [0u8; 8];
        match sys::write(self.req, &flags.to_le_bytes()).and_then(|_| sys::read(self.resp, &mut r))
        {
            Ok(8) => match i64::from_le_bytes(r) {
                ns @ 0.. => Ok(ns as u64),
                e => Err(-e as i32),
            },
            Ok(_) => Err(Errno::EPIPE.into_raw()),
            Err(e) => Err(e.into_raw()),
        }
    }

    fn stop(&self) {
        let _ = sys::close(self.req);
        let _ = sys::close(self.resp);
        let _ = sys::wait4(self.pid, 0);
    }
}

fn worker(ctx: &WorkerCtx) -> ! {
    for fd in ctx.ours {
        let _ = sys::close(fd);
    }
    let _ = sys::set_pdeathsig(k::SIGKILL);
    let ready = limit_to_one(ctx).map_err(Errno::into_raw);
    let mut flags = [0u8; 4];
    // End of file: the run is over.
    while let Ok(4) = sys::read(ctx.req, &mut flags) {
        let r = match ready.and_then(|_| teardown(u32::from_le_bytes(flags))) {
            Ok(ns) => ns as i64,
            Err(e) => -(e as i64),
        };
        let _ = sys::write(ctx.resp, &r.to_le_bytes());
    }
    sys::exit(0)
}

/// Root of our own user namespace, where every `max_<kind>_namespaces`
/// is then 1.
fn limit_to_one(ctx: &WorkerCtx) -> Result<(), Errno> {
    crate::ns::setup(&ctx.cfg, ctx.outside).map_err(|(_, e)| e)?;
    for kind in Kind::ALL {
        let mut path = Line::default();
        path.s(b"/proc/sys/user/max_")
            .s(kind.name())
            .s(b"_namespaces\0");
        let path = Zstr::new(path.as_bytes()).ok_or(Errno::ENAMETOOLONG)?;
        let fd = sys::open(path, k::O_WRONLY)?;
        let r = sys::write(fd, b"1");
        let _ = sys::close(fd);
        r?;
    }
    Ok(())
}

/// Clones into `flags` until it no longer fails with ENOSPC; returns when
/// the attempt that succeeded began.
fn until_gone(flags: u32) -> Result<u64, i32> {
    let start = sys::monotonic_ns();
    loop {
        let t = sys::monotonic_ns();
        match create(flags, Style::Vfork) {
            Err(ENOSPC) if t - start < TEARDOWN_MAX_NS => {}
            r => return r.map(|_| t),
        }
    }
}

/// One teardown, in the worker: what the last one left behind goes first
/// (untimed); then a namespace is made and its process reaped, and the
/// clock runs until the next one can be made.
fn teardown(flags: u32) -> Result<u64, i32> {
    until_gone(flags)?;
    let reaped = sys::monotonic_ns();
    Ok(until_gone(flags)? - reaped)
}

/// The run: rounds of every case and measure, then the table.
pub fn run(b: &Bench, p: &Process) -> u8 {
    let cases = if b.cases.is_empty() {
        &DEFAULT[..]
    } else {
        b.cases
    };
    let n = b.n as usize;
    // Ends the run between two iterations: blocked here, looked for when
    // a round ends or an iteration fails.
    let stop: SigSet = 1 << (k::SIGINT - 1) | 1 << (k::SIGTERM - 1) | 1 << (k::SIGHUP - 1);
    let _ = sys::sigdefault(k::SIGCHLD);
    let mask = sys::sigprocmask(k::SIG_BLOCK, &stop).unwrap_or(0);
    // The default payload: ourselves, `bench --exit`.
    let mut exe = [0u8; 4096];
    let (samples, path) = match sys::anon_dontfork(cases.len() * 4 * n).and_then(|s| {
        Ok((
            s,
            match b.payload {
                Some(path) => path,
                None => sys::readlink(z!("/proc/self/exe"), &mut exe)?,
            },
        ))
    }) {
        Ok(r) => r,
        Err(e) => {
            Line::msg().s(b"bench: ").errno(e.into_raw()).eprint();
            return 125;
        }
    };
    let words = match b.payload {
        Some(_) => Words::new(&[path]),
        None => Words::new(&[path, z!("bench"), z!("--exit")]),
    };
    // Only teardowns need it; `none` has nothing to tear down.
    let worker = if cases.iter().any(|c| parse_case(c.bytes()) != Some(0)) {
        Worker::start()
    } else {
        Err(Errno::ECHILD)
    };
    if !b.json {
        let _ = sys::write(1, HEADER);
    }
    let mut count = [0u32; MAX_CASES * 4];
    let mut err = [0i32; MAX_CASES * 4];
    let mut stopped = None;
    // Round 0 warms up, unrecorded: the clone stack's guard page is set,
    // the payload is in the page cache, the code is in the caches.
    'rounds: for round in 0..=b.n {
        for (c, case) in cases.iter().enumerate() {
            let flags = parse_case(case.bytes()).unwrap_or(0);
            let mut cfg = Config::new();
            cfg.clone_flags = flags & !k::CLONE_NEWTIME;
            cfg.time = flags & k::CLONE_NEWTIME != 0;
            cfg.exec = true;
            cfg.name = path;
            for m in Measure::ALL {
                let slot = c * 4 + *m as usize;
                if err[slot] != 0
                    || (*m == Measure::Teardown && (flags == 0 || round % TEARDOWN_EVERY != 1))
                {
                    continue;
                }
                let mut ctx = Ctx::new(&cfg, p, words.argv(), mask, false);
                // Some(ns): a teardown, which the worker timed itself.
                let t0 = sys::monotonic_ns();
                let r = match m {
                    Measure::Fork => create(flags, Style::Fork).map(|()| None),
                    Measure::Vfork => create(flags, Style::Vfork).map(|()| None),
                    Measure::Spawn => spawn_once(&mut ctx).map(|()| None),
                    Measure::Teardown => match &worker {
                        Ok(w) => w.teardown(flags).map(Some),
                        Err(e) => Err(e.into_raw()),
                    },
                };
                let t1 = sys::monotonic_ns();
                let ns = match r {
                    Ok(Some(ns)) => ns,
                    Ok(None) => t1 - t0,
                    Err(e) => {
                        // A Ctrl-C also reaches the payload: that is not the
                        // payload failing.
                        stopped = sys::sigtimedwait(&stop, Some(&ZERO)).ok();
                        if stopped.is_some() {
                            break 'rounds;
                        }
                        err[slot] = e;
                        continue;
                    }
                };
                if round > 0 {
                    samples[slot * n + count[slot] as usize] = ns;
                    count[slot] += 1;
                }
            }
        }
        stopped = sys::sigtimedwait(&stop, Some(&ZERO)).ok();
        if stopped.is_some() {
            break;
        }
    }
    if let Ok(w) = &worker {
        w.stop();
    }
    for (c, case) in cases.iter().enumerate() {
        for m in Measure::ALL {
            let slot = c * 4 + *m as usize;
            let got = count[slot] as usize;
            if got != 0 || err[slot] != 0 {
                row(
                    b.json,
                    case.bytes(),
                    *m,
                    &mut samples[slot * n..slot * n + got],
                    err[slot],
                );
            }
        }
    }
    stopped.map_or(0, |sig| 128 + sig as u8)
}

const ZERO: k::timespec = k::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// The stats' names, in JSON and the table's header.
const FIELDS: [&str; 5] = ["min", "median", "p90", "p99", "mean"];

/// Columns: case, measure, then n and the five stats right-aligned.
const CASE_W: usize = 14;
const MEASURE_W: usize = 12;
const N_END: usize = CASE_W + MEASURE_W + 7;
const NUM_W: usize = 10;

/// The table's header.
pub const HEADER: &[u8] =
    b"case          measure           n       min    median       p90       p99      mean  (us)\n";

/// One line of output: a row of the table, or a JSON object.
fn row(json: bool, case: &[u8], m: Measure, samples: &mut [u64], err: i32) {
    let mut l = Line::default();
    if json {
        l.s(b"{\"case\":\"")
            .s(case)
            .s(b"\",\"measure\":\"")
            .s(m.name())
            .s(b"\"");
    } else {
        l.s(case).pad(CASE_W).s(m.name());
    }
    if err != 0 {
        let mut t = Line::default();
        if err >= PAYLOAD_STATUS {
            t.s(b"payload exited with status ")
                .u((err - PAYLOAD_STATUS) as u64);
        } else {
            t.errno(err);
        }
        if json {
            l.s(b",\"error\":\"").s(t.as_bytes()).s(b"\"}");
        } else {
            l.pad(N_END - 1).s(t.as_bytes());
        }
    } else {
        let s = stats(samples);
        let mut end = N_END;
        for (i, v) in [s.n as u64, s.min, s.median, s.p90, s.p99, s.mean]
            .into_iter()
            .enumerate()
        {
            let mut t = Line::default();
            if i == 0 {
                t.u(v);
            } else {
                let v = (v + 50) / 100;
                t.u(v / 10).s(b".").u(v % 10);
            }
            if json {
                l.s(b",\"");
                match i {
                    0 => l.s(b"n"),
                    _ => l.s(FIELDS[i - 1].as_bytes()).s(b"_us"),
                };
                l.s(b"\":").s(t.as_bytes());
            } else {
                l.right(end, t.as_bytes());
                end += NUM_W;
            }
        }
        if json {
            l.s(b"}");
        }
    }
    l.s(b"\n");
    let _ = sys::write(1, l.as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn zs(s: &[&str]) -> &'static [Zstr<'static>] {
        let owned: Vec<Vec<u8>> = s.iter().map(|w| w.bytes().chain([0]).collect()).collect();
        let owned: &'static Vec<Vec<u8>> = Box::leak(Box::new(owned));
        Box::leak(
            owned
                .iter()
                .map(|w| Zstr::new(w).unwrap())
                .collect::<Vec<_>>()
                .into_boxed_slice(),
        )
    }

    fn bench(s: &[&str]) -> Bench<'static> {
        match parse(zs(s)) {
            Ok(Action::Bench(b)) => b,
            r => panic!("{s:?}: {r:?}"),
        }
    }

    fn err(s: &[&str]) -> (&'static str, String) {
        match parse(zs(s)) {
            Err(u) => (u.what, String::from_utf8(u.word.to_vec()).unwrap()),
            r => panic!("{s:?}: {r:?}"),
        }
    }

    #[test]
    fn cases() {
        assert_eq!(parse_case(b"none"), Some(0));
        assert_eq!(parse_case(b"pid"), Some(k::CLONE_NEWPID));
        assert_eq!(parse_case(b"mnt"), Some(k::CLONE_NEWNS));
        assert_eq!(
            parse_case(b"pid+uts+ipc"),
            Some(k::CLONE_NEWPID | k::CLONE_NEWUTS | k::CLONE_NEWIPC)
        );
        assert_eq!(
            parse_case(b"user+time+cgroup+net"),
            Some(k::CLONE_NEWUSER | k::CLONE_NEWTIME | k::CLONE_NEWCGROUP | k::CLONE_NEWNET)
        );
        for bad in [
            &b""[..],
            b"+",
            b"pid+",
            b"+pid",
            b"PID",
            b"none+pid",
            b"mount",
            b"pid uts",
            b"pid++uts",
        ] {
            assert_eq!(parse_case(bad), None, "{:?}", std::str::from_utf8(bad));
        }
        // Every kind by its name, each its own bit.
        let mut all = 0;
        for kind in Kind::ALL {
            let f = parse_case(kind.name()).unwrap();
            assert_eq!(f.count_ones(), 1);
            assert_eq!(all & f, 0);
            all |= f;
        }
        // The default cases are `none` and every kind alone.
        assert_eq!(DEFAULT.len(), Kind::ALL.len() + 1);
        for (d, kind) in DEFAULT[1..].iter().zip(Kind::ALL) {
            assert_eq!(d.bytes(), kind.name());
        }
    }

    #[test]
    fn options() {
        let b = bench(&[]);
        assert_eq!(
            (b.n, b.json, b.payload, b.cases.len()),
            (DEFAULT_N, false, None, 0)
        );
        let b = bench(&["-n", "50", "--json", "pid", "uts", "ipc", "none"]);
        assert_eq!((b.n, b.json), (50, true));
        let names: Vec<&[u8]> = b.cases.iter().map(|c| c.bytes()).collect();
        assert_eq!(names, [&b"pid"[..], b"uts", b"ipc", b"none"]);
        let b = bench(&["--payload", "/bin/true", "--", "net+user"]);
        assert_eq!(b.payload.unwrap().bytes(), b"/bin/true");
        assert_eq!(b.cases.len(), 1);
        assert_eq!(parse(zs(&["--exit"])), Ok(Action::Exit));
        assert_eq!(
            parse(zs(&["pid", "--help"])).map(|_| ()),
            Err(Usage {
                what: "unknown case",
                word: b"--help"
            })
        );
        assert_eq!(parse(zs(&["--help", "pid"])), Ok(Action::Help));
        assert_eq!(bench(&["-n", "1000000"]).n, 1_000_000);
    }

    #[test]
    fn usage_errors() {
        assert_eq!(err(&["bogus"]), ("unknown case", "bogus".into()));
        assert_eq!(err(&["pid", "pid+"]), ("unknown case", "pid+".into()));
        assert_eq!(err(&["--", "-n"]), ("unknown case", "-n".into()));
        assert_eq!(err(&["-n"]), ("option requires an argument", "-n".into()));
        assert_eq!(
            err(&["--payload"]),
            ("option requires an argument", "--payload".into())
        );
        for n in ["0", "-1", "1000001", "ten", ""] {
            assert_eq!(err(&["-n", n]), ("iterations: 1 to 1000000", n.into()));
        }
        assert_eq!(err(&["--jsn"]), ("unrecognized option", "--jsn".into()));
        let many = ["pid"; 17];
        assert_eq!(err(&many).0, "more than 16 cases");
        assert!(matches!(parse(zs(&["pid"; 16])), Ok(Action::Bench(_))));
    }

    fn st(v: &[u64]) -> Stats {
        stats(&mut v.to_vec())
    }

    #[test]
    fn statistics() {
        assert_eq!(
            st(&[7]),
            Stats {
                n: 1,
                min: 7,
                median: 7,
                p90: 7,
                p99: 7,
                mean: 7
            }
        );
        assert_eq!(
            st(&[30, 10, 20]),
            Stats {
                n: 3,
                min: 10,
                median: 20,
                p90: 30,
                p99: 30,
                mean: 20
            }
        );
        // Even count: the median is the mean of the middle two.
        assert_eq!(st(&[4, 1, 3, 2]).median, 2);
        assert_eq!(st(&[40, 10, 30, 20]).median, 25);
        // 1..=100 shuffled: nearest-rank percentiles are the values.
        let mut v: Vec<u64> = (1..=100).map(|i| (i * 37) % 100 + 1).collect();
        let s = stats(&mut v);
        assert_eq!(
            (s.n, s.min, s.median, s.p90, s.p99, s.mean),
            (100, 1, 50, 90, 99, 50)
        );
        assert!(v.windows(2).all(|w| w[0] <= w[1]), "sorted in place");
        // 1..=1000: p99 is the 990th value; the mean is 500.5, truncated.
        let mut v: Vec<u64> = (1..=1000).rev().collect();
        let s = stats(&mut v);
        assert_eq!((s.median, s.p90, s.p99, s.mean), (500, 900, 990, 500));
        // Ten samples: p90 is the 9th, p99 the 10th.
        let s = st(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 1000]);
        assert_eq!((s.p90, s.p99, s.mean), (9, 1000, 104));
    }

    #[test]
    fn heapsort_sorts() {
        // A small xorshift: duplicates, runs, extremes.
        let mut x = 0x2545f4914f6cdd1du64;
        for len in 0..300 {
            let mut v: Vec<u64> = (0..len)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    if x.is_multiple_of(7) {
                        u64::MAX
                    } else {
                        x % 50
                    }
                })
                .collect();
            let mut want = v.clone();
            want.sort();
            heapsort(&mut v);
            assert_eq!(v, want);
        }
    }
}
