//! Extraction of the cheapest term of each e-class: egg's fixed point, with the same
//! passes over the classes in the same order and the same update rule, so the same
//! result, but a class is evaluated again only when the cost of one of its children
//! has changed since (its result would otherwise be the same). egg evaluates every
//! class in every pass, and takes about as many passes as the e-graph is deep: a
//! chain of 200 products made that the largest cost of a derivation.

// A fast hash for e-class ids (the maps are only looked up, never iterated).
use rustc_hash::FxHashMap as HashMap;

use egg::{CostFunction, Id, Language, RecExpr};

use super::MathEGraph;
use crate::ir::Math;

/// The cheapest node of every class under a cost function.
pub struct Extractor<'a, CF: CostFunction<Math>> {
    egraph: &'a MathEGraph,
    costs: HashMap<Id, (CF::Cost, Math)>,
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
        let index: HashMap<Id, usize> =
            classes.iter().enumerate().map(|(i, c)| (c.id, i)).collect();
        // The classes whose cost depends on each class.
        let mut parents: Vec<Vec<usize>> = vec![Vec::new(); classes.len()];
        for (i, class) in classes.iter().enumerate() {
            for node in class.iter() {
                for c in node.children() {
                    if let Some(&k) = index.get(&egraph.find(*c)) {
                        parents[k].push(i);
                    }
                }
            }
        }
        for p in &mut parents {
            p.sort_unstable();
            p.dedup();
        }
        let mut dirty = vec![true; classes.len()];
        let mut costs: HashMap<Id, (CF::Cost, Math)> =
            HashMap::with_capacity_and_hasher(classes.len(), Default::default());
        let mut changed = true;
        while changed {
            changed = false;
            for (i, class) in classes.iter().enumerate() {
                if !std::mem::replace(&mut dirty[i], false) {
                    continue;
                }
                let best = class
                    .iter()
                    .map(|n| {
                        let known = n.all(|c| costs.contains_key(&egraph.find(c)));
                        let cost = known.then(|| cf.cost(n, |c| costs[&egraph.find(c)].0.clone()));
                        (cost, n)
                    })
                    .min_by(|a, b| match (&a.0, &b.0) {
                        (Some(x), Some(y)) => x.partial_cmp(y).unwrap_or(std::cmp::Ordering::Equal),
                        (Some(_), None) => std::cmp::Ordering::Less,
                        (None, Some(_)) => std::cmp::Ordering::Greater,
                        (None, None) => std::cmp::Ordering::Equal,
                    });
                let Some((Some(cost), node)) = best else {
                    continue;
                };
                let better = match costs.get(&class.id) {
                    None => true,
                    Some((old, _)) => cost < *old,
                };
                if better {
                    costs.insert(class.id, (cost, node.clone()));
                    changed = true;
                    for &p in &parents[i] {
                        dirty[p] = true;
                    }
                }
            }
        }
        Extractor { egraph, costs }
    }

    /// The cost of a class's cheapest term.
    pub fn cost(&self, root: Id) -> Option<CF::Cost> {
        self.costs
            .get(&self.egraph.find(root))
            .map(|(c, _)| c.clone())
    }

    /// The cost of a class's cheapest term and the term (None if it has no finite term).
    pub fn find_best(&self, root: Id) -> Option<(CF::Cost, RecExpr<Math>)> {
        let (cost, node) = self.costs.get(&self.egraph.find(root))?;
        let expr = node
            .clone()
            .build_recexpr(|id| self.costs[&self.egraph.find(id)].1.clone());
        Some((cost.clone(), expr))
    }
}
