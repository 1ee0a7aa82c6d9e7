//! The syntax tree of a problem, as the user wrote it, with spans for error messages.

use crate::error::Span;
use crate::rational::Rational;

/// A binary operator of the language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinOp {
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`: matrix product, or scaling when one side is a scalar
    Mul,
    /// `.*`, `∘`, `⊙`
    Hadamard,
    /// `/` by a scalar
    Div,
    /// `./`
    EDiv,
    /// `^` of a scalar
    Pow,
    /// `.^`
    EPow,
}

impl BinOp {
    /// The ASCII spelling.
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Mul => "*",
            BinOp::Hadamard => ".*",
            BinOp::Div => "/",
            BinOp::EDiv => "./",
            BinOp::Pow => "^",
            BinOp::EPow => ".^",
        }
    }
}

/// An expression node.
#[derive(Debug, Clone, PartialEq)]
pub enum ExprKind {
    /// A number literal.
    Num(Rational),
    /// A name: input, definition, or `I`.
    Name(String),
    /// `-a`
    Neg(Box<Expr>),
    /// `a'`
    Transpose(Box<Expr>),
    /// `a⁻¹`
    Inverse(Box<Expr>),
    /// A binary operation.
    Binary(BinOp, Box<Expr>, Box<Expr>),
    /// `f(args)`; `name_span` covers the function name.
    Call(String, Span, Vec<Expr>),
}

/// An expression with its place in the text.
#[derive(Debug, Clone, PartialEq)]
pub struct Expr {
    /// The node.
    pub kind: ExprKind,
    /// Where it stands in the problem text.
    pub span: Span,
}

/// A dimension as declared: a number or a symbolic name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DimSpec {
    /// A fixed size.
    Fixed(u64),
    /// A symbolic size.
    Named(String),
}

pub use crate::structure::Structure;

/// The type in a declaration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TypeSpec {
    /// `scalar`
    Scalar,
    /// `n`: a column vector.
    Vector(DimSpec),
    /// `m x n`, possibly `sym`/`spd`.
    Matrix(Structure, DimSpec, DimSpec),
}

/// A statement of a problem.
#[derive(Debug, Clone, PartialEq)]
pub enum Stmt {
    /// `a, b : type`
    Decl {
        /// The declared names with their places.
        names: Vec<(String, Span)>,
        /// Their type.
        ty: TypeSpec,
        /// The whole statement.
        span: Span,
    },
    /// `name = expr`
    Def {
        /// The defined name.
        name: String,
        /// Where the name stands.
        name_span: Span,
        /// Its definition.
        expr: Expr,
    },
    /// A bare expression (only meaningful as the last statement).
    Expr(Expr),
}

/// A parsed problem: its statements in order; the last one is the objective.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// The statements.
    pub stmts: Vec<Stmt>,
}
