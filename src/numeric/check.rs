//! Central finite differences and relative errors.

use egg::{Id, RecExpr, Symbol};

use crate::error::Result;
use crate::ir::Math;
use crate::numeric::{Point, evaluate};
use crate::ops::Value;

/// The value of node `root` of `expr` at `point`.
pub fn value_at(expr: &RecExpr<Math>, root: Id, point: &Point) -> Result<Value> {
    let vals = evaluate(expr, point)?;
    Ok(vals[usize::from(root)].clone())
}

/// ∂f/∂var by central differences with step `h` (f is the scalar node `root`).
pub fn finite_difference(
    expr: &RecExpr<Math>,
    root: Id,
    point: &Point,
    var: Symbol,
    h: f64,
) -> Result<Value> {
    let x = point
        .values
        .get(&var)
        .cloned()
        .unwrap_or_else(|| Value::zeros(1, 1));
    let mut grad = Value::zeros(x.nrows(), x.ncols());
    let mut p = point.clone();
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            let step = h * (1.0 + x[(i, j)].abs());
            let mut xp = x.clone();
            xp[(i, j)] += step;
            p.values.insert(var, xp);
            let fp = value_at(expr, root, &p)?[(0, 0)];
            let mut xm = x.clone();
            xm[(i, j)] -= step;
            p.values.insert(var, xm);
            let fm = value_at(expr, root, &p)?[(0, 0)];
            grad[(i, j)] = (fp - fm) / (2.0 * step);
        }
    }
    Ok(grad)
}

/// ‖a − b‖ / max(1, ‖b‖); infinite when the shapes differ.
pub fn rel_err(a: &Value, b: &Value) -> f64 {
    if a.shape() != b.shape() {
        return f64::INFINITY;
    }
    (a - b).norm() / b.norm().max(1.0)
}
