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

use crate::cli::{usage, Args, Config, Misuse, Usage};
use crate::cstr;
use crate::ops::Outside;
use crate::out::Line;
use crate::rt::{self, Namespaces, Process, Style};
use crate::spawn::{self, Ctx};
use crate::sys::{self, ArgvBuf, Errno, SigSet, Zstr};
use crate::text;
use crate::text::Text;
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
pub const HELP: Text = text!(
    "\
Usage: nsinit bench [-n N] [--json] [--payload PATH] [CASE...]
Time, per CASE, in rounds: clone + wait4, fork-style and CLONE_VM|CLONE_VFORK
(create); clone, setup, execve PATH, wait4 (spawn: nsinit --exec); until the
namespaces are gone (teardown). CASE: none, or pid uts ipc mnt net user cgroup
time joined by + (default: none and each alone). -n: rounds (300).
"
);

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

/// Without CASE words: the plain-process floor and every kind alone,
/// NUL-separated (a table of `Zstr`s would cost 16 bytes a case more).
const DEFAULT: &[u8] = b"none\0pid\0uts\0ipc\0mnt\0net\0user\0cgroup\0time\0";
const DEFAULT_COUNT: usize = 9;

#[derive(Debug, PartialEq, Eq)]
pub struct Bench<'a> {
    pub n: u32,
    pub json: bool,
    pub payload: Option<Zstr<'a>>,
    /// The CASE words, each checked by `parse_case`: `count` of them from
    /// argv word `from`; none for `DEFAULT`.
    pub cases: Cases,
}

/// Where the CASE words are among the words parsed.
#[derive(Debug, PartialEq, Eq, Clone, Copy)]
pub struct Cases {
    pub from: usize,
    pub count: usize,
}

/// `none`, or kind names joined by `+`: their `CLONE_NEW*` bits,
/// `CLONE_NEWTIME` included (legacy clone cannot take it: the child
/// unshares it).
#[cold]
pub fn parse_case(name: &[u8]) -> Option<u32> {
    if name == b"none" {
        return Some(0);
    }
    // By hand, not with core's `Split`, whose iterator costs more.
    let mut flags = 0;
    let mut rest = name;
    loop {
        let end = rest.iter().position(|&b| b == b'+').unwrap_or(rest.len());
        flags |= Kind::find(rest.get(..end)?)?.flag();
        match rest.get(end + 1..) {
            Some(more) => rest = more,
            None => return Some(flags),
        }
    }
}

/// What the words after `bench` ask for.
#[derive(Debug, PartialEq, Eq)]
pub enum Parsed<'a> {
    Run(Bench<'a>),
    /// `--exit`: nothing, at once (the default payload).
    Exit,
    Help,
}

/// The word after option `w`, which is word `i`, if there is one.
#[cold]
fn value<'a, A: Args<'a> + ?Sized>(
    args: &A,
    i: &mut usize,
    w: &'a [u8],
) -> Result<Zstr<'a>, Usage<'a>> {
    *i += 1;
    if *i > args.count() {
        return usage(Misuse::NeedsArgument, w);
    }
    Ok(args.word(*i - 1))
}

/// Parses the words after `bench` (from word `i` on). Options come first,
/// as for nsinit itself; the first other word starts the cases.
#[cold]
#[inline(never)]
pub fn parse<'a, A: Args<'a> + ?Sized>(args: &A, mut i: usize) -> Result<Parsed<'a>, Usage<'a>> {
    let mut b = Bench {
        n: DEFAULT_N,
        json: false,
        payload: None,
        cases: Cases { from: 0, count: 0 },
    };
    let end = args.count();
    while i < end {
        let w = args.word(i).bytes();
        i += 1;
        let mut value = || value(args, &mut i, w);
        match w {
            b"--json" => b.json = true,
            b"--exit" => return Ok(Parsed::Exit),
            b"-h" | b"--help" => return Ok(Parsed::Help),
            b"-n" => {
                let v = value()?.bytes();
                match crate::out::parse_i64(v) {
                    Some(n @ 1..=1_000_000) => b.n = n as u32,
                    _ => return usage(Misuse::Iterations, v),
                }
            }
            b"--payload" => b.payload = Some(value()?),
            b"--" => break,
            [b'-', ..] => return usage(Misuse::Unrecognized, w),
            _ => {
                i -= 1;
                break;
            }
        }
    }
    let i = i.min(end);
    b.cases = Cases {
        from: i,
        count: end - i,
    };
    if b.cases.count > MAX_CASES {
        return usage(Misuse::ManyCases, b"");
    }
    for j in i..end {
        let c = args.word(j).bytes();
        if parse_case(c).is_none() {
            return usage(Misuse::UnknownCase, c);
        }
    }
    Ok(Parsed::Run(b))
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
#[cold]
pub fn stats(v: &mut [u64]) -> Stats {
    heapsort(v);
    let n = v.len();
    Stats {
        n,
        min: v[0],
        median: (v[(n - 1) / 2] + v[n / 2]) / 2,
        p90: rank(v, 90),
        p99: rank(v, 99),
        mean: v.iter().sum::<u64>() / n as u64,
    }
}

/// The nearest-rank `p`th percentile of sorted `v`. (A function, not a
/// closure: closures are not `#[cold]`, and this one landed in the pages
/// every start-up maps.)
#[cold]
fn rank(v: &[u64], p: usize) -> u64 {
    v[(p * v.len()).div_ceil(100) - 1]
}

/// In place, O(n log n) at any n, in a few dozen instructions: `-n` may be
/// a million.
#[cold]
fn heapsort(v: &mut [u64]) {
    #[cold]
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
#[cold]
fn exit_at_once(flags: &u32) -> ! {
    let mut code = 0;
    if flags & k::CLONE_NEWTIME != 0 {
        if let Err(e) = sys::unshare(k::CLONE_NEWTIME) {
            code = e.into_raw() as u8;
        }
    }
    sys::exit(code)
}

/// What went wrong in one measurement: an errno, or how a child ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Error {
    Errno(i32),
    /// The spawn payload exited with this status (not 0).
    Payload(u8),
    /// A create child was killed by this signal.
    Killed(u8),
}

impl Error {
    #[cold]
    fn show(self, l: &mut Line) {
        match self {
            Error::Errno(e) => {
                l.push_errno(e);
            }
            Error::Payload(st) => {
                l.push_str(b"payload exited with status ")
                    .push_u64(st as u64);
            }
            Error::Killed(sig) => {
                l.push_str(b"child killed by signal ").push_u64(sig as u64);
            }
        }
    }
}

impl From<Errno> for Error {
    fn from(e: Errno) -> Error {
        Error::Errno(e.into_raw())
    }
}

/// One create: clone into `flags`' namespaces, the child exits, wait4. Fails with the errno of clone, or of the child's unshare (its
/// exit code), or with the signal that killed it.
#[cold]
fn create(flags: u32, style: Style) -> Result<(), Error> {
    let (_, status) = rt::clone(style, Namespaces::new(flags), exit_at_once, &flags)
        .and_then(|pid| sys::wait4(pid, 0))?;
    match (status & 0x7f, (status >> 8) & 0xff) {
        (0, 0) => Ok(()),
        (0, code) => Err(Error::Errno(code)),
        (sig, _) => Err(Error::Killed(sig as u8)),
    }
}

/// One spawn of the payload as `nsinit --exec` would, then wait4. (Out of
/// line, as `row`: inlined into `run`, they cost more than the calls.)
#[cold]
#[inline(never)]
fn spawn_once(ctx: &mut Ctx) -> Result<(), Error> {
    let pid = spawn::launch(ctx).map_err(|f| Error::Errno(f.errno.into_raw()))?;
    match sys::wait4(pid, 0)? {
        (_, 0) => Ok(()),
        (_, status) => Err(Error::Payload(crate::init::exit_status(status))),
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
    outside: Outside,
    /// The worker's ends, and the two it must close.
    req: i32,
    resp: i32,
    ours: [i32; 2],
}

impl Worker {
    #[cold]
    fn start() -> Result<Worker, Errno> {
        let (req_rd, req_wr) = sys::pipe()?;
        let (resp_rd, resp_wr) = match sys::pipe() {
            Ok(p) => p,
            Err(e) => {
                let _ = sys::close(req_rd);
                let _ = sys::close(req_wr);
                return Err(e);
            }
        };
        let mut cfg = Config::new();
        cfg.ns = Namespaces::new(k::CLONE_NEWUSER);
        cfg.map_user = Some(0);
        cfg.map_group = Some(0);
        let ctx = WorkerCtx {
            outside: Outside::of(&cfg),
            cfg,
            req: req_rd,
            resp: resp_wr,
            ours: [req_wr, resp_rd],
        };
        let pid = rt::clone(Style::Fork, ctx.cfg.ns, worker, &ctx);
        let _ = sys::close(req_rd);
        let _ = sys::close(resp_wr);
        match pid {
            Ok(pid) => Ok(Worker {
                req: req_wr,
                resp: resp_rd,
                pid,
            }),
            Err(e) => {
                let _ = sys::close(req_wr);
                let _ = sys::close(resp_rd);
                Err(e)
            }
        }
    }

    #[cold]
    fn teardown(&self, flags: u32) -> Result<u64, Error> {
        let mut r = [0u8; 8];
        // All signals are blocked: a worker that died gives EPIPE here,
        // not a SIGPIPE that ends the run.
        sys::write(self.req, &flags.to_le_bytes())?;
        match sys::read(self.resp, &mut r)? {
            8 => match i64::from_le_bytes(r) {
                ns @ 0.. => Ok(ns as u64),
                e => Err(Error::Errno(-e as i32)),
            },
            _ => Err(Error::Errno(Errno::EPIPE.into_raw())),
        }
    }

    #[cold]
    fn stop(&self) {
        let _ = sys::close(self.req);
        let _ = sys::close(self.resp);
        let _ = sys::wait4(self.pid, 0);
    }
}

#[cold]
fn worker(ctx: &WorkerCtx) -> ! {
    for fd in ctx.ours {
        let _ = sys::close(fd);
    }
    let _ = sys::set_pdeathsig(k::SIGKILL);
    let ready = limit_to_one(ctx).map_err(Error::from);
    let mut flags = [0u8; 4];
    // End of file: the run is over.
    while let Ok(4) = sys::read(ctx.req, &mut flags) {
        let r = match ready.and_then(|_| teardown(u32::from_le_bytes(flags))) {
            Ok(ns) => ns as i64,
            Err(Error::Errno(e)) => -(e as i64),
            Err(_) => -(Errno::ECHILD.into_raw() as i64),
        };
        let _ = sys::write(ctx.resp, &r.to_le_bytes());
    }
    sys::exit(0)
}

/// Root of our own user namespace, where every `max_<kind>_namespaces`
/// is then 1.
#[cold]
fn limit_to_one(ctx: &WorkerCtx) -> Result<(), Errno> {
    crate::ops::run(&ctx.cfg, ctx.outside).map_err(|f| f.errno)?;
    for kind in Kind::ALL {
        let mut path = Line::new();
        path.push_str(b"/proc/sys/user/max_")
            .push_str(kind.name())
            .push_str(b"_namespaces\0");
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
#[cold]
fn until_gone(flags: u32) -> Result<u64, Error> {
    let start = sys::monotonic_ns();
    loop {
        let t = sys::monotonic_ns();
        match create(flags, Style::Vfork) {
            Err(Error::Errno(ENOSPC)) if t - start < TEARDOWN_MAX_NS => {}
            r => return r.map(|_| t),
        }
    }
}

/// One teardown, in the worker: what the last one left behind goes first
/// (untimed); then a namespace is made and its process reaped, and the
/// clock runs until the next one can be made.
#[cold]
fn teardown(flags: u32) -> Result<u64, Error> {
    until_gone(flags)?;
    let reaped = sys::monotonic_ns();
    Ok(until_gone(flags)? - reaped)
}

/// The case words of a run: the user's, or `DEFAULT`.
#[cold]
fn case(b: &Bench, p: &Process, i: usize) -> Zstr<'static> {
    if b.cases.count == 0 {
        // The `i`th name, with the NUL that ends it.
        let name = crate::out::nth(DEFAULT, i);
        let at = (name.as_ptr() as usize).wrapping_sub(DEFAULT.as_ptr() as usize);
        Zstr::lit(DEFAULT.get(at..=at + name.len()).unwrap_or(b"\0"))
    } else {
        p.word(b.cases.from + i)
    }
}

/// The run: rounds of every case and measure, then the table.
#[cold]
#[inline(never)]
pub fn run(b: &Bench, p: &Process, mask: SigSet, me: i32) -> u8 {
    let ncases = if b.cases.count == 0 {
        DEFAULT_COUNT
    } else {
        b.cases.count
    };
    let n = b.n as usize;
    // Ends the run between two iterations: blocked, looked for when a
    // round ends or an iteration fails. Every other signal does to us what
    // it would have done before nsinit blocked them all in main.
    let stop = sys::sigbit(k::SIGINT) | sys::sigbit(k::SIGTERM) | sys::sigbit(k::SIGHUP);
    let _ = sys::sigdefault(k::SIGCHLD, false);
    let _ = sys::sigprocmask(k::SIG_SETMASK, &(mask | stop | sys::sigbit(k::SIGPIPE)));
    // The default payload: ourselves, `bench --exit`.
    let mut exe = [0u8; 1024];
    let (samples, path) = match sys::anon_dontfork(ncases * 4 * n).and_then(|s| {
        Ok((
            s,
            match b.payload {
                Some(path) => path,
                None => sys::readlink(cstr!("/proc/self/exe"), &mut exe)?,
            },
        ))
    }) {
        Ok(r) => r,
        Err(e) => {
            Line::msg()
                .push_str(b"bench: ")
                .push_errno(e.into_raw())
                .eprint();
            return 125;
        }
    };
    let words = match b.payload {
        Some(_) => ArgvBuf::new(&[path]),
        None => ArgvBuf::new(&[path, cstr!("bench"), cstr!("--exit")]),
    };
    // Only teardowns need it; `none` has nothing to tear down.
    let worker = if (0..ncases).any(|c| parse_case(case(b, p, c).bytes()) != Some(0)) {
        Worker::start()
    } else {
        Err(Errno::ECHILD)
    };
    if !b.json {
        let _ = sys::write(1, HEADER);
    }
    let mut count = [0u32; MAX_CASES * 4];
    let mut err = [None; MAX_CASES * 4];
    let mut stopped = None;
    // Round 0 warms up, unrecorded: the clone stack's guard page is set,
    // the payload is in the page cache, the code is in the caches.
    'rounds: for round in 0..=b.n {
        for c in 0..ncases {
            let flags = parse_case(case(b, p, c).bytes()).unwrap_or(0);
            let mut cfg = Config::new();
            cfg.ns = Namespaces::new(flags);
            if flags & k::CLONE_NEWTIME != 0 {
                cfg.flags |= crate::cli::TIME;
            }
            cfg.flags |= crate::cli::EXEC;
            cfg.name = path;
            for m in Measure::ALL {
                let slot = c * 4 + *m as usize;
                // A teardown follows a create of the same case: none
                // where creating failed.
                let created = err[c * 4 + Measure::Vfork as usize].is_none();
                if err[slot].is_some()
                    || (*m == Measure::Teardown
                        && (flags == 0 || round % TEARDOWN_EVERY != 1 || !created))
                {
                    continue;
                }
                let mut ctx = Ctx::new(&cfg, p, words.argv(), mask, me, None);
                // Some(ns): a teardown, which the worker timed itself.
                let t0 = sys::monotonic_ns();
                let r = match m {
                    Measure::Fork => create(flags, Style::Fork).map(|()| None),
                    Measure::Vfork => create(flags, Style::Vfork).map(|()| None),
                    Measure::Spawn => spawn_once(&mut ctx).map(|()| None),
                    Measure::Teardown => match &worker {
                        Ok(w) => w.teardown(flags).map(Some),
                        Err(e) => Err(Error::from(*e)),
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
                        err[slot] = Some(e);
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
    for c in 0..ncases {
        for m in Measure::ALL {
            let slot = c * 4 + *m as usize;
            let got = count[slot] as usize;
            if got != 0 || err[slot].is_some() {
                row(
                    b.json,
                    case(b, p, c).bytes(),
                    *m,
                    &mut samples[slot * n..slot * n + got],
                    err[slot],
                );
            }
        }
    }
    stopped.map_or(0, |i| 128 + i.signo as u8)
}

const ZERO: k::timespec = k::timespec {
    tv_sec: 0,
    tv_nsec: 0,
};

/// The stats' names, in JSON and the table's header, NUL-separated (a
/// table of `&str` would cost 16 bytes of pointer per name).
const FIELDS: &[u8] = b"min\0median\0p90\0p99\0mean";

/// Columns: case, measure, then n and the five stats right-aligned.
const CASE_W: usize = 14;
const MEASURE_W: usize = 12;
const N_END: usize = CASE_W + MEASURE_W + 7;
const NUM_W: usize = 10;

/// The table's header.
pub const HEADER: &[u8] =
    b"case          measure           n       min    median       p90       p99      mean  (us)\n";

/// One line of output: a row of the table, or a JSON object.
#[cold]
#[inline(never)]
fn row(json: bool, case: &[u8], m: Measure, samples: &mut [u64], err: Option<Error>) {
    let mut l = Line::to(1);
    if json {
        l.push_str(b"{\"case\":\"")
            .push_str(case)
            .push_str(b"\",\"measure\":\"")
            .push_str(m.name())
            .push_str(b"\"");
    } else {
        l.push_str(case).pad(CASE_W).push_str(m.name());
    }
    if let Some(e) = err {
        if json {
            l.push_str(b",\"error\":\"");
            e.show(&mut l);
            l.push_str(b"\"}");
        } else {
            l.pad(N_END - 1);
            e.show(&mut l);
        }
    } else {
        let s = stats(samples);
        let mut end = N_END;
        for (i, v) in [s.n as u64, s.min, s.median, s.p90, s.p99, s.mean]
            .into_iter()
            .enumerate()
        {
            // Nanoseconds to tenths of a microsecond, rounded.
            let (v, tenths) = if i == 0 {
                (v, false)
            } else {
                ((v + 50) / 100, true)
            };
            if json {
                l.push_str(b",\"");
                match i {
                    0 => l.push_str(b"n"),
                    _ => l.push_str(crate::out::nth(FIELDS, i - 1)).push_str(b"_us"),
                };
                l.push_str(b"\":");
            } else {
                l.align_right(end, Line::width_u64(v, tenths));
                end += NUM_W;
            }
            if tenths {
                l.push_tenths(v);
            } else {
                l.push_u64(v);
            }
        }
        if json {
            l.push_str(b"}");
        }
    }
    l.end();
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
        match parse(zs(s), 0) {
            Ok(Parsed::Run(b)) => b,
            r => panic!("{s:?}: {r:?}"),
        }
    }

    fn err(s: &[&str]) -> (&'static str, String) {
        match parse(zs(s), 0) {
            Err(u) => (
                u.what.name().string().leak(),
                String::from_utf8(u.word.to_vec()).unwrap(),
            ),
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
        let names: Vec<&[u8]> = DEFAULT.split(|&b| b == 0).collect();
        assert_eq!(
            names.len(),
            DEFAULT_COUNT + 1,
            "and an empty one after the last NUL"
        );
        assert_eq!(names[0], b"none");
        for (d, kind) in names[1..].iter().zip(Kind::ALL) {
            assert_eq!(*d, kind.name());
        }
        assert_eq!(names[DEFAULT_COUNT], b"");
    }

    #[test]
    fn options() {
        let b = bench(&[]);
        assert_eq!(
            (b.n, b.json, b.payload, b.cases.count),
            (DEFAULT_N, false, None, 0)
        );
        let b = bench(&["-n", "50", "--json", "pid", "uts", "ipc", "none"]);
        assert_eq!((b.n, b.json), (50, true));
        let w = zs(&["-n", "50", "--json", "pid", "uts", "ipc", "none"]);
        let names: Vec<&[u8]> = w[b.cases.from..][..b.cases.count]
            .iter()
            .map(|c| c.bytes())
            .collect();
        assert_eq!(names, [&b"pid"[..], b"uts", b"ipc", b"none"]);
        let b = bench(&["--payload", "/bin/true", "--", "net+user"]);
        assert_eq!(b.payload.unwrap().bytes(), b"/bin/true");
        assert_eq!((b.cases.from, b.cases.count), (3, 1));
        assert_eq!(parse(zs(&["--exit"]), 0), Ok(Parsed::Exit));
        assert_eq!(
            parse(zs(&["pid", "--help"]), 0).map(|_| ()),
            Err(Usage {
                what: Misuse::UnknownCase,
                word: b"--help"
            })
        );
        assert_eq!(parse(zs(&["--help", "pid"]), 0), Ok(Parsed::Help));
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
        assert!(matches!(parse(zs(&["pid"; 16]), 0), Ok(Parsed::Run(_))));
    }

    #[test]
    fn field_names_in_order() {
        let names: Vec<&[u8]> = (0..5).map(|i| crate::out::nth(FIELDS, i)).collect();
        assert_eq!(names, [&b"min"[..], b"median", b"p90", b"p99", b"mean"]);
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
