//! The Newton example's code (examples/newton.rs) converges: the gradient norm
//! falls below 1e-10 within 8 iterations for Newton and Gauss–Newton on the
//! nonlinear least-squares problem (n = 20, m = 100) and for Newton on
//! regularised logistic regression, and the last steps are quadratic.

#[path = "../examples/newton.rs"]
#[allow(dead_code)]
mod newton;

use newton::{LOGISTIC, Method, NLS, derive, logistic_point, minimise, nls_point};

const MAX_ITERS: usize = 8;

fn converges(steps: &[newton::Step], what: &str) {
    let last = steps.last().expect("steps");
    assert!(
        last.grad_norm < 1e-10 && steps.len() <= MAX_ITERS + 1,
        "{what}: ‖∇f‖ = {:e} after {} iterations",
        last.grad_norm,
        steps.len() - 1
    );
    // Quadratic: once ‖∇f‖ < 1e-2, the next is below a constant times its square.
    for w in steps.windows(2) {
        if w[0].grad_norm < 1e-2 && w[1].grad_norm > 1e-13 {
            assert!(
                w[1].grad_norm <= 100.0 * w[0].grad_norm * w[0].grad_norm,
                "{what}: {:e} then {:e}",
                w[0].grad_norm,
                w[1].grad_norm
            );
        }
    }
}

#[test]
fn newton_and_gauss_newton_on_least_squares() {
    let d = derive(NLS);
    for seed in [1, 5] {
        let p = nls_point(20, 100, seed);
        converges(
            &minimise(&d, p.clone(), Method::Newton, MAX_ITERS, 1e-10),
            "Newton",
        );
        converges(
            &minimise(&d, p, Method::GaussNewton, MAX_ITERS, 1e-10),
            "Gauss–Newton",
        );
    }
}

#[test]
fn newton_on_logistic_regression() {
    let d = derive(LOGISTIC);
    for seed in [2, 3] {
        let p = logistic_point(20, 100, seed);
        converges(
            &minimise(&d, p, Method::Newton, MAX_ITERS, 1e-10),
            "logistic",
        );
    }
}
