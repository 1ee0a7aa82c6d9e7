//! Terms that cancel across a sum: reverse mode adds the adjoint of every path, and
//! the simplifier's linear-combination pass (`src/simplify/linear.rs`) gathers like
//! terms that two-term rewrite rules cannot bring together.

mod common;

use common::{fd, point, rel};

/// (problem, variable, the gradient as printed)
const CASES: &[(&str, &str, &str)] = &[
    // (A + B)ᵀx + (A + B)x − Bᵀx − Bx
    (
        "A, B : n x n; x : n; x'*(A + B)*x - x'*B*x",
        "x",
        "(A + Aᵀ)x",
    ),
    // 2Wᵀ(Wx − y) − 2WᵀWx
    (
        "W : m x n; x : n; y : m; norm2(W*x - y) - norm2(W*x)",
        "x",
        "−2Wᵀy",
    ),
    // xᵀAx = xᵀAᵀx: identically zero, in x and in A
    ("A : n x n; x : n; x'*A*x - x'*A'*x", "x", "0"),
    ("A : n x n; x : n; x'*A*x - x'*A'*x", "A", "0"),
    // ((A + B)ᵀ − Bᵀ)Cᵀ
    (
        "A, B : n x n; X : n x m; C : m x n; tr(C*(A + B)*X) - tr(C*B*X)",
        "X",
        "AᵀCᵀ",
    ),
    // scalar coefficients gather: (a + b)y − (a + b)y
    (
        "a, b : scalar; x, y : n; a*x'*y + b*x'*y - (a + b)*y'*x",
        "x",
        "0",
    ),
];

#[test]
fn like_terms_cancel() {
    for (problem, var, want) in CASES {
        let g = matgrad::gradient(problem, &[var]).expect(problem);
        let text = g.print(matgrad::Notation::Unicode);
        let got = text
            .lines()
            .next()
            .and_then(|l| l.split(" = ").nth(1))
            .unwrap_or_default();
        assert_eq!(got, *want, "{problem}\n{text}");
        let p = point(&g.model, 3);
        let ours = g.derivation.evaluate(&g.model, &p).expect("evaluates");
        assert!(rel(&ours[0], &fd(&g.model, &p, var)) <= 1e-5, "{problem}");
    }
}
