//! Scalar monomials: a rational coefficient times scalar symbols to integer
//! powers. They fold scalar coefficients (`−D/2 · 2α = −αD`) without
//! commutativity rules: the analysis adds the canonical term of a class's
//! monomial and unions it with the class.

use std::collections::BTreeMap;

use egg::{Id, Symbol};

use super::analysis::MathEGraph;
use crate::ir::{Math, Shape};
use crate::names::is_greek;
use crate::rational::Rational;

/// A scalar monomial: a rational coefficient times scalar symbols to integer powers.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Mono {
    /// The coefficient.
    pub coef: Rational,
    /// Powers by symbol (never zero).
    pub powers: BTreeMap<Symbol, i32>,
}

impl Mono {
    fn constant(c: Rational) -> Mono {
        Mono {
            coef: c,
            powers: BTreeMap::new(),
        }
    }
    fn mul(&self, o: &Mono) -> Option<Mono> {
        let mut powers = self.powers.clone();
        for (s, p) in &o.powers {
            let e = powers.entry(*s).or_insert(0);
            *e = e.checked_add(*p)?;
            if *e == 0 {
                powers.remove(s);
            }
        }
        let coef = self.coef.mul(o.coef)?;
        if coef == Rational::ZERO {
            return Some(Mono::constant(Rational::ZERO));
        }
        Some(Mono { coef, powers })
    }
    fn powi(&self, k: i32) -> Option<Mono> {
        if k.unsigned_abs() > 8 {
            return None;
        }
        let mut powers = BTreeMap::new();
        for (s, p) in &self.powers {
            powers.insert(*s, p.checked_mul(k)?);
        }
        Some(Mono {
            coef: self.coef.powi(k)?,
            powers,
        })
    }
}

pub(super) fn mono_of(eg: &MathEGraph, node: &Math, shape: &Option<Shape>) -> Option<Mono> {
    if !shape.as_ref().is_some_and(Shape::is_scalar) {
        return None;
    }
    let m = |id: &Id| eg[*id].data.mono.clone();
    match node {
        Math::Num(r) => Some(Mono::constant(*r)),
        Math::Var(s) => Some(Mono {
            coef: Rational::ONE,
            powers: BTreeMap::from([(*s, 1)]),
        }),
        Math::Neg(a) => m(a).map(|x| Mono {
            coef: x.coef.neg(),
            ..x
        }),
        Math::Transpose(a) | Math::Trace(a) => m(a),
        Math::Mul([a, b]) | Math::Hadamard([a, b]) => m(a)?.mul(&m(b)?),
        Math::Div([a, b]) | Math::EDiv([a, b]) => {
            let d = m(b)?;
            if d.coef == Rational::ZERO {
                return None;
            }
            m(a)?.mul(&d.powi(-1)?)
        }
        Math::Pow([a, k]) | Math::EPow([a, k]) => {
            let k = m(k)?;
            if !k.powers.is_empty() || !k.coef.is_integer() {
                return None;
            }
            m(a)?.powi(i32::try_from(k.coef.numer()).ok()?)
        }
        Math::Add([a, b]) => {
            let (x, y) = (m(a)?, m(b)?);
            if x.coef == Rational::ZERO {
                return Some(y);
            }
            if y.coef == Rational::ZERO {
                return Some(x);
            }
            if x.powers != y.powers {
                return None;
            }
            let coef = x.coef.add(y.coef)?;
            Some(if coef == Rational::ZERO {
                Mono::constant(coef)
            } else {
                Mono {
                    coef,
                    powers: x.powers,
                }
            })
        }
        _ => None,
    }
}

/// Symbols ordered as people write coefficients: Greek letters first, then by name.
fn order(s: &Symbol) -> (bool, String) {
    (!is_greek(s.as_str()), s.as_str().to_string())
}

/// Adds the canonical term of a monomial: `c`, `−(αD)`, `D/(2β²)`.
pub(super) fn canonical(eg: &mut MathEGraph, m: &Mono) -> Option<Id> {
    let mut syms: Vec<(&Symbol, &i32)> = m.powers.iter().collect();
    syms.sort_by_key(|(s, _)| order(s));
    let abs = if m.coef.numer() < 0 {
        m.coef.neg()
    } else {
        m.coef
    };
    if syms.is_empty() {
        return Some(eg.add(Math::Num(m.coef)));
    }
    let factor = |eg: &mut MathEGraph, s: Symbol, p: i32| {
        let v = eg.add(Math::Var(s));
        if p == 1 {
            v
        } else {
            let k = eg.add(Math::Num(Rational::int(p as i64)));
            eg.add(Math::Pow([v, k]))
        }
    };
    let product = |eg: &mut MathEGraph, first: Option<Id>, fs: Vec<Id>| -> Option<Id> {
        let mut acc = first;
        for f in fs {
            acc = Some(match acc {
                None => f,
                Some(a) => eg.add(Math::Mul([a, f])),
            });
        }
        acc
    };
    let num_c = (abs.numer() != 1).then(|| {
        eg.add(Math::Num(
            Rational::new(abs.numer(), 1).unwrap_or(Rational::ONE),
        ))
    });
    let den_c = (abs.denom() != 1).then(|| {
        eg.add(Math::Num(
            Rational::new(abs.denom(), 1).unwrap_or(Rational::ONE),
        ))
    });
    let ups: Vec<Id> = syms
        .iter()
        .filter(|(_, p)| **p > 0)
        .map(|(s, p)| factor(eg, **s, **p))
        .collect();
    let downs: Vec<Id> = syms
        .iter()
        .filter(|(_, p)| **p < 0)
        .map(|(s, p)| factor(eg, **s, -**p))
        .collect();
    let top = match product(eg, num_c, ups) {
        Some(t) => t,
        None => eg.add(Math::Num(Rational::ONE)),
    };
    let term = match product(eg, den_c, downs) {
        Some(d) => eg.add(Math::Div([top, d])),
        None => top,
    };
    Some(if m.coef.numer() < 0 {
        eg.add(Math::Neg(term))
    } else {
        term
    })
}
