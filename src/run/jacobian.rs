//! `--jacobian` and `--vjp NAME`: the command-line side of `matgrad::jacobian`.

use std::collections::HashMap;

use matgrad::jacobian::{self as jac, value_json as output_value};
use matgrad::numeric::Point;
use matgrad::ops::Value;
use matgrad::{Gradient, Model, Options, Result};
use serde_json::Value as Json;

use super::{Output, notation, options};
use crate::cli::{Args, Format};

/// Runs `--jacobian` or `--vjp` on a problem whose objective may have any shape.
pub fn run(
    args: &Args,
    model: Model,
    point: Option<Point>,
    values: Option<HashMap<String, Value>>,
) -> Result<Output> {
    if args.wrt.is_empty() {
        return problem_only(args, &model, point.as_ref());
    }
    let (opts, _) = options(args)?;
    let wrt: Vec<&str> = args.wrt.iter().map(String::as_str).collect();
    match &args.vjp {
        Some(u) => vjp(args, model, &wrt, u, values, &opts),
        None => jacobian(args, model, &wrt, point.as_ref(), &opts),
    }
}

fn pretty(j: &Json) -> String {
    serde_json::to_string_pretty(j).unwrap_or_default() + "\n"
}

fn notes(model: &Model, d: &matgrad::Derivation, extra: &[String]) -> String {
    let grad = Gradient {
        model: model.clone(),
        derivation: d.clone(),
    };
    extra
        .iter()
        .cloned()
        .chain(grad.notes())
        .map(|n| format!("note: {n}\n"))
        .collect()
}

fn jacobian(
    args: &Args,
    model: Model,
    wrt: &[&str],
    point: Option<&Point>,
    opts: &Options,
) -> Result<Output> {
    let j = jac::jacobian_with(model, wrt, opts)?;
    let stderr = notes(&j.model, &j.derivation, &j.notes);
    let mut stdout = match args.format {
        Format::Json => pretty(&jac::json(&j, point)?),
        f => {
            let mut s = jac::print(&j, notation(f)) + "\n";
            if let Some(p) = point {
                s += &format!(
                    "value = {}\n",
                    output_value(&j.value(p)?, &j.objective_shape())
                );
                for (v, m) in j.derivation.vars.iter().zip(j.evaluate(p)?) {
                    s += &format!("jacobian {v} = {}\n", jac::rows(&m));
                }
            }
            s
        }
    };
    let mut code = 0;
    if args.check {
        let report = jac::check(&j, 3, 7)?;
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

fn vjp(
    args: &Args,
    model: Model,
    wrt: &[&str],
    u: &str,
    values: Option<HashMap<String, Value>>,
    opts: &Options,
) -> Result<Output> {
    let v = jac::vjp_with(model, wrt, u, opts)?;
    let point = values
        .map(|vals| matgrad::numeric::point::bind(&v.model, vals))
        .transpose()?;
    let stderr = notes(&v.model, &v.derivation, &[]);
    let mut stdout = match args.format {
        Format::Json => pretty(&jac::vjp_json(&v, point.as_ref())?),
        f => {
            let mut s = jac::vjp_print(&v, notation(f)) + "\n";
            if let Some(p) = &point {
                for (x, val) in v.derivation.vars.iter().zip(v.evaluate(p)?) {
                    let shape = v
                        .model
                        .input(x)
                        .map(|i| i.shape.clone())
                        .unwrap_or_else(matgrad::ir::Shape::scalar);
                    s += &format!("vjp {x} = {}\n", output_value(&val, &shape));
                }
            }
            s
        }
    };
    let mut code = 0;
    if args.check {
        let report = jac::check_vjp(&v, 3, 7)?;
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

/// Without `--wrt`: the problem printed back, and its value at the point.
fn problem_only(args: &Args, model: &Model, point: Option<&Point>) -> Result<Output> {
    let value = |p: &Point| -> Result<Json> {
        let v = matgrad::numeric::check::value_at(&model.graph.expr, model.objective, p)?;
        Ok(output_value(&v, &model.graph.shape(model.objective)))
    };
    let stdout = match args.format {
        Format::Json => {
            let mut obj = serde_json::Map::new();
            if let Some(p) = point {
                obj.insert("value".into(), value(p)?);
            }
            pretty(&Json::Object(obj))
        }
        f => {
            let mut s = model.print(notation(f)) + "\n";
            if let Some(p) = point {
                s += &format!("value = {}\n", value(p)?);
            }
            s
        }
    };
    Ok(Output {
        stdout,
        stderr: String::new(),
        code: 0,
    })
}
