//! Rewrite rules are data: `rules/*.rules`, one rule a line,
//!
//! ```text
//! # (AB)ᵀ = BᵀAᵀ  (Matrix Cookbook eq. 4)
//! transpose-product: (T (* ?a ?b)) => (* (T ?b) (T ?a)) if nonscalar ?a, nonscalar ?b
//! ```
//!
//! The comment lines above a rule state the identity and its source. Every
//! right-hand side is applied through a guard that refuses a union whose shape
//! differs from the matched class (and records the rule), so an ill-typed rule
//! cannot corrupt the e-graph.

use rustc_hash::FxHashMap;
use std::sync::OnceLock;

use egg::{
    Applier, ENodeOrVar, FromOp, Id, Language, Pattern, PatternAst, Rewrite, Subst, Symbol, Var,
};

use super::analysis::{MathAnalysis, MathEGraph, union_checked};
use super::matcher::Matcher;
use super::reach::{Op, operations};
use crate::error::{Error, ErrorKind, Result};
use crate::ir::{Dim, Math, Shape};
use crate::ops::resolved_shape;

/// When the rules of a file run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    /// In every search.
    Main,
    /// Only when extracting the fewest FLOPs (`rules/flops.rules`).
    Flops,
    /// Only in the polish of an extracted result (`rules/expand.rules`).
    Polish,
}

/// The rule files, by topic, compiled into the binary, with their phase.
pub const RULE_FILES: &[(&str, &str, Phase)] = &[
    (
        "rules/transpose.rules",
        include_str!("../../rules/transpose.rules"),
        Phase::Main,
    ),
    (
        "rules/products.rules",
        include_str!("../../rules/products.rules"),
        Phase::Main,
    ),
    (
        "rules/sums.rules",
        include_str!("../../rules/sums.rules"),
        Phase::Main,
    ),
    (
        "rules/trace.rules",
        include_str!("../../rules/trace.rules"),
        Phase::Main,
    ),
    (
        "rules/inverse.rules",
        include_str!("../../rules/inverse.rules"),
        Phase::Main,
    ),
    (
        "rules/elementwise.rules",
        include_str!("../../rules/elementwise.rules"),
        Phase::Main,
    ),
    (
        "rules/activation.rules",
        include_str!("../../rules/activation.rules"),
        Phase::Main,
    ),
    (
        "rules/determinant.rules",
        include_str!("../../rules/determinant.rules"),
        Phase::Main,
    ),
    (
        "rules/diag.rules",
        include_str!("../../rules/diag.rules"),
        Phase::Main,
    ),
    (
        "rules/reduce.rules",
        include_str!("../../rules/reduce.rules"),
        Phase::Main,
    ),
    (
        "rules/flops.rules",
        include_str!("../../rules/flops.rules"),
        Phase::Flops,
    ),
    (
        "rules/expand.rules",
        include_str!("../../rules/expand.rules"),
        Phase::Polish,
    ),
];

/// A side condition on a pattern variable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Cond {
    /// 1×1.
    Scalar(Var),
    /// Not 1×1.
    NonScalar(Var),
    /// Known symmetric.
    Symmetric(Var),
    /// Known symmetric positive definite.
    Spd(Var),
    /// Known diagonal.
    Diagonal(Var),
    /// Known to be the identity.
    Identity(Var),
    /// Square.
    Square(Var),
    /// A column vector.
    Vector(Var),
    /// Known positive (entries).
    Positive(Var),
    /// A number (a scalar whose value is a known constant).
    Constant(Var),
    /// The same shape.
    SameShape(Var, Var),
    /// The same number of rows.
    SameRows(Var, Var),
    /// `a*b` is well formed: a scalar on either side, or matching inner dimensions.
    Composable(Var, Var),
    /// The two terms of the matched node (a sum) are different e-classes: the rule
    /// leaves `A + A` to `add-same` (checked by the search, [`Matcher::distinct_terms`]).
    DistinctTerms,
}

impl Cond {
    /// The pattern variables the condition reads.
    pub fn vars(&self) -> Vec<Var> {
        match self {
            Cond::SameShape(a, b) | Cond::SameRows(a, b) | Cond::Composable(a, b) => {
                vec![*a, *b]
            }
            Cond::Scalar(a)
            | Cond::NonScalar(a)
            | Cond::Symmetric(a)
            | Cond::Spd(a)
            | Cond::Diagonal(a)
            | Cond::Identity(a)
            | Cond::Square(a)
            | Cond::Vector(a)
            | Cond::Positive(a)
            | Cond::Constant(a) => {
                vec![*a]
            }
            Cond::DistinctTerms => Vec::new(),
        }
    }

    fn holds(&self, eg: &MathEGraph, s: &Subst) -> bool {
        let d = |v: &Var| &eg[s[*v]].data;
        let shape = |v: &Var| d(v).shape.as_ref();
        match self {
            Cond::Scalar(a) => d(a).is_scalar(),
            Cond::NonScalar(a) => shape(a).is_some_and(|s| !s.is_scalar()),
            Cond::Symmetric(a) => d(a).props.symmetric,
            Cond::Spd(a) => d(a).props.spd,
            Cond::Diagonal(a) => d(a).props.diagonal,
            Cond::Identity(a) => d(a).props.identity,
            Cond::Square(a) => shape(a).is_some_and(|s| s.is_square()),
            Cond::Vector(a) => shape(a).is_some_and(|s| s.cols == Dim::ONE),
            Cond::Positive(a) => d(a).props.positive,
            Cond::Constant(a) => d(a).mono.as_ref().is_some_and(|m| m.powers.is_empty()),
            Cond::SameShape(a, b) => {
                let x = shape(a);
                x.is_some() && x == shape(b)
            }
            Cond::SameRows(a, b) => match (shape(a), shape(b)) {
                (Some(x), Some(y)) => x.rows == y.rows,
                _ => false,
            },
            Cond::Composable(a, b) => match (shape(a), shape(b)) {
                (Some(x), Some(y)) => x.is_scalar() || y.is_scalar() || x.cols == y.rows,
                _ => false,
            },
            // The search found only matches whose terms differ.
            Cond::DistinctTerms => true,
        }
    }
}

/// A rule as read from its file.
#[derive(Debug, Clone)]
pub struct RuleSpec {
    /// Its name.
    pub name: String,
    /// The comment above it: the identity and its source.
    pub doc: String,
    /// Left-hand side.
    pub lhs: Pattern<Math>,
    /// Right-hand side (only instantiated, never searched: not compiled).
    pub rhs: PatternAst<Math>,
    /// Side conditions.
    pub conds: Vec<Cond>,
    /// `file:line`.
    pub origin: String,
    /// When it runs (from its file).
    pub phase: Phase,
}

fn parse_cond(text: &str) -> std::result::Result<Cond, String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    let var = |w: &str| {
        w.parse::<Var>()
            .map_err(|e| format!("bad variable `{w}`: {e}"))
    };
    match words.as_slice() {
        ["scalar", a] => Ok(Cond::Scalar(var(a)?)),
        ["nonscalar", a] => Ok(Cond::NonScalar(var(a)?)),
        ["symmetric", a] => Ok(Cond::Symmetric(var(a)?)),
        ["spd", a] => Ok(Cond::Spd(var(a)?)),
        ["diagonal", a] => Ok(Cond::Diagonal(var(a)?)),
        ["identity", a] => Ok(Cond::Identity(var(a)?)),
        ["square", a] => Ok(Cond::Square(var(a)?)),
        ["vector", a] => Ok(Cond::Vector(var(a)?)),
        ["positive", a] => Ok(Cond::Positive(var(a)?)),
        ["constant", a] => Ok(Cond::Constant(var(a)?)),
        ["same-shape", a, b] => Ok(Cond::SameShape(var(a)?, var(b)?)),
        ["same-rows", a, b] => Ok(Cond::SameRows(var(a)?, var(b)?)),
        ["composable", a, b] => Ok(Cond::Composable(var(a)?, var(b)?)),
        ["distinct-terms"] => Ok(Cond::DistinctTerms),
        _ => Err(format!(
            "unknown condition `{text}` (scalar, nonscalar, symmetric, spd, diagonal, identity, square, vector, positive, constant, same-shape, same-rows, composable, distinct-terms)"
        )),
    }
}

/// Reads an s-expression pattern such as `(* (T ?b) (T ?a))`, without the
/// intermediate tree that egg's `FromStr` builds (rules are read at every start).
pub fn parse_pattern(text: &str) -> std::result::Result<PatternAst<Math>, String> {
    let mut ast = PatternAst::default();
    let mut rest = text.trim_start();
    read_node(&mut rest, &mut ast, 0)?;
    if !rest.trim().is_empty() {
        return Err(format!("unexpected `{}` after the pattern", rest.trim()));
    }
    Ok(ast)
}

/// The next atom: up to whitespace or a parenthesis.
fn atom<'a>(rest: &mut &'a str) -> &'a str {
    let end = rest
        .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
        .unwrap_or(rest.len());
    let (a, r) = rest.split_at(end);
    *rest = r.trim_start();
    a
}

fn read_node(
    rest: &mut &str,
    ast: &mut PatternAst<Math>,
    depth: usize,
) -> std::result::Result<Id, String> {
    if depth > 64 {
        return Err("pattern nested too deeply".into());
    }
    let node =
        |op: &str, kids: Vec<Id>| ENodeOrVar::<Math>::from_op(op, kids).map_err(|e| format!("{e}"));
    if let Some(r) = rest.strip_prefix('(') {
        *rest = r.trim_start();
        let op = atom(rest);
        if op.is_empty() {
            return Err("expected an operator after `(`".into());
        }
        let mut kids = Vec::new();
        loop {
            if let Some(r) = rest.strip_prefix(')') {
                *rest = r.trim_start();
                break;
            }
            if rest.is_empty() {
                return Err("missing `)`".into());
            }
            kids.push(read_node(rest, ast, depth + 1)?);
        }
        Ok(ast.add(node(op, kids)?))
    } else {
        let a = atom(rest);
        if a.is_empty() {
            return Err(format!("expected a pattern, found `{rest}`"));
        }
        Ok(ast.add(node(a, Vec::new())?))
    }
}

/// Parses one rule file; errors cite `file:line`.
pub fn parse_rules(file: &str, text: &str) -> Result<Vec<RuleSpec>> {
    Ok(read_rules(file, text)?
        .into_iter()
        .map(|r| RuleSpec {
            name: r.name.to_string(),
            doc: r.doc.join(" "),
            lhs: Pattern::new(r.lhs),
            rhs: r.rhs,
            conds: r.conds,
            origin: format!("{file}:{}", r.line),
            phase: Phase::Main,
        })
        .collect())
}

/// A rule as read from its file, its left side not yet compiled.
struct Read<'t> {
    name: &'t str,
    doc: Vec<&'t str>,
    lhs: PatternAst<Math>,
    rhs: PatternAst<Math>,
    conds: Vec<Cond>,
    line: usize,
}

/// The variables of a pattern.
fn pattern_vars(p: &PatternAst<Math>) -> Vec<Var> {
    p.as_ref()
        .iter()
        .filter_map(|n| match n {
            ENodeOrVar::Var(v) => Some(*v),
            ENodeOrVar::ENode(_) => None,
        })
        .collect()
}

/// A rule's line split into its parts, nothing parsed yet.
#[derive(Debug, Clone)]
struct RuleLine<'t> {
    name: &'t str,
    doc: Vec<&'t str>,
    lhs: &'t str,
    rhs: &'t str,
    conds: Option<&'t str>,
    line: usize,
}

fn fail_at(file: &str, line: usize, m: String) -> Error {
    Error::new(ErrorKind::Internal, format!("{file}:{line}: {m}"))
}

/// Splits one rule file into rules (with the comment lines above each).
fn split_rules<'t>(file: &str, text: &'t str) -> Result<Vec<RuleLine<'t>>> {
    let mut out = Vec::new();
    let mut doc: Vec<&str> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let fail = |m: &str| fail_at(file, i + 1, m.to_string());
        let line = raw.trim();
        if line.is_empty() {
            doc.clear();
            continue;
        }
        if let Some(c) = line.strip_prefix('#') {
            doc.push(c.trim());
            continue;
        }
        let (name, body) = line
            .split_once(':')
            .ok_or_else(|| fail("expected `name: lhs => rhs [if cond, ...]`"))?;
        let (lhs, rest) = body.split_once("=>").ok_or_else(|| fail("expected `=>`"))?;
        let (rhs, conds) = match rest.split_once(" if ") {
            Some((r, c)) => (r, Some(c)),
            None => (rest, None),
        };
        out.push(RuleLine {
            name: name.trim(),
            doc: std::mem::take(&mut doc),
            lhs,
            rhs,
            conds,
            line: i + 1,
        });
    }
    Ok(out)
}

/// Parses and checks a rule's parts; errors cite `file:line`.
fn read_rule<'t>(file: &str, r: &RuleLine<'t>) -> Result<Read<'t>> {
    let fail = |m: String| fail_at(file, r.line, m);
    let conds = match r.conds {
        Some(c) => c
            .split(',')
            .map(parse_cond)
            .collect::<std::result::Result<Vec<_>, _>>()
            .map_err(fail)?,
        None => Vec::new(),
    };
    let lhs = parse_pattern(r.lhs).map_err(|e| fail(format!("left side: {e}")))?;
    let rhs = parse_pattern(r.rhs).map_err(|e| fail(format!("right side: {e}")))?;
    for side in [&lhs, &rhs] {
        if let Some(f) = unknown_function(side) {
            return Err(fail(format!("`{f}` is not a primitive")));
        }
    }
    let bound = pattern_vars(&lhs);
    let rhs_vars = pattern_vars(&rhs);
    for v in rhs_vars.iter().chain(
        conds
            .iter()
            .flat_map(|c| c.vars())
            .collect::<Vec<_>>()
            .iter(),
    ) {
        if !bound.contains(v) {
            return Err(fail(format!("{v} is not bound by the left side")));
        }
    }
    Ok(Read {
        name: r.name,
        doc: r.doc.clone(),
        lhs,
        rhs,
        conds,
        line: r.line,
    })
}

/// Reads and checks one rule file (every rule with a comment stating its identity);
/// errors cite `file:line`.
fn read_rules<'t>(file: &str, text: &'t str) -> Result<Vec<Read<'t>>> {
    split_rules(file, text)?
        .iter()
        .map(|r| {
            if r.doc.is_empty() {
                return Err(fail_at(
                    file,
                    r.line,
                    format!("rule `{}` has no comment stating its identity", r.name),
                ));
            }
            read_rule(file, r)
        })
        .collect()
}

/// A rule of the table that build.rs splits the rule files into.
struct TableRule {
    name: &'static str,
    lhs: &'static str,
    rhs: &'static str,
    conds: Option<&'static str>,
    line: usize,
    /// Comment lines stand above it.
    documented: bool,
    /// The operators after the `(`s of each side, as positions in [`OPERATORS`].
    needs: &'static [u8],
    adds: &'static [u8],
}

include!(concat!(env!("OUT_DIR"), "/rule_table.rs"));

/// The operation an operator names (`None` for a leaf or an unknown name), each
/// name read once: rules use a few dozen between them.
fn op_named<'t>(name: &'t str, known: &mut FxHashMap<&'t str, Option<Op>>) -> Option<Op> {
    let z = Id::from(0usize);
    known
        .entry(name)
        .or_insert_with(|| {
            Math::from_op(name, vec![z])
                .or_else(|_| Math::from_op(name, vec![z, z]))
                .ok()
                .filter(|n| !n.is_leaf())
        })
        .clone()
}

/// The operation each of [`OPERATORS`] names, read once (a few dozen names).
fn operator_table() -> &'static [Option<Op>] {
    static TABLE: OnceLock<Vec<Option<Op>>> = OnceLock::new();
    TABLE.get_or_init(|| {
        let mut known = FxHashMap::default();
        OPERATORS.iter().map(|n| op_named(n, &mut known)).collect()
    })
}

/// The operations at positions of [`OPERATORS`], sorted and distinct.
fn ops_at(positions: &[u8]) -> Vec<Op> {
    let table = operator_table();
    let mut out: Vec<Op> = positions
        .iter()
        .filter_map(|&i| table[usize::from(i)].clone())
        .collect();
    out.sort();
    out.dedup();
    out
}

/// The operations named by operators, sorted and distinct.
fn ops_named<'t>(names: &[&'t str], known: &mut FxHashMap<&'t str, Option<Op>>) -> Vec<Op> {
    let mut out: Vec<Op> = names.iter().filter_map(|n| op_named(n, known)).collect();
    out.sort();
    out.dedup();
    out
}

/// The operations of a pattern's text without parsing it (each `(op` of it), as
/// [`operations`] finds them in the parsed pattern; an operation it cannot read is
/// left out (the rule then needs less: it is kept, and fails when compiled). `known`
/// remembers each operator's reading (rules use a few dozen between them).
fn scan_operations<'t>(text: &'t str, known: &mut FxHashMap<&'t str, Option<Op>>) -> Vec<Op> {
    ops_named(&super::scan::operator_names(text), known)
}

/// A function of a pattern that the registry does not know (a misspelt name would
/// otherwise parse as a function that never matches).
fn unknown_function(p: &PatternAst<Math>) -> Option<String> {
    p.as_ref().iter().find_map(|n| match n {
        egg::ENodeOrVar::ENode(node @ Math::Fun(f, _))
            if crate::ops::registry::of(node).is_none() =>
        {
            Some(f.to_string())
        }
        _ => None,
    })
}

/// The rules of the files of one phase, guarded, in file order: each rule's line
/// is split once, and the rule parsed and compiled on first use ([`Rule::rewrite`]);
/// `load_all` is the checked listing of every file.
pub fn compile_phase(phase: Phase) -> Result<Vec<Rule>> {
    let mut out = Vec::new();
    let mut known = FxHashMap::default();
    for (file, text, p) in RULE_FILES {
        if *p != phase {
            continue;
        }
        // The table build.rs made of the file; the file itself if it is not there.
        match RULE_TABLE.iter().find(|(f, _)| f == file) {
            Some((_, rules)) => {
                if let Some(r) = rules.iter().find(|r| !r.documented) {
                    return Err(fail_at(
                        file,
                        r.line,
                        format!("rule `{}` has no comment stating its identity", r.name),
                    ));
                }
                out.extend(rules.iter().map(|r| Rule {
                    needs: ops_at(r.needs),
                    adds: ops_at(r.adds),
                    source: Source::Text {
                        file,
                        line: RuleLine {
                            name: r.name,
                            doc: Vec::new(),
                            lhs: r.lhs,
                            rhs: r.rhs,
                            conds: r.conds,
                            line: r.line,
                        },
                    },
                    compiled: OnceLock::new(),
                }))
            }
            None => out.extend(split_rules(file, text)?.into_iter().map(|line| Rule {
                needs: scan_operations(line.lhs, &mut known),
                adds: scan_operations(line.rhs, &mut known),
                source: Source::Text { file, line },
                compiled: OnceLock::new(),
            })),
        }
    }
    Ok(out)
}

/// Rules from specifications (e.g. extra rules given with a problem).
pub fn compile(specs: Vec<RuleSpec>) -> Result<Vec<Rule>> {
    Ok(specs
        .into_iter()
        .map(|s| Rule {
            needs: operations(&s.lhs.ast),
            adds: operations(&s.rhs),
            source: Source::Spec(s),
            compiled: OnceLock::new(),
        })
        .collect())
}

/// Where a rule comes from.
enum Source {
    /// A line of a rule file compiled into the binary.
    Text {
        file: &'static str,
        line: RuleLine<'static>,
    },
    /// A rule read already.
    Spec(RuleSpec),
}

/// A guarded rule with the operations it needs and adds (see [`super::reach`]); it
/// is parsed and compiled on first use.
pub struct Rule {
    source: Source,
    /// Operations of the left side.
    pub needs: Vec<Op>,
    /// Operations of the right side.
    pub adds: Vec<Op>,
    compiled: OnceLock<Result<Rewrite<Math, MathAnalysis>>>,
}

impl Rule {
    fn build(&self) -> Result<Rewrite<Math, MathAnalysis>> {
        let (name, lhs, rhs, origin) = match &self.source {
            Source::Text { file, line } => {
                let r = read_rule(file, line)?;
                let origin = format!("{file}:{}", r.line);
                let lhs = searcher(r.lhs, &r.conds, &origin)?;
                let g = Guarded {
                    rhs: r.rhs,
                    conds: r.conds,
                };
                (r.name, lhs, g, origin)
            }
            Source::Spec(s) => {
                let g = Guarded {
                    rhs: s.rhs.clone(),
                    conds: s.conds.clone(),
                };
                let lhs = searcher(s.lhs.ast.clone(), &s.conds, &s.origin)?;
                (s.name.as_str(), lhs, g, s.origin.clone())
            }
        };
        Rewrite::new(name, lhs, rhs)
            .map_err(|e| Error::new(ErrorKind::Internal, format!("{origin}: {e}")))
    }

    /// The rewrite (parsed and compiled once, on first use).
    pub fn rewrite(&self) -> Result<&Rewrite<Math, MathAnalysis>> {
        self.compiled
            .get_or_init(|| self.build())
            .as_ref()
            .map_err(Clone::clone)
    }
}

/// The searcher of a left side: its matches, less those with equal terms when the
/// conditions say `distinct-terms` (an error for a left side that is not a sum).
fn searcher(lhs: PatternAst<Math>, conds: &[Cond], origin: &str) -> Result<Matcher> {
    let m = Matcher::new(lhs);
    if !conds.contains(&Cond::DistinctTerms) {
        return Ok(m);
    }
    m.distinct_terms().ok_or_else(|| {
        Error::new(
            ErrorKind::Internal,
            format!("{origin}: `distinct-terms` needs a sum on the left side"),
        )
    })
}

/// Every rule of every file.
pub fn load_all() -> Result<Vec<RuleSpec>> {
    let mut all = Vec::new();
    for (file, text, phase) in RULE_FILES {
        let mut rules = parse_rules(file, text)?;
        for r in &mut rules {
            r.phase = *phase;
        }
        all.extend(rules);
    }
    let mut names: Vec<&str> = all.iter().map(|r| r.name.as_str()).collect();
    names.sort();
    if let Some(w) = names.windows(2).find(|w| w[0] == w[1]) {
        return Err(Error::new(
            ErrorKind::Internal,
            format!("two rules are named `{}`", w[0]),
        ));
    }
    Ok(all)
}

/// The right side of a rule behind its conditions and the shape guard.
pub struct Guarded {
    rhs: PatternAst<Math>,
    conds: Vec<Cond>,
}

/// The class of a pattern instantiated with `subst`, if every node of it is already
/// in the e-graph (nothing is added).
fn lookup_instantiation(ast: &PatternAst<Math>, eg: &MathEGraph, subst: &Subst) -> Option<Id> {
    let nodes = ast.as_ref();
    // Right sides are small: no allocation for most (this runs for every match).
    let mut ids: smallvec::SmallVec<[Id; 16]> = smallvec::SmallVec::new();
    for node in nodes {
        let id = match node {
            ENodeOrVar::Var(v) => eg.find(subst[*v]),
            ENodeOrVar::ENode(n) => eg.lookup(n.clone().map_children(|c| ids[usize::from(c)]))?,
        };
        ids.push(id);
    }
    ids.last().copied()
}

/// The shape of a pattern instantiated with `subst`, without adding it (this runs for
/// every rule application: no allocation for a right side of up to 16 nodes).
pub fn pattern_shape(ast: &PatternAst<Math>, eg: &MathEGraph, subst: &Subst) -> Option<Shape> {
    type Entry = (Option<Shape>, Option<Dim>);
    let mut shapes: smallvec::SmallVec<[Entry; 16]> = smallvec::SmallVec::new();
    // An empty map, made once: the rules' right sides name no symbols.
    let vars = std::collections::HashMap::new();
    for node in ast.as_ref() {
        let entry = match node {
            ENodeOrVar::Var(v) => {
                let d = &eg[subst[*v]].data;
                (d.shape.clone(), d.dim.clone())
            }
            ENodeOrVar::ENode(n) => {
                if let Math::Dim(d) = n {
                    (None, Some(d.0.clone()))
                } else {
                    // `I`'s dimension child has no shape; its rule reads the dimension.
                    let kids: Option<smallvec::SmallVec<[Shape; 2]>> = n
                        .children()
                        .iter()
                        .map(|c| shapes[usize::from(*c)].0.clone())
                        .collect();
                    (
                        resolved_shape(n, &vars, &kids.unwrap_or_default(), &|id| {
                            shapes[usize::from(id)].1.clone()
                        }),
                        None,
                    )
                }
            }
        };
        shapes.push(entry);
    }
    shapes.last().and_then(|s| s.0.clone())
}

impl Applier<Math, MathAnalysis> for Guarded {
    fn apply_one(
        &self,
        eg: &mut MathEGraph,
        eclass: Id,
        subst: &Subst,
        searcher_ast: Option<&PatternAst<Math>>,
        rule: Symbol,
    ) -> Vec<Id> {
        if !self.conds.iter().all(|c| c.holds(eg, subst)) {
            return Vec::new();
        }
        // Most matches of a grown e-graph only restate what it knows: the right side
        // is already in the class (it then has the class's shape), nothing to do.
        if lookup_instantiation(&self.rhs, eg, subst).is_some_and(|id| id == eg.find(eclass)) {
            return Vec::new();
        }
        let want = eg[eclass].data.shape.clone();
        if pattern_shape(&self.rhs, eg, subst) != want {
            eg.analysis.refused.push(rule.to_string());
            return Vec::new();
        }
        // With explanations on (`--explain`), the union records the rule's name (the
        // shapes were compared just above, as `union_checked` would).
        if let Some(lhs) = searcher_ast
            && eg.are_explanations_enabled()
        {
            let (id, changed) = eg.union_instantiations(lhs, &self.rhs, subst, rule);
            return if changed { vec![id] } else { Vec::new() };
        }
        let id = eg.add_instantiation(&self.rhs, subst);
        if union_checked(eg, eclass, id, rule.as_str()) {
            vec![eclass]
        } else {
            Vec::new()
        }
    }
}

/// The rewrites of a rule set, guarded; refusals are recorded in the e-graph's analysis.
pub fn rewrites(specs: &[RuleSpec]) -> Result<Vec<Rewrite<Math, MathAnalysis>>> {
    into_rewrites(specs.to_vec())
}

fn into_rewrites(specs: Vec<RuleSpec>) -> Result<Vec<Rewrite<Math, MathAnalysis>>> {
    specs
        .into_iter()
        .map(|s| {
            let g = Guarded {
                rhs: s.rhs,
                conds: s.conds,
            };
            Rewrite::new(s.name, Matcher::new(s.lhs.ast), g)
                .map_err(|e| Error::new(ErrorKind::Internal, format!("{}: {e}", s.origin)))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The quick reader gives exactly egg's pattern for every side of every rule.
    #[test]
    fn quick_reader_agrees_with_egg() {
        for (file, text, _) in RULE_FILES {
            for line in text.lines().map(str::trim) {
                if line.is_empty() || line.starts_with('#') {
                    continue;
                }
                let body = line.split_once(':').map(|(_, b)| b).unwrap_or_default();
                let (lhs, rest) = body.split_once("=>").unwrap_or_default();
                let rhs = rest.split_once(" if ").map_or(rest, |(r, _)| r);
                for side in [lhs, rhs] {
                    let egg: PatternAst<Math> = side.trim().parse().expect("egg reads it");
                    let ours = parse_pattern(side).expect("quick reader reads it");
                    assert_eq!(ours, egg, "{file}: {side}");
                }
            }
        }
    }

    #[test]
    fn quick_reader_rejects_malformed() {
        for bad in ["", "(", "(* ?a", "()", "(* ?a ?b))", "?a ?b"] {
            assert!(parse_pattern(bad).is_err(), "{bad:?}");
        }
    }

    /// The operations read off a side's text without parsing it are exactly those
    /// of the parsed side, for every side of every rule (the runner leaves out the
    /// rules that need an operation it can never see: a wrong list would lose rules).
    #[test]
    fn scanned_operations_agree_with_parsed() {
        for (file, text, _) in RULE_FILES {
            for r in split_rules(file, text).expect("splits") {
                let read = read_rule(file, &r).expect("reads");
                let mut known = FxHashMap::default();
                let mut scan = |side| scan_operations(side, &mut known);
                assert_eq!(scan(r.lhs), operations(&read.lhs), "{file}: {}", r.lhs);
                assert_eq!(scan(r.rhs), operations(&read.rhs), "{file}: {}", r.rhs);
            }
        }
    }

    /// Every rule of every phase compiles (they are compiled on first use).
    #[test]
    fn every_rule_compiles() {
        for phase in [Phase::Main, Phase::Flops, Phase::Polish] {
            for r in compile_phase(phase).expect("splits") {
                r.rewrite().expect("compiles");
            }
        }
    }

    /// The table build.rs splits the rule files into is what reading them at run
    /// time gives: every rule, its parts, its line, its comment and its operations.
    #[test]
    fn build_table_agrees_with_files() {
        for (file, text, _) in RULE_FILES {
            let (_, table) = RULE_TABLE
                .iter()
                .find(|(f, _)| f == file)
                .expect("the table has the file");
            let lines = split_rules(file, text).expect("splits");
            assert_eq!(table.len(), lines.len(), "{file}");
            for (t, r) in table.iter().zip(&lines) {
                let at = format!("{file}:{}", r.line);
                assert_eq!(
                    (t.name, t.lhs, t.rhs, t.conds, t.line, t.documented),
                    (r.name, r.lhs, r.rhs, r.conds, r.line, !r.doc.is_empty()),
                    "{at}"
                );
                let mut known = FxHashMap::default();
                assert_eq!(ops_at(t.needs), scan_operations(r.lhs, &mut known), "{at}");
                assert_eq!(ops_at(t.adds), scan_operations(r.rhs, &mut known), "{at}");
            }
        }
    }
}
