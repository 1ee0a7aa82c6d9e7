//! Simplification in an e-graph: rules from `rules/`, an analysis that carries
//! shapes and facts, a bounded runner and extraction by a cost model.

pub mod analysis;
pub mod cost;
pub mod cse;
pub mod facts;
pub mod linear;
pub mod mono;
pub mod poly;
pub mod ratfun;
pub mod rules;

use std::collections::{HashMap, HashSet};
use std::sync::LazyLock;
use std::time::Duration;

use egg::{
    BackoffScheduler, Extractor, Id, Language, RecExpr, Rewrite, Runner, StopReason, Symbol,
};

use crate::error::Result;
use crate::ir::{Math, Shape};
pub use analysis::{Facts, MathAnalysis, MathEGraph, Props};
use rules::{Phase, RuleSpec};

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
            patience: 4,
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
}

struct RuleSet {
    /// The main search for compact forms.
    compact: Vec<Rewrite<Math, MathAnalysis>>,
    /// The main search for the fewest FLOPs (adds the other association of products).
    flops: Vec<Rewrite<Math, MathAnalysis>>,
    /// The polish of an extracted result: the compact rules and distribution.
    polish: Vec<Rewrite<Math, MathAnalysis>>,
}

static RULES: LazyLock<std::result::Result<RuleSet, crate::Error>> = LazyLock::new(|| {
    let specs = rules::load_all()?;
    let of = |phases: &[Phase]| -> Vec<RuleSpec> {
        specs
            .iter()
            .filter(|s| phases.contains(&s.phase))
            .cloned()
            .collect()
    };
    Ok(RuleSet {
        compact: rules::rewrites(&of(&[Phase::Main]))?,
        flops: rules::rewrites(&of(&[Phase::Main, Phase::Flops]))?,
        polish: rules::rewrites(&of(&[Phase::Main, Phase::Polish]))?,
    })
});

const CONVERGED: &str = "converged";

/// The best form of each root with its cost (the `total` for compact forms).
fn extract(eg: &MathEGraph, roots: &[Id], cost: &CostKind) -> Vec<(f64, RecExpr<Math>)> {
    match cost {
        CostKind::Compact => {
            let ex = Extractor::new(eg, cost::Compact { egraph: eg });
            roots
                .iter()
                .map(|r| {
                    let (c, e) = ex.find_best(*r);
                    (c.total, e)
                })
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

/// A runner hook that stops once no root's best cost has improved for `patience`
/// iterations: the rules that keep firing then only add equivalent forms.
fn converged_hook(
    cost: CostKind,
    patience: usize,
) -> impl FnMut(&mut Runner<Math, MathAnalysis>) -> std::result::Result<(), String> + 'static {
    let mut best: Vec<f64> = Vec::new();
    let mut stale = 0;
    move |runner| {
        let now: Vec<f64> = extract(&runner.egraph, &runner.roots, &cost)
            .into_iter()
            .map(|(c, _)| c)
            .collect();
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

/// Operations (not leaves) in several expressions, a subterm they share counted once.
fn dag_size(exprs: &[RecExpr<Math>]) -> usize {
    let mut seen: HashMap<Math, Id> = HashMap::new();
    for e in exprs {
        let mut ids: Vec<Id> = Vec::with_capacity(e.as_ref().len());
        for n in e.as_ref() {
            let node = n.clone().map_children(|c| ids[usize::from(c)]);
            let next = Id::from(seen.len());
            ids.push(*seen.entry(node).or_insert(next));
        }
    }
    seen.keys().filter(|n| !n.is_leaf()).count()
}

/// Picks, root by root, the main or the polished form so that the results, with what
/// they share, are smallest (ties go to the lower total cost): every root polished
/// if that is smaller, then single roots switched while that helps. True when some
/// polished form is kept.
fn smaller_together(
    main: Vec<(f64, RecExpr<Math>)>,
    polished: Vec<(f64, RecExpr<Math>)>,
) -> (Vec<RecExpr<Math>>, bool) {
    let measure = |pick: &[bool]| -> (usize, f64) {
        let chosen: Vec<&(f64, RecExpr<Math>)> = pick
            .iter()
            .zip(main.iter().zip(&polished))
            .map(|(p, (m, q))| if *p { q } else { m })
            .collect();
        let exprs: Vec<RecExpr<Math>> = chosen.iter().map(|(_, e)| e.clone()).collect();
        (dag_size(&exprs), chosen.iter().map(|(c, _)| c).sum())
    };
    let better = |a: (usize, f64), b: (usize, f64)| a.0 < b.0 || (a.0 == b.0 && a.1 < b.1 - 1e-9);
    let n = main.len();
    let mut pick = vec![better(measure(&vec![true; n]), measure(&vec![false; n])); n];
    let mut best = measure(&pick);
    for i in 0..n {
        pick[i] = !pick[i];
        let m = measure(&pick);
        if better(m, best) {
            best = m;
        } else {
            pick[i] = !pick[i];
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
    rewrites: &[Rewrite<Math, MathAnalysis>],
) -> (Vec<(f64, RecExpr<Math>)>, Stats) {
    let analysis = MathAnalysis {
        facts: facts.clone(),
        refused: Vec::new(),
    };
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
        .with_hook(converged_hook(cost.clone(), limits.patience));
    for e in exprs {
        runner = runner.with_expr(e);
    }
    let runner = runner.run(rewrites);
    let limit = match &runner.stop_reason {
        Some(StopReason::Saturated) | None => None,
        Some(StopReason::Other(r)) if r == CONVERGED => None,
        Some(r) => Some(format!("{r:?}")),
    };
    let eg = &runner.egraph;
    let out = extract(eg, &runner.roots, cost);
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
    };
    (out, stats)
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
    simplify_with(exprs, facts, equalities, cost, limits, None)
}

/// [`simplify`] with more rules for the main search, in the syntax of `rules/`.
pub fn simplify_with(
    exprs: &[RecExpr<Math>],
    facts: &HashMap<Symbol, Facts>,
    equalities: &[(RecExpr<Math>, RecExpr<Math>)],
    cost: &CostKind,
    limits: &Limits,
    extra_rules: Option<&str>,
) -> Result<(Vec<RecExpr<Math>>, Stats)> {
    let set = RULES.as_ref().map_err(|e| e.clone())?;
    let mut main = match cost {
        CostKind::Compact => set.compact.clone(),
        CostKind::Flops(_) => set.flops.clone(),
    };
    if let Some(text) = extra_rules {
        main.extend(rules::rewrites(&rules::parse_rules("extra rules", text)?)?);
    }
    let main = &main;
    let given: Vec<(RecExpr<Math>, RecExpr<Math>, &str)> = equalities
        .iter()
        .map(|(a, b)| (a.clone(), b.clone(), "given equality"))
        .collect();
    let (first, mut stats) = run(exprs, facts, &given, cost, limits, main);
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
    for e in &extracted {
        if let Some(x) = linear::expand(e, &shapes, &symmetric) {
            known.push((e.clone(), x, "linear pass"));
        }
        for (a, b) in ratfun::equalities(e, &shapes, equalities) {
            known.push((a, b, "rational pass"));
        }
    }
    let (second, polish) = run(
        &extracted,
        facts,
        &known,
        cost,
        &limits.polish(),
        &set.polish,
    );
    stats.refused.extend(polish.refused);
    stats.refused.sort();
    stats.refused.dedup();
    let out = smaller_together(first, second);
    stats.polished = out.1;
    let out = out.0;
    Ok((out, stats))
}

/// The facts the simplifier can prove of an expression (used for helper terms).
pub fn facts_of(expr: &RecExpr<Math>, facts: &HashMap<Symbol, Facts>) -> Option<Props> {
    let set = RULES.as_ref().ok()?;
    let analysis = MathAnalysis {
        facts: facts.clone(),
        refused: Vec::new(),
    };
    let runner = Runner::<Math, MathAnalysis>::new(analysis)
        .with_iter_limit(8)
        .with_node_limit(5_000)
        .with_time_limit(Duration::from_secs(1))
        .with_expr(expr)
        .run(&set.compact);
    let root = runner.roots[0];
    Some(runner.egraph[root].data.props)
}
