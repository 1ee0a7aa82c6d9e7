//! A whole process, as a user runs it: the trivial problem `tr(A*X*B)` with respect
//! to `X`, beside `matgrad --version` (start-up without a derivation) and `/bin/true`
//! (an empty process). `cargo bench --bench startup`; the README quotes it. With
//! `MATGRAD_BASELINE=path/to/an/older/matgrad`, that binary runs the same problem in
//! the same group, side by side.

use std::process::{Command, Stdio};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};

fn run(program: &str, args: &[&str]) {
    let status = Command::new(program)
        .args(args)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("the process runs");
    assert!(status.success(), "{program} {args:?} failed");
}

/// The trivial problem's arguments.
const PROBLEM: [&str; 3] = ["A : p x m; X : m x n; B : n x p; tr(A*X*B)", "--wrt", "X"];

fn startup(c: &mut Criterion) {
    let matgrad = env!("CARGO_BIN_EXE_matgrad");
    let mut group = c.benchmark_group("process");
    group
        .sample_size(50)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(500));
    if std::path::Path::new("/bin/true").exists() {
        group.bench_function("true", |b| b.iter(|| run("/bin/true", &[])));
    }
    group.bench_function("matgrad --version", |b| {
        b.iter(|| run(matgrad, &["--version"]))
    });
    group.bench_function("matgrad tr(A*X*B) --wrt X", |b| {
        b.iter(|| run(matgrad, &PROBLEM))
    });
    if let Ok(baseline) = std::env::var("MATGRAD_BASELINE") {
        group.bench_function("baseline tr(A*X*B) --wrt X", |b| {
            b.iter(|| run(&baseline, &PROBLEM))
        });
    }
    group.finish();
}

criterion_group!(benches, startup);
criterion_main!(benches);
