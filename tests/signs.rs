//! One sign per term: no result writes both a − b and b − a (it writes one, and the
//! other as its negation), so that a term and its negation are one helper. Checked on
//! every seed and everyday problem, and on a table of cases with the form expected.

mod common;

use std::collections::HashSet;

use common::*;
use matgrad::ir::Math;
use matgrad::simplify::cse::Tree;

/// The differences a − b written in a tree.
fn differences(t: &Tree, out: &mut HashSet<(Tree, Tree)>) {
    t.visit(&mut |s| {
        if let (Math::Add(_), [a, nb]) = (&s.op, s.kids.as_slice())
            && let (Math::Neg(_), [b]) = (&nb.op, nb.kids.as_slice())
        {
            out.insert((a.clone(), b.clone()));
        }
    });
}

/// No result, with the helpers it names, writes both a − b and b − a.
fn assert_one_sign(name: &str, g: &matgrad::Gradient) {
    let d = &g.derivation;
    for t in d.exprs.iter().flatten() {
        let mut diffs = HashSet::new();
        differences(t, &mut diffs);
        for def in d.defs.iter().filter(|x| t.count_var(x.name) > 0) {
            differences(&def.tree, &mut diffs);
        }
        for (a, b) in &diffs {
            assert!(
                !diffs.contains(&(b.clone(), a.clone())),
                "{name}: both a − b and b − a in\n{}",
                g.print(matgrad::Notation::Unicode)
            );
        }
    }
}

#[test]
fn no_result_writes_a_difference_both_ways() {
    let forms: toml::Value =
        toml::from_str(include_str!("data/forms.toml")).expect("forms.toml parses");
    let forms = forms["problem"].as_array().expect("problems").clone();
    for pr in seeds().iter().filter(|p| p.get("error").is_none()) {
        let (name, input, wrt) = case(pr);
        let g = matgrad::gradient(input, &wrt).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_one_sign(name, &g);
    }
    for pr in &forms {
        let s = |k: &str| pr[k].as_str().expect(k);
        let g = matgrad::gradient(s("input"), &[s("wrt")]).expect("derives");
        assert_one_sign(s("name"), &g);
    }
}

#[test]
fn the_sign_goes_to_the_sum() {
    // (problem, variables, the printed answer)
    let cases = [
        (
            "S : spd n x n; x, mu : n; 0.5*logdet(S) + 0.5*(x - mu)'*inv(S)*(x - mu)",
            "S",
            "∂f/∂S = ½(S⁻¹ − S⁻¹kkᵀS⁻¹)\n  where k = x − μ",
        ),
        (
            "K : spd n x n; y, mu : n; 0.5*(y - mu)'*inv(K)*(y - mu) + 0.5*logdet(K)",
            "K",
            "∂f/∂K = ½(K⁻¹ − K⁻¹kkᵀK⁻¹)\n  where k = y − μ",
        ),
        // Each result is read on its own: b − Ax beside Aᵀ(Ax − b).
        (
            "A : m x n; x : n; b : m; 0.5*norm2(A*x - b)",
            "x,b",
            "∂f/∂x = Aᵀ(Ax − b)\n∂f/∂b = b − Ax",
        ),
        (
            "x, y : n; norm2(x - y)",
            "x,y",
            "∂f/∂x = 2(x − y)\n∂f/∂y = 2(y − x)",
        ),
    ];
    for (input, vars, want) in cases {
        let vars: Vec<&str> = vars.split(',').collect();
        let g = matgrad::gradient(input, &vars).expect("derives");
        assert_eq!(g.print(matgrad::Notation::Unicode), want, "{input}");
        let r = matgrad::check::check(&g, 3, 1).expect("evaluates");
        assert!(r.ok, "{input}: {}", r.text);
    }
}
