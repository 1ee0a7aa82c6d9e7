//! Reductions and vector maps: sum, norm2, norm, softmax, logsumexp, diag (both
//! ways) and ones(A).

use egg::Id;

use super::{Build, DimAlgebra, Mismatch, Sh, Value, require_square, require_vector};
use crate::error::Result;
use crate::ir::{Graph, Math};

type Rule<D> = std::result::Result<Sh<D>, Mismatch>;

pub(super) fn shape<A: DimAlgebra>(alg: &mut A, node: &Math, a: &[Sh<A::D>]) -> Option<Rule<A::D>> {
    let one = |alg: &mut A| Sh {
        rows: alg.one(),
        cols: alg.one(),
    };
    Some(match node {
        Math::Sum(_) | Math::Norm2(_) | Math::Norm(_) => Ok(one(alg)),
        Math::Ones(_) => Ok(a[0].clone()),
        Math::Softmax(_) => require_vector(alg, &a[0], 0).map(|_| a[0].clone()),
        Math::LogSumExp(_) => require_vector(alg, &a[0], 0).map(|_| one(alg)),
        Math::DiagM(_) => require_vector(alg, &a[0], 0).map(|_| Sh {
            rows: a[0].rows.clone(),
            cols: a[0].rows.clone(),
        }),
        Math::DiagV(_) => require_square(alg, &a[0], 0).map(|_| Sh {
            rows: a[0].rows.clone(),
            cols: alg.one(),
        }),
        _ => return None,
    })
}

fn scalar(x: f64) -> Value {
    Value::from_element(1, 1, x)
}

fn column(a: &Value, what: &str) -> std::result::Result<(), String> {
    if a.ncols() == 1 {
        Ok(())
    } else {
        Err(format!(
            "{what} of a {}×{} matrix, not a vector",
            a.nrows(),
            a.ncols()
        ))
    }
}

/// Softmax with the maximum subtracted first.
pub(crate) fn softmax(v: &Value) -> Value {
    let m = v.max();
    let e = v.map(|x| (x - m).exp());
    let s = e.sum();
    e / s
}

fn logsumexp(v: &Value) -> f64 {
    let m = v.max();
    m + v.map(|x| (x - m).exp()).sum().ln()
}

pub(super) fn eval(node: &Math, a: &[&Value]) -> Option<std::result::Result<Value, String>> {
    Some(match node {
        Math::Sum(_) => Ok(scalar(a[0].sum())),
        Math::Norm2(_) => Ok(scalar(a[0].norm_squared())),
        Math::Norm(_) => Ok(scalar(a[0].norm())),
        Math::Ones(_) => Ok(a[0].map(|_| 1.0)),
        Math::Softmax(_) => column(a[0], "softmax").map(|_| softmax(a[0])),
        Math::LogSumExp(_) => column(a[0], "logsumexp").map(|_| scalar(logsumexp(a[0]))),
        Math::DiagM(_) => {
            column(a[0], "diag").map(|_| Value::from_diagonal(&a[0].column(0).into_owned()))
        }
        Math::DiagV(_) => {
            if a[0].is_square() {
                Ok(Value::from_column_slice(
                    a[0].nrows(),
                    1,
                    a[0].diagonal().as_slice(),
                ))
            } else {
                Err("diag of a non-square matrix".into())
            }
        }
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
    let x = match *node {
        Math::Sum(x)
        | Math::Norm2(x)
        | Math::Norm(x)
        | Math::Softmax(x)
        | Math::LogSumExp(x)
        | Math::DiagM(x)
        | Math::DiagV(x) => x,
        Math::Ones(_) => return Some(Ok(Vec::new())),
        _ => return None,
    };
    if !active(x) {
        return Some(Ok(Vec::new()));
    }
    let mut b = Build { g };
    let b = &mut b;
    let r = (|| -> Result<Id> {
        match node {
            Math::Sum(_) => {
                if b.scalar(x) {
                    Ok(adj)
                } else {
                    let ones = b.n(Math::Ones(x))?;
                    b.mul(adj, ones)
                }
            }
            Math::Norm2(_) => {
                // ∂‖X‖² = 2X (Matrix Cookbook eq. 103)
                let two = b.int(2)?;
                let s = b.mul(two, adj)?;
                b.mul(s, x)
            }
            Math::Norm(_) => {
                let p = b.mul(adj, x)?;
                b.n(Math::Div([p, out]))
            }
            Math::Softmax(_) => {
                // J = diag(s) − ssᵀ, so Jᵀg = s ∘ (g − sᵀg): no n×n matrix.
                let sg = b.inner(out, adj)?;
                let nsg = b.neg(sg)?;
                let d = b.n(Math::Add([adj, nsg]))?;
                b.had(out, d)
            }
            Math::LogSumExp(_) => {
                let s = b.n(Math::Softmax(x))?;
                b.mul(adj, s)
            }
            Math::DiagM(_) => b.n(Math::DiagV(adj)),
            _ => b.n(Math::DiagM(adj)),
        }
    })();
    Some(r.map(|c| vec![(x, c)]))
}

/// The tangent of `out` from its child's tangent (`t(c)`, `None`: zero).
pub(super) fn jvp(
    g: &mut Graph,
    node: &Math,
    out: Id,
    t: &dyn Fn(Id) -> Option<Id>,
) -> Option<Result<Option<Id>>> {
    let x = match *node {
        Math::Sum(x)
        | Math::Norm2(x)
        | Math::Norm(x)
        | Math::Softmax(x)
        | Math::LogSumExp(x)
        | Math::DiagM(x)
        | Math::DiagV(x) => x,
        // ones(A) depends on A's shape only.
        Math::Ones(_) => return Some(Ok(None)),
        _ => return None,
    };
    let d = t(x)?;
    let mut b = Build { g };
    let b = &mut b;
    let r = (|| -> Result<Id> {
        match node {
            Math::Sum(_) if b.scalar(x) => Ok(d),
            Math::Sum(_) => b.n(Math::Sum(d)),
            Math::Norm2(_) => {
                // d‖X‖² = 2⟨X, Ẋ⟩
                let two = b.int(2)?;
                let ip = b.inner(x, d)?;
                b.mul(two, ip)
            }
            Math::Norm(_) => {
                let ip = b.inner(x, d)?;
                b.n(Math::Div([ip, out]))
            }
            Math::Softmax(_) => {
                // J = diag(s) − ssᵀ: J ẋ = s ∘ (ẋ − sᵀẋ)
                let sd = b.inner(out, d)?;
                let nsd = b.neg(sd)?;
                let e = b.n(Math::Add([d, nsd]))?;
                b.had(out, e)
            }
            Math::LogSumExp(_) => {
                let s = b.n(Math::Softmax(x))?;
                b.inner(s, d)
            }
            Math::DiagM(_) => b.n(Math::DiagM(d)),
            _ => b.n(Math::DiagV(d)),
        }
    })();
    Some(r.map(Some))
}
