//! Second derivatives: every block ∂²f/∂V∂U of the Hessian, symbolically.
//!
//! The Hessian is the derivative of the gradient along a direction,
//! H[U̇] = d/dt ∇_V f(U + tU̇), computed by forward mode ([`crate::forward`])
//! over the simplified gradient: its helper terms (`where k = …`) are nodes of
//! one DAG, each differentiated once, so the second derivative reuses the
//! gradient's helper terms and stays linear in the size of the gradient.
//!
//! Why forward over reverse (and not reverse over forward, or reverse over
//! reverse): the gradient is already derived, simplified and short, with its
//! helpers named; differentiating that closed form once more along a single
//! direction needs only JVPs of the primitives, costs one pass over the
//! gradient's DAG per variable (not per entry), and yields a result that is
//! *linear in a named direction* `dU` — exactly the directional form H[dU]
//! that Newton-CG and trust-region methods consume, and, for scalar and
//! vector variables, a form from which the Hessian matrix itself is read off
//! as the coefficient of the direction ([`coef`]). Reverse over forward would
//! have to build a tangent program of the objective first and then a second
//! adjoint pass over it, losing the gradient's simplified helper terms.
//!
//! Blocks: for variables V and U (in `--wrt` order, every pair), the block
//! ∂²f/∂V∂U maps a direction of U to a change of ∇_V f. Where V and U are
//! scalars or vectors it is a matrix (size V × size U); otherwise it is the
//! directional form, an expression in `dU`.

pub mod check;
pub mod coef;
mod output;
mod share;
mod tidy;
pub mod validate;

use std::collections::HashMap;

use egg::{Id, Language, RecExpr, Symbol};

pub use output::{at_point, text, text_and_notes, with_helpers};

use crate::derive::input_facts;
use crate::error::{Error, ErrorKind, Result};
use crate::forward;
use crate::gradient::Gradient;
use crate::ir::{Dim, Graph, Math, Shape};
use crate::simplify::cse::Tree;
use crate::simplify::{self, CostKind, Facts, Limits, Stats};

/// One block of the Hessian: ∂²f/∂`row`∂`col`.
#[derive(Debug, Clone)]
pub struct Hessian {
    /// The variable whose gradient is differentiated (rows of the matrix).
    pub row: String,
    /// The variable along which it is differentiated (columns).
    pub col: String,
    /// `Some(dU)` for a directional form (an expression in the direction `dU`),
    /// `None` for a matrix.
    pub direction: Option<String>,
    /// The simplified form (`None`: identically zero).
    pub tree: Option<Tree>,
    /// The shape of the form: size row × size col for a matrix, the row variable's
    /// shape for a directional form.
    pub shape: Shape,
    /// Shapes of the symbols the form uses (inputs, helpers, the direction).
    symbols: HashMap<Symbol, Shape>,
}

/// Every block of the Hessian with the helper terms the blocks share (besides the
/// gradient's own helpers).
#[derive(Debug, Clone)]
pub struct Hessians {
    /// The blocks, row-major over pairs of variables in `--wrt` order.
    pub blocks: Vec<Hessian>,
    /// Helper terms of the second derivatives, in dependency order.
    pub defs: Vec<(Symbol, Tree)>,
    /// Notes for the reader: a simplified form that validation refused.
    pub notes: Vec<String>,
    /// What the simplifier did (empty when the blocks were not simplified).
    pub stats: Stats,
}

impl Hessian {
    /// True for a diagonal block ∂²f/∂V².
    pub fn is_diagonal(&self) -> bool {
        self.row == self.col
    }
}

/// The gradient as one DAG: helper terms are nodes (not symbols) so that they are
/// differentiated once; `defs` maps each helper's node back to its name.
struct Lowered {
    g: Graph,
    defs: HashMap<Id, Symbol>,
    grads: Vec<Option<Id>>,
}

fn lower_tree(g: &mut Graph, t: &Tree, names: &HashMap<Symbol, Id>) -> Result<Id> {
    crate::stack::deep(|| lower_tree_deep(g, t, names))
}

fn lower_tree_deep(g: &mut Graph, t: &Tree, names: &HashMap<Symbol, Id>) -> Result<Id> {
    if let Math::Var(s) = t.op
        && let Some(&id) = names.get(&s)
    {
        return Ok(id);
    }
    let mut node = t.op.clone();
    let kids: Vec<Id> = t
        .kids
        .iter()
        .map(|k| lower_tree(g, k, names))
        .collect::<Result<_>>()?;
    for (c, k) in node.children_mut().iter_mut().zip(kids) {
        *c = k;
    }
    g.add(node)
}

fn lower(grad: &Gradient) -> Result<Lowered> {
    let d = &grad.derivation;
    let mut g = crate::ops::graph(grad.model.graph.vars.clone());
    let mut names: HashMap<Symbol, Id> = HashMap::new();
    let mut defs = HashMap::new();
    for def in &d.defs {
        let id = lower_tree(&mut g, &def.tree, &names)?;
        names.insert(def.name, id);
        defs.entry(id).or_insert(def.name);
    }
    let grads = d
        .exprs
        .iter()
        .map(|e| {
            e.as_ref()
                .map(|t| lower_tree(&mut g, t, &names))
                .transpose()
        })
        .collect::<Result<_>>()?;
    Ok(Lowered { g, defs, grads })
}

/// The facts the simplifier knows of the inputs and of the gradient's helpers.
fn facts(grad: &Gradient) -> HashMap<Symbol, Facts> {
    let mut facts = input_facts(&grad.model);
    for def in &grad.derivation.defs {
        let f = grad.derivation.facts.get(&def.name).cloned();
        facts.insert(
            def.name,
            f.unwrap_or_else(|| Facts {
                shape: def.shape.clone(),
                props: Default::default(),
            }),
        );
    }
    facts
}

fn is_column(s: &Shape) -> bool {
    s.cols == Dim::ONE
}

/// Every block of the Hessian of `grad`'s objective, in `--wrt` order (row-major
/// over pairs of variables), simplified together.
///
/// Like gradients, the simplified blocks are validated before they are returned:
/// each is evaluated against the same block before simplification (the forward
/// tangent of the gradient as it is) at random points ([`validate`]); when one
/// disagrees, the unsimplified blocks are returned, with a note.
pub fn hessians(grad: &Gradient) -> Result<Hessians> {
    let (simplified, raw) = blocks(grad)?;
    let refused = validate::refused(grad, &simplified, &raw);
    if refused.is_empty() {
        return Ok(simplified);
    }
    let mut raw = raw;
    raw.notes.push(format!(
        "the simplified second derivative {} disagreed with forward mode at a random point and was refused; printing the unsimplified form (please report this input)",
        refused.join(", ")
    ));
    Ok(raw)
}

/// Every block, simplified in the e-graph, and as forward mode gives it.
fn blocks(grad: &Gradient) -> Result<(Hessians, Hessians)> {
    let d = &grad.derivation;
    let mut low = lower(grad)?;
    let mut taken: Vec<String> = grad.model.inputs.iter().map(|i| i.name.clone()).collect();
    taken.extend(d.defs.iter().map(|x| x.name.to_string()));
    let mut symbols = d.symbol_shapes(&grad.model);
    let roots: Vec<Id> = low.grads.iter().flatten().copied().collect();
    // (row, col, form node, direction)
    let mut blocks: Vec<(usize, usize, Option<Id>, Option<Symbol>)> = Vec::new();
    for (j, u) in d.vars.iter().enumerate() {
        let (dir, dir_id) = fresh_direction(&mut low.g, u, &taken)?;
        symbols.insert(dir, low.g.shape(dir_id));
        let seeds = HashMap::from([(Symbol::from(u.as_str()), dir_id)]);
        let tan = forward::tangents(&mut low.g, &roots, &seeds)?;
        let u_col = is_column(&low.g.shape(dir_id));
        for (i, v) in d.vars.iter().enumerate() {
            let t = low.grads[i].and_then(|r| tan[usize::from(r)]);
            let v_col = grad.model.input(v).is_some_and(|x| is_column(&x.shape));
            let closed = match t {
                Some(t) if u_col && v_col => coef::Coef::new(&mut low.g, dir_id).of(t)?,
                _ => None,
            };
            match (t, closed) {
                (None, _) if u_col && v_col => blocks.push((i, j, None, None)),
                (Some(_), Some(m)) => blocks.push((i, j, Some(m), None)),
                (t, _) => blocks.push((i, j, t, Some(dir))),
            }
        }
    }
    blocks.sort_by_key(|b| (b.0, b.1));
    let roots: Vec<Id> = blocks.iter().filter_map(|b| b.2).collect();
    let shared = share::choose(&low.g, &roots, &low.defs);
    let mut names: std::collections::HashSet<String> = taken.iter().cloned().collect();
    names.extend(symbols.keys().map(|s| s.to_string()));
    let mut leaves = low.defs.clone();
    for &h in &shared {
        let sym = share::fresh(&low.g.shape(h), &names);
        names.insert(sym.to_string());
        symbols.insert(sym, low.g.shape(h));
        leaves.insert(h, sym);
    }
    let mut exprs: Vec<RecExpr<Math>> = roots
        .iter()
        .map(|&id| share::to_expr(&low.g, id, &leaves, false))
        .collect();
    exprs.extend(
        shared
            .iter()
            .map(|&id| share::to_expr(&low.g, id, &leaves, true)),
    );
    let mut facts = facts(grad);
    for (s, sh) in &symbols {
        facts.entry(*s).or_insert_with(|| Facts {
            shape: sh.clone(),
            props: Default::default(),
        });
    }
    let (simplified, stats) = if exprs.is_empty() {
        (Vec::new(), Default::default())
    } else {
        let known = known_to_the_rational_pass(grad, &exprs[roots.len()..], &shared, &leaves);
        let limits = Limits::default();
        simplify::simplify_with(
            &exprs,
            &facts,
            &[],
            &known,
            &CostKind::Compact,
            &limits,
            None,
        )?
    };
    let forms = Forms {
        grad,
        blocks: &blocks,
        shared: &shared,
        leaves: &leaves,
        symbols: &symbols,
        roots: roots.len(),
    };
    let mut simplified = forms.read(&simplified)?;
    simplified.stats = stats;
    Ok((simplified, forms.read(&exprs)?))
}

/// The gradient's square-root helpers and the shared helpers of the Hessian, as
/// definitions for the rational pass of the simplifier (so that
/// `S − S diag(x∘² ⊘ s∘²)` with `S = diag(1 ⊘ s)`, `s = sqrt(x∘² + 1)` is
/// `diag(1 ⊘ s∘³)`).
fn known_to_the_rational_pass(
    grad: &Gradient,
    definitions: &[RecExpr<Math>],
    shared: &[Id],
    leaves: &HashMap<Id, Symbol>,
) -> Vec<(RecExpr<Math>, RecExpr<Math>)> {
    let mut out = crate::derive::root_definitions(&grad.derivation.defs);
    for (e, h) in definitions.iter().zip(shared) {
        // Rational helpers stay names (s = 1 − u∘² is read as it is).
        let top = e.as_ref().last();
        let kept = top.is_some_and(|n| {
            simplify::ratfun::is_sqrt(n) || matches!(n, Math::DiagM(_) | Math::Mul(_))
        });
        if kept && let Some(s) = leaves.get(h) {
            out.push((Tree::var(*s).to_expr(), e.clone()));
        }
    }
    out
}

/// What the blocks' forms are read back with.
struct Forms<'a> {
    grad: &'a Gradient,
    /// (row, col, form node, direction), in the order of the forms.
    blocks: &'a [(usize, usize, Option<Id>, Option<Symbol>)],
    /// The shared helper nodes, whose definitions follow the forms.
    shared: &'a [Id],
    leaves: &'a HashMap<Id, Symbol>,
    symbols: &'a HashMap<Symbol, Shape>,
    /// The number of forms (before the helpers' definitions).
    roots: usize,
}

impl Forms<'_> {
    /// The blocks from their forms (and the helpers' definitions after them).
    fn read(&self, simplified: &[RecExpr<Math>]) -> Result<Hessians> {
        let grad = self.grad;
        let d = &grad.derivation;
        let mut trees: Vec<Tree> = simplified.iter().map(Tree::from_root).collect();
        let mut defs: Vec<(Symbol, Tree)> = self
            .shared
            .iter()
            .map(|h| self.leaves[h])
            .zip(trees.split_off(self.roots))
            .collect();
        let mut forms: Vec<Option<Tree>> = trees.into_iter().map(Some).collect();
        share::inline(&mut forms, &mut defs);
        for f in forms.iter_mut().flatten() {
            *f = tidy::transposes(f, self.symbols);
        }
        for (_, d) in defs.iter_mut() {
            *d = tidy::transposes(d, self.symbols);
        }
        let mut forms = forms.into_iter();
        let size = |v: &str| -> Result<Dim> {
            let s = &grad
                .model
                .input(v)
                .ok_or_else(|| Error::new(ErrorKind::Internal, "unknown variable"))?
                .shape;
            Ok(s.rows.clone())
        };
        let mut out = Vec::new();
        for &(i, j, node, dir) in self.blocks {
            let tree = node
                .and_then(|_| forms.next().flatten())
                .filter(|t| !matches!(t.op, Math::Num(r) if r == crate::rational::Rational::ZERO));
            let (row, col) = (d.vars[i].clone(), d.vars[j].clone());
            let shape = match dir {
                Some(_) => grad
                    .model
                    .input(&row)
                    .map(|x| x.shape.clone())
                    .unwrap_or_else(Shape::scalar),
                None => Shape::new(size(&row)?, size(&col)?),
            };
            out.push(Hessian {
                row,
                col,
                direction: dir.map(|s| s.to_string()),
                tree,
                shape,
                symbols: self.symbols.clone(),
            });
        }
        Ok(Hessians {
            blocks: out,
            defs,
            notes: Vec::new(),
            stats: Stats::default(),
        })
    }
}

/// The gradient and every block of the Hessian of a problem's objective with respect
/// to each of `wrt` (see [`hessians`]): a matrix for scalar and vector
/// variables, the directional form H[dX] (an expression in a direction `dX` of X's
/// shape) for matrix variables.
///
/// ```
/// let (g, h) = matgrad::hessian("A : n x n; x : n; x'*A*x", &["x"]).unwrap();
/// assert_eq!(h.blocks[0].show(matgrad::Notation::Ascii), "A + A'");
/// let p = g.point(r#"{"A": [[1, 2], [3, 4]], "x": [1, 1]}"#).unwrap();
/// assert_eq!(h.value(&g, &p, 0).unwrap().as_slice(), &[2.0, 5.0, 5.0, 8.0]);
///
/// let (_, h) = matgrad::hessian("A : n x n; X : n x m; tr(X'*A*X)", &["X"]).unwrap();
/// assert_eq!(h.blocks[0].direction.as_deref(), Some("dX"));
/// assert_eq!(h.blocks[0].show(matgrad::Notation::Unicode), "(A + Aᵀ)dX");
/// ```
pub fn hessian(src: &str, wrt: &[&str]) -> Result<(Gradient, Hessians)> {
    let g = crate::gradient::gradient(src, wrt)?;
    let h = hessians(&g)?;
    Ok((g, h))
}

/// `d<name>`, or a variant not taken by the problem's names or helpers.
fn fresh_direction(g: &mut Graph, name: &str, taken: &[String]) -> Result<(Symbol, Id)> {
    let mut base = format!("d{name}");
    while taken.contains(&base) {
        base.insert(0, 'd');
    }
    let shape = g.vars.get(&Symbol::from(name)).cloned().ok_or_else(|| {
        Error::new(
            ErrorKind::Internal,
            format!("internal error: no input `{name}`"),
        )
    })?;
    let s = Symbol::from(base.as_str());
    g.vars.insert(s, shape);
    let id = g.add(Math::Var(s))?;
    Ok((s, id))
}
