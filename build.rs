//! Link arguments for the nsinit binary only (`-bins`): the library's unit
//! tests and the integration tests link against the host's libc as usual.
//! Kept here rather than in `.cargo/config.toml`, whose rustflags would also
//! reach the test harness.
//!
//! And the pairs of `text!`'s byte-pair encoding (src/text.rs), learnt
//! from the texts under src/.

fn main() {
    text_pairs();
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/linker/nsinit.ld");
    println!("cargo:rerun-if-changed=linker/nsinit.ld");
    println!("cargo:rerun-if-changed=build.rs");
    // NSINIT_SYMBOLS=1 keeps the section headers and symbols, for `nm
    // --size-sort` of what each function costs (with
    // CARGO_PROFILE_RELEASE_STRIP=false); never set for a real build.
    println!("cargo:rerun-if-env-changed=NSINIT_SYMBOLS");
    let symbols = std::env::var_os("NSINIT_SYMBOLS").is_some();
    for arg in [
        // Our own `_start` (src/arch): no crt1.o, crti.o or crtbegin.o.
        "-nostartfiles",
        // No libc, no libgcc_s: every symbol comes from our code, core and
        // compiler_builtins.
        "-nodefaultlibs",
        // One ET_EXEC file: no interpreter, no dynamic section, no
        // relocations left for run time. `-no-pie` overrides the `-pie`
        // rustc passes for its default PIC relocation model; the code stays
        // RIP-relative, which is just as good at a fixed address.
        "-static",
        "-no-pie",
        // The two-segment layout (linker/nsinit.ld).
        &format!("-Wl,-T,{script}"),
        // Drop every function and datum nothing refers to.
        "-Wl,--gc-sections",
        // Fold functions whose machine code is identical (monomorphized
        // twins, wrappers that compile alike) into one copy; nsinit never
        // compares function addresses. (lld, rustc's linker here.)
        "-Wl,--icf=all",
        // A build-id note is 36 bytes nobody reads in this binary.
        "-Wl,--build-id=none",
        // Keep the stack non-executable even if an object forgets to say so.
        "-Wl,-z,noexecstack",
        // Page-align segments by offset, not by padding the file.
        "-Wl,-z,max-page-size=4096",
        "-Wl,-z,norelro",
        "-Wl,-z,nosectionheader",
        // Tail-merge string constants: a NUL-terminated path that ends
        // another (`children` in `/proc/thread-self/children`) is stored
        // once, inside the longer.
        "-Wl,-O2",
    ] {
        if symbols && arg.contains("nosectionheader") {
            continue;
        }
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}

/// Writes `$OUT_DIR/pairs.rs`: `PAIRS`, the byte pairs that the bytes
/// 0x80-0xFF, then 11-31, stand for, learnt from every `text!("...")` literal under src/
/// as byte-pair encoding learns them: repeatedly, the most frequent pair
/// of adjacent bytes (the first such pair, by value, on a tie) becomes
/// the next token, until none is left that occurs three times (a token
/// costs two bytes of table). `text!` encodes with the same pairs in the
/// same order, so each count here is bytes saved.
fn text_pairs() {
    println!("cargo:rerun-if-changed=src");
    let mut texts = Vec::new();
    let mut dirs = vec![std::path::PathBuf::from("src")];
    while let Some(dir) = dirs.pop() {
        let mut entries: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        entries.sort();
        for path in entries {
            if path.is_dir() {
                dirs.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let src = std::fs::read_to_string(&path).unwrap();
                let mut rest = src.as_str();
                while let Some(at) = rest.find("text!(") {
                    rest = rest[at + "text!(".len()..].trim_start();
                    if let Some(lit) = rest.strip_prefix('"') {
                        let (text, len) = unescape(lit);
                        texts.push(text);
                        rest = &lit[len..];
                    }
                }
                // `named! { text ... }`: the names, NUL-separated, as the
                // macro packs them.
                let mut rest = src.as_str();
                while let Some(at) = rest.find("named! {") {
                    rest = rest[at + "named! {".len()..].trim_start();
                    let Some(body) = rest.strip_prefix("text") else {
                        continue;
                    };
                    let body = &body[..body.find("\n}").unwrap()];
                    let mut names = Vec::new();
                    // `Name = "name",` lines; not `#[cfg(feature = "x")]`.
                    for line in body.lines().filter(|l| !l.trim_start().starts_with('#')) {
                        if let Some((_, lit)) = line.split_once("= \"") {
                            names.extend(unescape(lit).0);
                            names.push(0);
                        }
                    }
                    texts.push(names);
                }
            }
        }
    }
    // As src/text.rs `code` hands them out.
    let code = |k: usize| {
        if k < 128 {
            0x80 + k as u8
        } else {
            (k - 117) as u8
        }
    };
    let mut pairs = Vec::new();
    while pairs.len() < 128 + 21 {
        let mut count = vec![0u32; 256 * 256];
        for t in &texts {
            for w in t.windows(2) {
                if w[0] != 0 && w[1] != 0 {
                    count[w[0] as usize * 256 + w[1] as usize] += 1;
                }
            }
        }
        let (best, &n) = count
            .iter()
            .enumerate()
            .rev()
            .max_by_key(|&(_, n)| n)
            .unwrap();
        if n < 3 {
            break;
        }
        let (x, y) = ((best / 256) as u8, (best % 256) as u8);
        let token = code(pairs.len());
        pairs.push([x, y]);
        for t in &mut texts {
            let mut out = Vec::with_capacity(t.len());
            let mut i = 0;
            while i < t.len() {
                if i + 1 < t.len() && t[i] == x && t[i + 1] == y {
                    out.push(token);
                    i += 2;
                } else {
                    out.push(t[i]);
                    i += 1;
                }
            }
            *t = out;
        }
    }
    let list: Vec<String> = pairs.iter().map(|[x, y]| format!("[{x}, {y}]")).collect();
    let out = std::path::Path::new(&std::env::var_os("OUT_DIR").unwrap()).join("pairs.rs");
    std::fs::write(
        out,
        format!(
            "/// What the bytes `code` hands out stand for (build.rs).\n\
             pub const PAIRS: [[u8; 2]; {}] = [{}];\n",
            pairs.len(),
            list.join(", ")
        ),
    )
    .unwrap();
}

/// The bytes of the Rust string literal that `s` starts inside of (just
/// after its opening quote), and how long the literal's rest is, closing
/// quote included. Knows the escapes that nsinit's texts use.
fn unescape(s: &str) -> (Vec<u8>, usize) {
    let b = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    loop {
        match b[i] {
            b'"' => return (out, i + 1),
            b'\\' => {
                i += 1;
                match b[i] {
                    b'n' => out.push(b'\n'),
                    b't' => out.push(b'\t'),
                    b'0' => out.push(0),
                    b'x' => {
                        out.push(u8::from_str_radix(&s[i + 1..i + 3], 16).unwrap());
                        i += 2;
                    }
                    b'\n' => {
                        // A line continuation: the newline and the next
                        // line's leading whitespace are not in the text.
                        while b[i + 1].is_ascii_whitespace() {
                            i += 1;
                        }
                    }
                    c => out.push(c),
                }
            }
            c => out.push(c),
        }
        i += 1;
    }
}
