//! Random vector-valued expressions (and some scalar-, row- and matrix-valued ones) over
//! scalars, vectors and matrices: the simplified Jacobian (a matrix for `x` and `s`, the
//! directional form for the matrix `A`) agrees with its unsimplified form and with
//! central finite differences. 256 cases; set MATGRAD_PROP_CASES for more. The
//! grammar is tests/common/generator.rs's `JACOBIAN`.

mod common;

use matgrad::jacobian::{Form, finite_difference};
use proptest::prelude::*;

use common::generator::{Gen, JACOBIAN, Kind};

const DECLS: &str = JACOBIAN.decls;

/// An objective: mostly a vector, sometimes a scalar, a row or a matrix.
fn objective(g: &mut Gen, depth: usize) -> String {
    match g.rng.range(0, 9) {
        0 => format!("{} + s*t", g.expr(Kind::Scalar, depth)),
        1 => format!("({} + s*x)'", g.expr(Kind::Vec, depth)),
        2 => format!("{} + s*A", g.expr(Kind::Mat, depth)),
        _ => format!("{} + s*x", g.expr(Kind::Vec, depth)),
    }
}

/// Checks one random problem: how many matrix and directional forms it compared (none
/// when no point of its domain was found).
fn check_random_problem(seed: u64) -> Result<Option<(usize, usize)>, TestCaseError> {
    let mut gen_ = Gen::new(&JACOBIAN, seed);
    let depth = gen_.rng.range(1, 4);
    let body = objective(&mut gen_, depth);
    let src = format!("{DECLS}; {body}");
    let model = matgrad::jacobian::parse(&src).unwrap_or_else(|e| panic!("{src}: {e}"));
    let used = |v: &str| model.graph.expr.as_ref().iter().any(|n| n.to_string() == v);
    let vars: Vec<&str> = ["x", "s", "A"].into_iter().filter(|v| used(v)).collect();
    let j = matgrad::jacobian::jacobian_with(model, &vars, &Default::default())
        .unwrap_or_else(|e| panic!("{src}: {e}"));
    prop_assert!(
        j.derivation.stats.refused.is_empty(),
        "{}: refused {:?}",
        src,
        j.derivation.stats.refused
    );
    prop_assert!(
        j.derivation.validation.fallback.is_none(),
        "{}: {:?}",
        src,
        j.derivation.validation
    );
    let f_vector = {
        let s = j.objective_shape();
        s.rows == matgrad::ir::Dim::ONE || s.cols == matgrad::ir::Dim::ONE
    };
    for (v, form) in vars.iter().zip(&j.forms) {
        // x and s give matrices (or notes saying why not), A the directional form.
        let matrix = *v != "A" && f_vector;
        prop_assert!(
            (*form == Form::Matrix) == matrix || (!j.notes.is_empty() && matrix),
            "{}: {} {:?}",
            src,
            v,
            form
        );
    }
    let problem = j.problem();
    let found = (0..4u64).find_map(|k| {
        let p = common::point(&problem, seed.wrapping_add(k));
        match (j.evaluate(&p), j.evaluate_raw(&p)) {
            (Ok(ours), Ok(raw)) => Some((p, ours, raw)),
            _ => None,
        }
    });
    let Some((p, ours, raw)) = found else {
        return Ok(None);
    };
    let f = j.value(&p).map(|v| v.amax()).unwrap_or(0.0);
    for (i, v) in vars.iter().enumerate() {
        let e = common::rel(&ours[i], &raw[i]);
        prop_assert!(
            e <= 1e-8,
            "{}: J_{} simplified vs raw {:e}\n{}",
            src,
            v,
            e,
            matgrad::jacobian::print(&j, matgrad::Notation::Ascii)
        );
        // Central differences at several steps, each trusted up to its rounding and its
        // truncation error (estimated against the difference at ten times the step).
        let scale = 1.0 + ours[i].amax();
        let x = p.values[&egg::Symbol::from(*v)].amax();
        let steps = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6];
        let fds: Vec<_> = steps
            .iter()
            .map(|h| finite_difference(&problem, v, &p, *h))
            .collect();
        let e = (1..steps.len())
            .filter_map(|k| {
                let (a, b) = (fds[k - 1].as_ref().ok()?, fds[k].as_ref().ok()?);
                let rounding = 1e-12 * f.max(1.0) / (steps[k] * (1.0 + x));
                let truncation = (a - b).amax();
                Some(((&ours[i] - b).amax() - rounding - truncation).max(0.0) / scale)
            })
            .fold(f64::INFINITY, f64::min);
        prop_assert!(e <= 1e-5, "{}: J_{} vs finite differences {:e}", src, v, e);
    }
    let matrices = j.forms.iter().filter(|f| **f == Form::Matrix).count();
    Ok(Some((matrices, j.forms.len() - matrices)))
}

#[test]
fn jacobians_of_random_expressions() {
    use std::cell::Cell;
    let compared = Cell::new(0usize);
    let forms = Cell::new((0usize, 0usize));
    let mut runner = proptest::test_runner::TestRunner::new(common::prop_config(256, 20261130));
    runner
        .run(&any::<u64>(), |seed| {
            if let Some((m, d)) = check_random_problem(seed)? {
                compared.set(compared.get() + 1);
                let (a, b) = forms.get();
                forms.set((a + m, b + d));
            }
            Ok(())
        })
        .unwrap_or_else(|e| panic!("{e}"));
    let n = compared.get();
    let (m, d) = forms.get();
    eprintln!(
        "{n} of {} random problems compared with their raw forms and finite differences ({m} Jacobian matrices, {d} directional forms)",
        common::prop_cases(256)
    );
    assert!(
        n * 10 >= common::prop_cases(256) as usize * 9,
        "only {n} of {} compared",
        common::prop_cases(256)
    );
    // Most objectives are vectors of x and s: most results are matrices.
    assert!(m >= n, "only {m} matrices in {n} problems");
}
