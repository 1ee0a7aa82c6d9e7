//! Which rules can ever match: a rule whose left side needs an operation that is
//! not in the e-graph, and that no rule (nor the analysis) can ever add, is left out
//! of the run. Leaving it out changes nothing but time: it would match nothing, in
//! every iteration. An operation is a node with its children cleared (each
//! elementwise function its own), leaves are not counted (a rule that needs a given
//! number or name is kept). A rule's left side is compiled only when it is usable.

use std::collections::BTreeSet;

use egg::{ENodeOrVar, Id, Language, PatternAst, Rewrite};

use super::analysis::{MathAnalysis, MathEGraph};
use super::rules::Rule;
use crate::error::Result;
use crate::ir::Math;

/// An operation: a node with its children cleared.
pub type Op = Math;

fn op(n: &Math) -> Option<Op> {
    (!n.is_leaf()).then(|| n.clone().map_children(|_| Id::from(0usize)))
}

/// The operations of a pattern, sorted and distinct.
pub fn operations(ast: &PatternAst<Math>) -> Vec<Op> {
    let set: BTreeSet<Op> = ast
        .as_ref()
        .iter()
        .filter_map(|n| match n {
            ENodeOrVar::ENode(n) => op(n),
            ENodeOrVar::Var(_) => None,
        })
        .collect();
    set.into_iter().collect()
}

/// Operations the analysis may add to any e-graph (a scalar monomial's canonical
/// form: products, quotients, powers and negation; see `mono.rs`).
fn analysis_adds() -> [Op; 4] {
    let z = Id::from(0usize);
    [
        Math::Mul([z, z]),
        Math::Div([z, z]),
        Math::Pow([z, z]),
        Math::Neg(z),
    ]
}

/// The rules of `rules` that can match in `eg` or in any e-graph the rules grow
/// from it, in their order.
pub fn usable<'a>(
    eg: &MathEGraph,
    rules: &[&'a Rule],
) -> Result<Vec<&'a Rewrite<Math, MathAnalysis>>> {
    let mut present: BTreeSet<Op> = eg
        .classes()
        .flat_map(|c| c.nodes.iter().filter_map(op))
        .collect();
    present.extend(analysis_adds());
    let fires = |r: &Rule, present: &BTreeSet<Op>| r.needs.iter().all(|o| present.contains(o));
    let mut fired = vec![false; rules.len()];
    loop {
        let mut grew = false;
        for (i, r) in rules.iter().enumerate() {
            if !fired[i] && fires(r, &present) {
                fired[i] = true;
                for o in &r.adds {
                    grew |= present.insert(o.clone());
                }
            }
        }
        if !grew {
            break;
        }
    }
    rules
        .iter()
        .zip(&fired)
        .filter(|(_, f)| **f)
        .map(|(r, _)| r.rewrite())
        .collect()
}
