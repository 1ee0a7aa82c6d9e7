//! Deep networks in linear size: `0.5*norm2(tanh(WL*…tanh(W1*x)…) - y)` with every
//! weight as a variable. Each layer's backpropagated error δₗ = Wₗ₊₁ᵀδₗ₊₁ ∘ (1 − aₗ∘²)
//! must be a helper of a few operations that the next one uses, so that the printed
//! answer and the e-graph grow linearly in the depth L; the gradients must agree
//! with finite differences. (Time is measured in `benches/deep.rs`, not here.)

use egg::Symbol;
use matgrad::Gradient;
use matgrad::ir::Math;
use matgrad::simplify::cse::Tree;

/// How the network is written: one nested expression, or a name per layer.
#[derive(Debug, Clone, Copy)]
enum Form {
    Nested,
    Named,
}

/// The problem text for a network of `depth` layers, and its variables.
fn network(form: Form, depth: usize) -> (String, Vec<String>) {
    let wrt: Vec<String> = (1..=depth).map(|i| format!("W{i}")).collect();
    let text = match form {
        Form::Nested => {
            let e = (1..=depth).fold("x".to_string(), |e, i| format!("tanh(W{i}*{e})"));
            format!("0.5*norm2({e} - y)")
        }
        Form::Named => {
            let mut s = String::new();
            for i in 1..=depth {
                let prev = if i == 1 {
                    "x".to_string()
                } else {
                    format!("a{}", i - 1)
                };
                s += &format!("a{i} = tanh(W{i}*{prev})\n");
            }
            s + &format!("0.5*norm2(a{depth} - y)")
        }
    };
    (text, wrt)
}

fn derive(form: Form, depth: usize) -> Gradient {
    let (text, wrt) = network(form, depth);
    let wrt: Vec<&str> = wrt.iter().map(String::as_str).collect();
    matgrad::gradient(&text, &wrt).unwrap_or_else(|e| panic!("{form:?} L={depth}: {e}"))
}

/// The printed size: characters of the unicode output, each name (a letter and its
/// index, `W37`, `k12`) counted as one symbol, since the indices of the names grow
/// with the depth whatever the form.
fn printed_size(g: &Gradient) -> usize {
    let text = g.print(matgrad::Notation::Unicode);
    let mut n = 0;
    let mut in_name = false;
    for c in text.chars() {
        let continues = in_name && c.is_ascii_digit();
        in_name = c.is_alphabetic() || continues;
        n += usize::from(!continues);
    }
    n
}

/// E-nodes of both phases of the simplifier.
fn egraph_nodes(g: &Gradient) -> usize {
    let s = &g.derivation.stats;
    s.nodes + s.polish.as_ref().map_or(0, |p| p.nodes)
}

fn var(t: &Tree) -> Option<Symbol> {
    match t.op {
        Math::Var(s) => Some(s),
        _ => None,
    }
}

fn uses(t: &Tree, s: Symbol) -> bool {
    t.count_var(s) > 0
}

/// The helper δₗ of each layer l ≥ 2: ∂f/∂Wₗ is δₗaₗ₋₁ᵀ with both names helpers;
/// δₗ is defined in a few operations from Wₗ₊₁ and δₗ₊₁ (from y at the last
/// layer), and ∂f/∂W1 uses δ₂. Returns the number of layers with a helper.
fn assert_helper_per_layer(g: &Gradient, depth: usize) -> usize {
    let d = &g.derivation;
    let def = |s: Symbol| {
        d.defs
            .iter()
            .find(|x| x.name == s)
            .unwrap_or_else(|| panic!("{s} is not a helper"))
    };
    // δₗ for l = 2, …, L: the name ∂f/∂Wₗ = δₗaₗ₋₁ᵀ uses.
    let deltas: Vec<Symbol> = (2..=depth)
        .map(|l| {
            let t = d.exprs[l - 1].as_ref().expect("a nonzero gradient");
            let (Math::Mul(_), [delta, at]) = (&t.op, t.kids.as_slice()) else {
                panic!("L={depth}: ∂f/∂W{l} is not a product δaᵀ: {t:?}");
            };
            let delta = var(delta).unwrap_or_else(|| panic!("∂f/∂W{l}: δ is not a name"));
            assert!(matches!(at.op, Math::Transpose(_)), "∂f/∂W{l}: not δaᵀ");
            assert!(!def(delta).user, "δ{l} is a helper of matgrad's");
            delta
        })
        .collect();
    for (i, delta) in deltas.iter().enumerate() {
        let l = i + 2;
        let body = &def(*delta).tree;
        assert!(body.size() <= 12, "δ{l} is not a short step: {body:?}");
        match deltas.get(i + 1) {
            Some(next) => {
                assert!(uses(body, *next), "δ{l} does not use δ{}", l + 1);
                let w = Symbol::from(format!("W{}", l + 1).as_str());
                assert!(uses(body, w), "δ{l} does not use W{}", l + 1);
            }
            None => assert!(uses(body, Symbol::from("y")), "the last δ does not use y"),
        }
    }
    let first = d.exprs[0].as_ref().expect("∂f/∂W1");
    assert!(uses(first, deltas[0]), "∂f/∂W1 does not use δ2");
    let distinct: std::collections::HashSet<&Symbol> = deltas.iter().collect();
    distinct.len()
}

#[test]
fn every_layer_has_its_backpropagated_error_as_a_helper() {
    for (form, depth) in [
        (Form::Nested, 8),
        (Form::Nested, 64),
        (Form::Named, 64),
        (Form::Nested, 256),
        (Form::Named, 256),
    ] {
        let g = derive(form, depth);
        let v = &g.derivation.validation;
        assert!(v.ran && v.fallback.is_none(), "{form:?} L={depth}: {v:?}");
        assert!(g.derivation.stats.limit.is_none(), "{form:?} L={depth}");
        assert_eq!(assert_helper_per_layer(&g, depth), depth - 1);
    }
}

/// Bytes of the printed unicode text.
fn printed_bytes(g: &Gradient) -> usize {
    g.print(matgrad::Notation::Unicode).len()
}

/// Bytes of the printed unicode text that are not digits: all of it but the indices
/// of the names.
fn printed_bytes_but_indices(g: &Gradient) -> usize {
    let text = g.print(matgrad::Notation::Unicode);
    text.bytes().filter(|b| !b.is_ascii_digit()).count()
}

#[test]
fn printed_size_and_egraph_grow_linearly() {
    let (shallow, deep) = (derive(Form::Nested, 8), derive(Form::Nested, 64));
    for (what, size) in [
        ("printed size", printed_size as fn(&Gradient) -> usize),
        ("printed bytes but indices", printed_bytes_but_indices),
        ("e-graph nodes", egraph_nodes),
    ] {
        let (a, b) = (size(&shallow), size(&deep));
        let ratio = b as f64 / a as f64;
        println!("{what}: L=8 {a}, L=64 {b} ({ratio:.2}×)");
        assert!(ratio <= 8.5, "{what}: L=64 is {ratio:.2}× L=8 ({b} / {a})");
    }
}

/// The printed bytes, indices included. Their only growth beyond the linear is the
/// width of the indices (W9 → W10, k9 → u1 → k10): every layer prints its weight's
/// name three times and its two helpers' names seven times. The user's own names
/// alone make L = 64 8.47× L = 8 (helper names without digits, which cannot all be
/// told apart); with matgrad's names of two or three characters (k1 … k9, u1 … u9,
/// …, then k10) it is 9.0×, and doubling the depth at most doubles the size and a
/// little (the indices one digit wider every tenfold depth).
#[test]
fn printed_bytes_grow_linearly_but_for_the_width_of_indices() {
    let sizes: Vec<(usize, usize)> = [8, 64, 128]
        .into_iter()
        .map(|l| (l, printed_bytes(&derive(Form::Nested, l))))
        .collect();
    println!("printed bytes: {sizes:?}");
    let [(_, b8), (_, b64), (_, b128)] = sizes[..] else {
        unreachable!()
    };
    let deep = b64 as f64 / b8 as f64;
    assert!(deep <= 9.05, "bytes: L=64 is {deep:.2}× L=8 ({b64} / {b8})");
    let doubled = b128 as f64 / b64 as f64;
    assert!(
        doubled <= 2.1,
        "bytes: L=128 is {doubled:.2}× L=64 ({b128} / {b64})"
    );
}

#[test]
fn deep_gradients_agree_with_finite_differences() {
    for (form, depth) in [(Form::Nested, 8), (Form::Nested, 32), (Form::Named, 64)] {
        let g = derive(form, depth);
        let r = matgrad::check::check(&g, 2, 7).expect("evaluates");
        assert!(r.ok, "{form:?} L={depth}:\n{}", r.text);
        assert_eq!(r.vars.len(), depth);
    }
}
