//! Per seed problem: the median time of a whole derivation (text to printed answer)
//! and the size of the e-graphs it built, for the README's speed table.
//!
//! `cargo run --release --example seed_stats [runs]`

#[path = "../benches/common/seed_problems.rs"]
mod seed_problems;

use std::time::Instant;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(21);
    println!(
        "| problem | median ms | main: iterations, e-nodes, e-classes | polish: iterations, e-nodes, e-classes |"
    );
    println!("|---|---|---|---|");
    for (name, input, wrt) in seed_problems::seed_problems() {
        let (name, input) = (name.as_str(), input.as_str());
        let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let mut times = Vec::with_capacity(runs);
        let mut last = None;
        for _ in 0..runs {
            let t = Instant::now();
            let g = matgrad::gradient(input, &wrt).expect("derives");
            std::hint::black_box(g.print(matgrad::Notation::Unicode));
            times.push(t.elapsed().as_secs_f64() * 1e3);
            last = Some(g);
        }
        times.sort_by(f64::total_cmp);
        let s = &last.expect("ran").derivation.stats;
        let polish = s.polish.as_ref().map_or("—".to_string(), |p| {
            format!("{}, {}, {}", p.iterations, p.nodes, p.classes)
        });
        let label = if wrt.len() > 1 {
            format!("{name} ({} variables)", wrt.len())
        } else {
            name.to_string()
        };
        println!(
            "| {label} | {:.2} | {}, {}, {} | {polish} |",
            times[runs / 2],
            s.iterations,
            s.nodes,
            s.classes
        );
    }
}
