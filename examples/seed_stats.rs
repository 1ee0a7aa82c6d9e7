//! Per seed problem: the median time of a whole derivation (text to printed answer)
//! and the size of the e-graphs it built, for the README's speed table.
//!
//! `cargo run --release --example seed_stats [runs]`

use std::time::Instant;

fn main() {
    let runs: usize = std::env::args()
        .nth(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(21);
    let text = include_str!("../tests/data/seeds.toml");
    let v: toml::Value = toml::from_str(text).expect("seeds.toml parses");
    println!(
        "| problem | median ms | main: iterations, e-nodes, e-classes | polish: iterations, e-nodes, e-classes |"
    );
    println!("|---|---|---|---|");
    for pr in v["problem"].as_array().expect("problems") {
        if pr.get("error").is_some() {
            continue;
        }
        let name = pr["name"].as_str().expect("name");
        let input = pr["input"].as_str().expect("input");
        let wrt: Vec<&str> = pr["wrt"]
            .as_array()
            .expect("wrt")
            .iter()
            .map(|x| x.as_str().expect("var"))
            .collect();
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
