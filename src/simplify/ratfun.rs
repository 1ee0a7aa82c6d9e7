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
    equalities_in(&mut g, root, expr, given)
}

/// [`equalities`] of `expr`, already imported into `g` as `root` (one graph serves
/// the passes of the polish).
pub fn equalities_in(
    g: &mut Graph,
    root: Id,
    expr: &RecExpr<Math>,
    given: &[(RecExpr<Math>, RecExpr<Math>)],
) -> Vec<(RecExpr<Math>, RecExpr<Math>)> {
    let known = definitions(g, &used(expr, given));
    let mut pass = Pass {
        g,
        known,
        budget: std::cell::Cell::new(0),
        diagonal_memo: HashMap::new(),
        out: Vec::new(),
    };
    pass.visit(root, false, false);
    pass.out
}

/// The given equalities `name = e` whose names `expr` uses, directly or through
/// other such names (a helper chain of a deep problem must not be imported whole for
/// each of its expressions).
fn used(
    expr: &RecExpr<Math>,
    given: &[(RecExpr<Math>, RecExpr<Math>)],
) -> Vec<(RecExpr<Math>, RecExpr<Math>)> {
    let by_name: HashMap<Symbol, &(RecExpr<Math>, RecExpr<Math>)> = given
        .iter()
        .filter_map(|eq| match eq.0.as_ref().last() {
            Some(Math::Var(s)) => Some((*s, eq)),
            _ => None,
        })
        .collect();
    let names = |e: &RecExpr<Math>| -> Vec<Symbol> {
        e.as_ref()
            .iter()
            .filter_map(|n| match n {
                Math::Var(s) => Some(*s),
                _ => None,
            })
            .collect()
    };
    let mut seen: std::collections::HashSet<Symbol> = std::collections::HashSet::new();
    let mut frontier = names(expr);
    let mut out = Vec::new();
    for _ in 0..=MAX_DEPTH {
        let mut next = Vec::new();
        for s in frontier {
            if let Some(eq) = by_name.get(&s)
                && seen.insert(s)
            {
                next.extend(names(&eq.1));
                out.push((*eq).clone());
            }
        }
        frontier = next;
    }
    out
}

/// The given equalities `name = e`, imported into `g`, by kind.
fn definitions(g: &mut Graph, given: &[(RecExpr<Math>, RecExpr<Math>)]) -> Known {
    let (mut out, mut others, mut roots) = (HashMap::new(), HashMap::new(), HashMap::new());
    for (lhs, rhs) in given {
        let (Some(Math::Var(s)), Some(top)) = (lhs.as_ref().last(), rhs.as_ref().last()) else {
            continue;
        };
        let rational = matches!(
            top,
            Math::Add(_) | Math::Neg(_) | Math::Hadamard(_) | Math::EDiv(_)
        );
        if !g.vars.contains_key(s) {
            continue;
        }
        if let Ok(id) = g.import(rhs, Id::from(rhs.as_ref().len() - 1)) {
            match g.node(id) {
                Math::Fun(_, e) if is_sqrt(top) => roots.insert(*s, *e),
                _ if rational => out.insert(*s, id),
                _ => others.insert(*s, id),
            };
        }
    }
    Known {
        rational: out,
        others,
        roots,
    }
}

/// What the given equalities say, by kind of definition.
#[derive(Default)]
struct Known {
    /// Names of rational expressions (expanded where they meet rational algebra).
    rational: HashMap<Symbol, Id>,
    /// Names of other expressions (expanded where they are diagonal among diagonals).
    others: HashMap<Symbol, Id>,
    /// Names of square roots, with their radicands.
    roots: HashMap<Symbol, Id>,
}

/// Whether `n` is a square root.
pub fn is_sqrt(n: &Math) -> bool {
    matches!(n, Math::Fun(f, _) if f.0.as_str() == "sqrt")
}

/// How many sums, products and names one diagonal region may have.
const DIAGONAL_BUDGET: usize = 64;

/// How deep names are expanded through their definitions.
const MAX_DEPTH: usize = 6;

struct Pass<'a> {
    g: &'a Graph,
    known: Known,
    /// Operations a diagonal region may still take apart (a long chain of diagonal
    /// products is left as it is).
    budget: std::cell::Cell<usize>,
    diagonal_memo: HashMap<Id, bool>,
    out: Vec<(RecExpr<Math>, RecExpr<Math>)>,
}

/// Atoms of one region: their trees (first appearance order) and whether each is a scalar.
#[derive(Default)]
struct Atoms {
    index: HashMap<Tree, usize>,
    trees: Vec<(Tree, bool)>,
    /// The atoms that are square roots, with their squares (the radicands).
    squares: HashMap<usize, Ratio>,
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

    fn visit(&mut self, id: Id, inside: bool, in_diagonal: bool) {
        crate::stack::deep(|| self.visit_deep(id, inside, in_diagonal))
    }

    fn visit_deep(&mut self, id: Id, inside: bool, in_diagonal: bool) {
        let diagonal = self.is_diagonal(id, 0);
        if diagonal
            && !in_diagonal
            && matches!(self.g.node(id), Math::Add(_) | Math::Neg(_) | Math::Mul(_))
        {
            self.diagonal_region(id);
        }
        let rational = self.rational_op(id);
        if rational && !inside {
            self.region(id);
        }
        for c in self.g.node(id).children() {
            self.visit(*c, rational, diagonal);
        }
    }

    /// Whether `id` is built of diagonal matrices by sums, products and scalings
    /// (remembered: a deep chain asks once per node).
    fn is_diagonal(&mut self, id: Id, depth: usize) -> bool {
        crate::stack::deep(|| self.is_diagonal_deep(id, depth))
    }

    fn is_diagonal_deep(&mut self, id: Id, depth: usize) -> bool {
        if let Some(b) = self.diagonal_memo.get(&id) {
            return *b;
        }
        let g = self.g;
        let scalar = |c: &Id| g.shape(*c).is_scalar();
        let b = match g.node(id) {
            Math::DiagM(_) | Math::Eye(_) => true,
            Math::Var(s) => match self.known.others.get(s) {
                Some(&d) if depth < MAX_DEPTH => self.is_diagonal(d, depth + 1),
                _ => false,
            },
            Math::Add([a, b]) => self.is_diagonal(*a, depth) && self.is_diagonal(*b, depth),
            Math::Neg(a) => self.is_diagonal(*a, depth),
            Math::Mul([a, b]) if scalar(a) => self.is_diagonal(*b, depth),
            Math::Mul([a, b]) if scalar(b) => self.is_diagonal(*a, depth),
            Math::Mul([a, b]) => self.is_diagonal(*a, depth) && self.is_diagonal(*b, depth),
            _ => false,
        };
        self.diagonal_memo.insert(id, b);
        b
    }

    /// A sum, product or scaling of diagonal matrices as one `diag(v)`, with `v` in
    /// its rational normal form (`diag(1 ⊘ s) − diag(1 ⊘ s)diag(x∘² ⊘ s∘²)` is
    /// `diag(1 ⊘ s∘³)` for s = sqrt(x∘² + 1)).
    fn diagonal_region(&mut self, id: Id) {
        if self.g.shape(id).is_scalar() {
            return;
        }
        let mut atoms = Atoms::default();
        self.budget.set(DIAGONAL_BUDGET);
        let Some(r) = self.diagonal(id, &mut atoms, 0) else {
            return;
        };
        let Some((v, false)) = shortest(r, &atoms) else {
            return;
        };
        let t = Tree::node(Math::DiagM(zero()), vec![v]);
        let orig = Tree::from_expr(&self.g.expr, id);
        if size(&t) < size(&orig) {
            self.out.push((orig.to_expr(), t.to_expr()));
        }
    }

    /// The diagonal of `id` as a quotient, when `id` is built of diagonal matrices
    /// `diag(v)` by sums, products and scalings.
    fn diagonal(&self, id: Id, atoms: &mut Atoms, depth: usize) -> Option<Ratio> {
        crate::stack::deep(|| self.diagonal_deep(id, atoms, depth))
    }

    fn diagonal_deep(&self, id: Id, atoms: &mut Atoms, depth: usize) -> Option<Ratio> {
        self.budget.set(self.budget.get().checked_sub(1)?);
        let g = self.g;
        let scalar = |c: &Id| g.shape(*c).is_scalar();
        match g.node(id) {
            Math::DiagM(v) => self.ratio(*v, atoms, depth),
            Math::Eye(_) => Some(Ratio::poly(Poly::constant(Rational::ONE))),
            Math::Var(s) if depth < MAX_DEPTH => {
                self.diagonal(*self.known.others.get(s)?, atoms, depth + 1)
            }
            Math::Add([a, b]) => self
                .diagonal(*a, atoms, depth)?
                .add(&self.diagonal(*b, atoms, depth)?),
            Math::Neg(a) => Some(self.diagonal(*a, atoms, depth)?.neg()),
            Math::Mul([a, b]) if scalar(a) => self
                .ratio(*a, atoms, depth)?
                .mul(&self.diagonal(*b, atoms, depth)?),
            Math::Mul([a, b]) if scalar(b) => self
                .diagonal(*a, atoms, depth)?
                .mul(&self.ratio(*b, atoms, depth)?),
            Math::Mul([a, b]) => self
                .diagonal(*a, atoms, depth)?
                .mul(&self.diagonal(*b, atoms, depth)?),
            _ => None,
        }
    }

    fn region(&mut self, id: Id) {
        let mut atoms = Atoms::default();
        let Some(r) = self.ratio(id, &mut atoms, 0) else {
            return;
        };
        let scalar = self.g.shape(id).is_scalar();
        let Some((t, t_scalar)) = shortest(r, &atoms) else {
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

    /// The radicand of a square root, written out or given a name.
    fn radicand(&self, id: Id) -> Option<Id> {
        match self.g.node(id) {
            Math::Fun(_, e) if is_sqrt(self.g.node(id)) => Some(*e),
            Math::Var(s) => self.known.roots.get(s).copied(),
            _ => None,
        }
    }

    fn ratio(&self, id: Id, atoms: &mut Atoms, depth: usize) -> Option<Ratio> {
        crate::stack::deep(|| self.ratio_deep(id, atoms, depth))
    }

    fn ratio_deep(&self, id: Id, atoms: &mut Atoms, depth: usize) -> Option<Ratio> {
        if !self.rational_op(id) {
            if let Math::Num(r) = self.g.node(id) {
                return Some(Ratio::poly(Poly::constant(*r)));
            }
            if let Math::Var(s) = self.g.node(id)
                && let Some(&d) = self.known.rational.get(s)
                && depth < MAX_DEPTH
            {
                return self.ratio(d, atoms, depth + 1);
            }
            let t = Tree::from_expr(&self.g.expr, id);
            let n = atoms.trees.len();
            let v = *atoms.index.entry(t.clone()).or_insert(n);
            if v == n {
                atoms.trees.push((t, self.g.shape(id).is_scalar()));
                if let Some(e) = self.radicand(id)
                    && depth < MAX_DEPTH
                    && let Some(sq) = self.ratio(e, atoms, depth + 1)
                {
                    atoms.squares.insert(v, sq);
                }
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

/// The tree of `r`, or of `r` with square roots squared out of its numerator where
/// that is shorter (s² − x² = 1 for s = sqrt(x∘² + 1)), and whether it is a scalar.
fn shortest(r: Ratio, atoms: &Atoms) -> Option<(Tree, bool)> {
    let rooted = squares_out(&r, atoms);
    [Some(r), rooted]
        .into_iter()
        .flatten()
        .filter_map(|r| build(&r, atoms))
        .min_by_key(|(t, _)| size(t))
}

/// `r` with every even power of a square root in its numerator written as a power
/// of the radicand (`None` if there is none, or the arithmetic gives up).
fn squares_out(r: &Ratio, atoms: &Atoms) -> Option<Ratio> {
    let rooted = |m: &Vec<(usize, u32)>| {
        m.iter()
            .any(|(v, e)| *e >= 2 && atoms.squares.contains_key(v))
    };
    if !r.num.terms.keys().any(rooted) {
        return None;
    }
    let mut num = Ratio::poly(Poly::default());
    for (m, c) in &r.num.terms {
        let mut term = Ratio::poly(Poly::constant(*c));
        for (v, e) in m {
            let (half, rest) = match atoms.squares.get(v) {
                Some(sq) => (Some(sq.powi(i32::try_from(e / 2).ok()?)?), e % 2),
                None => (None, *e),
            };
            if let Some(h) = half {
                term = term.mul(&h)?;
            }
            if rest > 0 {
                let mut p = Poly::atom(*v);
                for _ in 1..rest {
                    p = p.mul(&Poly::atom(*v))?;
                }
                term = term.mul(&Ratio::poly(p))?;
            }
        }
        num = num.add(&term)?;
    }
    let den = r
        .den
        .iter()
        .try_fold(Ratio::poly(Poly::constant(Rational::ONE)), |acc, f| {
            acc.mul(&Ratio::poly(f.clone()))
        })?;
    num.div(&den)
}

/// The tree of a quotient, and whether it is a scalar.
fn build(r: &Ratio, atoms: &Atoms) -> Option<(Tree, bool)> {
    let n = poly_tree(&r.num, atoms)?;
    // Monomial factors as one monomial (k∘³, not k ∘ k∘²).
    let (monomials, others): (Vec<&Poly>, Vec<&Poly>) =
        r.den.iter().partition(|f| f.terms.len() == 1);
    let mono = monomials
        .into_iter()
        .try_fold(None::<Poly>, |acc, f| match acc {
            None => Some(Some(f.clone())),
            Some(a) => a.mul(f).map(Some),
        })?;
    let mut den: Option<(Tree, bool)> = None;
    for f in mono.iter().chain(others) {
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
        known: Known::default(),
        budget: std::cell::Cell::new(0),
        diagonal_memo: HashMap::new(),
        out: Vec::new(),
    };
    let mut atoms = Atoms::default();
    let r = pass.ratio(root, &mut atoms, 0)?;
    let (t, scalar) = build(&r, &atoms)?;
    // x − x is the number 0, not a zero vector: no normal form keeps that shape.
    (scalar == g.shape(root).is_scalar()).then(|| t.to_expr())
}
