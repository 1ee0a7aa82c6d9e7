//! Jacobians and vector-Jacobian products as text (unicode, ASCII, LaTeX) and JSON.

use serde_json::{Map, Value as Json, json};

use super::{Form, Jacobian, Vjp};
use crate::derive::Derivation;
use crate::error::Result;
use crate::ir::{Dim, Shape};
use crate::model::Model;
use crate::numeric::Point;
use crate::ops::Value;
use crate::print::{self, Notation};
use crate::simplify::CostKind;

/// Result `i` of a derivation in a notation (`0` when identically zero).
fn expression(model: &Model, d: &Derivation, i: usize, notation: Notation) -> String {
    match &d.exprs[i] {
        Some(t) => d.show(model, t, notation, matches!(d.cost, CostKind::Flops(_))),
        None => "0".to_string(),
    }
}

fn definitions(model: &Model, d: &Derivation, notation: Notation) -> Vec<(String, String)> {
    d.defs
        .iter()
        .map(|x| {
            (
                print::name(x.name.as_str(), notation),
                d.show(model, &x.tree, notation, false),
            )
        })
        .collect()
}

/// Result lines under their headers, then the helper terms as the gradients print them.
fn lines(model: &Model, d: &Derivation, heads: &[String], notation: Notation) -> String {
    let mut out: Vec<String> = Vec::new();
    let defs = definitions(model, d, notation);
    if notation == Notation::Ascii {
        out.extend(defs.iter().map(|(n, e)| format!("{n} = {e}")));
    }
    for (i, h) in heads.iter().enumerate() {
        out.push(format!("{h} = {}", expression(model, d, i, notation)));
    }
    match notation {
        Notation::Ascii => {}
        Notation::Unicode => {
            for (i, (n, e)) in defs.iter().enumerate() {
                let lead = if i == 0 { "  where " } else { "        " };
                out.push(format!("{lead}{n} = {e}"));
            }
        }
        Notation::Latex => {
            out.extend(
                defs.iter()
                    .map(|(n, e)| format!("\\text{{where }} {n} = {e}")),
            );
        }
    }
    out.join("\n")
}

/// The Jacobians as a person reads them (`J_x = A`, `J_X[dX] = dX X + X dX`), or as the
/// language (ASCII: `J_x = A`, a program in which a direction `dX` is an input).
pub fn print(j: &Jacobian, notation: Notation) -> String {
    let heads: Vec<String> = j
        .derivation
        .vars
        .iter()
        .zip(&j.forms)
        .map(|(v, form)| {
            let name = print::name(v, notation);
            let dir = match form {
                Form::Directional(d) if notation != Notation::Ascii => {
                    format!("[{}]", print::name(d, notation))
                }
                _ => String::new(),
            };
            match notation {
                Notation::Latex => format!("J_{{{name}}}{dir}"),
                _ => format!("J_{name}{dir}"),
            }
        })
        .collect();
    lines(&j.model, &j.derivation, &heads, notation)
}

/// The vector-Jacobian products (`J_xᵀu = Aᵀu`; ASCII `vjp_x = A'*u`).
pub fn vjp_print(v: &Vjp, notation: Notation) -> String {
    let u = print::name(&v.cotangent, notation);
    let heads: Vec<String> = v
        .derivation
        .vars
        .iter()
        .map(|x| {
            let name = print::name(x, notation);
            match notation {
                Notation::Ascii => format!("vjp_{name}"),
                Notation::Unicode => format!("J_{name}ᵀ{u}"),
                Notation::Latex => format!("J_{{{name}}}^\\top {u}"),
            }
        })
        .collect();
    lines(&v.model, &v.derivation, &heads, notation)
}

/// A value as the point files write it: a number, an array (column vector) or an array of rows.
pub fn value_json(v: &Value, shape: &Shape) -> Json {
    if shape.is_scalar() {
        json!(v[(0, 0)])
    } else if shape.cols == Dim::ONE {
        json!(v.iter().copied().collect::<Vec<f64>>())
    } else {
        rows(v)
    }
}

/// A matrix as an array of rows.
pub fn rows(v: &Value) -> Json {
    json!(
        (0..v.nrows())
            .map(|i| v.row(i).iter().copied().collect::<Vec<f64>>())
            .collect::<Vec<_>>()
    )
}

fn definitions_json(model: &Model, d: &Derivation) -> Json {
    let mut defs = Map::new();
    for (n, x) in definitions(model, d, Notation::Ascii) {
        defs.insert(n, json!(x));
    }
    Json::Object(defs)
}

/// The JSON of `--jacobian`: `value` (the objective's value) and `jacobian` (each
/// variable's Jacobian as an array of rows, vec order) at a point, then
/// `jacobian_expression`, `directions` (the direction of each directional form) and
/// `definitions`.
pub fn json(j: &Jacobian, point: Option<&Point>) -> Result<Json> {
    let d = &j.derivation;
    let mut obj = Map::new();
    if let Some(p) = point {
        obj.insert(
            "value".into(),
            value_json(&j.value(p)?, &j.objective_shape()),
        );
        let mut m = Map::new();
        for (v, val) in d.vars.iter().zip(j.evaluate(p)?) {
            m.insert(v.clone(), rows(&val));
        }
        obj.insert("jacobian".into(), Json::Object(m));
    }
    let mut e = Map::new();
    let mut dirs = Map::new();
    for (i, (v, form)) in d.vars.iter().zip(&j.forms).enumerate() {
        e.insert(
            v.clone(),
            json!(expression(&j.model, d, i, Notation::Ascii)),
        );
        if let Form::Directional(dir) = form {
            dirs.insert(v.clone(), json!(dir));
        }
    }
    obj.insert("jacobian_expression".into(), Json::Object(e));
    obj.insert("directions".into(), Json::Object(dirs));
    obj.insert("definitions".into(), definitions_json(&j.model, d));
    Ok(Json::Object(obj))
}

/// The JSON of `--vjp u`: `value` and `vjp` (each `Jᵀu`, of its variable's shape) at a
/// point, then `vjp_expression` and `definitions`.
pub fn vjp_json(v: &Vjp, point: Option<&Point>) -> Result<Json> {
    let d = &v.derivation;
    let mut obj = Map::new();
    if let Some(p) = point {
        let f = crate::numeric::check::value_at(&v.model.graph.expr, v.model.objective, p)?;
        obj.insert(
            "value".into(),
            value_json(&f, &v.model.graph.shape(v.model.objective)),
        );
        let mut m = Map::new();
        for (x, val) in d.vars.iter().zip(v.evaluate(p)?) {
            let shape = v
                .model
                .input(x)
                .map(|i| i.shape.clone())
                .unwrap_or_else(Shape::scalar);
            m.insert(x.clone(), value_json(&val, &shape));
        }
        obj.insert("vjp".into(), Json::Object(m));
    }
    let mut e = Map::new();
    for (i, x) in d.vars.iter().enumerate() {
        e.insert(
            x.clone(),
            json!(expression(&v.model, d, i, Notation::Ascii)),
        );
    }
    obj.insert("vjp_expression".into(), Json::Object(e));
    obj.insert("definitions".into(), definitions_json(&v.model, d));
    Ok(Json::Object(obj))
}
