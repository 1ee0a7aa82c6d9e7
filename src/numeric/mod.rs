//! Numbers: points (values of the inputs), evaluation of graphs, random
//! domain-aware sampling and finite-difference checks.

pub mod adjugate;
pub mod check;
pub mod eval;
pub mod point;
pub mod sample;

pub use eval::{evaluate, evaluate_node};
pub use point::Point;
