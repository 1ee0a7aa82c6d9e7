//! Simplification in an e-graph: rules from `rules/`, an analysis that carries
//! shapes and facts, a bounded runner and extraction by a cost model.

pub mod analysis;
pub mod clock;
pub mod cost;
pub mod cse;
pub mod extract;
pub mod factor;
pub mod facts;
pub mod linear;
pub mod matcher;
pub mod mono;
pub mod poly;
pub mod ratfun;
pub mod reach;
pub mod rules;
pub mod scan;
pub mod sign;
pub mod table;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use std::time::Duration;

use egg::{BackoffScheduler, Id, Language, RecExpr, Runner, StopReason, Symbol};

use crate::error::Result;
use crate::ir::{Math, Shape};
pub use analysis::{Facts, MathAnalysis, MathEGraph, Props};
use clock::EggClock;
use extract::Extractor;
use rules::Phase;

/// Which closed form to extract.
#[derive(Debug, Clone, PartialEq, Default)]
pub enum CostKind {
    /// The fewest operations.
    #[default]
    Compact,
    /// The fewest floating-point operations at these sizes (other dimensions count as 10).
    Flops(HashMap<Symbol, f64>),
}

/// Limits of the runner: it always stops.
#[derive(Debug, Clone)]
pub struct Limits {
    /// Iterations.
    pub iterations: usize,
    /// E-nodes.
    pub nodes: usize,
    /// Wall-clock time.
    pub time: Duration,
    /// Stop once the cost of every root has not improved for this many iterations.
    pub patience: usize,
    /// Matches a rule may have in one iteration before it is banned for a while
    /// (egg's backoff scheduler; the limit doubles with every ban).
    pub match_limit: usize,
    /// Iterations of a rule's first ban (doubled with every ban).
    pub ban_length: usize,
    /// Run the polish phase (distribution and linear combinations) after the main search.
    pub polish: bool,
}

impl Limits {
    /// The tighter limits of the polish phase.
    fn polish(&self) -> Limits {
        Limits {
            iterations: self.iterations.min(10),
            nodes: self.nodes.min(4_000),
            time: self.time / 4,
            patience: self.patience.min(3),
            // Distribution matches many products: a rule over 200 matches waits.
            match_limit: self.match_limit.min(200),
            ..self.clone()
        }
    }
}

impl Default for Limits {
    fn default() -> Limits {
        Limits {
            iterations: 40,
            nodes: 20_000,
            time: Duration::from_secs(5),
            patience: 3,
            // Half egg's default: the seeds reach their forms from 400 up (at 300 the
            // nonlinear least-squares gradient keeps a scalar 0.5·2), and gplvm-trace
            // takes two thirds of the time it takes at 1000.
            match_limit: 500,
            ban_length: 5,
            polish: true,
        }
    }
}

/// What a run of the simplifier did.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Iterations run.
    pub iterations: usize,
    /// E-nodes at the end.
    pub nodes: usize,
    /// E-classes at the end.
    pub classes: usize,
    /// Why the runner stopped, when it was a limit rather than saturation.
    pub limit: Option<String>,
    /// Rules whose union the shape guard refused (a rule bug if ever non-empty).
    pub refused: Vec<String>,
    /// Rule applications in the last iteration, most first (what kept the runner going).
    pub last_applied: Vec<(String, usize)>,
    /// The polish phase (distribution) gave the results that were kept.
    pub polished: bool,
    /// The polish phase's own run (its iterations, e-nodes and e-classes), when it ran.
    pub polish: Option<Box<Stats>>,
}

type Rules = Vec<rules::Rule>;
/// The best form of each expression with its cost, and what the run did.
type Run = (Vec<(f64, RecExpr<Math>)>, Stats);
type Compiled = std::result::Result<Rules, crate::error::Error>;

// Each phase's rules are parsed and compiled once per process, on first use: a problem
// derived for compact forms never reads `rules/flops.rules`, and `facts_of` alone never
// reads `rules/expand.rules`.
/// Every search: the topic rules.
static MAIN: LazyLock<Compiled> = LazyLock::new(|| rules::compile_phase(Phase::Main));
/// Added to the main search for the fewest FLOPs (the other association of products).
static FLOPS: LazyLock<Compiled> = LazyLock::new(|| rules::compile_phase(Phase::Flops));
/// Added in the polish of an extracted result (distribution).
static POLISH: LazyLock<Compiled> = LazyLock::new(|| rules::compile_phase(Phase::Polish));

/// The rules of these sets, in order.
fn rule_set(sets: &[&'static LazyLock<Compiled>]) -> Result<Vec<&'static rules::Rule>> {
    let mut out = Vec::new();
    for set in sets {
        out.extend(set.as_ref().map_err(|e| e.clone())?.iter());
    }
    Ok(out)
}

const CONVERGED: &str = "converged";

/// The best form of each root with its cost (the `total` for compact forms); `None`
/// for a root without a term of known cost (which extraction from added expressions
/// never leaves).
fn extract(eg: &MathEGraph, roots: &[Id], cost: &CostKind) -> Vec<Option<(f64, RecExpr<Math>)>> {
    match cost {
        CostKind::Compact => {
            let ex = Extractor::new(eg, cost::Compact { egraph: eg });
            roots
                .iter()
                .map(|r| ex.find_best(*r).map(|(c, e)| (c.total, e)))
                .collect()
        }
        CostKind::Flops(sizes) => {
            let ex = Extractor::new(
                eg,
                cost::Flops {
                    egraph: eg,
                    sizes,
                    default: 10.0,
                },
            );
            roots.iter().map(|r| ex.find_best(*r)).collect()
        }
    }
}

/// The cost of the best form of each root (infinite for a root without one).
fn best_costs(eg: &MathEGraph, roots: &[Id], cost: &CostKind) -> Vec<f64> {
    match cost {
        CostKind::Compact => {
            let ex = Extractor::costs_only(eg, cost::Compact { egraph: eg });
            roots
                .iter()
                .map(|r| ex.cost(*r).map_or(f64::INFINITY, |c| c.total))
                .collect()
        }
        CostKind::Flops(sizes) => {
            let flops = cost::Flops {
                egraph: eg,
                sizes,
                default: 10.0,
            };
            let ex = Extractor::costs_only(eg, flops);
            roots
                .iter()
                .map(|r| ex.cost(*r).unwrap_or(f64::INFINITY))
                .collect()
        }
    }
}

/// A runner hook that stops once no root's best cost has improved for `patience`
/// iterations: the rules that keep firing then only add equivalent forms.
fn converged_hook(
    cost: CostKind,
    patience: usize,
) -> impl FnMut(&mut Runner<Math, MathAnalysis>) -> std::result::Result<(), String> + 'static {
    let mut best: Vec<f64> = Vec::new();
    let mut stale = 0;
    move |runner| {
        let now = best_costs(&runner.egraph, &runner.roots, &cost);
        let improved =
            best.len() != now.len() || now.iter().zip(&best).any(|(n, b)| *n < *b - 1e-9);
        if improved {
            best = now;
            stale = 0;
        } else {
            stale += 1;
        }
        if stale >= patience {
            Err(CONVERGED.to_string())
        } else {
            Ok(())
        }
    }
}

/// The operations (not leaves) of each expression, as indices into one table of
/// distinct nodes shared by all of them: a subterm two expressions share has one index.
fn interned_operations(exprs: &[&RecExpr<Math>]) -> (Vec<Vec<usize>>, usize) {
    let mut seen: HashMap<Math, Id> = HashMap::new();
    let sets = exprs
        .iter()
        .map(|e| {
            let mut ids: Vec<Id> = Vec::with_capacity(e.as_ref().len());
            let mut ops: Vec<usize> = Vec::new();
            for n in e.as_ref() {
                let node = n.clone().map_children(|c| ids[usize::from(c)]);
                let leaf = node.is_leaf();
                let next = Id::from(seen.len());
                let id = *seen.entry(node).or_insert(next);
                ids.push(id);
                if !leaf {
                    ops.push(usize::from(id));
                }
            }
            ops.sort_unstable();
            ops.dedup();
            ops
        })
        .collect();
    (sets, seen.len())
}

/// Operations (not leaves) of a chosen subset of expressions, a subterm they share
/// counted once: the expressions' operation sets (from [`interned_operations`]) are
/// added and removed one at a time.
struct SharedSize {
    uses: Vec<u32>,
    size: usize,
}

impl SharedSize {
    fn new(table: usize) -> SharedSize {
        SharedSize {
            uses: vec![0; table],
            size: 0,
        }
    }
    fn add(&mut self, ops: &[usize]) {
        for &o in ops {
            self.uses[o] += 1;
            self.size += usize::from(self.uses[o] == 1);
        }
    }
    fn remove(&mut self, ops: &[usize]) {
        for &o in ops {
            self.uses[o] -= 1;
            self.size -= usize::from(self.uses[o] == 0);
        }
    }
}

/// Picks, root by root, the main or the polished form so that the results, with what
/// they share, are smallest (ties go to the lower total cost): every root polished
/// if that is smaller, then single roots switched while that helps. True when some
/// polished form is kept.
fn smaller_together(
    main: Vec<(f64, RecExpr<Math>)>,
    polished: Vec<(f64, RecExpr<Math>)>,
) -> (Vec<RecExpr<Math>>, bool) {
    let n = main.len();
    let all: Vec<&RecExpr<Math>> = main.iter().chain(&polished).map(|(_, e)| e).collect();
    let (ops, table) = interned_operations(&all);
    // The operations of root i's main form are ops[i], of its polished form ops[n + i].
    let form = |i: usize, p: bool| &ops[if p { n + i } else { i }];
    let total = |pick: &[bool]| -> f64 {
        pick.iter()
            .zip(main.iter().zip(&polished))
            .map(|(p, (m, q))| if *p { q.0 } else { m.0 })
            .sum()
    };
    let sized = |pick: &[bool]| -> SharedSize {
        let mut s = SharedSize::new(table);
        for (i, p) in pick.iter().enumerate() {
            s.add(form(i, *p));
        }
        s
    };
    let better = |a: (usize, f64), b: (usize, f64)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1 - 1e-9);
    let (polish_all, keep_all) = (vec![true; n], vec![false; n]);
    let first = better(
        (sized(&polish_all).size, total(&polish_all)),
        (sized(&keep_all).size, total(&keep_all)),
    );
    let mut pick = vec![first; n];
    let mut shared = sized(&pick);
    let mut best = (shared.size, total(&pick));
    for i in 0..n {
        shared.remove(form(i, pick[i]));
        pick[i] = !pick[i];
        shared.add(form(i, pick[i]));
        let m = (shared.size, total(&pick));
        if better(m, best) {
            best = m;
        } else {
            shared.remove(form(i, pick[i]));
            pick[i] = !pick[i];
            shared.add(form(i, pick[i]));
        }
    }
    let out = pick
        .iter()
        .zip(main.into_iter().zip(polished))
        .map(|(p, (m, q))| if *p { q.1 } else { m.1 })
        .collect();
    (out, pick.iter().any(|p| *p))
}

/// One bounded run of `rewrites` over `exprs`: the best form of each with its cost.
fn run(
    exprs: &[RecExpr<Math>],
    facts: &HashMap<Symbol, Facts>,
    equalities: &[(RecExpr<Math>, RecExpr<Math>, &str)],
    cost: &CostKind,
    limits: &Limits,
    rewrites: &[&rules::Rule],
) -> Result<Run> {
    let clock = EggClock::new();
    clock.run(|| run_on_clock(exprs, facts, equalities, cost, limits, rewrites, &clock))
}

/// [`run`] with egg reading `clock`.
fn run_on_clock(
    exprs: &[RecExpr<Math>],
    facts: &HashMap<Symbol, Facts>,
    equalities: &[(RecExpr<Math>, RecExpr<Math>, &str)],
    cost: &CostKind,
    limits: &Limits,
    rewrites: &[&rules::Rule],
    clock: &EggClock,
) -> Result<Run> {
    let sync = clock.clone();
    let analysis = MathAnalysis::new(facts.clone());
    let mut egraph = MathEGraph::new(analysis);
    for (a, b, origin) in equalities {
        let (ia, ib) = (egraph.add_expr(a), egraph.add_expr(b));
        analysis::union_checked(&mut egraph, ia, ib, origin);
    }
    egraph.rebuild();
    let mut runner = Runner::<Math, MathAnalysis>::default()
        .with_egraph(egraph)
        .with_iter_limit(limits.iterations)
        .with_node_limit(limits.nodes)
        .with_time_limit(limits.time)
        .with_scheduler(
            BackoffScheduler::default()
                .with_initial_match_limit(limits.match_limit)
                .with_ban_length(limits.ban_length),
        )
        .with_hook(move |r| {
            sync.sync();
            // The searches that follow read the classes from the table.
            let mut table = std::mem::take(&mut r.egraph.analysis.table);
            table.refill(&r.egraph);
            r.egraph.analysis.table = table;
            Ok(())
        })
        .with_hook(converged_hook(cost.clone(), limits.patience));
    for e in exprs {
        runner = runner.with_expr(e);
    }
    // Only the rules that can ever match here (the others would match nothing).
    let usable = reach::usable(&runner.egraph, rewrites)?;
    let runner = runner.run(usable.iter().copied());
    let limit = match &runner.stop_reason {
        Some(StopReason::Saturated) | None => None,
        Some(StopReason::Other(r)) if r == CONVERGED => None,
        Some(r) => Some(format!("{r:?}")),
    };
    let eg = &runner.egraph;
    let out = extract(eg, &runner.roots, cost)
        .into_iter()
        .zip(exprs)
        .map(|(best, e)| best.unwrap_or_else(|| (f64::INFINITY, e.clone())))
        .collect();
    let mut refused = eg.analysis.refused.clone();
    refused.sort();
    refused.dedup();
    let mut last_applied: Vec<(String, usize)> = runner
        .iterations
        .last()
        .map(|it| {
            it.applied
                .iter()
                .map(|(k, v)| (k.to_string(), *v))
                .collect()
        })
        .unwrap_or_default();
    last_applied.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    let stats = Stats {
        last_applied,
        iterations: runner.iterations.len(),
        nodes: eg.total_number_of_nodes(),
        classes: eg.number_of_classes(),
        limit,
        refused,
        polished: false,
        polish: None,
    };
    Ok((out, stats))
}

/// Simplifies several expressions together (they share one e-graph) and extracts each.
///
/// Two phases for compact forms: the main search with every rule but distribution,
/// then a polish of the extracted forms (a small e-graph, tighter limits) that may also
/// distribute products over sums (`rules/expand.rules`). The polished forms are kept
/// when they are smaller together, a subterm they share counted once. The fewest-FLOPs
/// search has one phase, with the other association of products (`rules/flops.rules`).
///
/// `equalities` are known facts about the leaf symbols (e.g. `ū = −u` for a helper and
/// its negated twin), unioned before the rules run, so extraction can pick either side.
pub fn simplify(
    exprs: &[RecExpr<Math>],
    facts: &HashMap<Symbol, Facts>,
    equalities: &[(RecExpr<Math>, RecExpr<Math>)],
    cost: &CostKind,
    limits: &Limits,
) -> Result<(Vec<RecExpr<Math>>, Stats)> {
    simplify_with(exprs, facts, equalities, &[], cost, limits, None)
}

/// [`simplify`] with definitions `name = e` known to the rational pass only (square
/// roots it squares out, diagonal matrices it folds with the diagonals around them:
/// in the e-graph they would let every rule see through each name), and more rules
/// for the main search, in the syntax of `rules/`.
pub fn simplify_with(
    exprs: &[RecExpr<Math>],
    facts: &HashMap<Symbol, Facts>,
    equalities: &[(RecExpr<Math>, RecExpr<Math>)],
    definitions: &[(RecExpr<Math>, RecExpr<Math>)],
    cost: &CostKind,
    limits: &Limits,
    extra_rules: Option<&str>,
) -> Result<(Vec<RecExpr<Math>>, Stats)> {
    let mut main = match cost {
        CostKind::Compact => rule_set(&[&MAIN])?,
        CostKind::Flops(_) => rule_set(&[&MAIN, &FLOPS])?,
    };
    let extra = match extra_rules {
        Some(text) => rules::compile(rules::parse_rules("extra rules", text)?)?,
        None => Vec::new(),
    };
    main.extend(extra.iter());
    let main = &main;
    let given: Vec<(RecExpr<Math>, RecExpr<Math>, &str)> = equalities
        .iter()
        .map(|(a, b)| (a.clone(), b.clone(), "given equality"))
        .collect();
    let (first, mut stats) = run(exprs, facts, &given, cost, limits, main)?;
    let extracted: Vec<RecExpr<Math>> = first.iter().map(|(_, e)| e.clone()).collect();
    if *cost != CostKind::Compact || !limits.polish {
        return Ok((extracted, stats));
    }
    // Each result is also known to the polish as its linear combination (like terms
    // gathered), so terms that cancel across a long sum meet.
    let shapes: HashMap<Symbol, Shape> = facts.iter().map(|(s, f)| (*s, f.shape.clone())).collect();
    let symmetric: HashSet<Symbol> = facts
        .iter()
        .filter(|(_, f)| f.props.symmetric || f.shape.is_scalar())
        .map(|(s, _)| *s)
        .collect();
    let mut known = given;
    let rational_knows: Vec<(RecExpr<Math>, RecExpr<Math>)> =
        equalities.iter().chain(definitions).cloned().collect();
    for e in &extracted {
        // One graph of the result for the three passes.
        let mut g = crate::ops::graph(shapes.clone());
        let Some(root) = e
            .as_ref()
            .len()
            .checked_sub(1)
            .and_then(|last| g.import(e, Id::from(last)).ok())
        else {
            continue;
        };
        if linear::within_bounds(e) {
            let (expanded, factored) = linear::expand_both_in(&g, root, e, &symmetric);
            if let Some(x) = expanded {
                known.push((e.clone(), x, "linear pass"));
            }
            // Only a shorter writing (a shared subterm counted once, as a helper is):
            // an equal-sized one would only give extraction another tie to break, and
            // one shorter as a tree only may break the sharing of a subterm.
            if let Some(x) =
                factored.filter(|x| linear::shared_operations(x) < linear::shared_operations(e))
            {
                known.push((e.clone(), x, "common factors"));
            }
        }
        for (a, b) in ratfun::equalities_in(&mut g, root, e, &rational_knows) {
            known.push((a, b, "rational pass"));
        }
    }
    let (second, polish) = run(
        &extracted,
        facts,
        &known,
        cost,
        &limits.polish(),
        &rule_set(&[&MAIN, &POLISH])?,
    )?;
    stats.refused.extend(polish.refused.iter().cloned());
    stats.polish = Some(Box::new(polish));
    stats.refused.sort();
    stats.refused.dedup();
    let out = smaller_together(first, second);
    stats.polished = out.1;
    let out = out.0;
    Ok((out, stats))
}

/// The facts the simplifier can prove of an expression (used for helper terms).
pub fn facts_of(expr: &RecExpr<Math>, facts: &HashMap<Symbol, Facts>) -> Option<Props> {
    let rules = rule_set(&[&MAIN]).ok()?;
    let analysis = MathAnalysis::new(facts.clone());
    let clock = EggClock::new();
    let sync = clock.clone();
    let runner = clock.run(|| {
        let runner = Runner::<Math, MathAnalysis>::new(analysis)
            .with_iter_limit(8)
            .with_node_limit(5_000)
            .with_time_limit(Duration::from_secs(1))
            .with_hook(move |_| {
                sync.sync();
                Ok(())
            })
            .with_expr(expr);
        // Only the rules that can ever match here (the others would match nothing).
        let usable = reach::usable(&runner.egraph, &rules).ok()?;
        Some(runner.run(usable.iter().copied()))
    })?;
    let root = runner.roots[0];
    Some(runner.egraph[root].data.props)
}
