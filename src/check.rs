//! `--check`: the simplified gradient against the unsimplified adjoint and
//! central finite differences at random points.

use egg::Symbol;

use crate::error::Result;
use crate::gradient::Gradient;
use crate::numeric::check::{finite_difference, rel_err};
use crate::numeric::sample::{Rng, random_point};

/// The outcome of a check.
#[derive(Debug, Clone)]
pub struct Report {
    /// True when every comparison is within tolerance.
    pub ok: bool,
    /// Largest relative error of the simplified result against finite differences.
    pub worst_fd: f64,
    /// Largest relative error of the simplified result against the unsimplified adjoint.
    pub worst_raw: f64,
    /// A line per variable.
    pub text: String,
    /// Each variable's outcome, in order.
    pub vars: Vec<VarCheck>,
    /// How many random points were compared.
    pub points: usize,
}

/// The check of one variable's gradient.
#[derive(Debug, Clone)]
pub struct VarCheck {
    /// The variable.
    pub var: String,
    /// Within both tolerances.
    pub ok: bool,
    /// Largest relative error against finite differences.
    pub fd: f64,
    /// Largest relative error against the unsimplified adjoint.
    pub raw: f64,
}

/// Tolerance against central differences (step 1e-6 relative).
pub const FD_TOL: f64 = 1e-5;
/// Tolerance between the simplified and unsimplified forms.
pub const RAW_TOL: f64 = 1e-8;

/// Checks `grad` at `points` random points drawn from `seed`.
pub fn check(grad: &Gradient, points: usize, seed: u64) -> Result<Report> {
    let mut rng = Rng::new(seed);
    let d = &grad.derivation;
    let mut worst_fd = vec![0.0f64; d.vars.len()];
    let mut worst_raw = vec![0.0f64; d.vars.len()];
    for _ in 0..points {
        let p = random_point(&grad.model, &mut rng, (2, 4));
        let simp = d.evaluate_forms(&grad.model, &p)?;
        let raw = d.evaluate_raw(&p)?;
        for (i, v) in d.vars.iter().enumerate() {
            let fd = finite_difference(
                &grad.model.graph.expr,
                grad.model.objective,
                &p,
                Symbol::from(v.as_str()),
                1e-6,
            )?;
            worst_fd[i] = worst_fd[i].max(rel_err(&simp[i], &fd));
            worst_raw[i] = worst_raw[i].max(rel_err(&simp[i], &raw[i]));
        }
    }
    let mut text = String::new();
    let mut ok = true;
    let mut vars = Vec::new();
    for (i, v) in d.vars.iter().enumerate() {
        let good = worst_fd[i] <= FD_TOL && worst_raw[i] <= RAW_TOL;
        ok &= good;
        vars.push(VarCheck {
            var: v.clone(),
            ok: good,
            fd: worst_fd[i],
            raw: worst_raw[i],
        });
        text += &format!(
            "check ∂/∂{v}: {} (rel. error vs finite differences {:.1e}, vs unsimplified adjoint {:.1e}, {points} random points)\n",
            if good { "ok" } else { "FAILED" },
            worst_fd[i],
            worst_raw[i]
        );
    }
    let (wf, wr) = (
        worst_fd.iter().copied().fold(0.0, f64::max),
        worst_raw.iter().copied().fold(0.0, f64::max),
    );
    Ok(Report {
        ok,
        worst_fd: wf,
        worst_raw: wr,
        text,
        vars,
        points,
    })
}
