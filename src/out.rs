//! Allocation-free output: lines written whole, errno names, decimal
//! parsing.
//! `core::fmt` and `Errno::name()` would cost kilobytes of binary; this
//! costs a few hundred bytes.

use crate::sys;
use crate::text;
use crate::text::Text;

/// A line assembled in place and written with one `write(2)`, so that
/// lines from the parent and the child do not interleave. A piece that
/// does not fit flushes what is there first, and a piece longer than the
/// buffer goes out on its own: a message naming a long path is written
/// whole, errno and newline included, never cut. A line with no file
/// descriptor (`Line::new`, the contents of a small file or a path) is
/// only ever short, and keeps what fits.
pub struct Line {
    buf: [u8; LINE],
    len: usize,
    /// Bytes already flushed, for the columns of `pad`.
    flushed: usize,
    fd: i32,
}

/// Longer than any message without an operand in it; a path or a long
/// word makes a line flush first.
const LINE: usize = 256;

impl Default for Line {
    fn default() -> Self {
        Line::new()
    }
}

/// Digits of `v` in decimal, right-aligned in `d`; returns where they start.
fn digits(mut v: u64, d: &mut [u8; 20]) -> usize {
    let mut i = d.len();
    loop {
        i -= 1;
        d[i] = b'0' + (v % 10) as u8;
        v /= 10;
        if v == 0 {
            return i;
        }
    }
}

// Message lines are cold: errors, `-v`, `--help`, the benchmark's rows.
// A user namespace's map line is not: `push_str`, `push_u64` and `digits`
// stay with the start-up path, or a `-r` run would fault the cold pages
// in through its CLONE_VM child. (The clock offsets' `push_i64` runs in
// a fork-style child, whose pages are its own.)
impl Line {
    /// A line kept in memory: `as_bytes` gives it.
    pub fn new() -> Line {
        Line::to(-1)
    }

    /// A message line for stderr, `nsinit: ` already in it.
    #[cold]
    pub fn msg() -> Line {
        let mut l = Line::to(2);
        l.push_str(b"nsinit: ");
        l
    }

    /// A line for `fd`. (Out of line: its every caller would clear the
    /// buffer itself.)
    #[inline(never)]
    #[cold]
    pub fn to(fd: i32) -> Line {
        Line {
            buf: [0; LINE],
            len: 0,
            flushed: 0,
            fd,
        }
    }

    #[cold]
    fn flush(&mut self) {
        if self.fd >= 0 && self.len > 0 {
            let _ = sys::write(self.fd, self.as_bytes());
            self.flushed += self.len;
            self.len = 0;
        }
    }

    pub fn push_str(&mut self, s: &[u8]) -> &mut Self {
        if self.len + s.len() > LINE && self.fd >= 0 {
            self.flush();
            if s.len() > LINE {
                let _ = sys::write(self.fd, s);
                self.flushed += s.len();
                return self;
            }
        }
        self.len += copy(self.buf.get_mut(self.len..).unwrap_or_default(), s);
        self
    }

    /// Pushes `t`, decoded.
    #[cold]
    pub fn push_text(&mut self, t: Text) -> &mut Self {
        let mut buf = [0u8; text::MAX];
        self.push_str(t.decode(&mut buf))
    }

    pub fn push_u64(&mut self, v: u64) -> &mut Self {
        let mut d = [0u8; 20];
        let i = digits(v, &mut d);
        self.push_str(d.get(i..).unwrap_or_default())
    }

    #[cold]
    pub fn push_i64(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.push_str(b"-");
        }
        self.push_u64(v.unsigned_abs())
    }

    /// `v` tenths as a number with one decimal: 1234 is `123.4`.
    #[cold]
    pub fn push_tenths(&mut self, v: u64) -> &mut Self {
        self.push_u64(v / 10)
            .push_str(&[b'.', b'0' + (v % 10) as u8])
    }

    /// Length of the line so far, in bytes.
    pub fn len(&self) -> usize {
        self.flushed + self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Spaces up to column `col`.
    #[cold]
    pub fn pad(&mut self, col: usize) -> &mut Self {
        while self.len() < col {
            self.push_str(b" ");
        }
        self
    }

    /// Spaces so that a piece of `width` bytes pushed next ends at column
    /// `end`; at least one.
    #[cold]
    pub fn align_right(&mut self, end: usize, width: usize) -> &mut Self {
        self.push_str(b" ").pad(end.saturating_sub(width))
    }

    /// The width of a number pushed with `push_u64` or `push_tenths`.
    pub fn width_u64(v: u64, tenths: bool) -> usize {
        let mut d = [0u8; 20];
        let n = 20 - digits(if tenths { v / 10 } else { v }, &mut d);
        n + if tenths { 2 } else { 0 }
    }

    /// Appends `ENAME (text)` for errno `e`: every errno has its name;
    /// those without a text here give their number instead.
    #[cold]
    pub fn push_errno(&mut self, e: i32) -> &mut Self {
        match name(e) {
            Some(n) => {
                let mut buf = [0u8; 16];
                let name = n.decode(&mut buf);
                name.make_ascii_uppercase();
                self.push_str(b"E").push_str(name).push_str(b" (")
            }
            None => self.push_str(b"("),
        };
        match text(e) {
            Some(t) => self.push_text(t),
            None => self.push_str(b"errno ").push_i64(e as i64),
        };
        self.push_str(b")")
    }

    /// What is in the buffer (all of a `Line::new`).
    pub fn as_bytes(&self) -> &[u8] {
        // Never short: `len` is at most `LINE`.
        self.buf.get(..self.len).unwrap_or_default()
    }

    /// Ends the line and writes it.
    #[cold]
    pub fn end(&mut self) {
        self.push_str(b"\n").flush();
    }

    /// A message line: ends it and writes it to stderr.
    #[cold]
    pub fn eprint(&mut self) {
        self.end();
    }
}

/// `nsinit: <t>` on stderr, for a refusal before anything is started;
/// returns 125, the status of nsinit's own failures.
#[cold]
#[inline(never)]
pub fn refuse(t: Text) -> u8 {
    Line::msg().push_text(t).eprint();
    125
}

/// Writes `t` to `fd`, decoded, with one `write(2)`.
#[cold]
pub fn print(fd: i32, t: Text) {
    let mut buf = [0u8; text::MAX];
    let _ = sys::write(fd, t.decode(&mut buf));
}

/// The name of errno `e` without its `E`, as the kernel's headers spell
/// it but in lower case, or `None` for a number that is no errno.
pub fn name(e: i32) -> Option<Text> {
    let i = usize::try_from(e).ok()?.checked_sub(1)?;
    NAMES.nth(i).filter(|n| !n.is_empty())
}

/// Every errno's name but the `E`, in the kernel's numbering from 1
/// (`asm-generic/errno*.h`; the two numbers no errno has are empty).
/// Lower case, which `push_errno` undoes: so spelt, the names share the
/// byte pairs of the English texts, and compress.
const NAMES: Text = text!(
    "\
perm\0noent\0srch\0intr\0io\0nxio\0\x32big\0noexec\0badf\0child\0again\0\
nomem\0acces\0fault\0notblk\0busy\0exist\0xdev\0nodev\0notdir\0isdir\0\
inval\0nfile\0mfile\0notty\0txtbsy\0fbig\0nospc\0spipe\0rofs\0mlink\0\
pipe\0dom\0range\0deadlk\0nametoolong\0nolck\0nosys\0notempty\0loop\0\0\
nomsg\0idrm\0chrng\0l2nsync\0l3hlt\0l3rst\0lnrng\0unatch\0nocsi\0l2hlt\0\
bade\0badr\0xfull\0noano\0badrqc\0badslt\0\0bfont\0nostr\0nodata\0time\0\
nosr\0nonet\0nopkg\0remote\0nolink\0adv\0srmnt\0comm\0proto\0multihop\0\
dotdot\0badmsg\0overflow\0notuniq\0badfd\0remchg\0libacc\0libbad\0libscn\0\
libmax\0libexec\0ilseq\0restart\0strpipe\0users\0notsock\0destaddrreq\0\
msgsize\0prototype\0noprotoopt\0protonosupport\0socktnosupport\0\
opnotsupp\0pfnosupport\0afnosupport\0addrinuse\0addrnotavail\0netdown\0\
netunreach\0netreset\0connaborted\0connreset\0nobufs\0isconn\0notconn\0\
shutdown\0toomanyrefs\0timedout\0connrefused\0hostdown\0hostunreach\0\
already\0inprogress\0stale\0uclean\0notnam\0navail\0isnam\0remoteio\0\
dquot\0nomedium\0mediumtype\0canceled\0nokey\0keyexpired\0keyrevoked\0\
keyrejected\0ownerdead\0notrecoverable\0rfkill\0hwpoison\0"
);

/// The text (strerror's) of errno `e`, for the errnos nsinit's steps meet
/// and a user can act on; `None` for the rest, which print their number.
pub fn text(e: i32) -> Option<Text> {
    let i = TEXT_ERRNOS.iter().position(|&n| n as i32 == e)?;
    TEXTS.nth(i)
}

/// The errnos that have a text in `TEXTS`, in its order: a short table,
/// the number for anything else, as nolibc does it.
const TEXT_ERRNOS: [u8; 33] = [
    1, 2, 3, 5, 6, 7, 8, 9, 11, 12, 13, 15, 16, 17, 18, 19, 20, 21, 22, 24, 26, 28, 30, 34, 36, 38,
    39, 40, 87, 95, 110, 116, 129,
];

const TEXTS: Text = text!(
    "\
Operation not permitted\0No such file or directory\0No such process\0\
Input/output error\0No such device or address\0Argument list too long\0\
Exec format error\0Bad file descriptor\0\
Resource temporarily unavailable\0Cannot allocate memory\0\
Permission denied\0Block device required\0Device or resource busy\0\
File exists\0Invalid cross-device link\0No such device\0\
Not a directory\0Is a directory\0Invalid argument\0Too many open files\0\
Text file busy\0No space left on device\0Read-only file system\0\
Numerical result out of range\0File name too long\0\
Function not implemented\0Directory not empty\0\
Too many levels of symbolic links\0Too many users\0\
Operation not supported\0Connection timed out\0Stale file handle\0\
Key was rejected by service\0"
);

/// Parses a decimal integer with an optional sign; `None` for anything else
/// (empty, stray characters, overflow).
pub fn parse_i64(s: &[u8]) -> Option<i64> {
    let (neg, digits) = match s {
        [b'-', rest @ ..] => (true, rest),
        [b'+', rest @ ..] => (false, rest),
        _ => (false, s),
    };
    if digits.is_empty() {
        return None;
    }
    let mut v: i64 = 0;
    for &d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        let d = (d - b'0') as i64;
        v = v.checked_mul(10)?;
        v = if neg {
            v.checked_sub(d)?
        } else {
            v.checked_add(d)?
        };
    }
    Some(v)
}

/// Copies what fits of `src` to the start of `dst`; returns how much
/// that is. (core's `copy_from_slice` is precompiled: it reaches memcpy
/// through a GOT entry, and brings its length-mismatch panic.)
pub fn copy(dst: &mut [u8], src: &[u8]) -> usize {
    let mut n = 0;
    for (d, s) in dst.iter_mut().zip(src) {
        *d = *s;
        n += 1;
    }
    n
}

/// `s` up to its first `sep`, and what follows that `sep` if there is
/// one: a step of `s.split(|&b| b == sep)`, whose iterator costs more.
pub fn cut(s: &[u8], sep: u8) -> (&[u8], Option<&[u8]>) {
    match s.iter().position(|&b| b == sep) {
        Some(at) => (&s[..at], s.get(at + 1..)),
        None => (s, None),
    }
}

/// Whether `s` holds the byte `b`: a plain loop, where `<[u8]>::contains`
/// would bring core's word-at-a-time memchr (200 bytes) for the few
/// bytes nsinit ever searches.
#[allow(clippy::manual_contains)]
pub fn has_byte(s: &[u8], b: u8) -> bool {
    s.iter().any(|&c| c == b)
}

/// Which of the NUL-separated strings in `packed` is `word`. (Out of
/// line: one copy for every `named!` enum's `find`.)
#[inline(never)]
pub fn position(packed: &[u8], word: &[u8]) -> Option<usize> {
    (0..)
        .map_while(|i| piece(packed, i))
        .position(|s| s == word)
}

/// The `i`th of the NUL-separated strings in `packed`.
pub fn nth(packed: &'static [u8], i: usize) -> &'static [u8] {
    piece(packed, i).unwrap_or(b"?")
}

/// The `i`th of the NUL-separated strings in `packed`, as
/// `packed.split(|&b| b == 0).nth(i)` has it, without core's `Split`
/// and its bounds checks.
pub fn piece(packed: &[u8], i: usize) -> Option<&[u8]> {
    let mut rest = packed;
    for _ in 0..i {
        rest = rest.get(rest.iter().position(|&b| b == 0)? + 1..)?;
    }
    let end = rest.iter().position(|&b| b == 0).unwrap_or(rest.len());
    rest.get(..end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text_of(f: impl FnOnce(&mut Line)) -> std::string::String {
        let mut l = Line::new();
        f(&mut l);
        std::string::String::from_utf8(l.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn numbers() {
        assert_eq!(
            text_of(|l| {
                l.push_u64(0);
            }),
            "0"
        );
        assert_eq!(
            text_of(|l| {
                l.push_u64(u64::MAX);
            }),
            "18446744073709551615"
        );
        assert_eq!(
            text_of(|l| {
                l.push_i64(i64::MIN);
            }),
            "-9223372036854775808"
        );
        assert_eq!(
            text_of(|l| {
                l.push_i64(-42).push_str(b"/").push_i64(7);
            }),
            "-42/7"
        );
        assert_eq!(
            text_of(|l| {
                l.push_tenths(1234);
            }),
            "123.4"
        );
        assert_eq!(
            text_of(|l| {
                l.push_tenths(7);
            }),
            "0.7"
        );
        assert_eq!(Line::width_u64(1234, true), 5);
        assert_eq!(Line::width_u64(1234, false), 4);
        assert_eq!(Line::width_u64(0, true), 3);
    }

    #[test]
    fn columns() {
        assert_eq!(
            text_of(|l| {
                l.push_str(b"ab").pad(5).push_str(b"c");
            }),
            "ab   c"
        );
        assert_eq!(
            text_of(|l| {
                l.push_str(b"ab").align_right(8, 3).push_u64(123);
            }),
            "ab   123"
        );
        // Too long for its column: one space all the same.
        assert_eq!(
            text_of(|l| {
                l.push_str(b"abcdef").align_right(4, 3).push_u64(123);
            }),
            "abcdef 123"
        );
    }

    #[test]
    fn kept_lines_keep_what_fits() {
        let mut l = Line::new();
        l.push_str(&[b'a'; LINE - 3])
            .push_u64(12345)
            .push_str(b"zz");
        assert_eq!(l.as_bytes().len(), LINE);
        assert!(l.as_bytes().ends_with(b"a123"));
    }

    #[test]
    fn long_messages_stay_whole() {
        // Into a pipe: a path far longer than the buffer, then the errno.
        let (mut rd, wr) = std::io::pipe().unwrap();
        use std::os::fd::AsRawFd;
        let path = vec![b'x'; 5000];
        let mut l = Line::to(wr.as_raw_fd());
        l.push_str(b"nsinit: chdir ")
            .push_str(&path)
            .push_str(b": ")
            .push_errno(36);
        l.eprint();
        drop(wr);
        let mut got = Vec::new();
        std::io::Read::read_to_end(&mut rd, &mut got).unwrap();
        let mut want = b"nsinit: chdir ".to_vec();
        want.extend_from_slice(&path);
        want.extend_from_slice(b": ENAMETOOLONG (File name too long)\n");
        assert_eq!(got, want);
    }

    #[test]
    fn errno_names() {
        assert_eq!(
            text_of(|l| {
                l.push_errno(1);
            }),
            "EPERM (Operation not permitted)"
        );
        assert_eq!(
            text_of(|l| {
                l.push_errno(28);
            }),
            "ENOSPC (No space left on device)"
        );
        assert_eq!(
            text_of(|l| {
                l.push_errno(34);
            }),
            "ERANGE (Numerical result out of range)"
        );
        assert_eq!(
            text_of(|l| {
                l.push_errno(71);
            }),
            "EPROTO (errno 71)"
        );
        assert_eq!(
            text_of(|l| {
                l.push_errno(41);
            }),
            "(errno 41)"
        );
        assert_eq!(
            text_of(|l| {
                l.push_errno(4095);
            }),
            "(errno 4095)"
        );
        // Every name matches the kernel's numbering as the syscalls crate
        // knows it, and every errno it knows has a name here.
        for e in 1..=133 {
            let ours = name(e).map(|n| format!("E{}", n.string().to_uppercase()));
            let theirs = syscalls::Errno::new(e).name().map(str::to_string);
            match (ours, theirs) {
                (Some(a), Some(b)) => assert!(
                    a == b
                        || (a.as_str(), b.as_str()) == ("EAGAIN", "EWOULDBLOCK")
                        || (a.as_str(), b.as_str()) == ("EDEADLK", "EDEADLOCK")
                        || (a.as_str(), b.as_str()) == ("EOPNOTSUPP", "ENOTSUP"),
                    "{e}: {a} vs {b}"
                ),
                (a, b) => assert_eq!(a, b, "errno {e}"),
            }
        }
        assert_eq!(name(0), None);
        assert_eq!(name(134), None);
        assert_eq!(name(-1), None);
        // Every text is the C library's strerror for its number.
        let mut n = 0;
        for e in 1..=133 {
            if let Some(t) = text(e) {
                let s = std::io::Error::from_raw_os_error(e).to_string();
                let want = s.strip_suffix(&format!(" (os error {e})")).unwrap();
                assert_eq!(t.string(), want, "errno {e}");
                n += 1;
            }
        }
        assert_eq!(n, 33);
    }

    #[test]
    fn integers() {
        assert_eq!(parse_i64(b"0"), Some(0));
        assert_eq!(parse_i64(b"-86400"), Some(-86400));
        assert_eq!(parse_i64(b"+5"), Some(5));
        assert_eq!(parse_i64(b"9223372036854775807"), Some(i64::MAX));
        assert_eq!(parse_i64(b"-9223372036854775808"), Some(i64::MIN));
        assert_eq!(parse_i64(b"9223372036854775808"), None);
        for bad in [&b""[..], b"-", b"1x", b" 1", b"0x10", b"1.5"] {
            assert_eq!(parse_i64(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn cuts_as_split_has_them() {
        for s in [&b""[..], b":", b"a", b"a:", b":b", b"/bin::/usr/bin:"] {
            let mut ours = Vec::new();
            let mut rest = Some(s);
            while let Some((piece, more)) = rest.map(|r| cut(r, b':')) {
                ours.push(piece);
                rest = more;
            }
            assert_eq!(ours, s.split(|&b| b == b':').collect::<Vec<_>>(), "{s:?}");
        }
    }

    #[test]
    fn pieces_as_split_has_them() {
        for packed in [&b""[..], b"a", b"a\0", b"ab\0\0c", b"\0\0", b"x\0yz\0"] {
            for i in 0..5 {
                assert_eq!(
                    piece(packed, i),
                    packed.split(|&b| b == 0).nth(i),
                    "{packed:?} {i}"
                );
            }
            for w in [&b""[..], b"a", b"c", b"yz", b"q"] {
                assert_eq!(
                    position(packed, w),
                    packed.split(|&b| b == 0).position(|s| s == w),
                    "{packed:?} {w:?}"
                );
            }
        }
    }
}
