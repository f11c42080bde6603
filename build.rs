//! Link arguments for the nsinit binary only (`-bins`): the library's unit
//! tests and the integration tests link against the host's libc as usual.
//! Kept here rather than in `.cargo/config.toml`, whose rustflags would also
//! reach the test harness.

fn main() {
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
    ] {
        if symbols && arg.contains("nosectionheader") {
            continue;
        }
        println!("cargo:rustc-link-arg-bins={arg}");
    }
}
