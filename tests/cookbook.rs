//! Derivative identities of the Matrix Cookbook (Petersen & Pedersen, 2012), as far
//! as the language expresses them: each gradient equals the book's expression at
//! random points, and prints as listed (up to spacing, term order and helper names).

mod common;

use common::*;
use matgrad::Notation;

/// (equation, problem, variable, the book's gradient, how matgrad prints it).
/// Where the printed form is not the book's, a comment says how it differs.
const TABLE: &[(&str, &str, &str, &str, &str)] = &[
    (
        "49",
        "X : n x n; det(X)",
        "X",
        "det(X)*inv(X)'",
        "det(X)X⁻ᵀ",
    ),
    // det(K)AᵀK⁻ᵀBᵀ with K = AXB equals det(AXB)X⁻ᵀ for square A, B; K is opaque to the e-graph.
    (
        "50",
        "A, X, B : n x n; det(A*X*B)",
        "X",
        "det(A*X*B)*inv(X)'",
        "det(K)AᵀK⁻ᵀBᵀ where K = AXB",
    ),
    ("57", "X : n x n; logdet(X)", "X", "inv(X)'", "X⁻ᵀ"),
    (
        "61",
        "X : n x n; a, b : n; a'*inv(X)*b",
        "X",
        "-inv(X)'*a*b'*inv(X)'",
        "−X⁻ᵀabᵀX⁻ᵀ",
    ),
    ("69", "x, a : n; x'*a", "x", "a", "a"),
    ("70", "X : m x n; a : m; b : n; a'*X*b", "X", "a*b'", "abᵀ"),
    ("71", "X : n x m; a : m; b : n; a'*X'*b", "X", "b*a'", "baᵀ"),
    ("72", "X : n x n; a : n; a'*X*a", "X", "a*a'", "aaᵀ"),
    (
        "77",
        "X : m x n; b, c : n; b'*X'*X*c",
        "X",
        "X*(b*c' + c*b')",
        "X(bcᵀ + cbᵀ)",
    ),
    (
        "78",
        "x : n; B : m x n; b : m; C : m x k; D : k x n; d : k; (B*x + b)'*C*(D*x + d)",
        "x",
        "B'*C*(D*x + d) + D'*C'*(B*x + b)",
        "BᵀC(Dx + d) + DᵀCᵀ(Bx + b)",
    ),
    (
        "81",
        "B : n x n; x : n; x'*B*x",
        "x",
        "(B + B')*x",
        "(B + Bᵀ)x",
    ),
    (
        "82",
        "X : m x n; b, c : n; D : m x m; b'*X'*D*X*c",
        "X",
        "D'*X*b*c' + D*X*c*b'",
        "DᵀXbcᵀ + DXcbᵀ",
    ),
    (
        "83",
        "X : m x n; b : n; c : m; D : m x m; (X*b + c)'*D*(X*b + c)",
        "X",
        "(D + D')*(X*b + c)*b'",
        "(D + Dᵀ)(Xb + c)bᵀ",
    ),
    // The book writes −2AᵀW(x − As); matgrad flips the sign into the difference.
    (
        "84",
        "W : spd m x m; A : m x n; s : n; x : m; (x - A*s)'*W*(x - A*s)",
        "s",
        "-2*A'*W*(x - A*s)",
        "2AᵀW(As − x)",
    ),
    ("100", "X : n x n; tr(X)", "X", "I + 0*X", "I"),
    ("101", "X : n x m; A : m x n; tr(X*A)", "X", "A'", "Aᵀ"),
    (
        "102",
        "A : p x m; X : m x n; B : n x p; tr(A*X*B)",
        "X",
        "A'*B'",
        "AᵀBᵀ",
    ),
    (
        "103",
        "A : p x n; X : m x n; B : m x p; tr(A*X'*B)",
        "X",
        "B*A",
        "BA",
    ),
    ("104", "X, A : m x n; tr(X'*A)", "X", "A", "A"),
    ("105", "X, A : m x n; tr(A*X')", "X", "A", "A"),
    ("108", "X : n x n; tr(X*X)", "X", "2*X'", "2Xᵀ"),
    // (XB + BX)ᵀ, distributed.
    (
        "109",
        "X, B : n x n; tr(X*X*B)",
        "X",
        "(X*B + B*X)'",
        "BᵀXᵀ + XᵀBᵀ",
    ),
    (
        "110",
        "X : n x m; B : n x n; tr(X'*B*X)",
        "X",
        "B*X + B'*X",
        "(B + Bᵀ)X",
    ),
    (
        "111",
        "X : n x m; B : n x n; tr(B*X*X')",
        "X",
        "B*X + B'*X",
        "(B + Bᵀ)X",
    ),
    (
        "112",
        "X : n x m; B : n x n; tr(X*X'*B)",
        "X",
        "B*X + B'*X",
        "(B + Bᵀ)X",
    ),
    (
        "113",
        "X : n x m; B : m x m; tr(X*B*X')",
        "X",
        "X*B' + X*B",
        "X(B + Bᵀ)",
    ),
    (
        "114",
        "X : n x m; B : m x m; tr(B*X'*X)",
        "X",
        "X*B' + X*B",
        "X(B + Bᵀ)",
    ),
    (
        "115",
        "X : n x m; B : m x m; tr(X'*X*B)",
        "X",
        "X*B' + X*B",
        "X(B + Bᵀ)",
    ),
    // BᵀXᵀAᵀ is printed as (AXB)ᵀ, one operation shorter.
    (
        "116",
        "X : n x n; A, B : n x n; tr(A*X*B*X)",
        "X",
        "A'*X'*B' + B'*X'*A'",
        "AᵀXᵀBᵀ + (AXB)ᵀ",
    ),
    ("117", "X : n x m; tr(X'*X)", "X", "2*X", "2X"),
    (
        "118",
        "X : n x m; B : m x p; C : n x n; tr(B'*X'*C*X*B)",
        "X",
        "C'*X*B*B' + C*X*B*B'",
        "(C + Cᵀ)XBBᵀ",
    ),
    (
        "119",
        "X : n x m; B : n x n; C : m x m; tr(X'*B*X*C)",
        "X",
        "B*X*C + B'*X*C'",
        "BXC + BᵀXCᵀ",
    ),
    (
        "120",
        "X : n x m; A : p x n; B : m x m; C : n x p; tr(A*X*B*X'*C)",
        "X",
        "A'*C'*X*B' + C*A*X*B",
        "AᵀCᵀXBᵀ + CAXB",
    ),
    (
        "121",
        "A : p x n; X : n x m; B : m x q; C : p x q; tr((A*X*B + C)*(A*X*B + C)')",
        "X",
        "2*A'*(A*X*B + C)*B'",
        "2Aᵀ(AXB + C)Bᵀ",
    ),
    (
        "124",
        "A, X, B : n x n; tr(A*inv(X)*B)",
        "X",
        "-inv(X)'*A'*B'*inv(X)'",
        "−X⁻ᵀAᵀBᵀX⁻ᵀ",
    ),
    // The book's −CX(XᵀCX)⁻¹(A + Aᵀ)(XᵀCX)⁻¹ for symmetric C, written with K = (XᵀCX)⁻¹.
    (
        "125",
        "X : n x m; C : spd n x n; A : m x m; tr(inv(X'*C*X)*A)",
        "X",
        "-C*X*inv(X'*C*X)*(A + A')*inv(X'*C*X)",
        "−CXK(A + Aᵀ)K where K = (XᵀCX)⁻¹",
    ),
    // Powers of a square matrix (eqs. 89–92); the book sums eq. 92 over r.
    ("89", "X : n x n; tr(X^2)", "X", "2*X'", "2Xᵀ"),
    (
        "90",
        "X, B : n x n; tr(X^2*B)",
        "X",
        "(X*B + B*X)'",
        "BᵀXᵀ + XᵀBᵀ",
    ),
    ("91", "X : n x n; tr(X^4)", "X", "4*(X^3)'", "4(X³)ᵀ"),
    (
        "92",
        "X, A : n x n; tr(A*X^3)",
        "X",
        "(A*X^2 + X*A*X + X^2*A)'",
        "AᵀK + XᵀAᵀXᵀ + KAᵀ where K = (X²)ᵀ",
    ),
    (
        "(inverse power)",
        "X : n x n; tr(X^-1)",
        "X",
        "-(inv(X)^2)'",
        "−(X⁻²)ᵀ",
    ),
    ("(Frobenius)", "X : m x n; norm2(X)", "X", "2*X", "2X"),
    ("(norm)", "x : n; norm(x)", "x", "x/norm(x)", "x/‖x‖"),
];

#[test]
fn cookbook_identities() {
    let mut failures = Vec::new();
    for (eq, src, var, book, display) in TABLE {
        let g = matgrad::gradient(src, &[var]).unwrap_or_else(|e| panic!("eq. {eq}: {e}"));
        for seed in 0..3 {
            let p = point(&g.model, seed);
            let ours = g.derivation.evaluate(&g.model, &p).unwrap().remove(0);
            let theirs = eval_program(&format!("{}\n{book}", declarations(src)), &p);
            let err = rel(&ours, &theirs);
            if err > 1e-8 {
                failures.push(format!("eq. {eq}: differs from the book by {err:e}"));
            }
        }
        let got = g.expression(var, Notation::Unicode).unwrap();
        let helpers = new_helpers(&g);
        let (want, want_helpers) = match display.split_once(" where ") {
            Some((e, h)) => {
                let (n, d) = h.split_once(" = ").unwrap();
                (e, vec![(n.to_string(), d.to_string())])
            }
            None => (*display, vec![]),
        };
        if canonical_display(&got, &helpers) != canonical_display(want, &want_helpers) {
            failures.push(format!(
                "eq. {eq}: prints {got} {helpers:?}, the table says {display}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
