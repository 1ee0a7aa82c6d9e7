//! `--trace forward|reverse --at P`: the evaluation trace as the homework tabulates
//! it, inputs `v₋₂, v₋₁, v₀`, intermediates `v₁, v₂, …`, four decimal places.
//!
//! Forward mode: each vᵢ with its tangent v̇ᵢ = ∂vᵢ/∂x for the seed input x (whose
//! tangent is 1, every entry for an array). The tangents are exact: each is
//! `Σₐ J·v̇ₐ`, the Jacobian applied entry by entry through the same
//! vector-Jacobian products reverse mode uses, and for scalar nodes the formula is
//! shown (`v̇₃ = cos(v₀)v̇₀`). Reverse mode: the forward sweep, then the adjoints
//! v̄ᵢ = ∂f/∂vᵢ of `--steps`, numbered.

use std::collections::HashMap;

use egg::{Id, RecExpr, Symbol};
use serde_json::{Value as Json, json};

use super::names::show;
use super::steps::{Steps, eval_expr, local_vjp, simplify_one, symbol_facts};
use super::{Dag, Naming, TraceView, adj_key, dot_key, fmt_value, key, value_json};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Math, Shape};
use crate::model::Model;
use crate::numeric::Point;
use crate::ops::Value;
use crate::print::Notation;
use crate::simplify::cse::Tree;

/// One row: `lhs = formula = value`.
#[derive(Debug, Clone)]
pub struct Row {
    /// `v₃` (in each notation: unicode, ASCII, LaTeX).
    pub lhs: [String; 3],
    /// `sin(v₀)`.
    pub formula: [String; 3],
    /// The value.
    pub value: Value,
    /// For forward mode, the tangent: `v̇₃`, its formula and value.
    pub tangent: Option<([String; 3], [String; 3], Value)>,
}

/// A trace table.
#[derive(Debug, Clone)]
pub struct Table {
    /// `forward` or `reverse`.
    pub mode: &'static str,
    /// The seed input of forward mode.
    pub seed: Option<String>,
    /// The forward sweep (forward mode: with tangents).
    pub forward: Vec<Row>,
    /// The reverse sweep (reverse mode).
    pub reverse: Vec<Row>,
    /// `∂f/∂x = v̄₋₁ = 2.6955` lines (each notation).
    pub results: Vec<[String; 3]>,
}

const NOTATIONS: [Notation; 3] = [Notation::Unicode, Notation::Ascii, Notation::Latex];

fn each(f: impl Fn(Notation) -> String) -> [String; 3] {
    NOTATIONS.map(f)
}

impl Table {
    /// The table of `view` at point `p`.
    pub fn new(model: &Model, dag: &Dag, view: &TraceView, p: &Point) -> Result<Table> {
        match view {
            TraceView::Forward(seed) => forward(model, dag, seed.as_deref(), p),
            TraceView::Reverse => reverse(model, dag, p),
        }
    }

    /// Aligned text (unicode, ASCII) or a `tabular` (LaTeX).
    pub fn text(&self, n: Notation) -> String {
        let k = NOTATIONS.iter().position(|m| *m == n).unwrap_or(0);
        let row = |r: &Row| -> Vec<String> {
            let mut v = vec![r.lhs[k].clone(), r.formula[k].clone(), fmt_value(&r.value)];
            if let Some((l, f, x)) = &r.tangent {
                v.extend([l[k].clone(), f[k].clone(), fmt_value(x)]);
            }
            v
        };
        let fwd: Vec<Vec<String>> = self.forward.iter().map(row).collect();
        let rev: Vec<Vec<String>> = self.reverse.iter().map(row).collect();
        if n == Notation::Latex {
            let results: Vec<String> = self
                .results
                .iter()
                .map(|r| super::steps::latex_value(&r[2]))
                .collect();
            return latex(self, &fwd, &rev, &results);
        }
        let mut out = String::new();
        match &self.seed {
            Some(s) => out += &format!("forward mode, tangent of {s} set to 1\n"),
            None => out += "forward sweep\n",
        }
        out += &columns(&fwd);
        if self.mode == "reverse" {
            out += "reverse sweep (v̄ᵢ = ∂f/∂vᵢ)\n";
            out += &columns(&rev);
        }
        for r in &self.results {
            out += &format!("{}\n", r[k]);
        }
        out
    }

    /// The table as data (see the README).
    pub fn json(&self) -> Json {
        let row = |r: &Row| {
            let mut o = json!({
                "v": r.lhs[1], "expr": r.formula[1], "value": value_json(&r.value),
            });
            if let Some((l, f, x)) = &r.tangent {
                o["tangent"] = json!({"v": l[1], "expr": f[1], "value": value_json(x)});
            }
            o
        };
        json!({
            "mode": self.mode,
            "seed": self.seed,
            "forward": self.forward.iter().map(row).collect::<Vec<_>>(),
            "reverse": self.reverse.iter().map(row).collect::<Vec<_>>(),
            "results": self.results.iter().map(|r| r[1].clone()).collect::<Vec<_>>(),
        })
    }
}

fn value_row(model: &Model, dag: &Dag, i: usize, value: Value) -> Row {
    let shapes = dag.shapes(model);
    let formula = |n: Notation| match &dag.nodes[i].input {
        Some(x) => crate::print::name(x, n),
        None => show(
            &dag.formula(model, i),
            &shapes,
            &dag.symbol_names(Naming::Numbered, n),
            n,
        ),
    };
    Row {
        lhs: each(|n| dag.name(i, Naming::Numbered, n)),
        formula: each(formula),
        value,
        tangent: None,
    }
}

fn forward_values(model: &Model, dag: &Dag, p: &Point) -> Result<Vec<Value>> {
    let vals = crate::numeric::evaluate(&model.graph.expr, p)?;
    Ok(dag
        .nodes
        .iter()
        .map(|n| vals[usize::from(n.id)].clone())
        .collect())
}

fn forward(model: &Model, dag: &Dag, seed: Option<&str>, p: &Point) -> Result<Table> {
    let seed = seed
        .map(str::to_string)
        .or_else(|| dag.wrt.first().cloned())
        .or_else(|| model.inputs.first().map(|i| i.name.clone()))
        .ok_or_else(|| Error::new(ErrorKind::NotDifferentiable, "the problem has no inputs"))?;
    if model.input(&seed).is_none() {
        let names: Vec<&str> = model.inputs.iter().map(|i| i.name.as_str()).collect();
        return Err(Error::new(
            ErrorKind::NotDifferentiable,
            format!(
                "--seed `{seed}` is not an input of the problem (its inputs: {})",
                names.join(", ")
            ),
        ));
    }
    let dag = Dag::new(model, &[seed.as_str()]);
    let dag = &dag;
    let shapes = dag.shapes(model);
    let facts = symbol_facts(model, dag);
    let values = forward_values(model, dag, p)?;
    let mut env = p.clone();
    for (i, v) in values.iter().enumerate() {
        env.values.insert(key(dag, i), v.clone());
    }
    let mut rows = Vec::new();
    let mut tangents: Vec<Value> = Vec::new();
    for (i, v) in values.iter().enumerate() {
        let node = &dag.nodes[i];
        let zero = Value::zeros(v.nrows(), v.ncols());
        let (t, formula) = if let Some(x) = &node.input {
            let t = if *x == seed { zero.map(|_| 1.0) } else { zero };
            let f = if *x == seed {
                crate::rational::Rational::ONE
            } else {
                crate::rational::Rational::ZERO
            };
            (t, Some(Tree::node(Math::Num(f), vec![])))
        } else if !node.active {
            (
                zero,
                Some(Tree::node(
                    Math::Num(crate::rational::Rational::ZERO),
                    vec![],
                )),
            )
        } else {
            let parts = local_vjp(model, dag, i)?;
            let t = tangent(&parts, &tangents, &shapes, &mut env, i, v)?;
            // A formula is shown only where it gives the tangent just computed.
            let f = tangent_formula(model, dag, i, &parts, &facts)?.filter(|f| {
                eval_expr(&f.to_expr(), &shapes, &env).is_ok_and(|x| {
                    x.shape() == t.shape() && (&x - &t).amax() <= 1e-9 * (1.0 + t.amax())
                })
            });
            (t, f)
        };
        let mut row = value_row(model, dag, i, v.clone());
        let ftext = |n: Notation| match &formula {
            Some(f) => show(
                &f.to_expr(),
                &shapes,
                &dag.symbol_names(Naming::Numbered, n),
                n,
            ),
            None => match n {
                Notation::Latex => "J\\,\\dot{v}".into(),
                _ => "J·v̇ (entry by entry)".into(),
            },
        };
        row.tangent = Some((
            each(|n| dag.dot_name(i, Naming::Numbered, n)),
            each(ftext),
            t.clone(),
        ));
        rows.push(row);
        env.values.insert(dot_key(i), t.clone());
        tangents.push(t);
    }
    let o = dag.objective;
    let results = vec![each(|n| {
        let d = match n {
            Notation::Unicode => format!("∂{}/∂{}", dag.f, crate::print::name(&seed, n)),
            Notation::Ascii => format!("d{}/d{}", dag.f, seed),
            Notation::Latex => format!(
                "\\frac{{\\partial {}}}{{\\partial {}}}",
                dag.f,
                crate::print::name(&seed, n)
            ),
        };
        let what =
            if values[o].len() == 1 && dag.nodes[dag.input(&seed).unwrap_or(0)].shape.is_scalar() {
                ""
            } else if n == Notation::Latex {
                "\\text{ (directional, along ones)}"
            } else {
                " (directional, along ones)"
            };
        format!(
            "{} = {}, {d}{what} = {} = {}",
            dag.f,
            fmt_value(&values[o]),
            dag.dot_name(o, Naming::Numbered, n),
            fmt_value(&tangents[o])
        )
    })];
    Ok(Table {
        mode: "forward",
        seed: Some(seed),
        forward: rows,
        reverse: Vec::new(),
        results,
    })
}

/// The tangent of node `i` as a formula, `Σₐ Jₐ v̇ₐ`, built from each argument's
/// vector-Jacobian product: for a scalar node the partial is the VJP with adjoint 1
/// (times v̇ₐ, or its inner product with v̇ₐ for an array argument); where the Jacobian
/// is symmetric (elementwise operations, sums, softmax) the VJP applied to v̇ₐ; for
/// products and transposes the usual `ȦB + AḂ`, `Ȧᵀ`. `None` where none applies.
fn tangent_formula(
    model: &Model,
    dag: &Dag,
    i: usize,
    parts: &[(usize, RecExpr<Math>)],
    facts: &HashMap<Symbol, crate::simplify::Facts>,
) -> Result<Option<Tree>> {
    let z = Id::from(0);
    let num = |r| Tree::node(Math::Num(r), vec![]);
    let out_scalar = dag.nodes[i].shape.is_scalar();
    let formula = Tree::from_root(&dag.formula(model, i));
    let mut sum: Option<Tree> = None;
    for (a, e) in parts {
        let c = Tree::from_root(e);
        let with = |t: Tree| {
            let mut map = HashMap::new();
            map.insert(adj_key(i), t);
            c.substitute(&map)
        };
        let d = Tree::var(dot_key(*a));
        let arg_shape = &dag.nodes[*a].shape;
        let me = Tree::var(key(dag, *a));
        let term = if out_scalar {
            let p = with(num(crate::rational::Rational::ONE));
            if arg_shape.is_scalar() {
                Tree::node(Math::Mul([z; 2]), vec![p, d])
            } else {
                let pt = Tree::node(Math::Transpose(z), vec![p]);
                let m = Tree::node(Math::Mul([z; 2]), vec![pt, d]);
                if arg_shape.cols == crate::ir::Dim::ONE {
                    m
                } else {
                    Tree::node(Math::Trace(z), vec![m])
                }
            }
        } else if *arg_shape == dag.nodes[i].shape
            && (crate::ops::is_elementwise(&formula.op)
                || matches!(
                    formula.op,
                    Math::Add(_)
                        | Math::Neg(_)
                        | Math::Hadamard(_)
                        | Math::EDiv(_)
                        | Math::Softmax(_)
                ))
        {
            with(d)
        } else {
            match (&formula.op, formula.kids.as_slice()) {
                (Math::Mul(_), [x, y]) if *x == me && *y != me => {
                    Tree::node(Math::Mul([z; 2]), vec![d, y.clone()])
                }
                (Math::Mul(_), [x, y]) if *y == me && *x != me => {
                    Tree::node(Math::Mul([z; 2]), vec![x.clone(), d])
                }
                (Math::Transpose(_), _) => Tree::node(Math::Transpose(z), vec![d]),
                (Math::Inv(_), _) => {
                    // d(A⁻¹) = −A⁻¹ dA A⁻¹
                    let v = Tree::var(key(dag, i));
                    let l = Tree::node(Math::Mul([z; 2]), vec![v.clone(), d]);
                    let m = Tree::node(Math::Mul([z; 2]), vec![l, v]);
                    Tree::node(Math::Neg(z), vec![m])
                }
                _ => return Ok(None),
            }
        };
        sum = Some(match sum {
            None => term,
            Some(s) => Tree::node(Math::Add([z; 2]), vec![s, term]),
        });
    }
    let sum = sum.unwrap_or_else(|| num(crate::rational::Rational::ZERO));
    Ok(Some(Tree::from_root(&simplify_one(&sum.to_expr(), facts)?)))
}

/// The tangent of node `i`, entry by entry: `(J v̇)ₖ = Σₐ ⟨VJPₐ(eₖ), v̇ₐ⟩`.
fn tangent(
    parts: &[(usize, RecExpr<Math>)],
    tangents: &[Value],
    shapes: &HashMap<Symbol, Shape>,
    env: &mut Point,
    i: usize,
    v: &Value,
) -> Result<Value> {
    let mut t = Value::zeros(v.nrows(), v.ncols());
    for k in 0..v.len() {
        let mut e = Value::zeros(v.nrows(), v.ncols());
        e[k] = 1.0;
        env.values.insert(adj_key(i), e);
        for (a, expr) in parts {
            let c = eval_expr(expr, shapes, env)?;
            let d = &tangents[*a];
            t[k] += if c.shape() == d.shape() {
                c.dot(d)
            } else {
                c.sum() * d.sum()
            };
        }
    }
    Ok(t)
}

fn reverse(model: &Model, dag: &Dag, p: &Point) -> Result<Table> {
    let all: Vec<String> = model.inputs.iter().map(|i| i.name.clone()).collect();
    let wrt: Vec<&str> = if dag.wrt.is_empty() {
        all.iter().map(String::as_str).collect()
    } else {
        dag.wrt.iter().map(String::as_str).collect()
    };
    let dag = Dag::new(model, &wrt);
    let dag = &dag;
    let steps = Steps::derive(model, dag)?;
    let vals = steps.evaluate(model, dag, p)?;
    let forward: Vec<Row> = (0..dag.nodes.len())
        .map(|i| value_row(model, dag, i, vals.forward[i].clone()))
        .collect();
    let reverse: Vec<Row> = steps
        .backward
        .iter()
        .zip(&vals.backward)
        .map(|(s, v)| Row {
            lhs: each(|n| steps.lhs(dag, s, Naming::Numbered, n)),
            formula: each(|n| steps.rhs(dag, s, Naming::Numbered, n)),
            value: v.clone(),
            tangent: None,
        })
        .collect();
    let o = dag.objective;
    let mut results = vec![each(|n| {
        format!(
            "{} = {} = {}",
            dag.f,
            dag.name(o, Naming::Numbered, n),
            fmt_value(&vals.forward[o])
        )
    })];
    for w in &wrt {
        let Some(i) = dag.input(w) else { continue };
        let Some(k) = steps
            .backward
            .iter()
            .rposition(|s| s.target == super::steps::Target::Adjoint(i))
        else {
            continue;
        };
        results.push(each(|n| {
            let d = match n {
                Notation::Unicode => format!("∂{}/∂{}", dag.f, crate::print::name(w, n)),
                Notation::Ascii => format!("d{}/d{}", dag.f, w),
                Notation::Latex => format!(
                    "\\frac{{\\partial {}}}{{\\partial {}}}",
                    dag.f,
                    crate::print::name(w, n)
                ),
            };
            format!(
                "{d} = {} = {}",
                dag.adj_name(i, Naming::Numbered, n),
                fmt_value(&vals.backward[k])
            )
        }));
    }
    Ok(Table {
        mode: "reverse",
        seed: None,
        forward,
        reverse,
        results,
    })
}

fn columns(rows: &[Vec<String>]) -> String {
    let cols = rows.iter().map(Vec::len).max().unwrap_or(0);
    // A formula wider than MAX_ALIGNED (the sum of a thousand contributions) runs
    // over its column instead of padding every other row to its width.
    const MAX_ALIGNED: usize = 48;
    let widths: Vec<usize> = (0..cols)
        .map(|c| {
            rows.iter()
                .filter_map(|r| r.get(c))
                .map(|s| super::graph::width(s))
                .filter(|w| c % 3 != 1 || *w <= MAX_ALIGNED)
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for r in rows {
        let mut line = String::from(" ");
        for (c, s) in r.iter().enumerate() {
            let pad = " ".repeat(widths[c].saturating_sub(super::graph::width(s)));
            let sep = match c % 3 {
                0 => " = ",
                1 => " = ",
                _ => "   ",
            };
            if c % 3 == 2 {
                line += &format!("{s}{pad}");
            } else {
                line += &format!("{s}{pad}{sep}");
            }
            if c % 3 == 2 && c + 1 < r.len() {
                line += " │ ";
            }
        }
        out += line.trim_end();
        out.push('\n');
    }
    out
}

fn latex(t: &Table, fwd: &[Vec<String>], rev: &[Vec<String>], results: &[String]) -> String {
    let cell = |s: &String, c: usize| {
        if c % 3 == 2 {
            format!("${}$", super::steps::latex_value(s))
        } else {
            format!("${s}$")
        }
    };
    let table = |rows: &[Vec<String>]| {
        let cols = rows.first().map(Vec::len).unwrap_or(3);
        let spec = "lll"
            .repeat(cols / 3)
            .chars()
            .collect::<Vec<_>>()
            .chunks(3)
            .map(|c| c.iter().collect::<String>())
            .collect::<Vec<_>>()
            .join("|");
        let mut s = format!("\\begin{{tabular}}{{{spec}}}\n\\hline\n");
        for r in rows {
            let cells: Vec<String> = r.iter().enumerate().map(|(c, x)| cell(x, c)).collect();
            s += &cells.join(" & ");
            s += " \\\\\n";
        }
        s += "\\hline\n\\end{tabular}\n";
        s
    };
    let mut out = match &t.seed {
        Some(s) => format!("% forward mode, tangent of {s} set to 1\n"),
        None => "% forward sweep\n".into(),
    };
    out += &table(fwd);
    if t.mode == "reverse" {
        out += "\n% reverse sweep\n";
        out += &table(rev);
    }
    out += "\n\\begin{align*}\n";
    let rows: Vec<String> = results
        .iter()
        .map(|r| r.replacen(" = ", " &= ", 1))
        .collect();
    out += &rows.join(" \\\\\n");
    out += "\n\\end{align*}\n";
    out
}
