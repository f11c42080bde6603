//! Allocation-free output: a fixed line buffer, decimal numbers, errno
//! names. `core::fmt` and `Errno::name()` would cost kilobytes of binary;
//! this costs a few hundred bytes.

/// A line assembled in place and written with one `write(2)`, so lines from
/// the parent and the child never interleave mid-line. Overlong input is
/// cut, never an error: this is how we report errors.
pub struct Line<const N: usize> {
    buf: [u8; N],
    len: usize,
}

impl<const N: usize> Default for Line<N> {
    fn default() -> Self {
        Line { buf: [0; N], len: 0 }
    }
}

impl<const N: usize> Line<N> {
    pub fn s(&mut self, s: &[u8]) -> &mut Self {
        let n = s.len().min(N - self.len);
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

    pub fn as_bytes(&self) -> &[u8] {
        &self.buf[..self.len]
    }
}

/// Name and text of the errnos nsinit's setup can meet, as nolibc does:
/// a short table, the number for anything else.
const ERRNOS: &[(u16, &str, &str)] = &[
    (1, "EPERM", "Operation not permitted"),
    (2, "ENOENT", "No such file or directory"),
    (3, "ESRCH", "No such process"),
    (4, "EINTR", "Interrupted system call"),
    (5, "EIO", "Input/output error"),
    (7, "E2BIG", "Argument list too long"),
    (8, "ENOEXEC", "Exec format error"),
    (9, "EBADF", "Bad file descriptor"),
    (10, "ECHILD", "No child processes"),
    (11, "EAGAIN", "Resource temporarily unavailable"),
    (12, "ENOMEM", "Cannot allocate memory"),
    (13, "EACCES", "Permission denied"),
    (14, "EFAULT", "Bad address"),
    (16, "EBUSY", "Device or resource busy"),
    (17, "EEXIST", "File exists"),
    (19, "ENODEV", "No such device"),
    (20, "ENOTDIR", "Not a directory"),
    (21, "EISDIR", "Is a directory"),
    (22, "EINVAL", "Invalid argument"),
    (23, "ENFILE", "Too many open files in system"),
    (24, "EMFILE", "Too many open files"),
    (26, "ETXTBSY", "Text file busy"),
    (28, "ENOSPC", "No space left on device"),
    (30, "EROFS", "Read-only file system"),
    (36, "ENAMETOOLONG", "File name too long"),
    (38, "ENOSYS", "Function not implemented"),
    (40, "ELOOP", "Too many levels of symbolic links"),
    (87, "EUSERS", "Too many users"),
    (95, "EOPNOTSUPP", "Operation not supported"),
    (97, "EAFNOSUPPORT", "Address family not supported by protocol"),
];

/// Appends `ENAME (text)` for errno `e`, or `errno N` when it is not in the
/// table.
pub fn errno<const N: usize>(line: &mut Line<N>, e: i32) {
    match ERRNOS.iter().find(|x| x.0 as i32 == e) {
        Some((_, name, text)) => line.s(name.as_bytes()).s(b" (").s(text.as_bytes()).s(b")"),
        None => line.s(b"errno ").i(e as i64),
    };
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
        v = if neg { v.checked_sub(d)? } else { v.checked_add(d)? };
    }
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(f: impl FnOnce(&mut Line<64>)) -> std::string::String {
        let mut l = Line::<64>::default();
        f(&mut l);
        std::string::String::from_utf8(l.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn numbers() {
        assert_eq!(text(|l| {
            l.u(0);
        }), "0");
        assert_eq!(text(|l| {
            l.u(u64::MAX);
        }), "18446744073709551615");
        assert_eq!(text(|l| {
            l.i(i64::MIN);
        }), "-9223372036854775808");
        assert_eq!(text(|l| {
            l.i(-42).s(b"/").i(7);
        }), "-42/7");
    }

    #[test]
    fn cut_not_overflow() {
        let mut l = Line::<4>::default();
        l.s(b"abc").u(12345).s(b"zz");
        assert_eq!(l.as_bytes(), b"abc1");
    }

    #[test]
    fn errno_names() {
        assert_eq!(text(|l| errno(l, 1)), "EPERM (Operation not permitted)");
        assert_eq!(text(|l| errno(l, 28)), "ENOSPC (No space left on device)");
        assert_eq!(text(|l| errno(l, 133)), "errno 133");
        // Every entry is distinct and matches the kernel's numbering as the
        // syscalls crate knows it.
        for (n, name, _) in ERRNOS {
            assert_eq!(syscalls::Errno::new(*n as i32).name(), Some(*name));
        }
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
