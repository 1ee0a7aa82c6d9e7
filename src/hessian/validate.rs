//! Translation validation of second derivatives: each simplified block is compared
//! with the same block as forward mode gives it (before the e-graph) at random
//! points, as [`crate::derive::validate`] does for gradients: the same number of
//! points, each with its own sizes, values drawn as the declarations require.

use super::Hessians;
use crate::derive::validate::{POINTS, TOLERANCE};
use crate::gradient::Gradient;
use crate::numeric::check::rel_err;
use crate::numeric::sample::{Rng, random_point};

const DRAWS: usize = 12;
const SEED: u64 = 0x4e55_1a2d;

/// The blocks (as `row,col`) whose simplified form disagrees with the unsimplified one.
pub fn refused(grad: &Gradient, simplified: &Hessians, raw: &Hessians) -> Vec<String> {
    let mut rng = Rng::new(SEED);
    let n = simplified.blocks.len().min(raw.blocks.len());
    let mut bad = vec![false; n];
    let mut points = 0;
    for _ in 0..DRAWS {
        if points == POINTS {
            break;
        }
        let p = random_point(&grad.model, &mut rng, (2, 4));
        let Ok(raw_values) = (0..n)
            .map(|i| raw.value(grad, &p, i))
            .collect::<crate::error::Result<Vec<_>>>()
        else {
            continue;
        };
        let Ok(values) = (0..n)
            .map(|i| simplified.value(grad, &p, i))
            .collect::<crate::error::Result<Vec<_>>>()
        else {
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
