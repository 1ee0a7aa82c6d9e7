//! Every seed problem: the gradient equals the textbook's numerically, the ASCII
//! result reads back to the same numbers, the display matches where given, and the
//! closed form is no longer than the textbook's.

mod common;

use common::*;
use matgrad::Notation;

#[test]
fn seed_gradients_match_textbook() {
    let mut checked = 0;
    for pr in seeds() {
        let (name, input, wrt) = case(&pr);
        if pr.get("error").is_some() {
            let e = matgrad::gradient(input, &wrt).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{name}");
            assert!(
                e.message.contains("W1") && e.message.contains("2×3"),
                "{name}: {}",
                e.message
            );
            continue;
        }
        let g = matgrad::gradient(input, &wrt).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(
            g.derivation.stats.refused.is_empty(),
            "{name}: rules refused {:?}",
            g.derivation.stats.refused
        );
        for seed in 0..3 {
            let p = point(&g.model, seed);
            let ours = g.derivation.evaluate(&g.model, &p).unwrap();
            let raw = g.derivation.evaluate_raw(&p).unwrap();
            for (i, var) in wrt.iter().enumerate() {
                let expect = format!(
                    "{}\n{}",
                    declarations(input),
                    pr["expect"][*var].as_str().unwrap()
                );
                let want = eval_program(&expect, &p);
                let err = rel(&ours[i], &want);
                assert!(
                    err <= 1e-8,
                    "{name} d/d{var}: rel err {err:e} against the textbook"
                );
                assert!(
                    rel(&ours[i], &raw[i]) <= 1e-8,
                    "{name} d/d{var}: simplified differs from the raw adjoint"
                );
                let back = eval_program(&ascii_program(&g, input, var), &p);
                assert!(
                    rel(&back, &ours[i]) <= 1e-10,
                    "{name} d/d{var}: the ASCII output reads back differently"
                );
                let fdv = fd(&g.model, &p, var);
                assert!(
                    rel(&ours[i], &fdv) <= 1e-5,
                    "{name} d/d{var}: finite differences disagree"
                );
                checked += 1;
            }
        }
    }
    assert!(checked >= 60, "checked only {checked} gradients");
}

#[test]
fn seed_displays_match() {
    let mut compared = 0;
    for pr in seeds() {
        let Some(display) = pr.get("display") else {
            continue;
        };
        let (_, input, wrt) = case(&pr);
        let g = matgrad::gradient(input, &wrt).unwrap();
        for (var, want) in display.as_table().unwrap() {
            let want = want.as_str().unwrap();
            let (wexpr, whelpers) = match want.split_once(" where ") {
                Some((e, h)) => {
                    let (n, d) = h.split_once(" = ").unwrap();
                    (
                        e.to_string(),
                        vec![(n.trim().to_string(), d.trim().to_string())],
                    )
                }
                None => (want.to_string(), vec![]),
            };
            let helpers = new_helpers(&g);
            let got = g.expression(var, Notation::Unicode).unwrap();
            assert_eq!(
                canonical_display(&got, &helpers),
                canonical_display(&wexpr, &whelpers),
                "{}: got {got} {helpers:?}, want {want}",
                pr["name"]
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 3);
}

#[test]
fn seed_closed_forms_are_short() {
    let mut report = Vec::new();
    for pr in seeds() {
        if pr.get("error").is_some() {
            continue;
        }
        let (name, input, wrt) = case(&pr);
        let g = matgrad::gradient(input, &wrt).unwrap();
        for var in &wrt {
            let ours = ops_count(&ascii_program(&g, input, var));
            let theirs = ops_count(&format!(
                "{}\n{}",
                declarations(input),
                pr["expect"][*var].as_str().unwrap()
            ));
            report.push(format!("{name} d/d{var}: {ours} ops vs textbook {theirs}"));
            if ours > theirs {
                report.push("  ^ TOO LONG".to_string());
            }
        }
    }
    let text = report.join("\n");
    assert!(!text.contains("TOO LONG"), "{text}");
}

#[test]
fn seed_hessians_match_textbook() {
    let mut checked = 0;
    for pr in seeds() {
        let Some(hess) = pr.get("hessian") else {
            continue;
        };
        let (name, input, wrt) = case(&pr);
        let g = matgrad::gradient(input, &wrt).unwrap();
        let hs = matgrad::hessian::hessians(&g).unwrap();
        for (i, h) in hs.blocks.iter().enumerate() {
            let want_src = format!(
                "{}\n{}",
                declarations(input),
                hess[h.row.as_str()].as_str().unwrap()
            );
            for seed in 0..3 {
                let p = point(&g.model, seed);
                let ours = hs.value(&g, &p, i).unwrap();
                let want = eval_program(&want_src, &p);
                assert!(
                    rel(&ours, &want) <= 1e-8,
                    "{name} d²/d{}²: {ours} vs {want}",
                    h.row
                );
                // Central differences of the gradient, column by column.
                let x = p.values[&egg::Symbol::from(h.row.as_str())].clone();
                for j in 0..x.nrows() {
                    let (mut pp, mut pm) = (p.clone(), p.clone());
                    let mut xp = x.clone();
                    xp[(j, 0)] += 1e-6;
                    let mut xm = x.clone();
                    xm[(j, 0)] -= 1e-6;
                    pp.values.insert(egg::Symbol::from(h.row.as_str()), xp);
                    pm.values.insert(egg::Symbol::from(h.row.as_str()), xm);
                    let gp = g.derivation.evaluate(&g.model, &pp).unwrap()[0].clone();
                    let gm = g.derivation.evaluate(&g.model, &pm).unwrap()[0].clone();
                    let col = (gp - gm) / 2e-6;
                    let ours_col = ours.columns(j, 1).into_owned();
                    assert!(
                        rel(&ours_col, &col) <= 1e-5,
                        "{name}: column {j} vs finite differences"
                    );
                }
                checked += 1;
            }
        }
    }
    assert_eq!(checked, 6);
}

#[test]
fn hessians_of_more_problems() {
    // (problem, variable, Hessian as a matgrad program over the same declarations)
    let cases = [
        (
            "x : n; logsumexp(x)",
            "x",
            "diag(softmax(x)) - softmax(x)*softmax(x)'",
        ),
        (
            "x : n; A : n x n; 0.5*x'*A*x + sum(exp(x))",
            "x",
            "0.5*(A + A') + diag(exp(x))",
        ),
        ("x : n; norm2(x)^2", "x", "8*x*x' + 4*norm2(x)*I"),
        ("a, b : scalar; a^3*b + sin(a)", "a", "6*a*b - sin(a)"),
        (
            "x : n; y : n; sum(log(1 + exp(-y .* x)))",
            "x",
            "diag(y.^2 .* sigmoid(-y .* x) .* (1 - sigmoid(-y .* x)))",
        ),
    ];
    for (src, var, want) in cases {
        let g = matgrad::gradient(src, &[var]).unwrap_or_else(|e| panic!("{src}: {e}"));
        let hs = matgrad::hessian::hessians(&g).unwrap_or_else(|e| panic!("{src}: {e}"));
        for seed in 0..3 {
            let p = point(&g.model, seed);
            let ours = hs.value(&g, &p, 0).unwrap();
            let theirs = eval_program(&format!("{}\n{want}", declarations(src)), &p);
            let theirs = if theirs.shape() == (1, 1) && ours.shape() != (1, 1) {
                ours.map(|_| theirs[(0, 0)])
            } else {
                theirs
            };
            assert!(rel(&ours, &theirs) <= 1e-8, "{src}: {ours} vs {theirs}");
        }
    }
}

#[test]
fn a_hit_bound_still_gives_a_correct_answer() {
    let src = "X : N x q\nY : N x p\nalpha, beta, D : scalar\nK = alpha*X*X' + I/beta\n-D/2*logdet(K) - 0.5*tr(inv(K)*Y*Y')";
    let model = matgrad::parse_problem(src).unwrap();
    let mut opts = matgrad::Options::default();
    opts.limits.iterations = 2;
    let g = matgrad::gradient_with(model, &["X", "alpha"], &opts).unwrap();
    assert!(
        g.derivation
            .stats
            .limit
            .as_deref()
            .is_some_and(|l| l.contains("IterationLimit")),
        "{:?}",
        g.derivation.stats
    );
    let p = point(&g.model, 4);
    let ours = g.derivation.evaluate(&g.model, &p).unwrap();
    for (i, v) in ["X", "alpha"].iter().enumerate() {
        assert!(rel(&ours[i], &fd(&g.model, &p, v)) <= 1e-5, "d/d{v}");
    }
}

#[test]
fn seed_closed_forms_alone_are_short() {
    // Each variable derived on its own (no helpers shared with other variables): no
    // exception; gplvm-full ∂X reaches α(K⁻¹YYᵀK⁻¹X − DK⁻¹X) in the polish phase.
    let mut report = Vec::new();
    for pr in seeds() {
        if pr.get("error").is_some() {
            continue;
        }
        let (name, input, wrt) = case(&pr);
        for var in &wrt {
            let g = matgrad::gradient(input, &[var]).unwrap();
            let ours = ops_count(&ascii_program(&g, input, var));
            let theirs = ops_count(&format!(
                "{}\n{}",
                declarations(input),
                pr["expect"][*var].as_str().unwrap()
            ));
            let too_long = ours > theirs;
            report.push(format!(
                "{name} d/d{var}: {ours} ops vs textbook {theirs}{}",
                if too_long { "  TOO LONG" } else { "" }
            ));
        }
    }
    let text = report.join("\n");
    assert!(!text.contains("TOO LONG"), "{text}");
}
