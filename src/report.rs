//! One result for every front end: what a run found (numbers at a point, the
//! gradients and helper terms in the language's ASCII form, Hessians, notes),
//! as typed data. The command line renders it (its JSON is this type serialized);
//! a server or a Python package would serialize the same value.
//!
//! Every part is optional and skipped when absent, so that new parts (claims,
//! Jacobians, the steps of a derivation) are added as fields without changing
//! the output of runs that do not ask for them.

use serde::ser::{Serialize, SerializeMap, Serializer};

use crate::error::Result;
use crate::gradient::Gradient;
use crate::hessian;
use crate::ir::{Dim, Shape};
use crate::model::Model;
use crate::numeric::Point;
use crate::ops::Value;
use crate::print::Notation;

/// Numbers in the shape of a value: a number, a column as an array, or an array of rows.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(untagged)]
pub enum Numbers {
    /// A scalar.
    Scalar(f64),
    /// A column vector.
    Vector(Vec<f64>),
    /// A matrix, row by row.
    Rows(Vec<Vec<f64>>),
}

impl Numbers {
    /// `v` written in the form of `shape` (a scalar a number, a column an array).
    pub fn of(v: &Value, shape: &Shape) -> Numbers {
        if shape.is_scalar() {
            Numbers::Scalar(v[(0, 0)])
        } else if shape.cols == Dim::ONE {
            Numbers::Vector(v.column(0).iter().copied().collect())
        } else {
            Numbers::rows(v)
        }
    }

    /// `v` as an array of rows, whatever its shape.
    pub fn rows(v: &Value) -> Numbers {
        Numbers::Rows(
            (0..v.nrows())
                .map(|i| v.row(i).iter().copied().collect())
                .collect(),
        )
    }
}

/// Entries by name, in order; serialized as an object.
#[derive(Debug, Clone, PartialEq)]
pub struct Named<T>(pub Vec<(String, T)>);

impl<T> Default for Named<T> {
    fn default() -> Self {
        Named(Vec::new())
    }
}

impl<T> Named<T> {
    /// The entry called `name`.
    pub fn get(&self, name: &str) -> Option<&T> {
        self.0.iter().find(|(n, _)| n == name).map(|(_, v)| v)
    }
}

impl<T> FromIterator<(String, T)> for Named<T> {
    fn from_iter<I: IntoIterator<Item = (String, T)>>(iter: I) -> Self {
        Named(iter.into_iter().collect())
    }
}

impl<T: Serialize> Serialize for Named<T> {
    fn serialize<S: Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(self.0.len()))?;
        for (k, v) in &self.0 {
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

/// What a run found. The order of the fields is the order of the JSON keys.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Report {
    /// The objective at the point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub value: Option<Numbers>,
    /// Each gradient at the point, in its variable's shape.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub gradient: Option<Named<Numbers>>,
    /// Each simplified gradient, in the ASCII form of the language.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expression: Option<Named<String>>,
    /// The helper terms the expressions use, in dependency order.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub definitions: Option<Named<String>>,
    /// Each Hessian at the point, as an array of rows.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hessian: Option<Named<Numbers>>,
    /// Each Hessian in the ASCII form.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub hessian_expression: Option<Named<String>>,
    /// The outcome of `--check`: `{"ok", "points", "variables": {x: {"ok",
    /// "vs_finite_differences", "vs_unsimplified"}}}` (the worst relative errors).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub check: Option<serde_json::Value>,
    /// Remarks on the run (a simplifier limit, a refused simplification); the command line prints
    /// them on standard error.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

impl Report {
    /// The report of a problem alone (no variable): its value at the point, if any.
    pub fn problem(model: &Model, point: Option<&Point>) -> Result<Report> {
        Ok(Report {
            value: point
                .map(|p| model.value_at(p).map(Numbers::Scalar))
                .transpose()?,
            ..Report::default()
        })
    }

    /// The report of the gradients of `grad`: numbers at `point` if given, Hessians
    /// if asked.
    pub fn gradients(grad: &Gradient, point: Option<&Point>, hessians: bool) -> Result<Report> {
        let d = &grad.derivation;
        let mut r = Report::problem(&grad.model, point)?;
        if let Some(p) = point {
            let vals = d.evaluate(&grad.model, p)?;
            r.gradient = Some(
                d.vars
                    .iter()
                    .zip(&vals)
                    .map(|(v, val)| (v.clone(), Numbers::of(val, &var_shape(grad, v))))
                    .collect(),
            );
        }
        r.expression = Some(
            d.vars
                .iter()
                .map(|v| {
                    let e = grad.expression(v, Notation::Ascii).unwrap_or_default();
                    (v.clone(), e)
                })
                .collect(),
        );
        r.definitions = Some(grad.definitions(Notation::Ascii).into_iter().collect());
        r.notes = grad.notes();
        if hessians {
            r.add_hessians(grad, point)?;
        }
        Ok(r)
    }

    fn add_hessians(&mut self, grad: &Gradient, point: Option<&Point>) -> Result<()> {
        let hs = hessian::hessians(grad)?;
        self.notes.extend(hs.notes.iter().cloned());
        let mut exprs = Named::default();
        let mut vals = Named::default();
        let helpers = point.map(|p| hessian::with_helpers(grad, p)).transpose()?;
        for h in &hs.blocks {
            exprs.0.push((h.key(), h.show(Notation::Ascii)));
            if let Some(p) = &helpers {
                vals.0.push((
                    h.key(),
                    Numbers::rows(
                        &h.evaluate(p, &hs.defs)
                            .map_err(|e| hessian::at_point(grad, p, e))?,
                    ),
                ));
            }
        }
        if point.is_some() {
            self.hessian = Some(vals);
        }
        self.hessian_expression = Some(exprs);
        // The Hessian's own helper terms are defined beside the gradient's.
        if let Some(defs) = &mut self.definitions {
            defs.0.extend(hs.definitions(Notation::Ascii));
        }
        Ok(())
    }

    /// Adds the outcome of a check.
    pub fn add_check(&mut self, report: &crate::check::Report) {
        let mut vars = serde_json::Map::new();
        for v in &report.vars {
            vars.insert(
                v.var.clone(),
                serde_json::json!({"ok": v.ok, "vs_finite_differences": v.fd, "vs_unsimplified": v.raw}),
            );
        }
        self.check = Some(serde_json::json!({
            "ok": report.ok,
            "points": report.points,
            "variables": vars,
        }));
    }

    /// The report as pretty-printed JSON, ending with a newline.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default() + "\n"
    }
}

fn var_shape(grad: &Gradient, v: &str) -> Shape {
    grad.model
        .input(v)
        .map(|i| i.shape.clone())
        .unwrap_or_else(Shape::scalar)
}
