//! `--graph text|dot`: the computational graph, paths to the variables highlighted,
//! and which variables are reached by several paths.

use serde_json::{Value as Json, json};

use super::names::show;
use super::{Dag, Naming};
use crate::model::Model;
use crate::print::Notation;

/// How many paths are listed by name before "and N more".
pub const PATH_LIMIT: usize = 8;

impl Dag {
    /// `V₃ = WᵀW` for an operation, `W` for an input.
    pub fn label(&self, model: &Model, i: usize, n: Notation) -> String {
        let name = self.name(i, Naming::Named, n);
        if self.nodes[i].input.is_some() {
            return name;
        }
        let shapes = self.shapes(model);
        let names = self.symbol_names(Naming::Named, n);
        format!(
            "{name} = {}",
            show(&self.formula(model, i), &shapes, &names, n)
        )
    }

    /// `n×m`, or `scalar`.
    pub fn shape_text(&self, i: usize) -> String {
        let s = &self.nodes[i].shape;
        if s.is_scalar() {
            "scalar".into()
        } else {
            format!("{}×{}", s.rows, s.cols)
        }
    }

    /// What the output says about the paths to each variable.
    pub fn path_lines(&self, model: &Model, n: Notation) -> Vec<String> {
        let mut out = Vec::new();
        for w in &self.wrt {
            let wn = crate::print::name(w, n);
            let Some(v) = self.input(w) else {
                out.push(format!("{wn}: the objective does not depend on it"));
                continue;
            };
            let count = self.path_count(v);
            let paths = self.paths(v, PATH_LIMIT);
            let plural = if count == 1 { "path" } else { "paths" };
            let sum = if count > 1 {
                let parts: Vec<String> = (1..=count.min(3) as usize)
                    .map(|k| self.part_name(v, k, Naming::Named, n))
                    .collect();
                let more = if count > 3 { " + …" } else { "" };
                format!(
                    "; its adjoint is the sum over them, {} = {}{more}",
                    self.adj_name(v, Naming::Named, n),
                    parts.join(" + ")
                )
            } else {
                String::new()
            };
            out.push(format!("{wn} is reached by {count} {plural}{sum}:"));
            for (k, p) in paths.iter().enumerate() {
                let chain: Vec<String> =
                    p.iter().map(|&i| self.name(i, Naming::Named, n)).collect();
                let via = p.len().checked_sub(2).map(|j| p[j]);
                let enters = via
                    .map(|j| format!("  (into {})", self.label(model, j, n)))
                    .unwrap_or_default();
                out.push(format!("  {}. {}{enters}", k + 1, chain.join(" → ")));
            }
            if count as usize > paths.len() {
                out.push(format!("  … and {} more", count - paths.len() as u128));
            }
        }
        out
    }

    /// The graph as an indented tree from the objective down; a node read by several
    /// parents is drawn once and referenced after. `●` marks nodes on a path to a
    /// variable of `--wrt`.
    pub fn text(&self, model: &Model, n: Notation) -> String {
        let labels: Vec<String> = (0..self.nodes.len())
            .map(|i| self.label(model, i, n))
            .collect();
        let mut t = TextOut {
            labels,
            n,
            drawn: vec![false; self.nodes.len()],
            lines: Vec::new(),
        };
        self.text_rec(self.objective, "", "", &mut t);
        let lines = t.lines;
        let widest = lines.iter().map(|(s, _, _)| width(s)).max().unwrap_or(0);
        let on = if self.wrt.is_empty() {
            String::new()
        } else {
            format!("; ● on a path to {}", self.wrt.join(", "))
        };
        let mut out = format!(
            "computational graph of {} ({} nodes{on})\n",
            self.f,
            self.nodes.len()
        );
        for (s, i, tail) in &lines {
            let pad = " ".repeat(widest - width(s) + 2);
            let what = if tail.is_empty() {
                let mut w = self.shape_text(*i);
                if self.nodes[*i].input.is_some() {
                    w += ", input";
                }
                if *i == self.objective {
                    w += &format!(", the objective {}", self.f);
                }
                w
            } else {
                tail.clone()
            };
            out += &format!("{s}{pad}{what}\n");
        }
        for l in self.path_lines(model, n) {
            out += &l;
            out.push('\n');
        }
        out
    }

    fn text_rec(&self, i: usize, lead: &str, cont: &str, out: &mut TextOut) {
        let mark = if self.nodes[i].active { "●" } else { "○" };
        if out.drawn[i] {
            let name = self.name(i, Naming::Named, out.n);
            out.lines
                .push((format!("{lead}{mark} {name}"), i, "(drawn above)".into()));
            return;
        }
        out.drawn[i] = true;
        let label = out.labels[i].clone();
        out.lines
            .push((format!("{lead}{mark} {label}"), i, String::new()));
        let args = &self.nodes[i].args;
        for (k, &a) in args.iter().enumerate() {
            let last = k + 1 == args.len();
            let (l, c) = if last {
                ("└─", "  ")
            } else {
                ("├─", "│ ")
            };
            self.text_rec(a, &format!("{cont}{l}"), &format!("{cont}{c}"), out);
        }
    }

    /// Graphviz DOT: inputs at the bottom, nodes and edges on a path to a variable in red.
    pub fn dot(&self, model: &Model) -> String {
        let n = Notation::Unicode;
        let mut out = format!(
            "digraph \"{}\" {{\n  rankdir=BT;\n  node [shape=box, style=rounded, fontname=\"Helvetica\"];\n  edge [color=\"#888888\"];\n",
            escape(&self.f)
        );
        for i in 0..self.nodes.len() {
            let node = &self.nodes[i];
            let mut attrs = vec![format!(
                "label=\"{}\\n{}\"",
                escape(&self.label(model, i, n)),
                escape(&self.shape_text(i))
            )];
            if node.input.is_some() {
                attrs.push("shape=ellipse".into());
            }
            if i == self.objective {
                attrs.push("peripheries=2".into());
            }
            if node.active {
                attrs.push("color=\"#c0392b\", penwidth=2".into());
            }
            out += &format!("  n{i} [{}];\n", attrs.join(", "));
        }
        for (p, node) in self.nodes.iter().enumerate() {
            for &a in &node.args {
                let style = if self.nodes[a].active {
                    " [color=\"#c0392b\", penwidth=2]"
                } else {
                    ""
                };
                out += &format!("  n{a} -> n{p}{style};\n");
            }
        }
        out += "}\n";
        for l in self.path_lines(model, n) {
            out += &format!("// {l}\n");
        }
        out
    }

    /// The graph as data (see the README).
    pub fn json(&self, model: &Model) -> Json {
        let id = |i: usize| self.name(i, Naming::Numbered, Notation::Ascii);
        let nodes: Vec<Json> = (0..self.nodes.len())
            .map(|i| {
                let node = &self.nodes[i];
                let s = &node.shape;
                json!({
                    "id": id(i),
                    "index": node.index,
                    "name": self.name(i, Naming::Named, Notation::Ascii),
                    "formula": if node.input.is_some() { Json::Null } else {
                        json!(show(&self.formula(model, i), &self.shapes(model),
                            &self.symbol_names(Naming::Named, Notation::Ascii), Notation::Ascii))
                    },
                    "label": self.label(model, i, Notation::Unicode),
                    "shape": [s.rows.to_string(), s.cols.to_string()],
                    "input": node.input.is_some(),
                    "user_name": node.user,
                    "on_path": node.active,
                    "args": node.args.iter().map(|&a| id(a)).collect::<Vec<_>>(),
                })
            })
            .collect();
        let mut paths = serde_json::Map::new();
        for w in &self.wrt {
            let Some(v) = self.input(w) else {
                paths.insert(w.clone(), json!({"count": 0, "paths": []}));
                continue;
            };
            let ps: Vec<Vec<String>> = self
                .paths(v, PATH_LIMIT)
                .iter()
                .map(|p| p.iter().map(|&i| id(i)).collect())
                .collect();
            paths.insert(
                w.clone(),
                json!({"count": self.path_count(v).to_string().parse::<u64>().unwrap_or(u64::MAX), "paths": ps}),
            );
        }
        json!({"objective": id(self.objective), "nodes": nodes, "paths": paths})
    }
}

/// The state of drawing the text tree.
struct TextOut {
    labels: Vec<String>,
    n: Notation,
    drawn: Vec<bool>,
    lines: Vec<(String, usize, String)>,
}

/// Printed width: combining marks take no column.
pub fn width(s: &str) -> usize {
    s.chars()
        .filter(|c| !('\u{300}'..='\u{36f}').contains(c))
        .count()
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}
