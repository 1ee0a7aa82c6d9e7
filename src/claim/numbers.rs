//! The claim and the correct gradient in numbers: random points drawn as the
//! declarations and the operations require (`numeric::sample`), values of both, and
//! the tolerance that decides whether they agree.
//!
//! **The bound.** At a point, both sides are evaluated exactly as written, in double
//! precision, and compared in the max norm: they agree when
//! `‖claimed − correct‖∞ ≤ TOL · scale`, `scale` being the largest magnitude of any
//! intermediate value of either evaluation (at least 1e-300). Evaluating a formula
//! rounds each entry by a few units of 2⁻⁵³ of the magnitudes it passes through,
//! times the condition of the inverses taken (the samples keep those below about
//! 10); `TOL = 1e-8` leaves a margin of a million over that rounding. A claim is
//! called correct only when it agrees at every one of [`POINTS`] points of random
//! sizes (every dimension 2–5) and random values where one side is at least
//! [`RESOLVED`] = 1e-6 of the largest intermediate (below that both are rounding
//! noise: `1 − tanh(x)²` for a large x); a wrong claim would have to come within 1e-8
//! of the largest intermediate at each of them, so within 1% of the larger value. The difference of two
//! formulas built from the language's primitives is analytic in the inputs; when it is
//! not identically zero it vanishes only on a set of measure zero, so this happens
//! only for a claim wrong by less than 1e-8 relative — which is reported correct.

use std::collections::{HashMap, HashSet};

use egg::{Id, Language, Symbol};

use crate::derive::typed_tree;
use crate::error::Result;
use crate::gradient::Gradient;
use crate::ir::{Dim, Shape};
use crate::model::Model;
use crate::numeric::sample::{Domain, Rng, domains, draw};
use crate::numeric::{Point, evaluate};
use crate::ops::Value;
use crate::simplify::cse::Tree;

use super::scope::Scoped;

/// Relative agreement (to the largest intermediate) below which two values are equal.
pub const TOL: f64 = 1e-8;
/// The size, relative to the largest intermediate, a value must have to be compared.
pub const RESOLVED: f64 = 1e-6;
/// How far ratios measured at different points may differ and still be one constant.
pub const RATIO_TOL: f64 = 1e-6;
/// Points at which a claim must agree to be called correct.
pub const POINTS: usize = 6;
/// The seed of the points: verdicts are reproducible.
const SEED: u64 = 0x00C1_A1E5;

/// Both sides at one point.
#[derive(Debug, Clone)]
pub struct Sample {
    /// The inputs' values and the dimensions' sizes.
    pub point: Point,
    /// The claim's value (`Err`: it cannot be evaluated there).
    pub claimed: std::result::Result<Value, String>,
    /// The correct gradient's value.
    pub expected: Value,
    /// The largest magnitude of any intermediate value on either side.
    pub scale: f64,
    /// The point with the values of the claim's and the problem's named terms.
    pub claim_env: Point,
    /// The point with the values of the correct gradient's helper terms.
    pub expected_env: Point,
}

impl Sample {
    /// True when the values here say something: the claim or the gradient is above
    /// [`RESOLVED`] of the largest intermediate. Below that they are rounding noise
    /// (`1 − tanh(x)²` for a large x), and the point is not used for a verdict.
    pub fn informative(&self) -> bool {
        let c = self.claimed.as_ref().map_or(f64::INFINITY, amax);
        c.max(amax(&self.expected)) > RESOLVED * self.scale
    }

    /// True when the claim agrees with the gradient here.
    pub fn agrees(&self) -> bool {
        self.claimed
            .as_ref()
            .is_ok_and(|c| close(c, &self.expected, self.scale, TOL))
    }
}

/// `‖a − b‖∞ ≤ tol · scale` (false when the shapes differ or a value is not finite).
pub fn close(a: &Value, b: &Value, scale: f64, tol: f64) -> bool {
    a.shape() == b.shape()
        && a.iter().chain(b.iter()).all(|v| v.is_finite())
        && (a - b).amax() <= tol * scale
}

fn amax(v: &Value) -> f64 {
    v.iter()
        .map(|x| x.abs())
        .filter(|x| x.is_finite())
        .fold(0.0, f64::max)
}

/// The value of a tree over symbols of known shapes, and the largest intermediate.
pub fn eval_tree(shapes: &HashMap<Symbol, Shape>, t: &Tree, p: &Point) -> Result<(Value, f64)> {
    let (g, root) = typed_tree(shapes, t)?;
    let vals = evaluate(&g.expr, p)?;
    let big = vals.iter().map(amax).fold(0.0, f64::max);
    Ok((vals[usize::from(root)].clone(), big))
}

/// Where the claim is evaluated, and how.
pub struct Setup<'a> {
    /// The claim in the problem's scope.
    pub scoped: &'a Scoped,
    /// The problem and its simplified gradients.
    pub grad: &'a Gradient,
    /// The correct gradient as a tree over inputs and helpers (`None`: zero).
    pub expected: Option<&'a Tree>,
    /// The claim is the number 0, read as a zero of the variable's shape.
    pub zero_claim: bool,
    cone: HashSet<Id>,
}

impl<'a> Setup<'a> {
    /// A setup for a claim and a gradient.
    pub fn new(
        scoped: &'a Scoped,
        grad: &'a Gradient,
        expected: Option<&'a Tree>,
        zero_claim: bool,
    ) -> Setup<'a> {
        let mut cone = HashSet::new();
        let mut stack = vec![scoped.root];
        while let Some(id) = stack.pop() {
            if cone.insert(id) {
                stack.extend(scoped.joint.graph.node(id).children());
            }
        }
        Setup {
            scoped,
            grad,
            expected,
            zero_claim,
            cone,
        }
    }

    /// Both sides at `point`; `None` when the correct gradient cannot be evaluated there.
    pub fn sample(&self, point: Point) -> Option<Sample> {
        let (expected, expected_env, big_e) = self.expected_at(&point).ok()?;
        let (claimed, claim_env, big_c) = match self.claim_at(&point) {
            Ok((v, env, big)) => (Ok(v), env, big),
            Err(e) => (Err(e.message), point.clone(), 0.0),
        };
        let scale = big_e.max(big_c).max(1e-300);
        Some(Sample {
            point,
            claimed,
            expected,
            scale,
            claim_env,
            expected_env,
        })
    }

    fn claim_at(&self, p: &Point) -> Result<(Value, Point, f64)> {
        let s = self.scoped;
        let vals = evaluate(&s.joint.graph.expr, p)?;
        let big = self
            .cone
            .iter()
            .map(|i| amax(&vals[usize::from(*i)]))
            .fold(0.0, f64::max);
        let mut env = p.clone();
        for (n, id) in s.problem_defs.iter().chain(&s.claim_defs) {
            env.values
                .insert(Symbol::from(n.as_str()), vals[usize::from(*id)].clone());
        }
        let mut v = vals[usize::from(s.root)].clone();
        if self.zero_claim {
            let (r, c) = self.var_size(p);
            v = Value::zeros(r, c);
        }
        if v.iter().any(|x| !x.is_finite()) {
            return Err(crate::error::Error::new(
                crate::error::ErrorKind::Domain,
                "your answer is not finite there",
            ));
        }
        Ok((v, env, big))
    }

    fn var_size(&self, p: &Point) -> (usize, usize) {
        let sh = self.scoped.var_shape();
        (p.size(&sh.rows).unwrap_or(1), p.size(&sh.cols).unwrap_or(1))
    }

    fn expected_at(&self, p: &Point) -> Result<(Value, Point, f64)> {
        let (grad, d) = (self.grad, &self.grad.derivation);
        let shapes = d.symbol_shapes(&grad.model);
        let mut env = p.clone();
        let mut big: f64 = 0.0;
        for def in &d.defs {
            let (v, b) = eval_tree(&shapes, &def.tree, &env)?;
            big = big.max(b);
            env.values.insert(def.name, v);
        }
        let v = match self.expected {
            Some(t) => {
                let (v, b) = eval_tree(&shapes, t, &env)?;
                big = big.max(b);
                v
            }
            None => {
                let (r, c) = self.var_size(p);
                Value::zeros(r, c)
            }
        };
        if v.iter().any(|x| !x.is_finite()) {
            return Err(crate::error::Error::new(
                crate::error::ErrorKind::Domain,
                "not finite",
            ));
        }
        Ok((v, env, big))
    }

    /// The points of a verdict: [`POINTS`] points where the gradient is defined.
    pub fn verdict_samples(&self) -> Vec<Sample> {
        let mut rng = Rng::new(SEED);
        let (mut out, mut noise) = (Vec::new(), Vec::new());
        for k in 0..POINTS * 8 {
            if out.len() == POINTS {
                break;
            }
            let sizes = if k % 2 == 0 { (2, 4) } else { (3, 5) };
            let p = random_sized(&self.scoped.joint, &mut rng, &|_| sizes);
            match self.sample(p) {
                Some(s) if s.informative() => out.push(s),
                Some(s) => noise.push(s),
                None => {}
            }
        }
        // Both sides below the rounding level everywhere: compare what there is.
        if out.len() < 2 {
            out.extend(noise.into_iter().take(POINTS - out.len()));
        }
        out
    }

    /// The smallest point found (sizes 1–3, values with one decimal) where the claim
    /// clearly differs: by more than 1e-6 of the largest intermediate.
    pub fn counterexample(&self) -> Option<Sample> {
        let dims = self.scoped.joint.dims();
        let mut rng = Rng::new(SEED ^ 0xC0);
        let mut tries = 0;
        for sizes in assignments(dims.len(), 3) {
            let map: HashMap<Symbol, usize> = dims.iter().copied().zip(sizes).collect();
            for _ in 0..2 {
                tries += 1;
                if tries > 200 {
                    return None;
                }
                let p = round(random_sized(&self.scoped.joint, &mut rng, &|d| {
                    let n = map.get(&d).copied().unwrap_or(1);
                    (n, n)
                }));
                if let Some(s) = self.sample(p)
                    && s.claimed
                        .as_ref()
                        .is_ok_and(|c| !close(c, &s.expected, s.scale, 1e-6))
                {
                    return Some(s);
                }
            }
        }
        None
    }
}

/// Every assignment of sizes 1..=max to `n` dimensions, smallest first (by largest, then sum).
fn assignments(n: usize, max: usize) -> Vec<Vec<usize>> {
    let mut all: Vec<Vec<usize>> = vec![vec![]];
    for _ in 0..n.min(6) {
        all = all
            .into_iter()
            .flat_map(|v| {
                (1..=max).map(move |k| {
                    let mut w = v.clone();
                    w.push(k);
                    w
                })
            })
            .collect();
    }
    for v in &mut all {
        v.resize(n, 1);
    }
    all.sort_by_key(|v| {
        (
            v.iter().copied().max().unwrap_or(0),
            v.iter().sum::<usize>(),
            v.clone(),
        )
    });
    all
}

/// A random point with the size of each symbolic dimension drawn from `sizes(dim)`.
pub fn random_sized(
    model: &Model,
    rng: &mut Rng,
    sizes: &dyn Fn(Symbol) -> (usize, usize),
) -> Point {
    let mut point = Point::default();
    for d in model.dims() {
        let (lo, hi) = sizes(d);
        point.dims.insert(d, rng.range(lo, hi));
    }
    let doms = domains(model);
    for input in &model.inputs {
        let size = |d: &Dim| point.size(d).unwrap_or(1);
        let (r, c) = (size(&input.shape.rows), size(&input.shape.cols));
        let sym = Symbol::from(input.name.as_str());
        let dom = doms.get(&sym).copied().unwrap_or(Domain::General);
        let v = draw(rng, r, c, dom);
        point.values.insert(sym, v);
    }
    point
}

/// The point with every value rounded to one decimal (symmetric values stay symmetric;
/// SPD values of size ≤ 3 stay SPD: rounding moves an eigenvalue by at most 0.15 and
/// the samples' are at least 1).
fn round(mut p: Point) -> Point {
    for v in p.values.values_mut() {
        *v = v.map(|x| (x * 10.0).round() / 10.0);
    }
    p
}

/// The constant λ with `d = λ·t` at every sample, if there is one. `pairs` holds
/// (d, t, scale) per point; a point where t vanishes must have d vanish too.
pub fn ratio(pairs: &[(Value, Value, f64)]) -> Option<f64> {
    let mut found: Vec<f64> = Vec::new();
    for (d, t, scale) in pairs {
        if d.shape() != t.shape() {
            return None;
        }
        let tt = t.dot(t);
        if t.amax() <= TOL * scale {
            if d.amax() > TOL * scale {
                return None;
            }
            continue;
        }
        let l = d.dot(t) / tt;
        if !l.is_finite() || (d - t * l).amax() > TOL * 10.0 * scale.max(l.abs() * scale) {
            return None;
        }
        found.push(l);
    }
    let first = *found.first()?;
    if found.len() < 2 {
        return None;
    }
    found
        .iter()
        .all(|l| (l - first).abs() <= RATIO_TOL * first.abs().max(1.0))
        .then_some(first)
}
