//! The registry of primitives, walked entry by entry: every field is filled in and
//! consistent (names, spellings, code templates, arity), the shape rule agrees
//! with the evaluation, and the VJP and JVP agree with central finite differences
//! and with each other (adjointness) on random inputs of random shapes drawn from
//! the primitive's domain.

use std::collections::HashMap;

use egg::{Id, Symbol};
use matgrad::ir::{Dim, Graph, Math, Shape};
use matgrad::numeric::Point;
use matgrad::numeric::sample::{Rng, draw};
use matgrad::ops::registry::{self, Diff, Domain, Primitive, ShapeRule, Spelling};
use matgrad::ops::{self, Value};

/// Random operand shapes (rows, cols) that the shape rule accepts.
fn shapes(rule: ShapeRule, rng: &mut Rng) -> Vec<(usize, usize)> {
    let (r, c, k) = (rng.range(2, 4), rng.range(2, 4), rng.range(2, 4));
    let mat = (r, c);
    match rule {
        ShapeRule::Same | ShapeRule::Transpose | ShapeRule::ToScalar => vec![mat],
        ShapeRule::Broadcast => match rng.range(0, 2) {
            0 => vec![mat, mat],
            1 => vec![(1, 1), mat],
            _ => vec![mat, (1, 1)],
        },
        ShapeRule::Product => match rng.range(0, 3) {
            0 => vec![(1, 1), mat],
            1 => vec![mat, (1, 1)],
            2 => vec![(r, k), (k, 1)],
            _ => vec![(r, k), (k, c)],
        },
        ShapeRule::Square | ShapeRule::SquareToScalar | ShapeRule::SquareToVector => {
            vec![(r, r)]
        }
        ShapeRule::ScaledBy => vec![mat, (1, 1)],
        ShapeRule::SquarePower => vec![(r, r), (1, 1)],
        ShapeRule::Scalars => vec![(1, 1), (1, 1)],
        ShapeRule::Vector | ShapeRule::VectorToScalar | ShapeRule::VectorToDiagonal => {
            vec![(r, 1)]
        }
    }
}

fn fixed(n: usize) -> Dim {
    Dim::Fixed(n as u64)
}

fn inner(a: &Value, b: &Value) -> f64 {
    a.component_mul(b).sum()
}

/// One random instance of a primitive: its graph, operand ids and values.
struct Instance {
    graph: Graph,
    args: Vec<Id>,
    node: Math,
    out: Id,
    point: Point,
}

fn instance(p: &Primitive, rng: &mut Rng) -> Instance {
    let sh = shapes(p.shape, rng);
    assert_eq!(sh.len(), p.arity, "{}: shapes for its arity", p.op);
    let mut vars = HashMap::new();
    let mut point = Point::default();
    for (i, ((r, c), dom)) in sh.iter().zip(p.domain).enumerate() {
        let s = Symbol::from(format!("x{i}"));
        vars.insert(s, Shape::new(fixed(*r), fixed(*c)));
        point.values.insert(s, draw(rng, *r, *c, *dom));
    }
    let mut graph = ops::graph(vars);
    // An integer operand (a matrix power's exponent) is a literal, as the language
    // writes it: the derivatives read its value.
    let args: Vec<Id> = (0..p.arity)
        .map(|i| {
            let name = Symbol::from(format!("x{i}"));
            if p.domain[i] == Domain::Integer {
                graph.int(point.values[&name][(0, 0)] as i64)
            } else {
                graph.var(name.as_str())
            }
            .expect("operand")
        })
        .collect();
    let node = p.node(&args).expect("the op parses back to its node");
    let out = graph.add(node.clone()).unwrap_or_else(|e| {
        panic!("{}: its shape rule refuses {sh:?}: {e}", p.op);
    });
    Instance {
        graph,
        args,
        node,
        out,
        point,
    }
}

fn value(p: &Primitive, vals: &[Value]) -> Value {
    let refs: Vec<&Value> = vals.iter().collect();
    (p.eval)(&refs).unwrap_or_else(|e| panic!("{}: {e}", p.op))
}

/// Checks the derivatives of one random instance: the VJP against central
/// differences along a random direction of each operand in turn
/// (⟨x̄ᵢ, ẋᵢ⟩ = d/dt ⟨ȳ, f(…, xᵢ + tẋᵢ, …)⟩), the JVP against central differences
/// along all directions at once, and the two against each other by adjointness
/// (⟨ȳ, J ẋ⟩ = Σᵢ ⟨x̄ᵢ, ẋᵢ⟩).
fn check_derivatives(p: &Primitive, rng: &mut Rng) {
    let mut inst = instance(p, rng);
    let operands: Vec<Value> = (0..p.arity)
        .map(|i| inst.point.values[&Symbol::from(format!("x{i}"))].clone())
        .collect();
    let y = value(p, &operands);
    let out_shape = inst.graph.shape(inst.out);
    assert_eq!(
        (fixed(y.nrows()), fixed(y.ncols())),
        (out_shape.rows.clone(), out_shape.cols.clone()),
        "{}: the shape rule and the evaluation disagree",
        p.op
    );
    let ybar = draw(rng, y.nrows(), y.ncols(), Domain::General);
    // An integer operand has no direction of change.
    let dirs: Vec<Value> = operands
        .iter()
        .zip(p.domain)
        .map(|(x, dom)| match dom {
            Domain::Integer => Value::zeros(x.nrows(), x.ncols()),
            _ => draw(rng, x.nrows(), x.ncols(), Domain::General),
        })
        .collect();
    // The adjoint `g` and the directions `d0`, `d1` are inputs of the graph.
    inst.graph.vars.insert(Symbol::from("g"), out_shape);
    inst.point.values.insert(Symbol::from("g"), ybar.clone());
    let adj = inst.graph.var("g").expect("adjoint");
    let mut seeds = HashMap::new();
    for (i, (x, d)) in inst.args.clone().into_iter().zip(&dirs).enumerate() {
        let name = Symbol::from(format!("d{i}"));
        let shape = inst.graph.shape(x);
        inst.graph.vars.insert(name, shape);
        inst.point.values.insert(name, d.clone());
        seeds.insert(x, inst.graph.var(name.as_str()).expect("direction"));
    }
    let args = inst.args.clone();
    let parts = ops::vjp(&mut inst.graph, inst.out, adj, &|id| args.contains(&id))
        .unwrap_or_else(|e| panic!("{}: vjp: {e}", p.op));
    let tangent = ops::jvp(&mut inst.graph, inst.out, &|c| seeds.get(&c).copied())
        .unwrap_or_else(|e| panic!("{}: jvp: {e}", p.op));
    let vals = matgrad::numeric::evaluate(&inst.graph.expr, &inst.point)
        .unwrap_or_else(|e| panic!("{}: evaluating its derivatives: {e}", p.op));
    let scale = 1e-5 * (1.0 + operands.iter().map(|x| x.amax()).fold(0.0, f64::max));
    let at = |t: f64, only: Option<usize>| {
        let o: Vec<Value> = operands
            .iter()
            .zip(&dirs)
            .enumerate()
            .map(|(i, (x, d))| match only {
                Some(j) if j != i => x.clone(),
                _ => x + d * t,
            })
            .collect();
        value(p, &o)
    };
    // VJP, operand by operand.
    let mut adjoint_side = 0.0;
    for (i, x) in inst.args.iter().enumerate() {
        let xi = &operands[i];
        let mut xbar = Value::zeros(xi.nrows(), xi.ncols());
        for (c, part) in &parts {
            if c == x {
                let v = &vals[usize::from(*part)];
                assert_eq!(v.shape(), xi.shape(), "{}: adjoint {i} shape", p.op);
                xbar += v;
            }
        }
        let fd = (inner(&ybar, &at(scale, Some(i))) - inner(&ybar, &at(-scale, Some(i))))
            / (2.0 * scale);
        let got = inner(&xbar, &dirs[i]);
        assert!(
            (fd - got).abs() <= 1e-6 * (1.0 + fd.abs()),
            "{} ({}): VJP of operand {i} gives {got}, finite differences {fd}",
            p.op,
            inst.node
        );
        adjoint_side += got;
    }
    // JVP, all operands at once.
    let jdot = match tangent {
        Some(t) => vals[usize::from(t)].clone(),
        None => Value::zeros(y.nrows(), y.ncols()),
    };
    assert_eq!(jdot.shape(), y.shape(), "{}: tangent shape", p.op);
    let fd = (at(scale, None) - at(-scale, None)) / (2.0 * scale);
    let err = (&fd - &jdot).amax();
    assert!(
        err <= 1e-6 * (1.0 + fd.amax()),
        "{} ({}): JVP {jdot} differs from finite differences {fd}",
        p.op,
        inst.node
    );
    // Adjointness: exact up to rounding.
    let forward_side = inner(&ybar, &jdot);
    assert!(
        (forward_side - adjoint_side).abs() <= 1e-9 * (1.0 + forward_side.abs()),
        "{} ({}): ⟨ȳ, Jẋ⟩ = {forward_side} but ⟨Jᵀȳ, ẋ⟩ = {adjoint_side}",
        p.op,
        inst.node
    );
}

#[test]
fn every_primitive_has_every_field() {
    let all = registry::all();
    assert!(all.len() >= 30, "{} primitives", all.len());
    let mut ops_seen = Vec::new();
    for p in all {
        assert!(!p.op.is_empty());
        assert!(!ops_seen.contains(&p.op), "{} registered twice", p.op);
        ops_seen.push(p.op);
        assert_eq!(p.domain.len(), p.arity, "{}: a domain per operand", p.op);
        assert!(!p.derivative.identity.is_empty(), "{}: identity", p.op);
        assert!(!p.derivative.source.is_empty(), "{}: source", p.op);
        // The op is the node's name: it parses to a node the registry maps back.
        let kids: Vec<Id> = (0..p.arity).map(Id::from).collect();
        let node = p.node(&kids).expect("node");
        assert_eq!(node.to_string(), p.op);
        assert!(std::ptr::eq(registry::of(&node).expect("entry"), *p));
        // Every name calls it (diag is shared by its two directions).
        for n in p.names {
            match registry::function(n) {
                Some(q) => assert!(std::ptr::eq(q, *p), "{n}"),
                None => assert_eq!(*n, "diag"),
            }
            assert!(ops::function_names().contains(n));
        }
        for s in [p.print.unicode, p.print.ascii, p.print.latex] {
            match s {
                Spelling::Infix(op) => assert!(p.arity == 2 && !op.trim().is_empty()),
                Spelling::Call(f) | Spelling::Postfix(f) => {
                    assert!(p.arity == 1 && !f.is_empty(), "{}", p.op)
                }
                Spelling::Wrap(l, _) => assert!(p.arity == 1 && !l.is_empty()),
                Spelling::Printer => {}
            }
        }
        // The ASCII spelling is the input language: a call is by one of its names.
        if let Spelling::Call(f) = p.print.ascii {
            assert!(p.names.contains(&f), "{}: prints as {f}", p.op);
        }
        for t in [p.code.numpy, p.code.torch, p.code.jax, p.code.rust] {
            assert!(t.contains("{0}"), "{}: code {t}", p.op);
            assert_eq!(t.contains("{1}"), p.arity == 2, "{}: code {t}", p.op);
        }
    }
}

#[test]
fn every_vjp_and_jvp_agrees_with_finite_differences_and_each_other() {
    let mut rng = Rng::new(8);
    for p in registry::all() {
        for _ in 0..8 {
            check_derivatives(p, &mut rng);
        }
    }
}

#[test]
fn elementwise_functions_are_one_variant_of_the_language() {
    // A function added to the registry needs no new variant: `Fun` names it.
    let pointwise: Vec<&str> = registry::all()
        .iter()
        .filter(|p| matches!(p.diff, Diff::Pointwise(_)))
        .map(|p| p.op)
        .collect();
    assert!(pointwise.contains(&"exp") && pointwise.contains(&"sigmoid"));
    for op in pointwise {
        let node = registry::all()
            .iter()
            .find(|p| p.op == op)
            .and_then(|p| p.node(&[Id::from(0)]))
            .expect("node");
        assert!(matches!(node, Math::Fun(..)), "{op}");
        assert!(ops::is_elementwise(&node));
    }
}

#[test]
fn rules_naming_an_unknown_function_are_refused() {
    let text = "# tr(A) = A\nbad: (tarce ?a) => ?a\n";
    let Err(err) = matgrad::simplify::rules::parse_rules("test.rules", text) else {
        panic!("a rule naming `tarce` was accepted");
    };
    assert!(
        err.to_string().contains("`tarce` is not a primitive"),
        "{err}"
    );
}
