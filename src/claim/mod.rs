//! `--claim`: is a proposed gradient right, and if not, where does it go wrong?
//!
//! The claim is read in the problem's scope ([`scope`]): it may use the problem's
//! inputs and named terms and define names of its own before its last line. It is
//! the gradient for the single `--wrt` variable; with several, its last line names
//! the variable: `dX = ...`. Errors in it (syntax, an unknown name, shapes that do
//! not fit) point into the claim's text.
//!
//! The verdict, in this order:
//! 1. **shape**: a claim whose shape is not the variable's is wrong, decided before any
//!    number (a transposed shape says so; so does a claim that fits only if two of the
//!    problem's dimensions are equal);
//! 2. **equal by rewriting**: the project's rules prove the claim equal to the gradient
//!    ([`symbolic`]);
//! 3. **numbers**: otherwise both are evaluated at [`numbers::POINTS`] random points of
//!    random sizes, drawn as the declarations and operations require; the claim is
//!    correct when they agree at every point within the bound stated in [`numbers`].
//!
//! A wrong claim is diagnosed ([`diagnose`]): a constant factor, a sign, a factor of a
//! scalar input, the transpose of the answer, right only for symmetric inputs, a term
//! of the answer missing (or doubled, or of the wrong sign), a term of the claim that
//! should not be there; otherwise the smallest point found (sizes 1–3) where the two
//! differ, with both values there.

mod diagnose;
pub mod numbers;
mod render;
pub mod scope;
mod symbolic;

use std::collections::HashMap;

use egg::Symbol;
use serde::Serialize;
use serde_json::{Map, Value as Json};

use crate::derive::Options;
use crate::derive::input_facts;
use crate::error::{Error, Result};
use crate::gradient::Gradient;
use crate::ir::{Math, Shape};
use crate::model::Model;
use crate::print::Notation;
use crate::rational::Rational;
use crate::simplify::cse::Tree;
use crate::simplify::{Facts, facts_of};

pub use diagnose::Finding;
use numbers::{Sample, Setup};
use scope::Scoped;

/// Correct or wrong.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// The claim equals the gradient.
    Correct,
    /// It does not.
    Wrong,
}

/// Why: the kind of the reason, for programs (the reason itself is a sentence).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// Correct: the rules prove the two equal.
    EqualByRewriting,
    /// Correct: equal at every random point.
    EqualNumerically,
    /// Wrong: another shape (or a shape that needs dimensions the problem does not equate).
    Shape,
    /// Wrong: −1 times the gradient.
    Sign,
    /// Wrong: a constant (or a scalar input) times the gradient.
    Factor,
    /// Wrong: the transpose of the gradient.
    Transpose,
    /// Wrong: right only if some inputs were symmetric.
    SymmetricOnly,
    /// Wrong: a term of the gradient is missing.
    MissingTerm,
    /// Wrong: a term of the claim should not be there.
    ExtraTerm,
    /// Wrong: a term has the wrong sign.
    TermSign,
    /// Wrong: a term has the wrong factor.
    TermFactor,
    /// Wrong: the claim cannot be evaluated where the gradient can.
    Undefined,
    /// Wrong: they differ, see the counterexample.
    Counterexample,
}

/// The verdict on a claim. Serialized, it is the `"claim"` object of `--format json`.
#[derive(Debug, Clone, Serialize)]
pub struct Verdict {
    /// The variable the claim is a gradient for.
    pub variable: String,
    /// Correct or wrong.
    pub verdict: Outcome,
    /// The kind of the reason.
    pub kind: Kind,
    /// The reason, in ASCII (terms in the input language).
    pub reason: String,
    /// The reason with unicode formulas, as the command line prints it.
    #[serde(skip)]
    pub reason_unicode: String,
    /// A point (input name → value, as a `--at` file) where the claim is wrong.
    pub counterexample: Option<Map<String, Json>>,
    /// The claim's value at the counterexample.
    pub claimed_value: Option<Json>,
    /// The gradient's value at the counterexample.
    pub expected_value: Option<Json>,
    /// The correct gradient, in ASCII.
    pub expected: String,
    /// The helper terms `expected` uses, in dependency order.
    pub definitions: Map<String, Json>,
    /// The claim as matgrad read it, in ASCII (its own names kept).
    pub claim: String,
    /// What the command line prints.
    #[serde(skip)]
    pub text: String,
}

impl Verdict {
    /// True when the claim is correct.
    pub fn is_correct(&self) -> bool {
        self.verdict == Outcome::Correct
    }
}

/// An error of [`check_claim`]: in the problem, or in the claim (whose span then points
/// into the claim's text).
#[derive(Debug, Clone, thiserror::Error)]
pub enum ClaimError {
    /// The problem is malformed (span into the problem).
    #[error("{0}")]
    Problem(Error),
    /// The claim is malformed (span into the claim).
    #[error("{0}")]
    Claim(Error),
}

/// Checks `claim` as the gradient of `problem` with respect to `wrt` (one variable,
/// or several with the claim naming its own: `dX = ...`).
///
/// ```
/// let v = matgrad::check_claim("W : m x n; x : n; 0.5*norm2(W'*W*x - x)", &["W"], "W*x*(W'*W*x - x)'")
///     .unwrap();
/// assert!(!v.is_correct());
/// assert_eq!(v.reason, "missing the term `W*k*x'`");
/// assert_eq!(v.expected, "W*(k*x' + x*k')");
/// assert_eq!(v.definitions["k"], "W'*W*x - x");
/// ```
pub fn check_claim(
    problem: &str,
    wrt: &[&str],
    claim: &str,
) -> std::result::Result<Verdict, ClaimError> {
    let model = crate::problem::parse_problem(problem).map_err(ClaimError::Problem)?;
    let checker = Checker::new(model, wrt).map_err(ClaimError::Problem)?;
    checker.check(claim).map_err(ClaimError::Claim)
}

/// Checks claims against one derivation (derived once for many claims).
#[derive(Debug, Clone)]
pub struct Checker {
    grad: Gradient,
    wrt: Vec<String>,
}

impl Checker {
    /// Derives the gradients of `model` with respect to `wrt`.
    pub fn new(model: Model, wrt: &[&str]) -> Result<Checker> {
        let grad = crate::gradient::gradient_with(model, wrt, &Options::default())?;
        Ok(Checker {
            grad,
            wrt: wrt.iter().map(|s| s.to_string()).collect(),
        })
    }

    /// The problem with its gradients.
    pub fn gradient(&self) -> &Gradient {
        &self.grad
    }

    /// The verdict on `claim`; an error (with a span into `claim`) when it is malformed.
    pub fn check(&self, claim: &str) -> Result<Verdict> {
        let wrt: Vec<&str> = self.wrt.iter().map(String::as_str).collect();
        let scoped = scope::read(&self.grad.model, &wrt, claim)?;
        Ok(self.judge(&scoped))
    }

    fn judge(&self, s: &Scoped) -> Verdict {
        let d = &self.grad.derivation;
        let i = d.vars.iter().position(|v| *v == s.var).unwrap_or(0);
        let expected = d.exprs.get(i).and_then(Option::as_ref);
        let zero_claim = is_zero(&s.as_written()) && !s.var_shape().is_scalar();
        let v = |kind| self.verdict(s, kind);
        if !s.forced.is_empty() {
            return v(Kind::Shape);
        }
        if !zero_claim && s.shape() != s.var_shape() {
            return v(Kind::Shape);
        }
        let facts = self.problem_facts(s);
        let inlined_expected = expected.map(|t| self.inline_helpers(t));
        let inlined_claim = s.inlined();
        let proved = match &inlined_expected {
            Some(e) => symbolic::equal(&inlined_claim, e, &facts),
            None => zero_claim,
        };
        if proved {
            return v(Kind::EqualByRewriting);
        }
        let setup = Setup::new(s, &self.grad, expected, zero_claim);
        let samples = setup.verdict_samples();
        if !samples.is_empty() && samples.iter().all(Sample::agrees) {
            return self
                .verdict(s, Kind::EqualNumerically)
                .with_points(&samples);
        }
        self.wrong(s, &setup, &samples, expected)
    }

    fn wrong(
        &self,
        s: &Scoped,
        setup: &Setup,
        samples: &[Sample],
        expected: Option<&Tree>,
    ) -> Verdict {
        let d = &self.grad.derivation;
        let exp_facts = self.helper_facts();
        let exp_terms = expected
            .map(|t| diagnose::terms(t, &exp_facts))
            .unwrap_or_default();
        let claim_facts = self.claim_facts(s);
        let claim_terms = diagnose::terms(&s.as_written(), &claim_facts);
        let finding = diagnose::diagnose(
            setup,
            samples,
            &exp_terms,
            &d.symbol_shapes(&self.grad.model),
            &claim_terms,
            &s.symbol_shapes(),
        );
        let counter = setup.counterexample().or_else(|| {
            samples
                .iter()
                .find(|x| x.claimed.is_ok() && !x.agrees())
                .cloned()
        });
        let mut out = render::wrong(self, s, &finding, counter.as_ref());
        out.text = render::text(self, s, &out, &finding, counter.as_ref());
        out
    }

    fn verdict(&self, s: &Scoped, kind: Kind) -> Verdict {
        let mut out = render::plain(self, s, kind);
        out.text = render::text(self, s, &out, &Finding::Differs, None);
        out
    }

    /// The correct gradient with the generated helpers written out (the user's names kept).
    fn inline_helpers(&self, t: &Tree) -> Tree {
        let mut map: HashMap<Symbol, Tree> = HashMap::new();
        for def in &self.grad.derivation.defs {
            if !def.user {
                let body = def.tree.substitute(&map);
                map.insert(def.name, body);
            }
        }
        t.substitute(&map)
    }

    /// Facts of the inputs and of the problem's named terms.
    fn problem_facts(&self, s: &Scoped) -> HashMap<Symbol, Facts> {
        let mut facts = input_facts(&self.grad.model);
        let mut leaves = HashMap::new();
        for (n, id) in &s.problem_defs {
            let t = scope::tree_of(&s.joint.graph, *id, &leaves);
            add_fact(&mut facts, n, &t, s.joint.graph.shape(*id));
            leaves.insert(*id, Symbol::from(n.as_str()));
        }
        facts
    }

    /// Facts of the inputs and of the helper terms of the derivation.
    fn helper_facts(&self) -> HashMap<Symbol, Facts> {
        let mut facts = input_facts(&self.grad.model);
        for def in &self.grad.derivation.defs {
            add_fact(&mut facts, def.name.as_str(), &def.tree, def.shape.clone());
        }
        facts
    }

    /// Facts of the inputs, the problem's named terms and the claim's.
    fn claim_facts(&self, s: &Scoped) -> HashMap<Symbol, Facts> {
        let mut facts = self.problem_facts(s);
        for (n, t) in s.definitions() {
            let shape = s.symbol_shapes().get(&Symbol::from(n.as_str())).cloned();
            add_fact(&mut facts, &n, &t, shape.unwrap_or_else(Shape::scalar));
        }
        facts
    }
}

fn add_fact(facts: &mut HashMap<Symbol, Facts>, name: &str, t: &Tree, shape: Shape) {
    let props = facts_of(&t.to_expr(), facts).unwrap_or_default();
    facts.insert(Symbol::from(name), Facts { shape, props });
}

fn is_zero(t: &Tree) -> bool {
    matches!(t.op, Math::Num(r) if r == Rational::ZERO)
}

impl Verdict {
    fn with_points(mut self, samples: &[Sample]) -> Verdict {
        let mut sizes: Vec<usize> = samples
            .iter()
            .flat_map(|s| s.point.dims.values().copied())
            .collect();
        sizes.sort();
        let extra = match (sizes.first(), sizes.last()) {
            (Some(a), Some(b)) => format!(", sizes {a}–{b}"),
            _ => String::new(),
        };
        let add = |r: &mut String| {
            *r = r.replace(
                "{points}",
                &format!("{} random points{extra}", samples.len()),
            );
        };
        add(&mut self.reason);
        add(&mut self.reason_unicode);
        add(&mut self.text);
        self
    }
}

/// A value as JSON: a number, an array (column vector) or an array of rows.
pub fn value_json(v: &crate::ops::Value, shape: &Shape) -> Json {
    if shape.is_scalar() {
        serde_json::json!(v[(0, 0)])
    } else if shape.cols == crate::ir::Dim::ONE {
        serde_json::json!(v.column(0).iter().copied().collect::<Vec<f64>>())
    } else {
        serde_json::json!(
            (0..v.nrows())
                .map(|i| v.row(i).iter().copied().collect::<Vec<f64>>())
                .collect::<Vec<_>>()
        )
    }
}

/// The notation's reading of a claim's or gradient's tree.
pub(crate) fn show(shapes: &HashMap<Symbol, Shape>, t: &Tree, n: Notation) -> String {
    match crate::derive::typed_tree(shapes, t) {
        Ok((g, root)) => {
            let none = |_: egg::Id| None;
            let scalar = |id: egg::Id| g.shape(id).is_scalar();
            crate::print::Printer::new(&g.expr, n, &none, &scalar).print(root)
        }
        Err(e) => format!("<{e}>"),
    }
}
