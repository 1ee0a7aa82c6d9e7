//! Cost models for extraction: "compact" (fewest operations, scalars in front)
//! and "flops" (fewest floating-point operations at given sizes).

use std::collections::HashMap;

use egg::{CostFunction, Id, Language, Symbol};

use super::analysis::MathEGraph;
use super::table::{class_kind, class_nodes};
use crate::ir::{Dim, Math, Shape};

/// Fewest operations, as a person writes it.
pub struct Compact<'a> {
    /// The e-graph, for the shapes of children.
    pub egraph: &'a MathEGraph,
}

/// The cost of a compact form: its weighted operation count, and what its top
/// node is, so that a parent can prefer some writings of equal length.
#[derive(Debug, Clone, Copy, PartialEq, PartialOrd)]
pub struct CompactCost {
    /// Weighted operations (the part that decides).
    pub total: f64,
    /// The top node scales a matrix by a scalar (`sA`, or `−sA`).
    pub scaled: bool,
    /// The top node is a product of two non-scalars.
    pub product: bool,
    /// The top node is a negation.
    pub negated: bool,
    /// The top node is a division.
    pub divided: bool,
}

/// What a parent's cost reads of a child class: its shape kind and constant value.
#[derive(Clone, Copy, Default)]
struct Kid {
    scalar: bool,
    constant: bool,
    cost: Option<CompactCost>,
}

impl CostFunction<Math> for Compact<'_> {
    type Cost = CompactCost;
    fn cost<C: FnMut(Id) -> CompactCost>(&mut self, node: &Math, mut costs: C) -> CompactCost {
        // Each child is looked up once (e-class lookups dominate extraction).
        let mut kids = [Kid::default(); 2];
        let mut children = 0.0;
        for (i, c) in node.children().iter().enumerate() {
            let cost = costs(*c);
            children += cost.total;
            if let Some(k) = kids.get_mut(i) {
                let kind = class_kind(self.egraph, *c);
                *k = Kid {
                    scalar: kind.scalar,
                    constant: kind.constant,
                    cost: Some(cost),
                };
            }
        }
        let [a, b] = kids;
        let ca = a.cost.unwrap_or(ZERO);
        let cb = b.cost.unwrap_or(ZERO);
        let own = match node {
            Math::Dim(_) => 0.0,
            // A scalar written after a matrix reads worse than in front of it.
            Math::Mul(_) if b.scalar && !a.scalar => 1.01,
            // One coefficient in front, not nested scalings: (αD)(K⁻¹X), not D(α(K⁻¹X)).
            Math::Mul(_) if a.scalar && !b.scalar && cb.scaled => 1.02,
            // Scalars in front of a product, not inside its right factor: α(K⁻¹X), not K⁻¹(αX).
            Math::Mul(_) | Math::Hadamard(_) if !a.scalar && (cb.scaled || ca.scaled) => 1.02,
            // Products nest to the left, as they are read (and printed without parentheses).
            Math::Mul(_) if !a.scalar && cb.product => 1.001,
            // Coefficients go outside a trace or sum: ½tr(A), not tr(½A).
            Math::Trace(_) | Math::Sum(_) if ca.scaled => 1.01,
            // One division: a/(bc), not a/b/c.
            Math::Div(_) if ca.divided => 1.01,
            // Transposes sit on names (Yᵀ, K⁻ᵀ), not on products: YYᵀ rather than (K⁻¹Y)(K⁻¹Y)ᵀ.
            Math::Transpose(x) if !class_kind(self.egraph, *x).named => 1.01,
            // A sign goes in front of a product, not inside it: −αDK⁻¹X, not αD(−K⁻¹X).
            Math::Mul(_) | Math::Hadamard(_) if ca.negated || cb.negated => 1.04,
            // A + A is 2A, and A + B + A is 2A + B.
            Math::Add([x, y]) if x == y || self.repeats(*x, *y) || self.repeats(*y, *x) => 1.1,
            // A negative number is a sign and a number.
            Math::Num(r) if r.numer() < 0 => 2.0,
            Math::Num(r) if !r.is_integer() => 1.05,
            // Numbers lead a product: 2α, not α2.
            Math::Mul(_) if b.constant && !a.constant => 1.1,
            Math::Hadamard(_) => 1.02,
            // A power reads shorter than the product it stands for: X², c², not XX, cc.
            Math::Pow(_) | Math::MatPow(_) if b.constant => 0.9,
            _ => 1.0,
        };
        let (scaled, product) = match node {
            Math::Mul(_) => (a.scalar && !b.scalar, !a.scalar && !b.scalar),
            Math::Neg(_) => (ca.scaled, false),
            _ => (false, false),
        };
        // A sign at the front: −a, (−a)/s, (−a)b.
        let negated = match node {
            Math::Neg(_) => true,
            Math::Div(_) | Math::Mul(_) => ca.negated,
            _ => false,
        };
        CompactCost {
            total: own + children,
            scaled,
            product,
            negated,
            divided: matches!(node, Math::Div(_)),
        }
    }
}

impl Compact<'_> {
    /// True when the sum class `sum` has a writing `a + b` with `b` or `a` the class
    /// `term`: `(a + b) + a` writes a term twice.
    fn repeats(&self, sum: Id, term: Id) -> bool {
        let term = self.egraph.find(term);
        class_nodes(self.egraph, sum).iter().any(|n| match n {
            Math::Add([a, b]) => self.egraph.find(*a) == term || self.egraph.find(*b) == term,
            _ => false,
        })
    }
}

const ZERO: CompactCost = CompactCost {
    total: 0.0,
    scaled: false,
    product: false,
    negated: false,
    divided: false,
};

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

/// The floating-point operations of one node given its children's shapes (the
/// registry's count for an operation; leaves cost nothing).
pub fn node_flops(node: &Math, out: (f64, f64), child: &dyn Fn(usize) -> (f64, f64)) -> f64 {
    match crate::ops::registry::of(node) {
        Some(p) => {
            let args: Vec<(f64, f64)> = (0..p.arity).map(child).collect();
            (p.flops)(out, &args)
        }
        None => 0.0,
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
