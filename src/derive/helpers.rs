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
                            *c = crate::stack::deep(|| go(g, *c, root, keep, leaves, out, memo));
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
    if let Some(n) = pool.iter().find(|n| !taken.contains(**n)) {
        return Symbol::from(*n);
    }
    numbered(pool, taken)
}

/// The shortest numbered name free: k1 … k9, u1 … u9, … with each letter of the
/// pool, then k10 … k99, u10 …, so that a deep network's hundred helpers have names
/// of two or three characters, not four (`e` is left out: `2e1` reads as a number).
fn numbered(pool: &[&str], taken: &HashSet<String>) -> Symbol {
    let stems: Vec<&str> = pool.iter().copied().filter(|s| *s != "e").collect();
    let mut low = 1u64;
    loop {
        for stem in &stems {
            let free = (low..low.saturating_mul(10))
                .map(|i| format!("{stem}{i}"))
                .find(|n| !taken.contains(n));
            if let Some(n) = free {
                return Symbol::from(n.as_str());
            }
        }
        low = low.saturating_mul(10);
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

/// Names subexpressions of at least five nodes, and activations of names, that occur
/// more than once in the results.
pub(super) fn name_common(
    d: &mut Derivation,
    taken: &mut HashSet<String>,
    facts: &HashMap<Symbol, Facts>,
) {
    let mut shared = Shared::new(d);
    for _ in 0..8 {
        let Some(best) = shared.most_repeated() else {
            break;
        };
        let best_tree = Tree::from_expr(&shared.dag, best);
        let mut vars: HashMap<Symbol, Shape> =
            facts.iter().map(|(s, f)| (*s, f.shape.clone())).collect();
        vars.extend(d.defs.iter().map(|x| (x.name, x.shape.clone())));
        let Ok(shape) = typed_tree(&vars, &best_tree).map(|(g, r)| g.shape(r)) else {
            break;
        };
        let name = fresh_name(&shape, taken);
        taken.insert(name.to_string());
        // The new helper goes right before the first definition that uses it.
        let uses = shared.users(best);
        let at = shared
            .defs
            .iter()
            .position(|r| r.is_some_and(|r| uses[usize::from(r)]))
            .unwrap_or(d.defs.len());
        let body = shared.replace(best, name);
        shared.defs.insert(at, Some(body));
        d.defs.insert(
            at,
            Definition {
                name,
                tree: Tree::var(name),
                user: false,
                shape,
            },
        );
    }
    shared.write_back(d);
}

/// The results and the new helpers' definitions hash-consed into one DAG: counting
/// and replacing work on it, linear in its size (on trees, a chain of hundreds of
/// products made both quadratic).
struct Shared {
    dag: RecExpr<Math>,
    /// The root of each result, in order.
    exprs: Vec<Id>,
    /// The root of each definition's body, in order (`None` for the user's).
    defs: Vec<Option<Id>>,
}

impl Shared {
    fn new(d: &Derivation) -> Shared {
        let mut dag = RecExpr::default();
        let mut memo = rustc_hash::FxHashMap::default();
        let exprs = d
            .exprs
            .iter()
            .flatten()
            .map(|t| t.add_to(&mut dag, &mut memo))
            .collect();
        let defs = d
            .defs
            .iter()
            .map(|x| (!x.user).then(|| x.tree.add_to(&mut dag, &mut memo)))
            .collect();
        Shared { dag, exprs, defs }
    }

    /// The trees back into the derivation.
    fn write_back(&self, d: &mut Derivation) {
        let mut roots = self.exprs.iter();
        for t in d.exprs.iter_mut().flatten() {
            if let Some(&r) = roots.next() {
                *t = Tree::from_expr(&self.dag, r);
            }
        }
        for (def, r) in d.defs.iter_mut().zip(&self.defs) {
            if let Some(r) = r {
                def.tree = Tree::from_expr(&self.dag, *r);
            }
        }
    }

    /// The largest subexpression (of at least four nodes, or an activation of a
    /// name) that occurs at least twice in the results and the new helpers'
    /// definitions (a definition's whole body does not count); among equals, the
    /// first in the order of trees.
    fn most_repeated(&self) -> Option<Id> {
        let nodes = self.dag.as_ref();
        // Occurrences when every tree is written out: each root once, each child as
        // often as its parents (children come before their parents in the DAG).
        let mut occ = vec![0usize; nodes.len()];
        for r in &self.exprs {
            occ[usize::from(*r)] += 1;
        }
        for r in self.defs.iter().flatten() {
            for k in nodes[usize::from(*r)].children() {
                occ[usize::from(*k)] += 1;
            }
        }
        for i in (0..nodes.len()).rev() {
            // A definition's body is not counted itself (unless it occurs elsewhere),
            // its children were, above.
            for c in nodes[i].children() {
                occ[usize::from(*c)] = occ[usize::from(*c)].saturating_add(occ[i]);
            }
        }
        let mut size = vec![0usize; nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            let own = usize::from(!matches!(n, Math::Dim(_)));
            size[i] = n
                .children()
                .iter()
                .fold(own, |s, c| s.saturating_add(size[usize::from(*c)]));
        }
        // An elementwise function of a name, as a network's activation `relu(k)` or
        // `σ(z1)`: papers name these however short they are.
        let activation = |n: &Math| {
            crate::ops::is_elementwise(n)
                && n.children().len() == 1
                && matches!(nodes[usize::from(n.children()[0])], Math::Var(_))
        };
        let candidates =
            (0..nodes.len()).filter(|&i| occ[i] >= 2 && (size[i] >= 4 || activation(&nodes[i])));
        let top = candidates.clone().map(|i| size[i]).max()?;
        let best = candidates
            .filter(|&i| size[i] == top)
            .map(|i| (Tree::from_expr(&self.dag, Id::from(i)), i))
            .min()?
            .1;
        Some(Id::from(best))
    }

    /// Which nodes contain `best` (itself included).
    fn users(&self, best: Id) -> Vec<bool> {
        let nodes = self.dag.as_ref();
        let mut uses = vec![false; nodes.len()];
        for (i, n) in nodes.iter().enumerate() {
            uses[i] = Id::from(i) == best || n.children().iter().any(|c| uses[usize::from(*c)]);
        }
        uses
    }

    /// Replaces every occurrence of `best` by the symbol `name` (in a new DAG) and
    /// returns the root of `best`'s own body there.
    fn replace(&mut self, best: Id, name: Symbol) -> Id {
        let mut dag = RecExpr::default();
        let mut memo = HashMap::new();
        let mut map: Vec<Id> = Vec::with_capacity(self.dag.as_ref().len());
        let mut body = None;
        for (i, n) in self.dag.as_ref().iter().enumerate() {
            let node = n.clone().map_children(|c| map[usize::from(c)]);
            let add = |node: Math, dag: &mut RecExpr<Math>, memo: &mut HashMap<Math, Id>| {
                *memo.entry(node.clone()).or_insert_with(|| dag.add(node))
            };
            if Id::from(i) == best {
                body = Some(add(node, &mut dag, &mut memo));
                map.push(add(Math::Var(name), &mut dag, &mut memo));
            } else {
                map.push(add(node, &mut dag, &mut memo));
            }
        }
        for r in &mut self.exprs {
            *r = map[usize::from(*r)];
        }
        for r in self.defs.iter_mut().flatten() {
            *r = map[usize::from(*r)];
        }
        self.dag = dag;
        body.unwrap_or(best)
    }
}

/// Puts back inline the helpers (not the user's names) used at most once or that
/// only rename another name or the identity (`K2 = U`, `G = I`), and drops unused ones.
pub(super) fn inline_single_use(d: &mut Derivation) {
    loop {
        // Every symbol's uses, counted in one walk over the trees.
        let mut count: HashMap<Symbol, usize> = HashMap::new();
        let trees = d
            .exprs
            .iter()
            .flatten()
            .chain(d.defs.iter().map(|x| &x.tree));
        for t in trees {
            t.visit(&mut |s| {
                if let Math::Var(v) = &s.op {
                    *count.entry(*v).or_default() += 1;
                }
            });
        }
        let uses = |s: Symbol| count.get(&s).copied().unwrap_or(0);
        let pick = d
            .defs
            .iter()
            .position(|x| !x.user && (uses(x.name) <= 1 || renames(&x.tree)))
            .or_else(|| d.defs.iter().position(|x| x.user && uses(x.name) == 0));
        let Some(i) = pick else { return };
        let def = d.defs.remove(i);
        let map = HashMap::from([(def.name, def.tree.clone())]);
        let eye = matches!(def.tree.op, Math::Eye(_));
        let mut shapes: HashMap<Symbol, bool> = d
            .facts
            .iter()
            .map(|(s, f)| (*s, f.shape.is_scalar()))
            .collect();
        shapes.extend(d.defs.iter().map(|x| (x.name, x.shape.is_scalar())));
        let put = |t: &Tree| {
            let t = t.substitute(&map);
            if eye {
                without_identity_factors(&t, &shapes).0
            } else {
                t
            }
        };
        for t in d.exprs.iter_mut().flatten() {
            *t = put(t);
        }
        for x in d.defs.iter_mut() {
            x.tree = put(&x.tree);
        }
    }
}

/// A definition that is only another name or the identity matrix.
fn renames(t: &Tree) -> bool {
    matches!(t.op, Math::Var(_) | Math::Eye(_))
}

/// `t` with the identity factors of its matrix products dropped (`AIB` → `AB`, but
/// not `aI` for a scalar `a`), and whether `t` is a scalar (`None`: not known).
/// `scalar` says which names are scalars.
fn without_identity_factors(t: &Tree, scalar: &HashMap<Symbol, bool>) -> (Tree, Option<bool>) {
    crate::stack::deep(|| {
        let (kids, kinds): (Vec<Tree>, Vec<Option<bool>>) = t
            .kids
            .iter()
            .map(|k| without_identity_factors(k, scalar))
            .unzip();
        let all = |k: &[Option<bool>]| k.iter().try_fold(true, |a, b| Some(a && (*b)?));
        let kind = match &t.op {
            Math::Var(s) => scalar.get(s).copied(),
            Math::Num(_) => Some(true),
            Math::Trace(_) | Math::Det(_) | Math::LogDet(_) | Math::Norm2(_) | Math::Norm(_) => {
                Some(true)
            }
            Math::Sum(_) | Math::LogSumExp(_) => Some(true),
            Math::Eye(_) | Math::DiagM(_) => Some(false),
            Math::Add(_) | Math::Hadamard(_) | Math::Neg(_) => all(&kinds),
            // A product of two non-scalars may be one (xᵀy): known only with a scalar.
            Math::Mul(_) => match kinds.as_slice() {
                [Some(true), k] | [k, Some(true)] => *k,
                _ => None,
            },
            Math::Transpose(_) | Math::Inv(_) | Math::Fun(..) => all(&kinds),
            _ => None,
        };
        let matrix = |k: Option<bool>| k == Some(false);
        match (&t.op, kids.as_slice(), kinds.as_slice()) {
            (Math::Mul(_), [a, b], [_, kb]) if matches!(a.op, Math::Eye(_)) && matrix(*kb) => {
                (b.clone(), *kb)
            }
            (Math::Mul(_), [a, b], [ka, _]) if matches!(b.op, Math::Eye(_)) && matrix(*ka) => {
                (a.clone(), *ka)
            }
            _ => (Tree::node(t.op.clone(), kids), kind),
        }
    })
}

/// The gradients, written out as trees over the named forward values, may be this
/// many times the size of the graph they are read from before the shared adjoints
/// are cut out as helpers …
const TREE_TO_DAG: usize = 3;
/// … and shared adjoints nested this deep (a chain of backpropagated errors; the
/// seeds and everyday problems nest at most three, and keep their adjoints whole, so
/// the simplifier sees across them).
const NEST_MIN: usize = 4;

/// Adjoint nodes that become helper terms of their own, simplified apart from the
/// results that use them: when writing the results out as trees would repeat the
/// reverse-mode graph many times over (a deep network, whose backpropagated error
/// δₗ is used by ∂f/∂Wₗ and by δₗ₋₁), every adjoint node with two or more users
/// (not a result itself, not a leaf) is cut out, so sizes stay linear in the depth.
/// Empty for problems whose trees are hardly repeated or shallow.
pub(super) fn shared_adjoints(adj: &Adjoints, leaves: &HashMap<Id, Symbol>) -> Vec<Id> {
    let g = &adj.graph;
    let fwd = adj.forward_len;
    let roots: Vec<Id> = adj.grads.iter().filter_map(|(_, r)| *r).collect();
    let (reach, users) = reach_and_users(g, &roots, leaves);
    let shared = |i: usize| i >= fwd && reach[i] && users[i] >= 2;
    // Tree sizes (a named forward value counts one), and how many shared adjoints
    // are nested along a path down from each node.
    let mut size = vec![0usize; g.len()];
    let mut nest = vec![0usize; g.len()];
    for i in 0..g.len() {
        let id = Id::from(i);
        if leaves.contains_key(&id) {
            size[i] = 1;
            continue;
        }
        let kids = g.node(id).children();
        size[i] = kids
            .iter()
            .fold(1usize, |s, c| s.saturating_add(size[usize::from(*c)]));
        let below = kids.iter().map(|c| nest[usize::from(*c)]).max();
        nest[i] = below.unwrap_or(0) + usize::from(shared(i));
    }
    let trees = roots
        .iter()
        .fold(0usize, |s, r| s.saturating_add(size[usize::from(*r)]));
    let dag = reach.iter().filter(|r| **r).count();
    let depth = nest.iter().copied().max().unwrap_or(0);
    if depth < NEST_MIN || trees <= TREE_TO_DAG.saturating_mul(dag) {
        return Vec::new();
    }
    (fwd..g.len())
        .filter(|&i| shared(i))
        .map(Id::from)
        .filter(|id| !roots.contains(id) && !trivial(g, *id))
        .collect()
}

/// The nodes reachable from `roots` (the named forward values are leaves), and how
/// many reachable nodes use each.
fn reach_and_users(
    g: &Graph,
    roots: &[Id],
    leaves: &HashMap<Id, Symbol>,
) -> (Vec<bool>, Vec<usize>) {
    let mut reach = vec![false; g.len()];
    let mut users = vec![0usize; g.len()];
    for r in roots {
        reach[usize::from(*r)] = true;
    }
    for i in (0..g.len()).rev() {
        let id = Id::from(i);
        if !reach[i] || leaves.contains_key(&id) {
            continue;
        }
        for &c in g.node(id).children() {
            reach[usize::from(c)] = true;
            users[usize::from(c)] += 1;
        }
    }
    (reach, users)
}
