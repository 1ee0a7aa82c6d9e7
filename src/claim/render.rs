//! Verdicts as sentences (unicode for people, ASCII for JSON) and as the printed block.

use std::collections::HashSet;

use egg::Symbol;
use serde_json::{Map, Value as Json};

use super::diagnose::Finding;
use super::numbers::{Sample, TOL};
use super::scope::Scoped;
use super::{Checker, Kind, Outcome, Verdict, show, value_json};
use crate::ir::Math;
use crate::print;
use crate::print::Notation;

/// A verdict without a finding (shape, or correct).
pub fn plain(c: &Checker, s: &Scoped, kind: Kind) -> Verdict {
    let reason = |n| plain_reason(c, s, kind, n);
    let verdict = match kind {
        Kind::EqualByRewriting | Kind::EqualNumerically => Outcome::Correct,
        _ => Outcome::Wrong,
    };
    base(
        c,
        s,
        verdict,
        kind,
        reason(Notation::Ascii),
        reason(Notation::Unicode),
    )
}

fn base(
    c: &Checker,
    s: &Scoped,
    verdict: Outcome,
    kind: Kind,
    ascii: String,
    uni: String,
) -> Verdict {
    let g = c.gradient();
    let defs = used_definitions(c, &s.var, Notation::Ascii)
        .into_iter()
        .map(|(n, e)| (n, Json::String(e)))
        .collect();
    Verdict {
        variable: s.var.clone(),
        verdict,
        kind,
        reason: ascii,
        reason_unicode: uni,
        counterexample: None,
        claimed_value: None,
        expected_value: None,
        expected: g.expression(&s.var, Notation::Ascii).unwrap_or_default(),
        definitions: defs,
        claim: claim_text(s, Notation::Ascii),
        text: String::new(),
    }
}

/// The helper terms the gradient of `var` uses, in dependency order.
fn used_definitions(c: &Checker, var: &str, n: Notation) -> Vec<(String, String)> {
    let d = &c.gradient().derivation;
    let i = d.vars.iter().position(|v| v == var);
    let mut used: HashSet<Symbol> = HashSet::new();
    let mark = |t: &crate::simplify::cse::Tree, used: &mut HashSet<Symbol>| {
        t.visit(&mut |x| {
            if let Math::Var(s) = x.op {
                used.insert(s);
            }
        })
    };
    if let Some(Some(t)) = i.map(|i| &d.exprs[i]) {
        mark(t, &mut used);
    }
    for def in d.defs.iter().rev() {
        if used.contains(&def.name) {
            mark(&def.tree, &mut used);
        }
    }
    let all = c.gradient().definitions(n);
    d.defs
        .iter()
        .zip(all)
        .filter(|(def, _)| used.contains(&def.name))
        .map(|(_, x)| x)
        .collect()
}

fn df(c: &Checker, var: &str, n: Notation) -> String {
    let f = c
        .gradient()
        .model
        .objective_name
        .clone()
        .unwrap_or_else(|| "f".into());
    match n {
        Notation::Unicode => format!("∂{}/∂{}", print::name(&f, n), print::name(var, n)),
        _ => format!("d{f}/d{var}"),
    }
}

fn shape_text(sh: &crate::ir::Shape, n: Notation) -> String {
    let s = sh.to_string();
    if n == Notation::Unicode {
        s
    } else {
        s.replace('×', "x")
    }
}

fn plain_reason(c: &Checker, s: &Scoped, kind: Kind, n: Notation) -> String {
    let d = df(c, &s.var, n);
    match kind {
        Kind::EqualByRewriting => format!("equal to {d} by rewriting"),
        Kind::EqualNumerically => format!(
            "equal to {d} at {{points}} (within {TOL:e} of the largest intermediate value; no proof by rewriting found)"
        ),
        _ if !s.forced.is_empty() => format!(
            "your answer fits only if {}, which the problem does not say",
            s.forced.join(" and ")
        ),
        _ => {
            let (mine, want) = (s.shape(), s.var_shape());
            let (a, b) = (shape_text(&mine, n), shape_text(&want, n));
            if mine == want.t() {
                format!("your answer is {a}, {d} is {b}: a transpose is missing?")
            } else {
                format!("your answer is {a}, {d} is {b}")
            }
        }
    }
}

/// A wrong verdict with its finding and counterexample.
pub fn wrong(c: &Checker, s: &Scoped, f: &Finding, counter: Option<&Sample>) -> Verdict {
    let (kind, ascii) = finding_reason(c, s, f, Notation::Ascii);
    let (_, uni) = finding_reason(c, s, f, Notation::Unicode);
    let mut v = base(c, s, Outcome::Wrong, kind, ascii, uni);
    if let Some(x) = counter {
        let mut point = Map::new();
        for input in &c.gradient().model.inputs {
            if let Some(val) = x.point.values.get(&Symbol::from(input.name.as_str())) {
                point.insert(input.name.clone(), value_json(val, &input.shape));
            }
        }
        v.counterexample = Some(point);
        let sh = s.var_shape();
        v.claimed_value = x.claimed.as_ref().ok().map(|c| value_json(c, &sh));
        v.expected_value = Some(value_json(&x.expected, &sh));
    }
    v
}

/// A number as a person writes it: 2, 1/2, −3/2, 0.37.
fn nice(x: f64, n: Notation) -> String {
    let minus = if n == Notation::Unicode { "−" } else { "-" };
    let sign = if x < 0.0 { minus } else { "" };
    let a = x.abs();
    for q in 1..=12u32 {
        let p = (a * q as f64).round();
        if p >= 1.0 && (a * q as f64 - p).abs() <= 1e-6 * a.max(1.0) * q as f64 {
            return if q == 1 {
                format!("{sign}{p}")
            } else {
                format!("{sign}{p}/{q}")
            };
        }
    }
    format!("{sign}{}", num(a))
}

fn finding_reason(c: &Checker, s: &Scoped, f: &Finding, n: Notation) -> (Kind, String) {
    let d = df(c, &s.var, n);
    let exp_shapes = c.gradient().derivation.symbol_shapes(&c.gradient().model);
    let claim_shapes = s.symbol_shapes();
    match f {
        Finding::Undefined(m) => (
            Kind::Undefined,
            format!("your answer cannot be evaluated where {d} can: {m}"),
        ),
        Finding::Factor(k) => factor_reason(*k, &d, n),
        Finding::ScalarFactor(k, name, p) => {
            let nm = print::name(name, n);
            let pw = |e: i32| {
                if e.abs() == 1 {
                    nm.clone()
                } else {
                    format!("{nm}^{}", e.abs())
                }
            };
            let times = if n == Notation::Unicode { "×" } else { "*" };
            let coef = if (*k - 1.0).abs() < 1e-9 {
                String::new()
            } else {
                format!("{} {times} ", nice(*k, n))
            };
            let text = if *p > 0 {
                format!(
                    "an extra factor {}: your answer is {coef}{} {times} {d}",
                    pw(*p),
                    pw(*p)
                )
            } else {
                format!(
                    "a factor {} is missing: your answer is {coef}{d} / {}",
                    pw(*p),
                    pw(*p)
                )
            };
            (Kind::Factor, text)
        }
        Finding::Transpose => (
            Kind::Transpose,
            format!("your answer is the transpose of {d}"),
        ),
        Finding::SymmetricOnly(names) => {
            let list: Vec<String> = names.iter().map(|x| print::name(x, n)).collect();
            let are = if list.len() == 1 { "is" } else { "are" };
            let joined = list.join(" and ");
            (
                Kind::SymmetricOnly,
                format!("right if {joined} {are} symmetric; here {joined} {are} not declared sym"),
            )
        }
        Finding::ExpectedTerm(t, has) => {
            let t = format!("`{}`", show(&exp_shapes, t, n));
            if has.abs() < 1e-9 {
                (Kind::MissingTerm, format!("missing the term {t}"))
            } else if (has + 1.0).abs() < 1e-9 {
                (
                    Kind::TermSign,
                    format!("the term {t} of {d} has the wrong sign"),
                )
            } else if (has - 2.0).abs() < 1e-9 {
                (Kind::TermFactor, format!("the term {t} is counted twice"))
            } else {
                (
                    Kind::TermFactor,
                    format!(
                        "the term {t} of {d} has factor {} instead of 1",
                        nice(*has, n)
                    ),
                )
            }
        }
        Finding::ClaimTerm(t, should) => {
            let t = format!("`{}`", show(&claim_shapes, t, n));
            if should.abs() < 1e-9 {
                (Kind::ExtraTerm, format!("the term {t} should not be there"))
            } else if (should + 1.0).abs() < 1e-9 {
                (Kind::TermSign, format!("the term {t} has the wrong sign"))
            } else {
                (
                    Kind::TermFactor,
                    format!(
                        "the term {t} should have factor {} instead of 1",
                        nice(*should, n)
                    ),
                )
            }
        }
        Finding::Differs => (
            Kind::Counterexample,
            format!("your answer differs from {d}"),
        ),
    }
}

fn factor_reason(k: f64, d: &str, n: Notation) -> (Kind, String) {
    if k.abs() < 1e-12 {
        return (Kind::Factor, format!("your answer is 0, but {d} is not"));
    }
    if (k + 1.0).abs() < 1e-9 {
        let m = if n == Notation::Unicode { "−" } else { "-" };
        return (Kind::Sign, format!("wrong sign: your answer is {m}{d}"));
    }
    let a = k.abs();
    let sign = if k < 0.0 { "wrong sign and " } else { "" };
    let times = if n == Notation::Unicode { "×" } else { "*" };
    let how = if (a - 2.0).abs() < 1e-9 && k > 0.0 {
        format!("twice {d}")
    } else if (a - 0.5).abs() < 1e-9 && k > 0.0 {
        format!("half of {d}")
    } else {
        format!("{} {times} {d}", nice(k, n))
    };
    let by = if a >= 1.0 {
        nice(a, n)
    } else {
        nice(1.0 / a, n)
    };
    let off = if (a * 1e9).round() == 1e9 {
        String::new()
    } else {
        format!("off by a factor of {by}: ")
    };
    let off = if sign.is_empty() {
        off
    } else {
        format!("{sign}{off}")
    };
    (Kind::Factor, format!("{off}your answer is {how}"))
}

/// Up to four significant decimals.
fn num(x: f64) -> String {
    if x == x.round() && x.abs() < 1e15 {
        return format!("{}", x as i64);
    }
    let s = format!("{x:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.').to_string();
    if s == "-0" { "0".into() } else { s }
}

fn human_value(v: &Json) -> String {
    match v {
        Json::Number(x) => num(x.as_f64().unwrap_or(f64::NAN)),
        Json::Array(items) => format!(
            "[{}]",
            items.iter().map(human_value).collect::<Vec<_>>().join(", ")
        ),
        other => other.to_string(),
    }
}

/// The claim as matgrad read it: its own definitions, then its last line.
fn claim_text(s: &Scoped, n: Notation) -> String {
    let shapes = s.symbol_shapes();
    let mut lines: Vec<String> = s
        .definitions()
        .iter()
        .map(|(name, t)| format!("{} = {}", print::name(name, n), show(&shapes, t, n)))
        .collect();
    lines.push(show(&shapes, &s.as_written(), n));
    lines.join("; ")
}

/// The block the command line prints: verdict, the claim as read, the counterexample
/// when that is the diagnosis, and the correct gradient.
pub fn text(c: &Checker, s: &Scoped, v: &Verdict, f: &Finding, counter: Option<&Sample>) -> String {
    let n = Notation::Unicode;
    let word = if v.is_correct() { "correct" } else { "wrong" };
    let mut out = format!("{word}: {}\n", v.reason_unicode);
    let shapes = s.symbol_shapes();
    out += &format!("  your answer: {}\n", show(&shapes, &s.as_written(), n));
    for (i, (name, t)) in s.definitions().iter().enumerate() {
        let lead = if i == 0 {
            "        where "
        } else {
            "              "
        };
        out += &format!("{lead}{} = {}\n", print::name(name, n), show(&shapes, t, n));
    }
    if *f == Finding::Differs
        && let (Some(x), Some(point)) = (counter, &v.counterexample)
    {
        let mut dims: Vec<(String, usize)> = x
            .point
            .dims
            .iter()
            .map(|(k, v)| (k.to_string(), *v))
            .collect();
        dims.sort();
        let sizes: Vec<String> = dims.iter().map(|(k, v)| format!("{k} = {v}")).collect();
        if sizes.is_empty() {
            out += "  for example at\n";
        } else {
            out += &format!("  for example at {}:\n", sizes.join(", "));
        }
        for (name, val) in point {
            out += &format!("    {} = {}\n", print::name(name, n), human_value(val));
        }
        if let Some(cv) = &v.claimed_value {
            out += &format!("  yours is   {}\n", human_value(cv));
        }
        if let Some(ev) = &v.expected_value {
            out += &format!("  correct is {}\n", human_value(ev));
        }
    }
    let g = c.gradient();
    out += &format!(
        "{} = {}\n",
        df(c, &s.var, n),
        g.expression(&s.var, n).unwrap_or_default()
    );
    for (i, (name, e)) in used_definitions(c, &s.var, n).iter().enumerate() {
        let lead = if i == 0 { "  where " } else { "        " };
        out += &format!("{lead}{name} = {e}\n");
    }
    out
}
