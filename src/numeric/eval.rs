//! Evaluation of expression DAGs at a point.
//!
//! One rule for numbers that do not exist: every operation whose value at the point
//! is not finite (an overflow, a division by zero, a log of zero) is an error that
//! names the subexpression, never an `inf` or `NaN` passed on. Compositions that
//! overflow only in their naive order are evaluated stably: `log(softmax(z))` as
//! `z − logsumexp(z)` and `log(σ(z))` as `−softplus(−z)`.

use egg::{Id, Language, RecExpr};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::Math;
use crate::numeric::Point;
use crate::ops::{self, Value};
use crate::print::{Notation, Printer};

/// Evaluates every node of `expr` (children first) and returns the values by node.
pub fn evaluate(expr: &RecExpr<Math>, point: &Point) -> Result<Vec<Value>> {
    let nodes = expr.as_ref();
    let mut vals: Vec<Value> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let v = match stable(nodes, node, &vals) {
            Some(v) => Ok(v),
            None => {
                let args: Vec<&Value> = node
                    .children()
                    .iter()
                    .map(|&c| &vals[usize::from(c)])
                    .collect();
                evaluate_node(node, point, &args, &|id| match &nodes[usize::from(id)] {
                    Math::Dim(d) => Some(d.0.clone()),
                    _ => None,
                })
            }
        };
        let v = v.and_then(|v| {
            if v.iter().all(|x| x.is_finite()) {
                Ok(v)
            } else {
                Err(Error::new(
                    ErrorKind::Domain,
                    "the result is not a finite number",
                ))
            }
        });
        match v {
            Ok(v) => vals.push(v),
            Err(e) if e.kind == ErrorKind::Domain => {
                return Err(Error::new(
                    ErrorKind::Domain,
                    format!(
                        "cannot evaluate `{}` at this point: {}",
                        excerpt(expr, &vals, Id::from(i)),
                        e.message
                            .trim_start_matches("cannot evaluate at this point: ")
                    ),
                ));
            }
            Err(e) => return Err(e),
        }
    }
    Ok(vals)
}

/// The value of a composition that the naive order would overflow, when `node` is one.
fn stable(nodes: &[Math], node: &Math, vals: &[Value]) -> Option<Value> {
    let Math::Fun(f, a) = node else { return None };
    if f.0.as_str() != "log" {
        return None;
    }
    match &nodes[usize::from(*a)] {
        // log softmax(z) = z − logsumexp(z)
        Math::Softmax(z) => {
            let z = &vals[usize::from(*z)];
            let m = z.max();
            let lse = m + z.map(|x| (x - m).exp()).sum().ln();
            Some(z.map(|x| x - lse))
        }
        // log σ(z) = −softplus(−z) = −(max(−z, 0) + log(1 + e^{−|z|}))
        Math::Fun(g, z) if g.0.as_str() == "sigmoid" => {
            Some(vals[usize::from(*z)].map(|x| -((-x).max(0.0) + (-x.abs()).exp().ln_1p())))
        }
        _ => None,
    }
}

/// The subexpression at `id` in the language, shortened when long.
fn excerpt(expr: &RecExpr<Math>, vals: &[Value], id: Id) -> String {
    const MAX: usize = 60;
    let none = |_: Id| None;
    let scalar = |c: Id| {
        vals.get(usize::from(c))
            .is_some_and(|v| v.shape() == (1, 1))
    };
    let text = Printer::new(expr, Notation::Ascii, &none, &scalar).print(id);
    if text.chars().count() <= MAX {
        text
    } else {
        let cut: String = text.chars().take(MAX).collect();
        format!("{cut}…")
    }
}

/// Evaluates one node given its children's values; `dim` reads a dimension leaf.
pub fn evaluate_node(
    node: &Math,
    point: &Point,
    args: &[&Value],
    dim: &dyn Fn(egg::Id) -> Option<crate::ir::Dim>,
) -> Result<Value> {
    match node {
        Math::Dim(_) => Ok(Value::zeros(0, 0)),
        Math::Num(r) => Ok(Value::from_element(1, 1, r.to_f64())),
        Math::Var(s) => point.values.get(s).cloned().ok_or_else(|| {
            Error::new(
                ErrorKind::Point,
                format!("no value for `{s}` at this point"),
            )
        }),
        Math::Eye(d) => {
            let d = dim(*d)
                .ok_or_else(|| Error::new(ErrorKind::Internal, "identity without a dimension"))?;
            let n = point.size(&d).ok_or_else(|| {
                Error::new(
                    ErrorKind::Point,
                    format!(
                        "the point does not fix the size of the identity `I` ({d}×{d}): no input around it has that dimension; write `I(n)` with a declared dimension"
                    ),
                )
            })?;
            Ok(Value::identity(n, n))
        }
        _ => ops::eval(node, args).map_err(|m| {
            Error::new(
                ErrorKind::Domain,
                format!("cannot evaluate at this point: {m}"),
            )
        }),
    }
}
