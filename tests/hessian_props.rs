//! Random well-typed expressions over a matrix X, a vector x and a scalar s
//! (depth ≤ 3: products, inverses of SPD-shifted matrices, traces, log-dets,
//! smooth elementwise functions, reductions): every block of the Hessian with
//! respect to X, x and s equals central differences of the gradient. 256 cases
//! (fixed seed); MATGRAD_PROP_CASES for more, PROPTEST_RNG_SEED for others.

mod common;

use matgrad::hessian::check::{fd_block, fd_block_step};
use matgrad::numeric::sample::{Rng, random_point};
use proptest::prelude::*;

use common::generator::{Gen, HESSIAN, Kind};

const DECLS: &str = HESSIAN.decls;

proptest! {
    #![proptest_config(common::prop_config(256, 20261130))]

    #[test]
    fn hessians_equal_differences_of_the_gradient(k in 0u64..u64::MAX) {
        let mut gn = Gen::new(&HESSIAN, k);
        let depth = gn.rng.range(1, 3);
        let body = gn.expr(Kind::Scalar, depth);
        let src = format!("{DECLS}; {body}");
        let vars: Vec<&str> = ["X", "x", "s"]
            .into_iter()
            .filter(|v| matgrad::parse_problem(&src).is_ok_and(|m| m.input(v).is_some()))
            .collect();
        let (g, hs) = matgrad::hessian(&src, &vars).map_err(|e| TestCaseError::fail(format!("{src}: {e}")))?;
        let p = random_point(&g.model, &mut Rng::new(k ^ 7), (2, 3));
        // Points where the problem cannot be evaluated (a singular matrix) are skipped.
        prop_assume!(g.evaluate(&p).is_ok());
        for (i, h) in hs.blocks.iter().enumerate() {
            let row = vars.iter().position(|v| *v == h.row).unwrap_or(0);
            let ours = hs.value(&g, &p, i).map_err(|e| TestCaseError::fail(format!("{src}: {e}")))?;
            let Ok(fd) = fd_block(&g, &p, row, &h.col) else { continue };
            let Ok(coarse) = fd_block_step(&g, &p, row, &h.col, 1e-4) else { continue };
            // The differences' own truncation error, estimated against a 10× step
            // (rapidly varying cases such as sin(‖X‖⁴) are limited by it).
            let scale = fd.norm().max(1.0);
            let trunc = (&fd - &coarse).norm() / scale;
            let err = (&ours - &fd).norm() / scale;
            prop_assert!(
                err < 1e-4 + trunc,
                "{} block {},{}: {} = {} vs differences {} (rel. error {:e})",
                src, h.row, h.col, h.show(matgrad::Notation::Ascii), ours, fd, err
            );
        }
    }
}
