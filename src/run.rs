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

fn parse_dims(text: &str) -> Result<HashMap<Symbol, f64>> {
    let mut out = HashMap::new();
    for part in text.split(',').filter(|p| !p.trim().is_empty()) {
        let (k, v) = part.split_once('=').ok_or_else(|| {
            Error::new(
                ErrorKind::Syntax,
                format!("--dims: expected NAME=SIZE, got `{part}`"),
            )
        })?;
        let n: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|n: &f64| *n >= 1.0)
            .ok_or_else(|| Error::new(ErrorKind::Syntax, format!("--dims: `{v}` is not a size")))?;
        out.insert(Symbol::from(k.trim()), n);
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
    let wrt: Vec<&str> = args.wrt.iter().map(String::as_str).collect();
    let grad = matgrad::gradient_with(model, &wrt, &opts)?;
    let mut stderr = String::new();
    let mut code = 0;
    let mut stdout = match args.format {
        Format::Json => {
            let mut report = Report::gradients(&grad, point.as_ref(), args.hessian)?;
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
                s += &hessian_text(&grad, notation(f), point.as_ref())?;
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
    if args.check {
        let report = matgrad::check::check(&grad, 3, 7)?;
        stdout += &report.text;
        if !report.ok {
            code = 1;
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

fn hessian_text(grad: &Gradient, n: Notation, point: Option<&Point>) -> Result<String> {
    let mut s = String::new();
    let f = grad
        .model
        .objective_name
        .clone()
        .unwrap_or_else(|| "f".into());
    for h in matgrad::hessian::hessians(grad)? {
        let v = matgrad::print::name(&h.var, n);
        let body = h.show(grad, n);
        s += &match n {
            Notation::Ascii => format!("d2{} = {body}\n", h.var),
            Notation::Latex => format!("\\frac{{\\partial^2 {f}}}{{\\partial {v}^2}} = {body}\n"),
            Notation::Unicode => format!("∂²{f}/∂{v}² = {body}\n"),
        };
        if let Some(p) = point {
            let val = h.evaluate(grad, p)?;
            let rows: Vec<Vec<f64>> = (0..val.nrows())
                .map(|i| val.row(i).iter().copied().collect())
                .collect();
            s += &format!("hessian {} = {}\n", h.var, json!(rows));
        }
    }
    Ok(s)
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
