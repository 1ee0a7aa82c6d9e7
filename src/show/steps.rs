//! `--steps`: the forward values in evaluation order, then the adjoints in reverse
//! order, each the vector-Jacobian product of one node (from `ops/`, the same table
//! reverse mode uses) simplified on its own, small adjoints (numbers, a name, its
//! negation) substituted as a person would. Where several paths meet, the
//! contributions are named `W̄⁽¹⁾, W̄⁽²⁾` and summed explicitly.

use std::collections::HashMap;
use std::time::Duration;

use egg::{Id, Language, RecExpr, Symbol};
use serde_json::{Value as Json, json};

use super::names::show;
use super::{Dag, Naming, adj_key, fmt_value, key, part_key, value_json};
use crate::autodiff::active_set;
use crate::error::Result;
use crate::ir::{Graph, Math, Shape};
use crate::model::Model;
use crate::numeric::Point;
use crate::ops::{self, Value};
use crate::print::Notation;
use crate::rational::Rational;
use crate::simplify::cse::Tree;
use crate::simplify::{self, CostKind, Facts, Limits, Props};

/// What a backward line defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// The adjoint of a node.
    Adjoint(usize),
    /// The `k`-th contribution (from 1) to the adjoint of a node.
    Part(usize, usize),
}

/// One line of the backward pass.
#[derive(Debug, Clone)]
pub struct Step {
    /// What it defines.
    pub target: Target,
    /// The node whose vector-Jacobian product it is (`None`: the seed `f̄ = 1` or a sum).
    pub from: Option<usize>,
    /// The expression, over forward names, inputs and earlier adjoints.
    pub expr: RecExpr<Math>,
    /// For the adjoint of an input: every earlier adjoint substituted, simplified.
    pub total: Option<RecExpr<Math>>,
}

/// The backward pass of a problem.
#[derive(Debug, Clone)]
pub struct Steps {
    /// The operations in evaluation order.
    pub forward: Vec<usize>,
    /// The adjoint lines in order.
    pub backward: Vec<Step>,
    /// The gradients as matgrad prints them.
    pub gradient: crate::gradient::Gradient,
    shapes: HashMap<Symbol, Shape>,
}

/// Values of every line: forward nodes, then backward lines.
#[derive(Debug, Clone)]
pub struct Values {
    /// The value of each DAG node.
    pub forward: Vec<Value>,
    /// The value of each backward line.
    pub backward: Vec<Value>,
}

impl Target {
    /// The symbol the line defines.
    pub fn symbol(&self) -> Symbol {
        match *self {
            Target::Adjoint(i) => adj_key(i),
            Target::Part(i, k) => part_key(i, k),
        }
    }
    /// The node whose adjoint it is.
    pub fn node(&self) -> usize {
        match *self {
            Target::Adjoint(i) | Target::Part(i, _) => i,
        }
    }
}

fn limits() -> Limits {
    Limits {
        iterations: 12,
        nodes: 4_000,
        time: Duration::from_secs(1),
        ..Limits::default()
    }
}

/// An expression is small enough to substitute where it is used: a number, a name,
/// or either negated or scaled by a number.
fn small(t: &Tree) -> bool {
    match &t.op {
        Math::Num(_) | Math::Var(_) => true,
        Math::Neg(_) => small(&t.kids[0]) && !matches!(t.kids[0].op, Math::Neg(_)),
        Math::Mul(_) => {
            matches!(t.kids[0].op, Math::Num(_)) && matches!(t.kids[1].op, Math::Var(_))
        }
        _ => false,
    }
}

/// The largest graph whose backward steps are each simplified.
const MAX_SIMPLIFIED_STEPS: usize = 300;

/// Simplifies one expression with the rules of `rules/`, bounded.
pub fn simplify_one(e: &RecExpr<Math>, facts: &HashMap<Symbol, Facts>) -> Result<RecExpr<Math>> {
    let (mut out, _) = simplify::simplify(
        std::slice::from_ref(e),
        facts,
        &[],
        &CostKind::Compact,
        &limits(),
    )?;
    Ok(out.remove(0))
}

/// The contributions of node `i`'s vector-Jacobian product to its arguments, as
/// expressions over the symbols of formulas and `adj_key(i)`: `(argument, expression)`
/// for each active use, in the order of the arguments.
pub fn local_vjp(model: &Model, dag: &Dag, i: usize) -> Result<Vec<(usize, RecExpr<Math>)>> {
    let shapes = dag.shapes(model);
    let f = dag.formula(model, i);
    // Only the symbols this node's formula and adjoint use (not every node's).
    let mut vars: HashMap<Symbol, Shape> = HashMap::new();
    for s in f
        .as_ref()
        .iter()
        .filter_map(|n| match n {
            Math::Var(s) => Some(*s),
            _ => None,
        })
        .chain([adj_key(i)])
    {
        if let Some(sh) = shapes.get(&s) {
            vars.insert(s, sh.clone());
        }
    }
    let mut g = ops::graph(vars);
    let mut ids: Vec<Id> = Vec::new();
    for n in f.as_ref() {
        let n = n.clone().map_children(|c| ids[usize::from(c)]);
        ids.push(g.add(n)?);
    }
    let flen = g.len();
    let root = *ids.last().unwrap_or(&Id::from(0));
    let adj = g.add(Math::Var(adj_key(i)))?;
    let active_syms: Vec<Symbol> = dag.nodes[i]
        .args
        .iter()
        .filter(|&&a| dag.nodes[a].active)
        .map(|&a| key(dag, a))
        .collect();
    let active = active_set(&g, &active_syms);
    let mut contrib: HashMap<Id, Vec<Id>> = HashMap::new();
    contrib.insert(root, vec![adj]);
    let mut leaves: Vec<(Id, Id)> = Vec::new();
    for k in (0..flen).rev() {
        let id = Id::from(k);
        let Some(parts) = contrib.remove(&id) else {
            continue;
        };
        if matches!(g.node(id), Math::Var(_)) {
            leaves.extend(parts.into_iter().map(|p| (id, p)));
            continue;
        }
        let mut sum = parts[0];
        for &p in &parts[1..] {
            sum = g.add(Math::Add([sum, p]))?;
        }
        let is_active = |c: Id| usize::from(c) < active.len() && active[usize::from(c)];
        for (child, c) in ops::vjp(&mut g, id, sum, &is_active)? {
            contrib.entry(child).or_default().push(c);
        }
    }
    // In the order of the arguments (each use once).
    let mut out = Vec::new();
    let mut used = vec![false; leaves.len()];
    for &a in &dag.nodes[i].args {
        if !dag.nodes[a].active {
            continue;
        }
        let want = Math::Var(key(dag, a));
        if let Some(pos) = (0..leaves.len()).find(|&p| !used[p] && *g.node(leaves[p].0) == want) {
            used[pos] = true;
            out.push((a, to_expr(&g, leaves[pos].1, root, key(dag, i))));
        }
    }
    Ok(out)
}

/// The subtree `id` of `g` with the node `root` written as the symbol `name`.
fn to_expr(g: &Graph, id: Id, root: Id, name: Symbol) -> RecExpr<Math> {
    let mut out = RecExpr::default();
    let mut memo: HashMap<Id, Id> = HashMap::new();
    fn go(
        g: &Graph,
        id: Id,
        root: Id,
        name: Symbol,
        out: &mut RecExpr<Math>,
        memo: &mut HashMap<Id, Id>,
    ) -> Id {
        if let Some(&m) = memo.get(&id) {
            return m;
        }
        let node = if id == root {
            Math::Var(name)
        } else {
            g.node(id)
                .clone()
                .map_children(|c| go(g, c, root, name, out, memo))
        };
        let new = out.add(node);
        memo.insert(id, new);
        new
    }
    go(g, id, root, name, &mut out, &mut memo);
    out
}

/// What the analysis knows of every symbol: inputs from their declarations, forward
/// nodes from their formulas, adjoints their shape.
pub fn symbol_facts(model: &Model, dag: &Dag) -> HashMap<Symbol, Facts> {
    let mut facts = crate::derive::input_facts(model);
    for (s, shape) in dag.shapes(model).iter() {
        facts.entry(*s).or_insert(Facts {
            shape: shape.clone(),
            props: Props::default(),
        });
    }
    for i in 0..dag.nodes.len() {
        let n = &dag.nodes[i];
        if n.input.is_none() && n.shape.is_square() && !n.shape.is_scalar() {
            let props = simplify::facts_of(&dag.formula(model, i), &facts).unwrap_or_default();
            if let Some(f) = facts.get_mut(&key(dag, i)) {
                f.props = props;
            }
        }
    }
    facts
}

impl Steps {
    /// Derives the backward pass of `model` for the variables of `dag`.
    pub fn derive(model: &Model, dag: &Dag) -> Result<Steps> {
        let facts = symbol_facts(model, dag);
        let wrt: Vec<&str> = dag.wrt.iter().map(String::as_str).collect();
        let gradient = crate::gradient::gradient_with(
            model.clone(),
            &wrt,
            &crate::derive::Options::default(),
        )?;
        let n = dag.nodes.len();
        let mut inline: HashMap<Symbol, Tree> = HashMap::new();
        let mut contributions: Vec<Vec<(usize, RecExpr<Math>)>> = vec![Vec::new(); n];
        let mut backward: Vec<Step> = Vec::new();
        let mut full: HashMap<Symbol, Tree> = HashMap::new();
        let mut done = 0;
        // In the totals, forward values that are a transpose of a name are written out.
        let plain: HashMap<Symbol, Tree> = (0..n)
            .filter(|&i| dag.nodes[i].input.is_none())
            .map(|i| (key(dag, i), Tree::from_root(&dag.formula(model, i))))
            .filter(|(_, t)| {
                matches!(t.op, Math::Transpose(_)) && matches!(t.kids[0].op, Math::Var(_))
            })
            .collect();
        let one: RecExpr<Math> = Tree::node(Math::Num(Rational::ONE), vec![]).to_expr();
        contributions[dag.objective].push((dag.objective, one));
        for i in (0..n).rev() {
            let mut parts = std::mem::take(&mut contributions[i]);
            if parts.is_empty() || !dag.nodes[i].active {
                continue;
            }
            parts.sort_by_key(|(p, _)| *p);
            let from = |p: usize| (p != i).then_some(p);
            let value = if parts.len() == 1 {
                let (p, e) = parts.remove(0);
                backward.push(Step {
                    target: Target::Adjoint(i),
                    from: from(p),
                    expr: e.clone(),
                    total: None,
                });
                Tree::from_root(&e)
            } else {
                let mut sum: Option<Tree> = None;
                for (k, (p, e)) in parts.into_iter().enumerate() {
                    backward.push(Step {
                        target: Target::Part(i, k + 1),
                        from: from(p),
                        expr: e,
                        total: None,
                    });
                    let t = Tree::var(part_key(i, k + 1));
                    sum = Some(match sum {
                        None => t,
                        Some(s) => Tree::node(Math::Add([Id::from(0); 2]), vec![s, t]),
                    });
                }
                let sum = sum.unwrap_or_else(|| Tree::var(adj_key(i)));
                backward.push(Step {
                    target: Target::Adjoint(i),
                    from: None,
                    expr: sum.to_expr(),
                    total: None,
                });
                sum
            };
            for s in &backward[done..] {
                let t = Tree::from_root(&s.expr).substitute(&full);
                full.insert(s.target.symbol(), t);
            }
            done = backward.len();
            if dag.nodes[i].input.is_some()
                && let Some(t) = full.get(&adj_key(i))
                && let Some(last) = backward.last_mut()
            {
                let t = t.substitute(&plain);
                let (mut out, _) = simplify::simplify(
                    &[t.to_expr()],
                    &facts,
                    &[],
                    &CostKind::Compact,
                    &Limits::default(),
                )?;
                last.total = Some(out.remove(0));
            }
            if small(&value) {
                inline.insert(adj_key(i), value);
            }
            if dag.nodes[i].input.is_some() {
                continue;
            }
            for (a, e) in local_vjp(model, dag, i)? {
                let t = Tree::from_root(&e).substitute(&inline);
                // Each step is simplified on its own (about a millisecond); a graph of
                // thousands of nodes shows its local products as reverse mode made them.
                let s = if n <= MAX_SIMPLIFIED_STEPS {
                    simplify_one(&t.to_expr(), &facts)?
                } else {
                    t.to_expr()
                };
                contributions[a].push((i, s));
            }
        }
        let forward = (0..n).filter(|&i| dag.nodes[i].input.is_none()).collect();
        Ok(Steps {
            forward,
            backward,
            gradient,
            shapes: (*dag.shapes(model)).clone(),
        })
    }

    /// Every line evaluated at a point: forward values from the model, each backward
    /// line from its own expression and the values of the lines before it.
    pub fn evaluate(&self, model: &Model, dag: &Dag, p: &Point) -> Result<Values> {
        let vals = crate::numeric::evaluate(&model.graph.expr, p)?;
        let forward: Vec<Value> = dag
            .nodes
            .iter()
            .map(|n| vals[usize::from(n.id)].clone())
            .collect();
        let mut env = p.clone();
        for (i, v) in forward.iter().enumerate() {
            env.values.insert(key(dag, i), v.clone());
        }
        let mut backward = Vec::new();
        for s in &self.backward {
            let v = eval_expr(&s.expr, &self.shapes, &env)?;
            env.values.insert(s.target.symbol(), v.clone());
            backward.push(v);
        }
        Ok(Values { forward, backward })
    }

    /// The left side of a backward line.
    pub fn lhs(&self, dag: &Dag, s: &Step, naming: Naming, n: Notation) -> String {
        match s.target {
            Target::Adjoint(i) => dag.adj_name(i, naming, n),
            Target::Part(i, k) => dag.part_name(i, k, naming, n),
        }
    }

    /// The right side of a backward line.
    pub fn rhs(&self, dag: &Dag, s: &Step, naming: Naming, n: Notation) -> String {
        show(&s.expr, &self.shapes, &dag.symbol_names(naming, n), n)
    }

    /// The text (unicode, ASCII) or an `align*` (LaTeX).
    pub fn text(
        &self,
        model: &Model,
        dag: &Dag,
        n: Notation,
        vals: Option<&Values>,
    ) -> Result<String> {
        let naming = Naming::Named;
        let names = dag.symbol_names(naming, n);
        let mut fwd: Vec<(String, String, String)> = Vec::new();
        for &i in &self.forward {
            let mut rhs = show(&dag.formula(model, i), &self.shapes, &names, n);
            if i == dag.objective {
                rhs += &format!(" = {}", dag.f);
            }
            let v = vals.map(|v| fmt_value(&v.forward[i])).unwrap_or_default();
            fwd.push((dag.name(i, naming, n), rhs, v));
        }
        let mut bwd: Vec<(String, String, String)> = Vec::new();
        for (k, s) in self.backward.iter().enumerate() {
            let mut rhs = self.rhs(dag, s, naming, n);
            if let Some(t) = &s.total
                && *t != s.expr
            {
                rhs += &format!(" = {}", show(t, &self.shapes, &names, n));
            }
            if n != Notation::Latex
                && let Some(p) = s.from
            {
                rhs += &format!("    (through {})", dag.label(model, p, n));
            }
            let v = vals.map(|v| fmt_value(&v.backward[k])).unwrap_or_default();
            bwd.push((self.lhs(dag, s, naming, n), rhs, v));
        }
        let finals = self.gradient.print(n);
        Ok(match n {
            Notation::Latex => {
                let mut out = String::from("% forward pass\n\\begin{align*}\n");
                out += &latex_rows(&fwd);
                out += "\\end{align*}\n% backward pass\n\\begin{align*}\n";
                out += &latex_rows(&bwd);
                out += "\\end{align*}\n% the gradients as matgrad prints them\n\\begin{align*}\n";
                let rows: Vec<String> = finals
                    .lines()
                    .map(|l| l.replacen(" = ", " &= ", 1))
                    .collect();
                out += &rows.join(" \\\\\n");
                out += "\n\\end{align*}\n";
                out
            }
            _ => {
                let what = match n {
                    Notation::Ascii => format!("x_bar = d{}/dx", dag.f),
                    _ => format!("x̄ = ∂{}/∂x", dag.f),
                };
                let mut out = String::from("forward pass\n");
                out += &text_rows(&fwd);
                out += &format!("backward pass ({what})\n");
                out += &text_rows(&bwd);
                out += "so, as matgrad prints it:\n";
                for l in finals.lines() {
                    out += &format!("  {l}\n");
                }
                out
            }
        })
    }

    /// The steps as data (see the README).
    pub fn json(&self, model: &Model, dag: &Dag, vals: Option<&Values>) -> Json {
        let (a, u) = (Notation::Ascii, Notation::Unicode);
        let names = dag.symbol_names(Naming::Named, a);
        let unames = dag.symbol_names(Naming::Named, u);
        let forward: Vec<Json> = self
            .forward
            .iter()
            .map(|&i| {
                let f = dag.formula(model, i);
                let mut o = json!({
                    "name": dag.name(i, Naming::Named, a),
                    "expr": show(&f, &self.shapes, &names, a),
                    "unicode": format!("{} = {}", dag.name(i, Naming::Named, u), show(&f, &self.shapes, &unames, u)),
                });
                if let Some(v) = vals {
                    o["value"] = value_json(&v.forward[i]);
                }
                o
            })
            .collect();
        let backward: Vec<Json> = self
            .backward
            .iter()
            .enumerate()
            .map(|(k, s)| {
                let mut o = json!({
                    "name": self.lhs(dag, s, Naming::Named, a),
                    "adjoint_of": dag.name(s.target.node(), Naming::Named, a),
                    "expr": self.rhs(dag, s, Naming::Named, a),
                    "unicode": format!("{} = {}", self.lhs(dag, s, Naming::Named, u), self.rhs(dag, s, Naming::Named, u)),
                    "through": s.from.map(|p| dag.name(p, Naming::Named, a)),
                });
                if let Some(v) = vals {
                    o["value"] = value_json(&v.backward[k]);
                }
                o
            })
            .collect();
        let mut grads = serde_json::Map::new();
        for v in &self.gradient.derivation.vars {
            grads.insert(
                v.clone(),
                json!(self.gradient.expression(v, a).unwrap_or_default()),
            );
        }
        json!({"forward": forward, "backward": backward, "gradient": grads})
    }
}

/// Evaluates an expression over symbols whose values `env` holds.
pub fn eval_expr(e: &RecExpr<Math>, shapes: &HashMap<Symbol, Shape>, env: &Point) -> Result<Value> {
    let (g, root) = crate::derive::typed_tree(shapes, &Tree::from_root(e))?;
    Ok(crate::numeric::evaluate(&g.expr, env)?[usize::from(root)].clone())
}

fn text_rows(rows: &[(String, String, String)]) -> String {
    let w = rows
        .iter()
        .map(|(l, r, _)| super::graph::width(l) + super::graph::width(r))
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for (l, r, v) in rows {
        if v.is_empty() {
            out += &format!("  {l} = {r}\n");
        } else {
            let pad = " ".repeat(w - super::graph::width(l) - super::graph::width(r) + 3);
            out += &format!("  {l} = {r}{pad}= {v}\n");
        }
    }
    out
}

fn latex_rows(rows: &[(String, String, String)]) -> String {
    let lines: Vec<String> = rows
        .iter()
        .map(|(l, r, v)| {
            if v.is_empty() {
                format!("{l} &= {r}")
            } else {
                format!("{l} &= {r} &&= {}", latex_value(v))
            }
        })
        .collect();
    lines.join(" \\\\\n") + "\n"
}

/// A value of [`fmt_value`] in LaTeX.
pub fn latex_value(v: &str) -> String {
    v.replace('‖', "\\|")
        .replace("·", "\\cdot ")
        .replace('×', "\\times ")
        .replace("]ᵀ", "]^\\top")
}
