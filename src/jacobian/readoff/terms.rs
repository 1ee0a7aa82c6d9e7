//! The read-off's operations on single terms `L · core · R`: transposes, traces,
//! diagonals, the collapse of a sum of terms to one matrix, and the constants they
//! build (see the parent module for the forms).

use egg::{Id, Language};

use super::{Core, Lin, Readoff, Term, not_linear, t_is_plain, term, unsupported};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Dim, Math, Shape};

impl Readoff<'_> {
    /// `L·k·R` for the constant of a `Scal` core.
    pub(super) fn wrap(&mut self, t: &Term, k: Id) -> Result<Id> {
        let lk = self.mul_opt(t.left, k)?;
        match t.right {
            Some(r) => self.b.mul(lk, r),
            None => Ok(lk),
        }
    }

    pub(super) fn transpose(&mut self, x: &Lin) -> Result<Lin> {
        x.iter()
            .map(|t| {
                let left = t.right.map(|r| self.b.t(r)).transpose()?;
                let right = t.left.map(|l| self.b.t(l)).transpose()?;
                let core = match t.core {
                    Core::Col(j) => Core::Row(j),
                    Core::Row(j) => Core::Col(j),
                    Core::Diag(j) => Core::Diag(j),
                    Core::Scal(r, k) => {
                        let k = self.wrap(t, k)?;
                        return Ok(term(Core::Scal(r, self.b.t(k)?)));
                    }
                };
                Ok(Term { left, core, right })
            })
            .collect()
    }

    /// tr(x) as a row r with tr(x) = r ξ.
    pub(super) fn trace(&mut self, x: &Lin, shape: &Shape) -> Result<Lin> {
        if shape.is_scalar() {
            return Ok(x.clone());
        }
        let mut parts = Vec::new();
        for t in x {
            parts.push(self.trace_term(t)?);
        }
        let r = self.sum_ids(parts)?;
        Ok(vec![term(Core::Col(r))])
    }

    pub(super) fn trace_term(&mut self, t: &Term) -> Result<Id> {
        // R·L, the cyclic rotation of the term (None: the identity)
        let rl = match (t.right, t.left) {
            (Some(r), Some(l)) => Some(self.b.mul(r, l)?),
            (r, l) => r.or(l),
        };
        match t.core {
            // tr(L Jξ R) = R L J ξ
            Core::Col(j) => self.mul_opt(rl, j),
            // tr(L (Jξ)ᵀ R) = (RL)ᵀ J ξ
            Core::Row(j) => match rl {
                Some(rl) => {
                    let t = self.b.t(rl)?;
                    self.b.mul(t, j)
                }
                None => Ok(j),
            },
            // tr(L diag(Jξ) R) = diag(RL)ᵀ J ξ
            Core::Diag(j) => {
                let d = match rl {
                    Some(rl) => self.b.n(Math::DiagV(rl))?,
                    None => {
                        let k = self.shape(j).rows;
                        self.ones_col(k)?
                    }
                };
                let dt = self.b.t(d)?;
                self.b.mul(dt, j)
            }
            Core::Scal(r, k) => {
                let k = self.wrap(t, k)?;
                let tr = self.b.n(Math::Trace(k))?;
                self.b.mul(tr, r)
            }
        }
    }

    /// diag(term) (the diagonal of a square matrix) as J with diag(term) = J ξ.
    pub(super) fn diagv_term(&mut self, t: &Term) -> Result<Id> {
        match t.core {
            // diag(L Jξ R) = (LJξ) ∘ Rᵀ
            Core::Col(j) => {
                let lj = self.mul_opt(t.left, j)?;
                match t.right {
                    Some(r) => {
                        let rt = self.b.t(r)?;
                        let d = self.b.n(Math::DiagM(rt))?;
                        self.b.mul(d, lj)
                    }
                    None => Ok(lj),
                }
            }
            // diag(L (RᵀJξ)ᵀ) = L ∘ RᵀJξ
            Core::Row(j) => {
                let rtj = match t.right {
                    Some(r) => {
                        let rt = self.b.t(r)?;
                        self.b.mul(rt, j)?
                    }
                    None => j,
                };
                match t.left {
                    Some(l) => {
                        let d = self.b.n(Math::DiagM(l))?;
                        self.b.mul(d, rtj)
                    }
                    None => Ok(rtj),
                }
            }
            // diag(L diag(y) R) = (L ∘ Rᵀ) y
            Core::Diag(j) => {
                let w = match (t.left, t.right) {
                    (None, None) => return Ok(j),
                    (Some(l), None) => {
                        let d = self.b.n(Math::DiagV(l))?;
                        self.b.n(Math::DiagM(d))?
                    }
                    (None, Some(r)) => {
                        let d = self.b.n(Math::DiagV(r))?;
                        self.b.n(Math::DiagM(d))?
                    }
                    (Some(l), Some(r)) => {
                        let rt = self.b.t(r)?;
                        self.b.had(l, rt)?
                    }
                };
                self.b.mul(w, j)
            }
            Core::Scal(r, k) => {
                let k = self.wrap(t, k)?;
                let d = self.b.n(Math::DiagV(k))?;
                self.b.mul(d, r)
            }
        }
    }

    /// Collapses a scalar or column linear expression into its one J; a row into `(Jξ)ᵀ`.
    pub(super) fn normalize(&mut self, x: Lin, shape: &Shape) -> Result<Lin> {
        if x.len() == 1 && t_is_plain(&x[0]) {
            let plain = match (x[0].core, shape.cols == Dim::ONE) {
                (Core::Col(_), true) => true,
                (Core::Row(_), false) => shape.rows == Dim::ONE,
                _ => false,
            };
            if plain {
                return Ok(x);
            }
        }
        if shape.cols == Dim::ONE {
            let j = self.col_sum(&x)?;
            Ok(vec![term(Core::Col(j))])
        } else if shape.rows == Dim::ONE {
            let xt = self.transpose(&x)?;
            let j = self.col_sum(&xt)?;
            Ok(vec![term(Core::Row(j))])
        } else {
            Ok(x)
        }
    }

    /// The J of a scalar or column expression (`x = J ξ`).
    pub(super) fn col_sum(&mut self, x: &Lin) -> Result<Id> {
        let mut parts = Vec::new();
        for t in x {
            parts.push(self.col_matrix(t)?);
        }
        self.sum_ids(parts)
    }

    pub(super) fn col_matrix(&mut self, t: &Term) -> Result<Id> {
        match t.core {
            // L (Jξ) R with R a scalar
            Core::Col(j) => {
                let lj = self.mul_opt(t.left, j)?;
                match t.right {
                    Some(r) => self.b.mul(r, lj),
                    None => Ok(lj),
                }
            }
            // L (Jξ)ᵀ R = L Rᵀ J ξ
            Core::Row(j) => {
                let rtj = match t.right {
                    Some(r) => {
                        let rt = self.b.t(r)?;
                        self.b.mul(rt, j)?
                    }
                    None => j,
                };
                self.mul_opt(t.left, rtj)
            }
            // L diag(Jξ) R = L diag(R) J ξ
            Core::Diag(j) => {
                let dj = match t.right {
                    Some(r) => {
                        let d = self.b.n(Math::DiagM(r))?;
                        self.b.mul(d, j)?
                    }
                    None => j,
                };
                self.mul_opt(t.left, dj)
            }
            Core::Scal(r, k) => {
                let k = self.wrap(t, k)?;
                self.b.mul(k, r)
            }
        }
    }

    pub(super) fn mul_opt(&mut self, a: Option<Id>, c: Id) -> Result<Id> {
        match a {
            Some(a) => self.b.mul(a, c),
            None => Ok(c),
        }
    }

    pub(super) fn sum_ids(&mut self, parts: Vec<Id>) -> Result<Id> {
        let mut it = parts.into_iter();
        let first = it
            .next()
            .ok_or_else(|| Error::new(ErrorKind::Internal, "internal error: an empty sum"))?;
        it.try_fold(first, |acc, p| self.b.n(Math::Add([acc, p])))
    }

    /// A column of ones of length `k`: `ones(v)` for a value `v` of that shape.
    pub(super) fn ones_col(&mut self, k: Dim) -> Result<Id> {
        let s = Shape::new(k.clone(), Dim::ONE);
        if s.is_scalar() {
            return self.b.int(1);
        }
        self.ones_of(&s)
    }

    /// `ones(v)` for a constant `v` of shape `s` (the diagonal of `I` if there is none).
    pub(super) fn ones_of(&mut self, s: &Shape) -> Result<Id> {
        match self.reps.get(s) {
            Some(&v) => self.b.n(Math::Ones(v)),
            None if s.cols == Dim::ONE => {
                let i = self.b.g.eye(s.rows.clone())?;
                self.b.n(Math::DiagV(i))
            }
            None => Err(unsupported(&format!("a broadcast over {s}"))),
        }
    }

    /// A constant as it may appear in J: `ones(·)` of something that contains ξ is
    /// rewritten as `ones(·)` of a constant of the same shape.
    pub(super) fn constant(&mut self, id: Id) -> Result<Id> {
        if !self.contains.get(usize::from(id)).copied().unwrap_or(false) {
            return Ok(id);
        }
        if let Some(&c) = self.clean_memo.get(&id) {
            return Ok(c);
        }
        let node = self.b.g.node(id).clone();
        let c = match node {
            Math::Ones(a) => {
                let s = self.shape(a);
                self.ones_of(&s)?
            }
            Math::Var(_) => return Err(not_linear(&node)),
            mut n => {
                for k in n.children_mut() {
                    *k = self.constant(*k)?;
                }
                self.b.n(n)?
            }
        };
        self.clean_memo.insert(id, c);
        Ok(c)
    }
}
