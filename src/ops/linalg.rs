//! Linear algebra: `+`, `neg`, `*` (product or scaling), transpose, inverse,
//! matrix power, trace, determinant and log-determinant.

use egg::Id;

use super::registry::{
    Code, Derivative, Diff, Domain, JvpSite, Primitive, Print, ShapeRule, Spelling, VjpSite, free,
    no_facts, per_entry,
};
use super::{Build, Value, binary};
use crate::error::Result;
use crate::ir::Math;
use crate::structure::Props;

/// Scalar-or-matrix product with the language's semantics.
pub(super) fn product(a: &Value, b: &Value) -> std::result::Result<Value, String> {
    if a.shape() == (1, 1) {
        Ok(b * a[(0, 0)])
    } else if b.shape() == (1, 1) {
        Ok(a * b[(0, 0)])
    } else if a.ncols() == b.nrows() {
        Ok(a * b)
    } else {
        Err(format!(
            "a {}×{} matrix times a {}×{} one",
            a.nrows(),
            a.ncols(),
            b.nrows(),
            b.ncols()
        ))
    }
}

/// Applies `f` entrywise over two values, broadcasting a scalar.
pub(super) fn zip(
    a: &Value,
    b: &Value,
    f: impl Fn(f64, f64) -> f64,
) -> std::result::Result<Value, String> {
    if a.shape() == (1, 1) {
        let s = a[(0, 0)];
        Ok(b.map(|y| f(s, y)))
    } else if b.shape() == (1, 1) {
        let s = b[(0, 0)];
        Ok(a.map(|x| f(x, s)))
    } else if a.shape() == b.shape() {
        Ok(a.zip_map(b, f))
    } else {
        Err(format!("shapes {:?} and {:?} differ", a.shape(), b.shape()))
    }
}

fn scalar(x: f64) -> Value {
    Value::from_element(1, 1, x)
}

fn square(a: &Value, what: &str) -> std::result::Result<(), String> {
    if a.is_square() {
        Ok(())
    } else {
        Err(format!(
            "{what} of a non-square {}×{} matrix",
            a.nrows(),
            a.ncols()
        ))
    }
}

/// log|det A| and the sign of det A, by LU with partial pivoting.
pub(crate) fn log_abs_det(a: &Value) -> (f64, f64) {
    let lu = a.clone().lu();
    let u = lu.u();
    let mut sign = if lu.p().determinant::<f64>() < 0.0 {
        -1.0
    } else {
        1.0
    };
    let mut log = 0.0;
    for i in 0..u.nrows() {
        let d = u[(i, i)];
        if d == 0.0 {
            return (f64::NEG_INFINITY, 0.0);
        }
        sign *= d.signum();
        log += d.abs().ln();
    }
    (log, sign)
}

/// Condition numbers beyond this make an inverse meaningless in double precision
/// (fewer than 4 correct digits): such a matrix is treated as singular.
const MAX_CONDITION: f64 = 1e12;

/// The 1-norm condition number ‖A‖₁‖A⁻¹‖₁.
fn condition(a: &Value, inv: &Value) -> f64 {
    let norm1 = |m: &Value| {
        m.column_iter()
            .map(|c| c.iter().map(|x| x.abs()).sum::<f64>())
            .fold(0.0, f64::max)
    };
    norm1(a) * norm1(inv)
}

/// Symmetric up to rounding.
fn symmetric(a: &Value) -> bool {
    let scale = a.amax().max(f64::MIN_POSITIVE);
    a.is_square() && (a - a.transpose()).amax() <= 1e-12 * scale
}

/// Sums, products, transposes, inverses, matrix powers, traces and determinants.
pub(super) static PRIMITIVES: &[Primitive] = &[
    Primitive {
        op: "+",
        names: &[],
        arity: 2,
        shape: ShapeRule::Broadcast,
        eval: |a| zip(a[0], a[1], |x, y| x + y),
        diff: Diff::Rule {
            vjp: |b, s| {
                binary(
                    b,
                    s.kids[0],
                    s.kids[1],
                    s.active,
                    |_| Ok(s.adj),
                    |_| Ok(s.adj),
                )
            },
            jvp: |b, s| {
                let tx = s.dot(0).map(|d| b.broadcast_to(d, s.out)).transpose()?;
                let ty = s.dot(1).map(|d| b.broadcast_to(d, s.out)).transpose()?;
                b.add_opt(tx, ty)
            },
        },
        derivative: Derivative {
            identity: "d(A + B) = dA + dB",
            source: "linearity",
        },
        flops: per_entry,
        facts: |k| Props {
            positive: k.p(0).positive && k.p(1).positive,
            symmetric: (k.p(0).symmetric || k.scalar(0)) && (k.p(1).symmetric || k.scalar(1)),
            spd: k.p(0).spd && k.p(1).spd,
            diagonal: k.p(0).diagonal && k.p(1).diagonal,
            identity: false,
        },
        domain: &[Domain::General, Domain::General],
        print: Print::PRINTER,
        code: Code {
            numpy: "{0} + {1}",
            torch: "{0} + {1}",
            jax: "{0} + {1}",
            rust: "{0} + {1}",
        },
    },
    Primitive {
        op: "neg",
        names: &[],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| Ok(-a[0]),
        diff: Diff::Rule {
            vjp: |b, s| b.neg(s.adj).map(|n| vec![(s.kids[0], n)]),
            jvp: |b, s| s.dot(0).map(|d| b.neg(d)).transpose(),
        },
        derivative: Derivative {
            identity: "d(−A) = −dA",
            source: "linearity",
        },
        flops: per_entry,
        facts: |k| Props {
            symmetric: k.p(0).symmetric,
            diagonal: k.p(0).diagonal,
            ..Props::default()
        },
        domain: &[Domain::General],
        print: Print::PRINTER,
        code: Code {
            numpy: "-{0}",
            torch: "-{0}",
            jax: "-{0}",
            rust: "-{0}",
        },
    },
    Primitive {
        op: "*",
        names: &[],
        arity: 2,
        shape: ShapeRule::Product,
        eval: |a| product(a[0], a[1]),
        diff: Diff::Rule {
            vjp: mul_vjp,
            jvp: |b, s| {
                // d(XY) = Ẋ Y + X Ẏ (also for scaling by a scalar).
                let (x, y) = (s.kids[0], s.kids[1]);
                let tx = s.dot(0).map(|d| b.mul(d, y)).transpose()?;
                let ty = s.dot(1).map(|d| b.mul(x, d)).transpose()?;
                b.add_opt(tx, ty)
            },
        },
        derivative: Derivative {
            identity: "d(AB) = dA B + A dB, so Ā = ḠBᵀ and B̄ = AᵀḠ",
            source: "Matrix Cookbook eq. 37",
        },
        flops: |out, a| {
            let ((ar, ac), (br, bc)) = (a[0], a[1]);
            if ar * ac == 1.0 || br * bc == 1.0 {
                out.0 * out.1
            } else {
                ar * bc * (2.0 * ac - 1.0)
            }
        },
        facts: |k| {
            let (a, b) = (k.p(0), k.p(1));
            let pos_scalar = |i: usize| k.scalar(i) && k.p(i).positive;
            let diag_or_scalar = |i: usize| k.p(i).diagonal || k.scalar(i);
            Props {
                positive: a.positive && b.positive,
                symmetric: (k.scalar(0) && b.symmetric) || (a.symmetric && k.scalar(1)),
                spd: (pos_scalar(0) && b.spd) || (a.spd && pos_scalar(1)),
                diagonal: diag_or_scalar(0) && diag_or_scalar(1),
                identity: a.identity && b.identity,
            }
        },
        domain: &[Domain::General, Domain::General],
        print: Print::PRINTER,
        code: Code {
            numpy: "{0} @ {1}",
            torch: "{0} @ {1}",
            jax: "{0} @ {1}",
            rust: "&{0} * &{1}",
        },
    },
    Primitive {
        op: "T",
        names: &[],
        arity: 1,
        shape: ShapeRule::Transpose,
        eval: |a| Ok(a[0].transpose()),
        diff: Diff::Rule {
            vjp: |b, s| b.t(s.adj).map(|t| vec![(s.kids[0], t)]),
            jvp: |b, s| s.dot(0).map(|d| b.t(d)).transpose(),
        },
        derivative: Derivative {
            identity: "d(Aᵀ) = (dA)ᵀ",
            source: "Matrix Cookbook eq. 35",
        },
        flops: free,
        facts: |k| Props {
            symmetric: k.p(0).symmetric,
            spd: k.p(0).spd,
            diagonal: k.p(0).diagonal,
            identity: k.p(0).identity,
            positive: false,
        },
        domain: &[Domain::General],
        print: Print::PRINTER,
        code: Code {
            numpy: "{0}.T",
            torch: "{0}.T",
            jax: "{0}.T",
            rust: "{0}.transpose()",
        },
    },
    Primitive {
        op: "inv",
        names: &["inv"],
        arity: 1,
        shape: ShapeRule::Square,
        eval: |a| {
            square(a[0], "inverse").and_then(|_| {
                // By LU for every size: nalgebra's closed forms for small sizes divide by
                // the determinant, which overflows long before the inverse does.
                a[0].clone()
                    .lu()
                    .try_inverse()
                    .filter(|inv| condition(a[0], inv) < MAX_CONDITION)
                    .ok_or_else(|| "the inverse of a singular matrix".to_string())
            })
        },
        diff: Diff::Rule {
            vjp: |b, s| {
                // d(X⁻¹) = −X⁻¹ dX X⁻¹, so the adjoint is −X⁻ᵀ G X⁻ᵀ.
                let it = b.t(s.out)?;
                let p = b.mul(it, s.adj)?;
                let p = b.mul(p, it)?;
                Ok(vec![(s.kids[0], b.neg(p)?)])
            },
            jvp: |b, s| {
                s.dot(0)
                    .map(|d| {
                        // d(X⁻¹) = −X⁻¹ Ẋ X⁻¹
                        let p = b.mul(s.out, d)?;
                        let p = b.mul(p, s.out)?;
                        b.neg(p)
                    })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "d(X⁻¹) = −X⁻¹ dX X⁻¹",
            source: "Matrix Cookbook eq. 59",
        },
        flops: |out, _| out.0 * out.0 * out.0,
        facts: |k| Props {
            positive: k.p(0).positive && k.scalar(0),
            symmetric: k.p(0).symmetric,
            spd: k.p(0).spd,
            diagonal: k.p(0).diagonal,
            identity: k.p(0).identity,
        },
        domain: &[Domain::WellConditioned],
        print: Print {
            unicode: Spelling::Postfix("⁻¹"),
            ascii: Spelling::Call("inv"),
            latex: Spelling::Postfix("^{-1}"),
        },
        code: Code {
            numpy: "np.linalg.inv({0})",
            torch: "torch.linalg.inv({0})",
            jax: "jnp.linalg.inv({0})",
            rust: "{0}.clone().try_inverse().unwrap()",
        },
    },
    Primitive {
        op: "mpow",
        names: &[],
        arity: 2,
        shape: ShapeRule::SquarePower,
        eval: |a| square(a[0], "matrix power").and_then(|_| matrix_power(a[0], a[1])),
        diff: Diff::Rule {
            vjp: matpow_vjp,
            jvp: matpow_jvp,
        },
        derivative: Derivative {
            identity: "d(Xᵏ) = Σᵢ Xⁱ dX Xᵏ⁻¹⁻ⁱ, so X̄ = Σᵢ (Xⁱ)ᵀ Ḡ (Xᵏ⁻¹⁻ⁱ)ᵀ; X⁻ᵏ = (X⁻¹)ᵏ",
            source: "Matrix Cookbook eqs. 89–92",
        },
        // The exponent is a literal the cost model does not see: one product counted.
        flops: |out, _| out.0 * out.0 * (2.0 * out.0 - 1.0),
        facts: |k| {
            let x = k.p(0);
            Props {
                positive: x.positive && k.scalar(0),
                symmetric: x.symmetric,
                spd: x.spd,
                diagonal: x.diagonal,
                identity: x.identity,
            }
        },
        domain: &[Domain::WellConditioned, Domain::Integer],
        print: Print::PRINTER,
        code: Code {
            numpy: "np.linalg.matrix_power({0}, int({1}))",
            torch: "torch.linalg.matrix_power({0}, int({1}))",
            jax: "jnp.linalg.matrix_power({0}, int({1}))",
            rust: "(if {1} < 0.0 { {0}.clone().try_inverse().unwrap() } else { {0}.clone() }).pow({1}.abs() as u32)",
        },
    },
    Primitive {
        op: "tr",
        names: &["tr"],
        arity: 1,
        shape: ShapeRule::SquareToScalar,
        eval: |a| square(a[0], "trace").map(|_| scalar(a[0].trace())),
        diff: Diff::Rule {
            vjp: |b, s| {
                let x = s.kids[0];
                // The trace of a scalar is the scalar: no 1×1 identity in a scalar result.
                if b.scalar(x) {
                    return Ok(vec![(x, s.adj)]);
                }
                let n = b.g.shape(x).rows;
                let eye = b.g.eye(n)?;
                Ok(vec![(x, b.mul(s.adj, eye)?)])
            },
            jvp: |b, s| {
                let scalar = b.scalar(s.kids[0]);
                s.dot(0)
                    .map(|d| if scalar { Ok(d) } else { b.n(Math::Trace(d)) })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "∂ tr(X) = I",
            source: "Matrix Cookbook eq. 100",
        },
        flops: |_, a| a[0].0,
        facts: |k| Props {
            positive: k.p(0).spd,
            ..Props::default()
        },
        domain: &[Domain::General],
        print: Print::call("tr", "\\operatorname{tr}"),
        code: Code {
            numpy: "np.trace({0})",
            torch: "torch.trace({0})",
            jax: "jnp.trace({0})",
            rust: "{0}.trace()",
        },
    },
    Primitive {
        op: "det",
        names: &["det"],
        arity: 1,
        shape: ShapeRule::SquareToScalar,
        eval: |a| square(a[0], "determinant").map(|_| scalar(a[0].clone().determinant())),
        diff: Diff::Rule {
            vjp: |b, s| {
                let x = s.kids[0];
                let inv = b.n(Math::Inv(x))?;
                let it = b.t(inv)?;
                let g = b.mul(s.adj, s.out)?;
                Ok(vec![(x, b.mul(g, it)?)])
            },
            jvp: |b, s| {
                s.dot(0)
                    .map(|d| {
                        // d det X = det(X) tr(X⁻¹ Ẋ) (Matrix Cookbook eq. 46).
                        let inv = b.n(Math::Inv(s.kids[0]))?;
                        let p = b.mul(inv, d)?;
                        let tr = b.n(Math::Trace(p))?;
                        b.mul(s.out, tr)
                    })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "∂ det X = det(X) X⁻ᵀ",
            source: "Matrix Cookbook eq. 49",
        },
        flops: |_, a| 2.0 / 3.0 * a[0].0.powi(3),
        facts: |k| Props {
            positive: k.p(0).spd,
            ..Props::default()
        },
        domain: &[Domain::WellConditioned],
        print: Print::call("det", "\\det"),
        code: Code {
            numpy: "np.linalg.det({0})",
            torch: "torch.linalg.det({0})",
            jax: "jnp.linalg.det({0})",
            rust: "{0}.clone().determinant()",
        },
    },
    Primitive {
        op: "logdet",
        names: &["logdet"],
        arity: 1,
        shape: ShapeRule::SquareToScalar,
        eval: |a| {
            square(a[0], "log-determinant").and_then(|_| {
                // A symmetric positive definite matrix (covariances, kernels): by Cholesky,
                // log det A = 2 Σ log Lᵢᵢ, exact where LU's product of pivots over- or underflows.
                if let Some(l) = symmetric(a[0]).then(|| a[0].clone().cholesky()).flatten() {
                    return Ok(scalar(2.0 * l.l_dirty().diagonal().map(f64::ln).sum()));
                }
                let (log, sign) = log_abs_det(a[0]);
                if sign > 0.0 {
                    Ok(scalar(log))
                } else if sign == 0.0 {
                    Err("the log-determinant of a singular matrix".to_string())
                } else {
                    Err("the log-determinant of a matrix with a negative determinant".to_string())
                }
            })
        },
        diff: Diff::Rule {
            vjp: |b, s| {
                let x = s.kids[0];
                let inv = b.n(Math::Inv(x))?;
                let it = b.t(inv)?;
                Ok(vec![(x, b.mul(s.adj, it)?)])
            },
            jvp: |b, s| {
                s.dot(0)
                    .map(|d| {
                        // d log det X = tr(X⁻¹ Ẋ)
                        let inv = b.n(Math::Inv(s.kids[0]))?;
                        let p = b.mul(inv, d)?;
                        b.n(Math::Trace(p))
                    })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "∂ log det X = X⁻ᵀ",
            source: "Matrix Cookbook eq. 57",
        },
        flops: |_, a| 2.0 / 3.0 * a[0].0.powi(3),
        facts: no_facts,
        domain: &[Domain::WellConditioned],
        print: Print {
            unicode: Spelling::Call("logdet"),
            ascii: Spelling::Call("logdet"),
            latex: Spelling::Call("\\operatorname{log det}"),
        },
        code: Code {
            numpy: "np.linalg.slogdet({0})[1]",
            torch: "torch.logdet({0})",
            jax: "jnp.linalg.slogdet({0})[1]",
            rust: "{0}.clone().determinant().ln()",
        },
    },
];

/// The largest exponent a matrix power is evaluated with.
const MAX_EXPONENT: f64 = 1024.0;

/// Aᵏ for an integer k, by repeated squaring (A⁻ᵏ is (A⁻¹)ᵏ).
fn matrix_power(a: &Value, k: &Value) -> std::result::Result<Value, String> {
    let k = k[(0, 0)];
    if k.fract() != 0.0 || k.abs() > MAX_EXPONENT {
        return Err(format!(
            "a matrix to the power {k}, not an integer of at most {MAX_EXPONENT}"
        ));
    }
    let mut base = if k < 0.0 {
        let inv = a.clone().lu().try_inverse();
        inv.filter(|inv| condition(a, inv) < MAX_CONDITION)
            .ok_or_else(|| "a negative power of a singular matrix".to_string())?
    } else {
        a.clone()
    };
    let mut e = k.abs() as u32;
    let mut acc = Value::identity(a.nrows(), a.ncols());
    while e > 0 {
        if e & 1 == 1 {
            acc = &acc * &base;
        }
        e >>= 1;
        if e > 0 {
            base = &base * &base;
        }
    }
    if acc.iter().all(|x| x.is_finite()) {
        Ok(acc)
    } else {
        Err("a matrix power is not finite".to_string())
    }
}

/// The exponent of a matrix power: an integer literal (the front end writes one).
fn exponent(b: &Build, k: Id) -> Result<i64> {
    match b.g.node(k) {
        Math::Num(r) if r.is_integer() => i64::try_from(r.numer()).ok(),
        _ => None,
    }
    .filter(|k| k.unsigned_abs() <= MAX_EXPONENT as u64)
    .ok_or_else(|| {
        crate::error::Error::new(
            crate::error::ErrorKind::Internal,
            "the derivative of a matrix power needs an integer exponent",
        )
    })
}

/// Xᵏ as a node for k ≥ 0: nothing for k = 0 (the identity), X for k = 1.
fn power_node(b: &mut Build, x: Id, k: i64) -> Result<Option<Id>> {
    Ok(match k {
        0 => None,
        1 => Some(x),
        _ => {
            let n = b.int(k)?;
            Some(b.n(Math::MatPow([x, n]))?)
        }
    })
}

/// Σᵢ L(i) D R(k − 1 − i) for i = 0 … k − 1, where L(i) and R(j) are Xⁱ and Xʲ,
/// each transposed when `transposed` (the reverse-mode sum Σᵢ (Xⁱ)ᵀ G (Xᵏ⁻¹⁻ⁱ)ᵀ).
fn power_sum(b: &mut Build, x: Id, k: i64, d: Id, transposed: bool) -> Result<Option<Id>> {
    let mut sum = None;
    for i in 0..k {
        let mut term = d;
        if let Some(l) = power_node(b, x, i)? {
            let l = if transposed { b.t(l)? } else { l };
            term = b.mul(l, term)?;
        }
        if let Some(r) = power_node(b, x, k - 1 - i)? {
            let r = if transposed { b.t(r)? } else { r };
            term = b.mul(term, r)?;
        }
        sum = b.add_opt(sum, Some(term))?;
    }
    Ok(sum)
}

/// d(Xᵏ) = Σᵢ Xⁱ dX Xᵏ⁻¹⁻ⁱ, so the adjoint is Σᵢ (Xⁱ)ᵀ G (Xᵏ⁻¹⁻ⁱ)ᵀ (Matrix
/// Cookbook eq. 91 for the trace). For k = −m, Xᵏ = Wᵐ with W = X⁻¹ and
/// dW = −W dX W, so X̄ = −Wᵀ W̄ Wᵀ.
fn matpow_vjp(b: &mut Build, s: &VjpSite) -> Result<Vec<(Id, Id)>> {
    let (x, k) = (s.kids[0], exponent(b, s.kids[1])?);
    if !(s.active)(x) || k == 0 {
        return Ok(Vec::new());
    }
    if k > 0 {
        let sum = power_sum(b, x, k, s.adj, true)?;
        return Ok(sum.map(|g| vec![(x, g)]).unwrap_or_default());
    }
    let w = b.n(Math::Inv(x))?;
    let Some(wbar) = power_sum(b, w, -k, s.adj, true)? else {
        return Ok(Vec::new());
    };
    let wt = b.t(w)?;
    let p = b.mul(wt, wbar)?;
    let p = b.mul(p, wt)?;
    Ok(vec![(x, b.neg(p)?)])
}

/// Ẏ = Σᵢ Xⁱ Ẋ Xᵏ⁻¹⁻ⁱ for k ≥ 1; for k = −m, Σᵢ Wⁱ Ẇ Wᵐ⁻¹⁻ⁱ with W = X⁻¹ and
/// Ẇ = −W Ẋ W. The exponent is an integer literal: it has no tangent.
fn matpow_jvp(b: &mut Build, s: &JvpSite) -> Result<Option<Id>> {
    let (x, k) = (s.kids[0], exponent(b, s.kids[1])?);
    let Some(d) = s.dot(0) else {
        return Ok(None);
    };
    if k >= 0 {
        return power_sum(b, x, k, d, false);
    }
    let w = b.n(Math::Inv(x))?;
    let p = b.mul(w, d)?;
    let p = b.mul(p, w)?;
    let wdot = b.neg(p)?;
    power_sum(b, w, -k, wdot, false)
}

fn mul_vjp(b: &mut Build, s: &VjpSite) -> Result<Vec<(Id, Id)>> {
    let ([x, y], adj, active) = ([s.kids[0], s.kids[1]], s.adj, s.active);
    let (sx, sy) = (b.scalar(x), b.scalar(y));
    let mut v = Vec::new();
    if active(x) {
        let gx = match (sx, sy) {
            (true, true) => b.mul(adj, y)?,
            (true, false) => b.inner(adj, y)?,
            (false, true) => b.mul(y, adj)?,
            (false, false) => {
                let yt = b.t(y)?;
                b.mul(adj, yt)?
            }
        };
        v.push((x, gx));
    }
    if active(y) {
        let gy = match (sx, sy) {
            (true, _) => b.mul(x, adj)?,
            (false, true) => b.inner(adj, x)?,
            (false, false) => {
                let xt = b.t(x)?;
                b.mul(xt, adj)?
            }
        };
        v.push((y, gy));
    }
    Ok(v)
}
