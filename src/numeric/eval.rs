//! Evaluation of expression DAGs at a point.

use egg::{Language, RecExpr};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::Math;
use crate::numeric::Point;
use crate::ops::{self, Value};

/// Evaluates every node of `expr` (children first) and returns the values by node.
pub fn evaluate(expr: &RecExpr<Math>, point: &Point) -> Result<Vec<Value>> {
    let nodes = expr.as_ref();
    let mut vals: Vec<Value> = Vec::with_capacity(nodes.len());
    for node in nodes {
        let v = {
            let args: Vec<&Value> = node
                .children()
                .iter()
                .map(|&c| &vals[usize::from(c)])
                .collect();
            evaluate_node(node, point, &args, &|id| match &nodes[usize::from(id)] {
                Math::Dim(d) => Some(d.0.clone()),
                _ => None,
            })?
        };
        vals.push(v);
    }
    Ok(vals)
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
                    format!("the point does not fix the dimension {d}"),
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
