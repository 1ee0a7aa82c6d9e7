//! Derives one seed problem once, without the runner's time limit, so that an
//! instruction count (`valgrind --tool=callgrind`) measures the same work however
//! slowly it runs: `cargo run --release --example derive_once -- gplvm-full`.
//!
//! With a second argument `split`, the gradient is derived once to warm up (the
//! rules are compiled on first use), then again in `measured_gradient`, and the
//! Hessian of the problem in `measured_hessian`, so that the in-process work of each
//! can be counted apart, as criterion times them:
//!
//! ```text
//! valgrind --tool=callgrind --toggle-collect='derive_once::measured_gradient' \
//!     target/release/examples/derive_once gplvm-full split
//! valgrind --tool=callgrind --toggle-collect='derive_once::measured_hessian' \
//!     target/release/examples/derive_once gplvm-full split
//! ```

/// The allocator the `matgrad` binary uses, so that this times what the binary does.
#[global_allocator]
static ALLOCATOR: matgrad::alloc::Arena = matgrad::alloc::Arena::new();

use std::time::Duration;

#[inline(never)]
fn measured_gradient(model: matgrad::Model, wrt: &[&str], opts: &matgrad::Options) -> String {
    let g = matgrad::gradient_with(model, wrt, opts).expect("derives");
    g.print(matgrad::Notation::Unicode)
}

#[inline(never)]
fn measured_hessian(g: &matgrad::Gradient) -> String {
    matgrad::hessian::text(g, matgrad::Notation::Unicode, None).expect("hessian")
}

fn main() {
    let name = std::env::args().nth(1).expect("a seed name");
    let split = std::env::args().nth(2).as_deref() == Some("split");
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
    let input = pr["input"].as_str().expect("input");
    let model = || matgrad::parse_problem(input).expect("parses");
    let g = matgrad::gradient_with(model(), &wrt, &opts).expect("derives");
    println!("{}", g.print(matgrad::Notation::Unicode));
    if split {
        println!("{}", measured_gradient(model(), &wrt, &opts));
        println!("{}", measured_hessian(&g));
    }
}
