//! Linear algebra: `+`, `neg`, `*` (product or scaling), transpose, inverse,
//! trace, determinant and log-determinant.

use egg::Id;

use super::{Build, DimAlgebra, Mismatch, Sh, Value, binary, broadcast, is_scalar, require_square};
use crate::error::Result;
use crate::ir::{Graph, Math};

type Rule<D> = std::result::Result<Sh<D>, Mismatch>;

pub(super) fn shape<A: DimAlgebra>(alg: &mut A, node: &Math, a: &[Sh<A::D>]) -> Option<Rule<A::D>> {
    let one = |alg: &mut A| Sh {
        rows: alg.one(),
        cols: alg.one(),
    };
    Some(match node {
        Math::Add(_) => broadcast(alg, &a[0], &a[1]),
        Math::Neg(_) => Ok(a[0].clone()),
        Math::Mul(_) => {
            if is_scalar(alg, &a[0]) {
                Ok(a[1].clone())
            } else if is_scalar(alg, &a[1]) {
                Ok(a[0].clone())
            } else if alg.unify(&a[0].cols, &a[1].rows) {
                Ok(Sh {
                    rows: a[0].rows.clone(),
                    cols: a[1].cols.clone(),
                })
            } else {
                Err(Mismatch::Inner)
            }
        }
        Math::Transpose(_) => Ok(a[0].t()),
        Math::Inv(_) => require_square(alg, &a[0], 0).map(|_| a[0].clone()),
        Math::MatPow(_) => require_square(alg, &a[0], 0)
            .and_then(|_| super::require_scalar(alg, &a[1], 1))
            .map(|_| a[0].clone()),
        Math::Trace(_) | Math::Det(_) | Math::LogDet(_) => {
            require_square(alg, &a[0], 0).map(|_| one(alg))
        }
        _ => return None,
    })
}

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

pub(super) fn eval(node: &Math, a: &[&Value]) -> Option<std::result::Result<Value, String>> {
    Some(match node {
        Math::Add(_) => zip(a[0], a[1], |x, y| x + y),
        Math::Neg(_) => Ok(-a[0]),
        Math::Mul(_) => product(a[0], a[1]),
        Math::Transpose(_) => Ok(a[0].transpose()),
        Math::Inv(_) => square(a[0], "inverse").and_then(|_| {
            // By LU for every size: nalgebra's closed forms for small sizes divide by
            // the determinant, which overflows long before the inverse does.
            a[0].clone()
                .lu()
                .try_inverse()
                .filter(|inv| condition(a[0], inv) < MAX_CONDITION)
                .ok_or_else(|| "the inverse of a singular matrix".to_string())
        }),
        Math::MatPow(_) => square(a[0], "matrix power").and_then(|_| matrix_power(a[0], a[1])),
        Math::Trace(_) => square(a[0], "trace").map(|_| scalar(a[0].trace())),
        Math::Det(_) => square(a[0], "determinant").map(|_| scalar(a[0].clone().determinant())),
        Math::LogDet(_) => square(a[0], "log-determinant").and_then(|_| {
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
        }),
        _ => return None,
    })
}

pub(super) fn vjp(
    g: &mut Graph,
    node: &Math,
    out: Id,
    adj: Id,
    active: &dyn Fn(Id) -> bool,
) -> Option<Result<Vec<(Id, Id)>>> {
    let mut b = Build { g };
    let r = match *node {
        Math::Add([x, y]) => binary(&mut b, x, y, active, |_| Ok(adj), |_| Ok(adj)),
        Math::Neg(x) => b.neg(adj).map(|n| vec![(x, n)]),
        Math::Mul([x, y]) => mul_vjp(&mut b, x, y, adj, active),
        Math::Transpose(x) => b.t(adj).map(|t| vec![(x, t)]),
        Math::Inv(x) => (|| {
            // d(X⁻¹) = −X⁻¹ dX X⁻¹, so the adjoint is −X⁻ᵀ G X⁻ᵀ (Matrix Cookbook eq. 59).
            let it = b.t(out)?;
            let p = b.mul(it, adj)?;
            let p = b.mul(p, it)?;
            Ok(vec![(x, b.neg(p)?)])
        })(),
        Math::MatPow([x, k]) => matpow_vjp(&mut b, x, k, adj, active),
        // The trace of a scalar is the scalar: no 1×1 identity in a scalar result.
        Math::Trace(x) if b.scalar(x) => Ok(vec![(x, adj)]),
        Math::Trace(x) => (|| {
            let n = b.g.shape(x).rows;
            let eye = b.g.eye(n)?;
            Ok(vec![(x, b.mul(adj, eye)?)])
        })(),
        Math::Det(x) => (|| {
            // ∂ det X = det(X) X⁻ᵀ (Matrix Cookbook eq. 49).
            let inv = b.n(Math::Inv(x))?;
            let it = b.t(inv)?;
            let s = b.mul(adj, out)?;
            Ok(vec![(x, b.mul(s, it)?)])
        })(),
        Math::LogDet(x) => (|| {
            // ∂ log det X = X⁻ᵀ (Matrix Cookbook eq. 57).
            let inv = b.n(Math::Inv(x))?;
            let it = b.t(inv)?;
            Ok(vec![(x, b.mul(adj, it)?)])
        })(),
        _ => return None,
    };
    Some(r)
}

/// Aᵏ for an integer k ≥ 0, by repeated squaring.
fn matrix_power(a: &Value, k: &Value) -> std::result::Result<Value, String> {
    let k = k[(0, 0)];
    if k.fract() != 0.0 || !(0.0..=f64::from(u16::MAX)).contains(&k) {
        return Err(format!("a matrix to the power {k}, not a natural number"));
    }
    let (mut e, mut base) = (k as u32, a.clone());
    let mut acc = Value::identity(a.nrows(), a.ncols());
    while e > 0 {
        if e & 1 == 1 {
            acc = &acc * &base;
        }
        base = &base * &base;
        e >>= 1;
    }
    if acc.iter().all(|x| x.is_finite()) {
        Ok(acc)
    } else {
        Err("a matrix power is not finite".to_string())
    }
}

/// Xᵏ as a node: nothing for k = 0 (the identity), X for k = 1.
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

/// d(Xᵏ) = Σᵢ Xⁱ dX Xᵏ⁻¹⁻ⁱ, so the adjoint is Σᵢ (Xⁱ)ᵀ G (Xᵏ⁻¹⁻ⁱ)ᵀ
/// (Matrix Cookbook eq. 91 for the trace); k is a natural number (the parser's
/// `A^k` makes it one).
fn matpow_vjp(
    b: &mut Build,
    x: Id,
    k: Id,
    adj: Id,
    active: &dyn Fn(Id) -> bool,
) -> Result<Vec<(Id, Id)>> {
    let kv = match b.g.node(k) {
        Math::Num(r) if r.is_integer() && r.numer() >= 0 => i64::try_from(r.numer()).ok(),
        _ => None,
    };
    let Some(kv) = kv else {
        return Err(crate::error::Error::new(
            crate::error::ErrorKind::Internal,
            "the derivative of a matrix power needs a natural exponent",
        ));
    };
    if !active(x) || kv == 0 {
        return Ok(Vec::new());
    }
    let mut sum: Option<Id> = None;
    for i in 0..kv {
        let mut term = adj;
        if let Some(l) = power_node(b, x, i)? {
            let lt = b.t(l)?;
            term = b.mul(lt, term)?;
        }
        if let Some(r) = power_node(b, x, kv - 1 - i)? {
            let rt = b.t(r)?;
            term = b.mul(term, rt)?;
        }
        sum = Some(match sum {
            None => term,
            Some(s) => b.n(Math::Add([s, term]))?,
        });
    }
    Ok(sum.map(|s| vec![(x, s)]).unwrap_or_default())
}

fn mul_vjp(
    b: &mut Build,
    x: Id,
    y: Id,
    adj: Id,
    active: &dyn Fn(Id) -> bool,
) -> Result<Vec<(Id, Id)>> {
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
