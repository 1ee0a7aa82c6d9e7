//! The matrix of a linear map: given an expression `v(ḋ)` linear in a vector (or
//! scalar) direction `ḋ` of length N, the matrix `M` with `v = M ḋ` (p×N for a
//! p-vector `v`, 1×N for a scalar).
//!
//! Vector and scalar nodes map to their coefficient matrix directly (`A v̇` gives
//! `A·M`, `c ∘ v̇` gives `diag(c)·M`). A matrix-valued node that is linear in ḋ
//! has no coefficient matrix without Kronecker products, so it is only ever
//! entered through a contraction that makes it a vector again, and the constant
//! is pushed inside: `W(ḋ)·c`, `W(ḋ)ᵀ·c` and `tr(C·W(ḋ))` are rewritten by the
//! structure of `W` (`(A W B)c = A W (Bc)`, `(w rᵀ)c = (rᵀc) w`,
//! `tr(C A W) = tr((CA) W)`, `tr(C (Y ∘ W)) = tr((C ∘ Yᵀ) W)`, …). This is how
//! `x'*inv(I + x*x')*x` gets a Hessian matrix although `inv(I + xxᵀ)` depends
//! on x. A structure the rules do not cover (an elementwise function of a
//! matrix times a vector that depends on ḋ, say) is reported as `None`, and the
//! caller prints the directional form instead.

use std::collections::HashMap;

use egg::{Id, Language};

use crate::error::Result;
use crate::ir::{Dim, Graph, Math};

/// `Ok(None)`: not expressible by these rules.
type R = Result<Option<Id>>;

/// Extracts coefficient matrices of expressions linear in the direction `dir`.
pub struct Coef<'a> {
    g: &'a mut Graph,
    dir: Id,
    n: Dim,
    lin: HashMap<Id, bool>,
    memo: HashMap<Id, Option<Id>>,
}

macro_rules! tryo {
    ($e:expr) => {
        match $e? {
            Some(x) => x,
            None => return Ok(None),
        }
    };
}

impl<'a> Coef<'a> {
    /// An extractor for direction node `dir` (a vector or scalar variable) of `g`.
    pub fn new(g: &'a mut Graph, dir: Id) -> Coef<'a> {
        let n = g.shape(dir).rows;
        Coef {
            g,
            dir,
            n,
            lin: HashMap::new(),
            memo: HashMap::new(),
        }
    }

    /// True when node `id` depends on the direction.
    fn lin(&mut self, id: Id) -> bool {
        if id == self.dir {
            return true;
        }
        if let Some(&l) = self.lin.get(&id) {
            return l;
        }
        let kids = self.g.node(id).children().to_vec();
        let l = kids.into_iter().any(|c| self.lin(c));
        self.lin.insert(id, l);
        l
    }

    fn n(&mut self, m: Math) -> Result<Id> {
        self.g.add(m)
    }
    fn mul(&mut self, a: Id, b: Id) -> Result<Id> {
        self.n(Math::Mul([a, b]))
    }
    fn t(&mut self, a: Id) -> Result<Id> {
        if self.scalar(a) {
            Ok(a)
        } else if let Math::Transpose(x) = *self.g.node(a) {
            Ok(x)
        } else {
            self.n(Math::Transpose(a))
        }
    }
    fn neg(&mut self, a: Id) -> Result<Id> {
        self.n(Math::Neg(a))
    }
    fn add(&mut self, a: Option<Id>, b: Option<Id>) -> R {
        Ok(match (a, b) {
            (Some(x), Some(y)) => Some(self.n(Math::Add([x, y]))?),
            _ => None,
        })
    }
    fn scalar(&self, a: Id) -> bool {
        self.g.shape(a).is_scalar()
    }
    fn column(&self, a: Id) -> bool {
        self.g.shape(a).cols == Dim::ONE
    }
    /// `ones(A)` for a node of `like`'s shape that does not depend on ḋ (the
    /// coefficient must not mention the direction).
    fn ones(&mut self, like: Id) -> Result<Option<Id>> {
        if !self.lin(like) {
            return self.n(Math::Ones(like)).map(Some);
        }
        let shape = self.g.shape(like);
        let found = (0..self.g.len()).map(Id::from).find(|&i| {
            !matches!(self.g.node(i), Math::Dim(_)) && self.g.shape(i) == shape && !self.lin(i)
        });
        found.map(|i| self.n(Math::Ones(i))).transpose()
    }
    /// `diag(c)·M` for a column `c`, `c·M` for a scalar.
    fn diag_mul(&mut self, c: Id, m: Id) -> Result<Id> {
        if self.scalar(c) {
            self.mul(c, m)
        } else {
            let d = self.n(Math::DiagM(c))?;
            self.mul(d, m)
        }
    }
    /// The two operands of a binary node, the one that depends on ḋ first; `None`
    /// when both or neither do.
    fn split(&mut self, a: Id, b: Id) -> Option<(Id, Id, bool)> {
        match (self.lin(a), self.lin(b)) {
            (true, false) => Some((a, b, true)),
            (false, true) => Some((b, a, false)),
            _ => None,
        }
    }

    /// The coefficient matrix of a column or scalar node `v` linear in ḋ.
    pub fn of(&mut self, v: Id) -> R {
        if let Some(m) = self.memo.get(&v) {
            return Ok(*m);
        }
        let m = self.compute(v)?;
        self.memo.insert(v, m);
        Ok(m)
    }

    fn compute(&mut self, v: Id) -> R {
        if v == self.dir {
            return Ok(Some(if self.scalar(v) {
                self.g.int(1)?
            } else {
                self.g.eye(self.n.clone())?
            }));
        }
        if !self.column(v) {
            return Ok(None);
        }
        let vec = !self.scalar(v);
        match self.g.node(v).clone() {
            Math::Add([a, b]) => {
                let ta = self.term(a, v)?;
                let tb = self.term(b, v)?;
                match (ta, tb) {
                    (Some(Some(x)), Some(Some(y))) => self.add(Some(x), Some(y)),
                    (Some(x), None) | (None, Some(x)) => Ok(x),
                    _ => Ok(None),
                }
            }
            Math::Neg(a) => {
                let m = tryo!(self.of(a));
                self.neg(m).map(Some)
            }
            Math::Div([a, s]) if !self.lin(s) => {
                let m = tryo!(self.of(a));
                self.n(Math::Div([m, s])).map(Some)
            }
            Math::EDiv([a, c]) if !self.lin(c) => {
                let m = tryo!(self.of(a));
                let m = tryo!(self.broadcast(a, v, m));
                if self.scalar(c) {
                    return self.n(Math::Div([m, c])).map(Some);
                }
                let one = self.g.int(1)?;
                let r = self.n(Math::EDiv([one, c]))?;
                self.diag_mul(r, m).map(Some)
            }
            Math::Hadamard([a, b]) => {
                let Some((x, y, _)) = self.split(a, b) else {
                    return Ok(None);
                };
                let m = tryo!(self.of(x));
                let m = tryo!(self.broadcast(x, v, m));
                self.diag_mul(y, m).map(Some)
            }
            Math::Mul([a, b]) => {
                let Some((x, y, x_left)) = self.split(a, b) else {
                    return Ok(None);
                };
                if self.scalar(y) || self.scalar(x) && vec {
                    // y·x (scaling), or a const vector y times a linear scalar x: y·M.
                    let m = tryo!(self.of(x));
                    return self.mul(y, m).map(Some);
                }
                if !x_left {
                    // A ẋ with A const
                    let m = tryo!(self.of(x));
                    return self.mul(y, m).map(Some);
                }
                // W(ḋ)·c with W a matrix or row
                self.mul_const(x, y)
            }
            Math::Transpose(a) => {
                if self.scalar(a) {
                    return self.of(a);
                }
                // aᵀ for a row a: aᵀ = aᵀ·1
                let one = self.g.int(1)?;
                self.tmul(a, one)
            }
            Math::Trace(a) => self.trace(None, a),
            Math::Sum(a) => {
                if self.scalar(a) {
                    return self.of(a);
                }
                let o = tryo!(self.ones(a));
                let ot = self.t(o)?;
                self.trace(Some(ot), a)
            }
            Math::DiagV(a) => match self.g.node(a).clone() {
                Math::DiagM(w) => self.of(w),
                _ => Ok(None),
            },
            _ => Ok(None),
        }
    }

    /// The coefficient of an operand of a sum `v` (`None` when it is constant); a
    /// linear scalar broadcast over a vector `v` gives `ones·M`.
    fn term(&mut self, x: Id, v: Id) -> Result<Option<Option<Id>>> {
        if !self.lin(x) {
            return Ok(None);
        }
        let Some(m) = self.of(x)? else {
            return Ok(Some(None));
        };
        Ok(Some(self.broadcast(x, v, m)?))
    }

    /// `ones(v)·M` when `x` is a scalar broadcast over the vector `v`.
    fn broadcast(&mut self, x: Id, v: Id, m: Id) -> R {
        if self.scalar(x) && !self.scalar(v) {
            let o = tryo!(self.ones(v));
            self.mul(o, m).map(Some)
        } else {
            Ok(Some(m))
        }
    }

    /// The coefficient of `W·c`: `W` linear (a matrix or a row), `c` constant.
    fn mul_const(&mut self, w: Id, c: Id) -> R {
        if self.column(w) {
            // w·c with c a scalar
            let m = tryo!(self.of(w));
            return self.mul(c, m).map(Some);
        }
        match self.g.node(w).clone() {
            Math::Add([a, b]) => {
                let x = self.sum_part(a, w, c, Self::mul_const)?;
                let y = self.sum_part(b, w, c, Self::mul_const)?;
                self.join(x, y)
            }
            Math::Neg(a) => {
                let m = tryo!(self.mul_const(a, c));
                self.neg(m).map(Some)
            }
            Math::Div([a, s]) if !self.lin(s) => {
                let m = tryo!(self.mul_const(a, c));
                self.n(Math::Div([m, s])).map(Some)
            }
            Math::Mul([a, b]) => {
                let Some((x, y, x_left)) = self.split(a, b) else {
                    return Ok(None);
                };
                if self.scalar(y) {
                    let m = tryo!(self.mul_const(x, c));
                    return self.mul(y, m).map(Some);
                }
                if self.scalar(x) {
                    // (s·Y)c = (Yc)·s
                    let yc = self.mul(y, c)?;
                    let m = tryo!(self.of(x));
                    return self.mul(yc, m).map(Some);
                }
                if x_left {
                    // (X Y) c = X (Y c)
                    let yc = self.mul(y, c)?;
                    self.mul_const(x, yc)
                } else {
                    // (Y X) c = Y (X c)
                    let m = tryo!(self.mul_const(x, c));
                    self.mul(y, m).map(Some)
                }
            }
            Math::Transpose(a) => self.tmul(a, c),
            Math::Hadamard([a, b]) => {
                let Some((x, y, _)) = self.split(a, b) else {
                    return Ok(None);
                };
                self.hadamard_mul(y, x, c)
            }
            Math::EDiv([a, b]) if !self.lin(b) => {
                let one = self.g.int(1)?;
                let r = self.n(Math::EDiv([one, b]))?;
                self.hadamard_mul(r, a, c)
            }
            Math::DiagM(u) => {
                // diag(u)c = u ∘ c
                let m = tryo!(self.of(u));
                self.diag_mul(c, m).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The coefficient of `(Y ∘ X)c`, `X` linear, `Y` constant (a scalar or of X's shape).
    fn hadamard_mul(&mut self, y: Id, x: Id, c: Id) -> R {
        if self.scalar(y) {
            let m = tryo!(self.mul_const(x, c));
            return self.mul(y, m).map(Some);
        }
        if self.column(x) {
            // (y ∘ x)c = c·diag(y) M_x for a column x (c a scalar)
            let m = tryo!(self.of(x));
            let d = self.diag_mul(y, m)?;
            return self.mul(c, d).map(Some);
        }
        match self.g.node(x).clone() {
            Math::Add([a, b]) => {
                let p = self.sum_part(a, x, c, |s, a, c| s.hadamard_mul(y, a, c))?;
                let q = self.sum_part(b, x, c, |s, b, c| s.hadamard_mul(y, b, c))?;
                self.join(p, q)
            }
            Math::Neg(a) => {
                let m = tryo!(self.hadamard_mul(y, a, c));
                self.neg(m).map(Some)
            }
            Math::Mul([a, b]) if self.column(a) && !self.scalar(a) => {
                let rc = self.t(b)?;
                if self.lin(a) && !self.lin(b) {
                    // (Y ∘ w rᵀ)c = w ∘ (Y(r ∘ c)) = diag(Y(r ∘ c)) M_w
                    let rcc = self.n(Math::Hadamard([rc, c]))?;
                    let d = self.mul(y, rcc)?;
                    let m = tryo!(self.of(a));
                    self.diag_mul(d, m).map(Some)
                } else if !self.lin(a) && self.lin(b) {
                    // (Y ∘ a rᵀ)c = a ∘ (Y diag(c) r) = diag(a) Y diag(c) M_r
                    let m = tryo!(self.of(rc));
                    let dc = self.diag_mul(c, m)?;
                    let ydc = self.mul(y, dc)?;
                    self.diag_mul(a, ydc).map(Some)
                } else {
                    Ok(None)
                }
            }
            Math::Hadamard([a, b]) => {
                let Some((x2, z, _)) = self.split(a, b) else {
                    return Ok(None);
                };
                let yz = self.n(Math::Hadamard([y, z]))?;
                self.hadamard_mul(yz, x2, c)
            }
            _ => Ok(None),
        }
    }

    /// The coefficient of `Uᵀc`: `U` linear, `c` constant.
    fn tmul(&mut self, u: Id, c: Id) -> R {
        if self.scalar(u) {
            let m = tryo!(self.of(u));
            return self.mul(c, m).map(Some);
        }
        if self.column(u) {
            // uᵀc = cᵀu
            let ct = self.t(c)?;
            let m = tryo!(self.of(u));
            return self.mul(ct, m).map(Some);
        }
        match self.g.node(u).clone() {
            Math::Add([a, b]) => {
                let x = self.sum_part(a, u, c, Self::tmul)?;
                let y = self.sum_part(b, u, c, Self::tmul)?;
                self.join(x, y)
            }
            Math::Neg(a) => {
                let m = tryo!(self.tmul(a, c));
                self.neg(m).map(Some)
            }
            Math::Div([a, s]) if !self.lin(s) => {
                let m = tryo!(self.tmul(a, c));
                self.n(Math::Div([m, s])).map(Some)
            }
            Math::Transpose(a) => self.mul_const(a, c),
            Math::Mul([a, b]) => {
                let Some((x, y, x_left)) = self.split(a, b) else {
                    return Ok(None);
                };
                if self.scalar(y) {
                    let m = tryo!(self.tmul(x, c));
                    return self.mul(y, m).map(Some);
                }
                if self.scalar(x) {
                    let yt = self.t(y)?;
                    let yc = self.mul(yt, c)?;
                    let m = tryo!(self.of(x));
                    return self.mul(yc, m).map(Some);
                }
                if x_left {
                    // (X Y)ᵀc = Yᵀ (Xᵀc)
                    let yt = self.t(y)?;
                    let m = tryo!(self.tmul(x, c));
                    self.mul(yt, m).map(Some)
                } else {
                    // (Y X)ᵀc = Xᵀ (Yᵀc)
                    let yt = self.t(y)?;
                    let yc = self.mul(yt, c)?;
                    self.tmul(x, yc)
                }
            }
            Math::Hadamard([a, b]) => {
                let Some((x, y, _)) = self.split(a, b) else {
                    return Ok(None);
                };
                let (xt, yt) = (self.t(x)?, self.t(y)?);
                self.hadamard_mul(yt, xt, c)
            }
            Math::DiagM(w) => {
                let m = tryo!(self.of(w));
                self.diag_mul(c, m).map(Some)
            }
            _ => Ok(None),
        }
    }

    /// The coefficient (a row) of `tr(C·U)`: `U` linear and square-making, `C`
    /// constant (`None`: the identity).
    fn trace(&mut self, cm: Option<Id>, u: Id) -> R {
        let lmul = |s: &mut Self, a: Id| -> Result<Id> {
            match cm {
                Some(c) => s.mul(c, a),
                None => Ok(a),
            }
        };
        if self.column(u) {
            // tr(C u) = C u for a row C (or u a scalar)
            let m = tryo!(self.of(u));
            return lmul(self, m).map(Some);
        }
        match self.g.node(u).clone() {
            Math::Add([a, b]) => {
                let x = self.trace_part(cm, a, u)?;
                let y = self.trace_part(cm, b, u)?;
                self.join(x, y)
            }
            Math::Neg(a) => {
                let m = tryo!(self.trace(cm, a));
                self.neg(m).map(Some)
            }
            Math::Div([a, s]) if !self.lin(s) => {
                let m = tryo!(self.trace(cm, a));
                self.n(Math::Div([m, s])).map(Some)
            }
            Math::Transpose(a) => {
                // tr(C aᵀ) = tr(Cᵀ a)
                let ct = match cm {
                    Some(c) => Some(self.t(c)?),
                    None => None,
                };
                self.trace(ct, a)
            }
            Math::Mul([a, b]) => {
                let Some((x, y, x_left)) = self.split(a, b) else {
                    return Ok(None);
                };
                if self.scalar(y) {
                    let m = tryo!(self.trace(cm, x));
                    return self.mul(y, m).map(Some);
                }
                if self.scalar(x) {
                    // tr(C s Y) = tr(CY) s
                    let cy = lmul(self, y)?;
                    let tr = self.n(Math::Trace(cy))?;
                    let m = tryo!(self.of(x));
                    return self.mul(tr, m).map(Some);
                }
                let c2 = if x_left {
                    // tr(C X Y) = tr((Y C) X)
                    match cm {
                        Some(c) => self.mul(y, c)?,
                        None => y,
                    }
                } else {
                    // tr(C Y X) = tr((C Y) X)
                    lmul(self, y)?
                };
                self.trace(Some(c2), x)
            }
            Math::Hadamard([a, b]) => {
                let Some((x, y, _)) = self.split(a, b) else {
                    return Ok(None);
                };
                // tr(C (Y ∘ X)) = tr((C ∘ Yᵀ) X)
                let yt = self.t(y)?;
                let c2 = match cm {
                    Some(c) => self.n(Math::Hadamard([c, yt]))?,
                    None => {
                        let rows = self.g.shape(u).rows;
                        let eye = self.g.eye(rows)?;
                        self.n(Math::Hadamard([eye, yt]))?
                    }
                };
                self.trace(Some(c2), x)
            }
            Math::DiagM(w) => {
                // tr(C diag(w)) = diag(C)ᵀ w
                let m = tryo!(self.of(w));
                match cm {
                    Some(c) => {
                        let d = self.n(Math::DiagV(c))?;
                        let dt = self.t(d)?;
                        self.mul(dt, m).map(Some)
                    }
                    None => {
                        let o = tryo!(self.ones(w));
                        let ot = self.t(o)?;
                        self.mul(ot, m).map(Some)
                    }
                }
            }
            _ => Ok(None),
        }
    }

    fn trace_part(&mut self, cm: Option<Id>, x: Id, u: Id) -> Result<Option<Option<Id>>> {
        if !self.lin(x) {
            return Ok(None);
        }
        if self.scalar(x) && !self.scalar(u) {
            // tr(C (s·1)) = tr(C ones) s
            let Some(o) = self.ones(u)? else {
                return Ok(Some(None));
            };
            let co = match cm {
                Some(c) => self.mul(c, o)?,
                None => o,
            };
            let tr = self.n(Math::Trace(co))?;
            let Some(m) = self.of(x)? else {
                return Ok(Some(None));
            };
            return Ok(Some(Some(self.mul(tr, m)?)));
        }
        Ok(Some(self.trace(cm, x)?))
    }

    /// One operand `x` of a sum `w` under a contraction `f(·, c)`; a scalar broadcast
    /// over the matrix `w` contributes `(ones(w) c)·M`.
    fn sum_part(
        &mut self,
        x: Id,
        w: Id,
        c: Id,
        f: impl FnOnce(&mut Self, Id, Id) -> R,
    ) -> Result<Option<Option<Id>>> {
        if !self.lin(x) {
            return Ok(None);
        }
        if self.scalar(x) && !self.scalar(w) {
            let Some(o) = self.ones(w)? else {
                return Ok(Some(None));
            };
            let oc = self.mul(o, c)?;
            let Some(m) = self.of(x)? else {
                return Ok(Some(None));
            };
            return Ok(Some(Some(self.mul(oc, m)?)));
        }
        Ok(Some(f(self, x, c)?))
    }

    fn join(&mut self, a: Option<Option<Id>>, b: Option<Option<Id>>) -> R {
        match (a, b) {
            (Some(Some(x)), Some(Some(y))) => self.add(Some(x), Some(y)),
            (Some(x), None) | (None, Some(x)) => Ok(x),
            _ => Ok(None),
        }
    }
}
