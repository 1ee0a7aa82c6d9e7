//! Helper terms of the second derivatives: a subexpression the forms use more
//! than once (in the DAG) is named, so that shared tangents stay shared (the
//! tangent of a chain `sin(sin(…(x)…))` is linear in the depth as a DAG, but
//! exponential written out as a tree) and repeated terms read as a textbook
//! writes them (`s = softmax(z)`). Names used once in the end are put back.

use std::collections::{HashMap, HashSet};

use egg::{Id, Language, RecExpr, Symbol};

use crate::ir::{Graph, Math, Shape};
use crate::simplify::cse::Tree;

/// Nodes used by two or more parents among the forms `roots` (below the gradient's
/// helper nodes `leaves`, which stay symbols), in dependency order.
pub fn choose(g: &Graph, roots: &[Id], leaves: &HashMap<Id, Symbol>) -> Vec<Id> {
    let mut uses: HashMap<Id, usize> = HashMap::new();
    let mut seen: HashSet<Id> = HashSet::new();
    let mut stack: Vec<Id> = roots.to_vec();
    for r in roots {
        *uses.entry(*r).or_default() += 1;
    }
    while let Some(id) = stack.pop() {
        if !seen.insert(id) || leaves.contains_key(&id) {
            continue;
        }
        for c in g.node(id).children() {
            *uses.entry(*c).or_default() += 1;
            stack.push(*c);
        }
    }
    let trivial = |id: Id| match g.node(id) {
        Math::Var(_) | Math::Num(_) | Math::Dim(_) | Math::Eye(_) | Math::Ones(_) => true,
        // X⁻¹ and X⁻ᵀ read as names: a helper would not shorten them; diag(k) of a
        // name stays visible to the rules (diag(k)·1 = k).
        Math::Inv(a) | Math::DiagM(a) => {
            matches!(g.node(*a), Math::Var(_)) || leaves.contains_key(a)
        }
        Math::Transpose(a) | Math::Neg(a) => match g.node(*a) {
            Math::Var(_) | Math::Num(_) => true,
            Math::Inv(x) => matches!(g.node(*x), Math::Var(_)) || leaves.contains_key(x),
            _ => leaves.contains_key(a),
        },
        _ => false,
    };
    // A product or sum of a few names stays visible to the rules where it is used
    // (xᵀA named apart hides xᵀA + xᵀAᵀ = xᵀ(A + Aᵀ)); writing it out costs little.
    // Functions are named however small: s = softmax(z), s = σ(Ax), as textbooks do.
    let small = |id: Id| tree_size(g, id, leaves, SMALL + 1) <= SMALL && algebraic(g, id, leaves);
    let mut out: Vec<Id> = uses
        .iter()
        .filter(|(id, n)| **n >= 2 && !leaves.contains_key(id) && !trivial(**id) && !small(**id))
        .map(|(id, _)| *id)
        .collect();
    out.sort();
    out
}

/// Terms of at most this many operations (as a tree) are not named.
const SMALL: usize = 5;

/// The size of node `id` written out as a tree, the nodes of `leaves` counting one,
/// counted up to `cap`.
fn tree_size(g: &Graph, id: Id, leaves: &HashMap<Id, Symbol>, cap: usize) -> usize {
    if leaves.contains_key(&id) {
        return 1;
    }
    let mut n = 1;
    for c in g.node(id).children() {
        if n >= cap {
            break;
        }
        n += tree_size(g, *c, leaves, cap - n);
    }
    n
}

/// True when node `id` is built from names and numbers by sums, products,
/// transposes and negations only (the nodes of `leaves` are names).
fn algebraic(g: &Graph, id: Id, leaves: &HashMap<Id, Symbol>) -> bool {
    if leaves.contains_key(&id) {
        return true;
    }
    match g.node(id) {
        Math::Var(_) | Math::Num(_) | Math::Dim(_) | Math::Eye(_) => true,
        n @ (Math::Add(_) | Math::Mul(_) | Math::Neg(_) | Math::Transpose(_)) => {
            n.children().iter().all(|c| algebraic(g, *c, leaves))
        }
        _ => false,
    }
}

/// Node `root` as an expression in which the nodes of `leaves` are their names
/// (`root` itself is expanded one level when `define` is set: a helper's definition).
pub fn to_expr(g: &Graph, root: Id, leaves: &HashMap<Id, Symbol>, define: bool) -> RecExpr<Math> {
    fn go(
        g: &Graph,
        id: Id,
        leaves: &HashMap<Id, Symbol>,
        out: &mut RecExpr<Math>,
        memo: &mut HashMap<Id, Id>,
        top: bool,
    ) -> Id {
        if !top && let Some(&m) = memo.get(&id) {
            return m;
        }
        let node = match leaves.get(&id) {
            Some(s) if !top => Math::Var(*s),
            _ => g
                .node(id)
                .clone()
                .map_children(|c| go(g, c, leaves, out, memo, false)),
        };
        let new = out.add(node);
        if !top {
            memo.insert(id, new);
        }
        new
    }
    let mut out = RecExpr::default();
    let mut memo = HashMap::new();
    go(g, root, leaves, &mut out, &mut memo, define);
    out
}

/// A fresh name for a helper of `shape`, not in `taken`.
pub fn fresh(shape: &Shape, taken: &HashSet<String>) -> Symbol {
    let pool: &[&str] = if shape.is_scalar() {
        &["c", "t", "h", "a"]
    } else if shape.cols == crate::ir::Dim::ONE {
        &["s", "u", "v", "w", "q", "r"]
    } else {
        &["S", "P", "Q", "R", "T", "U", "V"]
    };
    if let Some(n) = pool.iter().find(|n| !taken.contains(**n)) {
        return Symbol::from(*n);
    }
    let stem = pool[0];
    let i = (1..)
        .find(|i| !taken.contains(&format!("{stem}{i}")))
        .unwrap_or(0);
    Symbol::from(format!("{stem}{i}"))
}

/// Puts back helpers used once (in the forms and the other helpers together) and
/// helpers that are a single symbol or number, or its transpose or negation. `defs` is in dependency order.
pub fn inline(forms: &mut [Option<Tree>], defs: &mut Vec<(Symbol, Tree)>) {
    loop {
        let mut count: HashMap<Symbol, usize> = HashMap::new();
        let mut note = |t: &Tree| {
            t.visit(&mut |s| {
                if let Math::Var(v) = s.op {
                    *count.entry(v).or_default() += 1;
                }
            })
        };
        forms.iter().flatten().for_each(&mut note);
        defs.iter().for_each(|(_, t)| note(t));
        let pick = defs.iter().position(|(s, t)| {
            let n = count.get(s).copied().unwrap_or(0);
            // A name, a number, or the transpose or negation of one reads as well inline.
            let atom = |t: &Tree| t.kids.is_empty();
            let small = match (&t.op, t.kids.as_slice()) {
                (Math::Transpose(_) | Math::Neg(_), [k]) => atom(k),
                _ => atom(t),
            };
            n <= 1 || small
        });
        let Some(i) = pick else { return };
        let (s, t) = defs.remove(i);
        let map = HashMap::from([(s, t)]);
        for f in forms.iter_mut().flatten() {
            *f = f.substitute(&map);
        }
        for (_, d) in defs.iter_mut() {
            *d = d.substitute(&map);
        }
    }
}
