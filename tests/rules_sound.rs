//! Every rule of rules/*.rules holds numerically: each is instantiated with random
//! values of random compatible shapes that meet its conditions (symmetric,
//! positive, ...), and both sides are evaluated.

use std::collections::HashMap;

use egg::{ENodeOrVar, Id, Language, PatternAst, Symbol, Var};
use matgrad::ir::{Dim, DimLeaf, Graph, Math, Shape};
use matgrad::numeric::sample::{Domain, Rng, draw};
use matgrad::numeric::{Point, evaluate};
use matgrad::simplify::rules::{Cond, RuleSpec, load_all, parse_rules};

const SHAPES: &[(u64, u64)] = &[
    (1, 1),
    (2, 2),
    (3, 3),
    (2, 3),
    (3, 2),
    (3, 1),
    (2, 1),
    (1, 3),
    (1, 2),
];

fn dim_vars(ast: &PatternAst<Math>) -> Vec<Var> {
    let nodes = ast.as_ref();
    let mut out = Vec::new();
    for n in nodes {
        if let ENodeOrVar::ENode(Math::Eye(c)) = n
            && let ENodeOrVar::Var(v) = &nodes[usize::from(*c)]
        {
            out.push(*v);
        }
    }
    out
}

fn instantiate(g: &mut Graph, ast: &PatternAst<Math>, dims: &HashMap<Var, u64>) -> Option<Id> {
    let mut ids: Vec<Id> = Vec::new();
    for n in ast.as_ref() {
        let id = match n {
            ENodeOrVar::Var(v) => match dims.get(v) {
                Some(k) => g.add(Math::Dim(DimLeaf(Dim::Fixed(*k)))).ok()?,
                None => g.var(&format!("v{}", &v.to_string()[1..])).ok()?,
            },
            ENodeOrVar::ENode(node) => {
                let mut node = node.clone();
                for c in node.children_mut() {
                    *c = ids[usize::from(*c)];
                }
                g.add(node).ok()?
            }
        };
        ids.push(id);
    }
    ids.last().copied()
}

fn cond_holds(c: &Cond, shapes: &HashMap<Var, Shape>) -> bool {
    let s = |v: &Var| shapes.get(v);
    match c {
        Cond::Scalar(a) => s(a).is_some_and(|x| x.is_scalar()),
        Cond::NonScalar(a) => s(a).is_some_and(|x| !x.is_scalar()),
        Cond::Symmetric(a) | Cond::Spd(a) | Cond::Diagonal(a) | Cond::Identity(a) => {
            s(a).is_some_and(|x| x.is_square())
        }
        Cond::Square(a) => s(a).is_some_and(|x| x.is_square()),
        Cond::Vector(a) => s(a).is_some_and(|x| x.cols == Dim::ONE),
        // Independent random values: the terms of a sum differ.
        Cond::Positive(_) | Cond::DistinctTerms => true,
        Cond::Constant(a) => s(a).is_some_and(|x| x.is_scalar()),
        Cond::SameShape(a, b) => s(a).is_some() && s(a) == s(b),
        Cond::SameRows(a, b) => s(a).is_some_and(|x| s(b).is_some_and(|y| x.rows == y.rows)),
        Cond::Composable(a, b) => match (s(a), s(b)) {
            (Some(x), Some(y)) => x.is_scalar() || y.is_scalar() || x.cols == y.rows,
            _ => false,
        },
    }
}

fn describe(shapes: &HashMap<Var, Shape>) -> String {
    let mut v: Vec<String> = shapes.iter().map(|(v, s)| format!("{v}: {s}")).collect();
    v.sort();
    v.join(", ")
}

/// Tries to check a rule on `want` random instances; returns how many it checked.
fn check_rule(rule: &RuleSpec, want: usize, rng: &mut Rng) -> Result<usize, String> {
    let dvars = dim_vars(&rule.lhs.ast);
    let vars: Vec<Var> = rule
        .lhs
        .vars()
        .into_iter()
        .filter(|v| !dvars.contains(v))
        .collect();
    let mut done = 0;
    for _ in 0..4000 {
        if done == want {
            break;
        }
        let dims: HashMap<Var, u64> = dvars.iter().map(|v| (*v, rng.range(1, 3) as u64)).collect();
        let shapes: HashMap<Var, Shape> = vars
            .iter()
            .map(|v| {
                let (r, c) = SHAPES[rng.range(0, SHAPES.len() - 1)];
                (*v, Shape::new(Dim::Fixed(r), Dim::Fixed(c)))
            })
            .collect();
        if !rule.conds.iter().all(|c| cond_holds(c, &shapes)) {
            continue;
        }
        let symbols: HashMap<Symbol, Shape> = shapes
            .iter()
            .map(|(v, s)| (Symbol::from(format!("v{}", &v.to_string()[1..])), s.clone()))
            .collect();
        let mut g = matgrad::ops::graph(symbols);
        let Some(lhs) = instantiate(&mut g, &rule.lhs.ast, &dims) else {
            continue;
        };
        let rhs = instantiate(&mut g, &rule.rhs, &dims).ok_or_else(|| {
            format!(
                "{} ({}): the right side is ill-shaped where the left is not ({})",
                rule.name,
                rule.origin,
                describe(&shapes)
            )
        })?;
        if g.shape(lhs) != g.shape(rhs) {
            return Err(format!(
                "{}: the sides have shapes {} and {}",
                rule.name,
                g.shape(lhs),
                g.shape(rhs)
            ));
        }
        let mut point = Point::default();
        for (v, s) in &shapes {
            let (r, c) = (
                point.size(&s.rows).unwrap_or(1),
                point.size(&s.cols).unwrap_or(1),
            );
            let has = |c: Cond| rule.conds.contains(&c);
            let dom = if has(Cond::Spd(*v)) {
                Domain::Spd
            } else if has(Cond::Symmetric(*v)) {
                Domain::Symmetric
            } else if has(Cond::Positive(*v)) {
                Domain::Positive
            } else if r == c {
                Domain::WellConditioned
            } else {
                Domain::General
            };
            let mut value = draw(rng, r, c, dom);
            if has(Cond::Identity(*v)) {
                value = matgrad::ops::Value::identity(r, c);
            } else if has(Cond::Diagonal(*v)) {
                // A diagonal matrix far from singular.
                value =
                    matgrad::ops::Value::from_diagonal(&value.diagonal().map(|x| 1.5 + x.abs()));
            }
            point
                .values
                .insert(Symbol::from(format!("v{}", &v.to_string()[1..])), value);
        }
        let Ok(vals) = evaluate(&g.expr, &point) else {
            continue;
        };
        let (a, b) = (&vals[usize::from(lhs)], &vals[usize::from(rhs)]);
        let err = matgrad::numeric::check::rel_err(a, b);
        if err > 1e-9 {
            return Err(format!(
                "{} ({}): sides differ by {err:e} at {point:?}",
                rule.name, rule.origin
            ));
        }
        done += 1;
    }
    Ok(done)
}

#[test]
fn every_rule_holds_numerically() {
    let rules = load_all().expect("rules load");
    assert!(rules.len() >= 50, "only {} rules", rules.len());
    let mut rng = Rng::new(11);
    let mut failures = Vec::new();
    for r in &rules {
        match check_rule(r, 8, &mut rng) {
            Ok(n) if n >= 8 => {}
            Ok(n) => failures.push(format!("{}: only {n} instances could be built", r.name)),
            Err(e) => failures.push(e),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_wrong_rule_is_caught() {
    // Aᵀ = A for square A keeps the shape, so only the numeric test can catch it.
    let wrong = parse_rules(
        "test.rules",
        "# wrong on purpose\nbad: (T ?a) => ?a if square ?a\n",
    )
    .unwrap();
    assert!(check_rule(&wrong[0], 8, &mut Rng::new(1)).is_err());
}

#[test]
fn malformed_rules_cite_file_and_line() {
    let cases = [
        ("# c\nr: (T ?a) =>\n", "x.rules:2"),
        ("# c\nr: (T ?a) => ?b\n", "x.rules:2: ?b is not bound"),
        (
            "\n\nr: (T ?a) => ?a\n",
            "x.rules:3: rule `r` has no comment",
        ),
        ("# c\nr (T ?a) ?a\n", "x.rules:2: expected"),
        (
            "# c\nr: (T ?a) => ?a if shiny ?a\n",
            "x.rules:2: unknown condition",
        ),
    ];
    for (text, want) in cases {
        let e = parse_rules("x.rules", text).unwrap_err();
        assert!(e.message.starts_with(want), "{text:?}: {}", e.message);
    }
}

#[test]
fn distinct_terms_needs_a_sum() {
    use matgrad::simplify::rules::compile;
    let not_a_sum = parse_rules("x.rules", "# c\nr: (T ?a) => ?a if distinct-terms\n").unwrap();
    let rules = compile(not_a_sum).unwrap();
    let e = rules[0].rewrite().expect_err("refused on first use");
    assert_eq!(
        e.message,
        "x.rules:2: `distinct-terms` needs a sum on the left side"
    );
    let a_sum = parse_rules(
        "x.rules",
        "# c\nr: (+ ?a ?b) => (+ ?b ?a) if distinct-terms\n",
    )
    .unwrap();
    assert!(compile(a_sum).unwrap()[0].rewrite().is_ok());
}
