//! matgrad: symbolic matrix calculus.
//!
//! A problem in the matgrad language (see the README) is parsed, its shapes are
//! inferred, and reverse mode gives the gradient, which an e-graph simplifies to
//! a closed form a person would write.
//!
//! ```
//! let model = matgrad::parse_problem("A : n x n; x : n; x'*A*x").unwrap();
//! assert_eq!(model.inputs.len(), 2);
//! assert_eq!(model.input("A").unwrap().shape.to_string(), "n×n");
//! ```
#![warn(missing_docs)]

pub mod error;
pub mod ir;
pub mod model;
pub mod numeric;
pub mod ops;
pub mod print;
pub mod rational;
pub mod syntax;

pub use error::{Error, ErrorKind, Result};
pub use model::Model;
pub use print::Notation;

use std::collections::HashMap;

/// Parses a problem and infers its shapes.
pub fn parse_problem(src: &str) -> Result<Model> {
    let ast = syntax::parse(src)?;
    syntax::shape::lower(&ast, src, None)
}

/// Parses a problem whose inputs take the values of a point (which fix types and sizes).
pub fn parse_problem_at(src: &str, values: &HashMap<String, ops::Value>) -> Result<(Model, numeric::Point)> {
    let ast = syntax::parse(src)?;
    let model = syntax::shape::lower(&ast, src, Some(&numeric::point::data_shapes(values)))?;
    let point = numeric::point::bind(&model, values.clone())?;
    Ok((model, point))
}

impl Model {
    /// The objective's value at a point.
    pub fn value_at(&self, point: &numeric::Point) -> Result<f64> {
        numeric::check::value_at(&self.graph.expr, self.objective, point).map(|v| v[(0, 0)])
    }

    /// The problem printed back: declarations, definitions, objective.
    pub fn print(&self, notation: Notation) -> String {
        let mut lines = Vec::new();
        for i in &self.inputs {
            let n = print::name(&i.name, notation);
            let structure = match i.structure {
                syntax::ast::Structure::General => "",
                syntax::ast::Structure::Symmetric => "sym ",
                syntax::ast::Structure::Spd => "spd ",
            };
            let ty = if i.shape.is_scalar() {
                "scalar".to_string()
            } else if i.shape.cols == ir::Dim::ONE && i.structure == syntax::ast::Structure::General {
                i.shape.rows.to_string()
            } else {
                format!("{structure}{} x {}", i.shape.rows, i.shape.cols)
            };
            lines.push(format!("{n} : {ty}"));
        }
        let names: HashMap<egg::Id, String> = self.defs.iter().map(|(n, id)| (*id, n.clone())).collect();
        let scalar = |id: egg::Id| self.graph.shape(id).is_scalar();
        for (n, id) in &self.defs {
            let skip = |x: egg::Id| if x == *id { None } else { names.get(&x).cloned() };
            let p = print::Printer::new(&self.graph.expr, notation, &skip, &scalar);
            if self.objective_name.as_deref() != Some(n.as_str()) {
                lines.push(format!("{} = {}", print::name(n, notation), p.print(*id)));
            }
        }
        let obj = self.objective;
        let skip = |x: egg::Id| if x == obj { None } else { names.get(&x).cloned() };
        let p = print::Printer::new(&self.graph.expr, notation, &skip, &scalar);
        let body = p.print(obj);
        lines.push(match &self.objective_name {
            Some(n) => format!("{} = {body}", print::name(n, notation)),
            None => body,
        });
        lines.join("\n")
    }
}
