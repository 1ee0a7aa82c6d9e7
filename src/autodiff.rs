//! Reverse mode over the expression DAG: each node's adjoint is the sum of the
//! contributions of its parents (every path), and each operation's
//! vector-Jacobian product lives with the operation in `ops/`.

use std::collections::HashMap;

use egg::{Id, Language, Symbol};

use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Graph, Math};
use crate::model::Model;
use crate::ops;

/// The forward graph extended with adjoint nodes, and the gradient node of each variable.
#[derive(Debug, Clone)]
pub struct Adjoints {
    /// Forward nodes (ids below `forward_len`) followed by adjoint nodes.
    pub graph: Graph,
    /// How many nodes the forward computation has.
    pub forward_len: usize,
    /// For each requested variable, its gradient node, or `None` when the objective does not depend on it.
    pub grads: Vec<(String, Option<Id>)>,
    /// For each adjoint node (id `forward_len + k` at index `k`), the forward node
    /// whose derivative made it: where a failure of that node is the user's.
    pub origin: Vec<Id>,
}

impl Adjoints {
    /// The forward node a node of the graph comes from: itself if it is one.
    pub fn origin_of(&self, id: Id) -> Option<Id> {
        let i = usize::from(id);
        if i < self.forward_len {
            Some(id)
        } else {
            self.origin.get(i - self.forward_len).copied()
        }
    }
}

/// Which nodes depend on one of `vars`.
pub fn active_set(g: &Graph, vars: &[Symbol]) -> Vec<bool> {
    let mut active = vec![false; g.len()];
    for (i, node) in g.expr.as_ref().iter().enumerate() {
        active[i] = match node {
            Math::Var(s) => vars.contains(s),
            n => n.children().iter().any(|c| active[usize::from(*c)]),
        };
    }
    active
}

/// Reverse mode: the adjoint of every input in `wrt` for the model's objective.
pub fn reverse(model: &Model, wrt: &[&str]) -> Result<Adjoints> {
    reverse_seeded(model, wrt, |g| g.int(1))
}

/// Reverse mode from the adjoint `seed` builds for the objective (of the objective's
/// shape; `1` for a scalar objective): the vector-Jacobian products `Jᵀu` of a
/// vector- or matrix-valued objective for a cotangent `u`.
pub fn reverse_seeded(
    model: &Model,
    wrt: &[&str],
    seed: impl FnOnce(&mut Graph) -> Result<Id>,
) -> Result<Adjoints> {
    let mut g = model.graph.clone();
    for w in wrt {
        if model.input(w).is_none() {
            return Err(Error::new(
                ErrorKind::NotDifferentiable,
                format!("`{w}` is not an input of the problem"),
            ));
        }
    }
    let vars: Vec<Symbol> = wrt.iter().map(|w| Symbol::from(*w)).collect();
    let forward_len = g.len();
    let active = active_set(&g, &vars);
    let mut contributions: HashMap<Id, Vec<Id>> = HashMap::new();
    let seed = seed(&mut g)?;
    let mut origin: Vec<Id> = vec![model.objective; g.len() - forward_len];
    contributions.insert(model.objective, vec![seed]);
    let mut adjoint: HashMap<Id, Id> = HashMap::new();
    for i in (0..forward_len).rev() {
        let id = Id::from(i);
        let Some(parts) = contributions.remove(&id) else {
            continue;
        };
        if !active[i] {
            continue;
        }
        let mut sum = parts[0];
        for &p in &parts[1..] {
            sum = g.add(Math::Add([sum, p]))?;
        }
        origin.resize(g.len() - forward_len, id);
        adjoint.insert(id, sum);
        if matches!(g.node(id), Math::Var(_)) {
            continue;
        }
        let is_active = |c: Id| usize::from(c) < active.len() && active[usize::from(c)];
        for (child, c) in ops::vjp(&mut g, id, sum, &is_active)? {
            contributions.entry(child).or_default().push(c);
        }
        origin.resize(g.len() - forward_len, id);
    }
    let grads = wrt
        .iter()
        .map(|w| {
            let var = g
                .expr
                .as_ref()
                .iter()
                .position(|n| *n == Math::Var(Symbol::from(*w)))
                .map(Id::from);
            (w.to_string(), var.and_then(|v| adjoint.get(&v).copied()))
        })
        .collect();
    Ok(Adjoints {
        graph: g,
        forward_len,
        grads,
        origin,
    })
}
