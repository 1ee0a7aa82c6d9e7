//! matgrad: symbolic matrix calculus.
//!
//! A problem in the matgrad language (see the README) is parsed, its shapes are
//! inferred, and reverse mode gives the gradient, which an e-graph simplifies to
//! a closed form a person would write.
//!
//! ```
//! let g = matgrad::gradient("W : m x n; x : n; 0.5*norm2(W'*W*x - x)", &["W"]).unwrap();
//! assert_eq!(g.print(matgrad::Notation::Ascii), "k = W'*W*x - x\ndW = W*(k*x' + x*k')");
//!
//! let model = matgrad::parse_problem("A : n x n; x : n; x'*A*x").unwrap();
//! assert_eq!(model.inputs.len(), 2);
//! assert_eq!(model.input("A").unwrap().shape.to_string(), "n×n");
//! ```
//!
//! Evaluating at a point (the JSON of `--at`):
//!
//! ```
//! let g = matgrad::gradient("A : n x n; x : n; x'*A*x", &["x"]).unwrap();
//! assert_eq!(g.expression("x", matgrad::Notation::Unicode).unwrap(), "(A + Aᵀ)x");
//! let point = g.point(r#"{"A": [[1, 2], [3, 4]], "x": [1, 1]}"#).unwrap();
//! let grad = g.evaluate(&point).unwrap();
//! assert_eq!(grad[0].as_slice(), &[7.0, 13.0]); // (A + Aᵀ)x
//! ```
//!
//! Jacobians of vector- and matrix-valued objectives (see [`jacobian`](mod@jacobian)):
//!
//! ```
//! let j = matgrad::jacobian("A : m x n; x : n; A*x", &["x"]).unwrap();
//! assert_eq!(matgrad::jacobian::print(&j, matgrad::Notation::Ascii), "J_x = A");
//! let j = matgrad::jacobian("X : n x n; X*X", &["X"]).unwrap();
//! assert_eq!(matgrad::jacobian::print(&j, matgrad::Notation::Unicode), "J_X[dX] = dXX + XdX");
//! let v = matgrad::vjp("W : m x n; x : n; W*tanh(x)", &["x"], "u").unwrap();
//! assert_eq!(matgrad::jacobian::vjp_print(&v, matgrad::Notation::Ascii), "vjp_x = W'*u .* (1 - tanh(x).^2)");
//! ```
#![warn(missing_docs)]

pub mod alloc;
pub mod autodiff;
pub mod check;
pub mod claim;
pub mod derive;
pub mod error;
pub mod forward;
pub mod gradient;
pub mod hessian;
pub mod ir;
pub mod jacobian;
pub mod model;
pub mod names;
pub mod numeric;
pub mod ops;
pub mod print;
pub mod problem;
pub mod rational;
pub mod report;
pub mod show;
pub mod simplify;
pub mod stack;
pub mod structure;
pub mod syntax;

pub use claim::{ClaimError, Verdict, check_claim};
pub use derive::{Derivation, Options};
pub use error::{Error, ErrorKind, Result};
pub use gradient::{Gradient, flops_report, gradient, gradient_with};
pub use hessian::hessian;
pub use jacobian::{Jacobian, Vjp, jacobian, vjp};
pub use model::Model;
pub use print::Notation;
pub use problem::{parse_problem, parse_problem_at, parse_program};
