//! Common factors out of sums (`src/simplify/factor.rs`) where that shortens the
//! result: a scalar factor every term of a sum has (a power of a name, 1/s, α, or a
//! scalar value such as xᵀAx), the same first matrix factor on the left, the same
//! last one on the right (`(1/s)a + (1/s)b` as `(a + b)/s`, `AB + AC` as `A(B + C)`).
//! A table of problems with the printed form expected (each agreeing with finite
//! differences and the unsimplified adjoint), a table of sums and their factored
//! writing, and a property: random sums and their factored writing evaluate to the
//! same numbers (scalar factors commute, matrix factors do not, a row times a column
//! is one scalar).

mod common;

use std::collections::HashSet;

use egg::{RecExpr, Symbol};
use matgrad::ir::Math;
use matgrad::simplify::linear::factored;
use proptest::prelude::*;
use proptest::strategy::ValueTree;

const DECLARATIONS: &str = "alpha, beta, s : scalar; x, y : n; A, B, C : n x n";

#[test]
fn common_factors_come_out_of_gradients() {
    // (problem, variable, the printed answer)
    let cases = [
        // Golub & Van Loan §8.1: ((A + Aᵀ)x − 2(xᵀAx/s)x)/s
        (
            "x : n; A : n x n; x'*A*x/(x'*x)",
            "x",
            "∂f/∂x = ((A + Aᵀ)x − 2(xᵀAx/s)x)/s\n  where s = xᵀx",
        ),
        // the derivative of a normalised projection: (a − (aᵀx/r²)x)/r
        (
            "x, a : n; a'*x/norm(x)",
            "x",
            "∂f/∂x = (a − (aᵀx/c²)x)/c\n  where c = ‖x‖",
        ),
        // a positive power in common: α(2αx + (A + Aᵀ)x)
        (
            "alpha : scalar; x : n; A : n x n; alpha*x'*A*x + alpha^2*x'*x",
            "x",
            "∂f/∂x = α(2α x + (A + Aᵀ)x)",
        ),
        // the first of the fuzzer's findings against the first common-factor pass
        // (tests/fuzz.rs): the 1×1 product (y ∘ u)ᵀ… is one scalar
        (
            "x, y : n; sum((x - y) .* y/(logsumexp(x)^2 + 1))",
            "x",
            "∂f/∂x = (y − 2(logsumexp(x)ones(u ∘ y/c)ᵀ(y ∘ u)/c)softmax(x))/c\n  where c = logsumexp(x)² + 1\n        u = x − y",
        ),
    ];
    let mut failed = Vec::new();
    for (input, var, want) in cases {
        let g = matgrad::gradient(input, &[var]).expect("derives");
        let got = g.print(matgrad::Notation::Unicode);
        if got != want {
            failed.push(format!("{input}\n  want {want}\n  got  {got}"));
        }
        assert!(g.derivation.validation.fallback.is_none(), "{input}");
        let r = matgrad::check::check(&g, 3, 5).expect("evaluates");
        assert!(r.ok, "{input}: {}", r.text);
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The expression of `src` (over [`DECLARATIONS`]), its factored writing, and the
/// model to draw points from.
fn factor(src: &str) -> (RecExpr<Math>, Option<RecExpr<Math>>, matgrad::model::Model) {
    let program = format!("{DECLARATIONS}; {src}");
    let m = matgrad::parse_program(&program).unwrap_or_else(|e| panic!("{src}: {e}"));
    let expr = m.graph.extract(m.objective);
    let scalars: HashSet<Symbol> = m
        .graph
        .vars
        .iter()
        .filter(|(_, s)| s.is_scalar())
        .map(|(n, _)| *n)
        .collect();
    let out = factored(&expr, &m.graph.vars, &scalars);
    (expr, out, m)
}

#[test]
fn sums_are_written_with_their_common_factors_out() {
    // (sum, its factored writing in the e-graph's syntax; "" for none)
    let cases = [
        // scalar factors: 1/s common to both terms
        ("x/s + y/s", "(/ (+ x y) s)"),
        // the smallest power of each name, one sign in every term
        (
            "alpha^2*x + alpha^3*A*y",
            "(* (^ alpha 2) (+ x (* (* alpha A) y)))",
        ),
        ("x/s^2 - (beta/s)*y", "(/ (+ (/ x s) (neg (* beta y))) s)"),
        // a 1×1 product is one scalar: xᵀy is taken out whole, never split
        (
            "(x'*y)*A*x + (x'*y)*B*x",
            "(* (* (T x) y) (+ (* A x) (* B x)))",
        ),
        // the same first matrix factor: AB + AC + AD = A(B + C + D)
        (
            "A*B*x + A*C*y - A*y",
            "(* A (+ (+ (* B x) (* C y)) (neg y)))",
        ),
        // the same last one, then BA − CA grouped: ((B − C)A + AB)x
        (
            "B*A*x - C*A*x + A*B*x",
            "(* (+ (* (+ B (neg C)) A) (* A B)) x)",
        ),
        // some terms share a last factor, another does not: grouped among themselves
        (
            "A*x + B*x - 2*alpha*x",
            "(+ (* (+ A B) x) (neg (* 2 (* alpha x))))",
        ),
        // two terms with a matrix factor in common are the rules' (rules/sums.rules)
        ("A*B*x + A*C*y", ""),
        // different sides, different signs, a bare term: nothing to take out
        ("A*x + x*y'*B*y", ""),
        ("alpha*x + y/alpha", ""),
        ("A*B*x + B*A*y + C*(x .* y)", ""),
    ];
    let mut failed = Vec::new();
    for (src, want) in cases {
        let (expr, out, m) = factor(src);
        let got = out.as_ref().map(ToString::to_string).unwrap_or_default();
        if got != want {
            failed.push(format!("{src}\n  want {want}\n  got  {got}"));
        }
        if let Some(out) = out {
            assert!(same_values(&expr, &out, &m) > 0, "{src}: never compared");
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

/// The points (of three) at which `a` and `b` were compared; panics where they differ.
fn same_values(a: &RecExpr<Math>, b: &RecExpr<Math>, m: &matgrad::model::Model) -> usize {
    let errs = common::differences(a, b, m);
    for err in &errs {
        assert!(*err < 1e-8, "{a}\nfactored {b}\nerror {err:e}");
    }
    errs.len()
}

/// A scalar factor: names, powers, quotients, and 1×1 products of a row and a column.
fn scalar() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("alpha".to_string()),
        Just("beta^2".to_string()),
        Just("(1/s)".to_string()),
        Just("(alpha/s^2)".to_string()),
        Just("(x'*A*y)".to_string()),
        Just("(y'*x)".to_string()),
        Just("tr(B)".to_string()),
        (2..4i32).prop_map(|k| k.to_string()),
    ]
}

/// A vector term: scalar factors, then matrix factors in order, then a vector.
fn term() -> impl Strategy<Value = String> {
    let matrix = prop_oneof![Just("A"), Just("B"), Just("A'"), Just("C"), Just("(A + B)")];
    let vector = prop_oneof![Just("x"), Just("y"), Just("(x .* y)"), Just("(x - y)")];
    (
        prop::collection::vec(scalar(), 0..3),
        prop::collection::vec(matrix, 0..3),
        vector,
        any::<bool>(),
        prop::option::of(scalar()),
    )
        .prop_map(|(ss, ms, v, neg, by)| {
            let mut parts: Vec<String> = ss;
            parts.extend(ms.iter().map(|m| m.to_string()));
            parts.push(v.to_string());
            let mut t = parts.join("*");
            if let Some(d) = by {
                t = format!("({t})/{d}");
            }
            if neg { format!("(-{t})") } else { t }
        })
}

/// A sum of terms that share factors often: each term is the common scalar factor
/// and the common left and right matrix factors around its own term, or its own alone.
fn sum() -> impl Strategy<Value = String> {
    (
        prop::collection::vec((term(), 0..4u8), 2..6),
        scalar(),
        prop_oneof![Just("A"), Just("B'"), Just("C")],
    )
        .prop_map(|(terms, common, left)| {
            terms
                .into_iter()
                .map(|(t, how)| match how {
                    0 => t,
                    1 => format!("{common}*({t})"),
                    2 => format!("{left}*({t})"),
                    _ => format!("{common}*{left}*({t})"),
                })
                .collect::<Vec<_>>()
                .join(" + ")
        })
}

/// (factored, compared) for one sum.
fn check(src: &str) -> Result<(bool, bool), TestCaseError> {
    let (expr, out, m) = factor(src);
    let Some(out) = out else {
        return Ok((false, false));
    };
    let errs = common::differences(&expr, &out, &m);
    for err in &errs {
        prop_assert!(*err < 1e-8, "{src}\nfactored {out}\nerror {err:e}");
    }
    let compared = !errs.is_empty();
    Ok((true, compared))
}

proptest! {
    // A fixed seed, as in the other property tests (PROPTEST_RNG_SEED for others): an
    // unseeded run can draw a polynomial such as ((x + y)∘³)∘³)∘³, whose 28 expanded
    // terms lose more than 1e-8 to cancellation when evaluated.
    #![proptest_config(ProptestConfig {
        failure_persistence: ProptestConfig::default().failure_persistence,
        ..common::prop_config(256, 20261130)
    })]
    #[test]
    fn factored_sums_evaluate_the_same(src in sum()) {
        check(&src)?;
    }
}

/// The property compares at all: most random sums have a factor taken out and are
/// evaluated.
#[test]
fn most_random_sums_are_factored_and_compared() {
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let (mut factored, mut compared) = (0, 0);
    for _ in 0..200 {
        let src = sum().new_tree(&mut runner).unwrap().current();
        let (f, c) = check(&src).unwrap();
        factored += usize::from(f);
        compared += usize::from(c);
    }
    println!("{factored} of 200 factored, {compared} compared");
    assert!(factored >= 100, "only {factored} of 200 factored");
    assert!(compared >= 90, "only {compared} of 200 compared");
}
