//! Hessian blocks as text and as numbers at a point.

use std::collections::HashSet;

use egg::{Id, Symbol};

use super::{Hessian, Hessians, hessians};
use crate::derive::typed_tree;
use crate::error::Result;
use crate::gradient::Gradient;
use crate::ir::Graph;
use crate::numeric::Point;
use crate::ops::Value;
use crate::print::{self, Notation};
use crate::simplify::cse::Tree;

impl Hessian {
    /// The form in a notation (`0` when identically zero).
    pub fn show(&self, notation: Notation) -> String {
        let Some(t) = &self.tree else {
            return "0".into();
        };
        match typed_tree(&self.symbols, t) {
            Ok((g, root)) => {
                let none = |_: Id| None;
                let scalar = |id: Id| g.shape(id).is_scalar();
                print::Printer::new(&g.expr, notation, &none, &scalar).print(root)
            }
            Err(e) => format!("<{e}>"),
        }
    }

    /// The line that states the block, e.g. `∂²f/∂x² = …`, `∂²f/∂X²[dX] = …`,
    /// `∂²f/∂x∂y = …`; in ASCII `d2x = …`, `d2X[dX] = …`, `d2x_y = …`.
    pub fn line(&self, f: &str, notation: Notation) -> String {
        let (r, c) = (
            print::name(&self.row, notation),
            print::name(&self.col, notation),
        );
        let dir = self
            .direction
            .as_ref()
            .map(|d| format!("[{}]", print::name(d, notation)))
            .unwrap_or_default();
        let body = self.show(notation);
        match notation {
            Notation::Ascii if self.is_diagonal() => format!("d2{r}{dir} = {body}"),
            Notation::Ascii => format!("d2{r}_{c}{dir} = {body}"),
            Notation::Unicode if self.is_diagonal() => format!("∂²{f}/∂{r}²{dir} = {body}"),
            Notation::Unicode => format!("∂²{f}/∂{r}∂{c}{dir} = {body}"),
            Notation::Latex => {
                let den = if self.is_diagonal() {
                    format!("\\partial {r}^2")
                } else {
                    format!("\\partial {r} \\partial {c}")
                };
                format!("\\frac{{\\partial^2 {f}}}{{{den}}}{dir} = {body}")
            }
        }
    }

    /// The JSON key: `V` for a diagonal block, `V,U` for a mixed one.
    pub fn key(&self) -> String {
        if self.is_diagonal() {
            self.row.clone()
        } else {
            format!("{},{}", self.row, self.col)
        }
    }

    /// The full block at a point: rows indexed by vec of the row variable, columns
    /// by vec of the column variable (column-major). `helpers` is the point with the
    /// gradient's helper terms evaluated (see [`with_helpers`]); `defs` are the
    /// Hessian's own helpers ([`Hessians::defs`]).
    pub fn evaluate(&self, helpers: &Point, defs: &[(Symbol, Tree)]) -> Result<Value> {
        Compiled::new(self, defs)?.at(helpers)
    }
}

/// A block typed once for evaluation at many points (and, for a directional form,
/// along many unit directions): the block's form and the Hessian helpers it uses,
/// each as a shaped graph.
struct Compiled<'a> {
    block: &'a Hessian,
    /// The helpers the form uses, in dependency order.
    defs: Vec<(Symbol, Graph, Id)>,
    /// The form (`None`: identically zero).
    form: Option<(Graph, Id)>,
}

impl<'a> Compiled<'a> {
    /// Types `block`'s form and the helpers of `defs` it uses.
    fn new(block: &'a Hessian, defs: &[(Symbol, Tree)]) -> Result<Compiled<'a>> {
        let Some(t) = &block.tree else {
            return Ok(Compiled {
                block,
                defs: Vec::new(),
                form: None,
            });
        };
        // Only the helpers this block uses (others may be in another direction).
        let mut needed: HashSet<Symbol> = HashSet::new();
        let note = |t: &Tree, needed: &mut HashSet<Symbol>| {
            t.visit(&mut |x| {
                if let crate::ir::Math::Var(v) = x.op {
                    needed.insert(v);
                }
            })
        };
        note(t, &mut needed);
        for (s, d) in defs.iter().rev() {
            if needed.contains(s) {
                note(d, &mut needed);
            }
        }
        let typed = |t: &Tree| typed_tree(&block.symbols, t);
        let defs = defs
            .iter()
            .filter(|(s, _)| needed.contains(s))
            .map(|(s, d)| typed(d).map(|(g, root)| (*s, g, root)))
            .collect::<Result<_>>()?;
        Ok(Compiled {
            block,
            defs,
            form: Some(typed(t)?),
        })
    }

    /// The form's value at `p` (the Hessian helpers are evaluated into it first).
    fn form_at(form: &(Graph, Id), defs: &[(Symbol, Graph, Id)], p: &mut Point) -> Result<Value> {
        for (s, g, root) in defs {
            let v = crate::numeric::evaluate(&g.expr, p)?[usize::from(*root)].clone();
            p.values.insert(*s, v);
        }
        let (g, root) = form;
        Ok(crate::numeric::evaluate(&g.expr, p)?[usize::from(*root)].clone())
    }

    /// The directional form's value (vec of the row variable, `nr` entries) along
    /// direction `e`; `p` holds the gradient's helpers.
    fn along(&self, p: &mut Point, dir: &str, e: Value, nr: usize) -> Result<Value> {
        let Some(form) = &self.form else {
            return Ok(Value::zeros(nr, 1));
        };
        p.values.insert(Symbol::from(dir), e);
        let v = Self::form_at(form, &self.defs, p)?;
        Ok(if v.shape() == (1, 1) {
            Value::from_element(nr, 1, v[(0, 0)])
        } else {
            Value::from_column_slice(nr, 1, v.as_slice())
        })
    }

    /// The full block at a point with the gradient's helpers (see [`Hessian::evaluate`]).
    fn at(&self, helpers: &Point) -> Result<Value> {
        let h = self.block;
        let size = |v: &str| {
            helpers
                .values
                .get(&Symbol::from(v))
                .map_or(1, |x| x.nrows() * x.ncols())
        };
        let (nr, nc) = (size(&h.row), size(&h.col));
        let Some(form) = &self.form else {
            return Ok(Value::zeros(nr, nc));
        };
        let mut p = helpers.clone();
        let Some(dir) = &h.direction else {
            let v = Self::form_at(form, &self.defs, &mut p)?;
            return Ok(if v.shape() == (1, 1) && (nr, nc) != (1, 1) {
                Value::from_element(nr, nc, v[(0, 0)])
            } else {
                v
            });
        };
        // The directional form along each unit direction gives one column.
        let col = &helpers.values[&Symbol::from(h.col.as_str())];
        let mut out = Value::zeros(nr, nc);
        for k in 0..nc {
            let mut e = Value::zeros(col.nrows(), col.ncols());
            e[(k % col.nrows(), k / col.nrows())] = 1.0;
            out.set_column(k, &self.along(&mut p, dir, e, nr)?.column(0));
        }
        Ok(out)
    }
}

/// The error of a second derivative without a value at `point` (the inputs, with
/// or without the helpers): the gradient's own, placed in the text, when the
/// gradient has no value there either.
pub fn at_point(grad: &Gradient, point: &Point, e: crate::error::Error) -> crate::error::Error {
    if e.kind != crate::error::ErrorKind::Domain {
        return e;
    }
    match grad.evaluate(point) {
        Err(placed) if placed.kind == crate::error::ErrorKind::Domain => placed,
        _ => e,
    }
}

/// The point with the gradient's helper terms evaluated (in dependency order).
///
/// Where the gradient has no value, the error is the gradient's, placed in the text.
pub fn with_helpers(grad: &Gradient, point: &Point) -> Result<Point> {
    let d = &grad.derivation;
    let mut p = point.clone();
    for def in &d.defs {
        let (g, root) = d.typed(&grad.model, &def.tree)?;
        let v = crate::numeric::evaluate(&g.expr, &p).map_err(|e| at_point(grad, point, e))?;
        p.values.insert(def.name, v[usize::from(root)].clone());
    }
    Ok(p)
}

impl Hessians {
    /// The value of block `i` at a point (inputs only; helpers are evaluated here).
    pub fn value(&self, grad: &Gradient, point: &Point, i: usize) -> Result<Value> {
        let p = with_helpers(grad, point)?;
        self.blocks[i]
            .evaluate(&p, &self.defs)
            .map_err(|e| at_point(grad, point, e))
    }

    /// The point with the gradient's and the Hessian's helper terms evaluated.
    /// (The Hessian's helpers may use the directions: they are evaluated where used.)
    pub fn helpers_at(&self, grad: &Gradient, point: &Point) -> Result<Point> {
        with_helpers(grad, point)
    }

    /// The Hessian's helper terms in a notation, as `(name, definition)`.
    pub fn definitions(&self, notation: Notation) -> Vec<(String, String)> {
        let symbols = self
            .blocks
            .first()
            .map(|b| b.symbols.clone())
            .unwrap_or_default();
        self.defs
            .iter()
            .map(|(s, t)| {
                let body = match typed_tree(&symbols, t) {
                    Ok((g, root)) => {
                        let none = |_: Id| None;
                        let scalar = |id: Id| g.shape(id).is_scalar();
                        print::Printer::new(&g.expr, notation, &none, &scalar).print(root)
                    }
                    Err(e) => format!("<{e}>"),
                };
                (print::name(s.as_str(), notation), body)
            })
            .collect()
    }
}

fn rows(v: &Value) -> serde_json::Value {
    let rows: Vec<Vec<f64>> = (0..v.nrows())
        .map(|i| v.row(i).iter().copied().collect())
        .collect();
    serde_json::json!(rows)
}

/// The Hessian blocks as text lines with their helper terms (and their values at
/// `point`, if given).
pub fn text(grad: &Gradient, notation: Notation, point: Option<&Point>) -> Result<String> {
    text_and_notes(grad, notation, point).map(|(s, _)| s)
}

/// [`text`], with the notes for standard error (a simplified form that was refused).
pub fn text_and_notes(
    grad: &Gradient,
    notation: Notation,
    point: Option<&Point>,
) -> Result<(String, Vec<String>)> {
    let f = grad
        .model
        .objective_name
        .clone()
        .unwrap_or_else(|| "f".into());
    let helpers = point.map(|p| with_helpers(grad, p)).transpose()?;
    let hs = hessians(grad)?;
    let mut s = String::new();
    if notation == Notation::Ascii {
        // Definitions first, so that the text reads back as a program.
        for (n, e) in hs.definitions(notation) {
            s += &format!("{n} = {e}\n");
        }
    }
    for h in &hs.blocks {
        s += &h.line(&f, notation);
        s.push('\n');
    }
    for (i, (n, e)) in hs.definitions(notation).iter().enumerate() {
        s += &match notation {
            Notation::Ascii => String::new(),
            Notation::Latex => format!("\\text{{where }} {n} = {e}\n"),
            Notation::Unicode if i == 0 => format!("  where {n} = {e}\n"),
            Notation::Unicode => format!("        {n} = {e}\n"),
        };
    }
    if let Some(p) = &helpers {
        for h in &hs.blocks {
            s += &format!(
                "hessian {} = {}\n",
                h.key(),
                rows(&h.evaluate(p, &hs.defs).map_err(|e| at_point(grad, p, e))?)
            );
        }
    }
    Ok((s, hs.notes))
}
