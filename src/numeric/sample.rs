//! Random points that respect each input's domain: SPD or symmetric where
//! declared, positive where a log, square root, power or division needs it,
//! well-conditioned square matrices where an inverse or determinant is taken.

use std::collections::HashMap;

use egg::{Language, Symbol};

use crate::ir::{Dim, Math};
use crate::model::Model;
use crate::numeric::Point;
use crate::ops::{self, Value};
use crate::structure::Structure;

/// A small deterministic generator (SplitMix64), so that checks are reproducible.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed.
    pub fn new(seed: u64) -> Rng {
        Rng(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// A uniform number in [0, 1).
    pub fn uniform(&mut self) -> f64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^= z >> 31;
        (z >> 11) as f64 / (1u64 << 53) as f64
    }
    /// A standard normal number.
    pub fn normal(&mut self) -> f64 {
        let u1 = self.uniform().max(1e-300);
        let u2 = self.uniform();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// A whole number in [lo, hi].
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + ((self.uniform() * (hi - lo + 1) as f64) as usize).min(hi - lo)
    }
}

pub use crate::ops::Domain;

/// The domain each input needs, from declarations and from how it is used.
pub fn domains(model: &Model) -> HashMap<Symbol, Domain> {
    let g = &model.graph;
    let mut out: HashMap<Symbol, Domain> = HashMap::new();
    for input in &model.inputs {
        let d = match input.structure {
            Structure::Spd => Domain::Spd,
            Structure::Symmetric => Domain::Symmetric,
            Structure::General if input.shape.is_scalar() => Domain::Positive,
            Structure::General if input.shape.is_square() => Domain::WellConditioned,
            Structure::General => Domain::General,
        };
        out.insert(Symbol::from(input.name.as_str()), d);
    }
    // What each operation needs of its operands (the registry's domains): a positive
    // operand makes a general input positive; an operand that must be invertible makes
    // a symmetric input SPD.
    for node in g.expr.as_ref() {
        let Some(p) = ops::registry::of(node) else {
            continue;
        };
        for (a, need) in node.children().iter().zip(p.domain) {
            let Math::Var(s) = g.node(*a) else { continue };
            let Some(d) = out.get_mut(s) else { continue };
            match need {
                Domain::Positive if matches!(d, Domain::General | Domain::WellConditioned) => {
                    *d = Domain::Positive;
                }
                Domain::WellConditioned | Domain::Spd if *d == Domain::Symmetric => {
                    *d = Domain::Spd;
                }
                _ => {}
            }
        }
    }
    out
}

/// Draws a value of `rows × cols` in `domain`.
pub fn draw(rng: &mut Rng, rows: usize, cols: usize, domain: Domain) -> Value {
    match domain {
        Domain::General => Value::from_fn(rows, cols, |_, _| rng.normal()),
        Domain::Positive => Value::from_fn(rows, cols, |_, _| 0.5 + 1.5 * rng.uniform()),
        Domain::WellConditioned => {
            let m = Value::from_fn(rows, cols, |_, _| rng.normal());
            if rows == cols {
                m + Value::identity(rows, cols) * (rows as f64 + 1.0)
            } else {
                m
            }
        }
        Domain::Symmetric => {
            let m = Value::from_fn(rows, cols, |_, _| rng.normal());
            (&m + m.transpose()) * 0.5
        }
        Domain::Spd => {
            let m = Value::from_fn(rows, cols, |_, _| rng.normal());
            &m * m.transpose() / rows as f64 + Value::identity(rows, cols)
        }
        Domain::Integer => Value::from_fn(rows, cols, |_, _| rng.range(0, 6) as f64 - 3.0),
    }
}

/// A random point: each symbolic dimension a size in `sizes`, each input drawn in its domain.
pub fn random_point(model: &Model, rng: &mut Rng, sizes: (usize, usize)) -> Point {
    let mut point = Point::default();
    for d in model.dims() {
        point.dims.insert(d, rng.range(sizes.0, sizes.1));
    }
    let doms = domains(model);
    for input in &model.inputs {
        let size = |d: &Dim, p: &Point| p.size(d).unwrap_or(1);
        let (r, c) = (
            size(&input.shape.rows, &point),
            size(&input.shape.cols, &point),
        );
        let sym = Symbol::from(input.name.as_str());
        let v = draw(
            rng,
            r,
            c,
            doms.get(&sym).copied().unwrap_or(Domain::General),
        );
        point.values.insert(sym, v);
    }
    point
}
