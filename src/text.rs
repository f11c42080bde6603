//! The English of nsinit (`--help`, errno names and texts, hints,
//! messages), stored compressed: a fifth of the binary was text.
//!
//! Byte-pair encoding: the texts are printable ASCII and newlines, so the
//! byte values 0x80-0xFF and the control characters 11-31 are free, and
//! each stands for a pair of bytes (either of which may stand
//! for a pair itself). `build.rs` picks the pairs from the texts
//! themselves, the most frequent first; `text!` encodes a literal in
//! const evaluation, so a text stays readable where it is used; `expand`
//! decodes it at run time in a few dozen bytes of code. A text added or
//! changed later is still encoded right, only less tightly, until the
//! next build learns its pairs. NUL is never part of a pair, so a table
//! of NUL-separated texts stays one.

include!(concat!(env!("OUT_DIR"), "/pairs.rs"));

/// The byte that stands for `PAIRS[k]`: 0x80 + k for the first 128, then
/// the control characters from 11 (after the newline) to 31.
pub const fn code(k: usize) -> u8 {
    if k < 128 {
        0x80 + k as u8
    } else {
        (k - 117) as u8
    }
}

/// `PAIRS` for the decoder, with the texts, out of the start-up path's
/// pages. (`text!` encodes with the constant, at compile time.)
#[allow(unsafe_code)] // link_section: as in `text!`.
#[link_section = ".nsinit.cold.rodata"]
static DECODE: [[u8; 2]; PAIRS.len()] = PAIRS;

/// The pair that byte `b` stands for, if it stands for one.
fn pair(b: u8) -> Option<[u8; 2]> {
    let k = match b {
        0x80.. => b - 0x80,
        11..=31 => b + 117,
        _ => return None,
    };
    DECODE.get(k as usize).copied()
}

/// How many pairs there can be: the bytes `code` hands out.
pub const CODES: usize = 128 + 21;

const _: () = assert!(PAIRS.len() <= CODES && code(CODES - 1) == 31);

/// The longest text, decoded (`text!` checks): `--help` is 1.5 KiB, and
/// a decoder's buffer on the stack is this long.
pub const MAX: usize = 2048;

/// A text as `text!` encodes it.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Text(pub &'static [u8]);

/// A `Text` literal: `text!("No such file or directory")`, or any constant
/// `&str` (`concat!` of literals: build.rs learns its pairs only from
/// literals). ASCII only (checked at compile time).
#[macro_export]
macro_rules! text {
    ($s:expr) => {{
        const S: &[u8] = $s.as_bytes();
        const _: () = assert!(S.len() <= $crate::text::MAX, "text! longer than text::MAX");
        const E: ([u8; S.len()], usize) = $crate::text::encode(S);
        // Out of the start-up path's pages (linker/nsinit.ld): texts are
        // read for messages, --help and -v only. (`link_section` counts as
        // unsafe code because a section can carry a meaning the compiler
        // does not know; this one is read-only data, placed by our own
        // linker script, nothing more.)
        #[allow(unsafe_code)]
        #[link_section = ".nsinit.cold.rodata"]
        static Z: [u8; E.1] = $crate::text::prefix(&E.0);
        $crate::text::Text(&Z)
    }};
}

/// Byte-pair encodes `s` (of length `L`): the pairs in their order, each
/// replacing every occurrence, left to right, of the bytes it stands
/// for; returns the buffer and how much of it is the encoding.
pub const fn encode<const L: usize>(s: &[u8]) -> ([u8; L], usize) {
    let mut b = [0u8; L];
    let mut n = 0;
    while n < L {
        assert!(
            s[n] == 0 || s[n] == b'\n' || (s[n] >= b' ' && s[n] < 0x80),
            "text! takes printable ASCII and newlines only"
        );
        b[n] = s[n];
        n += 1;
    }
    let mut k = 0;
    while k < PAIRS.len() {
        let [x, y] = PAIRS[k];
        let (mut r, mut w) = (0, 0);
        while r < n {
            if r + 1 < n && b[r] == x && b[r + 1] == y {
                b[w] = code(k);
                r += 2;
            } else {
                b[w] = b[r];
                r += 1;
            }
            w += 1;
        }
        n = w;
        k += 1;
    }
    (b, n)
}

/// The first `N` bytes of `b`.
pub const fn prefix<const N: usize, const L: usize>(b: &[u8; L]) -> [u8; N] {
    let mut out = [0u8; N];
    let mut i = 0;
    while i < N {
        out[i] = b[i];
        i += 1;
    }
    out
}

impl Text {
    /// Decodes the text into `out`, as much of it as fits; returns that
    /// part of `out`. (Into a buffer rather than through a closure: a
    /// `dyn FnMut` costs a vtable per caller, a generic a decoder.)
    #[cold]
    pub fn decode(self, out: &mut [u8]) -> &mut [u8] {
        let mut n = 0;
        for &b in self.0 {
            expand(b, out, &mut n);
        }
        // Never short: `expand` stops at the end of `out`.
        out.get_mut(..n).unwrap_or_default()
    }

    /// The `i`th of the NUL-separated texts in this one.
    pub fn nth(self, i: usize) -> Option<Text> {
        crate::out::piece(self.0, i).map(Text)
    }

    pub fn is_empty(self) -> bool {
        self.0.is_empty()
    }
}

/// Appends byte `b`, decoded, to `out` at `n`, while there is room.
#[cold]
fn expand(mut b: u8, out: &mut [u8], n: &mut usize) {
    while let Some([x, y]) = pair(b) {
        expand(x, out, n);
        b = y;
    }
    if let Some(slot) = out.get_mut(*n) {
        *slot = b;
        *n += 1;
    }
}

#[cfg(test)]
impl Text {
    /// The text, decoded.
    pub fn string(self) -> std::string::String {
        let mut v = std::vec![0; 1 << 16];
        let n = self.decode(&mut v).len();
        v.truncate(n);
        std::string::String::from_utf8(v).unwrap()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip() {
        let t = text!("No such file or directory\0Operation not permitted\0");
        assert!(t.0.len() < 50, "compressed");
        assert_eq!(
            t.string(),
            "No such file or directory\0Operation not permitted\0"
        );
        assert_eq!(t.nth(1).unwrap().string(), "Operation not permitted");
        assert_eq!(text!("").string(), "");
        assert_eq!(text!("x").string(), "x");
        // Every pair decodes to ASCII with no NUL in it.
        for k in 0..PAIRS.len() {
            let mut v = std::vec![0; 1 << 16];
            let mut n = 0;
            expand(code(k), &mut v, &mut n);
            v.truncate(n);
            assert!(v.len() >= 2 && v.iter().all(|&b| b == b'\n' || (b' '..0x80).contains(&b)));
        }
    }
}
