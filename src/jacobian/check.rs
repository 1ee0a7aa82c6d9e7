//! `--check` for Jacobians: the simplified result against the unsimplified one and
//! against central finite differences of the objective, at random points.

use egg::Symbol;

use super::{Jacobian, Vjp};
use crate::error::Result;
use crate::model::Model;
use crate::numeric::Point;
use crate::numeric::check::{rel_err, value_at};
use crate::numeric::sample::{Rng, random_point};
use crate::ops::Value;

/// Tolerance against central differences (step 1e-6 relative), as for gradients.
pub const FD_TOL: f64 = 1e-5;
/// Tolerance between the simplified and unsimplified forms.
pub const RAW_TOL: f64 = 1e-8;

/// The outcome of a check.
#[derive(Debug, Clone)]
pub struct Report {
    /// True when every comparison is within tolerance.
    pub ok: bool,
    /// Largest relative error against finite differences.
    pub worst_fd: f64,
    /// Largest relative error against the unsimplified form.
    pub worst_raw: f64,
    /// A line per variable.
    pub text: String,
}

/// The Jacobian of the objective with respect to `var` by central differences
/// (relative step `h`): one row per entry of the objective, one column per entry of
/// `var`, both in column-major vec order.
pub fn finite_difference(model: &Model, var: &str, point: &Point, h: f64) -> Result<Value> {
    let s = Symbol::from(var);
    let x = super::value_of(point, var)?.clone();
    let f0 = value_at(&model.graph.expr, model.objective, point)?;
    let mut j = Value::zeros(f0.len(), x.len());
    let mut p = point.clone();
    for k in 0..x.len() {
        let step = h * (1.0 + x[k].abs());
        let mut xp = x.clone();
        xp[k] += step;
        p.values.insert(s, xp);
        let fp = value_at(&model.graph.expr, model.objective, &p)?;
        let mut xm = x.clone();
        xm[k] -= step;
        p.values.insert(s, xm);
        let fm = value_at(&model.graph.expr, model.objective, &p)?;
        for (i, (a, b)) in fp.iter().zip(fm.iter()).enumerate() {
            j[(i, k)] = (a - b) / (2.0 * step);
        }
    }
    Ok(j)
}

fn report(names: &[String], fd: &[f64], raw: &[f64], points: usize) -> Report {
    let mut text = String::new();
    let mut ok = true;
    for (i, n) in names.iter().enumerate() {
        let good = fd[i] <= FD_TOL && raw[i] <= RAW_TOL;
        ok &= good;
        text += &format!(
            "check {n}: {} (rel. error vs finite differences {:.1e}, vs unsimplified {:.1e}, {points} random points)\n",
            if good { "ok" } else { "FAILED" },
            fd[i],
            raw[i]
        );
    }
    Report {
        ok,
        worst_fd: fd.iter().copied().fold(0.0, f64::max),
        worst_raw: raw.iter().copied().fold(0.0, f64::max),
        text,
    }
}

/// Checks each Jacobian at `points` random points drawn from `seed`.
pub fn check(j: &Jacobian, points: usize, seed: u64) -> Result<Report> {
    let mut rng = Rng::new(seed);
    let problem = j.problem();
    let vars = &j.derivation.vars;
    let (mut fd, mut raw) = (vec![0.0f64; vars.len()], vec![0.0f64; vars.len()]);
    for _ in 0..points {
        let p = random_point(&problem, &mut rng, (2, 4));
        let simp = j.evaluate(&p)?;
        let unsimp = j.evaluate_raw(&p)?;
        for (i, v) in vars.iter().enumerate() {
            let num = finite_difference(&problem, v, &p, 1e-6)?;
            fd[i] = fd[i].max(rel_err(&simp[i], &num));
            raw[i] = raw[i].max(rel_err(&simp[i], &unsimp[i]));
        }
    }
    let names: Vec<String> = vars.iter().map(|v| format!("J_{v}")).collect();
    Ok(report(&names, &fd, &raw, points))
}

/// Checks each `Jᵀu` against `Jᵀ vec(u)` from finite differences, and the unsimplified form.
pub fn check_vjp(v: &Vjp, points: usize, seed: u64) -> Result<Report> {
    let mut rng = Rng::new(seed);
    let vars = &v.derivation.vars;
    let (mut fd, mut raw) = (vec![0.0f64; vars.len()], vec![0.0f64; vars.len()]);
    for _ in 0..points {
        let p = random_point(&v.model, &mut rng, (2, 4));
        let simp = v.evaluate(&p)?;
        let unsimp = v.derivation.evaluate_raw(&p)?;
        for (i, x) in vars.iter().enumerate() {
            let jac = finite_difference(&v.model, x, &p, 1e-6)?;
            let uval = super::value_of(&p, &v.cotangent)?;
            let uv = Value::from_column_slice(uval.len(), 1, uval.as_slice());
            let jtu = jac.transpose() * uv;
            let xv = super::value_of(&p, x)?;
            let num = Value::from_column_slice(xv.nrows(), xv.ncols(), jtu.as_slice());
            fd[i] = fd[i].max(rel_err(&simp[i], &num));
            raw[i] = raw[i].max(rel_err(&simp[i], &unsimp[i]));
        }
    }
    let names: Vec<String> = vars
        .iter()
        .map(|x| format!("J_{x}ᵀ{}", v.cotangent))
        .collect();
    Ok(report(&names, &fd, &raw, points))
}
