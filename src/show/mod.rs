//! Showing the work: the computational graph (`graph`, `svg`), the backward pass
//! step by step (`steps`), forward and reverse trace tables (`trace`) and the chain
//! of rewrites from the raw adjoint to the printed form (`explain`).
//!
//! Every view starts from a [`Dag`]: the problem's hash-consed DAG with one node per
//! operation (constants are written into their parents' formulas, and `a + (−b)` is
//! the one node `a − b`), numbered as in the homework: inputs `v₋₂, v₋₁, v₀`,
//! intermediates `v₁, v₂, …` in evaluation order.

pub mod explain;
pub mod graph;
pub mod names;
pub mod steps;
pub mod svg;
pub mod trace;

use std::collections::HashMap;

use egg::{Id, Language, RecExpr, Symbol};

use crate::autodiff::active_set;
use crate::ir::{Math, Shape};
use crate::model::Model;
pub use names::Naming;

/// A node of the computational graph.
#[derive(Debug, Clone)]
pub struct DagNode {
    /// The node of the model's graph that computes it.
    pub id: Id,
    /// Its number: inputs `≤ 0`, intermediates from 1.
    pub index: i64,
    /// The input's name, for an input.
    pub input: Option<String>,
    /// The user's name for an intermediate (`K = …`), if any.
    pub user: Option<String>,
    /// The DAG nodes it reads, in order, with repetition (`x ∘ x` reads `x` twice).
    pub args: Vec<usize>,
    /// Its shape.
    pub shape: Shape,
    /// True when it depends on a variable of `--wrt` (it lies on a path).
    pub active: bool,
}

/// The names of the symbols of formulas in one naming and notation, shared.
type Names = std::rc::Rc<HashMap<Symbol, String>>;

/// The computational graph of a problem's objective.
#[derive(Debug, Clone)]
pub struct Dag {
    /// Nodes in evaluation order (children before parents).
    pub nodes: Vec<DagNode>,
    /// The objective's node (the last one).
    pub objective: usize,
    /// The variables whose paths are highlighted.
    pub wrt: Vec<String>,
    /// The objective's name (`f` unless the problem names it).
    pub f: String,
    /// Model node → DAG node.
    by_id: HashMap<Id, usize>,
    /// Model nodes with no input below them (written into formulas).
    constant: Vec<bool>,
    /// The shapes of the symbols of formulas, computed once (see [`Dag::shapes`]).
    shapes_once: std::cell::OnceCell<std::rc::Rc<HashMap<Symbol, Shape>>>,
    /// The names of the symbols of formulas by naming and notation, computed once
    /// each (see [`Dag::symbol_names`]): a graph of 5,000 nodes labels every node.
    names_once: std::cell::RefCell<Vec<((names::Naming, Notation), Names)>>,
}

/// The symbol that stands for DAG node `i` inside formulas (inputs keep their names).
pub fn key(dag: &Dag, i: usize) -> Symbol {
    match &dag.nodes[i].input {
        Some(n) => Symbol::from(n.as_str()),
        None => Symbol::from(format!("v#{i}")),
    }
}

/// The symbol of the adjoint of node `i`.
pub fn adj_key(i: usize) -> Symbol {
    Symbol::from(format!("a#{i}"))
}

/// The symbol of the `k`-th contribution (from 1) to the adjoint of node `i`.
pub fn part_key(i: usize, k: usize) -> Symbol {
    Symbol::from(format!("a#{i}#{k}"))
}

/// The symbol of the tangent of node `i` (forward mode).
pub fn dot_key(i: usize) -> Symbol {
    Symbol::from(format!("d#{i}"))
}

impl Dag {
    /// The graph of `model`'s objective; paths to `wrt` are marked.
    pub fn new(model: &Model, wrt: &[&str]) -> Dag {
        let g = &model.graph;
        let n = g.len();
        let nodes = g.expr.as_ref();
        let mut constant = vec![false; n];
        for (i, node) in nodes.iter().enumerate() {
            constant[i] = match node {
                Math::Var(_) => false,
                m => m.children().iter().all(|c| constant[usize::from(*c)]),
            };
        }
        let mut reach = vec![false; n];
        reach[usize::from(model.objective)] = true;
        let mut uses = vec![0usize; n];
        for i in (0..n).rev() {
            if reach[i] {
                for c in nodes[i].children() {
                    reach[usize::from(*c)] = true;
                    uses[usize::from(*c)] += 1;
                }
            }
        }
        // `a + (−b)` reads as `a − b`: a negation used once by a sum joins the sum.
        let mut absorbed = vec![false; n];
        for (i, node) in nodes.iter().enumerate() {
            if let Math::Add([_, b]) = node
                && reach[i]
                && matches!(nodes[usize::from(*b)], Math::Neg(_))
                && uses[usize::from(*b)] == 1
                && !constant[usize::from(*b)]
                && model.def_name(*b).is_none()
            {
                absorbed[usize::from(*b)] = true;
            }
        }
        let vars: Vec<Symbol> = wrt.iter().map(|w| Symbol::from(*w)).collect();
        let active = active_set(g, &vars);
        let order: Vec<usize> = (0..n)
            .filter(|&i| reach[i] && !constant[i] && !absorbed[i])
            .collect();
        let input_pos = |i: usize| match &nodes[i] {
            Math::Var(s) => model.inputs.iter().position(|x| x.name == s.as_str()),
            _ => None,
        };
        let mut inputs: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| matches!(nodes[i], Math::Var(_)))
            .collect();
        inputs.sort_by_key(|&i| (input_pos(i), i));
        let ops: Vec<usize> = order
            .iter()
            .copied()
            .filter(|&i| !matches!(nodes[i], Math::Var(_)))
            .collect();
        let k = inputs.len() as i64;
        let mut dag = Dag {
            nodes: Vec::new(),
            objective: 0,
            wrt: wrt.iter().map(|s| s.to_string()).collect(),
            f: model.objective_name.clone().unwrap_or_else(|| "f".into()),
            by_id: HashMap::new(),
            constant,
            shapes_once: std::cell::OnceCell::new(),
            names_once: std::cell::RefCell::new(Vec::new()),
        };
        for (j, &i) in inputs.iter().chain(&ops).enumerate() {
            let id = Id::from(i);
            let input = match &nodes[i] {
                Math::Var(s) => Some(s.to_string()),
                _ => None,
            };
            dag.by_id.insert(id, dag.nodes.len());
            dag.nodes.push(DagNode {
                id,
                index: j as i64 - k + 1,
                input,
                user: model.def_name(id).map(str::to_string),
                args: Vec::new(),
                shape: g.shape(id),
                active: active[i],
            });
        }
        for j in 0..dag.nodes.len() {
            let mut args = Vec::new();
            if dag.nodes[j].input.is_none() {
                dag.collect_args(model, dag.nodes[j].id, true, &mut args);
            }
            dag.nodes[j].args = args;
        }
        dag.objective = dag.by_id[&model.objective];
        dag
    }

    fn collect_args(&self, model: &Model, id: Id, root: bool, out: &mut Vec<usize>) {
        if !root && let Some(&j) = self.by_id.get(&id) {
            out.push(j);
            return;
        }
        if self.constant[usize::from(id)] {
            return;
        }
        for c in model.graph.node(id).children() {
            self.collect_args(model, *c, false, out);
        }
    }

    /// The DAG node of a model node, if it is one.
    pub fn of_id(&self, id: Id) -> Option<usize> {
        self.by_id.get(&id).copied()
    }

    /// True for model nodes without inputs below them.
    pub fn is_constant(&self, id: Id) -> bool {
        self.constant[usize::from(id)]
    }

    /// The DAG nodes that read node `i` (with repetition), in order.
    pub fn parents(&self, i: usize) -> Vec<usize> {
        let mut v = Vec::new();
        for (p, n) in self.nodes.iter().enumerate() {
            for a in &n.args {
                if *a == i {
                    v.push(p);
                }
            }
        }
        v
    }

    /// The formula of node `i` over the symbols of its arguments ([`key`]), constants
    /// written out: `(* v#3 x)`.
    pub fn formula(&self, model: &Model, i: usize) -> RecExpr<Math> {
        let mut out = RecExpr::default();
        let mut memo = HashMap::new();
        self.formula_rec(model, self.nodes[i].id, true, &mut out, &mut memo);
        out
    }

    fn formula_rec(
        &self,
        model: &Model,
        id: Id,
        root: bool,
        out: &mut RecExpr<Math>,
        memo: &mut HashMap<Id, Id>,
    ) -> Id {
        if let Some(&m) = memo.get(&id) {
            return m;
        }
        let node = match self.by_id.get(&id) {
            Some(&j) if !root => Math::Var(key(self, j)),
            _ => {
                let mut n = model.graph.node(id).clone();
                for c in n.children_mut() {
                    *c = self.formula_rec(model, *c, false, out, memo);
                }
                n
            }
        };
        let new = out.add(node);
        memo.insert(id, new);
        new
    }

    /// Shapes of the symbols of formulas: inputs and every node's key.
    pub fn shapes(&self, model: &Model) -> std::rc::Rc<HashMap<Symbol, Shape>> {
        self.shapes_once
            .get_or_init(|| std::rc::Rc::new(self.compute_shapes(model)))
            .clone()
    }

    fn compute_shapes(&self, model: &Model) -> HashMap<Symbol, Shape> {
        let mut m = model.graph.vars.clone();
        for (i, n) in self.nodes.iter().enumerate() {
            m.insert(key(self, i), n.shape.clone());
            m.insert(adj_key(i), n.shape.clone());
            m.insert(dot_key(i), n.shape.clone());
            for k in 1..=self.parents(i).len().max(1) {
                m.insert(part_key(i, k), n.shape.clone());
            }
        }
        m
    }

    /// Number of paths from the objective to node `i` (each use counted: `x ∘ x` gives two).
    pub fn path_count(&self, i: usize) -> u128 {
        let mut count = vec![0u128; self.nodes.len()];
        count[self.objective] = 1;
        for p in (0..self.nodes.len()).rev() {
            for &a in &self.nodes[p].args {
                count[a] = count[a].saturating_add(count[p]);
            }
        }
        count[i]
    }

    /// Up to `limit` paths from the objective down to node `i`, each from the objective.
    pub fn paths(&self, i: usize, limit: usize) -> Vec<Vec<usize>> {
        let mut out = Vec::new();
        let mut stack = vec![self.objective];
        self.paths_rec(i, limit, &mut stack, &mut out);
        out
    }

    fn paths_rec(
        &self,
        to: usize,
        limit: usize,
        stack: &mut Vec<usize>,
        out: &mut Vec<Vec<usize>>,
    ) {
        if out.len() >= limit {
            return;
        }
        let at = *stack.last().unwrap_or(&self.objective);
        if at == to {
            out.push(stack.clone());
            return;
        }
        for &a in &self.nodes[at].args {
            if self.nodes[a].active || a == to {
                stack.push(a);
                self.paths_rec(to, limit, stack, out);
                stack.pop();
            }
        }
    }

    /// The DAG node of input `name`.
    pub fn input(&self, name: &str) -> Option<usize> {
        self.nodes
            .iter()
            .position(|n| n.input.as_deref() == Some(name))
    }
}

/// A number to four decimal places (`-0.0000` printed as `0.0000`).
pub fn fmt4(x: f64) -> String {
    let s = format!("{x:.4}");
    if s == "-0.0000" { "0.0000".into() } else { s }
}

/// A value compactly: a scalar to four decimals, a small array in full (rows in
/// brackets), a larger one as its shape and norm.
pub fn fmt_value(v: &crate::ops::Value) -> String {
    if v.nrows() == 1 && v.ncols() == 1 {
        return fmt4(v[(0, 0)]);
    }
    if v.len() > 9 {
        return format!(
            "{}×{} array, ‖·‖ = {}",
            v.nrows(),
            v.ncols(),
            fmt4(v.norm())
        );
    }
    let row = |i: usize| {
        let xs: Vec<String> = v.row(i).iter().map(|x| fmt4(*x)).collect();
        format!("[{}]", xs.join(", "))
    };
    if v.ncols() == 1 {
        let xs: Vec<String> = v.iter().map(|x| fmt4(*x)).collect();
        return format!("[{}]ᵀ", xs.join(", "));
    }
    let rows: Vec<String> = (0..v.nrows()).map(row).collect();
    format!("[{}]", rows.join(", "))
}

/// A value as JSON: a number, a vector, or rows.
pub fn value_json(v: &crate::ops::Value) -> serde_json::Value {
    let r = |x: f64| serde_json::json!((x * 1e12).round() / 1e12);
    if v.nrows() == 1 && v.ncols() == 1 {
        r(v[(0, 0)])
    } else if v.ncols() == 1 {
        serde_json::Value::Array(v.iter().map(|x| r(*x)).collect())
    } else {
        serde_json::Value::Array(
            (0..v.nrows())
                .map(|i| serde_json::Value::Array(v.row(i).iter().map(|x| r(*x)).collect()))
                .collect(),
        )
    }
}

/// How `--graph` draws.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GraphView {
    /// Indented tree.
    Text,
    /// Graphviz DOT.
    Dot,
    /// SVG drawn by matgrad.
    Svg,
}

/// Which trace table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TraceView {
    /// Forward mode, the tangent of this input (default: the first variable) set to 1.
    Forward(Option<String>),
    /// Reverse mode.
    Reverse,
}

/// One of the views.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum View {
    /// The computational graph.
    Graph(GraphView),
    /// The backward pass step by step.
    Steps,
    /// A trace table.
    Trace(TraceView),
    /// The chain of rewrites.
    Explain,
}

/// Text in a notation (LaTeX: a fragment that compiles inside a document with
/// `amsmath` and `tikz`), or JSON data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutFormat {
    /// Unicode, ASCII or LaTeX text.
    Text(Notation),
    /// One JSON object with a key per view.
    Json,
}

use crate::error::{Error, ErrorKind, Result};
use crate::numeric::Point;
use crate::print::Notation;

/// Renders `views` of `model` with respect to `wrt`, in order.
pub fn render(
    model: &Model,
    wrt: &[&str],
    views: &[View],
    format: OutFormat,
    point: Option<&Point>,
) -> Result<String> {
    let dag = Dag::new(model, wrt);
    let mut text = String::new();
    let mut obj = serde_json::Map::new();
    for v in views {
        match (v, format) {
            (View::Graph(k), OutFormat::Json) => {
                let mut j = dag.json(model);
                if *k == GraphView::Svg {
                    j["svg"] = serde_json::json!(dag.svg(model));
                }
                obj.insert("graph".into(), j);
            }
            (View::Graph(_), OutFormat::Text(Notation::Latex)) => text += &dag.tikz(model),
            (View::Graph(GraphView::Text), OutFormat::Text(n)) => text += &dag.text(model, n),
            (View::Graph(GraphView::Dot), _) => text += &dag.dot(model),
            (View::Graph(GraphView::Svg), _) => text += &dag.svg(model),
            (View::Steps, f) => {
                let s = steps::Steps::derive(model, &dag)?;
                let vals = point.map(|p| s.evaluate(model, &dag, p)).transpose()?;
                match f {
                    OutFormat::Json => {
                        obj.insert("steps".into(), s.json(model, &dag, vals.as_ref()));
                    }
                    OutFormat::Text(n) => text += &s.text(model, &dag, n, vals.as_ref())?,
                }
            }
            (View::Trace(t), f) => {
                let p = point.ok_or_else(|| {
                    Error::new(ErrorKind::Point, "--trace needs a point: --at POINT.json")
                })?;
                let table = trace::Table::new(model, &dag, t, p)?;
                match f {
                    OutFormat::Json => {
                        obj.insert("trace".into(), table.json());
                    }
                    OutFormat::Text(n) => text += &table.text(n),
                }
            }
            (View::Explain, f) => {
                let e = explain::explain(model, wrt)?;
                match f {
                    OutFormat::Json => {
                        obj.insert("explain".into(), e.json());
                    }
                    OutFormat::Text(n) => text += &e.text(n),
                }
            }
        }
    }
    if format == OutFormat::Json {
        text = serde_json::to_string_pretty(&serde_json::Value::Object(obj)).unwrap_or_default()
            + "\n";
    }
    Ok(text)
}
