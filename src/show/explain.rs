//! `--explain`: why the printed form, as a chain of rewrites from the raw adjoint.
//!
//! The raw adjoint (reverse mode, the user's named intermediates kept as names) and
//! the printed gradient (its helper terms substituted back) are put in one e-graph
//! with egg's explanations on, and the rules of `rules/` run until the two meet
//! (first the main rules, then the polish with the linear-combination pass and
//! distribution, as the simplifier does). egg's flattened explanation is the chain;
//! it is shortened as a person would read it: steps that leave the printed text
//! unchanged are dropped, and reorderings (commutations, re-associations) are folded
//! into the next step that changes something. Each line names its rule and the
//! identity and source its `rules/*.rules` entry carries; passes that are not rules
//! say so.

use std::collections::HashMap;
use std::time::Duration;

use egg::{FlatTerm, Id, Language, RecExpr, Runner, Symbol};
use serde_json::{Value as Json, json};

use super::names::show;
use crate::error::Result;
use crate::ir::{Graph, Math, Shape};
use crate::model::Model;
use crate::print::Notation;
use crate::simplify::cse::Tree;
use crate::simplify::rules::{self, Phase};
use crate::simplify::{Facts, MathAnalysis, MathEGraph};

const LINEAR: &str = "linear-combination pass";

/// One line of a chain: the expression after a step, and why.
#[derive(Debug, Clone)]
pub struct Line {
    /// The expression.
    pub expr: RecExpr<Math>,
    /// The rule or pass (empty for the first line).
    pub rule: String,
    /// The identity and source (from `rules/`), or what the pass is.
    pub why: String,
    /// Silent steps (reorderings, clean-ups) folded into this step, by rule.
    pub reordered: Vec<String>,
    /// How many times the rule was applied in a row.
    pub times: usize,
}

/// The chain of one variable.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The variable.
    pub var: String,
    /// The lines, from the raw adjoint.
    pub lines: Vec<Line>,
    /// The printed form in each notation (unicode, ASCII, LaTeX), with its helpers.
    pub printed: [String; 3],
    /// False when the rules did not join the two within their limits (the last line
    /// then says the forms agree numerically only).
    pub joined: bool,
}

/// The chains of every variable.
#[derive(Debug, Clone)]
pub struct Explanation {
    /// One chain per variable.
    pub chains: Vec<Chain>,
    /// The derivative identities reverse mode used (of the objective's operations,
    /// from the registry of primitives), with their sources, linearity left out.
    pub derivatives: Vec<String>,
    /// The objective's name.
    pub f: String,
    shapes: HashMap<Symbol, Shape>,
}

/// Rules a person does without saying: reorderings (commutations, re-associations,
/// moving scalars and signs) and clean-ups (Aᵀᵀ = A, 1A = A, IA = A, folding numbers).
fn silent(rule: &str) -> bool {
    rule.contains("commute")
        || rule.contains("assoc")
        || rule.contains("to-front")
        || rule.starts_with("scalar-out")
        || rule.starts_with("add-swap")
        || rule.starts_with("neg-")
        || rule.starts_with("scale-as-neg")
        || rule.starts_with("one-times")
        || rule.starts_with("identity-")
        || rule == "transpose-involution"
        || rule == "transpose-symmetric"
        || rule == "scalar arithmetic"
}

fn subtree(g: &Graph, root: Id, leaves: &HashMap<Id, Symbol>) -> RecExpr<Math> {
    let mut out = RecExpr::default();
    let mut memo: HashMap<Id, Id> = HashMap::new();
    fn go(
        g: &Graph,
        id: Id,
        leaves: &HashMap<Id, Symbol>,
        out: &mut RecExpr<Math>,
        memo: &mut HashMap<Id, Id>,
    ) -> Id {
        if let Some(&m) = memo.get(&id) {
            return m;
        }
        let node = match leaves.get(&id) {
            Some(s) => Math::Var(*s),
            None => g
                .node(id)
                .clone()
                .map_children(|c| go(g, c, leaves, out, memo)),
        };
        let new = out.add(node);
        memo.insert(id, new);
        new
    }
    go(g, root, leaves, &mut out, &mut memo);
    out
}

/// The chain from the raw adjoint to the printed form, for each variable of `wrt`.
pub fn explain(model: &Model, wrt: &[&str]) -> Result<Explanation> {
    let grad =
        crate::gradient::gradient_with(model.clone(), wrt, &crate::derive::Options::default())?;
    let d = &grad.derivation;
    let g = &d.adjoints.graph;
    let leaves: HashMap<Id, Symbol> = model
        .defs
        .iter()
        .filter(|(_, id)| *id != model.objective)
        .map(|(n, id)| (*id, Symbol::from(n.as_str())))
        .collect();
    let mut facts = crate::derive::input_facts(model);
    let mut shapes = model.graph.vars.clone();
    for (n, id) in &model.defs {
        let s = Symbol::from(n.as_str());
        let mut own = leaves.clone();
        own.remove(id);
        let e = subtree(g, *id, &own);
        let props = crate::simplify::facts_of(&e, &facts).unwrap_or_default();
        facts.insert(
            s,
            Facts {
                shape: g.shape(*id),
                props,
            },
        );
        shapes.insert(s, g.shape(*id));
    }
    // The printed form with the helpers matgrad introduced substituted back.
    let mut full: HashMap<Symbol, Tree> = HashMap::new();
    for def in &d.defs {
        if !def.user {
            full.insert(def.name, def.tree.substitute(&full));
        }
    }
    let specs = rules::load_all()?;
    let docs: HashMap<String, String> = specs
        .iter()
        .map(|s| (s.name.clone(), format!("{} ({})", s.doc, s.origin)))
        .collect();
    let of = |phases: &[Phase]| -> Vec<rules::RuleSpec> {
        specs
            .iter()
            .filter(|s| phases.contains(&s.phase))
            .cloned()
            .collect()
    };
    let main = rules::rewrites(&of(&[Phase::Main]))?;
    let polish = rules::rewrites(&of(&[Phase::Main, Phase::Polish]))?;
    let mut chains = Vec::new();
    for (k, (var, root)) in d.adjoints.grads.iter().enumerate() {
        let printed = [Notation::Unicode, Notation::Ascii, Notation::Latex].map(|n| {
            let e = grad.expression(var, n).unwrap_or_else(|| "0".into());
            let helpers: Vec<String> = grad
                .definitions(n)
                .into_iter()
                .map(|(name, x)| format!("{name} = {x}"))
                .collect();
            if helpers.is_empty() {
                e
            } else {
                let sep = if n == Notation::Latex {
                    ",\\quad "
                } else {
                    ", where "
                };
                format!("{e}{sep}{}", helpers.join("; "))
            }
        });
        let Some(root) = root else {
            chains.push(Chain {
                var: var.clone(),
                lines: Vec::new(),
                printed,
                joined: true,
            });
            continue;
        };
        let raw = subtree(g, *root, &leaves);
        let target = match &d.exprs[k] {
            Some(t) => t.substitute(&full).to_expr(),
            None => Tree::node(Math::Num(crate::rational::Rational::ZERO), vec![]).to_expr(),
        };
        let (lines, joined) = chain(&raw, &target, &facts, &shapes, &main, &polish, &docs);
        chains.push(Chain {
            var: var.clone(),
            lines,
            printed,
            joined,
        });
    }
    Ok(Explanation {
        chains,
        derivatives: derivatives_used(model),
        f: model.objective_name.clone().unwrap_or_else(|| "f".into()),
        shapes,
    })
}

/// The derivative identities of the objective's operations, in evaluation order.
fn derivatives_used(model: &Model) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for node in model.graph.expr.as_ref() {
        if let Some(p) = crate::ops::registry::of(node) {
            let d = p.derivative;
            let line = format!("{} ({})", d.identity, d.source);
            if d.source != "linearity" && !out.contains(&line) {
                out.push(line);
            }
        }
    }
    out
}

fn runner(eg: MathEGraph, a: Id, b: Id, limits: (usize, usize, u64)) -> Runner<Math, MathAnalysis> {
    Runner::<Math, MathAnalysis>::default()
        .with_egraph(eg)
        .with_iter_limit(limits.0)
        .with_node_limit(limits.1)
        .with_time_limit(Duration::from_secs(limits.2))
        .with_hook(move |r| {
            if r.egraph.find(a) == r.egraph.find(b) {
                Err("joined".into())
            } else {
                Ok(())
            }
        })
}

/// The largest raw adjoint or printed form (written out as a tree) whose chain of
/// rewrites `--explain` shows.
const MAX_EXPLAINED: usize = 600;

/// The first line of a chain: the raw adjoint.
fn first_line(raw: &RecExpr<Math>) -> Line {
    Line {
        expr: raw.clone(),
        rule: String::new(),
        why: String::new(),
        reordered: Vec::new(),
        times: 1,
    }
}

fn chain(
    raw: &RecExpr<Math>,
    target: &RecExpr<Math>,
    facts: &HashMap<Symbol, Facts>,
    shapes: &HashMap<Symbol, Shape>,
    main: &[egg::Rewrite<Math, MathAnalysis>],
    polish: &[egg::Rewrite<Math, MathAnalysis>],
    docs: &HashMap<String, String>,
) -> (Vec<Line>, bool) {
    if crate::simplify::linear::tree_size(raw).max(crate::simplify::linear::tree_size(target))
        > MAX_EXPLAINED
    {
        // egg's explanation writes the whole term at every step: beyond this size it
        // grows faster than the square of the depth. The chain is not shown.
        return (vec![first_line(raw)], false);
    }
    let analysis = MathAnalysis::new(facts.clone());
    let mut eg = MathEGraph::new(analysis).with_explanations_enabled();
    let a = eg.add_expr(raw);
    let b = eg.add_expr(target);
    eg.rebuild();
    let mut eg = if eg.find(a) == eg.find(b) {
        eg
    } else {
        runner(eg, a, b, (40, 20_000, 5)).run(main).egraph
    };
    if eg.find(a) != eg.find(b) {
        // The polish: each extracted form also known as its linear combination.
        let symmetric = facts
            .iter()
            .filter(|(_, f)| f.props.symmetric || f.shape.is_scalar())
            .map(|(s, _)| *s)
            .collect();
        for id in [a, b] {
            let best = {
                let ex = egg::Extractor::new(&eg, crate::simplify::cost::Compact { egraph: &eg });
                ex.find_best(id).1
            };
            if let Some(x) = crate::simplify::linear::expand(&best, shapes, &symmetric) {
                let i = eg.add_expr(&best);
                let j = eg.add_expr(&x);
                // Shape-checked, as `union_checked` does, but recorded under the pass's name.
                if eg[i].data.shape == eg[j].data.shape {
                    eg.union_trusted(i, j, LINEAR);
                }
            }
        }
        eg.rebuild();
        if eg.find(a) != eg.find(b) {
            eg = runner(eg, a, b, (15, 20_000, 3)).run(polish).egraph;
        }
    }
    if eg.find(a) != eg.find(b) {
        return (vec![first_line(raw)], false);
    }
    let mut ex = eg.explain_equivalence(raw, target);
    let flat: Vec<FlatTerm<Math>> = ex.make_flat_explanation().clone();
    let mut lines: Vec<Line> = Vec::new();
    let mut pending: Vec<String> = Vec::new();
    let mut last_text = String::new();
    let none = HashMap::new();
    for (k, term) in flat.iter().enumerate() {
        let expr = term.get_recexpr();
        let text = show(&expr, shapes, &none, Notation::Unicode);
        if k == 0 {
            last_text = text;
            lines.push(Line {
                expr,
                rule: String::new(),
                why: String::new(),
                reordered: Vec::new(),
                times: 1,
            });
            continue;
        }
        let (rule, backward) = find_rule(term).unwrap_or(("?".into(), false));
        let name = if rule.contains("analysis.rs") {
            "scalar arithmetic".to_string()
        } else {
            rule.clone()
        };
        let is_last = k + 1 == flat.len();
        if text == last_text && !is_last {
            continue;
        }
        if silent(&name) && !is_last {
            if !pending.contains(&name) {
                pending.push(name);
            }
            continue;
        }
        if text == last_text && lines.len() > 1 {
            continue;
        }
        if let Some(prev) = lines.last_mut()
            && prev.rule == name
            && pending.is_empty()
        {
            prev.expr = expr;
            prev.times += 1;
            last_text = text;
            continue;
        }
        let why = match name.as_str() {
            "scalar arithmetic" => "not a rule: numbers and powers of scalars folded by the e-class analysis (src/simplify/mono.rs)".to_string(),
            LINEAR => "not a rule: products distributed and like terms gathered (src/simplify/linear.rs)".to_string(),
            n => {
                let d = docs.get(n).cloned().unwrap_or_default();
                if backward { format!("{d}, read right to left") } else { d }
            }
        };
        last_text = text;
        lines.push(Line {
            expr,
            rule: name,
            why,
            reordered: std::mem::take(&mut pending),
            times: 1,
        });
    }
    (lines, true)
}

/// The rule of a flattened step and whether it was applied backwards.
fn find_rule(t: &FlatTerm<Math>) -> Option<(String, bool)> {
    if let Some(r) = t.forward_rule {
        return Some((r.to_string(), false));
    }
    if let Some(r) = t.backward_rule {
        return Some((r.to_string(), true));
    }
    t.children.iter().find_map(find_rule)
}

impl Explanation {
    /// The chains as text (unicode, ASCII) or `align*` (LaTeX).
    pub fn text(&self, n: Notation) -> String {
        let none = HashMap::new();
        let k = match n {
            Notation::Unicode => 0,
            Notation::Ascii => 1,
            Notation::Latex => 2,
        };
        let mut out = String::new();
        for c in &self.chains {
            let v = crate::print::name(&c.var, n);
            let head = match n {
                Notation::Latex => format!(
                    "% d{}/d{}: from the raw adjoint to the printed form\n\\begin{{align*}}\n",
                    self.f, c.var
                ),
                Notation::Ascii => format!(
                    "d{}/d{}: from the raw adjoint to the printed form\n",
                    self.f, c.var
                ),
                Notation::Unicode => format!(
                    "∂{}/∂{v}: from the raw adjoint to the printed form\n",
                    self.f
                ),
            };
            out += &head;
            let mut rows: Vec<(String, String)> = Vec::new();
            for (i, l) in c.lines.iter().enumerate() {
                let e = show(&l.expr, &self.shapes, &none, n);
                let why = if i == 0 {
                    if self.derivatives.is_empty() {
                        "the raw adjoint: reverse mode, one vector-Jacobian product per node (src/autodiff.rs, src/ops/)".to_string()
                    } else {
                        format!(
                            "the raw adjoint: reverse mode, one vector-Jacobian product per node (src/autodiff.rs, src/ops/), by {}",
                            self.derivatives.join("; ")
                        )
                    }
                } else {
                    let re = if l.reordered.is_empty() {
                        String::new()
                    } else {
                        format!(" (with {})", l.reordered.join(", "))
                    };
                    let times = if l.times > 1 {
                        format!(" ×{}", l.times)
                    } else {
                        String::new()
                    };
                    format!("{}{times}{re}: {}", l.rule, l.why)
                };
                rows.push((e, why));
            }
            if c.lines.is_empty() {
                rows.push(("0".into(), "the objective does not depend on it".into()));
            }
            let last = if c.joined {
                "helper terms named (not a rule: src/derive/helpers.rs); this is what matgrad prints"
            } else {
                "the rules did not join the raw adjoint and the printed form within their limits (or the forms are too large for a step-by-step chain); the two agree at random points (`--check`)"
            };
            rows.push((c.printed[k].clone(), last.to_string()));
            for (i, (e, why)) in rows.iter().enumerate() {
                match n {
                    Notation::Latex => {
                        let lead = if i == 0 { "&" } else { "&= " };
                        let end = if i + 1 == rows.len() { "" } else { " \\\\" };
                        out += &format!(
                            "{lead}{e} && \\parbox[t]{{8cm}}{{\\raggedright\\footnotesize {}}}{end}\n",
                            latex_text(why)
                        );
                    }
                    _ => {
                        let lead = if i == 0 { "    " } else { "  = " };
                        out += &format!("{lead}{e}\n        {why}\n");
                    }
                }
            }
            if n == Notation::Latex {
                out += "\\end{align*}\n";
            }
        }
        out
    }

    /// The chains as data (see the README).
    pub fn json(&self) -> Json {
        let none = HashMap::new();
        let chains: Vec<Json> = self
            .chains
            .iter()
            .map(|c| {
                let steps: Vec<Json> = c
                    .lines
                    .iter()
                    .map(|l| {
                        json!({
                            "expr": show(&l.expr, &self.shapes, &none, Notation::Ascii),
                            "rule": if l.rule.is_empty() { Json::Null } else { json!(l.rule) },
                            "why": l.why,
                            "silent": l.reordered,
                            "times": l.times,
                        })
                    })
                    .collect();
                json!({"var": c.var, "steps": steps, "printed": c.printed[1], "joined": c.joined})
            })
            .collect();
        json!(chains)
    }
}

/// Text for `\text{…}`: LaTeX's special characters escaped, Unicode math spelled out.
pub fn latex_text(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        match c {
            '\\' => out += "\\textbackslash{}",
            '&' | '%' | '$' | '#' | '_' | '{' | '}' => {
                out.push('\\');
                out.push(c);
            }
            '~' => out += "\\textasciitilde{}",
            '^' => out += "\\textasciicircum{}",
            c if c.is_ascii() => out.push(c),
            c => out += &format!("${}$", unicode_math(c)),
        }
    }
    out
}

fn unicode_math(c: char) -> String {
    let table: &[(char, &str)] = &[
        ('ᵀ', "^\\top"),
        ('⁻', "^-"),
        ('¹', "^1"),
        ('²', "^2"),
        ('³', "^3"),
        ('∂', "\\partial"),
        ('∘', "\\circ"),
        ('⊘', "\\oslash"),
        ('−', "-"),
        ('‖', "\\|"),
        ('·', "\\cdot"),
        ('×', "\\times"),
        ('½', "\\tfrac12"),
        ('α', "\\alpha"),
        ('β', "\\beta"),
        ('σ', "\\sigma"),
        ('→', "\\to"),
        ('≤', "\\le"),
        ('√', "\\surd"),
        ('⊗', "\\otimes"),
        ('ε', "\\varepsilon"),
    ];
    table
        .iter()
        .find(|(u, _)| *u == c)
        .map(|(_, t)| t.to_string())
        .unwrap_or_else(|| "?".into())
}
