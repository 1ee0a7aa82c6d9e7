//! One sign for a term and its negation: when a result uses both a − b and b − a
//! (or a helper u and its negated twin ū), every occurrence of the less used one is
//! written as the negation of the other, and that sign is carried out of products,
//! transposes, traces and quotients to the nearest sum (or the front of the result):
//! ½(S⁻¹ + S⁻¹(x − μ)(μ − x)ᵀS⁻¹) becomes ½(S⁻¹ − S⁻¹(x − μ)(x − μ)ᵀS⁻¹), whose two
//! x − μ are then one helper. Extraction counts each occurrence of a term apart; this
//! pass makes a result share what extraction wrote twice with opposite signs.

use std::collections::HashMap;

use egg::{Id, Symbol};

use super::cse::Tree;
use crate::ir::Math;

/// Rewrites `result` so that of each pair of opposite terms that it and the helper
/// definitions it uses (`context`) write, only one is written; `twins` are pairs of
/// helpers known to be each other's negation (ū = −u). Each result is read on its
/// own: ∂f/∂b = b − Ax stays so beside ∂f/∂x = Aᵀ(Ax − b).
pub fn one_sign(result: &mut Tree, context: &[&Tree], twins: &[(Symbol, Symbol)]) {
    let flips = flipped(
        std::iter::once(&*result).chain(context.iter().copied()),
        twins,
    );
    if !flips.is_empty() {
        *result = rewrite(result, &flips, true);
    }
}

/// The opposite of a term, if it is a difference or a twin helper.
fn opposite(t: &Tree, twins: &HashMap<Symbol, Symbol>) -> Option<Tree> {
    let zero = Id::from(0);
    match (&t.op, t.kids.as_slice()) {
        (Math::Add(_), [a, nb]) => match (&nb.op, nb.kids.as_slice()) {
            (Math::Neg(_), [b]) if !matches!(a.op, Math::Neg(_)) => Some(Tree::node(
                Math::Add([zero, zero]),
                vec![b.clone(), Tree::node(Math::Neg(zero), vec![a.clone()])],
            )),
            _ => None,
        },
        (Math::Var(s), []) => twins.get(s).map(|o| Tree::var(*o)),
        _ => None,
    }
}

/// The terms to write as the negation of their opposite (each mapped to that
/// opposite): of two opposite terms that both occur, the one that occurs less often,
/// or, as often, later in reading order.
fn flipped<'a>(
    trees: impl Iterator<Item = &'a Tree>,
    twins: &[(Symbol, Symbol)],
) -> HashMap<Tree, Tree> {
    let twins: HashMap<Symbol, Symbol> = twins
        .iter()
        .flat_map(|(a, b)| [(*a, *b), (*b, *a)])
        .collect();
    // Each candidate term: its count and the position of its first occurrence.
    let mut seen: HashMap<Tree, (usize, usize)> = HashMap::new();
    for t in trees {
        t.visit(&mut |s| {
            if opposite(s, &twins).is_some() {
                let next = seen.len();
                seen.entry(s.clone()).or_insert((0, next)).0 += 1;
            }
        });
    }
    let mut out = HashMap::new();
    for (t, (count, first)) in &seen {
        let Some(o) = opposite(t, &twins) else {
            continue;
        };
        if let Some((oc, of)) = seen.get(&o)
            && (count < oc || (count == oc && first > of))
        {
            out.insert(t.clone(), o);
        }
    }
    out
}

/// Operations that are linear in each operand: a sign of an operand is a sign of
/// the whole (−A B = −(AB), (−A)ᵀ = −Aᵀ, tr(−A) = −tr(A), a/(−b) = −(a/b)).
fn carries_sign(op: &Math) -> bool {
    matches!(
        op,
        Math::Mul(_)
            | Math::Hadamard(_)
            | Math::Div(_)
            | Math::EDiv(_)
            | Math::Transpose(_)
            | Math::Trace(_)
            | Math::Sum(_)
            | Math::DiagM(_)
            | Math::DiagV(_)
    )
}

/// A subtree rewritten: the tree, whether its value is the negation of that tree,
/// and whether anything changed (an unchanged subtree is returned as it was).
struct Signed {
    tree: Tree,
    negated: bool,
    changed: bool,
}

fn rewrite(t: &Tree, flips: &HashMap<Tree, Tree>, top: bool) -> Tree {
    let s = signed(t, flips);
    if s.negated && top {
        negate(s.tree)
    } else {
        s.tree
    }
}

fn negate(t: Tree) -> Tree {
    Tree::node(Math::Neg(Id::from(0)), vec![t])
}

fn signed(t: &Tree, flips: &HashMap<Tree, Tree>) -> Signed {
    crate::stack::deep(|| signed_deep(t, flips))
}

fn signed_deep(t: &Tree, flips: &HashMap<Tree, Tree>) -> Signed {
    if let Some(o) = flips.get(t) {
        return Signed {
            tree: o.clone(),
            negated: true,
            changed: true,
        };
    }
    let kids: Vec<Signed> = t.kids.iter().map(|k| signed(k, flips)).collect();
    if !kids.iter().any(|k| k.changed) {
        return Signed {
            tree: t.clone(),
            negated: false,
            changed: false,
        };
    }
    let materialise = |k: Signed| if k.negated { negate(k.tree) } else { k.tree };
    let (tree, negated) = match &t.op {
        Math::Neg(_) => {
            let k = kids.into_iter().next().expect("a negation has an operand");
            (k.tree, !k.negated)
        }
        op if carries_sign(op) => {
            let negated = kids.iter().fold(false, |s, k| s ^ k.negated);
            let kids = kids.into_iter().map(|k| k.tree).collect();
            (Tree::node(op.clone(), kids), negated)
        }
        // A sum of two negated terms is the negated sum; otherwise each term keeps
        // its own sign (a − b).
        Math::Add(_) if kids.iter().all(|k| k.negated) => {
            let kids = kids.into_iter().map(|k| k.tree).collect();
            (Tree::node(t.op.clone(), kids), true)
        }
        op => (
            Tree::node(op.clone(), kids.into_iter().map(materialise).collect()),
            false,
        ),
    };
    Signed {
        tree,
        negated,
        changed: true,
    }
}
