//! Forward derivatives of every primitive: each JVP against central finite
//! differences along a random direction, and against the VJP by adjointness
//! ⟨ȳ, J ẋ⟩ = ⟨Jᵀȳ, ẋ⟩, at random points with random sizes.

use std::collections::HashMap;

use egg::{Id, Symbol};
use matgrad::forward;
use matgrad::ir::Math;
use matgrad::numeric::sample::{Rng, random_point};
use matgrad::numeric::{Point, evaluate};
use matgrad::ops::{self, Value};

/// One primitive applied to inputs (the root's children are the inputs), by family.
const CASES: &[&str] = &[
    // linalg
    "A : m x n; B : m x n; A + B",
    "a : scalar; B : m x n; a + B",
    "A : m x n; b : scalar; A + b",
    "A : m x n; -A",
    "A : m x k; B : k x n; A*B",
    "a : scalar; B : m x n; a*B",
    "A : m x n; b : scalar; A*b",
    "x : n; y : n; x'*y",
    "A : m x n; A'",
    "A : n x n; inv(A)",
    "A : n x n; tr(A)",
    "A : n x n; det(A)",
    "S : spd n x n; logdet(S)",
    // elementwise
    "A : m x n; B : m x n; A .* B",
    "a : scalar; B : m x n; a .* B",
    "A : m x n; B : m x n; A ./ B",
    "a : scalar; B : m x n; a ./ B",
    "A : m x n; b : scalar; A ./ b",
    "A : m x n; b : scalar; A / b",
    "a : scalar; b : scalar; a / b",
    "a : scalar; c : scalar; a^c",
    "A : m x n; c : scalar; A .^ c",
    "A : m x n; A .^ 3",
    "A : m x n; exp(A)",
    "A : m x n; log(A)",
    "A : m x n; sin(A)",
    "A : m x n; cos(A)",
    "A : m x n; tanh(A)",
    "A : m x n; sqrt(A)",
    "A : m x n; abs(A)",
    "A : m x n; sign(A)",
    "A : m x n; sigmoid(A)",
    "A : m x n; relu(A)",
    "A : m x n; step(A)",
    "A : m x n; softplus(A)",
    "A : m x n; swish(A)",
    "a : scalar; exp(a)",
    // reductions
    "A : m x n; sum(A)",
    "A : m x n; norm2(A)",
    "A : m x n; norm(A)",
    "x : n; softmax(x)",
    "x : n; logsumexp(x)",
    "x : n; diag(x)",
    "A : n x n; diag(A)",
    "A : m x n; ones(A)",
];

fn random(rng: &mut Rng, like: &Value) -> Value {
    Value::from_fn(like.nrows(), like.ncols(), |_, _| rng.normal())
}

fn inner(a: &Value, b: &Value) -> f64 {
    if a.shape() == (1, 1) && b.shape() != (1, 1) {
        return a[(0, 0)] * b.sum();
    }
    a.component_mul(b).sum()
}

fn value(g: &matgrad::ir::Graph, root: Id, p: &Point) -> Value {
    evaluate(&g.expr, p).expect("evaluates")[usize::from(root)].clone()
}

struct Setup {
    g: matgrad::ir::Graph,
    root: Id,
    point: Point,
    inputs: Vec<Symbol>,
    dirs: HashMap<Symbol, Id>,
}

fn setup(src: &str, seed: u64) -> Setup {
    let m = matgrad::parse_program(src).unwrap_or_else(|e| panic!("{src}: {e}"));
    let mut rng = Rng::new(seed);
    let mut point = random_point(&m, &mut rng, (2, 4));
    let mut g = m.graph.clone();
    let inputs: Vec<Symbol> = m
        .inputs
        .iter()
        .map(|i| Symbol::from(i.name.as_str()))
        .collect();
    let mut dirs = HashMap::new();
    for s in &inputs {
        let (d, id) = forward::direction(&mut g, s.as_str()).expect("direction");
        let v = random(&mut rng, &point.values[s]);
        point.values.insert(d, v);
        dirs.insert(*s, id);
    }
    Setup {
        g,
        root: m.objective,
        point,
        inputs,
        dirs,
    }
}

#[test]
fn jvp_matches_finite_differences() {
    let mut compared = 0;
    for (k, src) in CASES.iter().enumerate() {
        for seed in 0..3 {
            let mut s = setup(src, 100 * k as u64 + seed);
            let t = forward::directional(&mut s.g, &[s.root], &s.dirs).expect("jvp")[0];
            let y = value(&s.g, s.root, &s.point);
            let jv = match t {
                Some(t) => value(&s.g, t, &s.point),
                None => Value::zeros(y.nrows(), y.ncols()),
            };
            assert_eq!(jv.shape(), y.shape(), "{src}: tangent shape");
            let h = 1e-6;
            let shifted = |sign: f64| {
                let mut p = s.point.clone();
                for x in &s.inputs {
                    let d = p.values[&Symbol::from(format!("d{x}"))].clone();
                    let v = &p.values[x] + d * (sign * h);
                    p.values.insert(*x, v);
                }
                value(&s.g, s.root, &p)
            };
            let fd = (shifted(1.0) - shifted(-1.0)) / (2.0 * h);
            let err = (&jv - &fd).norm() / fd.norm().max(1.0);
            assert!(
                err < 1e-6,
                "{src} (seed {seed}): JVP {jv} vs finite differences {fd}"
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 3 * CASES.len());
}

#[test]
fn jvp_is_adjoint_to_vjp() {
    for (k, src) in CASES.iter().enumerate() {
        for seed in 0..3 {
            let mut s = setup(src, 7 + 100 * k as u64 + seed);
            // Only the inputs that are the root's own operands are seeded (`x'*y`: y).
            let kids: Vec<Id> = egg::Language::children(s.g.node(s.root)).to_vec();
            let direct = |x: &Symbol| kids.iter().any(|c| *s.g.node(*c) == Math::Var(*x));
            let seeds: HashMap<Symbol, Id> = s
                .dirs
                .iter()
                .filter(|(x, _)| direct(x))
                .map(|(x, d)| (*x, *d))
                .collect();
            let t = forward::directional(&mut s.g, &[s.root], &seeds).expect("jvp")[0];
            let y = value(&s.g, s.root, &s.point);
            let out_shape = s.g.shape(s.root);
            s.g.vars.insert(Symbol::from("ybar"), out_shape);
            let ybar = s.g.add(Math::Var(Symbol::from("ybar"))).expect("ybar");
            let is_input = |c: Id| kids.contains(&c) && matches!(s.g.node(c), Math::Var(_));
            let active: Vec<Id> = kids.iter().copied().filter(|c| is_input(*c)).collect();
            let parts = ops::vjp(&mut s.g, s.root, ybar, &|c| active.contains(&c)).expect("vjp");
            let mut rng = Rng::new(seed);
            let yb = random(&mut rng, &y);
            s.point.values.insert(Symbol::from("ybar"), yb.clone());
            let vals = evaluate(&s.g.expr, &s.point).expect("evaluates");
            let lhs = t.map_or(0.0, |t| inner(&yb, &vals[usize::from(t)]));
            let mut rhs = 0.0;
            for (c, adj) in parts {
                let Math::Var(x) = s.g.node(c) else {
                    unreachable!()
                };
                let dx = &s.point.values[&Symbol::from(format!("d{x}"))];
                rhs += inner(&vals[usize::from(adj)], dx);
            }
            assert!(
                (lhs - rhs).abs() <= 1e-9 * (1.0 + lhs.abs()),
                "{src} (seed {seed}): ⟨ȳ, Jẋ⟩ = {lhs} but ⟨Jᵀȳ, ẋ⟩ = {rhs}"
            );
        }
    }
}

#[test]
fn shared_subexpressions_are_differentiated_once() {
    // sin(sin(…sin(x)…)) 200 deep: the tangent adds a bounded number of nodes per level.
    let mut src = "x".to_string();
    for _ in 0..200 {
        src = format!("sin({src})");
    }
    let m = matgrad::parse_program(&format!("x : n; sum({src})")).expect("parses");
    let mut g = m.graph.clone();
    let before = g.len();
    let (_, dx) = forward::direction(&mut g, "x").expect("direction");
    let seeds = HashMap::from([(Symbol::from("x"), dx)]);
    let t = forward::directional(&mut g, &[m.objective], &seeds).expect("jvp");
    assert!(t[0].is_some());
    assert!(
        g.len() - before <= 4 * 202,
        "{} nodes added",
        g.len() - before
    );
}

#[test]
fn an_operation_without_a_derivative_is_an_error() {
    let mut g = matgrad::ops::graph(HashMap::from([(
        Symbol::from("x"),
        matgrad::ir::Shape::scalar(),
    )]));
    let x = g.var("x").expect("x");
    let err = ops::jvp(&mut g, x, &|_| Some(x)).expect_err("a variable's tangent is a seed");
    assert!(err.to_string().contains("seed"), "{err}");
}
