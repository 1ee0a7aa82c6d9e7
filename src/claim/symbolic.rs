//! Equality by rewriting: the claim and the correct gradient in one e-graph, with
//! the project's rules (every topic and distribution) and each side also known as
//! its linear combination (`simplify::linear`). Equal when their e-classes meet.
//! Every rule is checked numerically by `tests/rules_sound.rs` and guarded by shape,
//! so a proof here is a proof; failing to find one proves nothing (numbers decide).

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use std::time::Duration;

use egg::{BackoffScheduler, RecExpr, Rewrite, Runner, Symbol};

use crate::ir::{Math, Shape};
use crate::simplify::analysis::union_checked;
use crate::simplify::cse::Tree;
use crate::simplify::rules::{self, Phase};
use crate::simplify::{Facts, MathAnalysis, MathEGraph, linear};

static RULES: LazyLock<Option<Vec<Rewrite<Math, MathAnalysis>>>> = LazyLock::new(|| {
    let specs: Vec<_> = rules::load_all()
        .ok()?
        .into_iter()
        .filter(|s| s.phase != Phase::Flops)
        .collect();
    rules::rewrites(&specs).ok()
});

/// Limits of the proof search: it always stops (the time limit is a backstop; the node
/// and iteration limits bind first on every claim tried, so verdicts do not depend on load).
const ITERATIONS: usize = 16;
const NODES: usize = 8_000;
const TIME: Duration = Duration::from_secs(5);

/// True when the rules prove `a = b`, the symbols having the given facts.
pub fn equal(a: &Tree, b: &Tree, facts: &HashMap<Symbol, Facts>) -> bool {
    if a == b {
        return true;
    }
    let Some(rules) = RULES.as_ref() else {
        return false;
    };
    let (ea, eb) = (a.to_expr(), b.to_expr());
    let shapes: HashMap<Symbol, Shape> = facts.iter().map(|(s, f)| (*s, f.shape.clone())).collect();
    let symmetric: HashSet<Symbol> = facts
        .iter()
        .filter(|(_, f)| f.props.symmetric || f.shape.is_scalar())
        .map(|(s, _)| *s)
        .collect();
    let la = linear::expand(&ea, &shapes, &symmetric).unwrap_or_else(|| ea.clone());
    let lb = linear::expand(&eb, &shapes, &symmetric).unwrap_or_else(|| eb.clone());
    if la == lb {
        return true;
    }
    let mut eg = MathEGraph::new(MathAnalysis::new(facts.clone()));
    let add = |eg: &mut MathEGraph, e: &RecExpr<Math>, l: &RecExpr<Math>| {
        let (i, j) = (eg.add_expr(e), eg.add_expr(l));
        union_checked(eg, i, j, "linear pass");
        i
    };
    let ra = add(&mut eg, &ea, &la);
    let rb = add(&mut eg, &eb, &lb);
    eg.rebuild();
    if eg.find(ra) == eg.find(rb) {
        return true;
    }
    let runner = Runner::<Math, MathAnalysis>::default()
        .with_egraph(eg)
        .with_iter_limit(ITERATIONS)
        .with_node_limit(NODES)
        .with_time_limit(TIME)
        .with_scheduler(BackoffScheduler::default().with_initial_match_limit(500))
        .with_hook(move |r| {
            if r.egraph.find(ra) == r.egraph.find(rb) {
                Err("proved".to_string())
            } else {
                Ok(())
            }
        })
        .run(rules);
    runner.egraph.find(ra) == runner.egraph.find(rb)
}
