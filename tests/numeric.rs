//! Numerical care at a point: stable compositions, SPD log-determinants, and one rule
//! for values that do not exist (a clear error naming the subexpression).

use std::collections::HashMap;

/// The objective's value and the gradients at a point given as JSON.
fn at(src: &str, wrt: &[&str], point: &str) -> matgrad::Result<(f64, Vec<Vec<f64>>)> {
    let values = matgrad::numeric::point::parse_json(point)?;
    let (model, p) = matgrad::parse_problem_at(src, &values)?;
    let value = model.value_at(&p)?;
    let g = matgrad::gradient_with(model, wrt, &matgrad::Options::default())?;
    let grads = g
        .evaluate(&p)?
        .into_iter()
        .map(|v| v.as_slice().to_vec())
        .collect();
    Ok((value, grads))
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1.0)
}

/// (problem, variable, point, value, gradient) where a naive evaluation overflows.
const STABLE: &[(&str, &str, &str, f64, &[f64])] = &[
    (
        "-y'*log(softmax(z))",
        "z",
        r#"{"z": [1000, 999, -1000], "y": [1, 0, 0]}"#,
        0.313_261_687_518_222_7,
        &[-0.268_941_421_369_995_1, 0.268_941_421_369_995_1, 0.0],
    ),
    (
        "-y'*log(softmax(z))",
        "z",
        r#"{"z": [-1000, 0, 1000], "y": [1, 0, 0]}"#,
        2000.0,
        &[-1.0, 0.0, 1.0],
    ),
    (
        "logsumexp(z)",
        "z",
        r#"{"z": [1000, 1000]}"#,
        1_000.693_147_180_559_9,
        &[0.5, 0.5],
    ),
    (
        "sum(softmax(z))",
        "z",
        r#"{"z": [-1000, 1000]}"#,
        1.0,
        &[0.0, 0.0],
    ),
    (
        "sum(log(sigmoid(z)))",
        "z",
        r#"{"z": [-1000, 0]}"#,
        -1000.0 - std::f64::consts::LN_2,
        &[1.0, 0.5],
    ),
    (
        "S : spd 2 x 2; logdet(S)",
        "S",
        r#"{"S": [[1e200, 0], [0, 1e200]]}"#,
        921.034_037_197_618_3,
        &[1e-200, 0.0, 0.0, 1e-200],
    ),
    (
        "S : spd 2 x 2; logdet(S)",
        "S",
        r#"{"S": [[1e-200, 0], [0, 1e-200]]}"#,
        -921.034_037_197_618_3,
        &[1e200, 0.0, 0.0, 1e200],
    ),
];

#[test]
fn compositions_that_overflow_naively_are_evaluated_stably() {
    for (src, var, point, value, grad) in STABLE {
        let (v, g) = at(src, &[var], point).unwrap_or_else(|e| panic!("{src} at {point}: {e}"));
        assert!(
            close(v, *value),
            "{src} at {point}: value {v}, want {value}"
        );
        assert_eq!(g[0].len(), grad.len(), "{src}");
        for (x, y) in g[0].iter().zip(grad.iter()) {
            assert!(
                close(*x, *y),
                "{src} at {point}: gradient {:?}, want {grad:?}",
                g[0]
            );
        }
    }
}

/// (problem, variable, point, what the message must say, the text under its caret):
/// no value exists there. The caret is under what the user wrote: the operation
/// without a value, or the one whose derivative has none.
const NO_VALUE: &[(&str, &str, &str, &str, Option<&str>)] = &[
    (
        "x : 1; sum(exp(1000*x))",
        "x",
        r#"{"x": [1]}"#,
        "cannot evaluate `exp(1000*x)` at this point: the result is not a finite number",
        Some("exp(1000*x)"),
    ),
    (
        "x'*x/alpha",
        "x",
        r#"{"x": [1, 2], "alpha": 0}"#,
        "cannot evaluate `x'*x/alpha` at this point: a division is not finite",
        Some("x'*x/alpha"),
    ),
    (
        "norm(x)",
        "x",
        r#"{"x": [0, 0]}"#,
        "the derivative of `norm(x)` has no value at this point: a division is not finite",
        Some("norm(x)"),
    ),
    (
        "x : 2; a : scalar; sqrt(a - 1) + x'*x",
        "a",
        r#"{"x": [1, 2], "a": 1}"#,
        "the derivative of `sqrt(a - 1)` has no value at this point",
        Some("sqrt(a - 1)"),
    ),
    (
        "x : 2; a : scalar; y = a - 1; b = x'*x; a*b/y",
        "x",
        r#"{"x": [1, 2], "a": 1}"#,
        "cannot evaluate `a*b/y` at this point: a division is not finite",
        Some("a*b/y"),
    ),
    (
        "A : 2 x 2; b : 2; b'*inv(A)*b",
        "b",
        r#"{"A": [[1, 2], [2, 4]], "b": [1, 1]}"#,
        "cannot evaluate `inv(A)` at this point: the inverse of a singular matrix",
        Some("inv(A)"),
    ),
    (
        "A : 2 x 2; b : 2; b'*inv(A)*b",
        "b",
        r#"{"A": [[1, 1], [1, 1.0000000000001]], "b": [1, 1]}"#,
        "the inverse of a singular matrix",
        Some("inv(A)"),
    ),
    (
        "sum(log(x))",
        "x",
        r#"{"x": [1, 0]}"#,
        "cannot evaluate `log(x)` at this point: the log of a number ≤ 0",
        Some("log(x)"),
    ),
    (
        "x'*x",
        "x",
        r#"{"x": [NaN, 1]}"#,
        "the point's value for `x` holds `NaN`: every entry must be a finite number",
        None,
    ),
    (
        "x'*x",
        "x",
        r#"{"x": [1, -Infinity]}"#,
        "the point's value for `x` holds `-Infinity`",
        None,
    ),
    (
        "A : 2 x 2; tr(A)",
        "A",
        r#"{"A": [[1, 1e999], [0, 1]]}"#,
        "the point's value for `A` holds `1e999`",
        None,
    ),
];

#[test]
fn values_that_do_not_exist_are_input_errors_that_name_the_expression() {
    for (src, var, point, want, caret) in NO_VALUE {
        let e = at(src, &[var], point).expect_err(src);
        assert_eq!(e.exit_code(), 2, "{src} at {point}: {e}");
        assert!(
            e.message.contains(want),
            "{src} at {point}: `{}` does not say `{want}`",
            e.message
        );
        if let Some(caret) = caret {
            let span = e
                .span
                .clone()
                .unwrap_or_else(|| panic!("{src}: no place in `{e}`"));
            assert_eq!(&src[span], *caret, "{src} at {point}: the caret");
        }
    }
}

/// (problem, variable, point, gradient in column-major order): `det(X) X⁻ᵀ` at a
/// singular `X` is the transposed adjugate (the cofactor matrix), which exists.
const SINGULAR: &[(&str, &str, &str, &[f64])] = &[
    (
        "A : 2 x 2; det(A)",
        "A",
        r#"{"A": [[1, 2], [2, 4]]}"#,
        &[4.0, -2.0, -2.0, 1.0],
    ),
    (
        "A : 2 x 2; det(A)^2 + det(A)",
        "A",
        r#"{"A": [[1, 2], [2, 4]]}"#,
        &[4.0, -2.0, -2.0, 1.0],
    ),
    (
        "A : 3 x 3; 3*det(A)^2 - det(A)",
        "A",
        r#"{"A": [[1, 2, 3], [2, 4, 6], [1, 1, 1]]}"#,
        &[2.0, -1.0, 0.0, -4.0, 2.0, 0.0, 2.0, -1.0, 0.0],
    ),
    (
        "A : 3 x 3; det(A)",
        "A",
        r#"{"A": [[1, 2, 3], [2, 4, 6], [3, 6, 9]]}"#,
        &[0.0; 9],
    ),
    (
        "A : 5 x 5; det(A)",
        "A",
        r#"{"A": [[1, 0, 0, 0, 0], [0, 2, 0, 0, 0], [0, 0, 3, 0, 0], [0, 0, 0, 4, 0], [0, 0, 0, 0, 0]]}"#,
        &[
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0,
            0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 24.0,
        ],
    ),
];

#[test]
fn the_gradient_of_a_determinant_exists_at_singular_matrices() {
    for (src, var, point, grad) in SINGULAR {
        let (v, g) = at(src, &[var], point).unwrap_or_else(|e| panic!("{src} at {point}: {e}"));
        assert!(close(v, 0.0), "{src}: value {v}");
        assert_eq!(g[0].len(), grad.len(), "{src}");
        for (x, y) in g[0].iter().zip(grad.iter()) {
            assert!(
                (x - y).abs() <= 1e-9,
                "{src} at {point}: gradient {:?}, want {grad:?}",
                g[0]
            );
        }
    }
}

#[test]
fn strings_in_points_keep_their_meaning() {
    // A quoted "NaN" key and escaped quotes are not touched by the reading of bare NaN.
    let v = matgrad::numeric::point::parse_json(r#"{"NaN": 1, "x\"y": [2, 3]}"#).unwrap();
    let keys: HashMap<String, usize> = v.into_iter().map(|(k, m)| (k, m.len())).collect();
    assert_eq!(keys, HashMap::from([("NaN".into(), 1), ("x\"y".into(), 2)]));
}
