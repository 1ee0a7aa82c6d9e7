//! Translation validation of second derivatives: each simplified block is compared
//! with the same block as forward mode gives it (before the e-graph) at random
//! points, as [`crate::derive::validate`] does for gradients: the same number of
//! points, each with its own sizes, values drawn as the declarations require.
//!
//! A directional block H[dU] is compared along one random direction dU per point
//! (the same for the simplified and the unsimplified form): two linear maps that
//! differ give different values along almost every direction, so one random
//! direction tells them apart as the whole block would, at a fraction of its cost.

use egg::{Id, Symbol};

use super::Hessians;
use crate::derive::typed_trees;
use crate::derive::validate::{POINTS, TOLERANCE};
use crate::error::Result;
use crate::gradient::Gradient;
use crate::ir::Graph;
use crate::numeric::check::rel_err;
use crate::numeric::sample::{Rng, random_point};
use crate::numeric::{Point, evaluate};
use crate::ops::Value;
use crate::simplify::cse::Tree;

const DRAWS: usize = 12;
const SEED: u64 = 0x4e55_1a2d;

/// The blocks (as `row,col`) whose simplified form disagrees with the unsimplified one.
pub fn refused(grad: &Gradient, simplified: &Hessians, raw: &Hessians) -> Vec<String> {
    let mut rng = Rng::new(SEED);
    // The directions have their own generator: the points are those of the gradient's
    // checks whatever the blocks.
    let mut dir_rng = Rng::new(SEED ^ 0xd1);
    let n = simplified.blocks.len().min(raw.blocks.len());
    let mut bad = vec![false; n];
    // Forms that cannot be typed cannot be evaluated at any point either: nothing to
    // compare (as when no point is in the domain).
    let (Ok(forms), Ok(raw_forms)) = (Typed::new(grad, simplified, n), Typed::new(grad, raw, n))
    else {
        return Vec::new();
    };
    let mut points = 0;
    for _ in 0..DRAWS {
        if points == POINTS {
            break;
        }
        let p = random_point(&grad.model, &mut rng, (2, 4));
        let dirs = directions(simplified, n, &p, &mut dir_rng);
        let (Ok(raw_values), Ok(values)) = (raw_forms.probe(&p, &dirs), forms.probe(&p, &dirs))
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

/// One random direction (standard normal entries) for each direction the first `n`
/// blocks use, of its variable's shape at point `p`.
fn directions(hs: &Hessians, n: usize, p: &Point, rng: &mut Rng) -> Vec<(Symbol, Value)> {
    let mut out: Vec<(Symbol, Value)> = Vec::new();
    for h in &hs.blocks[..n] {
        let Some(d) = &h.direction else { continue };
        let d = Symbol::from(d.as_str());
        if out.iter().any(|(s, _)| *s == d) {
            continue;
        }
        let (r, c) = p
            .values
            .get(&Symbol::from(h.col.as_str()))
            .map_or((1, 1), |v| v.shape());
        out.push((d, Value::from_fn(r, c, |_, _| rng.normal())));
    }
    out
}

/// The first `n` blocks' forms typed together in one graph with the gradient's and
/// the Hessian's helpers written out in place (a subterm two blocks share is
/// evaluated once, and all of it in one pass at a point).
struct Typed<'a> {
    hs: &'a Hessians,
    graph: Graph,
    /// The root of each block's form in `graph` (`None`: the block is zero).
    forms: Vec<Option<Id>>,
}

impl<'a> Typed<'a> {
    fn new(grad: &Gradient, hs: &'a Hessians, n: usize) -> Result<Typed<'a>> {
        let symbols = hs
            .blocks
            .first()
            .map(|b| b.symbols.clone())
            .unwrap_or_default();
        let gradient = grad.derivation.defs.iter().map(|d| (d.name, &d.tree));
        let defs: Vec<(Symbol, &Tree)> = gradient
            .chain(hs.defs.iter().map(|(s, t)| (*s, t)))
            .collect();
        let trees: Vec<&Tree> = hs.blocks[..n]
            .iter()
            .filter_map(|b| b.tree.as_ref())
            .collect();
        let (graph, roots) = typed_trees(&symbols, &defs, &trees)?;
        let mut roots = roots.into_iter();
        let forms = hs.blocks[..n]
            .iter()
            .map(|b| b.tree.as_ref().and_then(|_| roots.next()))
            .collect();
        Ok(Typed { hs, graph, forms })
    }

    /// Every block at `point` (values of the inputs): a matrix block
    /// whole, a directional block along its direction in `dirs` (as a column; a form
    /// of another size is kept as it is, and disagrees).
    fn probe(&self, point: &Point, dirs: &[(Symbol, Value)]) -> Result<Vec<Value>> {
        let mut p = point.clone();
        p.values.extend(dirs.iter().cloned());
        let values = evaluate(&self.graph.expr, &p)?;
        let size = |v: &str| {
            p.values
                .get(&Symbol::from(v))
                .map_or(1, |x| x.nrows() * x.ncols())
        };
        let mut out = Vec::with_capacity(self.forms.len());
        for (h, form) in self.hs.blocks.iter().zip(&self.forms) {
            let nr = size(&h.row);
            let nc = if h.direction.is_some() {
                1
            } else {
                size(&h.col)
            };
            let v = match form {
                None => Value::zeros(nr, nc),
                Some(root) => values[usize::from(*root)].clone(),
            };
            out.push(if v.shape() == (1, 1) && (nr, nc) != (1, 1) {
                Value::from_element(nr, nc, v[(0, 0)])
            } else if h.direction.is_some() && v.len() == nr {
                Value::from_column_slice(nr, 1, v.as_slice())
            } else {
                v
            });
        }
        Ok(out)
    }
}
