//! Everyday problems beyond the seeds (`tests/data/forms.toml`): each gradient equals
//! the textbook's at random points, passes translation validation without a fallback,
//! and is at most 1.25 times as long as the textbook's, counted in operations of the
//! ASCII output with helpers once. The table of sizes is printed (`--nocapture`).

mod common;

use common::*;

const MAX_RATIO: f64 = 1.25;

fn problems() -> Vec<toml::Value> {
    let v: toml::Value = toml::from_str(include_str!("data/forms.toml")).expect("forms.toml");
    v["problem"].as_array().expect("problems").clone()
}

#[test]
fn everyday_forms_are_textbook_length() {
    let mut report = Vec::new();
    let mut failures = Vec::new();
    let all = problems();
    assert!(all.len() >= 33, "the issue's table and at least 20 more");
    for pr in &all {
        let s = |k: &str| pr[k].as_str().expect(k);
        let (name, input, var, book) = (s("name"), s("input"), s("wrt"), s("textbook"));
        let g = matgrad::gradient(input, &[var]).unwrap_or_else(|e| panic!("{name}: {e}"));
        if let Some(f) = &g.derivation.validation.fallback {
            failures.push(format!("{name}: validation fell back ({f:?})"));
        }
        let program = format!("{}\n{book}", declarations(input));
        for seed in 0..3 {
            let p = point(&g.model, seed);
            let ours = g.derivation.evaluate(&g.model, &p).unwrap().remove(0);
            let err = rel(&ours, &eval_program(&program, &p));
            if err > 1e-8 {
                failures.push(format!("{name}: differs from the textbook by {err:e}"));
            }
        }
        let ours = ops_count(&ascii_program(&g, input, var));
        let theirs = ops_count(&program);
        let ratio = ours as f64 / theirs as f64;
        let shown = g.expression(var, matgrad::Notation::Unicode).unwrap();
        report.push(format!(
            "{name:28} {ours:3} / {theirs:3} = {ratio:.2}  {shown}"
        ));
        if ratio > MAX_RATIO {
            failures.push(format!(
                "{name}: {ours} ops, textbook {theirs} ({ratio:.2}×)"
            ));
        }
    }
    println!("{}", report.join("\n"));
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
