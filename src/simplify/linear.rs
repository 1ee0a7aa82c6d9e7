//! Sums as linear combinations. Reverse mode adds the adjoints of every path, so
//! terms that cancel (`Wx − Wx`, `Bᵀx − Bᵀx` after expanding `(A + B)ᵀx`) can sit
//! far apart in a sum, where two-term rewrite rules cannot meet them without
//! associativity and commutativity on sums (which blow the e-graph up). This pass
//! expands an expression into a linear combination of terms — products distributed
//! over sums of one shape, transposes pushed onto names, numbers gathered — combines
//! equal terms, and rebuilds the sum. The simplifier unions the result with the
//! original, so extraction picks whichever writing is shorter.

use std::cell::Cell;
use std::collections::{HashMap, HashSet};

use egg::{Id, Language, RecExpr, Symbol};

use super::cse::Tree;
use crate::ir::{Graph, Math, Shape};
use crate::rational::Rational;

/// Terms a combination may have before a product of sums is left unexpanded.
const MAX_TERMS: usize = 24;

/// The largest expression (counted as a tree, shared parts as often as they occur)
/// the pass expands: it works on trees, so its time grows with the tree's size, and
/// a result that large (a chain of hundreds of products) has no cancelling terms that
/// a person would look for.
const MAX_TREE: usize = 4_000;

/// The deepest expression the pass expands: its terms carry whole subtrees, so its
/// time grows with the square of the depth, and a chain 50 operations deep (nested
/// functions, a tangent along them) has its cancellations within a few levels.
const MAX_DEPTH: usize = 48;

/// How deep the tree of `expr` is.
fn tree_depth(expr: &RecExpr<Math>) -> usize {
    let mut depth = vec![0usize; expr.as_ref().len()];
    for (i, n) in expr.as_ref().iter().enumerate() {
        depth[i] = 1 + n
            .children()
            .iter()
            .map(|c| depth[usize::from(*c)])
            .max()
            .unwrap_or(0);
    }
    depth.last().copied().unwrap_or(0)
}

/// The size of the tree that `expr` writes out (saturating).
pub fn tree_size(expr: &RecExpr<Math>) -> usize {
    let mut size = vec![0usize; expr.as_ref().len()];
    for (i, n) in expr.as_ref().iter().enumerate() {
        size[i] = n
            .children()
            .iter()
            .fold(1usize, |s, c| s.saturating_add(size[usize::from(*c)]));
    }
    size.last().copied().unwrap_or(0)
}

/// The operations of `expr` with each distinct subterm counted once, as the printed
/// result counts a helper once.
pub fn shared_operations(expr: &RecExpr<Math>) -> usize {
    let mut ids: Vec<Id> = Vec::with_capacity(expr.as_ref().len());
    let mut memo: HashMap<Math, Id> = HashMap::new();
    let mut ops = 0;
    for n in expr.as_ref() {
        let node = n.clone().map_children(|c| ids[usize::from(c)]);
        let next = Id::from(memo.len());
        let id = *memo.entry(node).or_insert_with(|| {
            ops += usize::from(!n.is_leaf());
            next
        });
        ids.push(id);
    }
    ops
}

/// The largest matrix power written out as a product of its factors.
const MAX_POWER: i128 = 8;

/// A product term: scalar factors (in a canonical order) times matrix factors (in order).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(super) struct Term {
    pub(super) scalars: Vec<Tree>,
    pub(super) factors: Vec<Tree>,
}

impl Term {
    pub(super) fn of(t: Tree, scalar: bool) -> Term {
        if scalar {
            Term {
                scalars: vec![t],
                factors: Vec::new(),
            }
        } else {
            Term {
                scalars: Vec::new(),
                factors: vec![t],
            }
        }
    }

    fn times(&self, o: &Term) -> Term {
        let mut scalars: Vec<Tree> = self.scalars.iter().chain(&o.scalars).cloned().collect();
        scalars.sort();
        let mut factors: Vec<Tree> = self.factors.iter().chain(&o.factors).cloned().collect();
        // IA = AI = A, and II = I: an identity goes only where another factor stays.
        let eye = |f: &Tree| matches!(f.op, Math::Eye(_));
        if factors.iter().any(|f| !eye(f)) {
            factors.retain(|f| !eye(f));
        } else {
            factors.truncate(1);
        }
        cancel_inverses(&mut factors);
        Term { scalars, factors }
    }

    pub(super) fn tree(self) -> Tree {
        let scalars = powers(self.scalars, |f, k| {
            Tree::node(Math::Pow([Id::from(0usize); 2]), vec![f, k])
        });
        let factors = powers(self.factors, |f, k| match (&f.op, f.kids.as_slice()) {
            // XᵀXᵀ = (X²)ᵀ
            (Math::Transpose(_), [x]) => Tree::node(
                Math::Transpose(Id::from(0usize)),
                vec![Tree::node(
                    Math::MatPow([Id::from(0usize); 2]),
                    vec![x.clone(), k],
                )],
            ),
            _ => Tree::node(Math::MatPow([Id::from(0usize); 2]), vec![f, k]),
        });
        let mut all = scalars.into_iter().chain(factors);
        let first = all.next().unwrap_or_else(|| num(Rational::ONE));
        all.fold(first, |acc, f| {
            Tree::node(Math::Mul([Id::from(0usize); 2]), vec![acc, f])
        })
    }
}

type Comb = Vec<(Rational, Term)>;

/// X⁻¹X = XX⁻¹ = I (and X⁻ᵀXᵀ, XᵀX⁻ᵀ) between adjacent factors, while another
/// factor stays to carry the shape.
fn cancel_inverses(factors: &mut Vec<Tree>) {
    fn inverse_of(a: &Tree, b: &Tree) -> bool {
        let inv = |t: &Tree| match (&t.op, t.kids.as_slice()) {
            (Math::Inv(_), [x]) => Some(x.clone()),
            (Math::Transpose(_), [i]) => match (&i.op, i.kids.as_slice()) {
                (Math::Inv(_), [x]) => Some(Tree::node(
                    Math::Transpose(Id::from(0usize)),
                    vec![x.clone()],
                )),
                _ => None,
            },
            _ => None,
        };
        inv(a).is_some_and(|x| x == *b) || inv(b).is_some_and(|x| x == *a)
    }
    let mut i = 0;
    while factors.len() > 2 && i + 1 < factors.len() {
        if inverse_of(&factors[i], &factors[i + 1]) {
            factors.drain(i..i + 2);
            i = i.saturating_sub(1);
        } else {
            i += 1;
        }
    }
}

/// Runs of equal adjacent factors written as powers: `cc` is `c²`, `XXX` is `X³`.
fn powers(factors: Vec<Tree>, power: impl Fn(Tree, Tree) -> Tree) -> Vec<Tree> {
    let mut out: Vec<(Tree, i64)> = Vec::new();
    for f in factors {
        match out.last_mut() {
            Some((g, k)) if *g == f && !matches!(f.op, Math::Num(_)) => *k += 1,
            _ => out.push((f, 1)),
        }
    }
    out.into_iter()
        .map(|(f, k)| {
            if k == 1 {
                f
            } else {
                power(f, num(Rational::int(k)))
            }
        })
        .collect()
}

/// The operations that are zero when any operand is (products are collected as
/// combinations already; a quotient is left alone, `0 ⊘ 0` having no value).
fn zero_if_any_is(n: &Math) -> bool {
    matches!(
        n,
        Math::Hadamard(_) | Math::Trace(_) | Math::Sum(_) | Math::DiagM(_) | Math::DiagV(_)
    )
}

/// `0`, or `0·A` (a zero matrix, as [`Pass::zero`] writes it).
fn is_zero(t: &Tree) -> bool {
    let zero = |t: &Tree| matches!(t.op, Math::Num(r) if r == Rational::ZERO);
    zero(t) || (matches!(t.op, Math::Mul(_)) && t.kids.first().is_some_and(zero))
}

fn num(r: Rational) -> Tree {
    Tree::node(Math::Num(r), Vec::new())
}

/// The linear combination of `expr` rebuilt as a sum, when it differs from `expr`.
pub fn expand(
    expr: &RecExpr<Math>,
    shapes: &HashMap<Symbol, Shape>,
    symmetric: &HashSet<Symbol>,
) -> Option<RecExpr<Math>> {
    expand_with(expr, shapes, symmetric, false)
}

/// [`expand`] with the factors common to the terms of each sum taken out
/// ([`super::factor`]): (1/s)Aᵀx − 2(c/s²)x + (1/s)Ax is (Aᵀx − 2(c/s)x + Ax)/s,
/// AB + AC + AD is A(B + C + D). `None` when no sum has a common factor.
pub fn factored(
    expr: &RecExpr<Math>,
    shapes: &HashMap<Symbol, Shape>,
    symmetric: &HashSet<Symbol>,
) -> Option<RecExpr<Math>> {
    expand_with(expr, shapes, symmetric, true)
}

fn expand_with(
    expr: &RecExpr<Math>,
    shapes: &HashMap<Symbol, Shape>,
    symmetric: &HashSet<Symbol>,
    factor: bool,
) -> Option<RecExpr<Math>> {
    if !within_bounds(expr) {
        return None;
    }
    let mut g = crate::ops::graph(shapes.clone());
    let root = g
        .import(expr, Id::from(expr.as_ref().len().checked_sub(1)?))
        .ok()?;
    expand_in(&g, root, expr, symmetric, factor)
}

/// Whether the pass takes `expr` on (not too large, not too deep).
pub fn within_bounds(expr: &RecExpr<Math>) -> bool {
    tree_size(expr) <= MAX_TREE && tree_depth(expr) <= MAX_DEPTH
}

/// [`expand`] (or, with `factor`, [`factored`]) of `expr`, already imported into
/// `g` as `root` (one graph serves the passes of the polish; check
/// [`within_bounds`] first).
pub fn expand_in(
    g: &Graph,
    root: Id,
    expr: &RecExpr<Math>,
    symmetric: &HashSet<Symbol>,
    factor: bool,
) -> Option<RecExpr<Math>> {
    let pass = Pass::new(g, symmetric, factor);
    let out = pass.normal(root);
    if factor && !pass.factored.get() {
        return None;
    }
    changed(out, expr)
}

/// [`expand_in`] without and with common factors, as `(expanded, factored)`. Most
/// expressions have no common factor and no vector divided by a scalar: for them the
/// factoring pass writes what the plain one does, and one pass gives both.
pub fn expand_both_in(
    g: &Graph,
    root: Id,
    expr: &RecExpr<Math>,
    symmetric: &HashSet<Symbol>,
) -> (Option<RecExpr<Math>>, Option<RecExpr<Math>>) {
    let pass = Pass::new(g, symmetric, true);
    let out = pass.normal(root);
    if !pass.factored.get() && !pass.divided.get() {
        return (changed(out, expr), None);
    }
    let factored = if pass.factored.get() {
        changed(out, expr)
    } else {
        None
    };
    (expand_in(g, root, expr, symmetric, false), factored)
}

/// `out` as an expression, unless it writes `expr` as it is.
fn changed(out: Tree, expr: &RecExpr<Math>) -> Option<RecExpr<Math>> {
    (out != Tree::from_root(expr)).then(|| out.to_expr())
}

struct Pass<'a> {
    g: &'a Graph,
    symmetric: &'a HashSet<Symbol>,
    /// Take the factors common to its terms out of each sum.
    factor: bool,
    /// Some sum had a common factor taken out.
    factored: Cell<bool>,
    /// Some non-scalar was divided by a scalar (written `(1/s)A` when factoring).
    divided: Cell<bool>,
}

impl<'a> Pass<'a> {
    fn new(g: &'a Graph, symmetric: &'a HashSet<Symbol>, factor: bool) -> Pass<'a> {
        Pass {
            g,
            symmetric,
            factor,
            factored: Cell::new(false),
            divided: Cell::new(false),
        }
    }

    /// `id` with its sums collected, at every depth.
    fn normal(&self, id: Id) -> Tree {
        self.rebuild(self.comb(id), id)
    }

    /// `id` as it is, with its children normalised.
    fn atom(&self, id: Id) -> Comb {
        let n = self.g.node(id);
        if let Math::Num(v) = n {
            let one = Term {
                scalars: Vec::new(),
                factors: Vec::new(),
            };
            return vec![(*v, one)];
        }
        let kids: Vec<Tree> = n.children().iter().map(|c| self.normal(*c)).collect();
        if zero_if_any_is(n) && kids.iter().any(is_zero) {
            return Vec::new();
        }
        let scalar = self.g.shape(id).is_scalar();
        vec![(Rational::ONE, Term::of(Tree::node(n.clone(), kids), scalar))]
    }

    /// The combination of `id`; the terms of a 1×1 value have scalar factors only (a
    /// product xᵀy is one scalar factor, never matrix factors another product could split).
    fn comb(&self, id: Id) -> Comb {
        crate::stack::deep(|| self.comb_deep(id))
    }

    fn comb_deep(&self, id: Id) -> Comb {
        let comb = self.comb_of(id);
        if !self.g.shape(id).is_scalar() {
            return comb;
        }
        comb.into_iter()
            .map(|(c, t)| {
                if t.factors.is_empty() {
                    return (c, t);
                }
                let inner = Term {
                    scalars: Vec::new(),
                    factors: t.factors,
                }
                .tree();
                let mut scalars = t.scalars;
                scalars.push(inner);
                scalars.sort();
                (
                    c,
                    Term {
                        scalars,
                        factors: Vec::new(),
                    },
                )
            })
            .collect()
    }

    fn comb_of(&self, id: Id) -> Comb {
        let g = self.g;
        let same = |a: &Id, b: &Id| g.shape(*a) == g.shape(*b);
        match g.node(id) {
            Math::Add([a, b]) if same(a, b) => {
                let mut out = self.comb(*a);
                out.extend(self.comb(*b));
                out
            }
            Math::Neg(a) => {
                scale(self.comb(*a), Rational::ONE.neg()).unwrap_or_else(|| self.atom(id))
            }
            Math::Mul([a, b]) => match (g.node(*a), g.node(*b)) {
                (Math::Num(c), _) => scale(self.comb(*b), *c).unwrap_or_else(|| self.atom(id)),
                (_, Math::Num(c)) => scale(self.comb(*a), *c).unwrap_or_else(|| self.atom(id)),
                _ => self.product(id, *a, *b),
            },
            Math::Div([a, b]) => match g.node(*b) {
                Math::Num(c) if *c != Rational::ZERO => c
                    .powi(-1)
                    .and_then(|k| scale(self.comb(*a), k))
                    .unwrap_or_else(|| self.atom(id)),
                // A/s as (1/s)A, so that 1/s meets the other scalar factors of A's terms.
                _ if self.factor && g.shape(*b).is_scalar() && !g.shape(*a).is_scalar() => {
                    self.divided.set(true);
                    let recip = Tree::node(
                        Math::Div([Id::from(0usize); 2]),
                        vec![num(Rational::ONE), self.normal(*b)],
                    );
                    let by = vec![(Rational::ONE, Term::of(recip, true))];
                    self.multiply(&self.comb(*a), &by)
                        .unwrap_or_else(|| self.atom(id))
                }
                _ => self.atom(id),
            },
            Math::MatPow([a, k]) => match g.node(*k) {
                Math::Num(r) if r.is_integer() && (2..=MAX_POWER).contains(&r.numer()) => {
                    let base = self.comb(*a);
                    let mut acc = base.clone();
                    for _ in 1..r.numer() {
                        match self.multiply(&acc, &base) {
                            Some(p) => acc = p,
                            None => return self.atom(id),
                        }
                    }
                    acc
                }
                _ => self.atom(id),
            },
            Math::Transpose(a) => self
                .comb(*a)
                .into_iter()
                .map(|(c, t)| {
                    let factors = t
                        .factors
                        .into_iter()
                        .rev()
                        .map(|f| self.transpose(f))
                        .collect();
                    (c, Term { factors, ..t })
                })
                .collect(),
            _ => self.atom(id),
        }
    }

    /// A product of two combinations, distributed when it stays small.
    fn product(&self, id: Id, a: Id, b: Id) -> Comb {
        let (ca, cb) = (self.comb(a), self.comb(b));
        // A number on either side scales the other: x·1, (−1)·A.
        if let Some(k) = number(&cb) {
            return scale(ca, k).unwrap_or_else(|| self.atom(id));
        }
        if let Some(k) = number(&ca) {
            return scale(cb, k).unwrap_or_else(|| self.atom(id));
        }
        self.multiply(&ca, &cb).unwrap_or_else(|| self.atom(id))
    }

    /// The distributed product of two combinations, unless it grows too long.
    fn multiply(&self, ca: &Comb, cb: &Comb) -> Option<Comb> {
        if ca.len() * cb.len() > MAX_TERMS {
            return None;
        }
        let mut out = Vec::with_capacity(ca.len() * cb.len());
        for (x, s) in ca {
            for (y, t) in cb {
                out.push((x.mul(*y)?, s.times(t)));
            }
        }
        Some(out)
    }

    /// A transpose pushed onto names: (AB)ᵀ = BᵀAᵀ, (Aᵀ)ᵀ = A, Sᵀ = S for symmetric S.
    fn transpose(&self, t: Tree) -> Tree {
        match (&t.op, t.kids.as_slice()) {
            (Math::Transpose(_), [x]) => x.clone(),
            (Math::Num(_), _) => t,
            (Math::Var(s), _) if self.symmetric.contains(s) => t,
            (Math::Inv(_), [x]) if matches!(&x.op, Math::Var(s) if self.symmetric.contains(s)) => t,
            (Math::Mul(_), [p, q]) => {
                let (p, q) = (p.clone(), q.clone());
                Tree::node(t.op.clone(), vec![self.transpose(q), self.transpose(p)])
            }
            (Math::Neg(_), [x]) => Tree::node(t.op.clone(), vec![self.transpose(x.clone())]),
            _ => Tree::node(Math::Transpose(Id::from(0usize)), vec![t]),
        }
    }

    /// The sum of a combination with equal terms gathered (in order of appearance).
    fn rebuild(&self, comb: Comb, id: Id) -> Tree {
        let mut order: Vec<Term> = Vec::new();
        let mut coef: HashMap<Term, Rational> = HashMap::new();
        for (c, t) in comb {
            match coef.get_mut(&t) {
                Some(k) => match k.add(c) {
                    Some(v) => *k = v,
                    None => return self.unchanged(id),
                },
                None => {
                    coef.insert(t.clone(), c);
                    order.push(t);
                }
            }
        }
        let terms: Vec<(Rational, Term)> = order
            .into_iter()
            .filter_map(|t| {
                let c = coef[&t];
                (c != Rational::ZERO).then_some((c, t))
            })
            .collect();
        // Scalar sums are the rational pass's (`super::ratfun`).
        if self.factor
            && !self.g.shape(id).is_scalar()
            && let Some(f) = super::factor::common(&terms, &|s| {
                self.g.vars.get(&s).is_some_and(|x| x.is_scalar())
            })
        {
            self.factored.set(true);
            let inner = sum_of(f.terms.clone()).unwrap_or_else(|| self.zero(id));
            return f.around(inner);
        }
        sum_of(terms).unwrap_or_else(|| self.zero(id))
    }

    /// Zero of `id`'s shape: the number 0, or 0 times a name of that shape (or the
    /// value itself): a zero matrix.
    fn zero(&self, id: Id) -> Tree {
        let shape = self.g.shape(id);
        if shape.is_scalar() {
            return num(Rational::ZERO);
        }
        let mut names: Vec<&Symbol> = self
            .g
            .vars
            .iter()
            .filter(|(_, s)| **s == shape)
            .map(|(n, _)| n)
            .collect();
        names.sort();
        let of = names
            .first()
            .map_or_else(|| self.unchanged(id), |n| Tree::var(**n));
        Tree::node(
            Math::Mul([Id::from(0usize); 2]),
            vec![num(Rational::ZERO), of],
        )
    }

    fn unchanged(&self, id: Id) -> Tree {
        Tree::from_expr(&self.g.expr, id)
    }
}

/// A combination written as a sum, a negative coefficient as a subtraction (`None`
/// for no terms).
pub(super) fn sum_of(terms: Vec<(Rational, Term)>) -> Option<Tree> {
    let mut sum: Option<Tree> = None;
    for (c, t) in terms {
        let negative = c.numer() < 0;
        let abs = if negative { c.neg() } else { c };
        let t = t.tree();
        let term = if abs == Rational::ONE {
            t
        } else {
            Tree::node(Math::Mul([Id::from(0usize); 2]), vec![num(abs), t])
        };
        sum = Some(match (sum, negative) {
            (None, false) => term,
            (None, true) => Tree::node(Math::Neg(Id::from(0usize)), vec![term]),
            (Some(s), false) => Tree::node(Math::Add([Id::from(0usize); 2]), vec![s, term]),
            (Some(s), true) => Tree::node(
                Math::Add([Id::from(0usize); 2]),
                vec![s, Tree::node(Math::Neg(Id::from(0usize)), vec![term])],
            ),
        });
    }
    sum
}

/// The value of a combination that is a single number.
fn number(comb: &Comb) -> Option<Rational> {
    match comb.as_slice() {
        [(c, t)] => match (t.scalars.as_slice(), t.factors.as_slice()) {
            ([s], []) => match s.op {
                Math::Num(v) => c.mul(v),
                _ => None,
            },
            ([], []) => Some(*c),
            _ => None,
        },
        _ => None,
    }
}

fn scale(comb: Comb, k: Rational) -> Option<Comb> {
    comb.into_iter()
        .map(|(c, t)| Some((c.mul(k)?, t)))
        .collect()
}
