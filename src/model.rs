//! A problem after parsing and shape inference: the forward DAG, its inputs and
//! the user's named intermediates.

use egg::{Id, Symbol};

use crate::ir::{Graph, Shape};
use crate::structure::Structure;

/// An input of the problem (a declared or inferred name that is not defined).
#[derive(Debug, Clone, PartialEq)]
pub struct Input {
    /// Its name.
    pub name: String,
    /// Its inferred shape.
    pub shape: Shape,
    /// `sym`/`spd` if declared so.
    pub structure: Structure,
    /// True if a declaration gave its type.
    pub declared: bool,
    /// The place of its declaration or first use.
    pub span: std::ops::Range<usize>,
}

/// A lowered problem.
#[derive(Debug, Clone)]
pub struct Model {
    /// The forward computation, hash-consed.
    pub graph: Graph,
    /// The objective's node.
    pub objective: Id,
    /// The name given to the objective (`L = ...` as the last statement), if any.
    pub objective_name: Option<String>,
    /// Inputs in order of declaration, then of first use.
    pub inputs: Vec<Input>,
    /// The user's named intermediates, in order.
    pub defs: Vec<(String, Id)>,
    /// The problem text.
    pub source: String,
    /// For each forward node (by id), the place in the text where it was first
    /// written, if it was (inputs, operations; not the nodes lowering adds).
    pub spans: Vec<Option<std::ops::Range<usize>>>,
}

impl Model {
    /// The input called `name`.
    pub fn input(&self, name: &str) -> Option<&Input> {
        self.inputs.iter().find(|i| i.name == name)
    }

    /// The user's name for node `id`, if it is a named intermediate.
    pub fn def_name(&self, id: Id) -> Option<&str> {
        self.defs
            .iter()
            .find(|(_, d)| *d == id)
            .map(|(n, _)| n.as_str())
    }

    /// Where node `id` of the forward graph was written, if it was.
    pub fn span(&self, id: Id) -> Option<std::ops::Range<usize>> {
        self.spans.get(usize::from(id)).cloned().flatten()
    }

    /// The symbolic dimensions of the problem, sorted.
    pub fn dims(&self) -> Vec<Symbol> {
        let mut v: Vec<Symbol> = Vec::new();
        for i in &self.inputs {
            for d in [&i.shape.rows, &i.shape.cols] {
                if let crate::ir::Dim::Sym(s) = d
                    && !v.contains(s)
                {
                    v.push(*s);
                }
            }
        }
        v
    }
}
