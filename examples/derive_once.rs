//! Derives one seed problem once, without the runner's time limit, so that an
//! instruction count (`valgrind --tool=callgrind`) measures the same work however
//! slowly it runs: `cargo run --release --example derive_once -- gplvm-full`.

use std::time::Duration;

fn main() {
    let name = std::env::args().nth(1).expect("a seed name");
    let text = include_str!("../tests/data/seeds.toml");
    let v: toml::Value = toml::from_str(text).expect("seeds.toml parses");
    let pr = v["problem"]
        .as_array()
        .expect("problems")
        .iter()
        .find(|p| p["name"].as_str() == Some(name.as_str()))
        .expect("a seed of that name");
    let wrt: Vec<&str> = pr["wrt"]
        .as_array()
        .expect("wrt")
        .iter()
        .map(|x| x.as_str().expect("var"))
        .collect();
    let mut opts = matgrad::Options::default();
    opts.limits.time = Duration::from_secs(3600);
    let model = matgrad::parse_problem(pr["input"].as_str().expect("input")).expect("parses");
    let g = matgrad::gradient_with(model, &wrt, &opts).expect("derives");
    println!("{}", g.print(matgrad::Notation::Unicode));
}
