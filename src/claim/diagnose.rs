//! Where a wrong claim goes wrong, as a TA would say it: a constant factor, a sign, a
//! transpose, symmetry assumed, a term missing, extra or with the wrong coefficient;
//! otherwise the smallest point found where the two differ.

use std::collections::{HashMap, HashSet};

use egg::Symbol;

use crate::ir::{Math, Shape};
use crate::ops::Value;
use crate::simplify::cse::Tree;
use crate::simplify::{Facts, linear};
use crate::syntax::ast::Structure;

use super::numbers::{Sample, Setup, TOL, close, eval_tree, ratio};

/// What is wrong with a claim whose shape is right.
#[derive(Debug, Clone, PartialEq)]
pub enum Finding {
    /// The claim cannot be evaluated where the gradient can.
    Undefined(String),
    /// claimed = c · correct.
    Factor(f64),
    /// claimed = c · s^k · correct for a scalar input s.
    ScalarFactor(f64, String, i32),
    /// claimed = correctᵀ.
    Transpose,
    /// Equal when these inputs are symmetric (which they are not declared to be).
    SymmetricOnly(Vec<String>),
    /// A term of the correct gradient appears with coefficient `has` (0: missing) instead of 1.
    ExpectedTerm(Tree, f64),
    /// A term of the claim should have coefficient `should` (0: extra) instead of 1.
    ClaimTerm(Tree, f64),
    /// None of the above.
    Differs,
}

/// Finds what is wrong, given the samples where the claim was compared.
pub fn diagnose(
    setup: &Setup,
    samples: &[Sample],
    expected_terms: &[Tree],
    expected_shapes: &HashMap<Symbol, Shape>,
    claim_terms: &[Tree],
    claim_shapes: &HashMap<Symbol, Shape>,
) -> Finding {
    if let Some(e) = samples.iter().find_map(|s| s.claimed.as_ref().err()) {
        return Finding::Undefined(e.clone());
    }
    let claimed: Vec<&Value> = samples
        .iter()
        .filter_map(|s| s.claimed.as_ref().ok())
        .collect();
    let pairs = |f: &dyn Fn(&Sample, &Value) -> (Value, Value)| -> Vec<(Value, Value, f64)> {
        samples
            .iter()
            .zip(&claimed)
            .map(|(s, c)| {
                let (a, b) = f(s, c);
                (a, b, s.scale)
            })
            .collect()
    };
    if let Some(c) = ratio(&pairs(&|s, c| (c.clone(), s.expected.clone()))) {
        return Finding::Factor(c);
    }
    if let Some(f) = scalar_factor(setup, samples, &claimed) {
        return f;
    }
    let transposed = samples
        .iter()
        .zip(&claimed)
        .all(|(s, c)| close(c, &s.expected.transpose(), s.scale, TOL));
    if transposed
        && samples
            .iter()
            .any(|s| !close(&s.expected, &s.expected.transpose(), s.scale, TOL))
    {
        return Finding::Transpose;
    }
    if let Some(names) = symmetric_only(setup, samples) {
        return Finding::SymmetricOnly(names);
    }
    let diff = |s: &Sample, c: &Value| c - &s.expected;
    if expected_terms.len() > 1 {
        for t in expected_terms {
            let Some(vals) = term_values(t, expected_shapes, samples, |s| &s.expected_env) else {
                continue;
            };
            let ps: Vec<_> = samples
                .iter()
                .zip(&claimed)
                .zip(vals)
                .map(|((s, c), v)| (diff(s, c), v, s.scale))
                .collect();
            if let Some(l) = ratio(&ps) {
                return Finding::ExpectedTerm(t.clone(), 1.0 + l);
            }
        }
    }
    if claim_terms.len() > 1 {
        for t in claim_terms {
            let Some(vals) = term_values(t, claim_shapes, samples, |s| &s.claim_env) else {
                continue;
            };
            let ps: Vec<_> = samples
                .iter()
                .zip(&claimed)
                .zip(vals)
                .map(|((s, c), v)| (diff(s, c), v, s.scale))
                .collect();
            if let Some(l) = ratio(&ps) {
                return Finding::ClaimTerm(t.clone(), 1.0 - l);
            }
        }
    }
    Finding::Differs
}

fn term_values(
    t: &Tree,
    shapes: &HashMap<Symbol, Shape>,
    samples: &[Sample],
    env: impl Fn(&Sample) -> &crate::numeric::Point,
) -> Option<Vec<Value>> {
    samples
        .iter()
        .map(|s| eval_tree(shapes, t, env(s)).ok().map(|(v, _)| v))
        .collect()
}

/// claimed = c·s^k·correct for one scalar input s and k = ±1, ±2.
fn scalar_factor(setup: &Setup, samples: &[Sample], claimed: &[&Value]) -> Option<Finding> {
    for input in &setup.scoped.joint.inputs {
        if !input.shape.is_scalar() {
            continue;
        }
        let sym = Symbol::from(input.name.as_str());
        for k in [1, -1, 2, -2] {
            let ps: Vec<_> = samples
                .iter()
                .zip(claimed)
                .map(|(s, c)| {
                    let x = s.point.values.get(&sym).map_or(1.0, |v| v[(0, 0)]);
                    (
                        (*c).clone(),
                        &s.expected * x.powi(k),
                        s.scale * x.abs().powi(k).max(1.0),
                    )
                })
                .collect();
            if let Some(c) = ratio(&ps) {
                return Some(Finding::ScalarFactor(c, input.name.clone(), k));
            }
        }
    }
    None
}

/// The smallest set of square inputs not declared symmetric (each alone, then all)
/// for which the claim is right once they are made symmetric.
fn symmetric_only(setup: &Setup, samples: &[Sample]) -> Option<Vec<String>> {
    let cands: Vec<String> = setup
        .scoped
        .joint
        .inputs
        .iter()
        .filter(|i| {
            i.structure == Structure::General && i.shape.is_square() && !i.shape.is_scalar()
        })
        .map(|i| i.name.clone())
        .collect();
    let mut sets: Vec<Vec<String>> = cands.iter().map(|c| vec![c.clone()]).collect();
    if cands.len() > 1 {
        sets.push(cands.clone());
    }
    sets.into_iter().find(|set| {
        samples.iter().all(|s| {
            let mut p = s.point.clone();
            for n in set {
                if let Some(v) = p.values.get_mut(&Symbol::from(n.as_str())) {
                    *v = (&*v + v.transpose()) * 0.5;
                }
            }
            setup.sample(p).is_some_and(|t| t.agrees())
        })
    })
}

/// The terms of an expression's linear combination (products distributed, like terms gathered).
pub fn terms(t: &Tree, facts: &HashMap<Symbol, Facts>) -> Vec<Tree> {
    let shapes: HashMap<Symbol, Shape> = facts.iter().map(|(s, f)| (*s, f.shape.clone())).collect();
    let symmetric: HashSet<Symbol> = facts
        .iter()
        .filter(|(_, f)| f.props.symmetric || f.shape.is_scalar())
        .map(|(s, _)| *s)
        .collect();
    let e = t.to_expr();
    let x = linear::expand(&e, &shapes, &symmetric).unwrap_or(e);
    let mut out = Vec::new();
    split(&Tree::from_root(&x), &mut out);
    out
}

fn split(t: &Tree, out: &mut Vec<Tree>) {
    if matches!(t.op, Math::Add(_)) {
        for k in &t.kids {
            split(k, out);
        }
    } else {
        out.push(t.clone());
    }
}
