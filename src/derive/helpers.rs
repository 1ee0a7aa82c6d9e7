//! Helper terms: which forward values get a name, their negated twins, names for
//! subexpressions repeated across the results, and putting single-use names back.

use std::collections::{HashMap, HashSet};

use egg::{Id, Language, RecExpr, Symbol};

use super::{Definition, Derivation, typed_tree};
use crate::autodiff::Adjoints;
use crate::ir::{Graph, Math, Shape};
use crate::model::Model;
use crate::simplify::cse::Tree;
use crate::simplify::{Facts, Props};

/// Terms not worth a name: leaves, their transposes and inverses, and scalar
/// coefficients made of scalar inputs only (they must stay visible to the
/// monomial folding of the simplifier).
fn trivial(g: &Graph, id: Id) -> bool {
    match g.node(id) {
        Math::Var(_) | Math::Num(_) | Math::Dim(_) | Math::Eye(_) => true,
        // −yᵀ, X⁻ᵀ: a name under transposes, negations and inverses.
        Math::Transpose(a) | Math::Neg(a) | Math::Inv(a) => {
            trivial(g, *a) && !g.shape(*a).is_scalar() || leaf(g, *a)
        }
        _ => g.shape(id).is_scalar() && scalar_coefficient(g, id),
    }
}

fn leaf(g: &Graph, id: Id) -> bool {
    matches!(g.node(id), Math::Var(_) | Math::Num(_))
}

fn scalar_coefficient(g: &Graph, id: Id) -> bool {
    match g.node(id) {
        Math::Num(_) => true,
        Math::Var(_) => g.shape(id).is_scalar(),
        Math::Add(_) | Math::Neg(_) | Math::Mul(_) | Math::Div(_) | Math::Pow(_) => g
            .node(id)
            .children()
            .iter()
            .all(|c| scalar_coefficient(g, *c)),
        _ => false,
    }
}

/// Forward nodes that become helper symbols: the user's names, and forward values
/// that the gradients, written out as trees, use more than once.
pub(super) fn choose_helpers(model: &Model, adj: &Adjoints) -> Vec<Id> {
    let g = &adj.graph;
    let fwd = adj.forward_len;
    // How many times each node occurs when the gradients are written as trees.
    let mut mult: HashMap<Id, usize> = HashMap::new();
    for (_, r) in &adj.grads {
        if let Some(r) = r {
            *mult.entry(*r).or_default() += 1;
        }
    }
    let mut refs: HashMap<Id, usize> = HashMap::new();
    for i in (fwd..g.len()).rev() {
        let id = Id::from(i);
        let Some(&m) = mult.get(&id) else { continue };
        for &c in g.node(id).children() {
            if usize::from(c) < fwd {
                *refs.entry(c).or_default() += m;
            } else {
                *mult.entry(c).or_default() += m;
            }
        }
    }
    for (_, r) in &adj.grads {
        if let Some(r) = r.filter(|r| usize::from(*r) < fwd) {
            *refs.entry(r).or_default() += 1;
        }
    }
    let mut out: Vec<Id> = refs
        .iter()
        .filter(|(id, n)| **n >= 2 && !trivial(g, **id))
        // A transpose is not worth a name: name what it transposes (Kᵀ, not K = (…)ᵀ).
        .map(|(id, _)| match g.node(*id) {
            Math::Transpose(a) => *a,
            _ => *id,
        })
        .filter(|id| !trivial(g, *id))
        .collect();
    // The inverse of a named term reads best as it is: K⁻¹, not a new name.
    out.retain(|id| !matches!(g.node(*id), Math::Inv(a) if model.def_name(*a).is_some()));
    out.extend(
        model
            .defs
            .iter()
            .map(|(_, id)| *id)
            .filter(|id| !trivial(g, *id)),
    );
    out.sort();
    out.dedup();
    out
}

/// Converts graph nodes to expressions in which `leaves` are symbols.
pub(super) fn to_exprs(
    g: &Graph,
    roots: &[Id],
    leaves: &HashMap<Id, Symbol>,
    keep_root: bool,
) -> Vec<RecExpr<Math>> {
    roots
        .iter()
        .map(|&root| {
            let mut out = RecExpr::default();
            let mut memo: HashMap<Id, Id> = HashMap::new();
            fn go(
                g: &Graph,
                id: Id,
                root: Id,
                keep: bool,
                leaves: &HashMap<Id, Symbol>,
                out: &mut RecExpr<Math>,
                memo: &mut HashMap<Id, Id>,
            ) -> Id {
                if let Some(&m) = memo.get(&id) {
                    return m;
                }
                let node = match leaves.get(&id) {
                    Some(s) if !(keep && id == root) => Math::Var(*s),
                    _ => {
                        let mut n = g.node(id).clone();
                        for c in n.children_mut() {
                            *c = go(g, *c, root, keep, leaves, out, memo);
                        }
                        n
                    }
                };
                let new = out.add(node);
                memo.insert(id, new);
                new
            }
            go(g, root, root, keep_root, leaves, &mut out, &mut memo);
            out
        })
        .collect()
}

pub(super) fn fresh_name(shape: &Shape, taken: &HashSet<String>) -> Symbol {
    let pool: &[&str] = if shape.is_scalar() {
        &["c", "s", "t", "γ", "κ"]
    } else if shape.cols == crate::ir::Dim::ONE {
        &["k", "u", "v", "r", "g", "e", "w"]
    } else {
        &["K", "M", "P", "Q", "R", "S", "U", "V", "G", "H"]
    };
    let base = pool.iter().find(|n| !taken.contains(**n));
    match base {
        Some(n) => Symbol::from(*n),
        None => {
            let stem = pool[0];
            let i = (1..)
                .find(|i| !taken.contains(&format!("{stem}{i}")))
                .unwrap_or(0);
            Symbol::from(format!("{stem}{i}"))
        }
    }
}

/// A difference helper u = a − b gets a twin ū = b − a, and the e-graph is told ū = −u,
/// so that extraction can pick the sign a textbook writes (W₃V₄ − y rather than
/// −(y − W₃V₄)). The twin that ends up unused is dropped with the other unused helpers.
pub(super) fn sign_twins(
    defs: &mut Vec<Definition>,
    facts: &mut HashMap<Symbol, Facts>,
    taken: &mut HashSet<String>,
) -> Vec<(RecExpr<Math>, RecExpr<Math>)> {
    let node = Tree::node;
    let zero = Id::from(0);
    let mut equalities = Vec::new();
    let mut added = Vec::new();
    for d in defs.iter().filter(|d| !d.user) {
        let (Math::Add(_), [a, nb]) = (&d.tree.op, d.tree.kids.as_slice()) else {
            continue;
        };
        let (Math::Neg(_), [b]) = (&nb.op, nb.kids.as_slice()) else {
            continue;
        };
        let name = fresh_name(&d.shape, taken);
        taken.insert(name.to_string());
        let tree = node(
            Math::Add([zero, zero]),
            vec![b.clone(), node(Math::Neg(zero), vec![a.clone()])],
        );
        // −u keeps the symmetry and the zeros of u, not its definiteness or sign.
        let of = facts.get(&d.name).map(|f| f.props).unwrap_or_default();
        let props = Props {
            symmetric: of.symmetric,
            diagonal: of.diagonal,
            ..Props::default()
        };
        facts.insert(
            name,
            Facts {
                shape: d.shape.clone(),
                props,
            },
        );
        let negated = node(Math::Neg(zero), vec![Tree::var(d.name)]);
        equalities.push((Tree::var(name).to_expr(), negated.to_expr()));
        added.push(Definition {
            name,
            tree,
            user: false,
            shape: d.shape.clone(),
        });
    }
    defs.extend(added);
    equalities
}

/// An elementwise function of a name, as a network's activation `relu(k)` or `σ(z1)`:
/// papers name these however short they are.
fn activation(t: &Tree) -> bool {
    crate::ops::is_elementwise(&t.op) && t.kids.len() == 1 && t.kids[0].kids.is_empty() && {
        matches!(t.kids[0].op, crate::ir::Math::Var(_))
    }
}

/// Names subexpressions of at least five nodes, and activations of names, that occur
/// more than once in the results.
pub(super) fn name_common(
    d: &mut Derivation,
    taken: &mut HashSet<String>,
    facts: &HashMap<Symbol, Facts>,
) {
    for _ in 0..8 {
        // Occurrences in the results and inside the new helpers' definitions (not the user's).
        let mut count: HashMap<&Tree, usize> = HashMap::new();
        for t in d.exprs.iter().flatten() {
            t.visit(&mut |s| *count.entry(s).or_default() += 1);
        }
        for def in d.defs.iter().filter(|x| !x.user) {
            for k in &def.tree.kids {
                k.visit(&mut |s| *count.entry(s).or_default() += 1);
            }
        }
        let best = count
            .iter()
            .filter(|(t, n)| **n >= 2 && (t.size() >= 4 || activation(t)))
            .max_by(|a, b| a.0.size().cmp(&b.0.size()).then_with(|| b.0.cmp(a.0)))
            .map(|(t, _)| (*t).clone());
        let Some(best) = best else { return };
        let mut vars: HashMap<Symbol, Shape> =
            facts.iter().map(|(s, f)| (*s, f.shape.clone())).collect();
        vars.extend(d.defs.iter().map(|x| (x.name, x.shape.clone())));
        let typed = typed_tree(vars, &best);
        let Ok(shape) = typed.map(|(g, r)| g.shape(r)) else {
            return;
        };
        let name = fresh_name(&shape, taken);
        taken.insert(name.to_string());
        let leaf = Tree::var(name);
        for t in d.exprs.iter_mut().flatten() {
            *t = t.replace(&best, &leaf);
        }
        // The new helper goes right before the first definition that uses it.
        let mut at = d.defs.len();
        for (i, def) in d.defs.iter_mut().enumerate().filter(|(_, x)| !x.user) {
            let replaced = def.tree.replace(&best, &leaf);
            if replaced != def.tree {
                at = at.min(i);
                def.tree = replaced;
            }
        }
        d.defs.insert(
            at,
            Definition {
                name,
                tree: best,
                user: false,
                shape,
            },
        );
    }
}

/// Puts back inline the helpers (not the user's names) used at most once, and drops unused ones.
pub(super) fn inline_single_use(d: &mut Derivation) {
    loop {
        let uses = |s: Symbol, d: &Derivation| -> usize {
            d.exprs
                .iter()
                .flatten()
                .map(|t| t.count_var(s))
                .sum::<usize>()
                + d.defs.iter().map(|x| x.tree.count_var(s)).sum::<usize>()
        };
        let pick = d
            .defs
            .iter()
            .position(|x| !x.user && uses(x.name, d) <= 1)
            .or_else(|| d.defs.iter().position(|x| x.user && uses(x.name, d) == 0));
        let Some(i) = pick else { return };
        let def = d.defs.remove(i);
        let map = HashMap::from([(def.name, def.tree.clone())]);
        for t in d.exprs.iter_mut().flatten() {
            *t = t.substitute(&map);
        }
        for x in d.defs.iter_mut() {
            x.tree = x.tree.substitute(&map);
        }
    }
}
