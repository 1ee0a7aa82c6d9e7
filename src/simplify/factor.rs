//! Common factors out of sums. Each term of a linear combination
//! ([`super::linear`]) is a number times scalar factors times matrix factors (in
//! order). Three kinds of factor come out of a sum of two or more terms, each only
//! where every term has it:
//!
//! - scalar factors, read as powers of atoms (a scalar name, or any other scalar
//!   value such as xᵀAx or ‖x‖): an atom whose power has the same sign in every term
//!   is taken out to the smallest of those powers, so (1/s)Aᵀx − 2(c/s²)x + (1/s)Ax
//!   is (Aᵀx − 2(c/s)x + Ax)/s and αA + α²B is α(A + αB);
//! - the same first matrix factor, on the left: AB + AC + AD = A(B + C + D);
//! - the same last matrix factor, on the right: BA + CA + DA = (B + C + D)A, and
//!   within some of the terms: Ax + Aᵀx − 2cx = (A + Aᵀ)x − 2cx.
//!
//! Matrix factors come out of sums of three terms or more only: two terms meet the
//! factoring rules of rules/sums.rules as they are.
//!
//! Scalars commute with everything, matrices do not: a scalar factor is split into
//! atoms only through products, quotients, powers and negations of values that are
//! themselves scalars (a 1×1 product xᵀAx is one atom, never xᵀ, A and x apart), and
//! a matrix factor comes out only on its own side, and only while every term keeps
//! a matrix factor to carry its shape. The factored sum is one more writing of the
//! result that the simplifier may extract where it is shorter.

use std::collections::BTreeMap;

use egg::{Id, Symbol};

use super::cse::Tree;
use super::linear::Term;
use crate::ir::Math;
use crate::rational::Rational;

/// Powers of scalar atoms (never zero).
type Powers = BTreeMap<Tree, i32>;

/// The largest exponent of a power read as repeated factors.
const MAX_EXPONENT: i128 = 8;

/// A sum with common factors taken out:
/// `numerator · left · (Σ terms) · right / denominator`.
#[derive(Debug)]
pub(super) struct Factored {
    /// The terms with the common factors divided out.
    pub(super) terms: Vec<(Rational, Term)>,
    left: Vec<Tree>,
    right: Vec<Tree>,
    numerator: Option<Tree>,
    denominator: Option<Tree>,
}

impl Factored {
    /// The factors put back around the sum of the inner terms.
    pub(super) fn around(&self, inner: Tree) -> Tree {
        let matrix = self
            .left
            .iter()
            .cloned()
            .chain(std::iter::once(inner))
            .chain(self.right.iter().cloned())
            .reduce(mul)
            .unwrap_or_else(|| num(Rational::ONE));
        let scaled = match &self.numerator {
            Some(p) => mul(p.clone(), matrix),
            None => matrix,
        };
        match &self.denominator {
            Some(d) => Tree::node(Math::Div([Id::from(0usize); 2]), vec![scaled, d.clone()]),
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
    let (mut inner, numerator, denominator) = match scalars_out(terms, scalar) {
        Some((inner, n, d)) => (inner, n, d),
        None => (terms.to_vec(), None, None),
    };
    // Two terms with a matrix factor in common are the rules' (`factor-left`,
    // `factor-right` in rules/sums.rules): they meet as they are, and a factor taken
    // out here would only break the sharing of the sum with other results.
    let (left, right, grouped) = if inner.len() >= 3 {
        let left = take(&mut inner, Side::Left);
        let right = take(&mut inner, Side::Right);
        let grouped = group(&mut inner, Side::Right) | group(&mut inner, Side::Left);
        (left, right, grouped)
    } else {
        (Vec::new(), Vec::new(), false)
    };
    let none = numerator.is_none() && denominator.is_none();
    if none && left.is_empty() && right.is_empty() && !grouped {
        return None;
    }
    inner.iter_mut().for_each(|(_, t)| divide(t));
    Some(Factored {
        terms: inner,
        left,
        right,
        numerator,
        denominator,
    })
}

#[derive(Clone, Copy)]
enum Side {
    Left,
    Right,
}

/// The matrix factors every term has first (or last), taken out of each term while
/// each keeps another factor.
fn take(terms: &mut [(Rational, Term)], side: Side) -> Vec<Tree> {
    let mut out = Vec::new();
    loop {
        let end = |t: &Term| match side {
            Side::Left => t.factors.first().cloned(),
            Side::Right => t.factors.last().cloned(),
        };
        let Some(f) = terms.first().and_then(|(_, t)| end(t)) else {
            break;
        };
        let shared = terms
            .iter()
            .all(|(_, t)| t.factors.len() >= 2 && end(t).as_ref() == Some(&f));
        // An identity is no factor worth taking out (and `Term::times` drops it).
        if !shared || matches!(f.op, Math::Eye(_)) {
            break;
        }
        for (_, t) in terms.iter_mut() {
            match side {
                Side::Left => t.factors.remove(0),
                Side::Right => t.factors.pop().unwrap_or_else(|| f.clone()),
            };
        }
        out.push(f);
    }
    if matches!(side, Side::Right) {
        out.reverse();
    }
    out
}

/// Terms that share their last (or first) matrix factor, each with another one,
/// gathered into one term where two or more do: Ax + Aᵀx − 2cx is (A + Aᵀ)x − 2cx.
/// The gathered term stands where the first of its terms stood. True when some were.
fn group(terms: &mut Vec<(Rational, Term)>, side: Side) -> bool {
    let end = |t: &Term| -> Option<Tree> {
        if t.factors.len() < 2 {
            return None;
        }
        match side {
            Side::Left => t.factors.first().cloned(),
            Side::Right => t.factors.last().cloned(),
        }
    };
    let mut out: Vec<(Rational, Term)> = Vec::with_capacity(terms.len());
    let mut grouped = false;
    let mut done = vec![false; terms.len()];
    for i in 0..terms.len() {
        if done[i] {
            continue;
        }
        let f = end(&terms[i].1);
        let members: Vec<usize> = match &f {
            Some(f) if !matches!(f.op, Math::Eye(_)) => (i..terms.len())
                .filter(|j| !done[*j] && end(&terms[*j].1).as_ref() == Some(f))
                .collect(),
            _ => vec![i],
        };
        let (Some(f), true) = (f, members.len() >= 2) else {
            done[i] = true;
            out.push(terms[i].clone());
            continue;
        };
        let rest: Vec<(Rational, Term)> = members
            .iter()
            .map(|j| {
                done[*j] = true;
                let (c, mut t) = terms[*j].clone();
                match side {
                    Side::Left => drop(t.factors.remove(0)),
                    Side::Right => drop(t.factors.pop()),
                }
                (c, t)
            })
            .collect();
        let Some(sum) = super::linear::sum_of(rest) else {
            members.iter().for_each(|j| out.push(terms[*j].clone()));
            continue;
        };
        let factors = match side {
            Side::Left => vec![f, sum],
            Side::Right => vec![sum, f],
        };
        grouped = true;
        let scalars = Vec::new();
        out.push((Rational::ONE, Term { scalars, factors }));
    }
    *terms = out;
    grouped
}

/// A term whose scalar factor is a reciprocal 1/d written as a quotient: P/γ, not
/// (1/γ)P.
fn divide(t: &mut Term) {
    let [one_over] = t.scalars.as_slice() else {
        return;
    };
    let (Math::Div(_), [n, d]) = (&one_over.op, one_over.kids.as_slice()) else {
        return;
    };
    if t.factors.is_empty() || number(n) != Some(Rational::ONE) {
        return;
    }
    let d = d.clone();
    let matrix = Term {
        scalars: Vec::new(),
        factors: std::mem::take(&mut t.factors),
    }
    .tree();
    t.scalars.clear();
    t.factors = vec![Tree::node(
        Math::Div([Id::from(0usize); 2]),
        vec![matrix, d],
    )];
}

/// The atoms whose powers have one sign in every term taken out: the inner terms,
/// and the numerator and denominator taken out (`None` when there is none).
#[allow(clippy::type_complexity)]
fn scalars_out(
    terms: &[(Rational, Term)],
    scalar: &dyn Fn(Symbol) -> bool,
) -> Option<(Vec<(Rational, Term)>, Option<Tree>, Option<Tree>)> {
    let read: Vec<(Rational, Powers)> = terms
        .iter()
        .map(|(c, t)| split(*c, &t.scalars, scalar))
        .collect::<Option<_>>()?;
    let mut atoms: Vec<&Tree> = read.iter().flat_map(|(_, p)| p.keys()).collect();
    atoms.sort();
    atoms.dedup();
    let mut out = Powers::new();
    for a in atoms {
        let powers: Vec<i32> = read
            .iter()
            .map(|(_, p)| p.get(a).copied().unwrap_or(0))
            .collect();
        let take = if powers.iter().all(|p| *p > 0) {
            powers.iter().copied().min()
        } else if powers.iter().all(|p| *p < 0) {
            powers.iter().copied().max()
        } else {
            None
        };
        if let Some(k) = take {
            out.insert(a.clone(), k);
        }
    }
    if out.is_empty() {
        return None;
    }
    let inner = read
        .into_iter()
        .zip(terms)
        .map(|((c, mut p), (_, t))| {
            for (a, k) in &out {
                let e = p.entry(a.clone()).or_insert(0);
                *e -= k;
                if *e == 0 {
                    p.remove(a);
                }
            }
            let term = Term {
                scalars: monomial(&p).into_iter().collect(),
                factors: t.factors.clone(),
            };
            (c, term)
        })
        .collect();
    let (positive, negative) = signs(&out);
    Some((inner, product(&positive), product(&negative)))
}

/// A term's scalar factors as its coefficient times powers of atoms (`None` when
/// the coefficient overflows or a power is not a small integer).
fn split(c: Rational, scalars: &[Tree], scalar: &dyn Fn(Symbol) -> bool) -> Option<Read> {
    scalars
        .iter()
        .try_fold((c, Powers::new()), |acc, f| join(acc, read(f, 1, scalar)?))
}

/// A number and powers of atoms.
type Read = (Rational, Powers);

/// A scalar tree (never a matrix) raised to `sign`, as a number times powers of atoms: numbers,
/// negations, products and quotients of scalars and integer powers are read; any
/// other scalar (a name, xᵀAx, tr(A), ‖x‖, a sum) is an atom.
fn read(t: &Tree, sign: i32, scalar: &dyn Fn(Symbol) -> bool) -> Option<Read> {
    let go = |t: &Tree, sign: i32| read(t, sign, scalar);
    let is_scalar = |t: &Tree| scalar_tree(t, scalar);
    match (&t.op, t.kids.as_slice()) {
        (Math::Num(r), []) if *r != Rational::ZERO => Some((r.powi(sign)?, Powers::new())),
        // −a and a/b have a's shape (b is a scalar), and a^k is of scalars only: the
        // parts of a scalar. A product's factors need not be (a row times a column).
        (Math::Neg(_), [a]) => go(a, sign).map(|(k, p)| (k.neg(), p)),
        (Math::Mul(_), [a, b]) if is_scalar(a) && is_scalar(b) => join(go(a, sign)?, go(b, sign)?),
        (Math::Div(_), [a, b]) => join(go(a, sign)?, go(b, sign.checked_neg()?)?),
        // The exponent a number, or a product of numbers (2·1, as the linear pass
        // writes a constant).
        (Math::Pow(_), [a, k]) => match number(k) {
            Some(r) if r.is_integer() && r.numer().abs() <= MAX_EXPONENT => {
                let e = i32::try_from(r.numer()).ok()?;
                go(a, sign.checked_mul(e)?)
            }
            _ => Some((Rational::ONE, Powers::from([(t.clone(), sign)]))),
        },
        _ => Some((Rational::ONE, Powers::from([(t.clone(), sign)]))),
    }
}

/// The value of a tree of numbers: products, quotients and negations of numbers.
fn number(t: &Tree) -> Option<Rational> {
    match (&t.op, t.kids.as_slice()) {
        (Math::Num(r), []) => Some(*r),
        (Math::Neg(_), [a]) => Some(number(a)?.neg()),
        (Math::Mul(_), [a, b]) => number(a)?.mul(number(b)?),
        (Math::Div(_), [a, b]) => number(a)?.mul(number(b)?.powi(-1)?),
        _ => None,
    }
}

/// True when `t` is known to be a scalar from its operation and leaves alone (false
/// when unsure: a product of a row and a column is 1×1, its factors are not).
fn scalar_tree(t: &Tree, scalar: &dyn Fn(Symbol) -> bool) -> bool {
    match &t.op {
        Math::Num(_) => true,
        Math::Var(s) => scalar(*s),
        Math::Trace(_)
        | Math::Det(_)
        | Math::LogDet(_)
        | Math::Norm2(_)
        | Math::Norm(_)
        | Math::Sum(_)
        | Math::LogSumExp(_) => true,
        Math::Neg(_)
        | Math::Mul(_)
        | Math::Div(_)
        | Math::Pow(_)
        | Math::Add(_)
        | Math::Fun(..) => t.kids.iter().all(|k| scalar_tree(k, scalar)),
        _ => false,
    }
}

fn join((a, p): Read, (b, q): Read) -> Option<Read> {
    let mut out = p;
    for (atom, e) in q {
        let x = out.entry(atom.clone()).or_insert(0);
        *x = x.checked_add(e)?;
        if *x == 0 {
            out.remove(&atom);
        }
    }
    Some((a.mul(b)?, out))
}

/// The atoms with positive powers, and those with negative powers (made positive).
fn signs(p: &Powers) -> (Powers, Powers) {
    let positive = p
        .iter()
        .filter(|(_, k)| **k > 0)
        .map(|(s, k)| (s.clone(), *k))
        .collect();
    let negative = p
        .iter()
        .filter(|(_, k)| **k < 0)
        .map(|(s, k)| (s.clone(), -*k))
        .collect();
    (positive, negative)
}

/// The scalar factor a monomial stands for: c, s², c/s, 1/s (none for no atoms).
fn monomial(p: &Powers) -> Option<Tree> {
    let (positive, negative) = signs(p);
    match (product(&positive), product(&negative)) {
        (None, None) => None,
        (Some(n), None) => Some(n),
        (n, Some(d)) => {
            let n = n.unwrap_or_else(|| num(Rational::ONE));
            Some(Tree::node(Math::Div([Id::from(0usize); 2]), vec![n, d]))
        }
    }
}

/// The product of atoms to positive powers (none for no atoms).
fn product(p: &Powers) -> Option<Tree> {
    p.iter()
        .map(|(a, k)| {
            if *k == 1 {
                a.clone()
            } else {
                let k = num(Rational::int(i64::from(*k)));
                Tree::node(Math::Pow([Id::from(0usize); 2]), vec![a.clone(), k])
            }
        })
        .reduce(mul)
}

fn mul(a: Tree, b: Tree) -> Tree {
    Tree::node(Math::Mul([Id::from(0usize); 2]), vec![a, b])
}

fn num(r: Rational) -> Tree {
    Tree::node(Math::Num(r), Vec::new())
}
