//! Translation validation: before a derivation leaves the library, its closed forms
//! (with their helper terms) are evaluated against the unsimplified adjoints of reverse
//! mode at random points. A form that disagrees is never returned: the caller falls
//! back to a less simplified derivation that agrees.
//!
//! How it avoids being fooled by one unlucky point: [`POINTS`] points, each with its own
//! random sizes for the symbolic dimensions (2 to 4) and values drawn as the
//! declarations and uses require (SPD, symmetric, positive, well-conditioned); on every
//! other point each scalar input may also change sign (a point where the unsimplified
//! adjoint cannot be evaluated, e.g. a log of a negative number, is drawn again), so a
//! rule that holds only for positive scalars, symmetric matrices or square sizes of one
//! kind is caught; draws that find no point in the domain also try values ten times
//! larger and smaller. A result must agree at every point where the adjoint evaluates.

use egg::Symbol;

use super::Derivation;
use crate::model::Model;
use crate::numeric::check::rel_err;
use crate::numeric::sample::{Rng, random_point};
use crate::ops::Value;

/// Points at which every result is compared.
pub const POINTS: usize = 3;
/// Draws allowed to find those points.
const DRAWS: usize = 24;
/// Largest relative difference ‖s − r‖ / max(1, ‖r‖) between a simplified result `s`
/// and the unsimplified adjoint `r` (both exact up to rounding: a wrong form is off by
/// far more than this, a right one by rounding only).
pub const TOLERANCE: f64 = 1e-7;
/// The seed of the validation points (fixed: the same input always gives the same output).
const SEED: u64 = 0x7a11_da7e;

/// What validation found.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Validation {
    /// Validation ran (it does not for `--raw` or when switched off).
    pub ran: bool,
    /// Points at which the results were compared (0: none could be evaluated).
    pub points: usize,
    /// The variables whose simplified form disagreed and was refused.
    pub refused: Vec<String>,
    /// The form that was returned instead, when one was refused
    /// (`unpolished`: the main e-graph search only; `raw`: reverse mode as it is).
    pub fallback: Option<String>,
}

/// The outcome of comparing a derivation with its adjoints.
pub enum Verdict {
    /// Every result agrees at `points` points.
    Agrees(usize),
    /// These variables disagree.
    Disagrees(Vec<String>),
}

/// Compares every result of `d` with the unsimplified adjoints at random points.
pub fn compare(model: &Model, d: &Derivation) -> Verdict {
    let mut rng = Rng::new(SEED);
    let mut bad: Vec<bool> = vec![false; d.vars.len()];
    let mut points = 0;
    let mut undefined = 0;
    for draw in 0..DRAWS {
        if points == POINTS {
            break;
        }
        let mut p = random_point(model, &mut rng, (2, 4));
        if draw % 2 == 1 {
            flip_scalar_signs(model, &mut p, &mut rng);
        }
        // Later draws also try larger and smaller values (a domain such as x > 5).
        let scale = [1.0, 1.0, 10.0, 0.1][(draw / 2) % 4];
        if scale != 1.0 {
            p.values.values_mut().for_each(|v| *v *= scale);
        }
        let Ok(raw) = d.evaluate_raw(&p) else {
            continue;
        };
        if raw.iter().any(|v| v.iter().any(|x| !x.is_finite())) {
            continue;
        }
        match d.evaluate_forms(model, &p) {
            Ok(simp) => {
                points += 1;
                for (i, (s, r)) in simp.iter().zip(&raw).enumerate() {
                    bad[i] |= !agrees(s, r);
                }
            }
            // A simplified form may overflow where the adjoint just does not (2·10³⁰⁸x
            // against 10³⁰⁸x + 10³⁰⁸x): that point decides nothing. But a form that is
            // undefined wherever the adjoint is defined is refused below.
            Err(_) => undefined += 1,
        }
    }
    if points == 0 && undefined > 0 {
        bad.iter_mut().for_each(|b| *b = true);
    }
    let refused: Vec<String> = d
        .vars
        .iter()
        .zip(&bad)
        .filter(|(_, b)| **b)
        .map(|(v, _)| v.clone())
        .collect();
    if refused.is_empty() {
        Verdict::Agrees(points)
    } else {
        Verdict::Disagrees(refused)
    }
}

fn agrees(s: &Value, r: &Value) -> bool {
    let e = rel_err(s, r);
    e.is_finite() && e <= TOLERANCE
}

fn flip_scalar_signs(model: &Model, p: &mut crate::numeric::Point, rng: &mut Rng) {
    for input in model.inputs.iter().filter(|i| i.shape.is_scalar()) {
        if rng.uniform() < 0.5
            && let Some(v) = p.values.get_mut(&Symbol::from(input.name.as_str()))
        {
            *v = -v.clone();
        }
    }
}
