//! What the command does with parsed arguments; returns the text to print.

use std::collections::HashMap;

use egg::Symbol;
use matgrad::numeric::Point;
use matgrad::report::{Numbers, Report};
use matgrad::simplify::CostKind;
use matgrad::{Error, ErrorKind, Gradient, Model, Notation, Options, Result};
use serde_json::json;

use crate::cli::{Args, CostModel, Format};

mod jacobian;

/// The outcome of a run.
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

pub fn notation(f: Format) -> Notation {
    match f {
        Format::Ascii => Notation::Ascii,
        Format::Latex => Notation::Latex,
        _ => Notation::Unicode,
    }
}

/// The largest size `--dims` accepts (the FLOP counts stay exact integers).
const MAX_SIZE: u64 = 1_000_000_000;

fn parse_dims(text: &str) -> Result<HashMap<Symbol, f64>> {
    let mut out = HashMap::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            Error::new(
                ErrorKind::Syntax,
                format!("--dims: expected NAME=SIZE, got `{part}`"),
            )
        })?;
        let n: u64 = v
            .trim()
            .parse()
            .ok()
            .filter(|n: &u64| (1..=MAX_SIZE).contains(n))
            .ok_or_else(|| {
                Error::new(
                    ErrorKind::Syntax,
                    format!("--dims: `{v}` is not a size (a whole number from 1 to {MAX_SIZE})"),
                )
            })?;
        out.insert(Symbol::from(k.trim()), n as f64);
    }
    Ok(out)
}

/// The derivation options of the arguments, and the sizes of `--dims`.
pub fn options(args: &Args) -> Result<(Options, HashMap<Symbol, f64>)> {
    let mut opts = Options::default();
    let mut flops_sizes = HashMap::new();
    if args.cost == CostModel::Flops {
        flops_sizes = args
            .dims
            .as_deref()
            .map(parse_dims)
            .transpose()?
            .unwrap_or_default();
        opts.cost = CostKind::Flops(flops_sizes.clone());
    }
    opts.raw = args.raw;
    Ok((opts, flops_sizes))
}

pub fn run(args: &Args, source: &str) -> Result<Output> {
    let values = match &args.at {
        Some(path) => {
            let text = std::fs::read_to_string(path).map_err(|e| {
                Error::new(
                    ErrorKind::Io,
                    format!("cannot read {}: {e}", path.display()),
                )
            })?;
            Some(matgrad::numeric::point::parse_json(&text)?)
        }
        None => None,
    };
    // The Jacobian and the VJP take objectives of any shape.
    let any_shape = args.jacobian || args.vjp.is_some();
    let (model, point) = match &values {
        Some(v) if any_shape => {
            let (m, p) = matgrad::jacobian::parse_at(source, v)?;
            (m, Some(p))
        }
        Some(v) => {
            let (m, p) = matgrad::parse_problem_at(source, v)?;
            (m, Some(p))
        }
        None if any_shape => (matgrad::jacobian::parse(source)?, None),
        None => (matgrad::parse_problem(source)?, None),
    };
    for w in &args.wrt {
        if model.input(w).is_none() {
            let why = if model.defs.iter().any(|(n, _)| n == w) {
                format!(
                    "`{w}` is defined in the problem, not an input: differentiate with respect to an input"
                )
            } else {
                let names: Vec<&str> = model.inputs.iter().map(|i| i.name.as_str()).collect();
                format!(
                    "`{w}` is not an input of the problem (its inputs: {})",
                    names.join(", ")
                )
            };
            return Err(Error::new(ErrorKind::NotDifferentiable, why));
        }
    }
    if args.claim.is_some() && args.wrt.is_empty() {
        return Err(Error::new(
            ErrorKind::Syntax,
            "--claim needs --wrt: the variable the claimed gradient is for",
        ));
    }
    if args.graph.is_some() || args.steps || args.trace.is_some() || args.explain {
        return show_views(args, &model, point.as_ref());
    }
    if any_shape {
        return jacobian::run(args, model, point, values);
    }
    if args.wrt.is_empty() {
        return Ok(Output {
            stdout: problem_only(args, &model, point.as_ref())?,
            stderr: String::new(),
            code: 0,
        });
    }
    if let Some(claim) = &args.claim {
        return claim_output(args, model, claim);
    }
    let (opts, flops_sizes) = options(args)?;
    // A variable named twice is derived once.
    let mut wrt: Vec<&str> = Vec::new();
    for w in &args.wrt {
        if !wrt.contains(&w.as_str()) {
            wrt.push(w);
        }
    }
    let grad = matgrad::gradient_with(model, &wrt, &opts)?;
    let mut stderr = String::new();
    let mut code = 0;
    let mut stdout = match args.format {
        Format::Json => {
            let mut report = Report::gradients(&grad, point.as_ref(), args.hessian)?;
            if args.check {
                let check = matgrad::check::check(&grad, 3, 7)?;
                code = if check.ok { 0 } else { 1 };
                report.add_check(&check);
            }
            // Notes go to standard error, the rest is the JSON object.
            for n in std::mem::take(&mut report.notes) {
                stderr += &format!("note: {n}\n");
            }
            report.to_json()
        }
        f => {
            for n in grad.notes() {
                stderr += &format!("note: {n}\n");
            }
            let mut s = grad.print(notation(f)) + "\n";
            if args.hessian {
                let (text, notes) =
                    matgrad::hessian::text_and_notes(&grad, notation(f), point.as_ref())?;
                s += &text;
                for n in notes {
                    stderr += &format!("note: {n}\n");
                }
            }
            if args.cost == CostModel::Flops {
                s += &matgrad::flops_report(&grad, &flops_sizes);
            }
            if let Some(p) = &point {
                s += &numbers(&grad, p)?;
            }
            s
        }
    };
    if args.check && args.format != Format::Json {
        let report = matgrad::check::check(&grad, 3, 7)?;
        stdout += &report.text;
        if !report.ok {
            code = 1;
        }
        if args.hessian {
            let hs = matgrad::hessian::hessians(&grad)?;
            let (ok, text) = matgrad::hessian::check::check(&grad, &hs, 3, 7)?;
            stdout += &text;
            if !ok {
                code = 1;
            }
        }
    }
    Ok(Output {
        stdout,
        stderr,
        code,
    })
}

/// `--claim`: the verdict (exit 0 correct, 1 wrong); an error in the claim points into it (exit 2).
fn claim_output(args: &Args, model: Model, claim: &str) -> Result<Output> {
    let wrt: Vec<&str> = args.wrt.iter().map(String::as_str).collect();
    let checker = matgrad::claim::Checker::new(model, &wrt)?;
    Ok(match checker.check(claim) {
        Ok(v) => {
            let stdout = match args.format {
                Format::Json => {
                    serde_json::to_string_pretty(&json!({ "claim": v })).unwrap_or_default() + "\n"
                }
                _ => v.text.clone(),
            };
            Output {
                stdout,
                stderr: String::new(),
                code: if v.is_correct() { 0 } else { 1 },
            }
        }
        Err(e) => Output {
            stdout: String::new(),
            stderr: e.render(claim, "claim"),
            code: e.exit_code() as u8,
        },
    })
}

fn problem_only(args: &Args, model: &Model, point: Option<&Point>) -> Result<String> {
    Ok(match args.format {
        Format::Json => Report::problem(model, point)?.to_json(),
        f => {
            let mut s = model.print(notation(f)) + "\n";
            if let Some(p) = point {
                s += &format!("value = {}\n", model.value_at(p)?);
            }
            s
        }
    })
}

fn numbers(grad: &Gradient, p: &Point) -> Result<String> {
    let mut s = format!("value = {}\n", grad.model.value_at(p)?);
    let vals = grad.derivation.evaluate(&grad.model, p)?;
    for (v, val) in grad.derivation.vars.iter().zip(vals) {
        let shape = &grad
            .model
            .input(v)
            .map(|i| i.shape.clone())
            .unwrap_or_else(matgrad::ir::Shape::scalar);
        let numbers = serde_json::to_string(&Numbers::of(&val, shape)).unwrap_or_default();
        s += &format!("∂/∂{v} = {numbers}\n");
    }
    Ok(s)
}

/// `--graph`, `--steps`, `--trace`, `--explain`: the views of `matgrad::show`.
fn show_views(args: &Args, model: &Model, point: Option<&Point>) -> Result<Output> {
    use crate::cli::{GraphKind, TraceMode};
    use matgrad::show::{GraphView, OutFormat, TraceView, View};
    let mut views = Vec::new();
    if let Some(k) = args.graph {
        views.push(View::Graph(match k {
            GraphKind::Text => GraphView::Text,
            GraphKind::Dot => GraphView::Dot,
            GraphKind::Svg => GraphView::Svg,
        }));
    }
    if args.steps {
        views.push(View::Steps);
    }
    if let Some(m) = args.trace {
        views.push(View::Trace(match m {
            TraceMode::Forward => TraceView::Forward(args.seed.clone()),
            TraceMode::Reverse => TraceView::Reverse,
        }));
    }
    if args.explain {
        views.push(View::Explain);
    }
    let format = match args.format {
        Format::Json => OutFormat::Json,
        f => OutFormat::Text(notation(f)),
    };
    let wrt: Vec<&str> = args.wrt.iter().map(String::as_str).collect();
    let stdout = matgrad::show::render(model, &wrt, &views, format, point)?;
    Ok(Output {
        stdout,
        stderr: String::new(),
        code: 0,
    })
}
