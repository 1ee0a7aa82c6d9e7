//! Parsing a problem, and what a parsed problem can do: its value at a point and
//! its text printed back.

use std::collections::HashMap;

use crate::error::{Error, ErrorKind, Result};
use crate::model::Model;
use crate::print::{self, Notation};
use crate::structure::Structure;
use crate::{ir, numeric, ops, syntax};

/// Parses a problem and infers its shapes.
pub fn parse_problem(src: &str) -> Result<Model> {
    let ast = syntax::parse(src)?;
    syntax::shape::lower(&ast, src, None, true)
}

/// Parses a program whose last expression may have any shape (for evaluating results).
pub fn parse_program(src: &str) -> Result<Model> {
    let ast = syntax::parse(src)?;
    syntax::shape::lower(&ast, src, None, false)
}

/// Parses a problem whose inputs take the values of a point (which fix types and sizes).
pub fn parse_problem_at(
    src: &str,
    values: &HashMap<String, ops::Value>,
) -> Result<(Model, numeric::Point)> {
    let ast = syntax::parse(src)?;
    let model = syntax::shape::lower(&ast, src, Some(&numeric::point::data_shapes(values)), true)?;
    let point = numeric::point::bind(&model, values.clone())?;
    Ok((model, point))
}

impl Model {
    /// The objective's value at a point.
    pub fn value_at(&self, point: &numeric::Point) -> Result<f64> {
        numeric::check::value_at(&self.graph.expr, self.objective, point)
            .map(|v| v[(0, 0)])
            .map_err(|e| self.place(e, &self.graph.expr, Some, point))
    }

    /// A failed evaluation's error placed in the text: `expr` starts with this
    /// problem's graph, and `origin` names the node of the graph each node of `expr`
    /// comes from (itself for the graph's own nodes, the node whose derivative made
    /// it for the others). The error points at that node where the user wrote it:
    /// the operation that has no value, or the one whose derivative has none.
    pub fn place(
        &self,
        e: Error,
        expr: &egg::RecExpr<crate::ir::Math>,
        origin: impl Fn(egg::Id) -> Option<egg::Id>,
        point: &numeric::Point,
    ) -> Error {
        if e.kind != ErrorKind::Domain || e.span.is_some() {
            return e;
        }
        let Some(f) = numeric::eval::fault(expr, point) else {
            return e;
        };
        let Some((o, span)) = origin(f.node).and_then(|o| Some((o, self.span(o)?))) else {
            return e;
        };
        let written = crate::syntax::shape::short(&self.source[span.clone()]);
        if o == f.node {
            Error::at(
                ErrorKind::Domain,
                span,
                format!("cannot evaluate `{written}` at this point: {}", f.reason),
            )
            .with_label("no value here")
        } else {
            Error::at(
                ErrorKind::Domain,
                span,
                format!(
                    "the derivative of `{written}` has no value at this point: {}",
                    f.reason
                ),
            )
            .with_label("its derivative has no value here")
        }
    }

    /// The problem printed back: declarations, definitions, objective.
    pub fn print(&self, notation: Notation) -> String {
        let mut lines = Vec::new();
        for i in &self.inputs {
            let n = print::name(&i.name, notation);
            let structure = match i.structure {
                Structure::General => "",
                Structure::Symmetric => "sym ",
                Structure::Spd => "spd ",
            };
            let ty = if i.shape.is_scalar() {
                "scalar".to_string()
            } else if i.shape.cols == ir::Dim::ONE && i.structure == Structure::General {
                i.shape.rows.to_string()
            } else {
                format!("{structure}{} x {}", i.shape.rows, i.shape.cols)
            };
            lines.push(format!("{n} : {ty}"));
        }
        let names: HashMap<egg::Id, String> =
            self.defs.iter().map(|(n, id)| (*id, n.clone())).collect();
        let scalar = |id: egg::Id| self.graph.shape(id).is_scalar();
        for (n, id) in &self.defs {
            let skip = |x: egg::Id| {
                if x == *id {
                    None
                } else {
                    names.get(&x).cloned()
                }
            };
            let p = print::Printer::new(&self.graph.expr, notation, &skip, &scalar);
            if self.objective_name.as_deref() != Some(n.as_str()) {
                lines.push(format!("{} = {}", print::name(n, notation), p.print(*id)));
            }
        }
        let obj = self.objective;
        let skip = |x: egg::Id| {
            if x == obj {
                None
            } else {
                names.get(&x).cloned()
            }
        };
        let p = print::Printer::new(&self.graph.expr, notation, &skip, &scalar);
        let body = p.print(obj);
        lines.push(match &self.objective_name {
            Some(n) => format!("{} = {body}", print::name(n, notation)),
            None => body,
        });
        lines.join("\n")
    }
}
