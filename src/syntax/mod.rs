//! Reading problems: the pest grammar, the syntax tree and shape inference.

pub mod ast;
pub mod parser;
pub mod shape;
mod unify;

pub use parser::{parse, parse_expr};
