//! Newton's method and Gauss–Newton with matgrad's symbolic gradient and Hessian,
//! evaluated with nalgebra:
//!
//! 1. the nonlinear least-squares problem f(x) = ¼‖y − (Ax)∘²‖² (n = 20, m = 100,
//!    random A, y generated from a planted x*), by Newton and by Gauss–Newton;
//! 2. ℓ2-regularised logistic regression (binary cross-entropy), by Newton.
//!
//! Each iteration prints the objective and the gradient norm; near the solution
//! the gradient norm roughly squares from one iteration to the next (quadratic
//! convergence). `cargo run --release --example newton`. The test
//! `tests/newton.rs` runs the same code and checks the iteration counts.

use std::collections::HashMap;

use egg::Symbol;
use matgrad::hessian::Hessians;
use matgrad::numeric::Point;
use matgrad::numeric::sample::Rng;
use matgrad::ops::Value;
use matgrad::{Gradient, Notation};

/// The nonlinear least-squares objective (seed problem 004).
pub const NLS: &str = "A : m x n; x : n; y : m; 0.25*norm2(y - (A*x).^2)";
/// ℓ2-regularised binary cross-entropy.
pub const LOGISTIC: &str = "A : m x n; x : n; y : m; lambda : scalar
-(y'*log(sigmoid(A*x)) + (1 - y)'*log(1 - sigmoid(A*x))) + 0.5*lambda*norm2(x)";

/// Which second-order model a step uses.
#[derive(Clone, Copy, PartialEq, Debug)]
pub enum Method {
    /// The exact Hessian.
    Newton,
    /// The Gauss–Newton matrix of a least-squares objective: the Hessian with the
    /// residual set to zero (for NLS, `y` replaced by `(Ax)∘²`), i.e. ½JᵀJ.
    GaussNewton,
}

/// One iteration's numbers.
#[derive(Debug, Clone, Copy)]
pub struct Step {
    /// Objective.
    pub value: f64,
    /// Euclidean norm of the gradient.
    pub grad_norm: f64,
}

/// A problem derived once: its gradient and Hessian in closed form.
pub struct Derived {
    /// Gradient.
    pub grad: Gradient,
    /// Hessian.
    pub hess: Hessians,
}

/// Derives the gradient and the Hessian of `src` with respect to x.
pub fn derive(src: &str) -> Derived {
    let (grad, hess) = matgrad::hessian(src, &["x"]).expect("derives");
    Derived { grad, hess }
}

fn point(values: &[(&str, Value)], dims: &[(&str, usize)]) -> Point {
    Point {
        values: values
            .iter()
            .map(|(k, v)| (Symbol::from(*k), v.clone()))
            .collect(),
        dims: dims
            .iter()
            .map(|(k, v)| (Symbol::from(*k), *v))
            .collect::<HashMap<_, _>>(),
    }
}

/// Runs `iters` iterations at most from `p` (whose `x` is the start); stops when the
/// gradient norm is below `tol`. Returns the numbers at each iterate.
pub fn minimise(d: &Derived, mut p: Point, method: Method, iters: usize, tol: f64) -> Vec<Step> {
    let x = Symbol::from("x");
    let mut out = Vec::new();
    for _ in 0..=iters {
        let value = d.grad.model.value_at(&p).expect("value");
        let g = d.grad.evaluate(&p).expect("gradient")[0].clone();
        out.push(Step {
            value,
            grad_norm: g.norm(),
        });
        if g.norm() < tol {
            break;
        }
        let mut q = p.clone();
        if method == Method::GaussNewton {
            // Zero residual: y = (Ax)∘², so the Hessian is ½JᵀJ.
            let ax = &p.values[&Symbol::from("A")] * &p.values[&x];
            q.values.insert(Symbol::from("y"), ax.map(|v| v * v));
        }
        let h = d.hess.value(&d.grad, &q, 0).expect("hessian");
        let step = h.lu().solve(&g).expect("a non-singular Hessian");
        let next = &p.values[&x] - step;
        p.values.insert(x, next);
    }
    out
}

/// The NLS problem: random A (m × n), planted x*, y = (Ax*)∘², start x* + noise.
pub fn nls_point(n: usize, m: usize, seed: u64) -> Point {
    let mut rng = Rng::new(seed);
    let a = Value::from_fn(m, n, |_, _| rng.normal() / (n as f64).sqrt());
    let star = Value::from_fn(n, 1, |_, _| rng.normal());
    let y = (&a * &star).map(|v| v * v);
    let x0 = &star + Value::from_fn(n, 1, |_, _| 0.1 * rng.normal());
    point(&[("A", a), ("x", x0), ("y", y)], &[("m", m), ("n", n)])
}

/// Logistic regression: random features, labels from a planted model, x = 0 start.
pub fn logistic_point(n: usize, m: usize, seed: u64) -> Point {
    let mut rng = Rng::new(seed);
    let a = Value::from_fn(m, n, |_, _| rng.normal());
    let w = Value::from_fn(n, 1, |_, _| rng.normal() / (n as f64).sqrt());
    let z = &a * &w;
    let y = z.map(|t| {
        let p = 1.0 / (1.0 + (-t).exp());
        if rng.uniform() < p { 1.0 } else { 0.0 }
    });
    let x0 = Value::zeros(n, 1);
    let lambda = Value::from_element(1, 1, 1.0);
    point(
        &[("A", a), ("x", x0), ("y", y), ("lambda", lambda)],
        &[("m", m), ("n", n)],
    )
}

fn report(title: &str, steps: &[Step]) {
    println!("{title}");
    println!("  iter  objective                ‖∇f‖");
    for (k, s) in steps.iter().enumerate() {
        println!("  {k:>4}  {:<23.16e}  {:.3e}", s.value, s.grad_norm);
    }
    println!();
}

#[allow(dead_code)]
fn main() {
    let nls = derive(NLS);
    println!("{}", nls.grad.print(Notation::Unicode));
    print!(
        "{}",
        matgrad::hessian::text(&nls.grad, Notation::Unicode, None).expect("hessian")
    );
    println!();
    let p = nls_point(20, 100, 1);
    report(
        "Newton on ¼‖y − (Ax)∘²‖² (n = 20, m = 100)",
        &minimise(&nls, p.clone(), Method::Newton, 20, 1e-12),
    );
    report(
        "Gauss–Newton on the same problem",
        &minimise(&nls, p, Method::GaussNewton, 20, 1e-12),
    );
    let lr = derive(LOGISTIC);
    println!("{}", lr.grad.print(Notation::Unicode));
    print!(
        "{}",
        matgrad::hessian::text(&lr.grad, Notation::Unicode, None).expect("hessian")
    );
    println!();
    report(
        "Newton on ℓ2-regularised logistic regression (n = 20, m = 100, λ = 1)",
        &minimise(&lr, logistic_point(20, 100, 2), Method::Newton, 20, 1e-12),
    );
}
