//! Reading the Jacobian matrix off a directional derivative.
//!
//! Forward mode ([`crate::forward`]) gives the tangent `ḟ` of the objective along a
//! direction symbol `ξ` (the variable's `dV`), as an expression linear in `ξ`. This
//! pass walks that expression and writes it as `J ξ` (or `(J ξ)ᵀ` for a row), pushing
//! `ξ` to the right through every operation that forward mode produces:
//!
//! - a vector-valued node is `J ξ` with `J` a matrix (`A ξ` gives `A`, `a ∘ ξ` gives
//!   `diag(a)`, `s(tᵀξ)` gives `stᵀ`, `ξ − 1(sᵀξ)` gives `I − 1sᵀ`), a row `(J ξ)ᵀ`;
//! - a matrix-valued intermediate (`ξxᵀ + xξᵀ`, `diag(ξ)`, `(sᵀξ)·C`) is a sum of
//!   terms `L · core · R` with constant `L`, `R` and one of the cores `J ξ`, `(J ξ)ᵀ`,
//!   `diag(J ξ)` or `(rξ)·C`; products, transposes, traces, sums, diagonals and
//!   elementwise products with constants map these forms to themselves, and once a
//!   node is a vector again its terms collapse to one `J` (`(u ξᵀ)c = u cᵀ ξ`,
//!   `L diag(Jξ) r = L diag(r) J ξ`).
//!
//! The one form this cannot express is an elementwise product of a constant with a
//! general term `L diag(Jξ) R`; there the caller falls back to the directional form.

use std::collections::HashMap;

use egg::{Id, Language, Symbol};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Dim, Math, Shape};
use crate::ops::Build;

mod terms;

/// The part of a term that carries the direction `ξ` (an n-vector).
#[derive(Debug, Clone, Copy)]
enum Core {
    /// `J ξ`, a column (J is k×n).
    Col(Id),
    /// `(J ξ)ᵀ`, a row.
    Row(Id),
    /// `diag(J ξ)`, a diagonal matrix.
    Diag(Id),
    /// `(r ξ)·C`: a scalar (r is 1×n) times a constant matrix.
    Scal(Id, Id),
}

/// `left · core · right`; `None` is the identity.
#[derive(Debug, Clone, Copy)]
struct Term {
    left: Option<Id>,
    core: Core,
    right: Option<Id>,
}

/// A linear expression in ξ: a sum of terms.
type Lin = Vec<Term>;

/// Why a tangent could not be read as a matrix.
pub(super) fn unsupported(what: &str) -> Error {
    Error::new(
        ErrorKind::NotDifferentiable,
        format!("the Jacobian matrix cannot be read off {what}"),
    )
}

pub(super) struct Readoff<'a> {
    b: Build<'a>,
    dir: Symbol,
    /// The variable is a row vector (its tangent is ξᵀ).
    row_var: bool,
    /// The length of ξ.
    n: Dim,
    /// Which nodes depend on ξ (`ones(·)` never does).
    depends: Vec<bool>,
    /// Which nodes contain ξ at all.
    contains: Vec<bool>,
    memo: HashMap<Id, Lin>,
    clean_memo: HashMap<Id, Id>,
    reps: HashMap<Shape, Id>,
}

impl<'a> Readoff<'a> {
    /// A reader for tangents along the direction symbol `dir` of a variable of shape `var`.
    pub(super) fn new(g: &'a mut crate::ir::Graph, dir: Symbol, var: &Shape) -> Readoff<'a> {
        let row_var = var.rows == Dim::ONE && var.cols != Dim::ONE;
        let n = if row_var {
            var.cols.clone()
        } else {
            var.rows.clone()
        };
        Readoff {
            b: Build { g },
            dir,
            row_var,
            n,
            depends: Vec::new(),
            contains: Vec::new(),
            memo: HashMap::new(),
            clean_memo: HashMap::new(),
            reps: HashMap::new(),
        }
    }

    /// The Jacobian matrix `J` of the tangent `t`: `t = J ξ` for a scalar or column
    /// `t`, `t = (J ξ)ᵀ` for a row.
    pub(super) fn matrix(&mut self, t: Id) -> Result<Id> {
        self.scan();
        let s = self.shape(t);
        if s.rows != Dim::ONE && s.cols != Dim::ONE {
            return Err(unsupported(&format!("a {s} matrix")));
        }
        let lin = self.lin(t)?;
        if s.cols == Dim::ONE {
            self.col_sum(&lin)
        } else {
            let t = self.transpose(&lin)?;
            self.col_sum(&t)
        }
    }

    fn scan(&mut self) {
        let g = &self.b.g;
        let len = g.len();
        self.depends = vec![false; len];
        self.contains = vec![false; len];
        for i in 0..len {
            let node = g.node(Id::from(i));
            let own = matches!(node, Math::Var(v) if *v == self.dir);
            let kids = node.children();
            self.contains[i] = own || kids.iter().any(|c| self.contains[usize::from(*c)]);
            self.depends[i] = own
                || (!matches!(node, Math::Ones(_))
                    && kids.iter().any(|c| self.depends[usize::from(*c)]));
            if !self.contains[i] && !matches!(node, Math::Dim(_)) {
                let shape = g.shape(Id::from(i));
                let better = match self.reps.get(&shape) {
                    None => true,
                    Some(&old) => {
                        matches!(node, Math::Var(_)) && !matches!(g.node(old), Math::Var(_))
                    }
                };
                if better {
                    self.reps.insert(shape, Id::from(i));
                }
            }
        }
    }

    fn shape(&self, id: Id) -> Shape {
        self.b.g.shape(id)
    }
    fn dep(&self, id: Id) -> bool {
        self.depends.get(usize::from(id)).copied().unwrap_or(false)
    }

    fn lin(&mut self, id: Id) -> Result<Lin> {
        if let Some(l) = self.memo.get(&id) {
            return Ok(l.clone());
        }
        let l = self.compute(id)?;
        let l = self.normalize(l, &self.shape(id))?;
        self.memo.insert(id, l.clone());
        Ok(l)
    }

    fn compute(&mut self, id: Id) -> Result<Lin> {
        let node = self.b.g.node(id).clone();
        let out = self.shape(id);
        match node {
            Math::Var(v) if v == self.dir => {
                let j = if self.n == Dim::ONE {
                    self.b.int(1)?
                } else {
                    self.b.g.eye(self.n.clone())?
                };
                let core = if self.row_var {
                    Core::Row(j)
                } else {
                    Core::Col(j)
                };
                Ok(vec![term(core)])
            }
            Math::Add([a, c]) => {
                let mut x = self.operand(a, &out)?;
                x.extend(self.operand(c, &out)?);
                Ok(x)
            }
            Math::Neg(a) => {
                let x = self.lin(a)?;
                x.iter().map(|t| self.neg_term(t)).collect()
            }
            Math::Mul([a, c]) | Math::Hadamard([a, c]) => {
                let had = matches!(node, Math::Hadamard(_));
                match (self.dep(a), self.dep(c)) {
                    (true, false) => {
                        let x = self.lin(a)?;
                        if had {
                            self.hadamard(&x, a, c, &out)
                        } else {
                            self.times(&x, a, c, false)
                        }
                    }
                    (false, true) => {
                        let x = self.lin(c)?;
                        if had {
                            self.hadamard(&x, c, a, &out)
                        } else {
                            self.times(&x, c, a, true)
                        }
                    }
                    _ => Err(not_linear(&node)),
                }
            }
            Math::Div([a, s]) if !self.dep(s) => {
                let x = self.lin(a)?;
                let s = self.constant(s)?;
                let one = self.b.int(1)?;
                let inv = self.b.n(Math::Div([one, s]))?;
                self.scale(&x, inv)
            }
            Math::EDiv([a, c]) if !self.dep(c) => {
                let x = self.lin(a)?;
                let one = self.b.int(1)?;
                let c = self.constant(c)?;
                let inv = self.b.n(Math::EDiv([one, c]))?;
                // 1 ⊘ c has c's shape; a scalar c broadcast over a scales it.
                if self.b.scalar(inv) {
                    self.scale(&x, inv)
                } else {
                    self.hadamard_const(&x, a, inv, &out)
                }
            }
            Math::Transpose(a) => {
                let x = self.lin(a)?;
                self.transpose(&x)
            }
            Math::Trace(a) => {
                let x = self.lin(a)?;
                self.trace(&x, &self.shape(a))
            }
            Math::Sum(a) => {
                let x = self.lin(a)?;
                let s = self.shape(a);
                let x = if s.rows != Dim::ONE {
                    let ones = self.ones_col(s.rows.clone())?;
                    let ot = self.b.t(ones)?;
                    self.left_mul(&x, ot)?
                } else {
                    x
                };
                let x = self.normalize(x, &Shape::new(Dim::ONE, s.cols.clone()))?;
                if s.cols != Dim::ONE {
                    let ones = self.ones_col(s.cols.clone())?;
                    self.right_mul(&x, ones)
                } else {
                    Ok(x)
                }
            }
            Math::DiagM(a) => {
                let x = self.lin(a)?;
                let j = self.col_sum(&x)?;
                Ok(vec![term(Core::Diag(j))])
            }
            Math::DiagV(a) => {
                let x = self.lin(a)?;
                let mut parts = Vec::new();
                for t in &x {
                    parts.push(self.diagv_term(t)?);
                }
                let j = self.sum_ids(parts)?;
                Ok(vec![term(Core::Col(j))])
            }
            ref n => Err(not_linear(n)),
        }
    }

    /// A summand of a broadcasting sum: a scalar broadcast over `out` is `(rξ)·1`.
    fn operand(&mut self, a: Id, out: &Shape) -> Result<Lin> {
        if !self.dep(a) {
            return Err(unsupported(
                "an expression that is not linear in the direction",
            ));
        }
        let x = self.lin(a)?;
        if self.b.scalar(a) && !out.is_scalar() {
            let ones = self.ones_of(out)?;
            let r = self.col_sum(&x)?;
            return self.scalar_times(r, ones);
        }
        Ok(x)
    }

    /// `x·k` or `k·x` (`left`: the constant is on the left), also scalings both ways.
    fn times(&mut self, x: &Lin, xid: Id, k: Id, left: bool) -> Result<Lin> {
        let k = self.constant(k)?;
        if self.b.scalar(k) {
            return self.scale(x, k);
        }
        if self.b.scalar(xid) {
            let r = self.col_sum(x)?;
            return self.scalar_times(r, k);
        }
        if left {
            self.left_mul(x, k)
        } else {
            self.right_mul(x, k)
        }
    }

    /// `x ∘ k` for a constant `k`.
    fn hadamard(&mut self, x: &Lin, xid: Id, k: Id, out: &Shape) -> Result<Lin> {
        let k = self.constant(k)?;
        if self.b.scalar(k) {
            return self.scale(x, k);
        }
        if self.b.scalar(xid) {
            let r = self.col_sum(x)?;
            return self.scalar_times(r, k);
        }
        self.hadamard_const(x, xid, k, out)
    }

    /// `x ∘ c` for a constant `c` of the shape `out` of the product.
    fn hadamard_const(&mut self, x: &Lin, xid: Id, c: Id, out: &Shape) -> Result<Lin> {
        if self.b.scalar(xid) {
            let r = self.col_sum(x)?;
            return self.scalar_times(r, c);
        }
        if out.cols == Dim::ONE {
            // c ∘ Jξ = diag(c) J ξ
            let j = self.col_sum(x)?;
            let d = self.b.n(Math::DiagM(c))?;
            let j = self.b.mul(d, j)?;
            return Ok(vec![term(Core::Col(j))]);
        }
        if out.rows == Dim::ONE {
            // c ∘ (Jξ)ᵀ = (diag(cᵀ) J ξ)ᵀ
            let xt = self.transpose(x)?;
            let j = self.col_sum(&xt)?;
            let ct = self.b.t(c)?;
            let d = self.b.n(Math::DiagM(ct))?;
            let j = self.b.mul(d, j)?;
            return Ok(vec![term(Core::Row(j))]);
        }
        x.iter().map(|t| self.hadamard_term(t, c)).collect()
    }

    /// One term of a matrix times a constant elementwise: (u vᵀ) ∘ C = diag(u) C diag(v).
    fn hadamard_term(&mut self, t: &Term, c: Id) -> Result<Term> {
        Ok(match t.core {
            Core::Col(j) => {
                let Some(r) = t.right else {
                    return Err(unsupported("an elementwise product"));
                };
                let lj = self.mul_opt(t.left, j)?;
                let rt = self.b.t(r)?;
                let dr = self.b.n(Math::DiagM(rt))?;
                let right = self.b.mul(c, dr)?;
                Term {
                    left: None,
                    core: Core::Diag(lj),
                    right: Some(right),
                }
            }
            Core::Row(j) => {
                let Some(l) = t.left else {
                    return Err(unsupported("an elementwise product"));
                };
                let rtj = match t.right {
                    Some(r) => {
                        let rt = self.b.t(r)?;
                        self.b.mul(rt, j)?
                    }
                    None => j,
                };
                let dl = self.b.n(Math::DiagM(l))?;
                let left = self.b.mul(dl, c)?;
                Term {
                    left: Some(left),
                    core: Core::Diag(rtj),
                    right: None,
                }
            }
            Core::Diag(j) if t.left.is_none() && t.right.is_none() => {
                // diag(Jξ) ∘ C = diag(diag(C) ∘ Jξ)
                let dc = self.b.n(Math::DiagV(c))?;
                let d = self.b.n(Math::DiagM(dc))?;
                let j = self.b.mul(d, j)?;
                term(Core::Diag(j))
            }
            // (diag(y)M) ∘ C = diag(y)(M ∘ C): diag(y) scales rows (columns on the right).
            Core::Diag(j) if t.left.is_none() || t.right.is_none() => match (t.left, t.right) {
                (None, Some(r)) => Term {
                    left: None,
                    core: Core::Diag(j),
                    right: Some(self.b.had(r, c)?),
                },
                (l, _) => Term {
                    left: Some(match l {
                        Some(l) => self.b.had(l, c)?,
                        None => c,
                    }),
                    core: Core::Diag(j),
                    right: None,
                },
            },
            Core::Diag(_) => {
                return Err(unsupported(
                    "an elementwise product of a constant with L·diag(ξ)·R",
                ));
            }
            Core::Scal(r, k) => {
                let k = self.wrap(t, k)?;
                let kc = self.b.had(k, c)?;
                term(Core::Scal(r, kc))
            }
        })
    }

    /// `(rξ)·k` for a row `r` (1×n) and a constant `k` of any shape.
    fn scalar_times(&mut self, r: Id, k: Id) -> Result<Lin> {
        let s = self.shape(k);
        Ok(vec![if s.is_scalar() {
            let j = self.b.mul(k, r)?;
            term(Core::Col(j))
        } else if s.cols == Dim::ONE {
            Term {
                left: Some(k),
                core: Core::Col(r),
                right: None,
            }
        } else if s.rows == Dim::ONE {
            Term {
                left: None,
                core: Core::Col(r),
                right: Some(k),
            }
        } else {
            term(Core::Scal(r, k))
        }])
    }

    /// `s·x` for a scalar constant `s` (applied to each core).
    fn scale(&mut self, x: &Lin, s: Id) -> Result<Lin> {
        x.iter()
            .map(|t| {
                let core = match t.core {
                    Core::Col(j) => Core::Col(self.b.mul(s, j)?),
                    Core::Row(j) => Core::Row(self.b.mul(s, j)?),
                    Core::Diag(j) => Core::Diag(self.b.mul(s, j)?),
                    Core::Scal(r, k) => Core::Scal(r, self.b.mul(s, k)?),
                };
                Ok(Term { core, ..*t })
            })
            .collect()
    }

    fn neg_term(&mut self, t: &Term) -> Result<Term> {
        let core = match t.core {
            Core::Col(j) => Core::Col(self.b.neg(j)?),
            Core::Row(j) => Core::Row(self.b.neg(j)?),
            Core::Diag(j) => Core::Diag(self.b.neg(j)?),
            Core::Scal(r, k) => Core::Scal(r, self.b.neg(k)?),
        };
        Ok(Term { core, ..*t })
    }

    /// `A·x` for a non-scalar constant `A`.
    fn left_mul(&mut self, x: &Lin, a: Id) -> Result<Lin> {
        x.iter()
            .map(|t| {
                Ok(match t.core {
                    Core::Scal(r, k) => {
                        let k = self.wrap(t, k)?;
                        term(Core::Scal(r, self.b.mul(a, k)?))
                    }
                    _ => Term {
                        left: Some(match t.left {
                            Some(l) => self.b.mul(a, l)?,
                            None => a,
                        }),
                        ..*t
                    },
                })
            })
            .collect()
    }

    /// `x·B` for a non-scalar constant `B`.
    fn right_mul(&mut self, x: &Lin, bm: Id) -> Result<Lin> {
        x.iter()
            .map(|t| {
                Ok(match t.core {
                    Core::Scal(r, k) => {
                        let k = self.wrap(t, k)?;
                        term(Core::Scal(r, self.b.mul(k, bm)?))
                    }
                    _ => Term {
                        right: Some(match t.right {
                            Some(r) => self.b.mul(r, bm)?,
                            None => bm,
                        }),
                        ..*t
                    },
                })
            })
            .collect()
    }
}

fn term(core: Core) -> Term {
    Term {
        left: None,
        core,
        right: None,
    }
}

fn t_is_plain(t: &Term) -> bool {
    t.left.is_none() && t.right.is_none()
}

fn not_linear(n: &Math) -> Error {
    Error::new(
        ErrorKind::Internal,
        format!("internal error: `{n}` of the direction in a tangent (not linear)"),
    )
}
