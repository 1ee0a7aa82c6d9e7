//! matgrad: symbolic matrix calculus.
//!
//! A problem in the matgrad language (see the README) is parsed, its shapes are
//! inferred, and reverse mode gives the gradient, which an e-graph simplifies to
//! a closed form a person would write.
//!
//! ```
//! let g = matgrad::gradient("W : m x n; x : n; 0.5*norm2(W'*W*x - x)", &["W"]).unwrap();
//! assert_eq!(g.print(matgrad::Notation::Ascii), "k = W'*W*x - x\ndW = W*(k*x' + x*k')");
//!
//! let model = matgrad::parse_problem("A : n x n; x : n; x'*A*x").unwrap();
//! assert_eq!(model.inputs.len(), 2);
//! assert_eq!(model.input("A").unwrap().shape.to_string(), "n×n");
//! ```
//!
//! Evaluating at a point (the JSON of `--at`):
//!
//! ```
//! let g = matgrad::gradient("A : n x n; x : n; x'*A*x", &["x"]).unwrap();
//! assert_eq!(g.expression("x", matgrad::Notation::Unicode).unwrap(), "(A + Aᵀ)x");
//! let point = g.point(r#"{"A": [[1, 2], [3, 4]], "x": [1, 1]}"#).unwrap();
//! let grad = g.evaluate(&point).unwrap();
//! assert_eq!(grad[0].as_slice(), &[7.0, 13.0]); // (A + Aᵀ)x
//! ```
#![warn(missing_docs)]

pub mod autodiff;
pub mod claim;
pub mod derive;
pub mod error;
pub mod ir;
pub mod model;
pub mod numeric;
pub mod ops;
pub mod print;
pub mod rational;
pub mod simplify;
pub mod syntax;

pub use claim::{ClaimError, Verdict, check_claim};
pub use derive::{Derivation, Options};
pub use error::{Error, ErrorKind, Result};
pub use model::Model;
pub use print::Notation;

use std::collections::HashMap;

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
            } else if i.shape.cols == ir::Dim::ONE && i.structure == syntax::ast::Structure::General
            {
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

/// A problem with the simplified gradients of its objective.
#[derive(Debug, Clone)]
pub struct Gradient {
    /// The problem.
    pub model: Model,
    /// The gradients and their helper terms.
    pub derivation: Derivation,
}

/// The simplified gradient of a problem's objective with respect to each of `wrt`.
pub fn gradient(src: &str, wrt: &[&str]) -> Result<Gradient> {
    gradient_with(parse_problem(src)?, wrt, &Options::default())
}

/// The gradient of an already parsed problem, with options.
pub fn gradient_with(model: Model, wrt: &[&str], opts: &Options) -> Result<Gradient> {
    let derivation = derive::derive(&model, wrt, opts)?;
    Ok(Gradient { model, derivation })
}

impl Gradient {
    /// A point for this problem from point-file JSON (checked against the shapes).
    pub fn point(&self, json: &str) -> Result<numeric::Point> {
        numeric::point::bind(&self.model, numeric::point::parse_json(json)?)
    }

    /// The value of each gradient at a point, in the order of the variables.
    pub fn evaluate(&self, point: &numeric::Point) -> Result<Vec<ops::Value>> {
        self.derivation.evaluate(&self.model, point)
    }

    /// The gradient of `var` in a notation (`0` when the objective does not depend on it).
    pub fn expression(&self, var: &str, notation: Notation) -> Option<String> {
        let d = &self.derivation;
        let i = d.vars.iter().position(|v| v == var)?;
        Some(match &d.exprs[i] {
            Some(t) => d.show(
                &self.model,
                t,
                notation,
                matches!(d.cost, simplify::CostKind::Flops(_)),
            ),
            None => "0".to_string(),
        })
    }

    /// Notes for the reader (one line each): a limit the simplifier stopped at, a
    /// simplified form that translation validation refused, a result it could not check.
    pub fn notes(&self) -> Vec<String> {
        let d = &self.derivation;
        let mut notes = Vec::new();
        if let Some(limit) = &d.stats.limit {
            notes.push(format!(
                "the simplifier stopped at a limit ({limit}); the result is correct but may not be the simplest"
            ));
        }
        let v = &d.validation;
        if v.ran && v.points == 0 {
            notes.push(
                "the result could not be checked against reverse mode: no random point was in the domain of the problem".to_string(),
            );
        }
        if let Some(level) = &v.fallback {
            notes.push(format!(
                "the simplified gradient of {} disagreed with reverse mode at a random point and was refused; printing the {} form, checked at {} points (please report this input)",
                v.refused.join(", "),
                if level == "raw" { "unsimplified" } else { "less simplified" },
                v.points
            ));
        }
        notes
    }

    /// The helper terms the gradients use, as `(name, definition)` in dependency order.
    pub fn definitions(&self, notation: Notation) -> Vec<(String, String)> {
        let d = &self.derivation;
        d.defs
            .iter()
            .map(|x| {
                (
                    print::name(x.name.as_str(), notation),
                    d.show(&self.model, &x.tree, notation, false),
                )
            })
            .collect()
    }

    /// Everything, as a person reads it (unicode, LaTeX) or as the language (ASCII).
    pub fn print(&self, notation: Notation) -> String {
        let d = &self.derivation;
        let defs = self.definitions(notation);
        let mut lines = Vec::new();
        let f = self
            .model
            .objective_name
            .clone()
            .unwrap_or_else(|| "f".to_string());
        match notation {
            Notation::Ascii => {
                lines.extend(defs.iter().map(|(n, e)| format!("{n} = {e}")));
                for v in &d.vars {
                    lines.push(format!(
                        "d{v} = {}",
                        self.expression(v, notation).unwrap_or_default()
                    ));
                }
            }
            Notation::Unicode => {
                for v in &d.vars {
                    let name = print::name(v, notation);
                    lines.push(format!(
                        "∂{f}/∂{name} = {}",
                        self.expression(v, notation).unwrap_or_default()
                    ));
                }
                for (i, (n, e)) in defs.iter().enumerate() {
                    let lead = if i == 0 { "  where " } else { "        " };
                    lines.push(format!("{lead}{n} = {e}"));
                }
            }
            Notation::Latex => {
                for v in &d.vars {
                    let name = print::name(v, notation);
                    lines.push(format!(
                        "\\frac{{\\partial {f}}}{{\\partial {name}}} = {}",
                        self.expression(v, notation).unwrap_or_default()
                    ));
                }
                for (n, e) in &defs {
                    lines.push(format!("\\text{{where }} {n} = {e}"));
                }
            }
        }
        lines.join("\n")
    }
}

pub mod check;
pub mod hessian;

/// FLOP counts of the objective and of each gradient at the given sizes (other dimensions count as 10).
pub fn flops_report(grad: &Gradient, sizes: &HashMap<egg::Symbol, f64>) -> String {
    let count = |g: &ir::Graph| -> f64 {
        let size = |d: &ir::Dim| match d {
            ir::Dim::Fixed(n) => *n as f64,
            ir::Dim::Sym(s) => sizes.get(s).copied().unwrap_or(10.0),
        };
        let dims = |s: &ir::Shape| (size(&s.rows), size(&s.cols));
        g.expr
            .as_ref()
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let kids: Vec<(f64, f64)> = egg::Language::children(n)
                    .iter()
                    .map(|c| dims(&g.shape(*c)))
                    .collect();
                simplify::cost::node_flops(n, dims(&g.shape(egg::Id::from(i))), &|k| {
                    kids.get(k).copied().unwrap_or((1.0, 1.0))
                })
            })
            .sum()
    };
    let d = &grad.derivation;
    let mut s = format!("flops: objective {:.0}", count(&grad.model.graph));
    let mut total = 0.0;
    for t in d
        .defs
        .iter()
        .map(|x| &x.tree)
        .chain(d.exprs.iter().flatten())
    {
        if let Ok((g, _)) = d.typed(&grad.model, t) {
            total += count(&g);
        }
    }
    s += &format!(", gradient {total:.0} (helpers included)\n");
    s
}
