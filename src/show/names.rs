//! Names of the nodes, their adjoints (v̄) and tangents (v̇) in each notation.

use std::collections::HashMap;

use egg::{Id, RecExpr, Symbol};

use super::{Dag, adj_key, dot_key, key, part_key};
use crate::ir::{Math, Shape};
use crate::print::{self, Notation, Printer};
use crate::simplify::cse::Tree;

/// How nodes are called: by their number everywhere (trace tables), or by the
/// input's or user's name where there is one (graph, steps).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Naming {
    /// `v₋₂, v₋₁, v₀, v₁, …` for every node.
    Numbered,
    /// Inputs and named intermediates by name, other nodes `v₃` (scalars) or `V₃`.
    Named,
}

fn subscript(i: i64) -> String {
    let digits = ['₀', '₁', '₂', '₃', '₄', '₅', '₆', '₇', '₈', '₉'];
    let mut s = String::new();
    if i < 0 {
        s.push('₋');
    }
    for c in i.unsigned_abs().to_string().chars() {
        s.push(digits[c.to_digit(10).unwrap_or(0) as usize]);
    }
    s
}

fn superscript_paren(k: usize) -> String {
    let digits = ['⁰', '¹', '²', '³', '⁴', '⁵', '⁶', '⁷', '⁸', '⁹'];
    let inner: String = k
        .to_string()
        .chars()
        .map(|c| digits[c.to_digit(10).unwrap_or(0) as usize])
        .collect();
    format!("⁽{inner}⁾")
}

/// A combining accent on the first letter (unicode), a command around the name (LaTeX),
/// a suffix (ASCII).
fn accent(base: &str, sub: Option<i64>, n: Notation, uni: char, tex: &str, ascii: &str) -> String {
    match n {
        Notation::Unicode => {
            let mut cs = base.chars();
            let first = cs.next().map(String::from).unwrap_or_default();
            let rest: String = cs.collect();
            let sub = sub.map(subscript).unwrap_or_default();
            format!("{first}{uni}{rest}{sub}")
        }
        Notation::Latex => {
            let sub = sub.map(|i| format!("_{{{i}}}")).unwrap_or_default();
            let short =
                base.chars().count() == 1 || (base.starts_with('\\') && !base.contains(['_', '{']));
            let cmd = if short || tex == "dot" {
                tex
            } else {
                "overline"
            };
            format!("\\{cmd}{{{base}}}{sub}")
        }
        Notation::Ascii => {
            let sub = sub.map(|i| i.to_string()).unwrap_or_default();
            format!("{base}{sub}_{ascii}")
        }
    }
}

impl Dag {
    fn base(&self, i: usize, naming: Naming, n: Notation) -> (String, Option<i64>) {
        let node = &self.nodes[i];
        if naming == Naming::Named
            && let Some(x) = node.input.as_ref().or(node.user.as_ref())
        {
            return (print::name(x, n), None);
        }
        let letter = if naming == Naming::Named && !node.shape.is_scalar() {
            "V"
        } else {
            "v"
        };
        (letter.to_string(), Some(node.index))
    }

    /// The name of node `i`.
    pub fn name(&self, i: usize, naming: Naming, n: Notation) -> String {
        let (b, sub) = self.base(i, naming, n);
        match (sub, n) {
            (None, _) => b,
            (Some(k), Notation::Unicode) => format!("{b}{}", subscript(k)),
            (Some(k), Notation::Latex) => format!("{b}_{{{k}}}"),
            (Some(k), Notation::Ascii) => format!("{b}{k}"),
        }
    }

    /// The name of the adjoint of node `i` (`V̄₅`).
    pub fn adj_name(&self, i: usize, naming: Naming, n: Notation) -> String {
        let (b, sub) = self.base(i, naming, n);
        accent(&b, sub, n, '\u{304}', "bar", "bar")
    }

    /// The name of the `k`-th contribution to the adjoint of node `i` (`W̄⁽¹⁾`).
    pub fn part_name(&self, i: usize, k: usize, naming: Naming, n: Notation) -> String {
        let a = self.adj_name(i, naming, n);
        match n {
            Notation::Unicode => format!("{a}{}", superscript_paren(k)),
            Notation::Latex => format!("{a}^{{({k})}}"),
            Notation::Ascii => format!("{a}_{k}"),
        }
    }

    /// The name of the tangent of node `i` (`v̇₃`).
    pub fn dot_name(&self, i: usize, naming: Naming, n: Notation) -> String {
        let (b, sub) = self.base(i, naming, n);
        accent(&b, sub, n, '\u{307}', "dot", "dot")
    }

    /// Every symbol of formulas and its name in a notation.
    pub fn symbol_names(
        &self,
        naming: Naming,
        n: Notation,
    ) -> std::rc::Rc<HashMap<Symbol, String>> {
        if let Some((_, m)) = self
            .names_once
            .borrow()
            .iter()
            .find(|(k, _)| *k == (naming, n))
        {
            return m.clone();
        }
        let m = std::rc::Rc::new(self.compute_symbol_names(naming, n));
        self.names_once.borrow_mut().push(((naming, n), m.clone()));
        m
    }

    fn compute_symbol_names(&self, naming: Naming, n: Notation) -> HashMap<Symbol, String> {
        let mut m = HashMap::new();
        for i in 0..self.nodes.len() {
            m.insert(key(self, i), self.name(i, naming, n));
            m.insert(adj_key(i), self.adj_name(i, naming, n));
            m.insert(dot_key(i), self.dot_name(i, naming, n));
            for k in 1..=self.parents(i).len().max(1) {
                m.insert(part_key(i, k), self.part_name(i, k, naming, n));
            }
        }
        m
    }
}

/// Prints an expression whose symbols are named by `names` (others as usual).
pub fn show(
    e: &RecExpr<Math>,
    shapes: &HashMap<Symbol, Shape>,
    names: &HashMap<Symbol, String>,
    n: Notation,
) -> String {
    let tree = Tree::from_root(e);
    let Ok((g, root)) = crate::derive::typed_tree(shapes, &tree) else {
        return "<ill-shaped>".into();
    };
    let name = |id: Id| match g.node(id) {
        Math::Var(s) => names.get(s).cloned(),
        _ => None,
    };
    let scalar = |id: Id| g.shape(id).is_scalar();
    let mut p = Printer::new(&g.expr, n, &name, &scalar);
    p.verbatim = true;
    p.print(root)
}
