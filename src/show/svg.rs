//! `--graph svg` and the TikZ picture of `--graph … --format latex`: a layered
//! (Sugiyama-style) layout computed here.
//!
//! Why not a layout crate: `layout-rs` (0.1.3, the one maintained Rust crate for
//! layered drawings) renders its own SVG from a DOT-like graph, so it cannot give
//! each DAG node one element carrying its id and on-path class, nor the TikZ
//! coordinates the LaTeX output needs. The layout of an expression DAG is small:
//! layers by longest path from the inputs (inputs at the bottom, the objective at the
//! top), a dummy node wherever an edge skips layers, a few barycenter sweeps to reduce
//! crossings, then x coordinates pulled toward the neighbours without overlaps.

use super::{Dag, Naming};
use crate::model::Model;
use crate::print::Notation;

const LAYER_GAP: f64 = 90.0;
const NODE_GAP: f64 = 28.0;
const NODE_H: f64 = 40.0;
const CHAR_W: f64 = 7.6;
const MARGIN: f64 = 24.0;

/// A laid-out graph: boxes (real nodes first, then dummies) and edges through them.
#[derive(Debug, Clone)]
pub struct Layout {
    /// Centre x of every box (real nodes `0..n`, then dummies).
    pub x: Vec<f64>,
    /// Centre y of every box.
    pub y: Vec<f64>,
    /// Width of every box (dummies: 0).
    pub w: Vec<f64>,
    /// Each DAG edge (child, parent) as the boxes it passes, child first.
    pub edges: Vec<(usize, usize, Vec<usize>)>,
    /// Width and height of the drawing.
    pub size: (f64, f64),
}

/// The most dummy boxes the layout adds for edges that skip layers.
const MAX_DUMMIES: usize = 20_000;

impl Dag {
    /// The layered layout, with box widths from the unicode labels.
    pub fn layout(&self, model: &Model) -> Layout {
        let n = self.nodes.len();
        let mut layer = vec![0usize; n];
        for i in 0..n {
            layer[i] = self.nodes[i]
                .args
                .iter()
                .map(|&a| layer[a] + 1)
                .max()
                .unwrap_or(0);
        }
        // The objective alone on the top layer.
        let top = layer.iter().copied().max().unwrap_or(0);
        let mut w: Vec<f64> = (0..n)
            .map(|i| {
                let l = super::graph::width(&self.label(model, i, Notation::Unicode));
                let s = super::graph::width(&self.shape_text(i));
                l.max(s) as f64 * CHAR_W + 20.0
            })
            .collect();
        let mut lay: Vec<usize> = layer.clone();
        // Edges as chains of boxes, dummies where a layer is skipped; a graph whose
        // long edges would need more than MAX_DUMMIES of them (a sum of thousands of
        // terms that all read one node) draws its edges straight instead.
        let dummies: usize = self
            .nodes
            .iter()
            .enumerate()
            .flat_map(|(p, node)| node.args.iter().map(move |&a| (a, p)))
            .map(|(a, p)| layer[p].saturating_sub(layer[a] + 1))
            .sum();
        let bend = dummies <= MAX_DUMMIES;
        let mut edges = Vec::new();
        for (p, node) in self.nodes.iter().enumerate() {
            for &a in &node.args {
                let mut chain = vec![a];
                for l in (layer[a] + 1..layer[p]).filter(|_| bend) {
                    lay.push(l);
                    w.push(0.0);
                    chain.push(lay.len() - 1);
                }
                chain.push(p);
                edges.push((a, p, chain));
            }
        }
        let total = lay.len();
        let mut layers: Vec<Vec<usize>> = vec![Vec::new(); top + 1];
        for (b, &l) in lay.iter().enumerate() {
            layers[l].push(b);
        }
        let mut up: Vec<Vec<usize>> = vec![Vec::new(); total];
        let mut down: Vec<Vec<usize>> = vec![Vec::new(); total];
        for (_, _, chain) in &edges {
            for pair in chain.windows(2) {
                up[pair[0]].push(pair[1]);
                down[pair[1]].push(pair[0]);
            }
        }
        // Barycenter sweeps, ties kept in place (deterministic).
        let mut pos = vec![0.0f64; total];
        let renumber = |layers: &Vec<Vec<usize>>, pos: &mut Vec<f64>| {
            for l in layers {
                for (k, &b) in l.iter().enumerate() {
                    pos[b] = k as f64;
                }
            }
        };
        renumber(&layers, &mut pos);
        for sweep in 0..8 {
            let order: Vec<usize> = if sweep % 2 == 0 {
                (1..=top).collect()
            } else {
                (0..top).rev().collect()
            };
            for l in order {
                let nb = if sweep % 2 == 0 { &down } else { &up };
                let mut keyed: Vec<(f64, f64, usize)> = layers[l]
                    .iter()
                    .map(|&b| {
                        let ns = &nb[b];
                        let bc = if ns.is_empty() {
                            pos[b]
                        } else {
                            ns.iter().map(|&m| pos[m]).sum::<f64>() / ns.len() as f64
                        };
                        (bc, pos[b], b)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.total_cmp(&b.1)));
                layers[l] = keyed.into_iter().map(|k| k.2).collect();
                renumber(&layers, &mut pos);
            }
        }
        // x: packed from the left, then pulled toward the neighbours' mean.
        let mut x = vec![0.0f64; total];
        for l in &layers {
            let mut at = 0.0;
            for &b in l {
                x[b] = at + w[b] / 2.0;
                at += w[b] + NODE_GAP;
            }
        }
        for round in 0..12 {
            let order: Vec<usize> = if round % 2 == 0 {
                (0..=top).collect()
            } else {
                (0..=top).rev().collect()
            };
            for l in order {
                let want: Vec<f64> = layers[l]
                    .iter()
                    .map(|&b| {
                        let ns: Vec<usize> = up[b].iter().chain(&down[b]).copied().collect();
                        if ns.is_empty() {
                            x[b]
                        } else {
                            ns.iter().map(|&m| x[m]).sum::<f64>() / ns.len() as f64
                        }
                    })
                    .collect();
                place(&layers[l], &want, &w, &mut x);
            }
        }
        let min = (0..total)
            .map(|b| x[b] - w[b] / 2.0)
            .fold(f64::INFINITY, f64::min);
        let max = (0..total)
            .map(|b| x[b] + w[b] / 2.0)
            .fold(f64::NEG_INFINITY, f64::max);
        for v in &mut x {
            *v = (*v - min + MARGIN).round();
        }
        let y: Vec<f64> = lay
            .iter()
            .map(|&l| MARGIN + 30.0 + NODE_H / 2.0 + (top - l) as f64 * LAYER_GAP)
            .collect();
        let width = (max - min + 2.0 * MARGIN).round();
        let height = MARGIN * 2.0 + 30.0 + NODE_H + top as f64 * LAYER_GAP;
        Layout {
            x,
            y,
            w,
            edges,
            size: (width, height),
        }
    }

    /// An SVG drawing of the graph, one `<g class="node">` per node.
    pub fn svg(&self, model: &Model) -> String {
        let lay = self.layout(model);
        let paths = self.path_lines(model, Notation::Unicode);
        let (w0, h0) = lay.size;
        let text_w = paths
            .iter()
            .map(|l| super::graph::width(l) as f64 * 7.0 + 2.0 * MARGIN)
            .fold(w0.max(420.0), f64::max);
        let w = text_w.round();
        let h = h0 + 18.0 * paths.len() as f64;
        let mut out = format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"DejaVu Sans, Helvetica, sans-serif\" font-size=\"13\">\n"
        );
        out += "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#888888\"/></marker>";
        out += "<marker id=\"arrow-on\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"#c0392b\"/></marker></defs>\n";
        out += &format!(
            "<text x=\"{MARGIN}\" y=\"{}\" font-weight=\"bold\">computational graph of {}{}</text>\n",
            MARGIN + 4.0,
            xml(&self.f),
            if self.wrt.is_empty() {
                String::new()
            } else {
                xml(&format!(" (red: paths to {})", self.wrt.join(", ")))
            }
        );
        for (a, p, chain) in &lay.edges {
            let on = self.nodes[*a].active;
            let mut d = String::new();
            for (k, &b) in chain.iter().enumerate() {
                let (x, mut y) = (lay.x[b], lay.y[b]);
                if k == 0 {
                    y -= NODE_H / 2.0;
                } else if k + 1 == chain.len() {
                    y += NODE_H / 2.0;
                }
                d += &format!("{}{x},{y} ", if k == 0 { "M" } else { "L" });
            }
            let (class, color, marker, width) = if on {
                ("edge on-path", "#c0392b", "arrow-on", 2)
            } else {
                ("edge", "#888888", "arrow", 1)
            };
            out += &format!(
                "<path class=\"{class}\" data-from=\"{}\" data-to=\"{}\" d=\"{}\" fill=\"none\" stroke=\"{color}\" stroke-width=\"{width}\" marker-end=\"url(#{marker})\"/>\n",
                self.name(*a, Naming::Numbered, Notation::Ascii),
                self.name(*p, Naming::Numbered, Notation::Ascii),
                d.trim_end()
            );
        }
        for i in 0..self.nodes.len() {
            let node = &self.nodes[i];
            let (x, y, bw) = (lay.x[i], lay.y[i], lay.w[i]);
            let on = node.active;
            let class = if on { "node on-path" } else { "node" };
            let stroke = if on { "#c0392b" } else { "#555555" };
            let sw = if on { 2 } else { 1 };
            let fill = if node.input.is_some() {
                "#eef4fb"
            } else {
                "#ffffff"
            };
            out += &format!(
                "<g class=\"{class}\" id=\"{}\">",
                self.name(i, Naming::Numbered, Notation::Ascii)
            );
            if node.input.is_some() {
                out += &format!(
                    "<ellipse cx=\"{x}\" cy=\"{y}\" rx=\"{}\" ry=\"{}\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{sw}\"/>",
                    bw / 2.0,
                    NODE_H / 2.0
                );
            } else {
                let extra = if i == self.objective { 3.0 } else { 0.0 };
                out += &format!(
                    "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{}\"/>",
                    x - bw / 2.0,
                    y - NODE_H / 2.0,
                    bw,
                    NODE_H,
                    sw as f64 + extra
                );
            }
            out += &format!(
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\">{}</text>",
                y - 3.0,
                xml(&self.label(model, i, Notation::Unicode))
            );
            out += &format!(
                "<text x=\"{x}\" y=\"{}\" text-anchor=\"middle\" font-size=\"11\" fill=\"#666666\">{}</text></g>\n",
                y + 13.0,
                xml(&self.shape_text(i))
            );
        }
        for (k, l) in paths.iter().enumerate() {
            out += &format!(
                "<text x=\"{MARGIN}\" y=\"{}\" font-size=\"12\">{}</text>\n",
                h0 + 18.0 * k as f64,
                xml(l)
            );
        }
        out += "</svg>\n";
        out
    }

    /// A TikZ picture of the same layout (needs `\usepackage{tikz}`).
    pub fn tikz(&self, model: &Model) -> String {
        let lay = self.layout(model);
        let s = 0.02; // px → cm
        let mut out = String::from(
            "% the computational graph (needs \\usepackage{tikz})\n\\begin{tikzpicture}[x=1cm,y=1cm,>=stealth,every node/.style={font=\\small,align=center}]\n",
        );
        for i in 0..self.nodes.len() {
            let node = &self.nodes[i];
            let shape = if node.input.is_some() {
                "rectangle,rounded corners=3mm,fill=blue!5"
            } else {
                "rectangle,rounded corners=1mm"
            };
            let color = if node.active {
                "draw=red!70!black,thick"
            } else {
                "draw=black"
            };
            let label = self.label(model, i, Notation::Latex);
            let sh = self.shape_text(i).replace('×', "\\times ");
            out += &format!(
                "\\node[{color},{shape}] (n{i}) at ({:.2},{:.2}) {{${label}$\\\\ \\footnotesize ${sh}$}};\n",
                lay.x[i] * s,
                -lay.y[i] * s,
            );
        }
        for (a, _, chain) in &lay.edges {
            let color = if self.nodes[*a].active {
                "red!70!black,thick"
            } else {
                "gray"
            };
            let pts: Vec<String> = chain
                .iter()
                .enumerate()
                .map(|(k, &b)| {
                    if k == 0 || k + 1 == chain.len() {
                        format!("(n{b})")
                    } else {
                        format!("({:.2},{:.2})", lay.x[b] * s, -lay.y[b] * s)
                    }
                })
                .collect();
            out += &format!("\\draw[->,{color}] {};\n", pts.join(" -- "));
        }
        out += "\\end{tikzpicture}\n";
        for l in self.path_lines(model, Notation::Latex) {
            out += &format!("% {l}\n");
        }
        out
    }
}

/// Places the boxes of one layer, in order, as near `want` as they can be without overlap.
fn place(layer: &[usize], want: &[f64], w: &[f64], x: &mut [f64]) {
    let mut prev_right = f64::NEG_INFINITY;
    for (k, &b) in layer.iter().enumerate() {
        let gap = if prev_right.is_finite() {
            NODE_GAP
        } else {
            0.0
        };
        x[b] = want[k].max(prev_right + gap + w[b] / 2.0);
        prev_right = x[b] + w[b] / 2.0;
    }
}

fn xml(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}
