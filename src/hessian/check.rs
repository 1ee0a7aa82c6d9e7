//! `--check --hessian`: every Hessian block against central differences of the
//! gradient at random points.

use egg::Symbol;

use super::Hessians;
use crate::error::Result;
use crate::gradient::Gradient;
use crate::ir::Math;
use crate::numeric::Point;
use crate::numeric::check::rel_err;
use crate::numeric::sample::{Rng, random_point};
use crate::ops::Value;

/// Tolerance of a Hessian block against differences of the gradient.
pub const FD_TOL: f64 = 1e-5;

/// The block ∂(∇_row f)/∂col by central differences of the gradient (column-major vec).
pub fn fd_block(grad: &Gradient, p: &Point, row: usize, col: &str) -> Result<Value> {
    fd_block_step(grad, p, row, col, 1e-5)
}

/// [`fd_block`] with relative step `step`.
pub fn fd_block_step(
    grad: &Gradient,
    p: &Point,
    row: usize,
    col: &str,
    step: f64,
) -> Result<Value> {
    let c = Symbol::from(col);
    let x = p.values[&c].clone();
    let g0 = &grad.evaluate(p)?[row];
    let mut out = Value::zeros(g0.nrows() * g0.ncols(), x.nrows() * x.ncols());
    for k in 0..x.nrows() * x.ncols() {
        let h = step * (1.0 + x[k].abs());
        let mut q = p.clone();
        let mut at = |s: f64| -> Result<Value> {
            let mut y = x.clone();
            y[k] += s * h;
            q.values.insert(c, y);
            Ok(grad.evaluate(&q)?[row].clone())
        };
        let d = (at(1.0)? - at(-1.0)?) / (2.0 * h);
        for (i, v) in d.iter().enumerate() {
            out[(i, k)] = *v;
        }
    }
    Ok(out)
}

/// Operations whose second derivative is zero almost everywhere (and undefined at a kink).
fn kinked(grad: &Gradient) -> Vec<&'static str> {
    let mut out = Vec::new();
    for n in grad.model.graph.expr.as_ref() {
        let Math::Fun(f, _) = n else { continue };
        let name = match f.0.as_str() {
            "relu" => "relu",
            "abs" => "abs",
            "step" => "step",
            "sign" => "sign",
            _ => continue,
        };
        if !out.contains(&name) {
            out.push(name);
        }
    }
    out
}

/// Checks every block at `points` random points; returns (all within tolerance, text).
pub fn check(grad: &Gradient, hs: &Hessians, points: usize, seed: u64) -> Result<(bool, String)> {
    let mut rng = Rng::new(seed);
    let mut worst = vec![0.0f64; hs.blocks.len()];
    for _ in 0..points {
        let p = random_point(&grad.model, &mut rng, (2, 4));
        for (i, h) in hs.blocks.iter().enumerate() {
            let row = grad
                .derivation
                .vars
                .iter()
                .position(|v| *v == h.row)
                .unwrap_or(0);
            let ours = hs.value(grad, &p, i)?;
            let fd = fd_block(grad, &p, row, &h.col)?;
            worst[i] = worst[i].max(rel_err(&ours, &fd));
        }
    }
    let mut ok = true;
    let mut text = String::new();
    for (h, w) in hs.blocks.iter().zip(&worst) {
        let good = *w <= FD_TOL;
        ok &= good;
        let name = if h.is_diagonal() {
            format!("∂²/∂{}²", h.row)
        } else {
            format!("∂²/∂{}∂{}", h.row, h.col)
        };
        text += &format!(
            "check {name}: {} (rel. error vs finite differences of the gradient {w:.1e}, {points} random points)\n",
            if good { "ok" } else { "FAILED" }
        );
    }
    let k = kinked(grad);
    if !k.is_empty() {
        text += &format!(
            "note: {} {} a second derivative that is zero almost everywhere (undefined at the kink); the Hessian omits it\n",
            k.join(", "),
            if k.len() == 1 { "has" } else { "have" }
        );
    }
    Ok((ok, text))
}
