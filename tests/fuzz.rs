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
use matgrad::numeric::sample::Rng;

const DECLS: &str = "a, b : scalar; x, y : n; v : m; A, B : n x n; S : spd n x n; C : n x m";

#[derive(Clone, Copy, PartialEq)]
enum Kind {
    Scalar,
    Vec,
    Mat,
}

struct Gen {
    rng: Rng,
}

impl Gen {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.range(0, xs.len() - 1)]
    }

    fn expr(&mut self, kind: Kind, depth: usize) -> String {
        if depth == 0 || self.rng.uniform() < 0.25 {
            return self.leaf(kind);
        }
        let d = depth - 1;
        let e = match kind {
            Kind::Scalar => self.scalar(d),
            Kind::Vec => self.vector(d),
            Kind::Mat => self.matrix(d),
        };
        format!("({e})")
    }

    fn leaf(&mut self, kind: Kind) -> String {
        match kind {
            Kind::Scalar => self.pick(&["a", "b", "0.5", "2", "3", "(-1)"]).into(),
            Kind::Vec => self.pick(&["x", "y", "(C*v)", "(x - y)"]).into(),
            Kind::Mat => self
                .pick(&["A", "B", "S", "A'", "I", "(I + B)", "(I - B)", "(C*C')"])
                .into(),
        }
    }

    /// An SPD matrix built from `m` (so that inverses and log-determinants exist).
    fn spd(&mut self, d: usize) -> String {
        let m = self.expr(Kind::Mat, d);
        format!("(S + tanh({m})*tanh({m})')")
    }

    fn many_terms(&mut self, kind: Kind, d: usize) -> String {
        let k = self.rng.range(3, 12);
        (0..k)
            .map(|_| {
                let c = self.pick(&["", "2*", "a*", "-", "0.5*"]);
                format!("{c}{}", self.expr(kind, d.min(1)))
            })
            .collect::<Vec<_>>()
            .join(" + ")
            .replace("+ -", "- ")
    }

    fn scalar(&mut self, d: usize) -> String {
        let (p, q) = (self.expr(Kind::Scalar, d), self.expr(Kind::Scalar, d));
        let (u, w) = (self.expr(Kind::Vec, d), self.expr(Kind::Vec, d));
        let m = self.expr(Kind::Mat, d);
        match self.rng.range(0, 21) {
            0 => format!("({p} + {q})"),
            1 => format!("({p} - {q})"),
            2 => format!("({p}*{q})"),
            3 => format!("({p}/({q}^2 + 1))"),
            4 => format!("sin({p})"),
            5 => format!("tanh({p})"),
            6 => format!("sigmoid({p})"),
            7 => format!("log({p}^2 + 1)"),
            8 => format!("sqrt({p}^2 + 1)"),
            9 => format!("({u})'*({w})"),
            10 => format!("tr({m})"),
            11 => format!("sum({u})"),
            12 => format!("norm2({u})"),
            13 => format!("logsumexp({u})"),
            14 => format!("logdet({})", self.spd(d)),
            15 => format!("tr(inv({})*{m})", self.spd(d)),
            16 => format!("({u})'*({m})*({w})"),
            17 => format!("tr(({m})*({m})')"),
            18 => format!("({})", self.many_terms(Kind::Scalar, d)),
            19 => format!("sum(({u}) .* ({w}) ./ (({u}).^2 + 1))"),
            20 => format!("det(I + tanh({m})/4)"),
            _ => format!("exp(tanh({p}))"),
        }
    }

    fn vector(&mut self, d: usize) -> String {
        let (u, w) = (self.expr(Kind::Vec, d), self.expr(Kind::Vec, d));
        let p = self.expr(Kind::Scalar, d);
        let m = self.expr(Kind::Mat, d);
        match self.rng.range(0, 16) {
            0 => format!("({u} + {w})"),
            1 => format!("({u} - {w})"),
            2 => format!("({u} .* {w})"),
            3 => format!("({u} ./ (({w}).^2 + 1))"),
            4 => format!("({m})*({u})"),
            5 => format!("{p}*({u})"),
            6 => format!("tanh({u})"),
            7 => format!("sigmoid({u})"),
            8 => format!("softplus({u})"),
            9 => format!("softmax({u})"),
            10 => format!("diag({m})"),
            11 => format!("({u} + {p})"),
            12 => format!("inv({})*({u})", self.spd(d)),
            13 => format!("({})", self.many_terms(Kind::Vec, d)),
            14 => format!("exp(-({u}) .* ({u}))"),
            15 => format!("({u}).^2"),
            _ => format!("(({u})/({p}^2 + 1))"),
        }
    }

    fn matrix(&mut self, d: usize) -> String {
        let (m, n) = (self.expr(Kind::Mat, d), self.expr(Kind::Mat, d));
        let p = self.expr(Kind::Scalar, d);
        let (u, w) = (self.expr(Kind::Vec, d), self.expr(Kind::Vec, d));
        match self.rng.range(0, 14) {
            0 => format!("({m} + {n})"),
            1 => format!("({m})*({n})"),
            2 => format!("({m})'"),
            3 => format!("{p}*({m})"),
            4 => format!("({m} .* {n})"),
            5 => format!("inv({})", self.spd(d)),
            6 => format!("inv(I + inv({}))", self.spd(d)),
            7 => format!("diag({u})"),
            8 => format!("({u})*({w})'"),
            9 => format!("(I + {p}*{m})"),
            10 => format!("(I - ({m})/({p}^2 + 2))"),
            11 => format!("({})", self.many_terms(Kind::Mat, d)),
            12 => format!("(({m}) + {p})"),
            13 => format!("tanh({m})"),
            _ => format!("({m})/({p}^2 + 1)"),
        }
    }
}

/// One generated problem and the variables it depends on.
fn problem(seed: u64) -> (String, Vec<&'static str>) {
    let mut g = Gen {
        rng: Rng::new(seed),
    };
    let depth = g.rng.range(1, 3);
    let body = g.expr(Kind::Scalar, depth);
    let src = format!("{DECLS}; {body} + a*b");
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
    let g = matgrad::gradient(&src, &vars).map_err(|e| format!("{src}\n  derive: {e:?}"))?;
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
        second_order(&g, &src, &vars, &p)?;
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

/// Findings of long runs, kept as regressions (each was a wrong print, an internal
/// error or a refused simplification before its fix).
#[test]
fn fuzz_regressions() {
    for seed in REGRESSIONS {
        if let Err(f) = check(*seed) {
            panic!("seed {seed}: {f}");
        }
    }
}

const REGRESSIONS: &[u64] = &[
    // The common-factor pass (scalar factors taken out of sums) made wrong equalities in
    // the polish: `sum((x - y) .* y/(logsumexp(x)^2 + 1))` wrt x, `norm2((x - y + 3)/
    // (norm2(x)^2 + 1))`, and a Hessian block of `det(I + tanh(B/1.25)/4)*(-x)'*(B .*
    // (I + B))*C*v`; validation refused them (the pass was removed).
    15_741_282, 15_781_619, 15_829_815,
    // `tr(… 0.5*(S .* I) …)` wrt S printed `I .* (0.5*I) + 2*I`: identities whose size
    // nothing around fixes, read back as an error (found in a 100,000-case run).
    1_097_139,
    // `tr(I - (I .* S)/(tr(S)^2 + 2))` wrt S printed `… *I + I .* (-I/c)`, two others
    // `Q = I .* I + tr(M*P)` and `K = I + logsumexp(y)*(I + a*I)`: a product of
    // identities was taken to fix the size of its neighbours (the three findings of the
    // 1,000,000-case run).
    5_355_630, 5_625_002, 5_887_308,
    // A deeply nested `tr(inv(S + tanh((I + (b - b)*inv(…))…)…))` wrt B and S: a shared
    // adjoint cut out as a helper was zero, and the e-graph wrote that zero with the
    // helper's own name (`K6 = 0·K6`); validation refused it (the last 1,000,000-case
    // run's one finding). Such a zero is now simplified where it is used: ∂f/∂B = 0.
    40_917_896,
];
