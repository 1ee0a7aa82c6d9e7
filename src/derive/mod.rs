//! From a model to simplified gradients with named helper terms.
//!
//! 1. Reverse mode gives the adjoint of every requested input ([`crate::autodiff`]).
//! 2. Helper terms: the user's named intermediates, and forward values that the
//!    adjoints use more than once, become opaque symbols with known shape and facts.
//! 3. The gradients are simplified together in one e-graph and extracted.
//! 4. Larger subexpressions repeated across the results become new helpers; helpers
//!    used once are put back inline.

use std::collections::{HashMap, HashSet};

use egg::{Id, Language, RecExpr, Symbol};

mod helpers;
pub mod validate;

use helpers::{
    choose_helpers, fresh_name, inline_single_use, name_common, shared_adjoints, sign_twins,
    to_exprs,
};

use crate::autodiff::{self, Adjoints};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Graph, Math, Shape};
use crate::model::Model;
use crate::rational::Rational;
use crate::simplify::cse::Tree;
use crate::simplify::{self, CostKind, Facts, Limits, Props, Stats};

/// A named term that the gradients use.
#[derive(Debug, Clone)]
pub struct Definition {
    /// Its name.
    pub name: Symbol,
    /// What it stands for (may use inputs and earlier definitions).
    pub tree: Tree,
    /// True for the user's own names.
    pub user: bool,
    /// Its shape.
    pub shape: Shape,
}

/// How to derive.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Extraction cost model.
    pub cost: CostKind,
    /// Runner limits.
    pub limits: Limits,
    /// Skip the e-graph (print what reverse mode gives).
    pub raw: bool,
    /// Skip translation validation (on by default; see [`validate`]).
    pub unvalidated: bool,
    /// More rules for the main search, in the `rules/` syntax (for tests of the
    /// validation: a deliberately wrong rule must never reach the output).
    pub extra_rules: Option<String>,
}

/// Gradients of a model's objective.
#[derive(Debug, Clone)]
pub struct Derivation {
    /// Names of the variables.
    pub vars: Vec<String>,
    /// Each variable's gradient (`None`: identically zero).
    pub exprs: Vec<Option<Tree>>,
    /// Helper terms in dependency order.
    pub defs: Vec<Definition>,
    /// The unsimplified adjoints, for checks.
    pub adjoints: Adjoints,
    /// What the simplifier did.
    pub stats: Stats,
    /// The cost model the forms were extracted with.
    pub cost: CostKind,
    /// What translation validation found.
    pub validation: validate::Validation,
    /// What the simplifier knew of the inputs and helper terms (reused by the Hessian).
    pub facts: HashMap<Symbol, Facts>,
}

/// What the declarations say of the model's inputs (shape, `sym`, `spd`).
pub fn input_facts(model: &Model) -> HashMap<Symbol, Facts> {
    model
        .inputs
        .iter()
        .map(|i| {
            let f = Facts {
                shape: i.shape.clone(),
                props: Props::declared(i.structure),
            };
            (Symbol::from(i.name.as_str()), f)
        })
        .collect()
}

/// Derives and simplifies the gradients of `model` with respect to `wrt`, and
/// validates the closed forms against the unsimplified adjoints: when a form
/// disagrees, the derivation is redone without the polish phase, then without the
/// e-graph, and the first that agrees is returned with [`Derivation::validation`]
/// saying what was refused.
pub fn derive(model: &Model, wrt: &[&str], opts: &Options) -> Result<Derivation> {
    if !model.graph.shape(model.objective).is_scalar() {
        return Err(Error::new(
            ErrorKind::NotDifferentiable,
            "the objective is not a scalar (its derivative is a Jacobian: `--jacobian`, `matgrad::jacobian`)",
        ));
    }
    let adj = autodiff::reverse(model, wrt)?;
    derive_from(model, &adj, wrt, opts)
}

/// Simplifies and validates results already built on the model's graph: `adj.grads`
/// holds one raw result per variable (reverse-mode adjoints for gradients; Jacobians
/// and directional derivatives from [`crate::jacobian`]), which the helpers, the
/// e-graph, the naming and the validation of [`derive`] treat alike.
pub fn derive_from(
    model: &Model,
    adj: &Adjoints,
    wrt: &[&str],
    opts: &Options,
) -> Result<Derivation> {
    let mut d = derive_once(model, adj, wrt, opts)?;
    if opts.raw || opts.unvalidated {
        return Ok(d);
    }
    let mut refused = match validate::compare(model, &d) {
        validate::Verdict::Agrees(points) => {
            d.validation.ran = true;
            d.validation.points = points;
            return Ok(d);
        }
        validate::Verdict::Disagrees(vars) => vars,
    };
    let unpolished = Options {
        limits: Limits {
            polish: false,
            ..opts.limits.clone()
        },
        ..opts.clone()
    };
    let raw = Options {
        raw: true,
        ..opts.clone()
    };
    for (level, o) in [("unpolished", unpolished), ("raw", raw)] {
        let mut next = derive_once(model, adj, wrt, &o)?;
        match validate::compare(model, &next) {
            validate::Verdict::Agrees(points) => {
                next.validation = validate::Validation {
                    ran: true,
                    points,
                    refused,
                    fallback: Some(level.to_string()),
                };
                return Ok(next);
            }
            validate::Verdict::Disagrees(vars) => {
                refused.extend(vars);
                refused.sort();
                refused.dedup();
            }
        }
    }
    Err(Error::new(
        ErrorKind::Internal,
        format!(
            "no form of the gradient of {} agrees with reverse mode",
            refused.join(", ")
        ),
    ))
}

/// One derivation, without validation. A shared adjoint cut out as a helper
/// ([`cut_adjoints`]) is simplified apart from its users, which see only its name:
/// when its form comes out identically zero (or, by the e-graph's choice among equal
/// zeros, written with its own or a later name) it is not cut on the next attempt,
/// so its zero is simplified where it is used.
fn derive_once(model: &Model, adj: &Adjoints, wrt: &[&str], opts: &Options) -> Result<Derivation> {
    let mut keep_whole: HashSet<Id> = HashSet::new();
    loop {
        match derive_cut(model, adj, wrt, opts, &keep_whole)? {
            Ok(d) => return Ok(d),
            Err(dead) => keep_whole.extend(dead),
        }
    }
}

/// [`derive_once`] with the shared adjoints in `keep_whole` not cut out; `Err` gives
/// the cut adjoints whose forms came out zero.
fn derive_cut(
    model: &Model,
    adj: &Adjoints,
    wrt: &[&str],
    opts: &Options,
    keep_whole: &HashSet<Id>,
) -> Result<std::result::Result<Derivation, Vec<Id>>> {
    let g = &adj.graph;
    let helpers = choose_helpers(model, adj);
    let mut taken: HashSet<String> = model.inputs.iter().map(|i| i.name.clone()).collect();
    taken.extend(model.defs.iter().map(|(n, _)| n.clone()));
    let mut leaves: HashMap<Id, Symbol> = HashMap::new();
    let mut defs: Vec<Definition> = Vec::new();
    for &h in &helpers {
        let (name, user) = match model.def_name(h) {
            Some(n) => (Symbol::from(n), true),
            None => {
                let s = fresh_name(&g.shape(h), &taken);
                taken.insert(s.to_string());
                (s, false)
            }
        };
        leaves.insert(h, name);
        defs.push(Definition {
            name,
            tree: Tree::var(name),
            user,
            shape: g.shape(h),
        });
    }
    let mut facts = input_facts(model);
    for (d, &h) in defs.iter_mut().zip(&helpers) {
        let e = to_exprs(g, &[h], &leaves, true).remove(0);
        let props = simplify::facts_of(&e, &facts).unwrap_or_default();
        facts.insert(
            d.name,
            Facts {
                shape: d.shape.clone(),
                props,
            },
        );
        d.tree = Tree::from_root(&e);
    }
    let mut twins = sign_twins(&mut defs, &mut facts, &mut taken);
    let opposites = twin_pairs(&twins);
    twins.extend(activation_definitions(&defs));
    twins.extend(difference_definitions(&defs));
    let square_roots = root_definitions(&defs);
    let cuts = cut_adjoints(
        adj,
        keep_whole,
        &mut leaves,
        &mut defs,
        &mut facts,
        &mut taken,
    );
    let roots: Vec<Id> = adj.grads.iter().filter_map(|(_, r)| *r).collect();
    let mut exprs = to_exprs(g, &roots, &leaves, false);
    exprs.extend(cuts.iter().map(|(_, _, e)| e.clone()));
    let (simplified, stats) = if opts.raw {
        (exprs, Stats::default())
    } else {
        simplify::simplify_with(
            &exprs,
            &facts,
            &twins,
            &square_roots,
            &opts.cost,
            &opts.limits,
            opts.extra_rules.as_deref(),
        )?
    };
    let (results, cut_forms) = simplified.split_at(roots.len());
    let mut dead = Vec::new();
    for ((i, id, _), e) in cuts.iter().zip(cut_forms) {
        let t = Tree::from_root(e);
        if is_zero(&t) || uses_any(&t, &defs[*i..]) {
            dead.push(*id);
        }
        defs[*i].tree = t;
    }
    if !dead.is_empty() {
        return Ok(Err(dead));
    }
    let mut trees = results.iter().map(Tree::from_root);
    let exprs: Vec<Option<Tree>> = adj
        .grads
        .iter()
        .map(|(_, r)| r.and_then(|_| trees.next()).filter(|t| !is_zero(t)))
        .collect();
    let mut d = Derivation {
        vars: wrt.iter().map(|s| s.to_string()).collect(),
        exprs,
        defs,
        adjoints: adj.clone(),
        stats,
        cost: opts.cost.clone(),
        validation: validate::Validation::default(),
        facts: HashMap::new(),
    };
    if !opts.raw {
        one_sign(&mut d, &opposites);
        name_common(&mut d, &mut taken, &facts);
    }
    d.facts = facts;
    inline_single_use(&mut d);
    Ok(Ok(d))
}

/// Whether `t` uses the name of any of `defs`.
fn uses_any(t: &Tree, defs: &[Definition]) -> bool {
    let names: HashSet<Symbol> = defs.iter().map(|d| d.name).collect();
    let mut found = false;
    t.visit(&mut |x| found |= matches!(&x.op, Math::Var(s) if names.contains(s)));
    found
}

/// The shared adjoints of a deep problem ([`shared_adjoints`]) as helper terms: each
/// gets a name (a leaf of everything written after it) and a definition, appended to
/// `defs` in dependency order. Returns each one's index in `defs` and its expression,
/// to be simplified with the results.
fn cut_adjoints(
    adj: &Adjoints,
    keep_whole: &HashSet<Id>,
    leaves: &mut HashMap<Id, Symbol>,
    defs: &mut Vec<Definition>,
    facts: &mut HashMap<Symbol, Facts>,
    taken: &mut HashSet<String>,
) -> Vec<(usize, Id, RecExpr<Math>)> {
    let g = &adj.graph;
    let mut cuts = shared_adjoints(adj, leaves);
    cuts.retain(|c| !keep_whole.contains(c));
    for &c in &cuts {
        let name = fresh_name(&g.shape(c), taken);
        taken.insert(name.to_string());
        leaves.insert(c, name);
    }
    let mut out = Vec::new();
    for &c in &cuts {
        let name = leaves[&c];
        let e = to_exprs(g, &[c], leaves, true).remove(0);
        let shape = g.shape(c);
        // Only a square matrix has structure (symmetric, SPD, diagonal) worth proving;
        // a backpropagated error of a vector layer has none, and a run of the
        // simplifier per layer would be a fifth of a deep network's time.
        let square = !shape.is_scalar() && shape.rows == shape.cols;
        let props = if square {
            simplify::facts_of(&e, facts).unwrap_or_default()
        } else {
            Props::default()
        };
        facts.insert(
            name,
            Facts {
                shape: shape.clone(),
                props,
            },
        );
        out.push((defs.len(), c, e.clone()));
        defs.push(Definition {
            name,
            tree: Tree::from_root(&e),
            user: false,
            shape,
        });
    }
    out
}

/// The helpers given as negations of others (ū = −u), as pairs of names.
fn twin_pairs(twins: &[(RecExpr<Math>, RecExpr<Math>)]) -> Vec<(Symbol, Symbol)> {
    twins
        .iter()
        .filter_map(|(a, b)| match (a.as_ref(), b.as_ref()) {
            ([Math::Var(t)], [Math::Var(u), Math::Neg(_)]) => Some((*t, *u)),
            _ => None,
        })
        .collect()
}

/// Writes each pair of opposite terms of a result, and of the helpers it uses
/// directly, with one sign ([`simplify::sign`]).
fn one_sign(d: &mut Derivation, opposites: &[(Symbol, Symbol)]) {
    let index: HashMap<Symbol, usize> = d
        .defs
        .iter()
        .enumerate()
        .map(|(i, x)| (x.name, i))
        .collect();
    for t in d.exprs.iter_mut().flatten() {
        let mut used: Vec<usize> = Vec::new();
        t.visit(&mut |s| {
            if let Math::Var(v) = s.op
                && let Some(&i) = index.get(&v)
                && !d.defs[i].user
            {
                used.push(i);
            }
        });
        used.sort_unstable();
        used.dedup();
        let context: Vec<&Tree> = used.iter().map(|&i| &d.defs[i].tree).collect();
        simplify::sign::one_sign(t, &context, opposites);
    }
}

/// Helpers that name an activation (k = σ(Ax), k = exp(x)) are known to the
/// simplifier as equal to their definition, so the identities of `rules/activation.rules`
/// see through the name: (1 ⊘ sum(k))k with k = exp(x) is softmax(x).
fn activation_definitions(defs: &[Definition]) -> Vec<(RecExpr<Math>, RecExpr<Math>)> {
    defs.iter()
        .filter(|d| {
            // Scalars keep their monomial folding undisturbed.
            !d.shape.is_scalar()
                && match &d.tree.op {
                    Math::Fun(f, _) => {
                        matches!(f.0.as_str(), "exp" | "sigmoid" | "tanh" | "softplus")
                    }
                    Math::Softmax(_) | Math::LogSumExp(_) => true,
                    _ => false,
                }
        })
        .map(|d| (Tree::var(d.name).to_expr(), d.tree.to_expr()))
        .collect()
}

/// Square-root helpers (k = sqrt(e)), for the rational pass: k² is e.
pub fn root_definitions(defs: &[Definition]) -> Vec<(RecExpr<Math>, RecExpr<Math>)> {
    defs.iter()
        .filter(|d| simplify::ratfun::is_sqrt(&d.tree.op))
        .map(|d| (Tree::var(d.name).to_expr(), d.tree.to_expr()))
        .collect()
}

/// Difference helpers (u = 1 − k) are known as equal to their definition, so the
/// rational pass of the simplifier sees that k − 1 = −u.
fn difference_definitions(defs: &[Definition]) -> Vec<(RecExpr<Math>, RecExpr<Math>)> {
    defs.iter()
        .filter(|d| !d.user && !d.shape.is_scalar() && matches!(d.tree.op, Math::Add(_)))
        .map(|d| (Tree::var(d.name).to_expr(), d.tree.to_expr()))
        .collect()
}

/// `0` or `0·A`: a gradient that is identically zero.
fn is_zero(t: &Tree) -> bool {
    let zero = |t: &Tree| matches!(t.op, Math::Num(r) if r == Rational::ZERO);
    zero(t) || (matches!(t.op, Math::Mul(_)) && t.kids.first().is_some_and(zero))
}

/// A tree as a shaped graph over symbols of known shapes (for shapes, printing, evaluation).
pub fn typed_tree(vars: &HashMap<Symbol, Shape>, t: &Tree) -> Result<(Graph, Id)> {
    let (g, roots) = typed_trees(vars, &[], &[t])?;
    let root = *roots
        .last()
        .ok_or_else(|| Error::new(ErrorKind::Internal, "empty expression"))?;
    Ok((g, root))
}

/// Trees as one shaped graph (a subterm they share is one node, evaluated once), with
/// the root of each. The names `defs` define (in order, each from those before it) are
/// written out in place: their definitions are evaluated with the trees.
pub fn typed_trees(
    vars: &HashMap<Symbol, Shape>,
    defs: &[(Symbol, &Tree)],
    trees: &[&Tree],
) -> Result<(Graph, Vec<Id>)> {
    // Only the symbols the trees use: a graph per helper of a long chain must not
    // copy the shapes of every other helper.
    let mut used: HashMap<Symbol, Shape> = HashMap::new();
    for t in defs.iter().map(|(_, t)| t).chain(trees) {
        t.visit(&mut |x| {
            if let Math::Var(s) = &x.op
                && let Some(sh) = vars.get(s)
            {
                used.entry(*s).or_insert_with(|| sh.clone());
            }
        });
    }
    let mut g = crate::ops::graph(used);
    let mut bound: HashMap<Symbol, Id> = HashMap::new();
    for (s, t) in defs {
        let root = add_typed(&mut g, t, &bound)?;
        bound.insert(*s, root);
    }
    let roots = trees
        .iter()
        .map(|t| add_typed(&mut g, t, &bound))
        .collect::<Result<_>>()?;
    Ok((g, roots))
}

/// Adds `t` to `g`, a name in `bound` as the node it stands for.
fn add_typed(g: &mut Graph, t: &Tree, bound: &HashMap<Symbol, Id>) -> Result<Id> {
    let e = t.to_expr();
    let mut map: Vec<Id> = Vec::with_capacity(e.as_ref().len());
    for n in e.as_ref() {
        if let Math::Var(s) = n
            && let Some(&id) = bound.get(s)
        {
            map.push(id);
            continue;
        }
        let mut n = n.clone();
        for c in n.children_mut() {
            *c = map[usize::from(*c)];
        }
        map.push(g.add(n)?);
    }
    map.last()
        .copied()
        .ok_or_else(|| Error::new(ErrorKind::Internal, "empty expression"))
}

impl Derivation {
    /// Shapes of every symbol the results use: inputs and helpers.
    pub fn symbol_shapes(&self, model: &Model) -> HashMap<Symbol, Shape> {
        let mut vars: HashMap<Symbol, Shape> = model.graph.vars.clone();
        for d in &self.defs {
            vars.insert(d.name, d.shape.clone());
        }
        vars
    }

    /// A tree as a shaped graph (for printing and evaluation). Only the symbols the
    /// tree uses are looked up, so typing every helper of a deep network stays linear.
    pub fn typed(&self, model: &Model, t: &Tree) -> Result<(Graph, Id)> {
        let mut vars: HashMap<Symbol, Shape> = HashMap::new();
        t.visit(&mut |s| {
            if let Math::Var(v) = &s.op
                && !vars.contains_key(v)
            {
                let def = self.defs.iter().rev().find(|d| d.name == *v);
                let shape = def.map(|d| &d.shape).or_else(|| model.graph.vars.get(v));
                if let Some(shape) = shape {
                    vars.insert(*v, shape.clone());
                }
            }
        });
        typed_tree(&vars, t)
    }

    /// A tree in a notation.
    pub fn show(
        &self,
        model: &Model,
        t: &Tree,
        notation: crate::print::Notation,
        show_order: bool,
    ) -> String {
        match self.typed(model, t) {
            Ok((g, root)) => {
                let none = |_: Id| None;
                let scalar = |id: Id| g.shape(id).is_scalar();
                let mut p = crate::print::Printer::new(&g.expr, notation, &none, &scalar);
                p.show_order = show_order;
                p.print(root)
            }
            Err(e) => format!("<{e}>"),
        }
    }

    /// The values of the gradients at a point (each with its variable's shape).
    ///
    /// From the simplified forms; where one of them has no value but the
    /// unsimplified adjoint has one (a form divides by what vanishes here, while
    /// the product it came from does not), from the adjoint, which the forms equal
    /// wherever both exist. Where neither has one, the error points at the
    /// operation in the text whose value or derivative does not exist.
    pub fn evaluate(
        &self,
        model: &Model,
        point: &crate::numeric::Point,
    ) -> Result<Vec<crate::ops::Value>> {
        match self.evaluate_forms(model, point) {
            Err(e) if e.kind == crate::error::ErrorKind::Domain => {
                self.evaluate_raw(point).map_err(|raw| {
                    let placed = model.place(
                        raw,
                        &self.adjoints.graph.expr,
                        |id| self.adjoints.origin_of(id),
                        point,
                    );
                    if placed.span.is_some() { placed } else { e }
                })
            }
            r => r,
        }
    }

    /// The values of the simplified forms at a point, with no fallback: what
    /// validation and the tests compare with the unsimplified adjoint.
    pub fn evaluate_forms(
        &self,
        model: &Model,
        point: &crate::numeric::Point,
    ) -> Result<Vec<crate::ops::Value>> {
        let mut p = point.clone();
        for d in &self.defs {
            let (g, root) = self.typed(model, &d.tree)?;
            let v = crate::numeric::evaluate(&g.expr, &p)?;
            p.values.insert(d.name, v[usize::from(root)].clone());
        }
        let mut out = Vec::new();
        for (i, (var, e)) in self.vars.iter().zip(&self.exprs).enumerate() {
            let v = match e {
                Some(t) => {
                    let (g, root) = self.typed(model, t)?;
                    crate::numeric::evaluate(&g.expr, &p)?[usize::from(root)].clone()
                }
                None => self.zero_result(i, var, point),
            };
            out.push(v);
        }
        Ok(out)
    }

    /// A zero result at a point: shaped like the raw result (a gradient has its
    /// variable's shape, a Jacobian its own).
    fn zero_result(&self, i: usize, var: &str, point: &crate::numeric::Point) -> crate::ops::Value {
        let raw = self.adjoints.grads.get(i).and_then(|(_, r)| *r);
        let (rows, cols) = match raw {
            Some(r) => {
                let s = self.adjoints.graph.shape(r);
                (point.size(&s.rows), point.size(&s.cols))
            }
            None => (None, None),
        };
        match (rows, cols) {
            (Some(r), Some(c)) => crate::ops::Value::zeros(r, c),
            _ => {
                let x = &point.values[&Symbol::from(var)];
                crate::ops::Value::zeros(x.nrows(), x.ncols())
            }
        }
    }

    /// The unsimplified adjoints at a point.
    pub fn evaluate_raw(&self, point: &crate::numeric::Point) -> Result<Vec<crate::ops::Value>> {
        let vals = crate::numeric::evaluate(&self.adjoints.graph.expr, point)?;
        Ok(self
            .vars
            .iter()
            .zip(&self.adjoints.grads)
            .map(|(var, (_, r))| match r {
                Some(r) => vals[usize::from(*r)].clone(),
                None => {
                    let x = &point.values[&Symbol::from(var.as_str())];
                    crate::ops::Value::zeros(x.nrows(), x.ncols())
                }
            })
            .collect())
    }
}
