//! Extraction of the cheapest term of each e-class: egg's fixed point, with the same
//! passes over the classes in the same order and the same update rule, so the same
//! result, but a class is evaluated again only when the cost of one of its children
//! has changed since (its result would otherwise be the same). egg evaluates every
//! class in every pass, and takes about as many passes as the e-graph is deep: a
//! chain of 200 products made that the largest cost of a derivation.

use egg::{CostFunction, Id, Language, RecExpr};

use super::MathEGraph;
use crate::ir::Math;

/// The cheapest node of every class under a cost function.
pub struct Extractor<'a, CF: CostFunction<Math>> {
    egraph: &'a MathEGraph,
    /// Each class's position in `best`, by id (`NONE` for none).
    index: Vec<u32>,
    /// The cheapest node of each class with its cost.
    best: Vec<Option<(CF::Cost, Math)>>,
}

impl<'a, CF: CostFunction<Math>> Extractor<'a, CF> {
    /// Computes the cheapest node of every class, as egg's extractor does.
    pub fn new(egraph: &'a MathEGraph, cf: CF) -> Self {
        Self::with_order(egraph, cf, false)
    }

    /// The costs only: the cheapest cost of each class is the same whatever the order
    /// of the passes (only which node of equal cost is kept may differ), and visiting
    /// the classes by id (children mostly first) settles them in a few passes.
    pub fn costs_only(egraph: &'a MathEGraph, cf: CF) -> Self {
        Self::with_order(egraph, cf, true)
    }

    fn with_order(egraph: &'a MathEGraph, mut cf: CF, by_id: bool) -> Self {
        let mut classes: Vec<_> = egraph.classes().collect();
        if by_id {
            classes.sort_by_key(|c| c.id);
        }
        // Each class's position, by id (ids are dense: a vector, not a hash map; a
        // position fits 32 bits, `NONE` marks an id that is not a class's own).
        let ids = classes
            .iter()
            .map(|c| usize::from(c.id) + 1)
            .max()
            .unwrap_or(0);
        let mut index: Vec<u32> = vec![NONE; ids];
        for (i, c) in classes.iter().enumerate() {
            index[usize::from(c.id)] = pos(i);
        }
        // The position of each node's children among the classes, read once (the
        // passes below then index vectors, not hash maps), and the classes whose cost
        // depends on each class; both flat, without a vector per class.
        let at = |c: &Id| {
            index
                .get(usize::from(egraph.find(*c)))
                .copied()
                .unwrap_or(NONE)
        };
        let mut first: Vec<u32> = Vec::with_capacity(classes.len() + 1);
        let mut kids: Vec<[u32; 2]> = Vec::new();
        for class in &classes {
            first.push(pos(kids.len()));
            for n in class.iter() {
                let mut k = [NONE; 2];
                for (slot, c) in k.iter_mut().zip(n.children()) {
                    *slot = at(c);
                }
                kids.push(k);
            }
        }
        first.push(pos(kids.len()));
        let parents = Parents::new(&classes, &first, &kids);
        let mut dirty = vec![true; classes.len()];
        let mut best: Vec<Option<(CF::Cost, Math)>> = vec![None; classes.len()];
        let mut changed = true;
        while changed {
            changed = false;
            for (i, class) in classes.iter().enumerate() {
                if !std::mem::replace(&mut dirty[i], false) {
                    continue;
                }
                let node_kids = &kids[first[i] as usize..first[i + 1] as usize];
                let cheapest = class
                    .iter()
                    .zip(node_kids)
                    .map(|(n, k)| {
                        let kids = &k[..n.len()];
                        let known = kids
                            .iter()
                            .all(|c| *c != NONE && best[*c as usize].is_some());
                        let cost = known.then(|| {
                            cf.cost(n, |c| {
                                let pos = n.children().iter().position(|x| *x == c);
                                let found = pos.and_then(|p| best[kids[p] as usize].as_ref());
                                match found {
                                    Some((cost, _)) => cost.clone(),
                                    None => unreachable!("a child's cost is known"),
                                }
                            })
                        });
                        (cost, n)
                    })
                    .min_by(|a, b| match (&a.0, &b.0) {
                        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    });
                let Some((Some(cost), node)) = cheapest else {
                    continue;
                };
                let better = match &best[i] {
                    None => true,
                    Some((old, _)) => cost < *old,
                };
                if better {
                    best[i] = Some((cost, node.clone()));
                    changed = true;
                    for &p in parents.of(i) {
                        dirty[p as usize] = true;
                    }
                }
            }
        }
        Extractor {
            egraph,
            index,
            best,
        }
    }

    /// The cheapest node of a class with its cost.
    fn get(&self, id: Id) -> Option<&(CF::Cost, Math)> {
        let i = *self.index.get(usize::from(self.egraph.find(id)))?;
        self.best.get(i as usize)?.as_ref()
    }

    /// The cost of a class's cheapest term.
    pub fn cost(&self, root: Id) -> Option<CF::Cost> {
        self.get(root).map(|(c, _)| c.clone())
    }

    /// The cost of a class's cheapest term and the term (None if it has no finite term).
    pub fn find_best(&self, root: Id) -> Option<(CF::Cost, RecExpr<Math>)> {
        let (cost, node) = self.get(root)?;
        let expr = node.clone().build_recexpr(|id| match self.get(id) {
            Some((_, n)) => n.clone(),
            None => unreachable!("a chosen node's children have a cheapest node"),
        });
        Some((cost.clone(), expr))
    }
}

/// Not a class: an id that is not a class's own, or a missing child.
const NONE: u32 = u32::MAX;

/// A position among the classes or their nodes, as stored (an e-graph holds far
/// fewer than 2³² of either, so the conversion never saturates in practice).
fn pos(i: usize) -> u32 {
    u32::try_from(i).unwrap_or(NONE)
}

/// The classes whose cost depends on each class (the classes of nodes with it as a
/// child), each list in increasing order without repeats, in one vector.
struct Parents {
    /// Class `k`'s parents are `list[start[k]..start[k] + len[k]]`.
    start: Vec<u32>,
    len: Vec<u32>,
    list: Vec<u32>,
}

impl Parents {
    /// From the children's positions of each node (`kids[first[i]..first[i + 1]]` are
    /// those of class `i`'s nodes).
    fn new<T>(classes: &[T], first: &[u32], kids: &[[u32; 2]]) -> Parents {
        let n = classes.len();
        let child_of = |i: usize| {
            kids[first[i] as usize..first[i + 1] as usize]
                .iter()
                .flatten()
                .copied()
                .filter(|k| *k != NONE)
        };
        let mut start = vec![0u32; n + 1];
        for i in 0..n {
            for k in child_of(i) {
                start[k as usize + 1] += 1;
            }
        }
        for k in 0..n {
            start[k + 1] += start[k];
        }
        let mut len = vec![0u32; n];
        let mut list = vec![0u32; start[n] as usize];
        // Classes in increasing order: a class's parents come sorted, a repeat (two
        // children or two nodes of the same class) right after its first.
        for i in 0..n {
            let i32 = pos(i);
            for k in child_of(i) {
                let k = k as usize;
                let at = (start[k] + len[k]) as usize;
                if len[k] > 0 && list[at - 1] == i32 {
                    continue;
                }
                list[at] = i32;
                len[k] += 1;
            }
        }
        Parents { start, len, list }
    }

    fn of(&self, k: usize) -> &[u32] {
        let s = self.start[k] as usize;
        &self.list[s..s + self.len[k] as usize]
    }
}
