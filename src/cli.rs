//! argv → `Config`. Pure: no syscalls, no allocation; unit-tested and
//! property-tested on the host. Every usage error is caught here, before
//! any namespace exists.
//!
//! Syntax follows unshare(1) (getopt_long with a leading `+`): short options
//! cluster (`-pui`), a short option's argument may be attached (`-w/tmp`) or
//! the next word; a long option's argument follows `=` or is the next word,
//! except `--mount-proc`, whose argument is optional and so only `=DIR`.
//! Options end at `--` or at the first word that is not an option.

use crate::cstr;
use crate::rt::{Namespaces, Process};
use crate::sys::Zstr;
use crate::text;
use crate::text::Text;
use linux_raw_sys::general as k;

/// The words to parse, argv without argv[0]: the process's own, read in
/// place however many there are, or a slice (tests).
pub trait Args<'a> {
    fn count(&self) -> usize;
    /// Word `i`, for `i < count()`.
    fn word(&self, i: usize) -> Zstr<'a>;
}

impl<'a> Args<'a> for [Zstr<'a>] {
    fn count(&self) -> usize {
        self.len()
    }
    fn word(&self, i: usize) -> Zstr<'a> {
        self[i]
    }
}

impl Args<'static> for Process {
    fn count(&self) -> usize {
        self.argc().saturating_sub(1)
    }
    fn word(&self, i: usize) -> Zstr<'static> {
        self.arg(i + 1)
    }
}

named! {
    /// Mount propagation applied to `/` in a new mount namespace, named
    /// as `--propagation` takes it.
    pub enum Propagation {
        Private = "private",
        Slave = "slave",
        Shared = "shared",
        Unchanged = "unchanged",
    }
}

impl Propagation {
    /// The `MS_*` flag for `mount(2)` and how mount(8) names it, or `None`
    /// to leave `/` alone.
    pub fn flag(self) -> Option<(u32, &'static [u8])> {
        match self {
            Propagation::Private => Some((k::MS_PRIVATE, b"private /")),
            Propagation::Slave => Some((k::MS_SLAVE, b"slave /")),
            Propagation::Shared => Some((k::MS_SHARED, b"shared /")),
            Propagation::Unchanged => None,
        }
    }
}

/// What a supervisor does beyond waiting and forwarding: the part of the
/// configuration `init` needs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Policy {
    /// Signals go to COMMAND's process group, not only to COMMAND.
    pub pgroup: bool,
    /// Exit codes to report as 0 (`-e`, repeatable, as tini's): a bit per
    /// code.
    pub remap: [u64; 4],
    /// After COMMAND exits: SIGTERM what is left, wait this long, SIGKILL.
    pub grace: Option<u32>,
}

#[derive(Debug, PartialEq, Eq)]
pub struct Config<'a> {
    /// `CLONE_NEW*` for clone(2); the time namespace is apart (`TIME`)
    /// because legacy clone() cannot create one.
    pub ns: Namespaces,
    /// What options switched on, a bit each: `TIME`, `EXEC`, ... (read
    /// with the methods of the same names).
    pub flags: u32,
    pub monotonic: Option<i64>,
    pub boottime: Option<i64>,
    pub map_user: Option<u32>,
    pub map_group: Option<u32>,
    pub hostname: Option<&'a [u8]>,
    pub mount_proc: Option<Zstr<'a>>,
    pub propagation: Propagation,
    pub wd: Option<Zstr<'a>>,
    pub root: Option<Zstr<'a>>,
    pub policy: Policy,
    /// Index in argv of COMMAND; 0 for the machine's default, /bin/sh.
    pub command: usize,
    /// COMMAND, argv[command].
    pub name: Zstr<'a>,
}

/// The bits of `Config::flags`. (The low byte: an option's entry in the
/// table holds them together with its `CLONE_NEW*` bits, all above it.)
pub const TIME: u32 = 1 << 0;
/// COMMAND itself is PID 1 of the new PID namespace: no init of ours.
pub const EXEC: u32 = 1 << 1;
pub const SUBREAPER: u32 = 1 << 2;
pub const NO_KILL_CHILD: u32 = 1 << 3;
pub const VERBOSE: u32 = 1 << 4;
/// The machine's init: mount /proc, /sys, /dev, and power off (or
/// reboot) when COMMAND ends.
pub const BOOT: u32 = 1 << 5;
pub const REBOOT: u32 = 1 << 6;
/// `--propagation` was given: only a new mount namespace has a `/` of its
/// own to apply it to.
const PROPAGATION: u32 = 1 << 7;

impl Default for Config<'_> {
    fn default() -> Self {
        Config::new()
    }
}

impl<'a> Config<'a> {
    /// No namespaces, no options: what a bare `nsinit COMMAND` gets.
    /// (Out of line: several callers would each inline the whole struct.)
    #[inline(never)]
    pub fn new() -> Config<'a> {
        Config {
            ns: Namespaces::default(),
            flags: 0,
            monotonic: None,
            boottime: None,
            map_user: None,
            map_group: None,
            hostname: None,
            mount_proc: None,
            propagation: Propagation::Private,
            wd: None,
            root: None,
            policy: Policy::default(),
            command: 0,
            name: cstr!(""),
        }
    }

    pub fn has(&self, flag: u32) -> bool {
        self.ns.has(flag)
    }

    /// A new time namespace (`-T`, or a clock offset).
    pub fn time(&self) -> bool {
        self.flags & TIME != 0
    }
    pub fn exec(&self) -> bool {
        self.flags & EXEC != 0
    }
    pub fn subreaper(&self) -> bool {
        self.flags & SUBREAPER != 0
    }
    pub fn no_kill_child(&self) -> bool {
        self.flags & NO_KILL_CHILD != 0
    }
    pub fn verbose(&self) -> bool {
        self.flags & VERBOSE != 0
    }
    pub fn boot(&self) -> bool {
        self.flags & BOOT != 0
    }
    pub fn reboot(&self) -> bool {
        self.flags & REBOOT != 0
    }
}

#[derive(Debug, PartialEq, Eq)]
pub enum Action<'a> {
    Run(Config<'a>),
    Help,
    Version,
}

named! {
    text
    /// What a usage error says.
    pub enum Misuse {
        Unrecognized = "unrecognized option",
        NoArgument = "option takes no argument",
        NeedsArgument = "option requires an argument",
        Invalid = "invalid option",
        EmptyHostname = "empty hostname",
        LongHostname = "hostname over 64 bytes",
        Propagation = "propagation: private, slave, shared or unchanged",
        ExitCode = "exit code: 0 to 255",
        Grace = "grace: 0 to 86400 seconds",
        EmptyDir = "empty directory",
        Id = "not a valid id",
        Seconds = "not a number of seconds",
        GraceWithoutInit = "--grace needs an init: drop --exec",
        ExecWithoutPid = "--exec needs -p",
        PropagationWithoutMount = "--propagation needs -m",
        NoCommand = "missing COMMAND",
        // nsinit bench's own.
        #[cfg(feature = "bench")] {
            Iterations = "iterations: 1 to 1000000",
            ManyCases = "more than 16 cases",
            UnknownCase = "unknown case",
        }
    }
}

/// A usage error: what was wrong, and the word it was about. (`what` is
/// a number, not the text: a byte to store where each error is made.)
#[derive(Debug, PartialEq, Eq)]
pub struct Usage<'a> {
    pub what: Misuse,
    pub word: &'a [u8],
}

pub fn usage<T>(what: Misuse, word: &[u8]) -> Result<T, Usage<'_>> {
    Err(Usage { what, word })
}

/// `HOST_NAME_MAX`: sethostname(2) refuses more.
pub const HOSTNAME_MAX: usize = 64;

/// An option's argument, in bits 8-9 of its entry (bits that no
/// `CLONE_NEW*` flag uses); none without either.
const REQUIRED: u32 = 1 << 8;
/// Only as `--long=VALUE`: a next word is never taken.
const OPTIONAL: u32 = 2 << 8;

/// An option's entry as its table stores it, in 16 bits: flags in bits
/// 0-7, the argument in 8-9, and its namespace, if it adds one, as the
/// number of its `CLONE_NEW*` bit from `NS_SHIFT` up (each adds one at
/// most).
const fn pack(bits: u32) -> u16 {
    let ns = bits & !0x3ff;
    assert!(ns.count_ones() <= 1, "an option adds one namespace at most");
    let number = if ns == 0 { 0 } else { ns.trailing_zeros() };
    ((bits & 0x3ff) | number << NS_SHIFT) as u16
}

const NS_SHIFT: u32 = 10;

// An entry's three fields do not overlap: flags in bits 0-7, the argument
// in 8-9, namespaces above.
const _: () = assert!(
    (k::CLONE_NEWNS
        | k::CLONE_NEWUTS
        | k::CLONE_NEWIPC
        | k::CLONE_NEWUSER
        | k::CLONE_NEWPID
        | k::CLONE_NEWNET
        | k::CLONE_NEWCGROUP)
        & 0x3ff
        == 0
        && (TIME | EXEC | SUBREAPER | NO_KILL_CHILD | VERBOSE | BOOT | REBOOT | PROPAGATION)
            & !0xff
            == 0
);

/// An option's value as `apply`'s bodies read it: the word, its bytes,
/// and the number it is, if it is one (read once for every body).
struct Value<'a> {
    zstr: Option<Zstr<'a>>,
    bytes: &'a [u8],
    number: Option<i64>,
}

/// Why `apply` stopped parsing: help and version win over whatever
/// follows them, or the option's value was wrong (the word it is about
/// is the value). One byte.
#[derive(Clone, Copy)]
enum Stop {
    Help,
    Version,
    Bad(Misuse),
}

/// Each option once: its variant, short letter (`-` for none), long name,
/// then what it sets as data — its argument, its `CLONE_NEW*` bits and
/// `Config::flags` bits, or'd into one entry (0: no argument, no bits) —
/// and, for those that do more, what that is to `cfg` given the value
/// `v`. The body may `return` a `Stop`. Data rather than code: an option
/// that only adds a namespace or a flag costs a table entry.
macro_rules! options {
    ($($var:ident $short:literal $long:literal $bits:expr $(=> |$cfg:ident, $v:ident| $body:expr)?;)*) => {
        named! {
            /// The options, each named by its long name.
            pub enum Opt { $($var = $long,)* }
        }

        impl Opt {
            /// The short letters, `-` for none, in the variants' order.
            const SHORT: &'static [u8] = concat!($($short,)*).as_bytes();
            /// Namespaces, flags and argument of each option, packed
            /// (`pack`).
            const BITS: &'static [u16] = &[$(pack($bits),)*];

            fn bits(self) -> u32 {
                Self::BITS[self as usize] as u32
            }

            fn arg(self) -> u32 {
                self.bits() & (REQUIRED | OPTIONAL)
            }
        }

        /// What option `opt` with its value does to `cfg`.
        #[inline(never)]
        fn apply<'a>(cfg: &mut Config<'a>, opt: Opt, value: Option<Zstr<'a>>) -> Result<(), Stop> {
            let bytes = bytes(value);
            let v = Value {
                zstr: value,
                bytes,
                number: crate::out::parse_i64(bytes),
            };
            let bits = opt.bits();
            // 1 << 0 for no namespace: not a `CLONE_NEW*` bit, dropped.
            cfg.ns.add(1 << (bits >> NS_SHIFT));
            cfg.flags |= bits & 0xff;
            match opt {
                $($(Opt::$var => {
                    let $cfg = &mut *cfg;
                    let $v = &v;
                    $body;
                })?)*
                #[allow(unreachable_patterns)]
                _ => {}
            }
            Ok(())
        }
    };
}

options! {
    Pid "p" "pid" k::CLONE_NEWPID;
    Uts "u" "uts" k::CLONE_NEWUTS;
    Ipc "i" "ipc" k::CLONE_NEWIPC;
    Mount "m" "mount" k::CLONE_NEWNS;
    Net "n" "net" k::CLONE_NEWNET;
    User "U" "user" k::CLONE_NEWUSER;
    Cgroup "C" "cgroup" k::CLONE_NEWCGROUP;
    Time "T" "time" TIME;
    MapRoot "r" "map-root-user" k::CLONE_NEWUSER => |c, _v| {
        c.map_user = Some(0);
        c.map_group = Some(0);
    };
    MapUser "-" "map-user" REQUIRED | k::CLONE_NEWUSER => |c, v| set_id(&mut c.map_user, v)?;
    MapGroup "-" "map-group" REQUIRED | k::CLONE_NEWUSER => |c, v| set_id(&mut c.map_group, v)?;
    Hostname "-" "hostname" REQUIRED | k::CLONE_NEWUTS => |c, v| {
        let name = v.bytes;
        if name.is_empty() {
            return Err(Stop::Bad(Misuse::EmptyHostname));
        }
        if name.len() > HOSTNAME_MAX {
            return Err(Stop::Bad(Misuse::LongHostname));
        }
        c.hostname = Some(name);
    };
    MountProc "-" "mount-proc" OPTIONAL | k::CLONE_NEWNS => |c, v| {
        match v.zstr {
            None => c.mount_proc = Some(cstr!("/proc")),
            _ => set_dir(&mut c.mount_proc, v)?,
        }
    };
    Propagation "-" "propagation" REQUIRED | PROPAGATION => |c, v| {
        c.propagation = Propagation::find(v.bytes).ok_or(Stop::Bad(Misuse::Propagation))?;
    };
    Wd "w" "wd" REQUIRED => |c, v| set_dir(&mut c.wd, v)?;
    Root "R" "root" REQUIRED => |c, v| set_dir(&mut c.root, v)?;
    Monotonic "-" "monotonic" REQUIRED | TIME => |c, v| set_seconds(&mut c.monotonic, v)?;
    Boottime "-" "boottime" REQUIRED | TIME => |c, v| set_seconds(&mut c.boottime, v)?;
    Exec "-" "exec" EXEC;
    Subreaper "s" "subreaper" SUBREAPER;
    Pgroup "g" "pgroup" 0 => |c, _v| c.policy.pgroup = true;
    RemapExit "e" "remap-exit" REQUIRED => |c, v| match v.number {
        Some(code @ 0..=255) => c.policy.remap[code as usize / 64] |= 1 << (code % 64),
        _ => return Err(Stop::Bad(Misuse::ExitCode)),
    };
    Grace "-" "grace" REQUIRED => |c, v| match v.number {
        Some(s @ 0..=86400) => c.policy.grace = Some(s as u32),
        _ => return Err(Stop::Bad(Misuse::Grace)),
    };
    NoKillChild "-" "no-kill-child" NO_KILL_CHILD;
    Verbose "v" "verbose" VERBOSE;
    Boot "-" "boot" BOOT;
    Reboot "-" "reboot" BOOT | REBOOT;
    Help "h" "help" 0 => |_c, _v| return Err(Stop::Help);
    Version "V" "version" 0 => |_c, _v| return Err(Stop::Version);
}

fn bytes<'a>(v: Option<Zstr<'a>>) -> &'a [u8] {
    v.map_or(&b""[..], |v| v.bytes())
}

/// A directory operand: not empty.
fn dir(v: Option<Zstr>) -> Result<Zstr, Stop> {
    v.filter(|d| !d.bytes().is_empty())
        .ok_or(Stop::Bad(Misuse::EmptyDir))
}

// The kinds of value that two options each take, for either one's
// field: one body for the pair, out of line.

#[inline(never)]
fn set_dir<'a>(slot: &mut Option<Zstr<'a>>, v: &Value<'a>) -> Result<(), Stop> {
    *slot = Some(dir(v.zstr)?);
    Ok(())
}

/// A user or group id: the kernel's (uid_t)-1 is "no id", refused as the
/// kernel refuses it.
#[inline(never)]
fn set_id(slot: &mut Option<u32>, v: &Value) -> Result<(), Stop> {
    match v.number {
        Some(n) if (0..u32::MAX as i64).contains(&n) => *slot = Some(n as u32),
        _ => return Err(Stop::Bad(Misuse::Id)),
    }
    Ok(())
}

#[inline(never)]
fn set_seconds(slot: &mut Option<i64>, v: &Value) -> Result<(), Stop> {
    *slot = Some(v.number.ok_or(Stop::Bad(Misuse::Seconds))?);
    Ok(())
}

/// Parses argv without argv[0]. `machine`: nsinit is the first process of
/// a machine, which implies `--boot`.
///
/// Out of line: inlined into `main`, the `Config` inside the result was
/// copied from one stack slot to the next four times; called, it is built
/// in the caller's slot.
#[inline(never)]
pub fn parse<'a, A: Args<'a> + ?Sized>(args: &A, machine: bool) -> Result<Action<'a>, Usage<'a>> {
    let n = args.count();
    let mut cfg = Config::new();
    if machine {
        cfg.flags = BOOT;
    }
    let mut i = 0;
    'words: while i < n {
        let arg = args.word(i);
        let word = arg.with_nul();
        // The byte at `j`; the NUL past the end. (No bounds panic: `j`
        // never passes the word's NUL.)
        let at = |j: usize| word.get(j).copied().unwrap_or(0);
        i += 1;
        if word == b"--\0" {
            break;
        }
        // `--NAME[=VALUE]`, or a cluster of short options (`-pw/tmp`);
        // the first word that is neither is COMMAND.
        let long = at(0) == b'-' && at(1) == b'-';
        if !(long || (word.len() > 2 && at(0) == b'-')) {
            i -= 1;
            break;
        }
        let mut j = 1 + long as usize;
        // What is wrong with the word, if anything.
        let what = 'word: {
            while at(j) != 0 {
                let opt = if long {
                    let name = word.get(j..).unwrap_or_default();
                    let len = name.iter().position(|&b| b == b'=' || b == 0).unwrap_or(0);
                    j += len;
                    Opt::find(&name[..len])
                } else {
                    j += 1;
                    Opt::SHORT
                        .iter()
                        .position(|&s| s == at(j - 1) && s != b'-')
                        .and_then(Opt::from_index)
                };
                let Some(opt) = opt else {
                    break 'word if long {
                        Misuse::Unrecognized
                    } else {
                        Misuse::Invalid
                    };
                };
                // A value in the same word: after `=`, or the rest of a
                // cluster after an option that takes one. It ends the word.
                let attached = if long {
                    at(j) == b'='
                } else {
                    opt.arg() == REQUIRED && at(j) != 0
                };
                let value = if attached {
                    if opt.arg() == 0 {
                        break 'word Misuse::NoArgument;
                    }
                    let v = tail(word.get(j + long as usize..).unwrap_or_default());
                    j = word.len() - 1;
                    Some(v)
                } else if opt.arg() == REQUIRED {
                    if i >= n {
                        break 'word Misuse::NeedsArgument;
                    }
                    i += 1;
                    Some(args.word(i - 1))
                } else {
                    None
                };
                match apply(&mut cfg, opt, value) {
                    Ok(()) => {}
                    Err(Stop::Help) => return Ok(Action::Help),
                    Err(Stop::Version) => return Ok(Action::Version),
                    Err(Stop::Bad(what)) => return usage(what, bytes(value)),
                }
            }
            continue 'words;
        };
        return usage(what, arg.bytes());
    }
    // Options that need another, without which they would be silently
    // nothing; and COMMAND, unless a machine's init runs its default.
    let exec = cfg.exec();
    let lacking = if exec && !cfg.has(k::CLONE_NEWPID) {
        Some(Misuse::ExecWithoutPid)
    } else if exec && cfg.policy.grace.is_some() {
        // COMMAND is PID 1 and its exit ends the namespace: no init of
        // ours is left to be graceful.
        Some(Misuse::GraceWithoutInit)
    } else if cfg.flags & PROPAGATION != 0 && !cfg.has(k::CLONE_NEWNS) {
        Some(Misuse::PropagationWithoutMount)
    } else if i >= n && !cfg.boot() {
        Some(Misuse::NoCommand)
    } else {
        None
    };
    if let Some(what) = lacking {
        return usage(what, b"");
    }
    if i >= n {
        // A machine's init with nothing to run: a shell, as the kernel's
        // own fallback would start.
        cfg.name = cstr!("/bin/sh");
    } else {
        // argv[0] is nsinit itself.
        cfg.command = i + 1;
        cfg.name = args.word(i);
    }
    Ok(Action::Run(cfg))
}

/// A tail of an argv word: still NUL-terminated.
fn tail(with_nul: &[u8]) -> Zstr<'_> {
    Zstr::new(with_nul).unwrap_or(cstr!(""))
}

pub const HELP: Text = text!(
    "\
Usage: nsinit [OPTIONS] [--] COMMAND [ARG...]
Run COMMAND in new namespaces, behind a PID 1 that reaps and forwards signals.

 -p --pid (COMMAND runs under our init)  -u --uts  -i --ipc  -C --cgroup
 -m --mount (/ private)  -n --net (lo up)  -U --user  -T --time
 --monotonic=SECS --boottime=SECS  clock offsets (imply -T)
 -r --map-root-user  --map-user=UID  --map-group=GID  (imply -U)
 --hostname=NAME  (implies -u)
 --mount-proc[=DIR]  new proc on DIR (/proc) (implies -m)
 -w --wd=DIR  COMMAND's working directory (in --root)
 -R --root=DIR  COMMAND's root directory (chroot)
 --propagation=private|slave|shared|unchanged  for / (default private)
 --exec  with -p, COMMAND itself is PID 1
 -s --subreaper  adopt orphans (default without -p)
 -g --pgroup  signal COMMAND's process group
 -e --remap-exit=CODE  exit 0 when COMMAND exits CODE
 --grace=SECS  after COMMAND, SIGTERM what is left, SIGKILL after SECS
 --no-kill-child  COMMAND survives a killed nsinit
 --boot  be the machine's init: mount /proc /sys /dev, run COMMAND
   (/bin/sh), power off; --reboot: reboot
 -v --verbose  -h --help  -V --version
Exit: COMMAND's, 128+N for signal N; 125 nsinit failed; 126 not executable;
127 not found.
"
);

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    /// argv words as the kernel lays them out: NUL-terminated.
    fn words(s: &[&str]) -> Vec<Vec<u8>> {
        s.iter().map(|w| w.bytes().chain([0]).collect()).collect()
    }

    fn zs(w: &[Vec<u8>]) -> Vec<Zstr<'_>> {
        w.iter().map(|c| Zstr::new(c).unwrap()).collect()
    }

    fn run(s: &[&str]) -> Result<Config<'static>, (String, String)> {
        let owned: &'static Vec<Vec<u8>> = Box::leak(Box::new(words(s)));
        let refs: &'static Vec<Zstr<'static>> = Box::leak(Box::new(zs(owned)));
        match parse(&refs[..], false) {
            Ok(Action::Run(c)) => Ok(c),
            Ok(a) => panic!("{a:?}"),
            Err(u) => Err((
                u.what.name().string(),
                String::from_utf8(u.word.to_vec()).unwrap(),
            )),
        }
    }

    fn err(s: &[&str]) -> String {
        run(s).unwrap_err().0
    }

    #[test]
    fn namespaces_and_command() {
        let c = run(&["-pui", "--net", "--", "sh", "-c", "x"]).unwrap();
        assert_eq!(
            c.ns.bits(),
            k::CLONE_NEWPID | k::CLONE_NEWUTS | k::CLONE_NEWIPC | k::CLONE_NEWNET
        );
        // argv[0] nsinit, argv[1..=3] options and --, argv[4] sh.
        assert_eq!(c.command, 4);
        let c = run(&["-m", "sh", "--pid"]).unwrap();
        assert_eq!(c.command, 2, "the first non-option word ends the options");
        assert_eq!(c.ns.bits(), k::CLONE_NEWNS);
        let c = run(&["--user", "--cgroup", "-T", "true"]).unwrap();
        assert_eq!(c.ns.bits(), k::CLONE_NEWUSER | k::CLONE_NEWCGROUP);
        assert!(c.time());
    }

    #[test]
    fn implications() {
        let c = run(&["--hostname=box", "true"]).unwrap();
        assert_eq!(c.hostname, Some(&b"box"[..]));
        assert!(c.has(k::CLONE_NEWUTS));
        let c = run(&["--mount-proc", "true"]).unwrap();
        assert_eq!(c.mount_proc, Some(cstr!("/proc")));
        assert!(c.has(k::CLONE_NEWNS));
        let c = run(&["--mount-proc=/mnt/p", "true"]).unwrap();
        assert_eq!(c.mount_proc, Some(cstr!("/mnt/p")));
        let c = run(&["-r", "true"]).unwrap();
        assert_eq!((c.map_user, c.map_group), (Some(0), Some(0)));
        assert!(c.has(k::CLONE_NEWUSER));
        let c = run(&["--map-user", "1000", "--map-group=100", "true"]).unwrap();
        assert_eq!((c.map_user, c.map_group), (Some(1000), Some(100)));
        let c = run(&["--boottime=-3600", "true"]).unwrap();
        assert!(c.time());
        assert_eq!(c.boottime, Some(-3600));
        assert_eq!(c.monotonic, None);
    }

    #[test]
    fn arguments_attached_or_apart() {
        for args in [
            &["-w/tmp", "true"][..],
            &["-w", "/tmp", "true"],
            &["--wd=/tmp", "true"],
            &["--wd", "/tmp", "true"],
            &["-pw", "/tmp", "true"],
            &["-pw/tmp", "true"],
        ] {
            assert_eq!(run(args).unwrap().wd, Some(cstr!("/tmp")), "{args:?}");
        }
        let c = run(&["-m", "-R", "/srv", "--propagation", "slave", "true"]).unwrap();
        assert_eq!(c.root, Some(cstr!("/srv")));
        assert_eq!(c.propagation, Propagation::Slave);
        assert_eq!(c.propagation.flag(), Some((k::MS_SLAVE, &b"slave /"[..])));
        assert_eq!(
            run(&["--propagation=unchanged", "--mount-proc", "true"])
                .unwrap()
                .propagation
                .flag(),
            None
        );
    }

    #[test]
    fn flags_of_pid1() {
        let c = run(&["--exec", "-p", "-sv", "--no-kill-child", "true"]).unwrap();
        assert!(c.exec() && c.subreaper() && c.verbose() && c.no_kill_child());
    }

    #[test]
    fn pid1_options() {
        let c = run(&[
            "-g",
            "-e",
            "143",
            "--remap-exit=1",
            "-e0",
            "--grace",
            "5",
            "true",
        ])
        .unwrap();
        assert!(c.policy.pgroup);
        assert_eq!(c.policy.grace, Some(5));
        assert_eq!(c.policy.remap, [1 | 2, 0, 1 << (143 - 128), 0]);
        assert_eq!(err(&["-e", "256", "true"]), "exit code: 0 to 255");
        assert_eq!(err(&["-e", "-1", "true"]), "exit code: 0 to 255");
        assert_eq!(err(&["--grace=-1", "true"]), "grace: 0 to 86400 seconds");
        assert_eq!(err(&["--grace=soon", "true"]), "grace: 0 to 86400 seconds");
        assert_eq!(
            err(&["--exec", "-p", "--grace=1", "true"]),
            "--grace needs an init: drop --exec"
        );
        assert_eq!(err(&["--exec", "--grace=1", "true"]), "--exec needs -p");
        assert!(
            run(&["--grace=1", "true"]).is_ok(),
            "no PID namespace: nsinit reaps"
        );
    }

    #[test]
    fn options_that_would_do_nothing_are_refused() {
        assert_eq!(err(&["--exec", "-m", "true"]), "--exec needs -p");
        assert!(run(&["--exec", "--pid", "true"]).is_ok());
        assert_eq!(
            err(&["--propagation=slave", "-p", "true"]),
            "--propagation needs -m"
        );
        // A mount namespace implied by another option is one.
        assert!(run(&["--propagation=shared", "--mount-proc", "true"]).is_ok());
        assert!(run(&["-R/", "--propagation=slave", "-m", "true"]).is_ok());
    }

    #[test]
    fn help_and_version_win() {
        let w = words(&["-h"]);
        let r = zs(&w);
        assert_eq!(parse(&r[..], false), Ok(Action::Help));
        let w = words(&["-p", "--version", "--bogus"]);
        let r = zs(&w);
        assert_eq!(parse(&r[..], false), Ok(Action::Version));
    }

    #[test]
    fn usage_errors() {
        assert_eq!(err(&[]), "missing COMMAND");
        assert_eq!(err(&["-p"]), "missing COMMAND");
        assert_eq!(err(&["-p", "--"]), "missing COMMAND");
        assert_eq!(
            run(&["--bogus", "true"]).unwrap_err(),
            ("unrecognized option".into(), "--bogus".into())
        );
        assert_eq!(
            run(&["-px", "true"]).unwrap_err(),
            ("invalid option".into(), "-px".into())
        );
        assert_eq!(err(&["--pid=1", "true"]), "option takes no argument");
        assert_eq!(err(&["--hostname"]), "option requires an argument");
        assert_eq!(err(&["-w"]), "option requires an argument");
        assert_eq!(
            err(&["--hostname", &"x".repeat(65), "true"]),
            "hostname over 64 bytes"
        );
        assert!(run(&["--hostname", &"x".repeat(64), "true"]).is_ok());
        assert_eq!(
            err(&["--monotonic=soon", "true"]),
            "not a number of seconds"
        );
        assert_eq!(err(&["--boottime=", "true"]), "not a number of seconds");
        assert_eq!(err(&["--map-user=-1", "true"]), "not a valid id");
        assert_eq!(err(&["--map-user=4294967295", "true"]), "not a valid id");
        assert_eq!(err(&["--map-group=root", "true"]), "not a valid id");
        assert_eq!(
            err(&["--propagation=bogus", "true"]),
            "propagation: private, slave, shared or unchanged"
        );
        assert_eq!(err(&["--mount-proc=", "true"]), "empty directory");
        assert_eq!(err(&["--wd=", "true"]), "empty directory");
        assert_eq!(err(&["--hostname=", "true"]), "empty hostname");
        assert_eq!(err(&["--hostname", "", "true"]), "empty hostname");
    }

    #[test]
    fn machine_init() {
        let w = words(&[]);
        let r = zs(&w);
        let Ok(Action::Run(c)) = parse(&r[..], true) else {
            panic!()
        };
        assert!(c.boot() && !c.reboot());
        assert_eq!((c.command, c.name), (0, cstr!("/bin/sh")));
        let w = words(&["-p", "--hostname=vm", "sh", "-c", "x"]);
        let r = zs(&w);
        let Ok(Action::Run(c)) = parse(&r[..], true) else {
            panic!()
        };
        assert!(c.boot() && c.has(k::CLONE_NEWPID));
        assert_eq!(c.command, 3);
        let c = run(&["--reboot", "true"]).unwrap();
        assert!(c.boot() && c.reboot());
        // Asked for, --boot needs no COMMAND either.
        assert_eq!(run(&["--boot"]).unwrap().command, 0);
    }

    #[test]
    fn lone_dash_is_a_command() {
        // Like getopt: "-" is not an option.
        assert_eq!(run(&["-"]).unwrap().command, 1);
    }

    /// Property test over random argv: the parser never panics, and every
    /// accepted COMMAND index points inside argv at a word that is not an
    /// option consumed as such.
    #[test]
    fn random_argv_never_panics() {
        let pieces: &[&str] = &[
            "-p",
            "-u",
            "-i",
            "-m",
            "-n",
            "-U",
            "-C",
            "-T",
            "-r",
            "-w",
            "-R",
            "-v",
            "-s",
            "-pui",
            "-wx",
            "--",
            "--pid",
            "--hostname",
            "--hostname=",
            "--mount-proc",
            "--mount-proc=",
            "--mount-proc=/p",
            "--propagation",
            "--propagation=shared",
            "--monotonic",
            "--monotonic=12",
            "--boottime=-1",
            "--map-user",
            "--map-user=5",
            "--map-group=x",
            "--exec",
            "--no-kill-child",
            "--wd",
            "--root=/",
            "--",
            "-",
            "",
            "x",
            "sh",
            "-x",
            "---",
            "--=",
            "=",
            "-=",
            "-\u{e9}",
            "99999999999999999999",
        ];
        let mut seed: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        for _ in 0..200_000 {
            let n = (next() % 7) as usize;
            let mut argv = Vec::new();
            for _ in 0..n {
                let r = next();
                if r % 11 == 0 {
                    // Arbitrary bytes, NUL excluded.
                    let len = (r >> 8) as usize % 6;
                    let bytes: Vec<u8> = (0..len)
                        .map(|b| ((r >> (16 + b * 7)) as u8).max(1))
                        .collect();
                    argv.push(bytes.into_iter().chain([0]).collect());
                } else {
                    argv.push(words(&[pieces[(r >> 8) as usize % pieces.len()]]).remove(0));
                }
            }
            let refs = zs(&argv);
            if let Ok(Action::Run(c)) = parse(&refs[..], n.is_multiple_of(2)) {
                // COMMAND is in argv, or it is a machine's default shell.
                let shell = c.command == 0 && c.boot() && c.name == cstr!("/bin/sh");
                assert!(
                    shell || (c.command >= 1 && c.command <= refs.len()),
                    "{refs:?} -> {}",
                    c.command
                );
                if let Some(h) = c.hostname {
                    assert!(h.len() <= HOSTNAME_MAX);
                }
            }
        }
    }
}
