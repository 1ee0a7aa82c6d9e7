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
///
/// A node whose value does not exist fails, and so does every node above it, unless
/// that node has a value anyway (`det(X)·X⁻¹` at a singular `X` is the adjugate):
/// the evaluation fails when one of the roots (nodes no other node uses) fails.
pub fn evaluate(expr: &RecExpr<Math>, point: &Point) -> Result<Vec<Value>> {
    let (vals, fault) = run(expr, point)?;
    match fault {
        None => Ok(vals),
        Some(f) => Err(Error::new(
            ErrorKind::Domain,
            format!(
                "cannot evaluate `{}` at this point: {}",
                excerpt(expr, &vals, f.node),
                f.reason
            ),
        )),
    }
}

/// Where an evaluation failed: the first node without a value, and why.
#[derive(Debug, Clone, PartialEq)]
pub struct Fault {
    /// The node whose operation has no value at the point.
    pub node: Id,
    /// Why, in words (`the inverse of a singular matrix`).
    pub reason: String,
    /// The node's expression in the input language, shortened when long.
    pub text: String,
}

/// The fault that makes [`evaluate`] fail, if it does for a reason of the domain.
pub fn fault(expr: &RecExpr<Math>, point: &Point) -> Option<Fault> {
    let (vals, f) = run(expr, point).ok()?;
    f.map(|f| Fault {
        text: excerpt(expr, &vals, f.node),
        ..f
    })
}

/// Every node's value, and the fault of a failed root (an error for other reasons).
fn run(expr: &RecExpr<Math>, point: &Point) -> Result<(Vec<Value>, Option<Fault>)> {
    let nodes = expr.as_ref();
    let mut vals: Vec<Value> = Vec::with_capacity(nodes.len());
    let mut failed: Vec<Option<Fault>> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let ok = |c: Id| failed[usize::from(c)].is_none();
        let broken = node.children().iter().find(|&&c| !ok(c)).copied();
        let v = match stable(nodes, node, &vals, &ok) {
            Some(v) => Ok(v),
            None => match broken {
                Some(c) => {
                    let f = failed[usize::from(c)].clone();
                    vals.push(Value::zeros(0, 0));
                    failed.push(f);
                    continue;
                }
                None => evaluate_one(nodes, node, point, &vals),
            },
        };
        match v {
            Ok(v) => {
                vals.push(v);
                failed.push(None);
            }
            Err(e) if e.kind == ErrorKind::Domain => {
                vals.push(Value::zeros(0, 0));
                failed.push(Some(Fault {
                    node: Id::from(i),
                    reason: e
                        .message
                        .trim_start_matches("cannot evaluate at this point: ")
                        .to_string(),
                    text: String::new(),
                }));
            }
            Err(e) => return Err(e),
        }
    }
    let mut used = vec![false; nodes.len()];
    for node in nodes {
        for &c in node.children() {
            used[usize::from(c)] = true;
        }
    }
    let fault = failed
        .into_iter()
        .zip(used)
        .find_map(|(f, u)| f.filter(|_| !u));
    Ok((vals, fault))
}

/// One node from its children's values; a value that is not finite is an error.
fn evaluate_one(nodes: &[Math], node: &Math, point: &Point, vals: &[Value]) -> Result<Value> {
    let args: Vec<&Value> = node
        .children()
        .iter()
        .map(|&c| &vals[usize::from(c)])
        .collect();
    let v = evaluate_node(node, point, &args, &|id| match &nodes[usize::from(id)] {
        Math::Dim(d) => Some(d.0.clone()),
        _ => None,
    })?;
    if v.iter().all(|x| x.is_finite()) {
        Ok(v)
    } else {
        Err(Error::new(
            ErrorKind::Domain,
            "the result is not a finite number",
        ))
    }
}

/// The value of a composition that the naive order would overflow, when `node` is one.
fn stable(nodes: &[Math], node: &Math, vals: &[Value], ok: &dyn Fn(Id) -> bool) -> Option<Value> {
    if let Some(v) = super::adjugate::recover(nodes, node, vals, ok) {
        return Some(v);
    }
    let Math::Fun(f, a) = node else { return None };
    if f.0.as_str() != "log" {
        return None;
    }
    match &nodes[usize::from(*a)] {
        // log softmax(z) = z − logsumexp(z)
        Math::Softmax(z) if ok(*z) => {
            let z = &vals[usize::from(*z)];
            let m = z.max();
            let lse = m + z.map(|x| (x - m).exp()).sum().ln();
            Some(z.map(|x| x - lse))
        }
        // log σ(z) = −softplus(−z) = −(max(−z, 0) + log(1 + e^{−|z|}))
        Math::Fun(g, z) if g.0.as_str() == "sigmoid" && ok(*z) => {
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
