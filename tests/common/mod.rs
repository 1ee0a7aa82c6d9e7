//! Shared helpers for the integration tests.
#![allow(dead_code)]

pub mod cli;
pub mod generator;

use egg::Symbol;
use matgrad::numeric::Point;
use matgrad::numeric::sample::{Rng, random_point};
use matgrad::ops::Value;
use matgrad::{Gradient, Model, Notation};

/// The seed problems (tests/data/seeds.toml).
pub fn seeds() -> Vec<toml::Value> {
    let text = include_str!("../data/seeds.toml");
    let v: toml::Value = toml::from_str(text).expect("seeds.toml parses");
    v["problem"].as_array().expect("problems").clone()
}

/// A seed problem's name, input and variables.
pub fn case(pr: &toml::Value) -> (&str, &str, Vec<&str>) {
    let wrt = pr["wrt"]
        .as_array()
        .expect("wrt")
        .iter()
        .map(|v| v.as_str().expect("name"))
        .collect();
    (
        pr["name"].as_str().expect("name"),
        pr["input"].as_str().expect("input"),
        wrt,
    )
}

/// The input without its last statement (the objective).
pub fn declarations(input: &str) -> String {
    let t = input.trim_end();
    let cut = t.rfind(['\n', ';']).map_or(0, |i| i + 1);
    t[..cut].to_string()
}

/// Evaluates the last expression of `program` at `point` (which may hold more names).
pub fn eval_program(program: &str, point: &Point) -> Value {
    let m = matgrad::parse_program(program).unwrap_or_else(|e| panic!("{program}: {e}"));
    let mut p = point.clone();
    p.values.retain(|k, _| m.input(k.as_str()).is_some());
    matgrad::numeric::check::value_at(&m.graph.expr, m.objective, &p)
        .unwrap_or_else(|e| panic!("{program}: {e}"))
}

/// A random point for a model.
pub fn point(model: &Model, seed: u64) -> Point {
    random_point(model, &mut Rng::new(seed), (2, 4))
}

/// Relative error.
pub fn rel(a: &Value, b: &Value) -> f64 {
    matgrad::numeric::check::rel_err(a, b)
}

/// The gradient's ascii program for `var`: declarations, helper definitions, expression.
pub fn ascii_program(g: &Gradient, input: &str, var: &str) -> String {
    let mut s = declarations(input);
    s.push('\n');
    for (n, e) in g.definitions(Notation::Ascii) {
        if g.model.defs.iter().any(|(d, _)| *d == n) {
            continue;
        }
        s += &format!("{n} = {e}\n");
    }
    s += &g.expression(var, Notation::Ascii).expect("variable");
    s
}

/// Finite differences of the model's objective.
pub fn fd(model: &Model, p: &Point, var: &str) -> Value {
    matgrad::numeric::check::finite_difference(
        &model.graph.expr,
        model.objective,
        p,
        Symbol::from(var),
        1e-6,
    )
    .expect("fd")
}

/// Operations (non-leaf nodes) in the last expression and definitions of a program.
pub fn ops_count(program: &str) -> usize {
    let m = matgrad::parse_program(program).unwrap_or_else(|e| panic!("{program}: {e}"));
    let mut seen = std::collections::HashSet::new();
    let mut n = 0;
    count(&m, m.objective, &mut seen, &mut n);
    n
}

fn count(m: &Model, id: egg::Id, seen: &mut std::collections::HashSet<egg::Id>, n: &mut usize) {
    use egg::Language;
    let node = m.graph.node(id);
    if node.is_leaf() {
        return;
    }
    *n += 1;
    let named = m.defs.iter().any(|(_, d)| *d == id);
    if named && !seen.insert(id) {
        *n -= 1;
        return;
    }
    for c in node.children() {
        count(m, *c, seen, n);
    }
}

/// Removes spaces and sorts the terms of every sum, at every depth of parentheses.
pub fn normalize(s: &str) -> String {
    let s: String = s
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .replace('−', "-");
    fn group(chars: &[char], i: &mut usize) -> String {
        let mut terms: Vec<String> = Vec::new();
        let mut cur = String::new();
        while *i < chars.len() {
            let c = chars[*i];
            *i += 1;
            match c {
                '(' => {
                    let inner = group(chars, i);
                    cur.push('(');
                    cur.push_str(&inner);
                    cur.push(')');
                }
                ')' => break,
                '+' | '-' if !cur.is_empty() => {
                    terms.push(std::mem::take(&mut cur));
                    if c == '-' {
                        cur.push('-');
                    }
                }
                _ => cur.push(c),
            }
        }
        terms.push(cur);
        terms.sort();
        terms.join("+")
    }
    let chars: Vec<char> = s.chars().collect();
    group(&chars, &mut 0)
}

/// Renames the helper terms of a display (`... where K = ..., M = ...`) to `#1`, `#2`, ...
pub fn canonical_display(expr: &str, helpers: &[(String, String)]) -> String {
    let mut text = expr.to_string();
    for (n, d) in helpers {
        text += &format!(" where {n} = {d}");
    }
    for (i, (n, _)) in helpers.iter().enumerate() {
        text = text.replace(n.as_str(), &format!("#{i}"));
    }
    normalize(&text)
}

/// The helper terms of a gradient that the problem itself does not define, in unicode.
pub fn new_helpers(g: &Gradient) -> Vec<(String, String)> {
    let own: Vec<String> = g.model.defs.iter().map(|(n, _)| n.clone()).collect();
    g.definitions(Notation::Unicode)
        .into_iter()
        .filter(|(n, _)| !own.contains(n))
        .collect()
}

/// How many cases a property test runs: `MATGRAD_PROP_CASES`, else `default`.
pub fn prop_cases(default: u32) -> u32 {
    std::env::var("MATGRAD_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A property test's fixed seed: `PROPTEST_RNG_SEED`, else `default` (so CI runs the
/// same cases every time).
pub fn prop_seed(default: u64) -> proptest::test_runner::RngSeed {
    let seed = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    proptest::test_runner::RngSeed::Fixed(seed)
}

/// A property test's configuration: [`prop_cases`]`(cases)` cases from the fixed
/// seed [`prop_seed`]`(seed)`; a failure is reported with its shrunk input, not
/// written to a regressions file.
pub fn prop_config(cases: u32, seed: u64) -> proptest::test_runner::Config {
    proptest::test_runner::Config {
        cases: prop_cases(cases),
        rng_seed: prop_seed(seed),
        failure_persistence: None,
        ..proptest::test_runner::Config::default()
    }
}

/// The names among `candidates` that the model's expressions use.
pub fn used_inputs<'a>(model: &Model, candidates: &[&'a str]) -> Vec<&'a str> {
    let expr = model.graph.expr.as_ref();
    candidates
        .iter()
        .copied()
        .filter(|v| expr.iter().any(|n| n.to_string() == *v))
        .collect()
}

/// The relative differences between two expressions over `m`'s names at three
/// points: one per point where both have a value of moderate size.
pub fn differences(
    a: &egg::RecExpr<matgrad::ir::Math>,
    b: &egg::RecExpr<matgrad::ir::Math>,
    m: &Model,
) -> Vec<f64> {
    use matgrad::numeric::check::value_at;
    let root = |e: &egg::RecExpr<matgrad::ir::Math>| egg::Id::from(e.as_ref().len() - 1);
    (0..3)
        .filter_map(|seed| {
            let p = point(m, seed);
            let want = value_at(a, root(a), &p).ok()?;
            let got = value_at(b, root(b), &p).ok()?;
            (want.amax() <= 1e6).then(|| rel(&got, &want))
        })
        .collect()
}
