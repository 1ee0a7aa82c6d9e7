//! E-matching for the rules' left sides: the same matches, in the same order, as
//! egg's pattern machine, found with less work.
//!
//! egg compiles a pattern into a program of `Bind` (try each node of a class with a
//! given operator), `Compare` (two variables are the same class) and `Lookup` (a
//! ground subterm is this class) steps, and runs it as nested loops. This searcher
//! compiles the same program (the same heuristic, so the same steps in the same
//! order: `tests` compares it with egg's own on every rule) and runs it without
//! egg's costs that do not change the result:
//!
//! - a leaf of the pattern (a number, a name) is found once per search by a lookup,
//!   and each candidate class compared with it, where egg scans the class's nodes;
//! - the registers and the list of matches are reused from class to class, where
//!   egg allocates both for every class it searches;
//! - a pattern whose leaf is not in the e-graph at all matches nothing, and is not
//!   run.
//!
//! The order of the matches decides the order of the unions, hence the e-class ids,
//! hence which of two writings of equal cost extraction keeps: keeping egg's order
//! keeps every printed form.

use std::borrow::Cow;

use egg::{ENodeOrVar, Id, Language, PatternAst, SearchMatches, Searcher, Subst, Var};
use rustc_hash::{FxBuildHasher, FxHashMap, FxHashSet};

use super::analysis::{MathAnalysis, MathEGraph};
use super::table::{class_nodes_for, operator_bit};
use crate::ir::Math;

/// A node of a ground subterm, or a register's class.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Term {
    Node(Math),
    Reg(usize),
}

/// One step of the program (egg's instructions, with a leaf's `Bind` made a comparison).
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Each node of the class in register `i` that matches `node` (children cleared):
    /// its children go to the registers from `out` on. `bit` is the node's operator
    /// in the classes' table.
    Bind {
        node: Math,
        i: usize,
        out: usize,
        bit: u32,
    },
    /// The classes of two registers are the same.
    Compare { i: usize, j: usize },
    /// The class of register `i` holds this ground term (its last node).
    Lookup { term: Vec<Term>, i: usize },
    /// The class of register `i` holds leaf number `leaf` of the pattern.
    Leaf { leaf: usize, i: usize },
    /// The classes of two registers differ (see [`Matcher::distinct_terms`]).
    Differ { i: usize, j: usize },
}

/// A left side compiled for [`Searcher`]: its AST (for explanations) and the
/// program this module runs.
pub struct Matcher {
    ast: PatternAst<Math>,
    steps: Vec<Step>,
    /// The leaf nodes the `Leaf` steps look up.
    leaves: Vec<Math>,
    /// Each variable and the register it is read from, in egg's order.
    vars: Vec<(Var, usize)>,
}

/// egg's compiler (`machine.rs` of egg 0.11), step for step: which pattern node is
/// bound next decides the order of the matches.
struct Compiler<'p> {
    ast: &'p [ENodeOrVar<Math>],
    free: Vec<FxHashSet<Var>>,
    size: Vec<usize>,
    v2r: Vec<(Var, usize)>,
    // egg keeps the nodes to do in a hash map of this type and takes the last of equal
    // keys in its iteration order: the same map gives the same choice.
    todo: hashbrown::HashMap<(Id, u32), Math, FxBuildHasher>,
    steps: Vec<Step>,
}

impl<'p> Compiler<'p> {
    fn reg_of(&self, v: Var) -> Option<usize> {
        self.v2r.iter().find(|(w, _)| *w == v).map(|(_, r)| *r)
    }

    fn add_todo(&mut self, id: Id, reg: usize) {
        match &self.ast[usize::from(id)] {
            ENodeOrVar::Var(v) => match self.reg_of(*v) {
                Some(j) => self.steps.push(Step::Compare { i: reg, j }),
                None => self.v2r.push((*v, reg)),
            },
            ENodeOrVar::ENode(n) => {
                self.todo.insert((id, reg as u32), n.clone());
            }
        }
    }

    fn load(&mut self) {
        for node in self.ast {
            let mut free = FxHashSet::default();
            let mut size = 0;
            match node {
                ENodeOrVar::ENode(n) => {
                    size = 1;
                    for c in n.children() {
                        free.extend(&self.free[usize::from(*c)]);
                        size += self.size[usize::from(*c)];
                    }
                }
                ENodeOrVar::Var(v) => {
                    free.insert(*v);
                }
            }
            self.free.push(free);
            self.size.push(size);
        }
    }

    fn key(&self, id: Id) -> (bool, usize, isize) {
        let i = usize::from(id);
        let free = &self.free[i];
        let bound = free.iter().filter(|v| self.reg_of(**v).is_some()).count();
        let open = free.len() - bound;
        (open == 0, open, -(self.size[i] as isize))
    }

    fn next(&mut self) -> Option<((Id, u32), Math)> {
        let k = *self.todo.keys().max_by_key(|(id, _)| self.key(*id))?;
        let n = self.todo.remove(&k)?;
        Some((k, n))
    }

    fn ground(&self, id: Id) -> bool {
        self.free[usize::from(id)]
            .iter()
            .all(|v| self.reg_of(*v).is_some())
    }

    /// The ground subterm at `id`, its variables read from their registers.
    fn term(&self, id: Id) -> Vec<Term> {
        let mut out: Vec<Term> = Vec::new();
        let mut at: Vec<Option<Id>> = vec![None; usize::from(id) + 1];
        self.term_rec(id, &mut out, &mut at);
        out
    }

    fn term_rec(&self, id: Id, out: &mut Vec<Term>, at: &mut Vec<Option<Id>>) -> Id {
        if let Some(done) = at[usize::from(id)] {
            return done;
        }
        let t = match &self.ast[usize::from(id)] {
            ENodeOrVar::Var(v) => Term::Reg(self.reg_of(*v).unwrap_or_default()),
            ENodeOrVar::ENode(n) => {
                Term::Node(n.clone().map_children(|c| self.term_rec(c, out, at)))
            }
        };
        out.push(t);
        let me = Id::from(out.len() - 1);
        at[usize::from(id)] = Some(me);
        me
    }

    fn compile(mut self) -> (Vec<Step>, Vec<(Var, usize)>) {
        self.load();
        let root = Id::from(self.ast.len() - 1);
        let mut next_out = 1;
        self.add_todo(root, 0);
        while let Some(((id, reg), node)) = self.next() {
            let reg = reg as usize;
            if self.ground(id) && !node.is_leaf() {
                let term = self.term(id);
                self.steps.push(Step::Lookup { term, i: reg });
            } else {
                let out = next_out;
                next_out += node.len();
                let op = node.clone().map_children(|_| Id::from(0usize));
                self.steps.push(Step::Bind {
                    bit: operator_bit(&op),
                    node: op,
                    i: reg,
                    out,
                });
                for (k, c) in node.children().iter().enumerate() {
                    self.add_todo(*c, out + k);
                }
            }
        }
        (self.steps, self.v2r)
    }

    fn new(ast: &'p [ENodeOrVar<Math>]) -> Compiler<'p> {
        Compiler {
            ast,
            free: Vec::new(),
            size: Vec::new(),
            v2r: Vec::new(),
            todo: hashbrown::HashMap::default(),
            steps: Vec::new(),
        }
    }
}

/// The pattern with equal subterms shared (egg's `RecExpr::compact`, which egg's
/// `Pattern::new` applies before compiling: `?a` used twice is one node).
fn compact(ast: &PatternAst<Math>) -> PatternAst<Math> {
    let mut ids: Vec<Id> = Vec::with_capacity(ast.as_ref().len());
    let mut seen: FxHashMap<ENodeOrVar<Math>, Id> = FxHashMap::default();
    let mut out = PatternAst::default();
    for node in ast.as_ref() {
        let node = node.clone().map_children(|c| ids[usize::from(c)]);
        let id = match seen.get(&node) {
            Some(id) => *id,
            None => {
                let id = out.add(node.clone());
                seen.insert(node, id);
                id
            }
        };
        ids.push(id);
    }
    out
}

/// What a search reads while it runs.
struct Run<'a> {
    eg: &'a MathEGraph,
    steps: &'a [Step],
    /// The class of each of the pattern's leaves.
    leaves: &'a [Id],
    vars: &'a [(Var, usize)],
    regs: Vec<Id>,
    lookup: Vec<Id>,
    found: Vec<Subst>,
    limit: usize,
}

impl Run<'_> {
    /// Runs the steps from `at`; false once the limit is reached.
    fn run(&mut self, at: usize) -> bool {
        let Some(step) = self.steps.get(at) else {
            let subst = self.vars.iter().map(|(v, r)| (*v, self.regs[*r]));
            let mut s = Subst::default();
            for (v, id) in subst {
                s.insert(v, id);
            }
            self.found.push(s);
            self.limit -= 1;
            return self.limit != 0;
        };
        match step {
            Step::Bind { node, i, out, bit } => {
                let eg = self.eg;
                for n in class_nodes_for(eg, self.regs[*i], *bit) {
                    if !node.matches(n) {
                        continue;
                    }
                    self.regs.truncate(*out);
                    for c in n.children() {
                        self.regs.push(*c);
                    }
                    if !self.run(at + 1) {
                        return false;
                    }
                }
                true
            }
            Step::Compare { i, j } => {
                self.eg.find(self.regs[*i]) != self.eg.find(self.regs[*j]) || self.run(at + 1)
            }
            Step::Differ { i, j } => {
                self.eg.find(self.regs[*i]) == self.eg.find(self.regs[*j]) || self.run(at + 1)
            }
            Step::Leaf { leaf, i } => {
                self.eg.find(self.regs[*i]) != self.leaves[*leaf] || self.run(at + 1)
            }
            Step::Lookup { term, i } => {
                self.lookup.clear();
                for t in term {
                    let id = match t {
                        Term::Node(n) => {
                            let node = n.clone().map_children(|c| self.lookup[usize::from(c)]);
                            match self.eg.lookup(node) {
                                Some(id) => id,
                                None => return true,
                            }
                        }
                        Term::Reg(r) => self.eg.find(self.regs[*r]),
                    };
                    self.lookup.push(id);
                }
                self.lookup.last() != Some(&self.eg.find(self.regs[*i])) || self.run(at + 1)
            }
        }
    }
}

impl Matcher {
    /// Compiles a left side as egg does (egg's program itself is never built).
    pub fn new(ast: PatternAst<Math>) -> Matcher {
        let ast = compact(&ast);
        let (steps, vars) = Compiler::new(ast.as_ref()).compile();
        let mut leaves: Vec<Math> = Vec::new();
        let steps = steps
            .into_iter()
            .map(|s| match s {
                Step::Bind { node, i, .. } if node.is_leaf() => {
                    let leaf = leaves.iter().position(|l| *l == node).unwrap_or_else(|| {
                        leaves.push(node);
                        leaves.len() - 1
                    });
                    Step::Leaf { leaf, i }
                }
                s => s,
            })
            .collect();
        Matcher {
            ast,
            steps,
            leaves,
            vars,
        }
    }

    /// The same searcher without the matches whose root node is a sum of one class
    /// with itself, `A + A` (the order of the others is kept); `None` if the left
    /// side is not a sum. The root is always bound first, its terms to registers 1
    /// and 2, so the check follows that step.
    pub fn distinct_terms(mut self) -> Option<Matcher> {
        match (self.ast.as_ref().last(), self.steps.first()) {
            (Some(ENodeOrVar::ENode(Math::Add(_))), Some(Step::Bind { i: 0, out: 1, .. })) => {
                self.steps.insert(1, Step::Differ { i: 1, j: 2 });
                Some(self)
            }
            _ => None,
        }
    }

    /// The classes of the pattern's leaves, `None` if one is not in the e-graph.
    fn leaf_classes(&self, eg: &MathEGraph) -> Option<Vec<Id>> {
        self.leaves.iter().map(|l| eg.lookup(l.clone())).collect()
    }

    fn search_classes(
        &self,
        eg: &MathEGraph,
        classes: impl Iterator<Item = Id>,
        limit: usize,
    ) -> Vec<SearchMatches<'_, Math>> {
        let Some(leaves) = self.leaf_classes(eg) else {
            return Vec::new();
        };
        let mut run = Run {
            eg,
            steps: &self.steps,
            leaves: &leaves,
            vars: &self.vars,
            regs: Vec::new(),
            lookup: Vec::new(),
            found: Vec::new(),
            limit,
        };
        let mut left = limit;
        let mut out = Vec::new();
        for eclass in classes {
            if left == 0 {
                break;
            }
            run.limit = left;
            run.regs.clear();
            run.regs.push(eclass);
            run.run(0);
            if run.found.is_empty() {
                continue;
            }
            left -= run.found.len();
            out.push(SearchMatches {
                eclass,
                substs: run.found.drain(..).collect(),
                ast: Some(Cow::Borrowed(&self.ast)),
            });
        }
        out
    }

    /// The pattern's AST.
    pub fn ast(&self) -> &PatternAst<Math> {
        &self.ast
    }
}

impl Searcher<Math, MathAnalysis> for Matcher {
    fn search_eclass_with_limit(
        &self,
        eg: &MathEGraph,
        eclass: Id,
        limit: usize,
    ) -> Option<SearchMatches<'_, Math>> {
        if limit == 0 {
            return None;
        }
        self.search_classes(eg, std::iter::once(eclass), limit)
            .pop()
    }

    fn search_with_limit(&self, eg: &MathEGraph, limit: usize) -> Vec<SearchMatches<'_, Math>> {
        if limit == 0 {
            return Vec::new();
        }
        match self.ast.as_ref().last() {
            Some(ENodeOrVar::ENode(e)) => match eg.classes_for_op(&e.discriminant()) {
                None => Vec::new(),
                Some(ids) => self.search_classes(eg, ids, limit),
            },
            _ => self.search_classes(eg, eg.classes().map(|c| c.id), limit),
        }
    }

    fn vars(&self) -> Vec<Var> {
        let mut vars = Vec::new();
        for n in self.ast.as_ref() {
            if let ENodeOrVar::Var(v) = n
                && !vars.contains(v)
            {
                vars.push(*v);
            }
        }
        vars
    }

    fn get_pattern_ast(&self) -> Option<&PatternAst<Math>> {
        Some(&self.ast)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::simplify::rules::{Phase, compile_phase};
    use egg::{Pattern, Searcher};

    /// egg's program as its `Debug` prints it, reduced to the steps' kinds and
    /// registers, and the same of ours.
    fn egg_steps(p: &Pattern<Math>) -> Vec<String> {
        let text = format!("{p:?}");
        let prog = &text[text.find("instructions: [").expect("a program")..];
        let mut out = Vec::new();
        let mut rest = prog;
        while let Some(at) = ["Bind {", "Compare {", "Lookup {"]
            .iter()
            .filter_map(|k| rest.find(k).map(|i| (i, *k)))
            .min()
        {
            let tail = &rest[at.0..];
            let reg = |key: &str| -> String {
                tail.find(key).map_or(String::new(), |i| {
                    let s = &tail[i + key.len()..];
                    s[..s.find(')').unwrap_or(0)].to_string()
                })
            };
            let end = tail.find('}').unwrap_or(tail.len());
            let short: String = match at.1 {
                "Bind {" => format!("bind {} -> {}", reg("i: Reg("), reg("out: Reg(")),
                "Compare {" => format!("compare {} {}", reg("i: Reg("), reg("j: Reg(")),
                _ => format!("lookup {}", reg("i: Reg(")),
            };
            out.push(short);
            rest = &tail[end.max(1)..];
        }
        out
    }

    /// Every rule's left side compiles to egg's program: the same steps on the same
    /// registers in the same order (so the matches come in the same order).
    #[test]
    fn same_program_as_egg() {
        let mut n = 0;
        for phase in [Phase::Main, Phase::Flops, Phase::Polish] {
            for r in compile_phase(phase).expect("rules") {
                let rw = r.rewrite().expect("compiles");
                let ast = rw.searcher.get_pattern_ast().expect("a pattern").clone();
                let egg = Pattern::new(ast.clone());
                let (steps, _) = Compiler::new(compact(&ast).as_ref()).compile();
                let ours = steps
                    .iter()
                    .map(|s| match s {
                        Step::Bind { i, out, .. } => format!("bind {i} -> {out}"),
                        Step::Compare { i, j } => format!("compare {i} {j}"),
                        Step::Lookup { i, .. } => format!("lookup {i}"),
                        Step::Leaf { i, .. } => format!("leaf {i}"),
                        Step::Differ { i, j } => format!("differ {i} {j}"),
                    })
                    .collect::<Vec<_>>();
                assert_eq!(ours, egg_steps(&egg), "{}", rw.name);
                n += 1;
            }
        }
        assert!(n > 100, "{n} rules");
    }

    /// An e-graph grown by the rules from the GP-LVM's, a network's and a scaled
    /// sum's gradients and sums of a term with itself (products of scalars and matrices, inverses, transposes,
    /// numbers, negations, elementwise functions).
    fn grown() -> MathEGraph {
        use crate::ir::{Dim, Shape};
        use crate::simplify::Facts;
        let mut facts = std::collections::HashMap::new();
        let sym = |s: &str| Dim::Sym(egg::Symbol::from(s));
        let shapes = [
            (
                "X",
                Shape {
                    rows: sym("N"),
                    cols: sym("q"),
                },
            ),
            (
                "Y",
                Shape {
                    rows: sym("N"),
                    cols: sym("p"),
                },
            ),
            (
                "W",
                Shape {
                    rows: sym("m"),
                    cols: sym("n"),
                },
            ),
            (
                "x",
                Shape {
                    rows: sym("n"),
                    cols: Dim::ONE,
                },
            ),
            (
                "y",
                Shape {
                    rows: sym("m"),
                    cols: Dim::ONE,
                },
            ),
            ("alpha", Shape::scalar()),
            ("beta", Shape::scalar()),
            ("D", Shape::scalar()),
        ];
        for (name, shape) in shapes {
            let props = Default::default();
            facts.insert(egg::Symbol::from(name), Facts { shape, props });
        }
        let exprs = [
            "(+ (* alpha (* X (T X))) (* (/ 1 beta) (I @N)))",
            "(* (neg (/ D 2)) (* (/ 1 beta) (* alpha (* (inv (+ (* alpha (* X (T X))) (/ (I @N) beta))) X))))",
            "(+ (* 0.5 (* (T (inv (+ (* alpha (* X (T X))) (/ (I @N) beta)))) (* Y (T Y)))) (neg (* (* -1 alpha) (T (* 1 X)))))",
            "(* (T W) (.* (tanh (* W x)) (+ (* W x) (neg y))))",
            "(* 2 (* (* 3 (/ 1 beta)) (tr (* (T X) (* 1 X)))))",
            // Sums of a class with itself (`distinct-terms`).
            "(+ (* 2 (* alpha X)) (* 2 (* alpha X)))",
            "(+ (neg (* X (T X))) (neg (* X (T X))))",
        ];
        let mut eg = MathEGraph::new(MathAnalysis::new(facts));
        for e in exprs {
            eg.add_expr(&e.parse().expect("parses"));
        }
        eg.rebuild();
        let rules: Vec<_> = compile_phase(Phase::Main)
            .expect("rules")
            .into_iter()
            .chain(compile_phase(Phase::Polish).expect("rules"))
            .collect();
        let rewrites: Vec<_> = rules
            .iter()
            .map(|r| r.rewrite().expect("compiles"))
            .collect();
        let runner = egg::Runner::default()
            .with_egraph(eg)
            .with_iter_limit(6)
            .with_node_limit(6_000)
            .run(rewrites.iter().copied());
        runner.egraph
    }

    /// Every rule finds the same matches as egg's machine, in the same order, with
    /// any limit, in each class and in the whole e-graph.
    #[test]
    fn same_matches_as_egg() {
        let eg = grown();
        assert!(
            eg.total_number_of_nodes() > 1_000,
            "{}",
            eg.total_number_of_nodes()
        );
        let flat = |ms: Vec<SearchMatches<'_, Math>>| -> Vec<(Id, Vec<Subst>)> {
            ms.into_iter().map(|m| (m.eclass, m.substs)).collect()
        };
        let mut matched = 0;
        for phase in [Phase::Main, Phase::Flops, Phase::Polish] {
            for r in compile_phase(phase).expect("rules") {
                let rw = r.rewrite().expect("compiles");
                let ast = rw.searcher.get_pattern_ast().expect("a pattern").clone();
                let egg = Pattern::new(ast.clone());
                let ours = Matcher::new(ast);
                let all = flat(egg.search(&eg));
                matched += usize::from(!all.is_empty());
                assert_eq!(flat(ours.search(&eg)), all, "{}", rw.name);
                for limit in [1, 2, 3, 7, 50] {
                    let (a, b) = (
                        ours.search_with_limit(&eg, limit),
                        egg.search_with_limit(&eg, limit),
                    );
                    assert_eq!(flat(a), flat(b), "{} limit {limit}", rw.name);
                }
                for c in eg.classes().map(|c| c.id).take(300) {
                    let a = ours.search_eclass_with_limit(&eg, c, 2).map(|m| m.substs);
                    let b = egg.search_eclass_with_limit(&eg, c, 2).map(|m| m.substs);
                    assert_eq!(a, b, "{} in {c}", rw.name);
                }
            }
        }
        assert!(matched >= 35, "only {matched} rules match");
    }

    /// The class of the pattern's node `at` under `s` (every node of it is in `eg`).
    fn class_of(ast: &[ENodeOrVar<Math>], at: Id, s: &Subst, eg: &MathEGraph) -> Id {
        match &ast[usize::from(at)] {
            ENodeOrVar::Var(v) => eg.find(s[*v]),
            ENodeOrVar::ENode(n) => {
                let node = n.clone().map_children(|c| class_of(ast, c, s, eg));
                eg.lookup(node).expect("a matched node is in the e-graph")
            }
        }
    }

    /// With `distinct-terms`, a sum's searcher finds egg's matches less those whose
    /// matched node is `A + A`, in egg's order, with any limit; other left sides
    /// cannot have it.
    #[test]
    fn distinct_terms_drop_only_doubled_sums() {
        let eg = grown();
        let (mut sums, mut dropped) = (0, 0);
        for phase in [Phase::Main, Phase::Polish] {
            for r in compile_phase(phase).expect("rules") {
                let rw = r.rewrite().expect("compiles");
                let ast = compact(rw.searcher.get_pattern_ast().expect("a pattern"));
                let Some(ours) = Matcher::new(ast.clone()).distinct_terms() else {
                    assert!(!matches!(
                        ast.as_ref().last(),
                        Some(ENodeOrVar::ENode(Math::Add(_)))
                    ));
                    continue;
                };
                sums += 1;
                let nodes = ast.as_ref();
                let Some(ENodeOrVar::ENode(Math::Add([a, b]))) = nodes.last() else {
                    panic!("{}: not a sum", rw.name);
                };
                let mut want: Vec<(Id, Subst)> = Vec::new();
                for m in Pattern::new(ast.clone()).search(&eg) {
                    for s in m.substs {
                        if class_of(nodes, *a, &s, &eg) != class_of(nodes, *b, &s, &eg) {
                            want.push((m.eclass, s));
                        } else {
                            dropped += 1;
                        }
                    }
                }
                for limit in [1, 2, 7, 50, usize::MAX] {
                    let got: Vec<(Id, Subst)> = ours
                        .search_with_limit(&eg, limit)
                        .into_iter()
                        .flat_map(|m| m.substs.into_iter().map(move |s| (m.eclass, s)))
                        .collect();
                    let n = want.len().min(limit);
                    assert_eq!(got, want[..n], "{} limit {limit}", rw.name);
                }
            }
        }
        assert!(sums >= 10, "{sums} sums");
        assert!(dropped > 0, "no doubled sum in the grown e-graph");
    }
}
