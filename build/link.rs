//! Links the `matgrad` binary statically (a static PIE) on Linux with glibc, where
//! the C toolchain has the static libraries: a process then starts without the
//! dynamic loader, which would open, map and relocate libc, libm and libgcc_s and
//! run libgcc_s's CPU probe (some 0.3 ms of a 1 ms start on the development VM; see
//! the README's start-up table).
//!
//! rustc links statically only with `-C target-feature=+crt-static`, and that flag
//! cannot be given to one crate with `cargo build` (given to all, it breaks the
//! proc-macro crates). So the binary's link gets `-static-pie` and a directory
//! whose `libc.so`, `libm.so`, `libgcc_s.so`, ... are linker scripts naming the
//! static archives (`libc.a`, `libgcc_eh.a`, ...): the libraries that rustc names
//! (`-lc -lm -lgcc_s ...`) resolve to those, which is the link rustc makes for
//! `crt-static` itself. Library, tests and examples are not affected.
//!
//! Skipped (the usual dynamic link) when the target is not Linux with glibc, when
//! cross-compiling, when the linker was chosen by the user (the archives found
//! below would be those of `cc`), when the static archives or the static-PIE start
//! file are missing, or when `MATGRAD_LINK=dynamic` is set.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The libraries that rustc's standard library asks the linker for, each with the
/// static archives that stand in for it.
const LIBRARIES: &[(&str, &[&str])] = &[
    ("c", &["libc.a", "libgcc_eh.a", "libgcc.a"]),
    ("m", &["libm.a"]),
    ("gcc_s", &["libgcc_eh.a"]),
    ("util", &["libutil.a"]),
    ("rt", &["librt.a"]),
    ("pthread", &["libpthread.a"]),
    ("dl", &["libdl.a"]),
];

fn var(name: &str) -> String {
    std::env::var(name).unwrap_or_default()
}

/// Whether this build should try the static link at all.
fn wanted() -> bool {
    println!("cargo:rerun-if-env-changed=MATGRAD_LINK");
    let features = var("CARGO_CFG_TARGET_FEATURE");
    var("MATGRAD_LINK") != "dynamic"
        && var("CARGO_CFG_TARGET_OS") == "linux"
        && var("CARGO_CFG_TARGET_ENV") == "gnu"
        && var("TARGET") == var("HOST")
        && std::env::var_os("RUSTC_LINKER").is_none()
        && !var("CARGO_ENCODED_RUSTFLAGS").contains("linker")
        && !features.split(',').any(|f| f == "crt-static")
}

/// Where `cc` finds a library file, if it does.
fn find(file: &str) -> Option<PathBuf> {
    let out = Command::new("cc")
        .arg(format!("-print-file-name={file}"))
        .output()
        .ok()?;
    let path = PathBuf::from(String::from_utf8(out.stdout).ok()?.trim());
    (out.status.success() && path.is_absolute() && path.is_file()).then_some(path)
}

/// Writes the stand-in linker scripts into `dir`; `None` when an archive is missing.
fn write_scripts(dir: &Path) -> Option<()> {
    find("rcrt1.o")?;
    std::fs::create_dir_all(dir).ok()?;
    for (lib, archives) in LIBRARIES {
        let paths = archives
            .iter()
            .map(|a| find(a).map(|p| format!("{:?}", p.display().to_string())))
            .collect::<Option<Vec<_>>>()?;
        let script = format!("GROUP ( {} )\n", paths.join(" "));
        std::fs::write(dir.join(format!("lib{lib}.so")), script).ok()?;
    }
    Some(())
}

/// Emits the link arguments of the static binary, when it can be built.
pub fn static_binary(out_dir: &Path) {
    if !wanted() {
        return;
    }
    let dir = out_dir.join("static-libs");
    if write_scripts(&dir).is_none() {
        println!("cargo:warning=static archives not found: matgrad is linked dynamically");
        return;
    }
    println!("cargo:rustc-link-arg-bins=-static-pie");
    println!("cargo:rustc-link-arg-bins=-L{}", dir.display());
}
