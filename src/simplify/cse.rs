//! Owned expression trees, for the passes around the e-graph: naming common
//! subexpressions, inlining helpers used once, substituting names.

use std::collections::HashMap;

use egg::{Id, Language, RecExpr, Symbol};
use rustc_hash::FxHashMap;

use crate::ir::Math;

/// An expression tree: an operation (its child ids are meaningless) and its children.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tree {
    /// The operation.
    pub op: Math,
    /// The children.
    pub kids: Vec<Tree>,
}

impl Tree {
    /// The tree of node `root` of `expr`.
    pub fn from_expr(expr: &RecExpr<Math>, root: Id) -> Tree {
        crate::stack::deep(|| Self::from_expr_deep(expr, root))
    }

    fn from_expr_deep(expr: &RecExpr<Math>, root: Id) -> Tree {
        let node = &expr[root];
        Tree {
            // The operation's child ids index `expr`; zero them so that equal trees compare equal.
            op: node.clone().map_children(|_| Id::from(0)),
            kids: node
                .children()
                .iter()
                .map(|c| Tree::from_expr(expr, *c))
                .collect(),
        }
    }

    /// The tree of the root of `expr`.
    pub fn from_root(expr: &RecExpr<Math>) -> Tree {
        Tree::from_expr(expr, Id::from(expr.as_ref().len() - 1))
    }

    /// An operation over subtrees (the operation's own child ids are ignored and zeroed).
    pub fn node(mut op: Math, kids: Vec<Tree>) -> Tree {
        for c in op.children_mut() {
            *c = Id::from(0usize);
        }
        Tree { op, kids }
    }

    /// A leaf symbol.
    pub fn var(s: Symbol) -> Tree {
        Tree {
            op: Math::Var(s),
            kids: Vec::new(),
        }
    }

    /// Back to a hash-consed expression.
    pub fn to_expr(&self) -> RecExpr<Math> {
        let mut out = RecExpr::default();
        let mut memo = FxHashMap::default();
        self.add_to(&mut out, &mut memo);
        out
    }

    /// Adds the tree to a hash-consed expression (equal subtrees get one id).
    pub fn add_to(&self, out: &mut RecExpr<Math>, memo: &mut FxHashMap<Math, Id>) -> Id {
        crate::stack::deep(|| self.add_to_deep(out, memo))
    }

    fn add_to_deep(&self, out: &mut RecExpr<Math>, memo: &mut FxHashMap<Math, Id>) -> Id {
        let mut node = self.op.clone();
        for (c, k) in node.children_mut().iter_mut().zip(&self.kids) {
            *c = k.add_to(out, memo);
        }
        if let Some(&id) = memo.get(&node) {
            return id;
        }
        let id = out.add(node.clone());
        memo.insert(node, id);
        id
    }

    /// Number of nodes (dimension leaves excluded).
    pub fn size(&self) -> usize {
        let own = usize::from(!matches!(self.op, Math::Dim(_)));
        own + self.kids.iter().map(Tree::size).sum::<usize>()
    }

    /// Replaces every occurrence of `from` by `to`.
    pub fn replace(&self, from: &Tree, to: &Tree) -> Tree {
        crate::stack::deep(|| self.replace_deep(from, to))
    }

    fn replace_deep(&self, from: &Tree, to: &Tree) -> Tree {
        if self == from {
            return to.clone();
        }
        Tree {
            op: self.op.clone(),
            kids: self.kids.iter().map(|k| k.replace(from, to)).collect(),
        }
    }

    /// Replaces the leaf symbols found in `map`.
    pub fn substitute(&self, map: &HashMap<Symbol, Tree>) -> Tree {
        crate::stack::deep(|| self.substitute_deep(map))
    }

    fn substitute_deep(&self, map: &HashMap<Symbol, Tree>) -> Tree {
        if let Math::Var(s) = &self.op
            && let Some(t) = map.get(s)
        {
            return t.clone();
        }
        Tree {
            op: self.op.clone(),
            kids: self.kids.iter().map(|k| k.substitute(map)).collect(),
        }
    }

    /// How often the symbol `s` occurs.
    pub fn count_var(&self, s: Symbol) -> usize {
        let own = usize::from(self.op == Math::Var(s));
        own + self.kids.iter().map(|k| k.count_var(s)).sum::<usize>()
    }

    /// Every subtree, with multiplicity.
    pub fn visit<'a>(&'a self, f: &mut dyn FnMut(&'a Tree)) {
        crate::stack::deep(|| {
            f(self);
            for k in &self.kids {
                k.visit(f);
            }
        })
    }
}
