//! Translation validation of second derivatives: each simplified block is compared
//! with the same block as forward mode gives it (before the e-graph) at random
//! points, as [`crate::derive::validate`] does for gradients: the same number of
//! points, each with its own sizes, values drawn as the declarations require.

use super::Hessians;
use super::output::{Compiled, with_helpers};
use crate::derive::validate::{POINTS, TOLERANCE};
use crate::error::Result;
use crate::gradient::Gradient;
use crate::numeric::Point;
use crate::numeric::check::rel_err;
use crate::numeric::sample::{Rng, random_point};
use crate::ops::Value;

const DRAWS: usize = 12;
const SEED: u64 = 0x4e55_1a2d;

/// The blocks (as `row,col`) whose simplified form disagrees with the unsimplified one.
pub fn refused<'a>(grad: &Gradient, simplified: &'a Hessians, raw: &'a Hessians) -> Vec<String> {
    let mut rng = Rng::new(SEED);
    let mut dir_rng = Rng::new(SEED ^ 0xd1);
    let n = simplified.blocks.len().min(raw.blocks.len());
    let mut bad = vec![false; n];
    let compile = |hs: &'a Hessians| -> Option<Vec<Compiled<'a>>> {
        hs.blocks[..n]
            .iter()
            .map(|b| Compiled::new(b, &hs.defs))
            .collect::<Result<_>>()
            .ok()
    };
    // Forms that cannot be typed cannot be evaluated at any point either: nothing to
    // compare (as when no point is in the domain).
    let (Some(forms), Some(raw_forms)) = (compile(simplified), compile(raw)) else {
        return Vec::new();
    };
    let mut points = 0;
    for _ in 0..DRAWS {
        if points == POINTS {
            break;
        }
        let p = random_point(&grad.model, &mut rng, (2, 4));
        let Ok(p) = with_helpers(grad, &p) else {
            continue;
        };
        // One random direction per block (its own generator: the points stay the same).
        let dirs: Vec<Value> = forms
            .iter()
            .map(|f| direction(&p, &f.block().col, &mut dir_rng))
            .collect();
        let values = |forms: &[Compiled]| -> Result<Vec<Value>> {
            forms
                .iter()
                .zip(&dirs)
                .map(|(f, d)| f.probe(&p, d))
                .collect()
        };
        let (Ok(raw_values), Ok(values)) = (values(&raw_forms), values(&forms)) else {
            continue;
        };
        points += 1;
        for (i, (s, r)) in values.iter().zip(&raw_values).enumerate() {
            let e = rel_err(s, r);
            bad[i] |= !(e.is_finite() && e <= TOLERANCE);
        }
    }
    simplified
        .blocks
        .iter()
        .zip(&bad)
        .filter(|(_, b)| **b)
        .map(|(h, _)| format!("∂²f/∂{}∂{}", h.row, h.col))
        .collect()
}

/// A random direction of the shape variable `var` has at point `p` (standard normal
/// entries).
fn direction(p: &Point, var: &str, rng: &mut Rng) -> Value {
    let (r, c) = p
        .values
        .get(&egg::Symbol::from(var))
        .map_or((1, 1), |v| v.shape());
    Value::from_fn(r, c, |_, _| rng.normal())
}
