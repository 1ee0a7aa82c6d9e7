//! The e-class analysis proves structural facts of expressions (symmetric, SPD,
//! diagonal, identity, positive) from the declarations, and rules that need a fact
//! fire only where it holds.

use matgrad::derive::input_facts;
use matgrad::simplify::{Props, facts_of};

const DECLS: &str = "S, T : spd n x n; Q : sym n x n; A : n x n; v, x : n; a : scalar";

/// (expression, symmetric, spd, diagonal, identity, positive)
const CASES: &[(&str, bool, bool, bool, bool, bool)] = &[
    ("S", true, true, false, false, false),
    ("Q", true, false, false, false, false),
    ("A", false, false, false, false, false),
    ("I", true, true, true, true, false),
    ("inv(I)'", true, true, true, true, false),
    ("inv(S)", true, true, false, false, false),
    ("S + T", true, true, false, false, false),
    ("S + Q", true, false, false, false, false),
    ("2*S", true, true, false, false, false),
    ("S/3", true, true, false, false, false),
    ("-S", true, false, false, false, false),
    ("a*S", true, false, false, false, false),
    ("exp(a)*S + I", true, true, false, false, false),
    ("A*A'", true, false, false, false, false),
    ("A'*S*A", true, false, false, false, false),
    ("diag(v)", true, false, true, false, false),
    ("diag(exp(v))", true, true, true, false, false),
    ("diag(v)*diag(x)", true, false, true, false, false),
    ("inv(diag(v)) + 2*I", true, false, true, false, false),
    ("diag(v) .* A", true, false, true, false, false),
    ("A .* I", true, false, true, false, false),
    ("A*diag(v)", false, false, false, false, false),
    ("det(S)", true, true, false, false, true),
    ("tr(inv(S))", true, true, false, false, true),
    ("det(Q)", true, false, false, false, false),
    ("sqrt(det(S))", true, true, false, false, true),
    ("exp(v)", false, false, false, false, true),
];

#[test]
fn the_analysis_proves_the_facts() {
    let mut wrong = Vec::new();
    for &(expr, symmetric, spd, diagonal, identity, positive) in CASES {
        let m = matgrad::parse_program(&format!("{DECLS}\n{expr}")).expect(expr);
        let e = m.graph.extract(m.objective);
        let got = facts_of(&e, &input_facts(&m)).expect("rules load");
        let want = Props {
            symmetric,
            spd,
            diagonal,
            identity,
            positive,
        };
        if got != want {
            wrong.push(format!("{expr}: got {got:?}, want {want:?}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

/// Rules that read a fact, each on a problem where the fact holds and one where it does not.
const FACT_RULES: &[(&str, &str, &str)] = &[
    // log det S = logdet S for SPD S: the gradient of log(det(S)) is S⁻¹.
    ("S : spd n x n; log(det(S))", "S", "S⁻¹"),
    // |det S| = det S: det(S) is positive for SPD S ...
    ("S : spd n x n; abs(det(S))", "S", "det(S)S⁻¹"),
    // ... and not for a general A.
    ("A : n x n; abs(det(A))", "A", "csign(c)A⁻ᵀ"),
    // det(S)/(2√det(S)) = √det(S)/2 for positive det(S).
    ("S : spd n x n; sqrt(det(S))", "S", "(sqrt(det(S))/2)S⁻¹"),
    // diag(AD) = diag(A) ∘ diag(D) for a diagonal D; diag(xxᵀ) = x ∘ x = x∘².
    ("v, x, y : n; y'*diag(x*x'*diag(v))", "y", "x∘² ∘ v"),
    // diag(v)⁻¹ = diag(1 ⊘ v), and diag(diag(w)) = w.
    ("v : n; logdet(diag(v))", "v", "1 ⊘ v"),
];

#[test]
fn rules_read_the_facts() {
    for (problem, var, want) in FACT_RULES {
        let g = matgrad::gradient(problem, &[var]).expect(problem);
        let got = g.print(matgrad::Notation::Unicode);
        let first = got.lines().next().unwrap_or_default();
        let expr = first.split(" = ").nth(1).unwrap_or_default();
        assert_eq!(expr, *want, "{problem}\n{got}");
    }
}
