//! The primitives. Each family file declares, for its operations, the shape rule,
//! the numeric evaluation and the vector-Jacobian product in one place:
//! `linalg.rs` (sums, products, transpose, inverse, trace, determinants),
//! `elementwise.rs` (Hadamard products, powers, elementwise functions) and
//! `reduce.rs` (sums, norms, softmax, log-sum-exp, diagonals).

mod elementwise;
mod linalg;
mod reduce;

use std::collections::HashMap;

use egg::{Id, Symbol};
use nalgebra::DMatrix;

use crate::error::Result;
use crate::ir::{Dim, Graph, Math, Shape};

/// A numeric value: every value is a matrix, scalars are 1×1.
pub type Value = DMatrix<f64>;

/// How dimensions combine: exact equality after inference, union-find during it.
pub trait DimAlgebra {
    /// A dimension.
    type D: Clone;
    /// The dimension 1.
    fn one(&mut self) -> Self::D;
    /// True when `d` is known to be 1.
    fn is_one(&mut self, d: &Self::D) -> bool;
    /// Makes `a` and `b` equal, or reports that they cannot be.
    fn unify(&mut self, a: &Self::D, b: &Self::D) -> bool;
}

/// A shape over some dimension algebra.
#[derive(Debug, Clone, PartialEq)]
pub struct Sh<D> {
    /// Rows.
    pub rows: D,
    /// Columns.
    pub cols: D,
}

impl<D: Clone> Sh<D> {
    fn t(&self) -> Sh<D> {
        Sh {
            rows: self.cols.clone(),
            cols: self.rows.clone(),
        }
    }
}

/// Why a shape rule failed; the caller turns it into a message naming the operands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mismatch {
    /// The inner dimensions of a product differ.
    Inner,
    /// Two operands must have the same shape (or one be a scalar).
    Same,
    /// Argument `i` must be square.
    Square(usize),
    /// Argument `i` must be a scalar.
    Scalar(usize),
    /// Argument `i` must be a column vector.
    Vector(usize),
}

/// Exact dimensions: the algebra of shapes after inference.
pub struct Exact;

impl DimAlgebra for Exact {
    type D = Dim;
    fn one(&mut self) -> Dim {
        Dim::ONE
    }
    fn is_one(&mut self, d: &Dim) -> bool {
        *d == Dim::ONE
    }
    fn unify(&mut self, a: &Dim, b: &Dim) -> bool {
        a == b
    }
}

pub(crate) fn is_scalar<A: DimAlgebra>(alg: &mut A, s: &Sh<A::D>) -> bool {
    alg.is_one(&s.rows) && alg.is_one(&s.cols)
}

pub(crate) fn unify_shapes<A: DimAlgebra>(alg: &mut A, a: &Sh<A::D>, b: &Sh<A::D>) -> bool {
    alg.unify(&a.rows, &b.rows) && alg.unify(&a.cols, &b.cols)
}

pub(crate) fn require_scalar<A: DimAlgebra>(
    alg: &mut A,
    s: &Sh<A::D>,
    i: usize,
) -> std::result::Result<(), Mismatch> {
    let one = alg.one();
    if alg.unify(&s.rows, &one) && alg.unify(&s.cols, &one) {
        Ok(())
    } else {
        Err(Mismatch::Scalar(i))
    }
}

pub(crate) fn require_square<A: DimAlgebra>(
    alg: &mut A,
    s: &Sh<A::D>,
    i: usize,
) -> std::result::Result<(), Mismatch> {
    if alg.unify(&s.rows, &s.cols) {
        Ok(())
    } else {
        Err(Mismatch::Square(i))
    }
}

pub(crate) fn require_vector<A: DimAlgebra>(
    alg: &mut A,
    s: &Sh<A::D>,
    i: usize,
) -> std::result::Result<(), Mismatch> {
    let one = alg.one();
    if alg.unify(&s.cols, &one) {
        Ok(())
    } else {
        Err(Mismatch::Vector(i))
    }
}

/// Broadcasting shape of `a ∘ b` for elementwise binary operations.
pub(crate) fn broadcast<A: DimAlgebra>(
    alg: &mut A,
    a: &Sh<A::D>,
    b: &Sh<A::D>,
) -> std::result::Result<Sh<A::D>, Mismatch> {
    if is_scalar(alg, a) {
        Ok(b.clone())
    } else if is_scalar(alg, b) || unify_shapes(alg, a, b) {
        Ok(a.clone())
    } else {
        Err(Mismatch::Same)
    }
}

/// The shape rule of an operation with children (not the leaves `Num`, `Var`, `Dim`, `I`).
pub fn shape_rule<A: DimAlgebra>(
    alg: &mut A,
    node: &Math,
    args: &[Sh<A::D>],
) -> std::result::Result<Sh<A::D>, Mismatch> {
    linalg::shape(alg, node, args)
        .or_else(|| elementwise::shape(alg, node, args))
        .or_else(|| reduce::shape(alg, node, args))
        .unwrap_or(Err(Mismatch::Same))
}

/// The exact shape of a node whose children have `args` shapes; `None` if ill-shaped.
pub fn resolved_shape(
    node: &Math,
    vars: &HashMap<Symbol, Shape>,
    args: &[Shape],
    dim_of: impl Fn(Id) -> Option<Dim>,
) -> Option<Shape> {
    match node {
        Math::Num(_) => Some(Shape::scalar()),
        Math::Var(v) => vars.get(v).cloned(),
        Math::Dim(_) => None,
        Math::Eye(d) => dim_of(*d).map(|d| Shape::new(d.clone(), d)),
        _ => {
            if args.len() != node.len() {
                return None;
            }
            let sh: Vec<Sh<Dim>> = args
                .iter()
                .map(|s| Sh {
                    rows: s.rows.clone(),
                    cols: s.cols.clone(),
                })
                .collect();
            shape_rule(&mut Exact, node, &sh)
                .ok()
                .map(|s| Shape::new(s.rows, s.cols))
        }
    }
}

use egg::Language;

/// Evaluates one operation on the values of its children. Errors name the domain problem.
pub fn eval(node: &Math, args: &[&Value]) -> std::result::Result<Value, String> {
    linalg::eval(node, args)
        .or_else(|| elementwise::eval(node, args))
        .or_else(|| reduce::eval(node, args))
        .unwrap_or_else(|| Err(format!("cannot evaluate {node}")))
}

/// The vector-Jacobian product of node `out` (an operation of `g`) with the adjoint `adj`:
/// the contribution to the adjoint of each child for which `active` holds.
pub fn vjp(g: &mut Graph, out: Id, adj: Id, active: &dyn Fn(Id) -> bool) -> Result<Vec<(Id, Id)>> {
    let node = g.node(out).clone();
    if let Some(r) = linalg::vjp(g, &node, out, adj, active) {
        return r;
    }
    if let Some(r) = elementwise::vjp(g, &node, out, adj, active) {
        return r;
    }
    reduce::vjp(g, &node, out, adj, active).unwrap_or_else(|| {
        Err(crate::error::Error::new(
            crate::error::ErrorKind::Internal,
            format!("no derivative is known for the operation `{node}`"),
        ))
    })
}

/// The function names of the language with their operations (all of one argument).
pub fn function(name: &str) -> Option<fn(Id) -> Math> {
    Some(match name {
        "tr" => Math::Trace,
        "det" => Math::Det,
        "logdet" => Math::LogDet,
        "inv" => Math::Inv,
        "norm2" => Math::Norm2,
        "norm" => Math::Norm,
        "sum" => Math::Sum,
        "ones" => Math::Ones,
        "exp" => Math::Exp,
        "log" => Math::Log,
        "sin" => Math::Sin,
        "cos" => Math::Cos,
        "tanh" => Math::Tanh,
        "sqrt" => Math::Sqrt,
        "abs" => Math::Abs,
        "sign" => Math::Sign,
        "sigmoid" | "σ" => Math::Sigmoid,
        "relu" => Math::Relu,
        "step" => Math::Step,
        "softplus" => Math::Softplus,
        "swish" => Math::Swish,
        "softmax" => Math::Softmax,
        "logsumexp" => Math::LogSumExp,
        _ => return None,
    })
}

/// Every function name the language knows (for "did you mean" hints).
pub const FUNCTION_NAMES: &[&str] = &[
    "tr",
    "det",
    "logdet",
    "inv",
    "norm2",
    "norm",
    "sum",
    "diag",
    "ones",
    "exp",
    "log",
    "sin",
    "cos",
    "tanh",
    "sqrt",
    "abs",
    "sign",
    "sigmoid",
    "σ",
    "relu",
    "step",
    "softplus",
    "swish",
    "softmax",
    "logsumexp",
];

/// The adjoints of the active operands of a broadcasting binary operation:
/// `fx`/`fy` build each contribution, summed when that operand was a broadcast scalar.
pub(crate) fn binary(
    b: &mut Build,
    x: Id,
    y: Id,
    active: &dyn Fn(Id) -> bool,
    fx: impl FnOnce(&mut Build) -> Result<Id>,
    fy: impl FnOnce(&mut Build) -> Result<Id>,
) -> Result<Vec<(Id, Id)>> {
    let mut v = Vec::new();
    if active(x) {
        let c = fx(b)?;
        v.push((x, b.unbroadcast(x, c)?));
    }
    if active(y) {
        let c = fy(b)?;
        v.push((y, b.unbroadcast(y, c)?));
    }
    Ok(v)
}

/// Helpers shared by the families for building adjoint expressions.
pub(crate) struct Build<'a> {
    pub g: &'a mut Graph,
}

impl Build<'_> {
    pub fn n(&mut self, node: Math) -> Result<Id> {
        self.g.add(node)
    }
    pub fn int(&mut self, k: i64) -> Result<Id> {
        self.g.int(k)
    }
    pub fn scalar(&self, id: Id) -> bool {
        self.g.shape(id).is_scalar()
    }
    pub fn t(&mut self, a: Id) -> Result<Id> {
        if self.scalar(a) {
            Ok(a)
        } else {
            self.n(Math::Transpose(a))
        }
    }
    pub fn mul(&mut self, a: Id, b: Id) -> Result<Id> {
        self.n(Math::Mul([a, b]))
    }
    pub fn neg(&mut self, a: Id) -> Result<Id> {
        self.n(Math::Neg(a))
    }
    pub fn had(&mut self, a: Id, b: Id) -> Result<Id> {
        if self.scalar(a) || self.scalar(b) {
            self.mul(a, b)
        } else {
            self.n(Math::Hadamard([a, b]))
        }
    }
    /// ⟨a, b⟩ = sum of a ∘ b, written as aᵀb for vectors and tr(aᵀb) for matrices.
    pub fn inner(&mut self, a: Id, b: Id) -> Result<Id> {
        let sa = self.g.shape(a);
        if sa.is_scalar() {
            return self.mul(a, b);
        }
        let at = self.t(a)?;
        let p = self.mul(at, b)?;
        if sa.cols == Dim::ONE {
            Ok(p)
        } else {
            self.n(Math::Trace(p))
        }
    }
    /// The adjoint of an operand that was broadcast to the output's shape: summed when scalar.
    pub fn unbroadcast(&mut self, operand: Id, adj: Id) -> Result<Id> {
        if self.scalar(operand) && !self.scalar(adj) {
            self.n(Math::Sum(adj))
        } else {
            Ok(adj)
        }
    }
}

/// True for operations applied entry by entry (exp, log, σ, relu, …).
pub fn is_elementwise(node: &Math) -> bool {
    elementwise::unary(node).is_some()
}
