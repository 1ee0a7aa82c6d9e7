//! The views of `matgrad::show`: snapshots of the graph (text, DOT), the steps, both
//! traces and the explanations of the seed problems; the steps are a correct
//! derivation (every line against finite differences of the objective in that
//! node's value); the traces against finite differences; the SVG parses with one
//! node element per DAG node; the LaTeX compiles (or, without a TeX engine, its
//! environments balance); the output is deterministic.

mod common;

use egg::{Id, Language, Symbol};
use matgrad::numeric::{Point, evaluate, evaluate_node};
use matgrad::ops::Value;
use matgrad::show::steps::{Steps, Target};
use matgrad::show::trace::Table;
use matgrad::show::{Dag, GraphView, Naming, OutFormat, TraceView, View, render};
use matgrad::{Model, Notation};

/// The seed problems the views are snapshot for.
const SEEDS: &[&str] = &[
    "autoencoder-linear",
    "gplvm-full",
    "two-layer-swish-softmax",
    "three-layer-relu",
    "scalar-forward-reverse",
];

fn seed(name: &str) -> (Model, Vec<String>) {
    let pr = common::seeds()
        .into_iter()
        .find(|p| p["name"].as_str() == Some(name))
        .expect("seed problem");
    let (_, input, wrt) = common::case(&pr);
    let model = matgrad::parse_problem(input).expect("parses");
    (model, wrt.iter().map(|s| s.to_string()).collect())
}

fn at(model: &Model, name: &str) -> Point {
    if name == "scalar-forward-reverse" {
        let v = matgrad::numeric::point::parse_json(r#"{"x1": 1, "x2": 1.5, "x3": 2}"#).unwrap();
        return matgrad::numeric::point::bind(model, v).unwrap();
    }
    // The first point where no value is identically zero (no dead ReLU layer).
    let dag = Dag::new(model, &[]);
    (1..200)
        .map(|s| common::point(model, s))
        .find(|p| {
            let vals = evaluate(&model.graph.expr, p).expect("evaluates");
            dag.nodes
                .iter()
                .all(|n| vals[usize::from(n.id)].iter().any(|x| *x != 0.0))
        })
        .expect("a point")
}

fn show(model: &Model, wrt: &[String], views: &[View], f: OutFormat, p: Option<&Point>) -> String {
    let w: Vec<&str> = wrt.iter().map(String::as_str).collect();
    render(model, &w, views, f, p).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn snapshots_of_the_seed_problems() {
    let text = OutFormat::Text(Notation::Unicode);
    for name in SEEDS {
        let (m, wrt) = seed(name);
        let p = at(&m, name);
        let first = vec![wrt[0].clone()];
        let cases: Vec<(&str, Vec<View>, Option<&Point>)> = vec![
            ("graph-text", vec![View::Graph(GraphView::Text)], None),
            ("graph-dot", vec![View::Graph(GraphView::Dot)], None),
            ("steps", vec![View::Steps], Some(&p)),
            (
                "trace-forward",
                vec![View::Trace(TraceView::Forward(None))],
                Some(&p),
            ),
            (
                "trace-reverse",
                vec![View::Trace(TraceView::Reverse)],
                Some(&p),
            ),
            ("explain", vec![View::Explain], None),
        ];
        for (view, v, point) in cases {
            let w = if view.starts_with("trace") {
                &first
            } else {
                &wrt
            };
            let out = show(&m, w, &v, text, point);
            insta::assert_snapshot!(format!("{name}-{view}"), out);
        }
    }
}

/// The value of the objective with node `id` replaced by `v`.
fn objective_with(model: &Model, p: &Point, id: Id, v: &Value) -> f64 {
    let nodes = model.graph.expr.as_ref();
    let mut vals: Vec<Value> = Vec::with_capacity(nodes.len());
    for (i, node) in nodes.iter().enumerate() {
        let value = if i == usize::from(id) {
            v.clone()
        } else {
            let args: Vec<&Value> = node
                .children()
                .iter()
                .map(|&c| &vals[usize::from(c)])
                .collect();
            evaluate_node(node, p, &args, &|c| match &nodes[usize::from(c)] {
                matgrad::ir::Math::Dim(d) => Some(d.0.clone()),
                _ => None,
            })
            .expect("evaluates")
        };
        vals.push(value);
    }
    vals[usize::from(model.objective)][(0, 0)]
}

/// ∂f/∂(value of node `id`) by central differences.
fn node_adjoint(model: &Model, p: &Point, id: Id) -> Value {
    let base = evaluate(&model.graph.expr, p).expect("evaluates")[usize::from(id)].clone();
    let mut g = Value::zeros(base.nrows(), base.ncols());
    for k in 0..base.len() {
        let h = 1e-6 * base[k].abs().max(1.0);
        let (mut up, mut down) = (base.clone(), base.clone());
        up[k] += h;
        down[k] -= h;
        g[k] =
            (objective_with(model, p, id, &up) - objective_with(model, p, id, &down)) / (2.0 * h);
    }
    g
}

fn close(a: &Value, b: &Value) -> bool {
    let scale = b.iter().fold(1.0f64, |m, x| m.max(x.abs()));
    a.shape() == b.shape()
        && a.iter()
            .zip(b.iter())
            .all(|(x, y)| (x - y).abs() <= 1e-5 * scale)
}

/// Every seed problem without an expected error.
fn all_seeds() -> Vec<(String, Model, Vec<String>)> {
    common::seeds()
        .into_iter()
        .filter(|p| p.get("error").is_none())
        .map(|p| {
            let (name, input, wrt) = common::case(&p);
            let m = matgrad::parse_problem(input).expect("parses");
            (
                name.to_string(),
                m,
                wrt.iter().map(|s| s.to_string()).collect(),
            )
        })
        .collect()
}

#[test]
fn every_step_agrees_with_numeric_adjoints() {
    let mut checked = 0;
    for (name, m, wrt) in all_seeds() {
        let w: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let dag = Dag::new(&m, &w);
        let steps = Steps::derive(&m, &dag).expect("steps");
        for s in 0..3u64 {
            let p = common::point(&m, 100 + s);
            let vals = steps.evaluate(&m, &dag, &p).expect("evaluates");
            for (step, v) in steps.backward.iter().zip(&vals.backward) {
                if let Target::Adjoint(i) = step.target {
                    let want = node_adjoint(&m, &p, dag.nodes[i].id);
                    assert!(
                        close(v, &want),
                        "{name}: {} = {} is {v} at seed {s}, finite differences give {want}",
                        steps.lhs(&dag, step, Naming::Named, Notation::Unicode),
                        steps.rhs(&dag, step, Naming::Named, Notation::Unicode),
                    );
                    checked += 1;
                }
            }
            // The last line of each variable is what matgrad prints.
            let printed = steps.gradient.evaluate(&p).expect("gradient");
            for (var, g) in wrt.iter().zip(&printed) {
                let i = dag.input(var).expect("input");
                let k = steps
                    .backward
                    .iter()
                    .rposition(|s| s.target == Target::Adjoint(i))
                    .expect("adjoint of the variable");
                assert!(close(&vals.backward[k], g), "{name}: {var}");
            }
        }
    }
    assert!(checked > 200, "{checked} adjoint lines checked");
}

#[test]
fn traces_agree_with_finite_differences() {
    for (name, m, wrt) in all_seeds() {
        let p = common::point(&m, 7);
        let dag = Dag::new(&m, &[wrt[0].as_str()]);
        // Forward: every tangent against the difference of that node along the seed.
        let t = Table::new(&m, &dag, &TraceView::Forward(Some(wrt[0].clone())), &p).expect("trace");
        let seed = Symbol::from(wrt[0].as_str());
        let h = 1e-6;
        let shifted = |s: f64| {
            let mut q = p.clone();
            let x = q.values[&seed].clone();
            q.values.insert(seed, x.map(|v| v + s * h));
            evaluate(&m.graph.expr, &q).expect("evaluates")
        };
        let (up, down) = (shifted(1.0), shifted(-1.0));
        let fwd_dag = Dag::new(&m, &[wrt[0].as_str()]);
        for (i, row) in t.forward.iter().enumerate() {
            let id = usize::from(fwd_dag.nodes[i].id);
            let want = (&up[id] - &down[id]) / (2.0 * h);
            let got = &row.tangent.as_ref().expect("tangent").2;
            assert!(
                close(got, &want),
                "{name}: {} is {got}, finite differences {want}",
                row.lhs[0]
            );
        }
        // Reverse: the adjoint of every input against finite differences of f.
        let w: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let dag = Dag::new(&m, &w);
        let t = Table::new(&m, &dag, &TraceView::Reverse, &p).expect("trace");
        for w in &wrt {
            let i = dag.input(w).expect("input");
            let lhs = dag.adj_name(i, Naming::Numbered, Notation::Ascii);
            let row = t
                .reverse
                .iter()
                .rev()
                .find(|r| r.lhs[1] == lhs)
                .expect("row");
            let want = common::fd(&m, &p, w);
            assert!(close(&row.value, &want), "{name}: {w}");
        }
    }
}

#[test]
fn the_scalar_homework_numbers() {
    let (m, _) = seed("scalar-forward-reverse");
    let p = at(&m, "scalar-forward-reverse");
    let fwd = show(
        &m,
        &["x2".into()],
        &[View::Trace(TraceView::Forward(None))],
        OutFormat::Text(Notation::Unicode),
        Some(&p),
    );
    assert!(fwd.contains("f = 2.9228, ∂f/∂x2 = v̇₆ = 2.6955"), "{fwd}");
    assert!(fwd.contains("v₋₁ = x2      = 1.5000"), "{fwd}");
    let rev = show(
        &m,
        &["x2".into()],
        &[View::Trace(TraceView::Reverse)],
        OutFormat::Text(Notation::Unicode),
        Some(&p),
    );
    assert!(rev.contains("f = v₆ = 2.9228"), "{rev}");
    assert!(rev.contains("∂f/∂x2 = v̄₋₁ = 2.6955"), "{rev}");
}

#[test]
fn the_autoencoder_reaches_w_by_two_paths() {
    let (m, wrt) = seed("autoencoder-linear");
    let out = show(
        &m,
        &wrt,
        &[View::Graph(GraphView::Text)],
        OutFormat::Text(Notation::Unicode),
        None,
    );
    assert!(out.contains("W is reached by 2 paths"), "{out}");
    let steps = show(
        &m,
        &wrt,
        &[View::Steps],
        OutFormat::Text(Notation::Unicode),
        None,
    );
    assert!(steps.contains("W̄ = W̄⁽¹⁾ + W̄⁽²⁾"), "{steps}");
}

#[test]
fn the_svg_has_one_node_element_per_dag_node() {
    for (name, m, wrt) in all_seeds() {
        let w: Vec<&str> = wrt.iter().map(String::as_str).collect();
        let dag = Dag::new(&m, &w);
        let svg = dag.svg(&m);
        let doc = roxmltree::Document::parse(&svg).unwrap_or_else(|e| panic!("{name}: {e}"));
        let nodes: Vec<_> = doc
            .descendants()
            .filter(|n| {
                n.has_tag_name("g")
                    && n.attribute("class")
                        .is_some_and(|c| c.split(' ').any(|w| w == "node"))
            })
            .collect();
        assert_eq!(nodes.len(), dag.nodes.len(), "{name}");
        let edges = doc
            .descendants()
            .filter(|n| n.attribute("class").is_some_and(|c| c.starts_with("edge")))
            .count();
        let want: usize = dag.nodes.iter().map(|n| n.args.len()).sum();
        assert_eq!(edges, want, "{name}");
    }
}

fn balanced(tex: &str) -> Result<(), String> {
    let mut stack = Vec::new();
    for part in tex.split("\\begin{").skip(1) {
        let env = part.split('}').next().unwrap_or("");
        stack.push(env.to_string());
    }
    let ends: Vec<String> = tex
        .split("\\end{")
        .skip(1)
        .map(|p| p.split('}').next().unwrap_or("").to_string())
        .collect();
    if stack.len() != ends.len() {
        return Err(format!("{} \\begin, {} \\end", stack.len(), ends.len()));
    }
    let mut depth = 0i64;
    for c in tex.chars() {
        depth += match c {
            '{' => 1,
            '}' => -1,
            _ => 0,
        };
        if depth < 0 {
            return Err("a } closes nothing".into());
        }
    }
    if depth != 0 {
        Err(format!("{depth} unclosed braces"))
    } else {
        Ok(())
    }
}

fn pdflatex() -> bool {
    std::process::Command::new("pdflatex")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn latex_compiles() {
    let latex = OutFormat::Text(Notation::Latex);
    let mut body = String::new();
    // The graph is a TikZ picture: compiled where TikZ is installed.
    let tikz = std::process::Command::new("kpsewhich")
        .arg("tikz.sty")
        .output()
        .is_ok_and(|o| o.status.success());
    for name in SEEDS {
        let (m, wrt) = seed(name);
        let p = at(&m, name);
        let mut views = vec![
            View::Steps,
            View::Trace(TraceView::Forward(None)),
            View::Trace(TraceView::Reverse),
            View::Explain,
        ];
        if tikz {
            views.insert(0, View::Graph(GraphView::Text));
        }
        let out = show(&m, &wrt, &views, latex, Some(&p));
        balanced(&out).unwrap_or_else(|e| panic!("{name}: {e}\n{out}"));
        body += &format!("\\section*{{{name}}}\n{out}\n\\clearpage\n");
    }
    if !pdflatex() {
        return;
    }
    let dir = std::env::temp_dir().join(format!("matgrad-show-tex-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let doc = format!(
        "\\documentclass{{article}}\n\\usepackage[margin=1.5cm,landscape]{{geometry}}\n\\usepackage{{amsmath,amssymb{}}}\n\\begin{{document}}\n{body}\\end{{document}}\n",
        if tikz { ",tikz" } else { "" }
    );
    std::fs::write(dir.join("show.tex"), doc).unwrap();
    let out = std::process::Command::new("pdflatex")
        .args(["-interaction=nonstopmode", "-halt-on-error", "show.tex"])
        .current_dir(&dir)
        .output()
        .expect("pdflatex runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[test]
fn json_is_data() {
    let (m, wrt) = seed("autoencoder-linear");
    let p = at(&m, "autoencoder-linear");
    let views = [
        View::Graph(GraphView::Text),
        View::Steps,
        View::Trace(TraceView::Reverse),
        View::Explain,
    ];
    let out = show(&m, &wrt, &views, OutFormat::Json, Some(&p));
    let j: serde_json::Value = serde_json::from_str(&out).expect("json");
    assert_eq!(j["graph"]["paths"]["W"]["count"], 2);
    assert_eq!(j["graph"]["nodes"].as_array().map(Vec::len), Some(8));
    assert!(
        j["steps"]["backward"]
            .as_array()
            .is_some_and(|a| a.iter().any(|s| s["name"] == "W_bar"))
    );
    assert_eq!(j["trace"]["mode"], "reverse");
    assert_eq!(j["explain"][0]["var"], "W");
}

#[test]
fn output_is_deterministic() {
    for name in SEEDS {
        let (m, wrt) = seed(name);
        let p = at(&m, name);
        let views = [
            View::Graph(GraphView::Svg),
            View::Steps,
            View::Trace(TraceView::Reverse),
            View::Explain,
        ];
        let a = show(&m, &wrt, &views, OutFormat::Json, Some(&p));
        let b = show(&m, &wrt, &views, OutFormat::Json, Some(&p));
        assert_eq!(a, b, "{name}");
    }
}
