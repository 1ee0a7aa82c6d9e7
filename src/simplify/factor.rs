//! Common factors out of sums. Each term of a linear combination
//! ([`super::linear`]) has scalar factors; those that are powers of scalar names
//! (s, 1/s², c/s) are read as one monomial per term. A name whose power has the same
//! sign in every term is taken out to the smallest of those powers:
//! (1/s)Aᵀx − 2(c/s²)x + (1/s)Ax = (Aᵀx − 2(c/s)x + Ax)/s, and αA + α²B = α(A + αB).
//! The factored sum is one more writing the simplifier may extract where it is shorter.

use std::collections::BTreeMap;

use egg::{Id, Symbol};

use super::cse::Tree;
use super::linear::Term;
use crate::ir::Math;
use crate::rational::Rational;

/// Powers of scalar names (never zero).
type Powers = BTreeMap<Symbol, i32>;

/// A sum with common factors taken out: `numerator · (Σ terms) / denominator`.
pub(super) struct Factored {
    /// The terms with the common factors divided out.
    pub(super) terms: Vec<(Rational, Term)>,
    numerator: Option<Tree>,
    denominator: Option<Tree>,
}

impl Factored {
    /// The factors put back around the sum of the inner terms.
    pub(super) fn around(&self, inner: Tree) -> Tree {
        let zero = Id::from(0);
        let scaled = match &self.numerator {
            Some(p) => Tree::node(Math::Mul([zero, zero]), vec![p.clone(), inner]),
            None => inner,
        };
        match &self.denominator {
            Some(d) => Tree::node(Math::Div([zero, zero]), vec![scaled, d.clone()]),
            None => scaled,
        }
    }
}

/// The common factors of two or more terms, if any; `scalar` tells the names that
/// are scalars.
pub(super) fn common(
    terms: &[(Rational, Term)],
    scalar: &dyn Fn(Symbol) -> bool,
) -> Option<Factored> {
    if terms.len() < 2 {
        return None;
    }
    // Each term: its coefficient, monomial, and the scalar factors that are not powers.
    let read: Vec<(Rational, Powers, Vec<Tree>)> = terms
        .iter()
        .map(|(c, t)| split(*c, &t.scalars, scalar))
        .collect::<Option<_>>()?;
    let mut names: Vec<Symbol> = read
        .iter()
        .flat_map(|(_, p, _)| p.keys().copied())
        .collect();
    names.sort();
    names.dedup();
    let mut out = Powers::new();
    for s in names {
        let powers: Vec<i32> = read
            .iter()
            .map(|(_, p, _)| p.get(&s).copied().unwrap_or(0))
            .collect();
        let take = if powers.iter().all(|p| *p > 0) {
            powers.iter().copied().min()
        } else if powers.iter().all(|p| *p < 0) {
            powers.iter().copied().max()
        } else {
            None
        };
        if let Some(k) = take {
            out.insert(s, k);
        }
    }
    if out.is_empty() {
        return None;
    }
    let inner = read
        .into_iter()
        .zip(terms)
        .map(|((c, mut p, mut rest), (_, t))| {
            for (s, k) in &out {
                let e = p.entry(*s).or_insert(0);
                *e -= k;
                if *e == 0 {
                    p.remove(s);
                }
            }
            rest.extend(monomial(&p));
            rest.sort();
            let term = Term {
                scalars: rest,
                factors: t.factors.clone(),
            };
            (c, term)
        })
        .collect();
    let positive: Powers = out
        .iter()
        .filter(|(_, k)| **k > 0)
        .map(|(s, k)| (*s, *k))
        .collect();
    let negative: Powers = out
        .iter()
        .filter(|(_, k)| **k < 0)
        .map(|(s, k)| (*s, -*k))
        .collect();
    Some(Factored {
        terms: inner,
        numerator: product(&positive),
        denominator: product(&negative),
    })
}

/// A term's scalar factors as its coefficient times a monomial times the factors
/// that are not powers of names (`None` when the coefficient overflows).
fn split(
    c: Rational,
    scalars: &[Tree],
    scalar: &dyn Fn(Symbol) -> bool,
) -> Option<(Rational, Powers, Vec<Tree>)> {
    let one = (c, Powers::new(), Vec::new());
    scalars
        .iter()
        .try_fold(one, |acc, f| join(acc, read(f, 1, scalar)?))
}

/// A scalar tree (raised to `sign`) as a number times powers of names times other
/// factors: names, numbers, products, quotients, integer powers and negations are
/// read, anything else is a factor (1/t for a divisor t).
fn read(t: &Tree, sign: i32, scalar: &dyn Fn(Symbol) -> bool) -> Option<Read> {
    let go = |t: &Tree, sign: i32| read(t, sign, scalar);
    let zero = Id::from(0);
    match (&t.op, t.kids.as_slice()) {
        (Math::Num(r), []) if *r != Rational::ZERO => {
            Some((r.powi(sign)?, Powers::new(), Vec::new()))
        }
        (Math::Var(s), []) if scalar(*s) => {
            Some((Rational::ONE, Powers::from([(*s, sign)]), Vec::new()))
        }
        (Math::Neg(_), [a]) => go(a, sign).map(|(k, p, r)| (k.neg(), p, r)),
        (Math::Mul(_), [a, b]) => join(go(a, sign)?, go(b, sign)?),
        (Math::Div(_), [a, b]) => join(go(a, sign)?, go(b, -sign)?),
        // The exponent a number, or a product of numbers (2·1, as the linear pass
        // writes a constant).
        (Math::Pow(_), [a, k]) => match go(k, 1)? {
            (r, p, rest)
                if p.is_empty() && rest.is_empty() && r.is_integer() && r.numer().abs() <= 8 =>
            {
                let e = sign.checked_mul(i32::try_from(r.numer()).ok()?)?;
                go(a, e)
            }
            _ => None,
        },
        _ if sign == 1 => Some((Rational::ONE, Powers::new(), vec![t.clone()])),
        _ if sign == -1 => {
            let one = Tree::node(Math::Num(Rational::ONE), vec![]);
            let recip = Tree::node(Math::Div([zero, zero]), vec![one, t.clone()]);
            Some((Rational::ONE, Powers::new(), vec![recip]))
        }
        _ => None,
    }
}

/// A number, powers of names, and other factors.
type Read = (Rational, Powers, Vec<Tree>);

fn join((a, p, mut r): Read, (b, q, s): Read) -> Option<Read> {
    let mut out = p;
    for (name, e) in q {
        let x = out.entry(name).or_insert(0);
        *x = x.checked_add(e)?;
        if *x == 0 {
            out.remove(&name);
        }
    }
    r.extend(s);
    Some((a.mul(b)?, out, r))
}

/// The scalar factor a monomial stands for: c, s², c/s, 1/s (none for no names).
fn monomial(p: &Powers) -> Option<Tree> {
    let positive: Powers = p
        .iter()
        .filter(|(_, k)| **k > 0)
        .map(|(s, k)| (*s, *k))
        .collect();
    let negative: Powers = p
        .iter()
        .filter(|(_, k)| **k < 0)
        .map(|(s, k)| (*s, -*k))
        .collect();
    let zero = Id::from(0);
    match (product(&positive), product(&negative)) {
        (None, None) => None,
        (Some(n), None) => Some(n),
        (n, Some(d)) => {
            let n = n.unwrap_or_else(|| Tree::node(Math::Num(Rational::ONE), vec![]));
            Some(Tree::node(Math::Div([zero, zero]), vec![n, d]))
        }
    }
}

/// The product of names to positive powers (none for no names).
fn product(p: &Powers) -> Option<Tree> {
    let zero = Id::from(0);
    p.iter()
        .map(|(s, k)| {
            let v = Tree::var(*s);
            if *k == 1 {
                v
            } else {
                let k = Tree::node(Math::Num(Rational::int(i64::from(*k))), vec![]);
                Tree::node(Math::Pow([zero, zero]), vec![v, k])
            }
        })
        .reduce(|a, b| Tree::node(Math::Mul([zero, zero]), vec![a, b]))
}
