//! The e-class analysis: the shape, the structural facts (`facts.rs`: symmetric,
//! SPD, diagonal, identity, positive) and the scalar monomial (`mono.rs`: the
//! constant value and symbolic coefficient) of each class. `modify` adds the
//! canonical term of a class's monomial and unions it with the class.

use std::collections::HashMap;

use egg::{Analysis, DidMerge, EGraph, Id, Language, Symbol};

use super::facts::props;
pub use super::facts::{Facts, Props};
pub use super::mono::Mono;
use super::mono::{canonical, mono_of};
use crate::ir::{Dim, Math, Shape};
use crate::ops::resolved_shape;

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
    /// Unions the shape check refused in this e-graph, by origin (a rule's name,
    /// `linear pass`, `monomial`, …), and shape conflicts seen by `merge`.
    pub refused: Vec<String>,
    /// The nodes of each class, for the searches of one iteration.
    pub table: super::table::ClassTable,
}

impl MathAnalysis {
    /// The analysis of a new e-graph over symbols with these facts.
    pub fn new(facts: HashMap<Symbol, Facts>) -> MathAnalysis {
        MathAnalysis {
            facts,
            ..MathAnalysis::default()
        }
    }
}

/// The one way anything unions two classes of the simplifier's e-graph: refused (and
/// recorded under `origin`) when their shapes differ, so no pass can equate a matrix
/// with a number. Dimension leaves (no shape) only meet dimension leaves.
pub fn union_checked(eg: &mut MathEGraph, a: Id, b: Id, origin: &str) -> bool {
    let (sa, sb) = (&eg[a].data, &eg[b].data);
    if sa.shape != sb.shape || sa.dim != sb.dim {
        eg.analysis.refused.push(origin.to_string());
        return false;
    }
    eg.union(a, b)
}

/// The e-graph type of the simplifier.
pub type MathEGraph = EGraph<Math, MathAnalysis>;

/// The shape of `node` from the shapes of its children's classes (and the facts of symbols).
pub fn node_shape(eg: &MathEGraph, node: &Math) -> Option<Shape> {
    // No allocation: this runs for every node the e-graph makes.
    let child_shapes: Option<smallvec::SmallVec<[Shape; 2]>> = node
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
    resolved_shape(node, &vars, &child_shapes.unwrap_or_default(), &|id| {
        eg[id].data.dim.clone()
    })
}

impl Analysis<Math> for MathAnalysis {
    type Data = Data;

    fn make(eg: &mut MathEGraph, node: &Math, _id: Id) -> Data {
        eg.analysis.table.stale();
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
        self.table.stale();
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
        match (&to.shape, &from.shape) {
            (None, Some(_)) => {
                to.shape = from.shape;
                changed_to = true;
            }
            (Some(a), Some(b)) if a != b => {
                // Unreachable through `union_checked`; recorded so that a derivation
                // can never trust an e-graph in which it happened.
                self.refused
                    .push(format!("merge: shape conflict {a} vs {b}"));
            }
            _ => {}
        }
        DidMerge(changed_to, changed_from)
    }

    fn modify(eg: &mut MathEGraph, id: Id) {
        eg.analysis.table.stale();
        if let Some(m) = eg[id].data.mono.clone()
            && let Some(canon) = canonical(eg, &m)
        {
            union_checked(eg, id, canon, "monomial");
        }
    }
}
