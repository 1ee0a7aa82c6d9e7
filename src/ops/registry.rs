//! The registry of primitives: one [`Primitive`] per operation, declared in its
//! family's file (`linalg.rs`, `elementwise.rs`, `reduce.rs`), holding everything
//! matgrad knows about it. The shape inference, the evaluator, reverse and
//! forward mode, the printer, the cost models, the fact analysis and the
//! sampling of test points all read it; none of them lists the operations again.

use std::mem::Discriminant;
use std::sync::OnceLock;

use egg::{FromOp, Id, Symbol};
use rustc_hash::FxHashMap;

use super::{Build, DimAlgebra, Mismatch, Sh, Value};
use crate::error::Result;
use crate::ir::Math;
use crate::structure::Props;

/// Everything about one operation.
#[derive(Debug)]
pub struct Primitive {
    /// Its name in the intermediate language and in the rules (`exp`, `*`, `T`).
    pub op: &'static str,
    /// What a user types to call it (`sigmoid`, `σ`); empty for operators.
    pub names: &'static [&'static str],
    /// Number of operands.
    pub arity: usize,
    /// Its shape rule.
    pub shape: ShapeRule,
    /// Its value from the values of its operands (an error names the domain problem).
    pub eval: fn(&[&Value]) -> std::result::Result<Value, String>,
    /// Its derivative: reverse (VJP) and forward (JVP) products.
    pub diff: Diff,
    /// The identity behind the derivative, and where it comes from.
    pub derivative: Derivative,
    /// Floating-point operations, from the output's and operands' (rows, cols).
    pub flops: FlopsFn,
    /// The structural facts of its result from those of its operands (the facts that
    /// need the whole e-graph, such as AAᵀ being symmetric, are the analysis's).
    pub facts: fn(&FactsIn) -> Props,
    /// Where each operand must be drawn for a numeric test.
    pub domain: &'static [Domain],
    /// How it prints in the three notations.
    pub print: Print,
    /// How the code targets spell it, `{0}`, `{1}` standing for the operands.
    pub code: Code,
}

/// How the shape of the result follows from the operands' shapes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ShapeRule {
    /// The operand's shape (`neg`, elementwise maps, `ones`).
    Same,
    /// Two operands of one shape, or one of them a scalar (`+`, `.*`, `./`).
    Broadcast,
    /// A matrix product, or a scaling when one side is a scalar.
    Product,
    /// The transposed shape.
    Transpose,
    /// A square operand, same shape out (`inv`).
    Square,
    /// A square operand, a scalar out (`tr`, `det`, `logdet`).
    SquareToScalar,
    /// Any operand, a scalar out (`sum`, `norm2`).
    ToScalar,
    /// The first operand's shape; the second must be a scalar (`/`, `.^`).
    ScaledBy,
    /// Two scalars (`^`).
    Scalars,
    /// A column vector, same shape out (`softmax`).
    Vector,
    /// A column vector, a scalar out (`logsumexp`).
    VectorToScalar,
    /// A column vector n, an n×n matrix out (`diag(v)`).
    VectorToDiagonal,
    /// A square n×n matrix, a column n out (`diag(A)`).
    SquareToVector,
    /// A square matrix and a scalar exponent, same shape out (`mpow`).
    SquarePower,
}

impl ShapeRule {
    /// The result's shape over any dimension algebra (exact, or unification during inference).
    pub fn apply<A: DimAlgebra>(
        self,
        alg: &mut A,
        a: &[Sh<A::D>],
    ) -> std::result::Result<Sh<A::D>, Mismatch> {
        use super::{broadcast, is_scalar, require_scalar, require_square, require_vector};
        let one = |alg: &mut A| Sh {
            rows: alg.one(),
            cols: alg.one(),
        };
        match self {
            ShapeRule::Same => Ok(a[0].clone()),
            ShapeRule::Broadcast => broadcast(alg, &a[0], &a[1]),
            ShapeRule::Product => {
                if is_scalar(alg, &a[0]) {
                    Ok(a[1].clone())
                } else if is_scalar(alg, &a[1]) {
                    Ok(a[0].clone())
                } else if alg.unify(&a[0].cols, &a[1].rows) {
                    Ok(Sh {
                        rows: a[0].rows.clone(),
                        cols: a[1].cols.clone(),
                    })
                } else {
                    Err(Mismatch::Inner)
                }
            }
            ShapeRule::Transpose => Ok(a[0].t()),
            ShapeRule::Square => require_square(alg, &a[0], 0).map(|_| a[0].clone()),
            ShapeRule::SquareToScalar => require_square(alg, &a[0], 0).map(|_| one(alg)),
            ShapeRule::ToScalar => Ok(one(alg)),
            ShapeRule::ScaledBy => require_scalar(alg, &a[1], 1).map(|_| a[0].clone()),
            ShapeRule::Scalars => require_scalar(alg, &a[0], 0)
                .and_then(|_| require_scalar(alg, &a[1], 1))
                .map(|_| a[0].clone()),
            ShapeRule::Vector => require_vector(alg, &a[0], 0).map(|_| a[0].clone()),
            ShapeRule::VectorToScalar => require_vector(alg, &a[0], 0).map(|_| one(alg)),
            ShapeRule::VectorToDiagonal => require_vector(alg, &a[0], 0).map(|_| Sh {
                rows: a[0].rows.clone(),
                cols: a[0].rows.clone(),
            }),
            ShapeRule::SquareToVector => require_square(alg, &a[0], 0).map(|_| Sh {
                rows: a[0].rows.clone(),
                cols: alg.one(),
            }),
            ShapeRule::SquarePower => require_square(alg, &a[0], 0)
                .and_then(|_| require_scalar(alg, &a[1], 1))
                .map(|_| a[0].clone()),
        }
    }
}

/// Where a reverse-mode product is taken: the node's operands, the node itself, its
/// adjoint, and which operands need an adjoint.
pub struct VjpSite<'a> {
    /// The operands.
    pub kids: &'a [Id],
    /// The node (its value is reused by some derivatives: exp, inv, det).
    pub out: Id,
    /// The adjoint of the node.
    pub adj: Id,
    /// True for operands that need an adjoint.
    pub active: &'a dyn Fn(Id) -> bool,
}

/// Where a forward-mode product is taken: the node's operands, the node itself and
/// the tangent of each operand.
pub struct JvpSite<'a> {
    /// The operands.
    pub kids: &'a [Id],
    /// The node (its value is reused by some derivatives: inv, det, softmax).
    pub out: Id,
    /// The tangent of an operand (`None`: zero).
    pub t: &'a dyn Fn(Id) -> Option<Id>,
}

impl JvpSite<'_> {
    /// The tangent of operand `i`.
    pub fn dot(&self, i: usize) -> Option<Id> {
        (self.t)(self.kids[i])
    }
}

/// A FLOP count from the output's and the operands' (rows, cols).
pub type FlopsFn = fn(out: (f64, f64), args: &[(f64, f64)]) -> f64;

/// A VJP: the adjoint contribution of each active operand.
pub type VjpFn = fn(&mut Build, &VjpSite) -> Result<Vec<(Id, Id)>>;
/// A JVP: the tangent of the node (`None`: zero).
pub type JvpFn = fn(&mut Build, &JvpSite) -> Result<Option<Id>>;

/// The local derivative of an elementwise map `y = f(x)`.
#[derive(Debug, Clone, Copy)]
pub enum Local {
    /// f'(x) = d: x̄ = ȳ ∘ d, ẏ = d ∘ ẋ.
    Times(Id),
    /// f'(x) = 1 ⊘ d: x̄ = ȳ ⊘ d, ẏ = ẋ ⊘ d (`log`: d = x).
    Over(Id),
    /// f' = 0 wherever f is differentiable (`sign`, `step`).
    Zero,
}

/// A pointwise derivative: f'(x) from the operand `x` and the value `y = f(x)`.
pub type LocalFn = fn(&mut Build, x: Id, y: Id) -> Result<Local>;

/// How a primitive is differentiated.
#[derive(Debug, Clone, Copy)]
pub enum Diff {
    /// An elementwise map: its local derivative gives both products.
    Pointwise(LocalFn),
    /// Any other operation.
    Rule {
        /// Reverse mode.
        vjp: VjpFn,
        /// Forward mode.
        jvp: JvpFn,
    },
}

/// The identity behind a derivative.
#[derive(Debug, Clone, Copy)]
pub struct Derivative {
    /// The identity (`∂ log det X = X⁻ᵀ`).
    pub identity: &'static str,
    /// Its source (`Matrix Cookbook eq. 57`, or `calculus` for textbook rules).
    pub source: &'static str,
}

/// What the fact propagation of one operation reads: its operands' facts.
#[derive(Debug, Clone, Copy, Default)]
pub struct FactsIn {
    /// Each operand (at most two): its facts and whether it is a scalar.
    pub kids: [(Props, bool); 2],
    /// The result is square.
    pub square: bool,
}

impl FactsIn {
    /// The facts of operand `i`.
    pub fn p(&self, i: usize) -> Props {
        self.kids.get(i).map(|k| k.0).unwrap_or_default()
    }
    /// True when operand `i` is a scalar.
    pub fn scalar(&self, i: usize) -> bool {
        self.kids.get(i).is_some_and(|k| k.1)
    }
}

/// What values an operand (or an input of a problem) must take.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Domain {
    /// Any real entries.
    General,
    /// A square matrix far from singular, with a positive determinant.
    WellConditioned,
    /// Entries in [0.5, 2].
    Positive,
    /// Symmetric.
    Symmetric,
    /// Symmetric positive definite.
    Spd,
    /// A small integer in [−3, 3] (the exponent of a matrix power, a literal in the
    /// language: it has no direction of change).
    Integer,
}

/// How one notation writes an operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Spelling {
    /// `f(x)`, with this `f`.
    Call(&'static str),
    /// The operand between two strings: `‖x‖²`, `\sqrt{x}`.
    Wrap(&'static str, &'static str),
    /// After its operand, binding tighter than a product: `X⁻¹`.
    Postfix(&'static str),
    /// Between its operands, at the level of a product: `A ∘ B`.
    Infix(&'static str),
    /// Written by the printer's own rules (sums, products, signs, powers, transposes,
    /// fractions), which depend on the neighbouring nodes.
    Printer,
}

/// The three notations of the printer.
#[derive(Debug, Clone, Copy)]
pub struct Print {
    /// As a person writes it.
    pub unicode: Spelling,
    /// The input language (parsed back by matgrad).
    pub ascii: Spelling,
    /// LaTeX.
    pub latex: Spelling,
}

impl Print {
    /// A function written `name(x)` in unicode and ASCII, `latex(x)` in LaTeX.
    pub const fn call(name: &'static str, latex: &'static str) -> Print {
        Print {
            unicode: Spelling::Call(name),
            ascii: Spelling::Call(name),
            latex: Spelling::Call(latex),
        }
    }
    /// Written by the printer's rules in every notation.
    pub const PRINTER: Print = Print {
        unicode: Spelling::Printer,
        ascii: Spelling::Printer,
        latex: Spelling::Printer,
    };
}

/// Templates for the code targets (`{0}`, `{1}`: the operands). Products of
/// matrices are written for non-scalars; an exporter writes a scaling with `*`.
#[derive(Debug, Clone, Copy)]
pub struct Code {
    /// NumPy (`np`).
    pub numpy: &'static str,
    /// PyTorch (`torch`).
    pub torch: &'static str,
    /// JAX (`jnp`, `jax`).
    pub jax: &'static str,
    /// Rust with nalgebra (`DMatrix<f64>` values).
    pub rust: &'static str,
}

/// The primitives of each family, in the order of the families.
fn families() -> impl Iterator<Item = &'static Primitive> {
    super::linalg::PRIMITIVES
        .iter()
        .chain(super::elementwise::PRIMITIVES)
        .chain(super::reduce::PRIMITIVES)
}

// Looked up for every node that is shaped, evaluated, costed or printed: a fast hash
// (the maps are only looked up, never iterated, so the output does not depend on it).
struct Index {
    by_variant: FxHashMap<Discriminant<Math>, &'static Primitive>,
    by_function: FxHashMap<Symbol, &'static Primitive>,
    all: Vec<&'static Primitive>,
}

fn index() -> &'static Index {
    static INDEX: OnceLock<Index> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut ix = Index {
            by_variant: FxHashMap::default(),
            by_function: FxHashMap::default(),
            all: Vec::new(),
        };
        for p in families() {
            match Math::from_op(p.op, vec![Id::from(0); p.arity]) {
                Ok(Math::Fun(f, _)) => {
                    ix.by_function.insert(f.0, p);
                }
                Ok(node) => {
                    ix.by_variant.insert(std::mem::discriminant(&node), p);
                }
                Err(_) => {}
            }
            ix.all.push(p);
        }
        ix
    })
}

/// Every primitive.
pub fn all() -> &'static [&'static Primitive] {
    &index().all
}

/// The primitive of a node (`None` for the leaves: numbers, names, dimensions, `I`).
pub fn of(node: &Math) -> Option<&'static Primitive> {
    let ix = index();
    match node {
        Math::Fun(f, _) => ix.by_function.get(&f.0).copied(),
        Math::Num(_) | Math::Var(_) | Math::Dim(_) | Math::Eye(_) => None,
        n => ix.by_variant.get(&std::mem::discriminant(n)).copied(),
    }
}

/// The primitive a user calls by `name` (`diag`, spelled the same for two
/// operations, is chosen by the front end from its operand's shape).
pub fn function(name: &str) -> Option<&'static Primitive> {
    let mut found = all().iter().filter(|p| p.names.contains(&name));
    let first = found.next()?;
    found.next().is_none().then_some(*first)
}

/// Every function name of the language (for "did you mean" hints).
pub fn function_names() -> Vec<&'static str> {
    let mut v: Vec<&'static str> = Vec::new();
    for p in all() {
        for n in p.names {
            if !v.contains(n) {
                v.push(n);
            }
        }
    }
    v
}

impl Primitive {
    /// The node applying this primitive to `kids` (`None` if the count is wrong).
    pub fn node(&self, kids: &[Id]) -> Option<Math> {
        if kids.len() != self.arity {
            return None;
        }
        Math::from_op(self.op, kids.to_vec()).ok()
    }

    /// True for an elementwise map.
    pub fn is_pointwise(&self) -> bool {
        matches!(self.diff, Diff::Pointwise(_))
    }
}

// Helpers the families share for their entries.

/// No structural fact.
pub(super) fn no_facts(_: &FactsIn) -> Props {
    Props::default()
}

/// An elementwise map of a symmetric operand is symmetric.
pub(super) fn pointwise_facts(k: &FactsIn) -> Props {
    Props {
        symmetric: k.p(0).symmetric,
        ..Props::default()
    }
}

/// An elementwise map with positive values (exp, σ, softplus).
pub(super) fn positive_pointwise_facts(k: &FactsIn) -> Props {
    Props {
        positive: true,
        ..pointwise_facts(k)
    }
}

/// One operation per entry of the result.
pub(super) fn per_entry(out: (f64, f64), _: &[(f64, f64)]) -> f64 {
    out.0 * out.1
}

/// No arithmetic (transposes, `ones`).
pub(super) fn free(_: (f64, f64), _: &[(f64, f64)]) -> f64 {
    0.0
}

/// Two operations per entry of the operand (a reduction).
pub(super) fn reduction(_: (f64, f64), a: &[(f64, f64)]) -> f64 {
    2.0 * a[0].0 * a[0].1
}
