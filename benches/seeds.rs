//! Release-mode derivation of each seed problem, from the problem text to the
//! printed answer (parse, shapes, reverse mode, e-graph, helpers, printing).
//! The `hessian` group times the second derivatives of each seed problem from its
//! derived gradient (forward mode over the gradient, coefficient matrices,
//! e-graph, helpers, printing): every block for its variables.
//! `cargo bench --bench seeds`; the README's table comes from this.

/// The allocator the `matgrad` binary uses, so that this times what the binary does.
#[global_allocator]
static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();

#[path = "common/seed_problems.rs"]
mod seed_problems;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn seeds(c: &mut Criterion) {
    let mut group = c.benchmark_group("derive");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(300));
    for (name, input, wrt) in seed_problems::seed_problems() {
        let (name, input) = (name.as_str(), input.as_str());
        let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
        group.bench_function(name, |b| {
            b.iter(|| {
                let g = matgrad::gradient(black_box(input), black_box(&wrt)).expect("derives");
                black_box(g.print(matgrad::Notation::Unicode))
            })
        });
    }
    group.finish();
}

fn hessians(c: &mut Criterion) {
    let mut group = c.benchmark_group("hessian");
    group
        .sample_size(10)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(300));
    for (name, input, wrt) in seed_problems::seed_problems() {
        let (name, input) = (name.as_str(), input.as_str());
        let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let g = matgrad::gradient(input, &wrt).expect("derives");
        group.bench_function(name, |b| {
            b.iter(|| {
                let t = matgrad::hessian::text(black_box(&g), matgrad::Notation::Unicode, None);
                black_box(t.expect("hessian"))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, seeds, hessians);
criterion_main!(benches);
