//! Structural facts of e-classes (symmetric, SPD, diagonal, identity, positive),
//! proved from the declarations and from each operation's children.

use egg::{Id, Language};

use super::analysis::MathEGraph;
use crate::ir::{Math, Shape};
use crate::ops::{self, registry::FactsIn};

pub use crate::structure::Props;

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

/// The facts of a leaf: a declared symbol, a number, `I`.
fn leaf(eg: &MathEGraph, node: &Math) -> Props {
    match node {
        Math::Var(s) => eg
            .analysis
            .facts
            .get(s)
            .map_or(Props::default(), |f| Props {
                symmetric: f.props.symmetric,
                spd: f.props.spd,
                positive: f.props.positive,
                ..Props::default()
            }),
        Math::Num(r) => Props {
            positive: r.numer() > 0,
            ..Props::default()
        },
        Math::Eye(_) => Props {
            symmetric: true,
            spd: true,
            diagonal: true,
            identity: true,
            positive: false,
        },
        _ => Props::default(),
    }
}

/// Every fact of a new node: the registry's propagation from its children's facts,
/// and what needs the e-graph (AAᵀ and ASAᵀ are symmetric); a scalar is symmetric,
/// a positive scalar SPD, and no scalar is a diagonal matrix.
pub(super) fn props(eg: &MathEGraph, node: &Math, shape: &Option<Shape>) -> Props {
    let scalar_shape = shape.as_ref().is_some_and(Shape::is_scalar);
    let mut p = match ops::registry::of(node) {
        Some(prim) => {
            let mut input = FactsIn {
                square: shape.as_ref().is_some_and(Shape::is_square),
                ..FactsIn::default()
            };
            for (k, c) in input.kids.iter_mut().zip(node.children()) {
                let d = &eg[*c].data;
                *k = (d.props, d.is_scalar());
            }
            (prim.facts)(&input)
        }
        None => leaf(eg, node),
    };
    // Only a square product can be symmetric (AAᵀ, ASAᵀ are): the search of the
    // children's classes is skipped where it could not change the facts.
    let square = shape.as_ref().is_none_or(Shape::is_square);
    if let Math::Mul([a, b]) = node
        && square
        && !p.symmetric
        && !scalar_shape
    {
        p.symmetric |= sym_product(eg, *a, *b);
    }
    p.symmetric |= scalar_shape;
    p.spd |= scalar_shape && p.positive;
    p.diagonal &= !scalar_shape;
    p.closed()
}
