//! The primitives. Each family file declares its operations as entries of the
//! registry ([`registry::Primitive`]: names, shape rule, evaluation, derivatives,
//! FLOPs, facts, sampling domain, spellings): `linalg.rs` (sums, products,
//! transpose, inverse, trace, determinants), `elementwise.rs` (Hadamard products,
//! powers, elementwise functions) and `reduce.rs` (sums, norms, softmax,
//! log-sum-exp, diagonals). This file holds what they share and the dispatchers.

mod elementwise;
mod linalg;
mod reduce;
pub mod registry;

pub use registry::{Diff, Domain, Local, Primitive, ShapeRule, Spelling, function, function_names};

use std::collections::HashMap;

use egg::{Id, Language, Symbol};
use nalgebra::DMatrix;

use crate::error::{Error, ErrorKind, Result};
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
    match registry::of(node) {
        Some(p) if args.len() == p.arity => p.shape.apply(alg, args),
        _ => Err(Mismatch::Same),
    }
}

/// An empty graph over the primitives, knowing the shapes of its variables.
pub fn graph(vars: HashMap<Symbol, Shape>) -> Graph {
    Graph::new(vars, resolved_shape)
}

/// The exact shape of a node whose children have `args` shapes; `None` if ill-shaped.
pub fn resolved_shape(
    node: &Math,
    vars: &HashMap<Symbol, Shape>,
    args: &[Shape],
    dim_of: &dyn Fn(Id) -> Option<Dim>,
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
            // No allocation: this runs for every node an e-graph makes.
            let sh: smallvec::SmallVec<[Sh<Dim>; 2]> = args
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

/// Evaluates one operation on the values of its children. Errors name the domain problem.
pub fn eval(node: &Math, args: &[&Value]) -> std::result::Result<Value, String> {
    match registry::of(node) {
        Some(p) if args.len() == p.arity => (p.eval)(args),
        _ => Err(format!("cannot evaluate {node}")),
    }
}

/// The vector-Jacobian product of node `out` (an operation of `g`) with the adjoint `adj`:
/// the contribution to the adjoint of each child for which `active` holds.
pub fn vjp(g: &mut Graph, out: Id, adj: Id, active: &dyn Fn(Id) -> bool) -> Result<Vec<(Id, Id)>> {
    let node = g.node(out).clone();
    let Some(p) = registry::of(&node) else {
        return Err(Error::new(
            ErrorKind::Internal,
            format!("no derivative is known for the operation `{node}`"),
        ));
    };
    let kids = node.children();
    let mut b = Build { g };
    match p.diff {
        Diff::Pointwise(local) => {
            let x = kids[0];
            if !active(x) {
                return Ok(Vec::new());
            }
            let c = match local(&mut b, x, out)? {
                Local::Times(d) => b.had(adj, d)?,
                Local::Over(d) => b.n(Math::EDiv([adj, d]))?,
                Local::Zero => return Ok(Vec::new()),
            };
            Ok(vec![(x, c)])
        }
        Diff::Rule { vjp, .. } => vjp(
            &mut b,
            &registry::VjpSite {
                kids,
                out,
                adj,
                active,
            },
        ),
    }
}

/// The Jacobian-vector product (forward derivative) of node `out` of `g`: its tangent
/// given the tangent `t(c)` of each child `c` (`None`: the child's tangent is zero).
/// `Ok(None)` means the tangent is zero: constants, `ones(A)`, `sign` and `step`
/// (zero almost everywhere), or no child with a tangent. Variables are the caller's
/// business (their tangents are the seeds, see [`crate::forward`]).
pub fn jvp(g: &mut Graph, out: Id, t: &dyn Fn(Id) -> Option<Id>) -> Result<Option<Id>> {
    let node = g.node(out).clone();
    let p = match (&node, registry::of(&node)) {
        (Math::Var(v), _) => {
            return Err(Error::new(
                ErrorKind::Internal,
                format!("internal error: the tangent of the variable `{v}` is a seed, not a JVP"),
            ));
        }
        (_, None) => return Ok(None),
        (_, Some(p)) => p,
    };
    let kids = node.children();
    if kids.iter().all(|&c| t(c).is_none()) {
        return Ok(None);
    }
    let mut b = Build { g };
    match p.diff {
        Diff::Pointwise(local) => {
            let x = kids[0];
            let Some(dx) = t(x) else { return Ok(None) };
            Ok(Some(match local(&mut b, x, out)? {
                Local::Times(d) => b.had(dx, d)?,
                Local::Over(d) => b.n(Math::EDiv([dx, d]))?,
                Local::Zero => return Ok(None),
            }))
        }
        Diff::Rule { jvp, .. } => jvp(&mut b, &registry::JvpSite { kids, out, t }),
    }
}

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

/// Helpers shared by the families (and the derivative drivers) for building
/// derivative expressions into a graph.
pub struct Build<'a> {
    /// The graph built into.
    pub g: &'a mut Graph,
}

impl Build<'_> {
    /// Adds a node.
    pub fn n(&mut self, node: Math) -> Result<Id> {
        self.g.add(node)
    }
    /// An integer.
    pub fn int(&mut self, k: i64) -> Result<Id> {
        self.g.int(k)
    }
    /// True when node `id` is a scalar.
    pub fn scalar(&self, id: Id) -> bool {
        self.g.shape(id).is_scalar()
    }
    /// `aᵀ` (a scalar is its own transpose).
    pub fn t(&mut self, a: Id) -> Result<Id> {
        if self.scalar(a) {
            Ok(a)
        } else {
            self.n(Math::Transpose(a))
        }
    }
    /// The product `ab`.
    pub fn mul(&mut self, a: Id, b: Id) -> Result<Id> {
        self.n(Math::Mul([a, b]))
    }
    /// `−a`.
    pub fn neg(&mut self, a: Id) -> Result<Id> {
        self.n(Math::Neg(a))
    }
    /// `a ∘ b`, a product when either is a scalar.
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
    /// A tangent `d` of an operand broadcast to `out`'s shape: a scalar becomes `d·ones(out)`.
    pub fn broadcast_to(&mut self, d: Id, out: Id) -> Result<Id> {
        if self.scalar(d) && !self.scalar(out) {
            let ones = self.n(Math::Ones(out))?;
            self.mul(d, ones)
        } else {
            Ok(d)
        }
    }
    /// `a + b` where either may be absent (zero).
    pub fn add_opt(&mut self, a: Option<Id>, b: Option<Id>) -> Result<Option<Id>> {
        Ok(match (a, b) {
            (Some(x), Some(y)) => Some(self.n(Math::Add([x, y]))?),
            (x, None) => x,
            (None, y) => y,
        })
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
    registry::of(node).is_some_and(Primitive::is_pointwise)
}
