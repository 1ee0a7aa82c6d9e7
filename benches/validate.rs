//! What translation validation costs: comparing each seed problem's closed forms
//! with reverse mode at the validation points (`src/derive/validate.rs`), alone.
//! `cargo bench --bench validate`; the README's figure comes from this.

use criterion::{Criterion, criterion_group, criterion_main};
use std::hint::black_box;
use std::time::Duration;

fn validate(c: &mut Criterion) {
    let text = include_str!("../tests/data/seeds.toml");
    let v: toml::Value = toml::from_str(text).expect("seeds.toml parses");
    let mut group = c.benchmark_group("validate");
    group
        .sample_size(20)
        .measurement_time(Duration::from_secs(1))
        .warm_up_time(Duration::from_millis(200));
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
