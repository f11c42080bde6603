//! Allocation-free output: a fixed line buffer, decimal numbers, errno
//! names. `core::fmt` and `Errno::name()` would cost kilobytes of binary;
//! this costs a few hundred bytes.

/// A line assembled in place and written with one `write(2)`, so lines from
/// the parent and the child never interleave mid-line. Overlong input is
/// cut, never an error: this is how we report errors.
pub struct Line {
    buf: [u8; LINE],
    len: usize,
}

/// Longer than any message nsinit writes with a 64-byte hostname or a
/// PATH-length directory in it; the rest is cut.
pub const LINE: usize = 320;

impl Default for Line {
    fn default() -> Self {
        Line {
            buf: [0; LINE],
            len: 0,
        }
    }
}

impl Line {
    pub fn s(&mut self, s: &[u8]) -> &mut Self {
        let n = s.len().min(LINE - self.len);
        self.buf[self.len..self.len + n].copy_from_slice(&s[..n]);
        self.len += n;
        self
    }

    pub fn u(&mut self, mut v: u64) -> &mut Self {
        let mut d = [0u8; 20];
        let mut i = d.len();
        loop {
            i -= 1;
            d[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.s(&d[i..])
    }

    pub fn i(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.s(b"-");
        }
        self.u(v.unsigned_abs())
    }

    /// Spaces up to column `col`.
    pub fn pad(&mut self, col: usize) -> &mut Self {
        while self.len < col.min(LINE) {
            self.buf[self.len] = b' ';
            self.len += 1;
        }
        self
    }

    /// `s` right-aligned to end at column `end`, or after one space if it
    /// is too long for that.
    pub fn right(&mut self, end: usize, s: &[u8]) -> &mut Self {
        let col = end.saturating_sub(s.len()).max(self.len + 1);
        self.pad(col).s(s)
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }

    /// A message line, `nsinit: ` already in it.
    pub fn msg() -> Line {
        let mut l = Line::default();
        l.s(b"nsinit: ");
        l
    }

    /// Appends `ENAME (text)` for errno `e`, or `errno N` when it is not
    /// in the table.
    pub fn errno(&mut self, e: i32) -> &mut Self {
        let mut fields = ERRNOS.split(|&b| b == 0);
        while let (Some(name), Some(text)) = (fields.next(), fields.next()) {
            if let Some((&n, name)) = name.split_first() {
                if n as i32 == e {
                    return self.s(name).s(b" (").s(text).s(b")");
                }
            }
        }
        self.s(b"errno ").i(e as i64)
    }

    /// Ends the line and writes it to stderr with one write(2).
    pub fn eprint(&mut self) {
        self.s(b"\n");
        let _ = crate::sys::write(2, self.as_bytes());
    }
}

/// Name and text of the errnos nsinit's setup steps can meet, as nolibc
/// does: a short table, the number for anything else (errnos that only a
/// bug of ours could cause, like EBADF or EFAULT, are left out). Packed as
/// `<errno byte>NAME\0text\0`: a table of `&str` pairs would cost more in
/// pointers than the text itself.
const ERRNOS: &[u8] = b"\
\x01EPERM\0Operation not permitted\0\x02ENOENT\0No such file or directory\0\
\x05EIO\0Input/output error\0\
\x07E2BIG\0Argument list too long\0\x08ENOEXEC\0Exec format error\0\
\x0bEAGAIN\0Resource temporarily unavailable\0\
\x0cENOMEM\0Cannot allocate memory\0\x0dEACCES\0Permission denied\0\
\x10EBUSY\0Device or resource busy\0\x11EEXIST\0File exists\0\x13ENODEV\0No such device\0\
\x14ENOTDIR\0Not a directory\0\x16EINVAL\0Invalid argument\0\
\x18EMFILE\0Too many open files\0\
\x1aETXTBSY\0Text file busy\0\x1cENOSPC\0No space left on device\0\x1eEROFS\0Read-only file system\0\
\x24ENAMETOOLONG\0File name too long\0\x26ENOSYS\0Function not implemented\0\
\x28ELOOP\0Too many levels of symbolic links\0\x57EUSERS\0Too many users\0\
";

/// The `i`th of the NUL-separated strings in `packed`.
pub fn nth(packed: &'static [u8], i: usize) -> &'static [u8] {
    packed.split(|&b| b == 0).nth(i).unwrap_or(b"?")
}

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

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Line)) -> std::string::String {
        let mut l = Line::default();
        f(&mut l);
        std::string::String::from_utf8(l.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn numbers() {
        assert_eq!(
            text(|l| {
                l.u(0);
            }),
            "0"
        );
        assert_eq!(
            text(|l| {
                l.u(u64::MAX);
            }),
            "18446744073709551615"
        );
        assert_eq!(
            text(|l| {
                l.i(i64::MIN);
            }),
            "-9223372036854775808"
        );
        assert_eq!(
            text(|l| {
                l.i(-42).s(b"/").i(7);
            }),
            "-42/7"
        );
    }

    #[test]
    fn cut_not_overflow() {
        let mut l = Line::default();
        l.s(&[b'a'; LINE - 3]).u(12345).s(b"zz");
        assert_eq!(l.as_bytes().len(), LINE);
        assert!(l.as_bytes().ends_with(b"a123"));
    }

    #[test]
    fn errno_names() {
        assert_eq!(
            text(|l| {
                l.errno(1);
            }),
            "EPERM (Operation not permitted)"
        );
        assert_eq!(
            text(|l| {
                l.errno(28);
            }),
            "ENOSPC (No space left on device)"
        );
        assert_eq!(
            text(|l| {
                l.errno(133);
            }),
            "errno 133"
        );
        // Every entry matches the kernel's numbering as the syscalls crate
        // knows it.
        let mut fields = ERRNOS.split(|&b| b == 0);
        let mut count = 0;
        while let (Some(name), Some(_)) = (fields.next(), fields.next()) {
            if let Some((&n, name)) = name.split_first() {
                let name = std::str::from_utf8(name).unwrap();
                assert_eq!(syscalls::Errno::new(n as i32).name(), Some(name));
                count += 1;
            }
        }
        assert_eq!(count, 21);
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
}
