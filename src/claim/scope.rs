//! Reading a claim in the problem's scope.
//!
//! The claim is lowered together with the problem: the problem's statements, its
//! objective as a definition, then the claim's lines, as one program. The claim may
//! so use every input and named term of the problem and define names of its own
//! (`M = inv(K); -alpha*D*M*X`). Every error is reported with a span into the claim
//! text: syntax errors by parsing the claim alone, the others by shifting the spans of
//! the joint lowering back by the length of the problem's part.

use std::collections::HashMap;

use egg::{Id, Language, Symbol};

use crate::error::{Error, ErrorKind, Result, Span};
use crate::ir::{Dim, Graph, Math, Shape};
use crate::model::Model;
use crate::simplify::cse::Tree;
use crate::syntax::{self, ast::Stmt};

/// The name the problem's objective gets in the joint program (not visible to users).
const OBJECTIVE: &str = "_objective_";

/// A claim read in the problem's scope.
#[derive(Debug, Clone)]
pub struct Scoped {
    /// The problem and the claim lowered together (the claim's last line is the objective node).
    pub joint: Model,
    /// The variable the claim is the gradient for.
    pub var: String,
    /// The claim's value: the node of its last line.
    pub root: Id,
    /// The problem's own named terms, with their nodes in the joint graph.
    pub problem_defs: Vec<(String, Id)>,
    /// The names the claim defines, with their nodes (the last line excluded).
    pub claim_defs: Vec<(String, Id)>,
    /// Dimension equalities the claim forces that the problem does not state (`m = n`).
    pub forced: Vec<String>,
}

/// Reads `claim` as a gradient of `problem` with respect to one of `wrt`.
pub fn read(problem: &Model, wrt: &[&str], claim: &str) -> Result<Scoped> {
    let ast = syntax::parse(claim).map_err(|e| {
        if e.kind == ErrorKind::Syntax && e.message.starts_with("the problem is empty") {
            Error::at(ErrorKind::Syntax, 0..claim.len(), "the claim is empty")
                .with_label("write the gradient you want checked")
        } else {
            e
        }
    })?;
    for s in &ast.stmts {
        if let Stmt::Decl { span, .. } = s {
            return Err(Error::at(
                ErrorKind::Declaration,
                span.clone(),
                "a claim cannot declare names: it uses the problem's declarations",
            )
            .with_label("remove this declaration"));
        }
    }
    for s in &ast.stmts {
        if let Stmt::Def {
            name, name_span, ..
        } = s
            && (problem.input(name).is_some() || problem.defs.iter().any(|(n, _)| n == name))
        {
            return Err(Error::at(
                ErrorKind::Declaration,
                name_span.clone(),
                format!("`{name}` is already a name of the problem: the claim may use it, not redefine it"),
            )
            .with_label("choose another name"));
        }
    }
    let var = which_variable(problem, wrt, &ast.stmts)?;
    let (prefix, problem_defs_names) = problem_prefix(problem)?;
    let offset = prefix.len() + 1;
    let text = format!("{prefix}\n{claim}");
    let shift = |e: Error| shift_error(e, offset);
    let joint_ast = syntax::parse(&text).map_err(shift)?;
    let joint = syntax::shape::lower(&joint_ast, &text, None, false).map_err(shift)?;
    for input in &joint.inputs {
        if problem.input(&input.name).is_none() {
            return Err(unknown_name(
                problem,
                &input.name,
                input.span.clone(),
                offset,
            ));
        }
    }
    let def = |n: &str| joint.defs.iter().find(|(d, _)| d == n).map(|(_, i)| *i);
    let problem_defs = problem_defs_names
        .iter()
        .filter_map(|n| def(n).map(|i| (n.clone(), i)))
        .collect();
    let n_problem = problem.defs.len() + usize::from(problem.objective_name.is_none());
    let mut claim_defs: Vec<(String, Id)> = joint.defs.iter().skip(n_problem).cloned().collect();
    if matches!(ast.stmts.last(), Some(Stmt::Def { .. })) {
        claim_defs.pop();
    }
    let forced = forced_dims(problem, &joint);
    let scoped = Scoped {
        root: joint.objective,
        joint,
        var,
        problem_defs,
        claim_defs,
        forced,
    };
    bind_free_dims(scoped, problem)
}

/// A dimension the claim leaves free (`I` alone is n×n for any n) takes the
/// variable's dimension at the same place: the claim `I` for a gradient that is n×n.
fn bind_free_dims(s: Scoped, problem: &Model) -> Result<Scoped> {
    let known = problem.dims();
    let (mine, want) = (s.shape(), s.var_shape());
    let mut map: HashMap<Dim, Dim> = HashMap::new();
    for (a, b) in [(&mine.rows, &want.rows), (&mine.cols, &want.cols)] {
        if let Dim::Sym(x) = a
            && !known.contains(x)
            && map.get(a).is_none_or(|m| m == b)
        {
            map.insert(a.clone(), b.clone());
        }
    }
    if map.is_empty() {
        return Ok(s);
    }
    let old = &s.joint.graph;
    let mut graph = crate::ops::graph(old.vars.clone());
    let mut ids: Vec<Id> = Vec::with_capacity(old.len());
    for n in old.expr.as_ref() {
        let mut n = n.clone();
        for c in n.children_mut() {
            *c = ids[usize::from(*c)];
        }
        if let Math::Dim(d) = &n
            && let Some(to) = map.get(&d.0)
        {
            n = Math::Dim(crate::ir::DimLeaf(to.clone()));
        }
        ids.push(graph.add(n)?);
    }
    let at = |i: Id| ids[usize::from(i)];
    let remap = |v: &[(String, Id)]| v.iter().map(|(n, i)| (n.clone(), at(*i))).collect();
    let mut joint = s.joint.clone();
    joint.graph = graph;
    joint.objective = at(s.joint.objective);
    joint.defs = remap(&s.joint.defs);
    Ok(Scoped {
        root: at(s.root),
        problem_defs: remap(&s.problem_defs),
        claim_defs: remap(&s.claim_defs),
        joint,
        ..s
    })
}

/// The variable a claim is for: the single `--wrt`, or the one its last line names (`dX = ...`).
fn which_variable(problem: &Model, wrt: &[&str], stmts: &[Stmt]) -> Result<String> {
    let named = match stmts.last() {
        Some(Stmt::Def {
            name, name_span, ..
        }) => name
            .strip_prefix('d')
            .filter(|v| problem.input(v).is_some())
            .map(|v| (v.to_string(), name_span.clone())),
        _ => None,
    };
    match (named, wrt) {
        (Some((v, span)), _) if !wrt.contains(&v.as_str()) => Err(Error::at(
            ErrorKind::Syntax,
            span,
            format!(
                "the claim is a gradient for `{v}`, but --wrt asks for {}",
                list(wrt)
            ),
        )
        .with_label(format!("add --wrt {v}"))),
        (Some((v, _)), _) => Ok(v),
        (None, [one]) => Ok(one.to_string()),
        (None, _) => {
            let span = match stmts.last() {
                Some(Stmt::Expr(e)) => e.span.clone(),
                Some(Stmt::Def {
                    name_span, expr, ..
                }) => name_span.start..expr.span.end,
                _ => 0..0,
            };
            Err(Error::at(
                ErrorKind::Syntax,
                span,
                format!(
                    "with several --wrt ({}), the claim must say which gradient it is",
                    list(wrt)
                ),
            )
            .with_label(format!(
                "write it as `d{} = ...`",
                wrt.first().unwrap_or(&"X")
            )))
        }
    }
}

fn list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The problem's text with its objective as a definition, and the problem's named terms.
fn problem_prefix(problem: &Model) -> Result<(String, Vec<String>)> {
    let src = &problem.source;
    let ast = syntax::parse(src)?;
    let mut prefix = src.trim_end().to_string();
    if let Some(Stmt::Expr(e)) = ast.stmts.last() {
        // The statement starts after the last separator before its expression (an
        // expression's span may begin inside its opening parentheses; a `;` after the
        // last newline cannot be in a comment, which would hide the objective).
        let start = src[..e.span.start.min(src.len())]
            .rfind([';', '\n'])
            .map_or(0, |i| i + 1);
        prefix = format!("{}{OBJECTIVE} = {}", &src[..start], src[start..].trim_end());
    }
    let names = problem
        .defs
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| problem.objective_name.as_deref() != Some(n))
        .collect();
    Ok((prefix, names))
}

/// An error of the joint lowering, with its span moved into the claim text.
fn shift_error(mut e: Error, offset: usize) -> Error {
    e.span = e
        .span
        .filter(|s| s.start >= offset)
        .map(|s| s.start - offset..s.end - offset);
    e
}

fn unknown_name(problem: &Model, name: &str, span: Span, offset: usize) -> Error {
    let inputs: Vec<&str> = problem.inputs.iter().map(|i| i.name.as_str()).collect();
    let defs: Vec<&str> = problem
        .defs
        .iter()
        .map(|(n, _)| n.as_str())
        .filter(|n| problem.objective_name.as_deref() != Some(*n))
        .collect();
    let mut known = format!("its inputs are {}", list(&inputs));
    if !defs.is_empty() {
        known += &format!(" and its named terms {}", list(&defs));
    }
    let e = Error::at(
        ErrorKind::UnknownName,
        span,
        format!("unknown name `{name}`: the problem has no such input or term ({known})"),
    )
    .with_label("define it earlier in the claim (`name = ...;`) or use a name of the problem");
    shift_error(e, offset)
}

/// Dimension equalities the joint lowering found that the problem alone does not have.
fn forced_dims(problem: &Model, joint: &Model) -> Vec<String> {
    let mut map: HashMap<Dim, Dim> = HashMap::new();
    let mut out = Vec::new();
    for input in &problem.inputs {
        let Some(j) = joint.input(&input.name) else {
            continue;
        };
        for (a, b) in [
            (&input.shape.rows, &j.shape.rows),
            (&input.shape.cols, &j.shape.cols),
        ] {
            if let Some(prev) = map.get(a) {
                if prev != b {
                    out.push(format!("{a} = {prev}"));
                }
                continue;
            }
            if let Some((other, _)) = map.iter().find(|(k, v)| *v == b && *k != a) {
                out.push(format!("{other} = {a}"));
            } else if a != b && matches!(a, Dim::Sym(_)) {
                out.push(format!("{a} = {b}"));
            }
            map.insert(a.clone(), b.clone());
        }
    }
    out.sort();
    out.dedup();
    if !out.is_empty() {
        let shapes: Vec<String> = problem
            .inputs
            .iter()
            .filter(|i| !i.shape.is_scalar())
            .map(|i| format!("{} is {}", i.name, i.shape))
            .collect();
        let last = out.len() - 1;
        out[last] += &format!(" ({})", shapes.join(", "));
    }
    out
}

impl Scoped {
    /// The shape of the claim.
    pub fn shape(&self) -> Shape {
        self.joint.graph.shape(self.root)
    }

    /// The shape of the variable.
    pub fn var_shape(&self) -> Shape {
        self.joint
            .input(&self.var)
            .map(|i| i.shape.clone())
            .unwrap_or_else(Shape::scalar)
    }

    /// The claim as a tree over the inputs and the problem's named terms (claim names inlined).
    pub fn inlined(&self) -> Tree {
        let leaves: HashMap<Id, Symbol> = self
            .problem_defs
            .iter()
            .map(|(n, i)| (*i, Symbol::from(n.as_str())))
            .collect();
        tree_of(&self.joint.graph, self.root, &leaves)
    }

    /// The claim's last line as written: its own names and the problem's as leaves.
    pub fn as_written(&self) -> Tree {
        tree_of(
            &self.joint.graph,
            self.root,
            &self.all_leaves(Some(self.root)),
        )
    }

    /// The claim's definitions as trees over earlier names.
    pub fn definitions(&self) -> Vec<(String, Tree)> {
        self.claim_defs
            .iter()
            .map(|(n, id)| {
                let leaves = self.all_leaves(Some(*id));
                (n.clone(), tree_of(&self.joint.graph, *id, &leaves))
            })
            .collect()
    }

    fn all_leaves(&self, except: Option<Id>) -> HashMap<Id, Symbol> {
        self.problem_defs
            .iter()
            .chain(&self.claim_defs)
            .filter(|(_, i)| Some(*i) != except)
            .map(|(n, i)| (*i, Symbol::from(n.as_str())))
            .collect()
    }

    /// Shapes of the inputs and of every named term (the problem's and the claim's).
    pub fn symbol_shapes(&self) -> HashMap<Symbol, Shape> {
        let mut vars = self.joint.graph.vars.clone();
        for (n, id) in self.problem_defs.iter().chain(&self.claim_defs) {
            vars.insert(Symbol::from(n.as_str()), self.joint.graph.shape(*id));
        }
        vars
    }
}

/// The subtree at `id`, with the nodes of `leaves` as symbols.
pub fn tree_of(g: &Graph, id: Id, leaves: &HashMap<Id, Symbol>) -> Tree {
    if let Some(s) = leaves.get(&id) {
        return Tree::var(*s);
    }
    let node: &Math = g.node(id);
    let kids = node
        .children()
        .iter()
        .map(|c| tree_of(g, *c, leaves))
        .collect();
    Tree::node(node.clone(), kids)
}
