//! Jacobians of vector- and matrix-valued objectives, and vector-Jacobian products.
//!
//! **How the matrix is collected.** Forward mode ([`crate::forward`]) differentiates
//! the objective along a direction symbol `dV` of the variable's shape: one pass over
//! the DAG with each primitive's JVP ([`crate::ops::jvp`]) gives the tangent, an
//! expression linear in `dV`. That tangent *is* the directional form `J[dV]` used for
//! matrix-valued objectives and matrix variables (`X*X` gives `dX X + X dX`). For a
//! scalar or vector variable and a scalar or vector objective, [`readoff`] then pushes
//! `dV` to the right through the tangent until it reads `J dV` and keeps `J`
//! (`W tanh'(x) ∘ dx` gives `W diag(1 − tanh(x)∘²)`).
//!
//! Why forward mode with a symbolic direction rather than reverse mode with a
//! matrix-valued adjoint `I`: the tangent of every primitive already exists (one JVP
//! per primitive, tested against finite differences), forward mode keeps every
//! intermediate at its own shape (a matrix-valued adjoint of a matrix intermediate
//! would be a fourth-order tensor, which the language cannot write), the same pass
//! serves the matrix and the directional forms, and the read-off sees each node once,
//! so the Jacobian costs one pass like a gradient does. The raw `J` (or `J[dV]`) then
//! goes through the gradients' own pipeline ([`crate::derive::derive_from`]): helper
//! terms named the same way, one e-graph for all variables, translation validation
//! against the raw form.
//!
//! The vector-Jacobian product `Jᵀu` is reverse mode seeded with a cotangent `u` of
//! the objective's shape ([`crate::autodiff::reverse_seeded`]), since that is what
//! reverse mode computes.

mod check;
mod output;
mod readoff;

use std::collections::HashMap;

use egg::Symbol;

pub use check::{Report, check, check_vjp, finite_difference};
pub use output::{json, print, rows, value_json, vjp_json, vjp_print};

use crate::autodiff::{self, Adjoints};
use crate::derive::{self, Derivation, Options};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Dim, Math, Shape};
use crate::model::{Input, Model};
use crate::numeric::{self, Point};
use crate::ops::Value;
use crate::structure::Structure;

/// How the Jacobian of one variable is written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Form {
    /// The matrix itself: rows the entries of the objective, columns those of the variable.
    Matrix,
    /// The directional form `J[dV]`, linear in the named direction.
    Directional(String),
}

/// The Jacobians of a problem's objective.
#[derive(Debug, Clone)]
pub struct Jacobian {
    /// The problem, with an input for each direction `dV` the directional forms use.
    pub model: Model,
    /// One result per variable (`J`, or `J[dV]`) and their helper terms.
    pub derivation: Derivation,
    /// How each variable's result is written.
    pub forms: Vec<Form>,
    /// Notes for the reader (a Jacobian given in directional form though a matrix was asked).
    pub notes: Vec<String>,
}

/// A vector-Jacobian product `Jᵀu` for each variable.
#[derive(Debug, Clone)]
pub struct Vjp {
    /// The problem, with the cotangent as an input.
    pub model: Model,
    /// One result per variable, of the variable's shape.
    pub derivation: Derivation,
    /// The cotangent's name.
    pub cotangent: String,
}

/// Parses a problem whose objective may be a scalar, a vector or a matrix.
pub fn parse(src: &str) -> Result<Model> {
    crate::problem::parse_program(src)
}

/// Parses such a problem with the inputs of a point (which fix types and sizes).
pub fn parse_at(src: &str, values: &HashMap<String, Value>) -> Result<(Model, Point)> {
    let ast = crate::syntax::parse(src)?;
    let shapes = numeric::point::data_shapes(values);
    let model = crate::syntax::shape::lower(&ast, src, Some(&shapes), false)?;
    let point = numeric::point::bind(&model, values.clone())?;
    Ok((model, point))
}

/// A name of the language: a letter (Latin or Greek) or `_`, then letters, digits, `_`.
fn is_name(s: &str) -> bool {
    let mut c = s.chars();
    c.next().is_some_and(|c| c.is_alphabetic() || c == '_')
        && c.all(|c| c.is_alphanumeric() || c == '_')
}

fn vector_like(s: &Shape) -> bool {
    s.rows == Dim::ONE || s.cols == Dim::ONE
}

/// The value of an input at a point.
fn value_of<'p>(point: &'p Point, name: &str) -> Result<&'p Value> {
    point.values.get(&Symbol::from(name)).ok_or_else(|| {
        Error::new(
            ErrorKind::Point,
            format!("the point gives no value for `{name}`"),
        )
    })
}

/// The number of entries of a shape at a point.
fn entries(s: &Shape, p: &Point) -> Result<usize> {
    let size = |d: &Dim| {
        p.size(d).ok_or_else(|| {
            Error::new(
                ErrorKind::Internal,
                format!("internal error: the point does not fix `{d}`"),
            )
        })
    };
    Ok(size(&s.rows)? * size(&s.cols)?)
}

fn check_wrt(model: &Model, wrt: &[&str]) -> Result<()> {
    for w in wrt {
        if model.input(w).is_none() {
            return Err(Error::new(
                ErrorKind::NotDifferentiable,
                format!("`{w}` is not an input of the problem"),
            ));
        }
    }
    Ok(())
}

/// A fresh direction name `d<name>` (`d<name>_2`, … when taken by an input or a definition).
fn direction_name(model: &Model, g: &crate::ir::Graph, name: &str) -> Symbol {
    let taken =
        |s: &str| g.vars.contains_key(&Symbol::from(s)) || model.defs.iter().any(|(n, _)| n == s);
    let mut s = format!("d{name}");
    let mut k = 2;
    while taken(&s) {
        s = format!("d{name}_{k}");
        k += 1;
    }
    Symbol::from(s)
}

fn input(name: &str, shape: Shape) -> Input {
    Input {
        name: name.to_string(),
        shape,
        structure: Structure::General,
        declared: false,
        span: 0..0,
    }
}

/// The Jacobian of a problem's objective (a scalar, vector or matrix) with respect to
/// each of `wrt`, simplified.
pub fn jacobian(src: &str, wrt: &[&str]) -> Result<Jacobian> {
    jacobian_with(parse(src)?, wrt, &Options::default())
}

/// The Jacobians of an already parsed problem, with options.
pub fn jacobian_with(model: Model, wrt: &[&str], opts: &Options) -> Result<Jacobian> {
    check_wrt(&model, wrt)?;
    let mut g = model.graph.clone();
    let forward_len = g.len();
    let f_shape = g.shape(model.objective);
    let mut grads = Vec::new();
    let mut forms = Vec::new();
    let mut notes = Vec::new();
    let mut directions: Vec<Input> = Vec::new();
    for w in wrt {
        let Some(shape) = model.input(w).map(|i| i.shape.clone()) else {
            return Err(Error::new(ErrorKind::Internal, "internal error: no input"));
        };
        let dir = direction_name(&model, &g, w);
        g.vars.insert(dir, shape.clone());
        let seed = g.add(Math::Var(dir))?;
        let seeds = HashMap::from([(Symbol::from(*w), seed)]);
        let tangent = crate::forward::directional(&mut g, &[model.objective], &seeds)?[0];
        let mut form = Form::Directional(dir.to_string());
        let mut root = tangent;
        if vector_like(&shape) && vector_like(&f_shape) {
            form = Form::Matrix;
            if let Some(t) = tangent {
                match readoff::Readoff::new(&mut g, dir, &shape).matrix(t) {
                    Ok(j) => root = Some(j),
                    Err(e) if e.kind == ErrorKind::NotDifferentiable => {
                        notes.push(format!(
                            "{}; the Jacobian of `{w}` is given in the directional form in `{dir}`",
                            e.message
                        ));
                        form = Form::Directional(dir.to_string());
                    }
                    Err(e) => return Err(e),
                }
            }
        }
        if let Form::Directional(d) = &form {
            directions.push(input(d, shape.clone()));
        }
        grads.push((w.to_string(), root));
        forms.push(form);
    }
    let mut ext = model;
    ext.inputs.extend(directions);
    ext.graph.vars = g.vars.clone();
    // Only the results on top of the forward graph: the tangents a read-off went
    // through mention directions that are not inputs.
    let mut graph = ext.graph.clone();
    let mut roots = Vec::new();
    for (w, r) in grads {
        roots.push((w, r.map(|r| graph.import(&g.expr, r)).transpose()?));
    }
    let adj = Adjoints {
        graph,
        forward_len,
        grads: roots,
        // The forward tangents are not traced back to the text.
        origin: Vec::new(),
    };
    let derivation = derive::derive_from(&ext, &adj, wrt, opts)?;
    Ok(Jacobian {
        model: ext,
        derivation,
        forms,
        notes,
    })
}

/// The vector-Jacobian products `Jᵀu` for a cotangent named `cotangent`: an input
/// of the objective's shape that the objective does not use (declared, or added).
pub fn vjp(src: &str, wrt: &[&str], cotangent: &str) -> Result<Vjp> {
    vjp_with(parse(src)?, wrt, cotangent, &Options::default())
}

/// The vector-Jacobian products of an already parsed problem, with options.
pub fn vjp_with(model: Model, wrt: &[&str], cotangent: &str, opts: &Options) -> Result<Vjp> {
    let model = with_cotangent(model, cotangent)?;
    check_wrt(&model, wrt)?;
    let adj = autodiff::reverse_seeded(&model, wrt, |g| g.var(cotangent))?;
    let derivation = derive::derive_from(&model, &adj, wrt, opts)?;
    Ok(Vjp {
        model,
        derivation,
        cotangent: cotangent.to_string(),
    })
}

/// The model with the cotangent `u` as an input of the objective's shape.
pub fn with_cotangent(mut model: Model, u: &str) -> Result<Model> {
    let f_shape = model.graph.shape(model.objective);
    let bad = |why: String| Error::new(ErrorKind::NotDifferentiable, format!("--vjp {u}: {why}"));
    if model.defs.iter().any(|(n, _)| n == u) {
        return Err(bad(format!(
            "`{u}` is defined in the problem; the cotangent must be a new name or a declared input the objective does not use"
        )));
    }
    if !is_name(u) {
        return Err(Error::new(
            ErrorKind::Syntax,
            format!("--vjp {u}: `{u}` is not a name"),
        ));
    }
    match model.inputs.iter_mut().find(|i| i.name == u) {
        Some(i) => {
            let used = autodiff::active_set(&model.graph, &[Symbol::from(u)])
                [usize::from(model.objective)];
            if used {
                return Err(bad(format!(
                    "the objective depends on `{u}`; the cotangent must be an input it does not use"
                )));
            }
            if !i.declared {
                // Known from a point only: it takes the objective's shape (the point's
                // value is checked against it when the point is bound).
                i.shape = f_shape.clone();
                model.graph.vars.insert(Symbol::from(u), f_shape);
            } else if i.shape != f_shape {
                return Err(Error::new(
                    ErrorKind::Shape,
                    format!(
                        "--vjp {u}: the cotangent must have the objective's shape ({f_shape}), but `{u}` is {}",
                        i.shape
                    ),
                ));
            }
        }
        None => {
            model.graph.vars.insert(Symbol::from(u), f_shape.clone());
            model.inputs.push(input(u, f_shape));
        }
    }
    Ok(model)
}

impl Jacobian {
    /// The problem without the direction inputs (what a point gives values for).
    pub fn problem(&self) -> Model {
        let mut m = self.model.clone();
        let dirs: Vec<&str> = self.directions().collect();
        m.inputs.retain(|i| !dirs.contains(&i.name.as_str()));
        m
    }

    /// The direction names of the directional forms.
    pub fn directions(&self) -> impl Iterator<Item = &str> {
        self.forms.iter().filter_map(|f| match f {
            Form::Directional(d) => Some(d.as_str()),
            Form::Matrix => None,
        })
    }

    /// A point for this problem from point-file JSON (checked against the shapes).
    pub fn point(&self, json: &str) -> Result<Point> {
        numeric::point::bind(&self.problem(), numeric::point::parse_json(json)?)
    }

    /// The objective's value at a point.
    pub fn value(&self, point: &Point) -> Result<Value> {
        numeric::check::value_at(&self.model.graph.expr, self.model.objective, point)
    }

    /// The shape of the objective.
    pub fn objective_shape(&self) -> Shape {
        self.model.graph.shape(self.model.objective)
    }

    /// Each variable's Jacobian at a point as a full matrix: one row per entry of the
    /// objective, one column per entry of the variable, both in column-major vec order.
    pub fn evaluate(&self, point: &Point) -> Result<Vec<Value>> {
        self.matrices(point, false)
    }

    /// The same from the unsimplified forms (for checks).
    pub fn evaluate_raw(&self, point: &Point) -> Result<Vec<Value>> {
        self.matrices(point, true)
    }

    fn matrices(&self, point: &Point, raw: bool) -> Result<Vec<Value>> {
        let d = &self.derivation;
        let rows = entries(&self.objective_shape(), point)?;
        let mut p = point.clone();
        for (var, form) in d.vars.iter().zip(&self.forms) {
            if let Form::Directional(dir) = form {
                let x = value_of(point, var)?;
                p.values.insert(
                    Symbol::from(dir.as_str()),
                    Value::zeros(x.nrows(), x.ncols()),
                );
            }
        }
        let mut out = Vec::new();
        for (i, (var, form)) in d.vars.iter().zip(&self.forms).enumerate() {
            let x = value_of(point, var)?.clone();
            let cols = x.len();
            let eval = |p: &Point| -> Result<Value> {
                if raw {
                    Ok(d.evaluate_raw(p)?.swap_remove(i))
                } else {
                    Ok(d.evaluate(&self.model, p)?.swap_remove(i))
                }
            };
            let zero = if raw {
                d.adjoints.grads[i].1.is_none()
            } else {
                d.exprs[i].is_none()
            };
            let j = match form {
                _ if zero => Value::zeros(rows, cols),
                Form::Matrix => {
                    let v = eval(&p)?;
                    if v.shape() != (rows, cols) {
                        return Err(Error::new(
                            ErrorKind::Internal,
                            format!(
                                "internal error: the Jacobian of `{var}` is {}×{}, not {rows}×{cols}",
                                v.nrows(),
                                v.ncols()
                            ),
                        ));
                    }
                    v
                }
                Form::Directional(dir) => {
                    let mut m = Value::zeros(rows, cols);
                    let mut q = p.clone();
                    for k in 0..cols {
                        let mut e = Value::zeros(x.nrows(), x.ncols());
                        e[k] = 1.0;
                        q.values.insert(Symbol::from(dir.as_str()), e);
                        let v = eval(&q)?;
                        if v.len() == rows {
                            m.column_mut(k).copy_from_slice(v.as_slice());
                        } else {
                            return Err(Error::new(
                                ErrorKind::Internal,
                                "internal error: a directional derivative of another shape",
                            ));
                        }
                    }
                    m
                }
            };
            out.push(j);
        }
        Ok(out)
    }
}

impl Vjp {
    /// A point for this problem (it must give the cotangent's value).
    pub fn point(&self, json: &str) -> Result<Point> {
        numeric::point::bind(&self.model, numeric::point::parse_json(json)?)
    }

    /// Each `Jᵀu` at a point, of its variable's shape.
    pub fn evaluate(&self, point: &Point) -> Result<Vec<Value>> {
        self.derivation.evaluate(&self.model, point)
    }
}
