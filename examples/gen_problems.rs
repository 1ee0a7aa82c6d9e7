//! Prints generated problems, one a line, `input<TAB>variables`, from the test
//! generator's grammars (tests/common/generator.rs: the fuzzer's, the property
//! tests' and the Hessian tests'), N of each (default 500), for
//! `bench/same_forms.py`, which runs two builds on them and compares what they print:
//!
//! ```text
//! cargo run --release --example gen_problems -- 600 > problems.tsv
//! ```

#[path = "../tests/common/generator.rs"]
#[allow(dead_code)]
mod generator;

use generator::{FUZZ, Gen, Grammar, HESSIAN, Kind, PROPS};

/// The candidates the body of `src` (after its last `;`) names.
fn used(src: &str, candidates: &[&str]) -> Vec<String> {
    let body = &src[src.rfind(';').map_or(0, |i| i + 1)..];
    candidates
        .iter()
        .filter(|v| body.split(|c: char| !c.is_alphanumeric()).any(|w| w == **v))
        .map(|v| v.to_string())
        .collect()
}

/// A problem of `grammar` from `seed`, drawn as its test draws it: depth, body, tail.
fn problem(grammar: &'static Grammar, seed: u64, depths: (usize, usize), tail: &str) -> String {
    let mut g = Gen::new(grammar, seed);
    let depth = g.rng.range(depths.0, depths.1);
    let body = g.expr(Kind::Scalar, depth);
    format!("{}; {body}{tail}", grammar.decls)
}

fn main() {
    let n: u64 = std::env::args()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(500);
    for k in 0..n {
        let src = problem(&FUZZ, 0x00f0_22ed + k, (1, 3), " + a*b");
        let vars = used(&src, &["x", "A", "a", "B", "C", "S"]);
        println!("{src}\t{}", vars.join(" "));
        let src = problem(&PROPS, 77_000 + k, (1, 6), " + s*t");
        let vars = used(&src, &["x", "A", "s", "C", "S"]);
        println!("{src}\t{}", vars.join(" "));
        let src = problem(&HESSIAN, 99_000 + k, (1, 3), "");
        let vars = used(&src, &["X", "x", "s"]);
        println!("{src}\t{}", vars.join(" "));
    }
}
