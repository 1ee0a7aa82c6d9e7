//! Structural facts of e-classes (symmetric, SPD, diagonal, identity, positive),
//! proved from the declarations and from each operation's children.

use egg::{Id, Language};

use super::analysis::MathEGraph;
use crate::ir::{Math, Shape};
use crate::syntax::ast::Structure;

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
    pub(super) fn closed(mut self) -> Props {
        self.diagonal |= self.identity;
        self.spd |= self.identity;
        self.symmetric |= self.spd || self.diagonal;
        self
    }

    pub(super) fn or(self, o: Props) -> Props {
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
pub(super) fn props(eg: &MathEGraph, node: &Math, shape: &Option<Shape>) -> Props {
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
