//! Sizes of the derivation of a deep tanh network for each depth given:
//! printed bytes, helper terms, e-graph nodes (main search and polish) and time.
//! `cargo run --release --example deep_stats -- 8 16 32 64 128`.

/// The allocator the `matgrad` binary uses, so that this times what the binary does.
#[global_allocator]
static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();

use std::time::Instant;

fn main() {
    for arg in std::env::args().skip(1) {
        let depth: usize = arg.parse().expect("a depth");
        let e = (1..=depth).fold("x".to_string(), |e, i| format!("tanh(W{i}*{e})"));
        let wrt: Vec<String> = (1..=depth).map(|i| format!("W{i}")).collect();
        let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let start = Instant::now();
        let g = matgrad::gradient(&format!("0.5*norm2({e} - y)"), &wrt).expect("derives");
        let text = g.print(matgrad::Notation::Unicode);
        let time = start.elapsed();
        let s = &g.derivation.stats;
        let polish = s.polish.as_ref().map_or(0, |p| p.nodes);
        println!(
            "L={depth:4}  bytes {:7}  helpers {:4}  e-nodes {:5} + {:5}  {:8.1} ms",
            text.len(),
            g.derivation.defs.len(),
            s.nodes,
            polish,
            time.as_secs_f64() * 1e3
        );
    }
}
