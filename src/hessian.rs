//! Hessians of scalar and vector variables: the Jacobian of the gradient,
//! propagated forward through the gradient expression. Every intermediate that
//! depends on the variable must be a scalar, a column or a row vector; the
//! Jacobian of a k-vector is a k×n matrix (n the variable's length), built from
//! the same primitives (`diag(d)·J` for elementwise maps, `A·J` for products).

use std::collections::HashMap;

use egg::{Id, Language, Symbol};

use crate::derive::typed_tree;
use crate::error::{Error, ErrorKind, Result};
use crate::gradient::Gradient;
use crate::ir::{Dim, Graph, Math, Shape};
use crate::numeric::Point;
use crate::ops::{self, Build, Value};
use crate::print::Notation;
use crate::simplify::CostKind;
use crate::simplify::cse::Tree;
use crate::simplify::{self, Limits};

/// The Hessian of one variable.
#[derive(Debug, Clone)]
pub struct Hessian {
    /// The variable.
    pub var: String,
    /// The simplified Hessian (`None`: identically zero).
    pub tree: Option<Tree>,
    /// Its shape (n×n, or 1×1 for a scalar variable).
    pub shape: Shape,
}

fn unsupported(what: &str) -> Error {
    Error::new(
        ErrorKind::NotDifferentiable,
        format!(
            "--hessian: the gradient goes through {what}; Hessians are computed where every intermediate that depends on the variable is a scalar or a vector"
        ),
    )
}

struct Jac<'a> {
    b: Build<'a>,
    var: Symbol,
    n: Dim,
    memo: HashMap<Id, Option<Id>>,
}

impl Jac<'_> {
    fn shape(&self, id: Id) -> Shape {
        self.b.g.shape(id)
    }
    fn is_row(&self, id: Id) -> bool {
        let s = self.shape(id);
        s.rows == Dim::ONE && s.cols != Dim::ONE
    }
    fn is_column(&self, id: Id) -> bool {
        self.shape(id).cols == Dim::ONE
    }
    fn add(&mut self, a: Option<Id>, b: Option<Id>) -> Result<Option<Id>> {
        Ok(match (a, b) {
            (Some(x), Some(y)) => Some(self.b.n(Math::Add([x, y]))?),
            (x, None) => x,
            (None, y) => y,
        })
    }
    /// `diag(d)·J` for a column `d`, `d·J` for a scalar.
    fn scale(&mut self, d: Id, j: Option<Id>) -> Result<Option<Id>> {
        let Some(j) = j else { return Ok(None) };
        if self.b.scalar(d) {
            return self.b.mul(d, j).map(Some);
        }
        let dm = self.b.n(Math::DiagM(d))?;
        self.b.mul(dm, j).map(Some)
    }
    /// `a·J` (a matrix, a row or a scalar times J).
    fn left(&mut self, a: Id, j: Option<Id>) -> Result<Option<Id>> {
        j.map(|j| self.b.mul(a, j)).transpose()
    }
    /// The Jacobian of a column (or row, in column form) node; `None` if it is constant.
    fn jac(&mut self, id: Id) -> Result<Option<Id>> {
        if let Some(j) = self.memo.get(&id) {
            return Ok(*j);
        }
        let j = self.compute(id)?;
        self.memo.insert(id, j);
        Ok(j)
    }

    fn compute(&mut self, id: Id) -> Result<Option<Id>> {
        let node = self.b.g.node(id).clone();
        // ones(A) and I depend on shapes only.
        if matches!(
            node,
            Math::Ones(_) | Math::Eye(_) | Math::Num(_) | Math::Dim(_)
        ) {
            return Ok(None);
        }
        if let Math::Mul([a, c]) = node
            && let Math::DiagM(u) = *self.b.g.node(a)
        {
            // diag(u) v = u ∘ v: the matrix diag(u) itself needs no Jacobian.
            let (ju, jc) = (self.jac(u)?, self.jac(c)?);
            let x = self.scale(c, ju)?;
            let y = self.scale(u, jc)?;
            return self.add(x, y);
        }
        let kids: Vec<Id> = node.children().to_vec();
        let mut js = Vec::new();
        for &c in &kids {
            if !matches!(self.b.g.node(c), Math::Dim(_)) {
                js.push(self.jac(c)?);
            } else {
                js.push(None);
            }
        }
        let is_var = matches!(node, Math::Var(v) if v == self.var);
        if js.iter().all(Option::is_none) && !is_var {
            return Ok(None);
        }
        let s = self.shape(id);
        if !(s.cols == Dim::ONE || s.rows == Dim::ONE) {
            return Err(unsupported(&format!("a {s} matrix")));
        }
        Ok(match node {
            Math::Var(v) if v == self.var => {
                if s.is_scalar() {
                    Some(self.b.int(1)?)
                } else {
                    Some(self.b.g.eye(self.n.clone())?)
                }
            }
            Math::Var(_) => None,
            Math::Add([a, c]) => {
                let ja = self.broadcast(a, id, js[0])?;
                let jc = self.broadcast(c, id, js[1])?;
                self.add(ja, jc)?
            }
            Math::Neg(_) => js[0].map(|j| self.b.neg(j)).transpose()?,
            Math::Transpose(_) => js[0],
            Math::Mul([a, c]) => self.product(a, c, js[0], js[1])?,
            Math::Hadamard([a, c]) => {
                if self.b.scalar(a) || self.b.scalar(c) {
                    self.product(a, c, js[0], js[1])?
                } else if self.is_column(a) {
                    let x = self.scale(c, js[0])?;
                    let y = self.scale(a, js[1])?;
                    self.add(x, y)?
                } else {
                    return Err(unsupported("an elementwise product of rows"));
                }
            }
            Math::Div([a, t]) => {
                let x = js[0].map(|j| self.b.n(Math::Div([j, t]))).transpose()?;
                let y = match js[1] {
                    None => None,
                    Some(jt) => {
                        let two = self.b.int(2)?;
                        let t2 = self.b.n(Math::Pow([t, two]))?;
                        let q = self.b.n(Math::Div([a, t2]))?;
                        let p = self.b.mul(q, jt)?;
                        Some(self.b.neg(p)?)
                    }
                };
                self.add(x, y)?
            }
            Math::EDiv([a, c]) => {
                let one = self.b.int(1)?;
                let inv = self.b.n(Math::EDiv([one, c]))?;
                let x = self.scale_any(inv, a, id, js[0])?;
                let y = match js[1] {
                    None => None,
                    Some(_) => {
                        let two = self.b.int(2)?;
                        let c2 = self.b.n(Math::EPow([c, two]))?;
                        let q = self.b.n(Math::EDiv([a, c2]))?;
                        let nq = self.b.neg(q)?;
                        self.scale_any(nq, c, id, js[1])?
                    }
                };
                self.add(x, y)?
            }
            Math::Pow([a, k]) | Math::EPow([a, k]) => {
                if js[1].is_some() {
                    return Err(unsupported(
                        "a power whose exponent depends on the variable",
                    ));
                }
                let km1 = {
                    let m1 = self.b.int(-1)?;
                    self.b.n(Math::Add([k, m1]))?
                };
                let p = self.b.n(Math::EPow([a, km1]))?;
                let d = self.b.mul(k, p)?;
                self.scale(d, js[0])?
            }
            Math::Sum(a) => {
                if self.b.scalar(a) {
                    js[0]
                } else if self.is_column(a) {
                    let ones = self.b.n(Math::Ones(a))?;
                    let ot = self.b.t(ones)?;
                    self.left(ot, js[0])?
                } else {
                    return Err(unsupported("the sum of a matrix"));
                }
            }
            Math::Norm2(a) => {
                let two = self.b.int(2)?;
                let at = self.b.t(a)?;
                let p = self.b.mul(two, at)?;
                self.left(p, js[0])?
            }
            Math::Norm(a) => {
                let at = self.b.t(a)?;
                let q = self.b.n(Math::Div([at, id]))?;
                self.left(q, js[0])?
            }
            Math::Softmax(_) => {
                // J_softmax = diag(s) − ssᵀ
                let Some(j) = js[0] else { return Ok(None) };
                let dj = self.scale(id, Some(j))?.unwrap_or(j);
                let st = self.b.t(id)?;
                let stj = self.b.mul(st, j)?;
                let outer = self.b.mul(id, stj)?;
                let no = self.b.neg(outer)?;
                Some(self.b.n(Math::Add([dj, no]))?)
            }
            Math::LogSumExp(a) => {
                let s = self.b.n(Math::Softmax(a))?;
                let st = self.b.t(s)?;
                self.left(st, js[0])?
            }
            ref n if ops::is_elementwise(n) => {
                let a = kids[0];
                let one = self.b.int(1)?;
                let parts = ops::vjp(self.b.g, id, one, &|c| c == a)?;
                match parts.first() {
                    Some(&(_, d)) => self.scale(d, js[0])?,
                    None => None,
                }
            }
            ref n => {
                return Err(unsupported(&format!(
                    "`{n}` of something that depends on the variable"
                )));
            }
        })
    }

    /// The Jacobian of an operand broadcast to `out`'s shape.
    fn broadcast(&mut self, operand: Id, out: Id, j: Option<Id>) -> Result<Option<Id>> {
        let Some(j) = j else { return Ok(None) };
        if self.b.scalar(operand) && !self.b.scalar(out) {
            let ones = self.b.n(Math::Ones(out))?;
            return self.b.mul(ones, j).map(Some);
        }
        Ok(Some(j))
    }

    /// `diag(d)·J_operand` where `d` is a column or a scalar broadcast over `out`.
    fn scale_any(&mut self, d: Id, operand: Id, out: Id, j: Option<Id>) -> Result<Option<Id>> {
        let j = self.broadcast(operand, out, j)?;
        self.scale(d, j)
    }

    fn product(&mut self, a: Id, c: Id, ja: Option<Id>, jc: Option<Id>) -> Result<Option<Id>> {
        let (sa, sc) = (self.b.scalar(a), self.b.scalar(c));
        if sa || sc {
            // s·v: s J_v + v J_s (v a column, J_s a row)
            let x = self.left(a, jc)?;
            let y = match ja {
                Some(j) => Some(self.b.mul(c, j)?),
                None => None,
            };
            return self.add(x, y);
        }
        if self.is_row(a) && self.is_column(c) {
            // uᵀv: uᵀ J_v + vᵀ J_u
            let x = self.left(a, jc)?;
            let ct = self.b.t(c)?;
            let y = self.left(ct, ja)?;
            return self.add(x, y);
        }
        if self.is_column(c) && ja.is_none() {
            return self.left(a, jc);
        }
        if self.is_row(a) && jc.is_none() {
            // (uᵀA)ᵀ = Aᵀu
            let ct = self.b.t(c)?;
            return self.left(ct, ja);
        }
        Err(unsupported(
            "a product with a matrix that depends on the variable",
        ))
    }
}

/// The Hessian of each vector or scalar variable of `grad`.
pub fn hessians(grad: &Gradient) -> Result<Vec<Hessian>> {
    let d = &grad.derivation;
    let mut out = Vec::new();
    for (var, expr) in d.vars.iter().zip(&d.exprs) {
        let input = grad
            .model
            .input(var)
            .ok_or_else(|| Error::new(ErrorKind::Internal, "unknown variable"))?;
        if input.shape.cols != Dim::ONE {
            return Err(Error::new(
                ErrorKind::NotDifferentiable,
                format!(
                    "--hessian is for scalar and vector variables; `{var}` is {}",
                    input.shape
                ),
            ));
        }
        let n = input.shape.rows.clone();
        let shape = Shape::new(n.clone(), n.clone());
        let Some(t) = expr else {
            out.push(Hessian {
                var: var.clone(),
                tree: None,
                shape,
            });
            continue;
        };
        let mut t = t.clone();
        for def in d.defs.iter().rev() {
            t = t.substitute(&HashMap::from([(def.name, def.tree.clone())]));
        }
        let (mut g, root) = typed_tree(grad.model.graph.vars.clone(), &t)?;
        let mut jac = Jac {
            b: Build { g: &mut g },
            var: Symbol::from(var.as_str()),
            n,
            memo: HashMap::new(),
        };
        let h = jac.jac(root)?;
        let tree = match h {
            None => None,
            Some(h) => Some(simplify_one(grad, &g, h)?),
        };
        out.push(Hessian {
            var: var.clone(),
            tree,
            shape,
        });
    }
    Ok(out)
}

fn simplify_one(grad: &Gradient, g: &Graph, h: Id) -> Result<Tree> {
    let facts = crate::derive::input_facts(&grad.model);
    let e = g.extract(h);
    let (mut r, _) = simplify::simplify(&[e], &facts, &[], &CostKind::Compact, &Limits::default())?;
    Ok(Tree::from_root(&r.remove(0)))
}

impl Hessian {
    /// The Hessian in a notation.
    pub fn show(&self, grad: &Gradient, notation: Notation) -> String {
        match &self.tree {
            Some(t) => grad.derivation.show(&grad.model, t, notation, false),
            None => "0".into(),
        }
    }

    /// Its value at a point (an n×n matrix).
    pub fn evaluate(&self, grad: &Gradient, point: &Point) -> Result<Value> {
        let n = point.size(&self.shape.rows).unwrap_or(1);
        let Some(t) = &self.tree else {
            return Ok(Value::zeros(n, n));
        };
        let (g, root) = typed_tree(grad.model.graph.vars.clone(), t)?;
        let v = crate::numeric::evaluate(&g.expr, point)?[usize::from(root)].clone();
        Ok(if v.shape() == (1, 1) && n > 1 {
            Value::from_element(n, n, v[(0, 0)])
        } else {
            v
        })
    }
}
