//! Cost models for extraction: "compact" (fewest operations, scalars in front)
//! and "flops" (fewest floating-point operations at given sizes).

use std::collections::HashMap;

use egg::{CostFunction, Id, Language, Symbol};

use super::analysis::MathEGraph;
use crate::ir::{Dim, Math, Shape};

/// Fewest operations, as a person writes it.
pub struct Compact<'a> {
    /// The e-graph, for the shapes of children.
    pub egraph: &'a MathEGraph,
}

impl CostFunction<Math> for Compact<'_> {
    type Cost = f64;
    fn cost<C: FnMut(Id) -> f64>(&mut self, node: &Math, mut costs: C) -> f64 {
        let scalar = |id: &Id| self.egraph[*id].data.is_scalar();
        let own = match node {
            Math::Dim(_) => 0.0,
            // A scalar written after a matrix reads worse than in front of it.
            Math::Mul([a, b]) if scalar(b) && !scalar(a) => 1.01,
            // Gather scalars in front: prefer (αD)(K⁻¹X) to α(K⁻¹(DX)).
            Math::Mul([a, b])
                if scalar(a)
                    && !scalar(b)
                    && self.egraph[*b]
                        .nodes
                        .iter()
                        .any(|n| matches!(n, Math::Var(_))) =>
            {
                1.005
            }
            Math::Num(r) if !r.is_integer() => 1.05,
            Math::Div(_) => 1.1,
            Math::Hadamard(_) => 1.02,
            _ => 1.0,
        };
        node.fold(own, |acc, c| acc + costs(c))
    }
}

/// Fewest floating-point operations at the given sizes (unknown dimensions count as `default`).
pub struct Flops<'a> {
    /// The e-graph, for shapes.
    pub egraph: &'a MathEGraph,
    /// Sizes of the symbolic dimensions.
    pub sizes: &'a HashMap<Symbol, f64>,
    /// Size of a dimension not in `sizes`.
    pub default: f64,
}

impl Flops<'_> {
    fn dims(&self, s: &Option<Shape>) -> (f64, f64) {
        let size = |d: &Dim| match d {
            Dim::Fixed(n) => *n as f64,
            Dim::Sym(s) => self.sizes.get(s).copied().unwrap_or(self.default),
        };
        s.as_ref()
            .map_or((1.0, 1.0), |s| (size(&s.rows), size(&s.cols)))
    }
}

/// The floating-point operations of one node given its children's shapes.
pub fn node_flops(node: &Math, out: (f64, f64), child: &dyn Fn(usize) -> (f64, f64)) -> f64 {
    let (r, c) = out;
    match node {
        Math::Num(_)
        | Math::Var(_)
        | Math::Dim(_)
        | Math::Eye(_)
        | Math::Transpose(_)
        | Math::Ones(_) => 0.0,
        Math::Mul(_) => {
            let ((ar, ac), (br, bc)) = (child(0), child(1));
            if ar * ac == 1.0 || br * bc == 1.0 {
                r * c
            } else {
                ar * bc * (2.0 * ac - 1.0)
            }
        }
        Math::Inv(_) => r * r * r,
        Math::Det(_) | Math::LogDet(_) => 2.0 / 3.0 * child(0).0.powi(3),
        Math::Trace(_) | Math::DiagV(_) => child(0).0,
        Math::Sum(_) | Math::Norm2(_) | Math::Norm(_) | Math::LogSumExp(_) => {
            2.0 * child(0).0 * child(0).1
        }
        Math::Softmax(_) => 3.0 * r * c,
        _ => r * c,
    }
}

impl CostFunction<Math> for Flops<'_> {
    type Cost = f64;
    fn cost<C: FnMut(Id) -> f64>(&mut self, node: &Math, mut costs: C) -> f64 {
        let out = self.dims(&super::analysis::node_shape(self.egraph, node));
        let kids: Vec<(f64, f64)> = node
            .children()
            .iter()
            .map(|c| self.dims(&self.egraph[*c].data.shape))
            .collect();
        let f = node_flops(node, out, &|i| kids.get(i).copied().unwrap_or((1.0, 1.0)));
        // A thousandth per operation breaks ties towards the shorter form.
        node.fold(f + 1e-3, |acc, c| acc + costs(c))
    }
}
