//! `det(X) X⁻¹` where `X` is singular: the adjugate.
//!
//! The gradient of `det(X)` is `det(X) X⁻ᵀ` (Matrix Cookbook eq. 49), and that
//! product exists at every `X`: it is the transposed adjugate, `adj(X)ᵀ`, even where
//! `X⁻¹` does not. The evaluator asks [`recover`] for the value of a product
//! `c·X⁻¹` or `c·X⁻ᵀ` whose inverse failed, where the scalar `c` has a factor
//! `det(X)`: it is `(c / det X)·adj(X)`, with `c / det X` read off the tree of `c`
//! (products, negations and positive integer powers of `det(X)`).

use egg::Id;

use crate::ir::Math;
use crate::ops::Value;

/// The value of `nodes[node]` when it is `c·X⁻¹`, `c·X⁻ᵀ` (either order) with a
/// factor `det(X)` in the scalar `c`; `ok` says which nodes have a value.
pub fn recover(
    nodes: &[Math],
    node: &Math,
    vals: &[Value],
    ok: &dyn Fn(Id) -> bool,
) -> Option<Value> {
    let Math::Mul([a, b]) = node else { return None };
    for (s, m) in [(*a, *b), (*b, *a)] {
        if ok(m) {
            // The inverse exists: the product is evaluated as written.
            continue;
        }
        let (x, transposed) = match &nodes[usize::from(m)] {
            Math::Inv(x) => (*x, false),
            Math::Transpose(t) => match &nodes[usize::from(*t)] {
                Math::Inv(x) => (*x, true),
                _ => continue,
            },
            _ => continue,
        };
        if !ok(x) {
            continue;
        }
        let Some(q) = without_det(nodes, vals, ok, s, x) else {
            continue;
        };
        let adj = adjugate(&vals[usize::from(x)])?;
        let adj = if transposed { adj.transpose() } else { adj };
        return Some(adj * q);
    }
    None
}

/// The value of the scalar node `id` divided by `det(X)`, when the tree of `id` has
/// that factor: `det(X)` itself, a product with it, its negation, or its power.
fn without_det(
    nodes: &[Math],
    vals: &[Value],
    ok: &dyn Fn(Id) -> bool,
    id: Id,
    x: Id,
) -> Option<f64> {
    let scalar = |c: Id| {
        ok(c)
            .then(|| &vals[usize::from(c)])
            .filter(|v| v.shape() == (1, 1))
            .map(|v| v[(0, 0)])
    };
    match &nodes[usize::from(id)] {
        Math::Det(y) if *y == x => Some(1.0),
        Math::Neg(a) => without_det(nodes, vals, ok, *a, x).map(|q| -q),
        Math::Mul([a, b]) => without_det(nodes, vals, ok, *a, x)
            .and_then(|q| Some(q * scalar(*b)?))
            .or_else(|| Some(scalar(*a)? * without_det(nodes, vals, ok, *b, x)?)),
        Math::Pow([a, k]) => {
            let Math::Num(k) = &nodes[usize::from(*k)] else {
                return None;
            };
            let k = k.to_f64();
            if k < 1.0
                || k.fract() != 0.0
                || !matches!(&nodes[usize::from(*a)], Math::Det(y) if *y == x)
            {
                return None;
            }
            Some(scalar(*a)?.powi(k as i32 - 1))
        }
        _ => None,
    }
}

/// The adjugate of a square matrix, `adj(X) = det(X) X⁻¹` extended to singular `X`:
/// with `X = UΣVᵀ`, `adj(X) = det(U) det(V) · V adj(Σ) Uᵀ`, where `adj(Σ)ᵢᵢ` is the
/// product of the other singular values.
///
/// Up to 4×4 by cofactors (`adj(X)ⱼᵢ = (−1)ⁱ⁺ʲ det(X without row i and column j)`),
/// which keeps small integer matrices exact.
pub fn adjugate(x: &Value) -> Option<Value> {
    let n = x.nrows();
    if n != x.ncols() || n == 0 {
        return None;
    }
    if n == 1 {
        return Some(Value::from_element(1, 1, 1.0));
    }
    if n <= 4 {
        let cof = |i: usize, j: usize| {
            let sign = if (i + j).is_multiple_of(2) { 1.0 } else { -1.0 };
            sign * x.clone().remove_row(i).remove_column(j).determinant()
        };
        return Some(Value::from_fn(n, n, |j, i| cof(i, j)));
    }
    let svd = x.clone().svd(true, true);
    let (u, vt) = (svd.u?, svd.v_t?);
    let s = &svd.singular_values;
    let others = |i: usize| (0..n).filter(|&j| j != i).map(|j| s[j]).product::<f64>();
    let d = Value::from_diagonal(&nalgebra::DVector::from_fn(n, |i, _| others(i)));
    let sign = u.determinant() * vt.determinant();
    let adj = vt.transpose() * d * u.transpose() * sign;
    adj.iter().all(|v| v.is_finite()).then_some(adj)
}
