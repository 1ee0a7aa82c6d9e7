//! Per seed problem: the median time of a whole derivation (text to printed answer),
//! the median time of its Hessian (every block, from the derived gradient, as the
//! `hessian` group of `cargo bench --bench seeds` times it), their ratio, and the
//! size of the e-graphs each built, for the README's speed table.
//!
//! `cargo run --release --example seed_stats [runs]`

/// The allocator the `matgrad` binary uses, so that this times what the binary does.
#[global_allocator]
static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();

#[path = "../benches/common/seed_problems.rs"]
mod seed_problems;

use std::time::Instant;

use matgrad::simplify::Stats;

/// The median of `runs` timings of `f` in milliseconds, with its last result.
fn median<T>(runs: usize, mut f: impl FnMut() -> T) -> (f64, T) {
    let mut times = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = f();
        times.push(t.elapsed().as_secs_f64() * 1e3);
        last = Some(out);
    }
    times.sort_by(f64::total_cmp);
    (times[runs / 2], last.expect("ran"))
}

/// `iterations, e-nodes, e-classes` of a run and of its polish phase.
fn sizes(s: &Stats) -> (String, String) {
    let polish = s.polish.as_ref().map_or("—".to_string(), |p| {
        format!("{}, {}, {}", p.iterations, p.nodes, p.classes)
    });
    let main = if s.iterations == 0 {
        "—".to_string()
    } else {
        format!("{}, {}, {}", s.iterations, s.nodes, s.classes)
    };
    (main, polish)
}

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(21)
        .max(1);
    println!(
        "| problem | gradient ms | Hessian ms | ratio | gradient e-graph: main; polish (iterations, e-nodes, e-classes) | Hessian e-graph: main; polish |"
    );
    println!("|---|---|---|---|---|---|");
    for (name, input, wrt) in seed_problems::seed_problems() {
        let (name, input) = (name.as_str(), input.as_str());
        let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let (grad_ms, g) = median(runs, || {
            let g = matgrad::gradient(input, &wrt).expect("derives");
            std::hint::black_box(g.print(matgrad::Notation::Unicode));
            g
        });
        let (hess_ms, _) = median(runs, || {
            matgrad::hessian::text(&g, matgrad::Notation::Unicode, None).expect("hessian")
        });
        let h = matgrad::hessian::hessians(&g).expect("hessian");
        let (gm, gp) = sizes(&g.derivation.stats);
        let (hm, hp) = sizes(&h.stats);
        let label = if wrt.len() > 1 {
            format!("{name} ({} variables)", wrt.len())
        } else {
            name.to_string()
        };
        println!(
            "| {label} | {grad_ms:.2} | {hess_ms:.2} | {:.1} | {gm}; {gp} | {hm}; {hp} |",
            hess_ms / grad_ms
        );
    }
}
