//! The commutative part of the language as rational functions. Scalars, and arrays
//! under the entrywise operations (`+ − ∘ ⊘`, scaling by a scalar, integer powers),
//! form a commutative ring, where every expression has a normal form: a quotient
//! of polynomials in its atoms (the other subexpressions). This pass writes each
//! maximal such subexpression in that form, with the denominator's factors that
//! divide the numerator cancelled, so that `(k − 1) ∘ (y + k ∘ (y − 1) ⊘ (1 − k))`
//! meets `k − y` by arithmetic. The simplifier unions a normal form with its
//! subexpression when it is smaller; extraction decides.

use std::collections::HashMap;

use egg::{Id, Language, RecExpr, Symbol};

use super::cse::Tree;
use super::poly::{Poly, Ratio};
use crate::ir::{Graph, Math, Shape};
use crate::rational::Rational;

/// Equalities (subexpression, its smaller normal form) for the rational parts of `expr`.
/// `given` are known equalities `name = expression` (helper definitions, sign
/// twins): a name whose expression is rational is expanded, so that u = 1 − k and
/// k − 1 meet.
pub fn equalities(
    expr: &RecExpr<Math>,
    shapes: &HashMap<Symbol, Shape>,
    given: &[(RecExpr<Math>, RecExpr<Math>)],
) -> Vec<(RecExpr<Math>, RecExpr<Math>)> {
    let mut g = crate::ops::graph(shapes.clone());
    let Some(last) = expr.as_ref().len().checked_sub(1) else {
        return Vec::new();
    };
    let Ok(root) = g.import(expr, Id::from(last)) else {
        return Vec::new();
    };
    let defs = definitions(&mut g, given);
    let mut pass = Pass {
        g: &g,
        defs,
        out: Vec::new(),
    };
    pass.visit(root, false);
    pass.out
}

/// The given equalities `name = e` with a rational `e`, imported into `g`.
fn definitions(g: &mut Graph, given: &[(RecExpr<Math>, RecExpr<Math>)]) -> HashMap<Symbol, Id> {
    let mut out = HashMap::new();
    for (lhs, rhs) in given {
        let (Some(Math::Var(s)), Some(top)) = (lhs.as_ref().last(), rhs.as_ref().last()) else {
            continue;
        };
        let rational = matches!(
            top,
            Math::Add(_) | Math::Neg(_) | Math::Hadamard(_) | Math::EDiv(_)
        );
        if !rational || !g.vars.contains_key(s) {
            continue;
        }
        if let Ok(id) = g.import(rhs, Id::from(rhs.as_ref().len() - 1)) {
            out.insert(*s, id);
        }
    }
    out
}

/// How deep names are expanded through their definitions.
const MAX_DEPTH: usize = 6;

struct Pass<'a> {
    g: &'a Graph,
    defs: HashMap<Symbol, Id>,
    out: Vec<(RecExpr<Math>, RecExpr<Math>)>,
}

/// Atoms of one region: their trees (first appearance order) and whether each is a scalar.
#[derive(Default)]
struct Atoms {
    index: HashMap<Tree, usize>,
    trees: Vec<(Tree, bool)>,
}

impl Pass<'_> {
    /// True for the operations of the commutative algebra.
    fn rational_op(&self, id: Id) -> bool {
        let g = self.g;
        let scalar = |c: &Id| g.shape(*c).is_scalar();
        match g.node(id) {
            Math::Add(_) | Math::Neg(_) | Math::Hadamard(_) | Math::EDiv(_) | Math::Div(_) => true,
            Math::Mul([a, b]) => scalar(a) || scalar(b),
            Math::Pow([_, k]) | Math::EPow([_, k]) => {
                matches!(g.node(*k), Math::Num(r) if r.is_integer())
            }
            _ => false,
        }
    }

    fn visit(&mut self, id: Id, inside: bool) {
        if self.rational_op(id) {
            if !inside {
                self.region(id);
            }
            for c in self.g.node(id).children() {
                self.visit(*c, true);
            }
        } else {
            for c in self.g.node(id).children() {
                self.visit(*c, false);
            }
        }
    }

    fn region(&mut self, id: Id) {
        let mut atoms = Atoms::default();
        let Some(r) = self.ratio(id, &mut atoms, 0) else {
            return;
        };
        let scalar = self.g.shape(id).is_scalar();
        let Some((t, t_scalar)) = build(&r, &atoms) else {
            return;
        };
        if t_scalar != scalar {
            return;
        }
        let orig = Tree::from_expr(&self.g.expr, id);
        if size(&t) < size(&orig) {
            self.out.push((orig.to_expr(), t.to_expr()));
        }
    }

    fn ratio(&self, id: Id, atoms: &mut Atoms, depth: usize) -> Option<Ratio> {
        if !self.rational_op(id) {
            if let Math::Num(r) = self.g.node(id) {
                return Some(Ratio::poly(Poly::constant(*r)));
            }
            if let Math::Var(s) = self.g.node(id)
                && let Some(&d) = self.defs.get(s)
                && depth < MAX_DEPTH
            {
                return self.ratio(d, atoms, depth + 1);
            }
            let t = Tree::from_expr(&self.g.expr, id);
            let n = atoms.trees.len();
            let v = *atoms.index.entry(t.clone()).or_insert(n);
            if v == n {
                atoms.trees.push((t, self.g.shape(id).is_scalar()));
            }
            return Some(Ratio::poly(Poly::atom(v)));
        }
        let mut r = |c: &Id| self.ratio(*c, atoms, depth);
        match self.g.node(id) {
            Math::Add([a, b]) => r(a)?.add(&r(b)?),
            Math::Neg(a) => Some(r(a)?.neg()),
            Math::Hadamard([a, b]) | Math::Mul([a, b]) => r(a)?.mul(&r(b)?),
            Math::EDiv([a, b]) | Math::Div([a, b]) => r(a)?.div(&r(b)?),
            Math::Pow([a, k]) | Math::EPow([a, k]) => match self.g.node(*k) {
                Math::Num(q) => r(a)?.powi(i32::try_from(q.numer()).ok()?),
                _ => None,
            },
            _ => None,
        }
    }
}

fn size(t: &Tree) -> usize {
    1 + t.kids.iter().map(size).sum::<usize>()
}

fn zero() -> Id {
    Id::from(0usize)
}

fn num(r: Rational) -> (Tree, bool) {
    (Tree::node(Math::Num(r), Vec::new()), true)
}

/// The product of two built factors: a scaling when one is a scalar (scalar first).
fn times(a: (Tree, bool), b: (Tree, bool)) -> (Tree, bool) {
    match (a.1, b.1) {
        (_, true) if !a.1 => (Tree::node(Math::Mul([zero(); 2]), vec![b.0, a.0]), false),
        (true, _) => (Tree::node(Math::Mul([zero(); 2]), vec![a.0, b.0]), b.1),
        _ => (
            Tree::node(Math::Hadamard([zero(); 2]), vec![a.0, b.0]),
            false,
        ),
    }
}

fn poly_tree(p: &Poly, atoms: &Atoms) -> Option<(Tree, bool)> {
    let mut sum: Option<(Tree, bool)> = None;
    for (m, c) in &p.terms {
        let negative = c.numer() < 0;
        let abs = if negative { c.neg() } else { *c };
        let mut term: Option<(Tree, bool)> = None;
        for (v, e) in m {
            let (t, s) = atoms.trees.get(*v)?.clone();
            let f = if *e == 1 {
                (t, s)
            } else {
                let k = Tree::node(Math::Num(Rational::int(i64::from(*e))), Vec::new());
                let op = if s {
                    Math::Pow([zero(); 2])
                } else {
                    Math::EPow([zero(); 2])
                };
                (Tree::node(op, vec![t, k]), s)
            };
            term = Some(match term {
                None => f,
                Some(acc) => times(acc, f),
            });
        }
        let term = match term {
            None => num(abs),
            Some(t) if abs == Rational::ONE => t,
            Some(t) => times(num(abs), t),
        };
        sum = Some(match (sum, negative) {
            (None, false) => term,
            (None, true) => (Tree::node(Math::Neg(zero()), vec![term.0]), term.1),
            (Some(s), neg) => {
                let t = if neg {
                    Tree::node(Math::Neg(zero()), vec![term.0])
                } else {
                    term.0
                };
                (
                    Tree::node(Math::Add([zero(); 2]), vec![s.0, t]),
                    s.1 && term.1,
                )
            }
        });
    }
    Some(sum.unwrap_or_else(|| num(Rational::ZERO)))
}

/// The tree of a quotient, and whether it is a scalar.
fn build(r: &Ratio, atoms: &Atoms) -> Option<(Tree, bool)> {
    let n = poly_tree(&r.num, atoms)?;
    let mut den: Option<(Tree, bool)> = None;
    for f in &r.den {
        let t = poly_tree(f, atoms)?;
        den = Some(match den {
            None => t,
            Some(d) => times(d, t),
        });
    }
    Some(match den {
        None => n,
        Some(d) if d.1 => (Tree::node(Math::Div([zero(); 2]), vec![n.0, d.0]), n.1),
        Some(d) => (Tree::node(Math::EDiv([zero(); 2]), vec![n.0, d.0]), false),
    })
}

/// The normal form of one expression (for the property test): `None` if `expr`
/// is not rational at its root or the arithmetic overflows.
pub fn normal_form(expr: &RecExpr<Math>, shapes: &HashMap<Symbol, Shape>) -> Option<RecExpr<Math>> {
    let mut g = crate::ops::graph(shapes.clone());
    let root = g
        .import(expr, Id::from(expr.as_ref().len().checked_sub(1)?))
        .ok()?;
    let pass = Pass {
        g: &g,
        defs: HashMap::new(),
        out: Vec::new(),
    };
    let mut atoms = Atoms::default();
    let r = pass.ratio(root, &mut atoms, 0)?;
    let (t, scalar) = build(&r, &atoms)?;
    // x − x is the number 0, not a zero vector: no normal form keeps that shape.
    (scalar == g.shape(root).is_scalar()).then(|| t.to_expr())
}
