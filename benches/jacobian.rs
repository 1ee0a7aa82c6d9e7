//! Jacobian derivation against gradient derivation for the same network layers: the
//! Jacobian of the layer's output (`--jacobian`), the gradient of a squared-error
//! loss of that output, and the layer's vector-Jacobian product (`--vjp`), each from
//! the problem text to the printed answer. `cargo bench --bench jacobian`; the
//! README's table comes from this.

/// The allocator the `matgrad` binary uses, so that this times what the binary does.
#[global_allocator]
static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

/// (name, declarations, layer output, variable)
const LAYERS: &[(&str, &str, &str, &str)] = &[
    ("tanh", "W : m x n; b : m; x : n", "tanh(W*x + b)", "x"),
    (
        "sigmoid",
        "W : m x n; b : m; x : n",
        "sigmoid(W*x + b)",
        "x",
    ),
    (
        "softmax",
        "W : m x n; b : m; x : n",
        "softmax(W*x + b)",
        "x",
    ),
    (
        "two-layer",
        "W1 : h x n; W2 : m x h; b1 : h; x : n",
        "W2*relu(W1*x + b1)",
        "x",
    ),
    (
        "tanh-wrt-W",
        "W : m x n; b : m; x : n",
        "tanh(W*x + b)",
        "W",
    ),
];

fn layers(c: &mut Criterion) {
    let mut group = c.benchmark_group("layer");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(2))
        .warm_up_time(Duration::from_millis(300));
    for (name, decls, out, var) in LAYERS {
        let layer = format!("{decls}; {out}");
        let loss = format!("{decls}; y : m; 0.5*norm2({out} - y)");
        let wrt = [*var];
        group.bench_function(format!("{name}/jacobian"), |b| {
            b.iter(|| {
                let j = matgrad::jacobian(black_box(&layer), black_box(&wrt)).expect("derives");
                black_box(matgrad::jacobian::print(&j, matgrad::Notation::Unicode))
            })
        });
        group.bench_function(format!("{name}/gradient"), |b| {
            b.iter(|| {
                let g = matgrad::gradient(black_box(&loss), black_box(&wrt)).expect("derives");
                black_box(g.print(matgrad::Notation::Unicode))
            })
        });
        group.bench_function(format!("{name}/vjp"), |b| {
            b.iter(|| {
                let v = matgrad::vjp(black_box(&layer), black_box(&wrt), "u").expect("derives");
                black_box(matgrad::jacobian::vjp_print(&v, matgrad::Notation::Unicode))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, layers);
criterion_main!(benches);
