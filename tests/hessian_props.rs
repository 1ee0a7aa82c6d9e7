//! Random well-typed expressions over a matrix X, a vector x and a scalar s
//! (depth ≤ 3: products, inverses of SPD-shifted matrices, traces, log-dets,
//! smooth elementwise functions, reductions): every block of the Hessian with
//! respect to X, x and s equals central differences of the gradient. 256 cases
//! (fixed seed); MATGRAD_PROP_CASES for more, PROPTEST_RNG_SEED for others.

use matgrad::hessian::check::{fd_block, fd_block_step};
use matgrad::numeric::sample::{Rng, random_point};
use proptest::prelude::*;

const DECLS: &str = "X : n x n; A : n x n; S : spd n x n; x, y : n; s : scalar";

struct Gen(Rng);

impl Gen {
    fn pick(&mut self, n: usize) -> usize {
        self.0.range(0, n - 1)
    }
    fn scalar(&mut self, d: usize) -> String {
        if d == 0 {
            return ["s", "tr(X)", "x'*y", "sum(x)"][self.pick(4)].into();
        }
        let (m, u, a) = (self.matrix(d - 1), self.vector(d - 1), self.scalar(d - 1));
        match self.pick(9) {
            0 => format!("tr({m})"),
            1 => format!("({u})'*A*({u})"),
            2 => format!("logdet(S + ({m})*({m})')"),
            3 => format!("norm2({m})"),
            4 => format!("sin({a})"),
            5 => format!("({a})*({a})"),
            6 => format!("logsumexp({u})"),
            7 => format!("sum(tanh({u}))"),
            _ => format!("tr(inv(S + ({m})*({m})')*A)"),
        }
    }
    fn vector(&mut self, d: usize) -> String {
        if d == 0 {
            return ["x", "y", "X*x", "s*x"][self.pick(4)].into();
        }
        let (m, u, a) = (self.matrix(d - 1), self.vector(d - 1), self.scalar(d - 1));
        match self.pick(7) {
            0 => format!("({m})*({u})"),
            1 => format!("({u}) .* ({u})"),
            2 => format!("sigmoid({u})"),
            3 => format!("({a})*({u})"),
            4 => format!("softmax({u})"),
            5 => format!("({m})'*({u}) + y"),
            _ => format!("exp(tanh({u}))"),
        }
    }
    fn matrix(&mut self, d: usize) -> String {
        if d == 0 {
            return ["X", "A", "X'", "s*X"][self.pick(4)].into();
        }
        let (m, u, a) = (self.matrix(d - 1), self.vector(d - 1), self.scalar(d - 1));
        match self.pick(7) {
            0 => format!("({m})*({m})"),
            1 => format!("inv(S + ({m})*({m})')"),
            2 => format!("({u})*({u})'"),
            3 => format!("tanh({m})"),
            4 => format!("({a})*({m}) + A"),
            5 => format!("({m}) .* X"),
            _ => format!("({m})'"),
        }
    }
}

fn cases() -> u32 {
    std::env::var("MATGRAD_PROP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256)
}

fn seed() -> proptest::test_runner::RngSeed {
    let s = std::env::var("PROPTEST_RNG_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(20261130);
    proptest::test_runner::RngSeed::Fixed(s)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: cases(),
        rng_seed: seed(),
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn hessians_equal_differences_of_the_gradient(k in 0u64..u64::MAX) {
        let mut gn = Gen(Rng::new(k));
        let depth = 1 + gn.pick(3);
        let body = gn.scalar(depth);
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
