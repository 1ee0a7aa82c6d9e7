//! Release-mode derivation of a deep tanh network,
//! `0.5*norm2(tanh(WL*…tanh(W1*x)…) - y)` with every weight as a variable, from the
//! problem text to the printed answer, for L = 8, 16, 32, 64, 128: the time must grow
//! linearly in L (`tests/deep.rs` checks that the answer's size does).
//! `cargo bench --bench deep`.

/// The allocator the `matgrad` binary uses, so that this times what the binary does.
#[global_allocator]
static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// The problem text for `depth` layers, and its variables.
fn network(depth: usize) -> (String, Vec<String>) {
    let e = (1..=depth).fold("x".to_string(), |e, i| format!("tanh(W{i}*{e})"));
    let wrt = (1..=depth).map(|i| format!("W{i}")).collect();
    (format!("0.5*norm2({e} - y)"), wrt)
}

fn deep(c: &mut Criterion) {
    let mut group = c.benchmark_group("deep");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(3))
        .warm_up_time(Duration::from_millis(300));
    for depth in [8, 16, 32, 64, 128] {
        let (input, wrt) = network(depth);
        let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
        group.bench_with_input(BenchmarkId::from_parameter(depth), &input, |b, input| {
            b.iter(|| {
                let g = matgrad::gradient(black_box(input), black_box(&wrt)).expect("derives");
                black_box(g.print(matgrad::Notation::Unicode))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, deep);
criterion_main!(benches);
