//! Second derivatives: every block of the Hessian against central finite
//! differences of the gradient at random points (scalar, vector and matrix
//! variables, mixed blocks), the printed forms of textbook problems, the
//! former internal errors, and the time of deeply nested functions.

mod common;

use std::time::Instant;

use egg::Symbol;
use matgrad::hessian::{Hessians, hessians, with_helpers};
use matgrad::numeric::Point;
use matgrad::ops::Value;
use matgrad::{Gradient, Notation};

/// (problem, variables)
const CASES: &[(&str, &[&str])] = &[
    ("A : m x n; x : n; y : m; 0.25*norm2(y - (A*x).^2)", &["x"]),
    ("A : n x n; x : n; x'*A*x", &["x"]),
    ("x : n; x'*inv(I + x*x')*x", &["x"]),
    ("X : n x n; tr(X*X)", &["X"]),
    ("X : n x n; logdet(X)", &["X"]),
    ("A : n x n; X : n x m; tr(X'*A*X)", &["X"]),
    ("A : m x n; X : n x p; B : m x p; norm2(A*X - B)", &["X"]),
    ("z : n; y : n; -y'*log(softmax(z))", &["z"]),
    ("A : m x n; x : n; logsumexp(A*x)", &["x"]),
    ("A : m x n; x : n; y : m; sum(softmax(A*x) .* y)", &["x"]),
    ("X : n x n; det(X)", &["X"]),
    ("X : n x n; tr(X'*X) - logdet(X)", &["X"]),
    (
        "A : m x n; x : n; y : m; -(y'*log(sigmoid(A*x)) + (1-y)'*log(1-sigmoid(A*x)))",
        &["x"],
    ),
    ("x : n; sum(sin(x'))", &["x"]),
    ("x : n; norm2(x')^2", &["x"]),
    ("x : n; gamma : scalar; norm(x/gamma)", &["gamma"]),
    ("x : n; gamma : scalar; norm(x/gamma)", &["x", "gamma"]),
    (
        "x : n; y : n; A : n x n; x'*A*y + norm2(x)*sum(y)",
        &["x", "y"],
    ),
    ("W : m x n; x : n; y : m; norm2(tanh(W*x) - y)", &["W", "x"]),
    (
        "X : n x n; a : scalar; x : n; a*x'*inv(X)*x",
        &["X", "a", "x"],
    ),
    (
        "S : spd n x n; Y : n x p; logdet(S) + tr(inv(S)*Y*Y')",
        &["S"],
    ),
    ("x : n; A : m x n; sum(exp(A*x)) + norm(x)", &["x"]),
    ("X : m x n; sum(sigmoid(X) .* X) + norm2(X'*X)", &["X"]),
    ("W : m x n; x : n; 0.5*norm2(W'*W*x - x)", &["W"]),
    (
        "x : n; a, b : scalar; exp(a*b)*sum(x .^ 3)/b",
        &["a", "b", "x"],
    ),
    ("x : n; X : n x n; x'*X*x*tr(X)", &["X", "x"]),
    // Square roots squared out, diagonal matrices folded: diag(1 ⊘ sqrt(1 + r∘²)∘³).
    ("r : n; sum(sqrt(1 + r.^2) - 1)", &["r"]),
    ("x : n; sum(sqrt(x .* x + 1))", &["x"]),
];

/// The block ∂(∇_row f)/∂col by central differences of the gradient.
fn fd_block(g: &Gradient, p: &Point, row: usize, col: &str) -> Value {
    let c = Symbol::from(col);
    let x = p.values[&c].clone();
    let n = x.nrows() * x.ncols();
    let rows = {
        let v = &g.evaluate(p).expect("gradient")[row];
        v.nrows() * v.ncols()
    };
    let mut out = Value::zeros(rows, n);
    for k in 0..n {
        let h = 1e-5 * (1.0 + x[k].abs());
        let at = |s: f64| {
            let mut q = p.clone();
            let mut y = x.clone();
            y[k] += s * h;
            q.values.insert(c, y);
            g.evaluate(&q).expect("gradient")[row].clone()
        };
        let d = (at(1.0) - at(-1.0)) / (2.0 * h);
        for (i, v) in d.iter().enumerate() {
            out[(i, k)] = *v;
        }
    }
    out
}

fn check(src: &str, wrt: &[&str], seed: u64) -> usize {
    let g = matgrad::gradient(src, wrt).unwrap_or_else(|e| panic!("{src}: {e}"));
    let hs: Hessians = hessians(&g).unwrap_or_else(|e| panic!("{src}: {e}"));
    assert_eq!(hs.blocks.len(), wrt.len() * wrt.len(), "{src}: every block");
    let p = common::point(&g.model, seed);
    let ph = with_helpers(&g, &p).expect("helpers");
    for h in &hs.blocks {
        let row = wrt.iter().position(|v| *v == h.row).expect("row");
        let got = h
            .evaluate(&ph, &hs.defs)
            .unwrap_or_else(|e| panic!("{src}: {e}"));
        let fd = fd_block(&g, &p, row, &h.col);
        let err = (&got - &fd).norm() / fd.norm().max(1.0);
        assert!(
            err < 1e-5,
            "{src} block {},{} (seed {seed}): {} gives\n{got}finite differences\n{fd}",
            h.row,
            h.col,
            h.show(Notation::Ascii)
        );
    }
    hs.blocks.len()
}

#[test]
fn hessians_match_finite_differences_of_the_gradient() {
    let mut blocks = 0;
    for (src, wrt) in CASES {
        for seed in 0..3 {
            blocks += check(src, wrt, seed);
        }
    }
    assert!(blocks >= 3 * CASES.len());
}

#[test]
fn printed_forms() {
    let mut out = String::new();
    for (src, wrt) in CASES {
        let g = matgrad::gradient(src, wrt).expect("gradient");
        out += &format!("$ {src}   (wrt {})\n", wrt.join(", "));
        out += &g.print(Notation::Unicode);
        out += "\n";
        out += &matgrad::hessian::text(&g, Notation::Unicode, None).expect("hessian");
        out += "\n";
    }
    insta::assert_snapshot!("hessian-forms", out);
}

#[test]
fn matrix_variables_print_a_directional_form() {
    let g = matgrad::gradient("A : n x n; X : n x m; tr(X'*A*X)", &["X"]).expect("gradient");
    let hs = hessians(&g).expect("hessian");
    assert_eq!(hs.blocks[0].direction.as_deref(), Some("dX"));
    assert_eq!(hs.blocks[0].show(Notation::Ascii), "(A + A')*dX");
}

#[test]
fn nested_functions_take_linear_time() {
    // 250 deep: the linear pass skips trees deeper than it can expand in linear time,
    // and each helper's graph holds only the symbols it uses (5.3 s and 1 GB before).
    for depth in [30, 40, 250] {
        let body = format!("{}x{}", "sin(".repeat(depth), ")".repeat(depth));
        let src = format!("x : n; sum({body})");
        let t = Instant::now();
        let g = matgrad::gradient(&src, &["x"]).expect("gradient");
        let hs = hessians(&g).expect("hessian");
        let text = hs.blocks[0].show(Notation::Unicode);
        assert!(!text.is_empty());
        let secs = t.elapsed().as_secs_f64();
        assert!(secs < 2.0, "depth {depth}: {secs:.2} s");
        if depth == 30 {
            check(&src, &["x"], 1);
        }
    }
}
