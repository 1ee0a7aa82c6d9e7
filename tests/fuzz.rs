//! A differential fuzzer over the whole pipeline. Random well-typed problems — with
//! identities, `I ± B`, scalars times matrices, nested inverses, elementwise algebra and
//! sums of many terms — go through parsing, reverse mode, the e-graph, helper naming
//! and printing; each must:
//!
//! - never panic, and derive without an internal error;
//! - pass translation validation without a fallback (a fallback is a simplifier bug
//!   that validation caught);
//! - agree with the unsimplified adjoint at a fresh point (relative 1e-8), and with
//!   central differences where those are well-conditioned (as in `tests/props.rs`;
//!   one problem in eight, as differences cost more than all the rest);
//! - print, in ASCII, a program (declarations, helper definitions, the gradient) that
//!   reads back to the same numbers;
//! - one problem in sixteen: have every Hessian block (no exit 3 for a problem that
//!   has a gradient, no internal error, no validation fallback), each equal to central
//!   differences of the gradient up to their own truncation error.
//!
//! CI runs `MATGRAD_FUZZ_CASES` cases (default 2,000). A long run:
//!
//! ```sh
//! MATGRAD_FUZZ_CASES=1000000 MATGRAD_FUZZ_THREADS=2 MATGRAD_FUZZ_REPORT=fuzz.txt \
//!     cargo test --release --test fuzz -- --nocapture
//! ```
//!
//! With `MATGRAD_FUZZ_REPORT` every finding is written to that file and the run goes
//! on (the test still fails at the end if there was one); without it the first
//! finding fails the test. `MATGRAD_FUZZ_SEED` picks another stream of problems.

mod common;

use std::fmt::Write as _;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

use matgrad::Notation;
use matgrad::numeric::Point;

use common::generator::{FUZZ, Gen, Kind};

/// One generated problem and the variables it depends on.
fn problem(seed: u64) -> (String, Vec<&'static str>) {
    let mut g = Gen::new(&FUZZ, seed);
    let depth = g.rng.range(1, 3);
    let body = g.expr(Kind::Scalar, depth);
    let src = format!("{}; {body} + a*b", FUZZ.decls);
    let vars = ["x", "A", "a", "B", "C", "S"]
        .into_iter()
        .filter(|v| body.split(|c: char| !c.is_alphanumeric()).any(|w| w == *v))
        .collect();
    (src, vars)
}

/// Checks one problem; `Err` describes a finding, `Ok(false)` a problem with no point
/// in its domain.
fn check(seed: u64) -> Result<bool, String> {
    let (src, vars) = problem(seed);
    check_problem(&src, &vars, seed)
}

/// [`check`] of a given problem; `seed` picks its points and whether its differences
/// and Hessians are checked.
fn check_problem(src: &str, vars: &[&str], seed: u64) -> Result<bool, String> {
    let src = src.to_string();
    let g = matgrad::gradient(&src, vars).map_err(|e| format!("{src}\n  derive: {e:?}"))?;
    if let Some(level) = &g.derivation.validation.fallback {
        return Err(format!(
            "{src}\n  validation refused {:?}, fell back to {level}",
            g.derivation.validation.refused
        ));
    }
    helpers_are_well_formed(&g).map_err(|e| format!("{src}\n  {e}"))?;
    let found = (0..4u64).find_map(|k| {
        let p = common::point(&g.model, seed.wrapping_mul(7).wrapping_add(k));
        match (
            g.derivation.evaluate_forms(&g.model, &p),
            g.derivation.evaluate_raw(&p),
        ) {
            (Ok(o), Ok(r)) => Some((p, o, r)),
            _ => None,
        }
    });
    let Some((p, ours, raw)) = found else {
        return Ok(false);
    };
    for (i, v) in vars.iter().enumerate() {
        let e = common::rel(&ours[i], &raw[i]);
        if e > 1e-8 {
            return Err(format!("{src}\n  d/d{v}: simplified vs raw {e:.1e}"));
        }
        // Differences check reverse mode itself (one problem in eight: they cost more
        // than the rest of the check together).
        let fd = if seed.is_multiple_of(8) {
            finite_difference_error(&g, &p, v, &ours[i])
        } else {
            0.0
        };
        if fd > 1e-5 {
            return Err(format!("{src}\n  d/d{v}: vs finite differences {fd:.1e}"));
        }
        round_trip(&g, &src, v, &p, &ours[i])?;
    }
    if seed % 16 == 3 {
        second_order(&g, &src, vars, &p)?;
    }
    Ok(true)
}

/// Each helper term is defined by what comes before it (never by its own or a later
/// name), and is more than another name or the identity matrix.
fn helpers_are_well_formed(g: &matgrad::Gradient) -> Result<(), String> {
    use matgrad::ir::Math;
    let defs = &g.derivation.defs;
    for (i, d) in defs.iter().enumerate() {
        if d.user {
            continue;
        }
        if matches!(d.tree.op, Math::Var(_) | Math::Eye(_)) {
            return Err(format!(
                "helper {} only renames {}",
                d.name,
                d.tree.to_expr()
            ));
        }
        let mut late = None;
        d.tree.visit(&mut |t| {
            if let Math::Var(s) = &t.op
                && defs[i..].iter().any(|x| x.name == *s)
            {
                late = Some(*s);
            }
        });
        if let Some(s) = late {
            return Err(format!("helper {} is defined with {s}", d.name));
        }
    }
    Ok(())
}

/// Every Hessian block exists, was not refused by validation, and equals central
/// differences of the gradient (within their truncation error, estimated against a
/// 10× step) where those exist.
fn second_order(g: &matgrad::Gradient, src: &str, vars: &[&str], p: &Point) -> Result<(), String> {
    use matgrad::hessian::check::{fd_block, fd_block_step};
    let hs = matgrad::hessian::hessians(g).map_err(|e| {
        format!(
            "{src}
  --hessian: {e:?}"
        )
    })?;
    if let Some(n) = hs.notes.iter().find(|n| n.contains("refused")) {
        return Err(format!(
            "{src}
  --hessian validation: {n}"
        ));
    }
    for (i, h) in hs.blocks.iter().enumerate() {
        let row = vars.iter().position(|v| *v == h.row).unwrap_or(0);
        let Ok(ours) = hs.value(g, p, i) else {
            continue;
        };
        let (Ok(fd), Ok(coarse)) = (
            fd_block(g, p, row, &h.col),
            fd_block_step(g, p, row, &h.col, 1e-4),
        ) else {
            continue;
        };
        let scale = fd.norm().max(1.0);
        let trunc = (&fd - &coarse).norm() / scale;
        let err = (&ours - &fd).norm() / scale;
        if err.is_nan() || err >= 1e-4 + 10.0 * trunc {
            return Err(format!(
                "{src}\n  block {},{}: {} is {err:.1e} from differences of the gradient",
                h.row,
                h.col,
                h.show(Notation::Ascii)
            ));
        }
    }
    Ok(())
}

/// The distance of `ours` from central differences, each difference trusted up to its
/// rounding and truncation error (as in `tests/props.rs`).
fn finite_difference_error(
    g: &matgrad::Gradient,
    p: &Point,
    v: &str,
    ours: &matgrad::ops::Value,
) -> f64 {
    let m = &g.model;
    let f = m.value_at(p).unwrap_or(0.0).abs();
    let x = p.values[&egg::Symbol::from(v)].amax();
    let steps = [1e-2, 1e-3, 1e-4, 1e-5, 1e-6];
    let fds: Vec<_> = steps
        .iter()
        .map(|h| {
            matgrad::numeric::check::finite_difference(
                &m.graph.expr,
                m.objective,
                p,
                egg::Symbol::from(v),
                *h,
            )
        })
        .collect();
    (1..steps.len())
        .filter_map(|k| {
            let (a, b) = (fds[k - 1].as_ref().ok()?, fds[k].as_ref().ok()?);
            let rounding = 1e-12 * f.max(1.0) / (steps[k] * (1.0 + x));
            Some(((ours - b).amax() - rounding - (a - b).amax()).max(0.0) / (1.0 + ours.amax()))
        })
        .fold(f64::INFINITY, f64::min)
}

/// The ASCII program of `v`'s gradient reads back to the same numbers.
fn round_trip(
    g: &matgrad::Gradient,
    src: &str,
    v: &str,
    p: &Point,
    ours: &matgrad::ops::Value,
) -> Result<(), String> {
    if g.expression(v, Notation::Ascii).as_deref() == Some("0") {
        // An identically zero gradient prints as the number 0 (a zero of any shape).
        if ours.amax() != 0.0 {
            return Err(format!("{src}\n  d/d{v} printed as 0 but is not zero"));
        }
        return Ok(());
    }
    let program = common::ascii_program(g, src, v);
    let m = matgrad::parse_program(&program)
        .map_err(|e| format!("{src}\n  d/d{v} printed as\n{program}\n  does not read back: {e}"))?;
    let mut q = p.clone();
    q.values.retain(|k, _| m.input(k.as_str()).is_some());
    let back = matgrad::numeric::check::value_at(&m.graph.expr, m.objective, &q)
        .map_err(|e| format!("{src}\n  d/d{v} printed as\n{program}\n  does not evaluate: {e}"))?;
    let e = common::rel(&back, ours);
    if e > 1e-9 {
        return Err(format!(
            "{src}\n  d/d{v} printed as\n{program}\n  reads back {e:.1e} away"
        ));
    }
    Ok(())
}

fn env(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

/// Records a finding, and says it at once (a long run that is stopped keeps them).
fn found(findings: &Mutex<Vec<String>>, f: String) {
    eprintln!("finding: {f}");
    findings.lock().unwrap().push(f);
}

#[test]
fn differential_fuzz() {
    let cases = env("MATGRAD_FUZZ_CASES", 2_000) as usize;
    let threads = env("MATGRAD_FUZZ_THREADS", 1).max(1) as usize;
    let base = env("MATGRAD_FUZZ_SEED", 0x00f0_22ed);
    let report = std::env::var("MATGRAD_FUZZ_REPORT").ok();
    let next = AtomicUsize::new(0);
    let compared = AtomicUsize::new(0);
    let findings: Mutex<Vec<String>> = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..threads {
            s.spawn(|| {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= cases || (report.is_none() && !findings.lock().unwrap().is_empty()) {
                        break;
                    }
                    let seed = base.wrapping_add(i as u64);
                    match catch_unwind(AssertUnwindSafe(|| check(seed))) {
                        Ok(Ok(true)) => {
                            compared.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Ok(false)) => {}
                        Ok(Err(f)) => found(&findings, format!("seed {seed}: {f}")),
                        Err(_) => found(
                            &findings,
                            format!("seed {seed}: {}\n  panicked", problem(seed).0),
                        ),
                    }
                    if (i + 1).is_multiple_of(10_000) {
                        eprintln!(
                            "{} cases, {} findings",
                            i + 1,
                            findings.lock().unwrap().len()
                        );
                    }
                }
            });
        }
    });
    let findings = findings.into_inner().unwrap();
    let compared = compared.into_inner();
    let mut text = format!(
        "{cases} cases from seed {base}: {compared} compared, {} findings\n",
        findings.len()
    );
    for f in &findings {
        let _ = writeln!(text, "{f}");
    }
    eprint!("{text}");
    if let Some(path) = report {
        std::fs::write(&path, &text).unwrap_or_else(|e| panic!("{path}: {e}"));
    }
    assert!(findings.is_empty(), "{text}");
    // Nearly every problem has a point in its domain: a run that compared few proves little.
    assert!(
        compared * 10 >= cases * 9,
        "only {compared} of {cases} compared"
    );
}

/// Findings of long runs, kept as regressions (tests/data/fuzz_regressions.toml).
#[test]
fn fuzz_regressions() {
    let text = include_str!("data/fuzz_regressions.toml");
    let data: toml::Value = toml::from_str(text).expect("fuzz_regressions.toml parses");
    let cases = data["case"].as_array().expect("cases");
    assert!(cases.len() >= 8);
    for c in cases {
        let seed = c["seed"].as_integer().expect("seed") as u64;
        let input = c["input"].as_str().expect("input");
        let wrt: Vec<&str> = c["wrt"]
            .as_array()
            .expect("wrt")
            .iter()
            .map(|v| v.as_str().expect("a name"))
            .collect();
        if let Err(f) = check_problem(input, &wrt, seed) {
            panic!("seed {seed} ({}): {f}", c["found"]);
        }
    }
}
