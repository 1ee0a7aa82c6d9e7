//! What translation validation costs: comparing each seed problem's closed forms
//! with reverse mode at the validation points (`src/derive/validate.rs`), alone.
//! `cargo bench --bench validate`; the README's figure comes from this.

/// The allocator the `matgrad` binary uses, so that this times what the binary does.
#[global_allocator]
static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();

#[path = "common/seed_problems.rs"]
mod seed_problems;

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn validate(c: &mut Criterion) {
    let mut group = c.benchmark_group("validate");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(200));
    for (name, input, wrt) in seed_problems::seed_problems() {
        let (name, input) = (name.as_str(), input.as_str());
        let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let g = matgrad::gradient(input, &wrt).expect("derives");
        group.bench_function(name, |b| {
            b.iter(|| {
                black_box(matgrad::derive::validate::compare(
                    black_box(&g.model),
                    black_box(&g.derivation),
                ))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, validate);
criterion_main!(benches);
