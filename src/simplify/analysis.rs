//! The e-class analysis: shape, facts (symmetric, SPD, diagonal, identity,
//! positive) and the scalar monomial (constant value) of each class. Monomials fold scalar coefficients (`−D/2 · 2α = −αD`)
//! without commutativity rules: `modify` adds the canonical term of a class's
//! monomial and unions it with the class.

use std::collections::{BTreeMap, HashMap};

use egg::{Analysis, DidMerge, EGraph, Id, Language, Symbol};

use crate::ir::{Dim, Math, Shape};
use crate::ops::resolved_shape;
use crate::rational::Rational;
use crate::syntax::ast::Structure;
use crate::syntax::shape::is_greek;

/// Structural facts of a value. Each implies what it should: identity ⇒ diagonal
/// and SPD, SPD ⇒ symmetric, diagonal ⇒ symmetric.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Props {
    /// Symmetric (every scalar is).
    pub symmetric: bool,
    /// Symmetric positive definite (a positive scalar is).
    pub spd: bool,
    /// A square matrix with zeros off the diagonal.
    pub diagonal: bool,
    /// The identity matrix.
    pub identity: bool,
    /// A positive scalar, or every entry positive.
    pub positive: bool,
}

impl Props {
    /// What a symbol declared with `structure` is known to be.
    pub fn declared(structure: Structure) -> Props {
        Props {
            symmetric: structure != Structure::General,
            spd: structure == Structure::Spd,
            ..Props::default()
        }
        .closed()
    }

    /// Adds what the facts imply.
    fn closed(mut self) -> Props {
        self.diagonal |= self.identity;
        self.spd |= self.identity;
        self.symmetric |= self.spd || self.diagonal;
        self
    }

    fn or(self, o: Props) -> Props {
        Props {
            symmetric: self.symmetric || o.symmetric,
            spd: self.spd || o.spd,
            diagonal: self.diagonal || o.diagonal,
            identity: self.identity || o.identity,
            positive: self.positive || o.positive,
        }
    }
}

/// What is known of a symbol that is a leaf of the e-graph.
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    /// Its shape.
    pub shape: Shape,
    /// Its structure.
    pub props: Props,
}

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

/// The data of an e-class.
#[derive(Debug, Clone, PartialEq)]
pub struct Data {
    /// Shape (`None` for dimension leaves).
    pub shape: Option<Shape>,
    /// The dimension, for dimension leaves.
    pub dim: Option<Dim>,
    /// What is known of its structure.
    pub props: Props,
    /// The scalar monomial this class equals, if any.
    pub mono: Option<Mono>,
    /// The class holds a name or the inverse of one (what a transpose may sit on: Yᵀ, K⁻ᵀ).
    pub named: bool,
}

impl Data {
    /// True for 1×1 classes.
    pub fn is_scalar(&self) -> bool {
        self.shape.as_ref().is_some_and(Shape::is_scalar)
    }
}

/// The analysis: knows the facts of the leaf symbols.
#[derive(Debug, Default, Clone)]
pub struct MathAnalysis {
    /// Facts of the symbols.
    pub facts: HashMap<Symbol, Facts>,
    /// Rules whose union the shape guard refused in this e-graph.
    pub refused: Vec<String>,
}

/// The e-graph type of the simplifier.
pub type MathEGraph = EGraph<Math, MathAnalysis>;

/// True when the classes `x` and `y` are transposes of each other (a node `T(y)` in
/// x's class, `T(x)` in y's, or either looked up).
fn transposes(eg: &MathEGraph, x: Id, y: Id) -> bool {
    let (x, y) = (eg.find(x), eg.find(y));
    let holds_t = |c: Id, of: Id| {
        eg[c]
            .nodes
            .iter()
            .any(|n| matches!(n, Math::Transpose(t) if eg.find(*t) == of))
    };
    holds_t(x, y)
        || holds_t(y, x)
        || eg
            .lookup(Math::Transpose(x))
            .is_some_and(|t| eg.find(t) == y)
}

fn sym_product(eg: &MathEGraph, a: Id, b: Id) -> bool {
    // A·Aᵀ and Aᵀ·A are symmetric; so is A·S·Aᵀ for symmetric S, in either nesting.
    if transposes(eg, a, b) {
        return true;
    }
    let right = eg[b].nodes.iter().any(|n| match n {
        Math::Mul([s, t]) => eg[*s].data.props.symmetric && transposes(eg, a, *t),
        _ => false,
    });
    let left = eg[a].nodes.iter().any(|n| match n {
        Math::Mul([t, s]) => eg[*s].data.props.symmetric && transposes(eg, *t, b),
        _ => false,
    });
    right || left
}

fn mono_of(eg: &MathEGraph, node: &Math, shape: &Option<Shape>) -> Option<Mono> {
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

fn positive(eg: &MathEGraph, node: &Math) -> bool {
    let p = |id: &Id| eg[*id].data.props.positive;
    let spd = |id: &Id| eg[*id].data.props.spd;
    match node {
        Math::Var(s) => eg.analysis.facts.get(s).is_some_and(|f| f.props.positive),
        Math::Num(r) => r.numer() > 0,
        Math::Exp(_) | Math::Softmax(_) | Math::Sigmoid(_) | Math::Softplus(_) | Math::Ones(_) => {
            true
        }
        // The determinant and trace of an SPD matrix are positive.
        Math::Det(a) | Math::Trace(a) => spd(a),
        Math::Sqrt(a) | Math::Inv(a) => p(a) && eg[*a].data.is_scalar(),
        Math::Mul([a, b])
        | Math::Hadamard([a, b])
        | Math::Add([a, b])
        | Math::Div([a, b])
        | Math::EDiv([a, b]) => p(a) && p(b),
        _ => false,
    }
}

/// Symmetric: scalars, declared symbols, I, diagonals, sums and scalings of symmetric
/// values, AAᵀ and ASAᵀ, inverses and transposes of symmetric values.
fn symmetric(eg: &MathEGraph, node: &Math, shape: &Option<Shape>) -> bool {
    let sym = |id: &Id| eg[*id].data.props.symmetric;
    let scalar = |id: &Id| eg[*id].data.is_scalar();
    shape.as_ref().is_some_and(Shape::is_scalar)
        || match node {
            Math::Var(s) => eg.analysis.facts.get(s).is_some_and(|f| f.props.symmetric),
            Math::Eye(_) | Math::DiagM(_) => true,
            Math::Add([a, b]) | Math::Hadamard([a, b]) | Math::EDiv([a, b]) => {
                (sym(a) || scalar(a)) && (sym(b) || scalar(b))
            }
            Math::Mul([a, b]) => {
                (scalar(a) && sym(b)) || (sym(a) && scalar(b)) || sym_product(eg, *a, *b)
            }
            Math::Div([a, _])
            | Math::EPow([a, _])
            | Math::Neg(a)
            | Math::Inv(a)
            | Math::Transpose(a) => sym(a),
            Math::Ones(_) => shape.as_ref().is_some_and(Shape::is_square),
            n => crate::ops::is_elementwise(n) && n.children().iter().all(sym),
        }
}

/// SPD: declared symbols, I, positive scalars, diag of a positive vector; sums of SPD
/// values, positive scalings, inverses and transposes of SPD values.
fn spd(eg: &MathEGraph, node: &Math, positive: bool, scalar_shape: bool) -> bool {
    let d = |id: &Id| &eg[*id].data;
    let pos_scalar = |id: &Id| d(id).is_scalar() && d(id).props.positive;
    (scalar_shape && positive)
        || match node {
            Math::Var(s) => eg.analysis.facts.get(s).is_some_and(|f| f.props.spd),
            Math::Eye(_) => true,
            Math::DiagM(a) => d(a).props.positive,
            Math::Inv(a) | Math::Transpose(a) => d(a).props.spd,
            Math::Add([a, b]) => d(a).props.spd && d(b).props.spd,
            Math::Mul([a, b]) => {
                (pos_scalar(a) && d(b).props.spd) || (d(a).props.spd && pos_scalar(b))
            }
            Math::Div([a, b]) => d(a).props.spd && pos_scalar(b),
            _ => false,
        }
}

/// Diagonal: I, diag(v); products, sums, scalings, negations, inverses and
/// transposes of diagonal matrices; a Hadamard product with a diagonal one.
fn diagonal(eg: &MathEGraph, node: &Math, scalar_shape: bool) -> bool {
    let d = |id: &Id| &eg[*id].data;
    let diag_or_scalar = |id: &Id| d(id).props.diagonal || d(id).is_scalar();
    !scalar_shape
        && match node {
            Math::Eye(_) | Math::DiagM(_) => true,
            Math::Inv(a) | Math::Transpose(a) | Math::Neg(a) | Math::Div([a, _]) => {
                d(a).props.diagonal
            }
            Math::Mul([a, b]) => diag_or_scalar(a) && diag_or_scalar(b),
            Math::Add([a, b]) => d(a).props.diagonal && d(b).props.diagonal,
            Math::Hadamard([a, b]) => {
                (d(a).props.diagonal && !d(b).is_scalar())
                    || (d(b).props.diagonal && !d(a).is_scalar())
                    || (d(a).props.diagonal && d(b).is_scalar())
                    || (d(b).props.diagonal && d(a).is_scalar())
            }
            _ => false,
        }
}

/// The identity: I, and products, inverses and transposes of identities.
fn identity(eg: &MathEGraph, node: &Math) -> bool {
    let id = |c: &Id| eg[*c].data.props.identity;
    match node {
        Math::Eye(_) => true,
        Math::Inv(a) | Math::Transpose(a) => id(a),
        Math::Mul([a, b]) => id(a) && id(b),
        _ => false,
    }
}

/// Every fact of a new node from those of its children.
fn props(eg: &MathEGraph, node: &Math, shape: &Option<Shape>) -> Props {
    let scalar_shape = shape.as_ref().is_some_and(Shape::is_scalar);
    let positive = positive(eg, node);
    Props {
        symmetric: symmetric(eg, node, shape),
        spd: spd(eg, node, positive, scalar_shape),
        diagonal: diagonal(eg, node, scalar_shape),
        identity: identity(eg, node),
        positive,
    }
    .closed()
}

/// The shape of `node` from the shapes of its children's classes (and the facts of symbols).
pub fn node_shape(eg: &MathEGraph, node: &Math) -> Option<Shape> {
    let child_shapes: Option<Vec<Shape>> = node
        .children()
        .iter()
        .map(|c| eg[*c].data.shape.clone())
        .collect();
    let vars: HashMap<Symbol, Shape> = match node {
        Math::Var(s) => eg
            .analysis
            .facts
            .get(s)
            .map(|f| HashMap::from([(*s, f.shape.clone())]))
            .unwrap_or_default(),
        _ => HashMap::new(),
    };
    // `I`'s child is a dimension leaf, which has no shape: its rule reads the dimension instead.
    resolved_shape(node, &vars, &child_shapes.unwrap_or_default(), |id| {
        eg[id].data.dim.clone()
    })
}

impl Analysis<Math> for MathAnalysis {
    type Data = Data;

    fn make(eg: &mut MathEGraph, node: &Math, _id: Id) -> Data {
        let dim = match node {
            Math::Dim(d) => Some(d.0.clone()),
            _ => None,
        };
        let shape = node_shape(eg, node);
        let props = props(eg, node, &shape);
        let mono = mono_of(eg, node, &shape);
        let named = matches!(node, Math::Var(_) | Math::Inv(_));
        Data {
            shape,
            dim,
            props,
            mono,
            named,
        }
    }

    fn merge(&mut self, to: &mut Data, from: Data) -> DidMerge {
        let mut changed_to = false;
        let mut changed_from = false;
        let props = to.props.or(from.props).closed();
        if props != to.props {
            to.props = props;
            changed_to = true;
        }
        if props != from.props {
            changed_from = true;
        }
        if to.mono.is_none() && from.mono.is_some() {
            to.mono = from.mono;
            changed_to = true;
        } else if to.mono.is_some() && from.mono.is_none() {
            changed_from = true;
        }
        if !to.named && from.named {
            to.named = true;
            changed_to = true;
        } else if to.named && !from.named {
            changed_from = true;
        }
        if to.shape.is_none() && from.shape.is_some() {
            to.shape = from.shape;
            changed_to = true;
        }
        DidMerge(changed_to, changed_from)
    }

    fn modify(eg: &mut MathEGraph, id: Id) {
        if let Some(m) = eg[id].data.mono.clone()
            && let Some(canon) = canonical(eg, &m)
        {
            eg.union(id, canon);
        }
    }
}

/// Symbols ordered as people write coefficients: Greek letters first, then by name.
fn order(s: &Symbol) -> (bool, String) {
    (!is_greek(s.as_str()), s.as_str().to_string())
}

/// Adds the canonical term of a monomial: `c`, `−(αD)`, `D/(2β²)`.
fn canonical(eg: &mut MathEGraph, m: &Mono) -> Option<Id> {
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
