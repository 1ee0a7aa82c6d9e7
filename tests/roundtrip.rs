//! The ASCII output is the input language: every printed gradient, with its helper
//! definitions, read back by the parser gives the same numbers. Random well-typed
//! problems (the generator of tests/props.rs, plus unary minus inside the one
//! left-to-right level of `* .* / ./`), each printed simplified, raw (`--raw`) and for
//! the FLOP cost (`--cost flops`), evaluated at a random point. At least 256 problems
//! are compared; set MATGRAD_ROUNDTRIP_CASES for more.

mod common;

use common::generator::{Gen, Kind, PROPS};

const DECLS: &str = PROPS.decls;
use common::{ascii_program, eval_program, point, rel};
use matgrad::simplify::CostKind;
use matgrad::{Options, Result};

/// A scalar objective: from the generator, or one of the shapes where a minus sign
/// meets a product (`B .* -2*A` must print its brackets).
fn objective(g: &mut Gen) -> String {
    let depth = g.rng.range(1, 4);
    let body = g.expr(Kind::Scalar, depth);
    let (m, n) = (g.expr(Kind::Mat, depth - 1), g.expr(Kind::Mat, depth - 1));
    let (u, w) = (g.expr(Kind::Vec, depth - 1), g.expr(Kind::Vec, depth - 1));
    let a = g.expr(Kind::Scalar, depth - 1);
    match g.rng.range(0, 9) {
        0 => format!("sum({m} .* -{n} .* {m})"),
        1 => format!("sum(exp(-{u} .* {u}))"),
        2 => format!("sigmoid({w}'*(-({u} .* {u})))"),
        3 => format!("-{a}*{body} - -{a}/3"),
        4 => format!("sum(-{u} ./ ({w}.^2 + 1) .* -{u})"),
        5 => format!("tr(-{m}*-{n}) - {a}/-7"),
        _ => body,
    }
}

fn options() -> Vec<(&'static str, Options)> {
    let raw = Options {
        raw: true,
        ..Options::default()
    };
    let flops = Options {
        cost: CostKind::Flops(Default::default()),
        ..Options::default()
    };
    vec![
        ("simplified", Options::default()),
        ("raw", raw),
        ("flops", flops),
    ]
}

/// Compares the ASCII output of every variable under every option; returns whether the
/// problem could be evaluated at its point (if not, nothing was compared).
fn round_trip(src: &str, seed: u64) -> Result<bool> {
    let model = matgrad::parse_problem(src)?;
    let vars = common::used_inputs(&model, &["x", "A", "s", "C", "S"]);
    let p = point(&model, seed);
    for (what, opts) in options() {
        let g = matgrad::gradient_with(model.clone(), &vars, &opts)?;
        // The printed forms themselves (no fallback to the adjoint where a form has
        // no value, e.g. det(K)K⁻ᵀ at a numerically singular K).
        let Ok(ours) = g.derivation.evaluate_forms(&g.model, &p) else {
            return Ok(false);
        };
        for (i, var) in vars.iter().enumerate() {
            let program = ascii_program(&g, src, var);
            let back = matgrad::parse_program(&program)
                .and_then(|m| {
                    let mut q = p.clone();
                    q.values.retain(|k, _| m.input(k.as_str()).is_some());
                    matgrad::numeric::check::value_at(&m.graph.expr, m.objective, &q)
                })
                .unwrap_or_else(|e| panic!("{src} ({what}) d/d{var}: {e}\n{program}"));
            // An identically zero gradient prints as `0`, whatever its shape.
            let zero = g.expression(var, matgrad::Notation::Ascii).as_deref() == Some("0");
            let e = if zero {
                ours[i].amax()
            } else {
                rel(&back, &ours[i])
            };
            assert!(
                e <= 1e-9,
                "{src} ({what}) d/d{var}: the ASCII output reads back differently ({e:e}):\n{program}"
            );
        }
    }
    Ok(true)
}

#[test]
fn ascii_output_reads_back_to_the_same_numbers() {
    let want: usize = std::env::var("MATGRAD_ROUNDTRIP_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(256);
    let (mut compared, mut seed) = (0, 0u64);
    while compared < want {
        assert!(
            seed < 4 * want as u64,
            "only {compared} of {seed} problems compared"
        );
        let mut g = Gen::new(&PROPS, seed ^ 0x5eed);
        // `+ s*t` makes sure there is always an input to differentiate.
        let src = format!("{DECLS}; {} + s*t", objective(&mut g));
        match round_trip(&src, seed) {
            Ok(true) => compared += 1,
            Ok(false) => {}
            Err(e) => panic!("{src}: {e}"),
        }
        seed += 1;
    }
    assert!(compared >= 256);
}

/// The reproducers of the issue, each printed in ASCII and read back.
#[test]
fn ascii_brackets_of_the_product_level() {
    let cases = [
        ("A : n x n; B : n x n; sum(A .* -B .* A)", "A"),
        ("w : n; sum(exp(-w .* w))", "w"),
        ("w, y : n; sigmoid(y'*(-(w .* w)))", "w"),
        ("x : n; sum(x ./ -3)", "x"),
        ("x : n; a : scalar; sum(x) * -a/3", "a"),
    ];
    let mut shown = Vec::new();
    for (src, var) in cases {
        for (what, opts) in options() {
            let model = matgrad::parse_problem(src).unwrap();
            let g = matgrad::gradient_with(model, &[var], &opts).unwrap();
            let p = point(&g.model, 7);
            let ours = g.evaluate(&p).unwrap();
            let program = ascii_program(&g, src, var);
            let back = eval_program(&program, &p);
            assert!(rel(&back, &ours[0]) <= 1e-10, "{src} ({what}):\n{program}");
            shown.push(format!(
                "{src} ({what}):\n{}",
                g.print(matgrad::Notation::Ascii)
            ));
        }
    }
    insta::assert_snapshot!(shown.join("\n\n"));
}
