//! The intermediate representation: one egg language for the whole pipeline.
//!
//! A problem is lowered into a hash-consed [`RecExpr`] of [`Math`] nodes (a DAG);
//! reverse mode appends the adjoints to it, the simplifier loads it into an
//! e-graph, and the evaluator walks it. Every node's shape is known.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;

use egg::{Id, Language, RecExpr, Symbol};

use crate::error::{Error, ErrorKind, Result};
use crate::rational::Rational;

/// A dimension after inference: a number, or a symbolic name such as `n`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dim {
    /// A fixed size.
    Fixed(u64),
    /// A symbolic size.
    Sym(Symbol),
}

impl Dim {
    /// The dimension 1.
    pub const ONE: Dim = Dim::Fixed(1);
}

impl fmt::Display for Dim {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dim::Fixed(n) => write!(f, "{n}"),
            Dim::Sym(s) => write!(f, "{s}"),
        }
    }
}

/// A dimension as a leaf of the language, spelled `@n` or `@3` (the child of `I`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct DimLeaf(pub Dim);

impl fmt::Display for DimLeaf {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "@{}", self.0)
    }
}

impl FromStr for DimLeaf {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let body = s
            .strip_prefix('@')
            .ok_or_else(|| format!("not a dimension: {s}"))?;
        if body.is_empty() {
            return Err("empty dimension".into());
        }
        Ok(DimLeaf(match body.parse::<u64>() {
            Ok(n) => Dim::Fixed(n),
            Err(_) => Dim::Sym(Symbol::from(body)),
        }))
    }
}

/// The name of an elementwise function (`exp`, `σ` is `sigmoid`): which names exist
/// is the registry's business (`ops::registry`), so adding one leaves the language
/// alone. Parsing accepts any lower-case identifier; a name the registry does not
/// know has no shape, so a graph refuses it and the rule loader reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Func(pub Symbol);

impl fmt::Display for Func {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.0.as_str())
    }
}

impl FromStr for Func {
    type Err = String;
    fn from_str(s: &str) -> std::result::Result<Self, Self::Err> {
        let mut chars = s.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        if first_ok && chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()) {
            Ok(Func(Symbol::from(s)))
        } else {
            Err(format!("not a function name: {s}"))
        }
    }
}

impl Math {
    /// The elementwise function `name` applied to `x`.
    pub fn fun(name: &str, x: Id) -> Math {
        Math::Fun(Func(Symbol::from(name)), x)
    }
}

/// Rows × columns; scalars are 1×1 and column vectors n×1.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Shape {
    /// Number of rows.
    pub rows: Dim,
    /// Number of columns.
    pub cols: Dim,
}

impl Shape {
    /// The shape of a scalar.
    pub fn scalar() -> Shape {
        Shape {
            rows: Dim::ONE,
            cols: Dim::ONE,
        }
    }
    /// A `rows × cols` shape.
    pub fn new(rows: Dim, cols: Dim) -> Shape {
        Shape { rows, cols }
    }
    /// True for 1×1.
    pub fn is_scalar(&self) -> bool {
        self.rows == Dim::ONE && self.cols == Dim::ONE
    }
    /// True for a column vector (n×1 with n not 1).
    pub fn is_vector(&self) -> bool {
        self.cols == Dim::ONE && self.rows != Dim::ONE
    }
    /// True for a square shape.
    pub fn is_square(&self) -> bool {
        self.rows == self.cols
    }
    /// The transposed shape.
    pub fn t(&self) -> Shape {
        Shape {
            rows: self.cols.clone(),
            cols: self.rows.clone(),
        }
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_scalar() {
            write!(f, "a scalar")
        } else {
            write!(f, "{}×{}", self.rows, self.cols)
        }
    }
}

pub use lang::Math;

mod lang {
    #![allow(missing_docs)]
    use super::{DimLeaf, Func};
    use crate::rational::Rational;
    use egg::{Id, Symbol, define_language};

    define_language! {
        /// The operations of matgrad. `-` and `/` of the surface language are kept
        /// (`a - b` lowers to `a + (-b)`), as are `./` and `.^`. The elementwise
        /// functions are one variant, `Fun`, named by the registry (`ops`).
        pub enum Math {
            "+" = Add([Id; 2]),
            "neg" = Neg(Id),
            "*" = Mul([Id; 2]),
            ".*" = Hadamard([Id; 2]),
            "/" = Div([Id; 2]),
            "./" = EDiv([Id; 2]),
            "^" = Pow([Id; 2]),
            ".^" = EPow([Id; 2]),
            "mpow" = MatPow([Id; 2]),
            "T" = Transpose(Id),
            "inv" = Inv(Id),
            "tr" = Trace(Id),
            "det" = Det(Id),
            "logdet" = LogDet(Id),
            "norm2" = Norm2(Id),
            "norm" = Norm(Id),
            "sum" = Sum(Id),
            "diagm" = DiagM(Id),
            "diagv" = DiagV(Id),
            "ones" = Ones(Id),
            "I" = Eye(Id),
            "softmax" = Softmax(Id),
            "logsumexp" = LogSumExp(Id),
            Fun(Func, Id),
            Num(Rational),
            Dim(DimLeaf),
            Var(Symbol),
        }
    }
}

/// The shape rule of the primitives: the shape of `node` given the shapes of the
/// variables, of its children, and the dimension leaves. `None` if ill-shaped.
/// The language does not know its primitives; `ops::graph` supplies their rule.
pub type ShapeRule = fn(
    node: &Math,
    vars: &HashMap<Symbol, Shape>,
    args: &[Shape],
    dim_of: &dyn Fn(Id) -> Option<Dim>,
) -> Option<Shape>;

/// A hash-consed expression DAG with the shape of every node.
#[derive(Debug, Clone)]
pub struct Graph {
    /// The nodes, children before parents.
    pub expr: RecExpr<Math>,
    /// The shape of each node (`None` only for dimension leaves).
    pub shapes: Vec<Option<Shape>>,
    /// Each node's id (a fast hash: it is only looked up, never iterated).
    memo: rustc_hash::FxHashMap<Math, Id>,
    /// Shapes of the variables.
    pub vars: HashMap<Symbol, Shape>,
    rule: ShapeRule,
}

impl Graph {
    /// An empty graph that knows the shapes of its variables and the shape rule of its
    /// operations.
    pub fn new(vars: HashMap<Symbol, Shape>, rule: ShapeRule) -> Graph {
        Graph {
            expr: RecExpr::default(),
            shapes: Vec::new(),
            memo: rustc_hash::FxHashMap::default(),
            vars,
            rule,
        }
    }

    /// Adds a node (or finds the same one), computing its shape.
    pub fn add(&mut self, node: Math) -> Result<Id> {
        if let Some(&id) = self.memo.get(&node) {
            return Ok(id);
        }
        let shape = self.shape_of(&node)?;
        let id = self.expr.add(node.clone());
        self.memo.insert(node, id);
        self.shapes.push(shape);
        Ok(id)
    }

    fn shape_of(&self, node: &Math) -> Result<Option<Shape>> {
        let child = |id: &Id| self.shapes[usize::from(*id)].clone();
        let arg_shapes: Option<Vec<Shape>> = node.children().iter().map(child).collect();
        let dim_of = |id: Id| match &self.expr[id] {
            Math::Dim(d) => Some(d.0.clone()),
            _ => None,
        };
        let shape = (self.rule)(node, &self.vars, &arg_shapes.unwrap_or_default(), &dim_of);
        match (node, shape) {
            (Math::Dim(_), _) => Ok(None),
            (_, Some(s)) => Ok(Some(s)),
            (_, None) => Err(Error::new(
                ErrorKind::Internal,
                format!("internal error: ill-shaped node {node}"),
            )),
        }
    }

    /// The shape of node `id`.
    pub fn shape(&self, id: Id) -> Shape {
        self.shapes[usize::from(id)]
            .clone()
            .unwrap_or_else(Shape::scalar)
    }

    /// The node `id`.
    pub fn node(&self, id: Id) -> &Math {
        &self.expr[id]
    }

    /// Number of nodes.
    pub fn len(&self) -> usize {
        self.expr.as_ref().len()
    }

    /// True when empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A number.
    pub fn num(&mut self, r: Rational) -> Result<Id> {
        self.add(Math::Num(r))
    }

    /// An integer.
    pub fn int(&mut self, n: i64) -> Result<Id> {
        self.add(Math::Num(Rational::int(n)))
    }

    /// A variable (its shape must be known).
    pub fn var(&mut self, name: &str) -> Result<Id> {
        self.add(Math::Var(Symbol::from(name)))
    }

    /// The identity matrix of size `d`.
    pub fn eye(&mut self, d: Dim) -> Result<Id> {
        let dim = self.add(Math::Dim(DimLeaf(d)))?;
        self.add(Math::Eye(dim))
    }

    /// Copies the subtree `id` of `other` into this graph.
    pub fn import(&mut self, other: &RecExpr<Math>, id: Id) -> Result<Id> {
        let mut map: HashMap<Id, Id> = HashMap::new();
        self.import_rec(other, id, &mut map)
    }

    fn import_rec(
        &mut self,
        other: &RecExpr<Math>,
        id: Id,
        map: &mut HashMap<Id, Id>,
    ) -> Result<Id> {
        if let Some(&m) = map.get(&id) {
            return Ok(m);
        }
        let mut node = other[id].clone();
        for c in node.children_mut() {
            *c = crate::stack::deep(|| self.import_rec(other, *c, map))?;
        }
        let new = self.add(node)?;
        map.insert(id, new);
        Ok(new)
    }

    /// The subtree rooted at `id` as its own `RecExpr`.
    pub fn extract(&self, id: Id) -> RecExpr<Math> {
        self.node(id).build_recexpr(|c| self.node(c).clone())
    }
}
