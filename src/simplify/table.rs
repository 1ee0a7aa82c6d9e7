//! The nodes of every class of a rebuilt e-graph in one flat table indexed by class
//! id, for the searches of an iteration: egg finds a class by its id in a hash map
//! (after a union-find lookup), and the rules' searches do that some 300,000 times
//! in the largest seed's derivation. The runner's hook fills the table before the
//! searches of each iteration ([`ClassTable::refill`]); any change to the e-graph
//! (a node added, two classes merged, a class's data repaired) goes through the
//! analysis, which marks the table stale ([`ClassTable::stale`]), and a stale
//! table is never read.

use egg::Id;

use super::analysis::MathEGraph;
use crate::ir::Math;

/// The classes' nodes, in egg's order, by class id.
#[derive(Debug, Default, Clone)]
pub struct ClassTable {
    /// Filled since the e-graph last changed.
    fresh: bool,
    /// Where each class's nodes start and end in `nodes`, by id (empty for an id that
    /// is not a class's own).
    spans: Vec<(u32, u32)>,
    nodes: Vec<Math>,
    /// What extraction's cost reads of each class's data, by id.
    kinds: Vec<Kind>,
    /// The operators of each class's nodes, by id ([`operator_bit`]).
    operators: Vec<u32>,
}

/// A bit for each operator of the language (all elementwise functions share one).
pub fn operator_bit(n: &Math) -> u32 {
    let k = match n {
        Math::Add(_) => 0,
        Math::Neg(_) => 1,
        Math::Mul(_) => 2,
        Math::Hadamard(_) => 3,
        Math::Div(_) => 4,
        Math::EDiv(_) => 5,
        Math::Pow(_) => 6,
        Math::EPow(_) => 7,
        Math::MatPow(_) => 8,
        Math::Transpose(_) => 9,
        Math::Inv(_) => 10,
        Math::Trace(_) => 11,
        Math::Det(_) => 12,
        Math::LogDet(_) => 13,
        Math::Norm2(_) => 14,
        Math::Norm(_) => 15,
        Math::Sum(_) => 16,
        Math::DiagM(_) => 17,
        Math::DiagV(_) => 18,
        Math::Ones(_) => 19,
        Math::Eye(_) => 20,
        Math::Softmax(_) => 21,
        Math::LogSumExp(_) => 22,
        Math::Fun(..) => 23,
        Math::Num(_) => 24,
        Math::Dim(_) => 25,
        Math::Var(_) => 26,
    };
    1 << k
}

/// What the compact cost reads of a class's data ([`super::cost::Compact`]).
#[derive(Debug, Default, Clone, Copy)]
pub struct Kind {
    /// 1×1.
    pub scalar: bool,
    /// A number (a monomial without powers).
    pub constant: bool,
    /// A name or the inverse of one.
    pub named: bool,
}

impl Kind {
    /// The kind of a class's data.
    pub fn of(data: &super::analysis::Data) -> Kind {
        Kind {
            scalar: data.is_scalar(),
            constant: data.mono.as_ref().is_some_and(|m| m.powers.is_empty()),
            named: data.named,
        }
    }
}

impl ClassTable {
    /// Marks the table stale (the e-graph has changed).
    pub fn stale(&mut self) {
        self.fresh = false;
    }

    /// Fills the table from a rebuilt e-graph; leaves it stale otherwise.
    pub fn refill(&mut self, eg: &MathEGraph) {
        self.fresh = false;
        if !eg.clean {
            return;
        }
        self.nodes.clear();
        self.spans.clear();
        self.kinds.clear();
        self.operators.clear();
        for class in eg.classes() {
            let at = usize::from(class.id);
            if self.spans.len() <= at {
                self.spans.resize(at + 1, (0, 0));
                self.kinds.resize(at + 1, Kind::default());
                self.operators.resize(at + 1, 0);
            }
            self.kinds[at] = Kind::of(&class.data);
            self.operators[at] = class.nodes.iter().fold(0, |m, n| m | operator_bit(n));
            let start = self.nodes.len();
            self.nodes.extend(class.nodes.iter().cloned());
            let (Ok(s), Ok(e)) = (u32::try_from(start), u32::try_from(self.nodes.len())) else {
                return;
            };
            self.spans[at] = (s, e);
        }
        self.fresh = true;
    }

    /// The nodes of the class `id` (its own id, as a rebuilt e-graph's nodes name
    /// their children), `None` when the table is stale or `id` is not a class's own.
    pub fn nodes(&self, id: Id) -> Option<&[Math]> {
        if !self.fresh {
            return None;
        }
        let (s, e) = *self.spans.get(usize::from(id))?;
        if s == e {
            return None;
        }
        self.nodes.get(s as usize..e as usize)
    }

    /// The nodes of the class `id` that may have the operator of `bit` (from
    /// [`operator_bit`]): none when the class has no node with it, else all of
    /// them, as [`ClassTable::nodes`] finds them.
    pub fn nodes_for(&self, id: Id, bit: u32) -> Option<&[Math]> {
        let nodes = self.nodes(id)?;
        let has = self.operators[usize::from(id)] & bit != 0;
        Some(if has { nodes } else { &[] })
    }

    /// The kind of the class `id`, as [`ClassTable::nodes`] finds it.
    pub fn kind(&self, id: Id) -> Option<Kind> {
        self.nodes(id)?;
        self.kinds.get(usize::from(id)).copied()
    }
}

/// The nodes of the class `id`: from the table while it is fresh, else egg's.
pub fn class_nodes(eg: &MathEGraph, id: Id) -> &[Math] {
    match eg.analysis.table.nodes(id) {
        Some(nodes) => nodes,
        None => &eg[id].nodes,
    }
}

/// The nodes of the class `id` that may have the operator of `bit`, as
/// [`ClassTable::nodes_for`] gives them while the table is fresh, else all of egg's.
pub fn class_nodes_for(eg: &MathEGraph, id: Id, bit: u32) -> &[Math] {
    match eg.analysis.table.nodes_for(id, bit) {
        Some(nodes) => nodes,
        None => &eg[id].nodes,
    }
}

/// The kind of the class `id`: from the table while it is fresh, else from its data.
pub fn class_kind(eg: &MathEGraph, id: Id) -> Kind {
    match eg.analysis.table.kind(id) {
        Some(k) => k,
        None => Kind::of(&eg[id].data),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simplify::analysis::{Data, MathAnalysis};
    use egg::RecExpr;

    fn v(name: &str) -> Math {
        Math::Var(egg::Symbol::from(name))
    }

    fn egraph() -> MathEGraph {
        let mut eg = MathEGraph::new(MathAnalysis::default());
        let e: RecExpr<Math> = "(+ (* a (* b c)) (neg (* a d)))".parse().expect("parses");
        eg.add_expr(&e);
        eg.rebuild();
        eg
    }

    fn kind_eq(a: Kind, d: &Data) -> bool {
        let b = Kind::of(d);
        (a.scalar, a.constant, a.named) == (b.scalar, b.constant, b.named)
    }

    /// A filled table gives every class's own nodes and kind, in egg's order.
    #[test]
    fn filled_table_is_the_egraph() {
        let mut eg = egraph();
        let mut t = ClassTable::default();
        t.refill(&eg);
        for c in eg.classes() {
            assert_eq!(t.nodes(c.id), Some(c.nodes.as_slice()));
            assert!(kind_eq(t.kind(c.id).expect("a kind"), &c.data));
        }
        // Ids that are not a class's own are not in it.
        let (a, b) = (eg.lookup(v("a")), eg.lookup(v("d")));
        let (a, b) = (a.expect("a"), b.expect("d"));
        eg.union(a, b);
        eg.rebuild();
        t.refill(&eg);
        let gone = if eg.find(a) == a { b } else { a };
        assert_eq!(t.nodes(gone), None);
        assert!(t.nodes(eg.find(a)).is_some());
    }

    /// Any change to the e-graph goes through the analysis, which marks the table stale.
    #[test]
    fn changed_egraph_is_never_read() {
        let mut eg = egraph();
        let mut t = std::mem::take(&mut eg.analysis.table);
        t.refill(&eg);
        eg.analysis.table = t;
        let some = eg.classes().next().map(|c| c.id).expect("a class");
        assert!(eg.analysis.table.nodes(some).is_some());
        eg.add(v("e"));
        assert_eq!(eg.analysis.table.nodes(some), None);
        assert!(eg.analysis.table.kind(some).is_none());

        let mut t = std::mem::take(&mut eg.analysis.table);
        eg.rebuild();
        t.refill(&eg);
        eg.analysis.table = t;
        let (a, b) = (eg.lookup(v("b")), eg.lookup(v("c")));
        eg.union(a.expect("b"), b.expect("c"));
        assert_eq!(eg.analysis.table.nodes(some), None);

        // Not rebuilt: not filled.
        let mut t = std::mem::take(&mut eg.analysis.table);
        t.refill(&eg);
        assert_eq!(t.nodes(some), None);
    }
}
