//! Forward mode over an expression DAG: the directional derivative (tangent) of
//! nodes along tangents of chosen inputs.
//!
//! Each node's tangent is built once, from its children's tangents, by the
//! operation's Jacobian-vector product ([`crate::ops::jvp`]); the nodes are
//! visited children first, so the work and the added nodes are linear in the
//! size of the DAG (shared subexpressions are differentiated once, however many
//! paths reach them). A tangent is a node of the same graph with the shape of
//! its node, or `None` when it is identically zero.
//!
//! Entry points: [`directional`] (tangents of some roots) and [`direction`] (a
//! fresh direction symbol `dX` of an input's shape, to seed with).

use std::collections::HashMap;

use egg::{Id, Language, Symbol};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Graph, Math};
use crate::ops;

/// The tangents of every node of `g` that `roots` reach, along `seeds` (input symbol →
/// the node of its tangent, of the input's shape). Inputs not in `seeds` are constant.
/// Returns the tangent of each root (`None`: identically zero); the tangent nodes
/// are added to `g`.
pub fn directional(
    g: &mut Graph,
    roots: &[Id],
    seeds: &HashMap<Symbol, Id>,
) -> Result<Vec<Option<Id>>> {
    let tangents = tangents(g, roots, seeds)?;
    Ok(roots.iter().map(|r| tangents[usize::from(*r)]).collect())
}

/// The tangent of every node below the highest root (`None` for nodes that are
/// constant along the seeds or that no root reaches).
pub fn tangents(
    g: &mut Graph,
    roots: &[Id],
    seeds: &HashMap<Symbol, Id>,
) -> Result<Vec<Option<Id>>> {
    let n = roots.iter().map(|r| usize::from(*r) + 1).max().unwrap_or(0);
    if n > g.len() {
        return Err(Error::new(
            ErrorKind::Internal,
            "internal error: a root outside the graph",
        ));
    }
    // Which nodes the roots reach.
    let mut needed = vec![false; n];
    for r in roots {
        needed[usize::from(*r)] = true;
    }
    for i in (0..n).rev() {
        if needed[i] {
            for c in g.expr[Id::from(i)].children() {
                needed[usize::from(*c)] = true;
            }
        }
    }
    let mut tan: Vec<Option<Id>> = vec![None; n];
    for i in 0..n {
        if !needed[i] {
            continue;
        }
        let id = Id::from(i);
        tan[i] = match g.node(id) {
            Math::Var(v) => seeds.get(v).copied(),
            _ => {
                let t = |c: Id| tan.get(usize::from(c)).copied().flatten();
                ops::jvp(g, id, &t)?
            }
        };
    }
    Ok(tan)
}

/// A direction for input `name`: a new symbol `d<name>` (or `d<name>_2`, … when taken)
/// of the input's shape, declared in `g`, and its node.
pub fn direction(g: &mut Graph, name: &str) -> Result<(Symbol, Id)> {
    let shape = g.vars.get(&Symbol::from(name)).cloned().ok_or_else(|| {
        Error::new(
            ErrorKind::Internal,
            format!("internal error: no input `{name}`"),
        )
    })?;
    let mut s = Symbol::from(format!("d{name}"));
    let mut k = 2;
    while g.vars.contains_key(&s) {
        s = Symbol::from(format!("d{name}_{k}"));
        k += 1;
    }
    g.vars.insert(s, shape);
    let id = g.add(Math::Var(s))?;
    Ok((s, id))
}
