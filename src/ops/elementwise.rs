//! Elementwise operations: `.*`, `./`, `/` by a scalar, `^` and `.^`, and the
//! elementwise functions (exp, log, log1p, sin, cos, tanh, sqrt, abs, sign,
//! sigmoid, relu, step, softplus, swish), each with its derivative.

use egg::Id;

use super::linalg::zip;
use super::registry::{
    Code, Derivative, Diff, Domain, FactsIn, JvpSite, Local, Primitive, Print, ShapeRule, Spelling,
    per_entry, pointwise_facts, positive_pointwise_facts,
};
use super::{Build, Value, binary};
use crate::error::Result;
use crate::ir::Math;
use crate::rational::Rational;
use crate::structure::Props;

/// The elementwise operations.
pub(super) static PRIMITIVES: &[Primitive] = &[
    Primitive {
        op: ".*",
        names: &[],
        arity: 2,
        shape: ShapeRule::Broadcast,
        eval: |a| zip(a[0], a[1], |x, y| x * y),
        diff: Diff::Rule {
            vjp: |b, s| {
                let ([x, y], adj) = ([s.kids[0], s.kids[1]], s.adj);
                binary(b, x, y, s.active, |b| b.had(adj, y), |b| b.had(adj, x))
            },
            jvp: |b, s| {
                let ([x, y], out) = ([s.kids[0], s.kids[1]], s.out);
                let tx = s.dot(0).map(|d| b.had(d, y)).transpose()?;
                let ty = s.dot(1).map(|d| b.had(x, d)).transpose()?;
                let tx = tx.map(|d| b.broadcast_to(d, out)).transpose()?;
                let ty = ty.map(|d| b.broadcast_to(d, out)).transpose()?;
                b.add_opt(tx, ty)
            },
        },
        derivative: Derivative {
            identity: "d(A ∘ B) = dA ∘ B + A ∘ dB",
            source: "Matrix Cookbook §2.1 (Hadamard product)",
        },
        flops: per_entry,
        facts: |k| {
            let (a, b) = (k.p(0), k.p(1));
            Props {
                positive: a.positive && b.positive,
                symmetric: both_symmetric(k),
                // A Hadamard product with a diagonal matrix (or its scaling) is diagonal.
                diagonal: a.diagonal || b.diagonal,
                ..Props::default()
            }
        },
        domain: &[Domain::General, Domain::General],
        print: Print {
            unicode: Spelling::Infix(" ∘ "),
            ascii: Spelling::Infix(" .* "),
            latex: Spelling::Infix(" \\odot "),
        },
        code: Code {
            numpy: "{0} * {1}",
            torch: "{0} * {1}",
            jax: "{0} * {1}",
            rust: "{0}.component_mul(&{1})",
        },
    },
    Primitive {
        op: "./",
        names: &[],
        arity: 2,
        shape: ShapeRule::Broadcast,
        eval: |a| zip(a[0], a[1], |x, y| x / y).and_then(|v| finite(v, "an elementwise division")),
        diff: Diff::Rule {
            vjp: |b, s| {
                let ([x, y], adj) = ([s.kids[0], s.kids[1]], s.adj);
                binary(
                    b,
                    x,
                    y,
                    s.active,
                    |b| b.n(Math::EDiv([adj, y])),
                    |b| {
                        // ∂(x/y)/∂y = −x/y²
                        let num = b.had(adj, x)?;
                        let two = b.int(2)?;
                        let den = b.n(Math::EPow([y, two]))?;
                        let q = b.n(Math::EDiv([num, den]))?;
                        b.neg(q)
                    },
                )
            },
            jvp: |b, s| {
                // d(x ⊘ y) = ẋ ⊘ y − (out ∘ ẏ) ⊘ y
                let (y, out) = (s.kids[1], s.out);
                let tx = s.dot(0).map(|d| b.n(Math::EDiv([d, y]))).transpose()?;
                let ty = match s.dot(1) {
                    Some(d) => {
                        let p = b.had(out, d)?;
                        let q = b.n(Math::EDiv([p, y]))?;
                        Some(b.neg(q)?)
                    }
                    None => None,
                };
                let tx = tx.map(|d| b.broadcast_to(d, out)).transpose()?;
                let ty = ty.map(|d| b.broadcast_to(d, out)).transpose()?;
                b.add_opt(tx, ty)
            },
        },
        derivative: Derivative {
            identity: "d(A ⊘ B) = dA ⊘ B − A ∘ dB ⊘ B∘²",
            source: "quotient rule",
        },
        flops: per_entry,
        facts: |k| Props {
            positive: k.p(0).positive && k.p(1).positive,
            symmetric: both_symmetric(k),
            ..Props::default()
        },
        domain: &[Domain::General, Domain::Positive],
        print: Print {
            unicode: Spelling::Infix(" ⊘ "),
            ascii: Spelling::Infix(" ./ "),
            latex: Spelling::Infix(" \\oslash "),
        },
        code: Code {
            numpy: "{0} / {1}",
            torch: "{0} / {1}",
            jax: "{0} / {1}",
            rust: "{0}.component_div(&{1})",
        },
    },
    Primitive {
        op: "/",
        names: &[],
        arity: 2,
        shape: ShapeRule::ScaledBy,
        eval: |a| zip(a[0], a[1], |x, y| x / y).and_then(|v| finite(v, "a division")),
        diff: Diff::Rule {
            vjp: |b, s| {
                let ([x, t], adj) = ([s.kids[0], s.kids[1]], s.adj);
                binary(
                    b,
                    x,
                    t,
                    s.active,
                    |b| b.n(Math::Div([adj, t])),
                    |b| {
                        let ip = b.inner(adj, x)?;
                        let two = b.int(2)?;
                        let t2 = b.n(Math::Pow([t, two]))?;
                        let q = b.n(Math::Div([ip, t2]))?;
                        b.neg(q)
                    },
                )
            },
            jvp: |b, s| {
                // d(x / s) = ẋ / s − out ṡ / s
                let (t, out) = (s.kids[1], s.out);
                let tx = s.dot(0).map(|d| b.n(Math::Div([d, t]))).transpose()?;
                let ts = match s.dot(1) {
                    Some(d) => {
                        let p = b.mul(out, d)?;
                        let q = b.n(Math::Div([p, t]))?;
                        Some(b.neg(q)?)
                    }
                    None => None,
                };
                b.add_opt(tx, ts)
            },
        },
        derivative: Derivative {
            identity: "d(A/s) = dA/s − A ds/s²",
            source: "quotient rule",
        },
        flops: per_entry,
        facts: |k| Props {
            positive: k.p(0).positive && k.p(1).positive,
            symmetric: k.p(0).symmetric,
            spd: k.p(0).spd && k.scalar(1) && k.p(1).positive,
            diagonal: k.p(0).diagonal,
            identity: false,
        },
        domain: &[Domain::General, Domain::Positive],
        print: Print::PRINTER,
        code: Code {
            numpy: "{0} / {1}",
            torch: "{0} / {1}",
            jax: "{0} / {1}",
            rust: "{0} / {1}",
        },
    },
    Primitive {
        op: "^",
        names: &[],
        arity: 2,
        shape: ShapeRule::Scalars,
        eval: |a| zip(a[0], a[1], f64::powf).and_then(|v| finite(v, "a power")),
        diff: Diff::Rule {
            vjp: |b, s| {
                let ([x, k], adj, out) = ([s.kids[0], s.kids[1]], s.adj, s.out);
                binary(
                    b,
                    x,
                    k,
                    s.active,
                    |b| power_rule(b, adj, x, k, Math::Pow),
                    |b| {
                        let l = b.n(Math::fun("log", x))?;
                        let p = b.mul(out, l)?;
                        b.mul(adj, p)
                    },
                )
            },
            jvp: |b, s| power_jvp(b, s, Math::Pow),
        },
        derivative: Derivative {
            identity: "d(aᵏ) = k aᵏ⁻¹ da + aᵏ log(a) dk",
            source: "power rule",
        },
        flops: per_entry,
        facts: |_| Props::default(),
        domain: &[Domain::Positive, Domain::General],
        print: Print::PRINTER,
        code: Code {
            numpy: "{0} ** {1}",
            torch: "{0} ** {1}",
            jax: "{0} ** {1}",
            rust: "{0}.powf({1})",
        },
    },
    Primitive {
        op: ".^",
        names: &[],
        arity: 2,
        shape: ShapeRule::ScaledBy,
        eval: |a| zip(a[0], a[1], f64::powf).and_then(|v| finite(v, "a power")),
        diff: Diff::Rule {
            vjp: |b, s| {
                let ([x, k], adj, out) = ([s.kids[0], s.kids[1]], s.adj, s.out);
                binary(
                    b,
                    x,
                    k,
                    s.active,
                    |b| power_rule(b, adj, x, k, Math::EPow),
                    |b| {
                        let l = b.n(Math::fun("log", x))?;
                        let p = b.had(out, l)?;
                        b.inner(adj, p)
                    },
                )
            },
            jvp: |b, s| power_jvp(b, s, Math::EPow),
        },
        derivative: Derivative {
            identity: "d(A∘ᵏ) = k A∘⁽ᵏ⁻¹⁾ ∘ dA + A∘ᵏ ∘ log(A) dk",
            source: "power rule",
        },
        flops: per_entry,
        facts: |k| Props {
            symmetric: k.p(0).symmetric,
            ..Props::default()
        },
        domain: &[Domain::Positive, Domain::General],
        print: Print::PRINTER,
        code: Code {
            numpy: "{0} ** {1}",
            torch: "{0} ** {1}",
            jax: "{0} ** {1}",
            rust: "{0}.map(|x| x.powf({1}))",
        },
    },
    Primitive {
        op: "exp",
        names: &["exp"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], f64::exp),
        diff: Diff::Pointwise(|_, _, y| Ok(Local::Times(y))),
        derivative: Derivative {
            identity: "exp′ = exp",
            source: "calculus",
        },
        flops: per_entry,
        facts: positive_pointwise_facts,
        domain: &[Domain::General],
        print: print("exp", "\\exp"),
        code: Code {
            numpy: "np.exp({0})",
            torch: "torch.exp({0})",
            jax: "jnp.exp({0})",
            rust: "{0}.map(f64::exp)",
        },
    },
    Primitive {
        op: "log",
        names: &["log"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map_in(a[0], |x| x > 0.0, "the log of a number ≤ 0", f64::ln),
        diff: Diff::Pointwise(|_, x, _| Ok(Local::Over(x))),
        derivative: Derivative {
            identity: "log′(x) = 1/x",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::Positive],
        print: print("log", "\\log"),
        code: Code {
            numpy: "np.log({0})",
            torch: "torch.log({0})",
            jax: "jnp.log({0})",
            rust: "{0}.map(f64::ln)",
        },
    },
    Primitive {
        op: "log1p",
        names: &["log1p"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map_in(a[0], |x| x > -1.0, "log1p of a number ≤ −1", f64::ln_1p),
        diff: Diff::Pointwise(|b, x, _| {
            let one = b.int(1)?;
            b.n(Math::Add([one, x])).map(Local::Over)
        }),
        derivative: Derivative {
            identity: "log1p′(x) = 1/(1 + x)",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::Positive],
        print: print("log1p", "\\operatorname{log1p}"),
        code: Code {
            numpy: "np.log1p({0})",
            torch: "torch.log1p({0})",
            jax: "jnp.log1p({0})",
            rust: "{0}.map(f64::ln_1p)",
        },
    },
    Primitive {
        op: "sin",
        names: &["sin"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], f64::sin),
        diff: Diff::Pointwise(|b, x, _| b.n(Math::fun("cos", x)).map(Local::Times)),
        derivative: Derivative {
            identity: "sin′ = cos",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::General],
        print: print("sin", "\\sin"),
        code: Code {
            numpy: "np.sin({0})",
            torch: "torch.sin({0})",
            jax: "jnp.sin({0})",
            rust: "{0}.map(f64::sin)",
        },
    },
    Primitive {
        op: "cos",
        names: &["cos"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], f64::cos),
        diff: Diff::Pointwise(|b, x, _| {
            let s = b.n(Math::fun("sin", x))?;
            b.neg(s).map(Local::Times)
        }),
        derivative: Derivative {
            identity: "cos′ = −sin",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::General],
        print: print("cos", "\\cos"),
        code: Code {
            numpy: "np.cos({0})",
            torch: "torch.cos({0})",
            jax: "jnp.cos({0})",
            rust: "{0}.map(f64::cos)",
        },
    },
    Primitive {
        op: "tanh",
        names: &["tanh"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], f64::tanh),
        diff: Diff::Pointwise(|b, _, y| {
            let one = b.int(1)?;
            let two = b.int(2)?;
            let sq = b.n(Math::EPow([y, two]))?;
            let nsq = b.neg(sq)?;
            b.n(Math::Add([one, nsq])).map(Local::Times)
        }),
        derivative: Derivative {
            identity: "tanh′ = 1 − tanh²",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::General],
        print: print("tanh", "\\tanh"),
        code: Code {
            numpy: "np.tanh({0})",
            torch: "torch.tanh({0})",
            jax: "jnp.tanh({0})",
            rust: "{0}.map(f64::tanh)",
        },
    },
    Primitive {
        op: "sqrt",
        names: &["sqrt"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| {
            map_in(
                a[0],
                |x| x >= 0.0,
                "the square root of a negative number",
                f64::sqrt,
            )
        },
        diff: Diff::Pointwise(|b, _, y| {
            let two = b.int(2)?;
            b.mul(two, y).map(Local::Over)
        }),
        derivative: Derivative {
            identity: "√′(x) = 1/(2√x)",
            source: "calculus",
        },
        flops: per_entry,
        facts: |k| Props {
            positive: k.p(0).positive && k.scalar(0),
            ..pointwise_facts(k)
        },
        domain: &[Domain::Positive],
        print: Print {
            unicode: Spelling::Call("sqrt"),
            ascii: Spelling::Call("sqrt"),
            latex: Spelling::Wrap("\\sqrt{", "}"),
        },
        code: Code {
            numpy: "np.sqrt({0})",
            torch: "torch.sqrt({0})",
            jax: "jnp.sqrt({0})",
            rust: "{0}.map(f64::sqrt)",
        },
    },
    Primitive {
        op: "abs",
        names: &["abs"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], f64::abs),
        diff: Diff::Pointwise(|b, x, _| b.n(Math::fun("sign", x)).map(Local::Times)),
        derivative: Derivative {
            identity: "|x|′ = sign(x) (x ≠ 0)",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::General],
        print: print("abs", "\\operatorname{abs}"),
        code: Code {
            numpy: "np.abs({0})",
            torch: "torch.abs({0})",
            jax: "jnp.abs({0})",
            rust: "{0}.map(f64::abs)",
        },
    },
    Primitive {
        op: "sign",
        names: &["sign"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| {
            map(a[0], |x| {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            })
        },
        diff: Diff::Pointwise(|_, _, _| Ok(Local::Zero)),
        derivative: Derivative {
            identity: "sign′ = 0 (x ≠ 0)",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::General],
        print: print("sign", "\\operatorname{sign}"),
        code: Code {
            numpy: "np.sign({0})",
            torch: "torch.sign({0})",
            jax: "jnp.sign({0})",
            rust: "{0}.map(|x| if x > 0.0 { 1.0 } else if x < 0.0 { -1.0 } else { 0.0 })",
        },
    },
    Primitive {
        op: "sigmoid",
        names: &["sigmoid", "σ"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], sigmoid),
        diff: Diff::Pointwise(|b, _, y| sigmoid_prime(b, y).map(Local::Times)),
        derivative: Derivative {
            identity: "σ′ = σ(1 − σ)",
            source: "calculus",
        },
        flops: per_entry,
        facts: positive_pointwise_facts,
        domain: &[Domain::General],
        print: Print {
            unicode: Spelling::Call("σ"),
            ascii: Spelling::Call("sigmoid"),
            latex: Spelling::Call("\\sigma"),
        },
        code: Code {
            numpy: "scipy.special.expit({0})",
            torch: "torch.sigmoid({0})",
            jax: "jax.nn.sigmoid({0})",
            rust: "{0}.map(|x| 1.0 / (1.0 + (-x).exp()))",
        },
    },
    Primitive {
        op: "relu",
        names: &["relu"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], |x| x.max(0.0)),
        diff: Diff::Pointwise(|b, x, _| b.n(Math::fun("step", x)).map(Local::Times)),
        derivative: Derivative {
            identity: "relu′ = step (x ≠ 0)",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::General],
        print: print("relu", "\\operatorname{relu}"),
        code: Code {
            numpy: "np.maximum({0}, 0.0)",
            torch: "torch.relu({0})",
            jax: "jax.nn.relu({0})",
            rust: "{0}.map(|x| x.max(0.0))",
        },
    },
    Primitive {
        op: "step",
        names: &["step"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], |x| if x > 0.0 { 1.0 } else { 0.0 }),
        diff: Diff::Pointwise(|_, _, _| Ok(Local::Zero)),
        derivative: Derivative {
            identity: "step′ = 0 (x ≠ 0)",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::General],
        print: print("step", "\\operatorname{step}"),
        code: Code {
            numpy: "np.heaviside({0}, 0.0)",
            torch: "torch.heaviside({0}, torch.zeros_like({0}))",
            jax: "jnp.heaviside({0}, 0.0)",
            rust: "{0}.map(|x| if x > 0.0 { 1.0 } else { 0.0 })",
        },
    },
    Primitive {
        op: "softplus",
        names: &["softplus"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], |x| x.max(0.0) + (-x.abs()).exp().ln_1p()),
        diff: Diff::Pointwise(|b, x, _| b.n(Math::fun("sigmoid", x)).map(Local::Times)),
        derivative: Derivative {
            identity: "softplus′ = σ",
            source: "calculus",
        },
        flops: per_entry,
        facts: positive_pointwise_facts,
        domain: &[Domain::General],
        print: print("softplus", "\\operatorname{softplus}"),
        code: Code {
            numpy: "np.logaddexp(0.0, {0})",
            torch: "torch.nn.functional.softplus({0})",
            jax: "jax.nn.softplus({0})",
            rust: "{0}.map(|x| x.max(0.0) + (-x.abs()).exp().ln_1p())",
        },
    },
    Primitive {
        op: "swish",
        names: &["swish"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| map(a[0], |x| x * sigmoid(x)),
        diff: Diff::Pointwise(|b, x, _| {
            // swish′ = σ + x ∘ σ(1 − σ)
            let s = b.n(Math::fun("sigmoid", x))?;
            let sp = sigmoid_prime(b, s)?;
            let xs = b.had(x, sp)?;
            b.n(Math::Add([s, xs])).map(Local::Times)
        }),
        derivative: Derivative {
            identity: "swish′ = σ + xσ(1 − σ)",
            source: "calculus",
        },
        flops: per_entry,
        facts: pointwise_facts,
        domain: &[Domain::General],
        print: print("swish", "\\operatorname{swish}"),
        code: Code {
            numpy: "{0} * scipy.special.expit({0})",
            torch: "torch.nn.functional.silu({0})",
            jax: "jax.nn.swish({0})",
            rust: "{0}.map(|x| x / (1.0 + (-x).exp()))",
        },
    },
];

fn sigmoid(x: f64) -> f64 {
    if x >= 0.0 {
        1.0 / (1.0 + (-x).exp())
    } else {
        x.exp() / (1.0 + x.exp())
    }
}

/// Applies `f` to every entry.
fn map(a: &Value, f: fn(f64) -> f64) -> std::result::Result<Value, String> {
    Ok(a.map(f))
}

/// Applies `f` to every entry, which must be where `ok` holds (else the error `why`).
fn map_in(
    a: &Value,
    ok: fn(f64) -> bool,
    why: &str,
    f: fn(f64) -> f64,
) -> std::result::Result<Value, String> {
    if a.iter().all(|&x| ok(x)) {
        Ok(a.map(f))
    } else {
        Err(why.to_string())
    }
}

/// The function `name`, written `name(x)` everywhere but LaTeX, where it is `latex(x)`.
const fn print(name: &'static str, latex: &'static str) -> Print {
    Print::call(name, latex)
}

/// A ∘ B and A ⊘ B are symmetric when both operands are (or are scalars).
fn both_symmetric(k: &FactsIn) -> bool {
    (k.p(0).symmetric || k.scalar(0)) && (k.p(1).symmetric || k.scalar(1))
}

fn finite(v: Value, what: &str) -> std::result::Result<Value, String> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(v)
    } else {
        Err(format!("{what} is not finite"))
    }
}

/// d(x^k) = k x^(k−1) dx, with the exponent folded when it is a number.
fn power_rule(b: &mut Build, adj: Id, x: Id, k: Id, op: fn([Id; 2]) -> Math) -> Result<Id> {
    let km1 = match b.g.node(k) {
        Math::Num(r) => {
            let r = *r;
            match r.add(Rational::int(-1)) {
                Some(d) if d == Rational::ZERO => None,
                Some(d) => Some(b.g.num(d)?),
                None => {
                    let m1 = b.int(-1)?;
                    Some(b.n(Math::Add([k, m1]))?)
                }
            }
        }
        _ => {
            let m1 = b.int(-1)?;
            Some(b.n(Math::Add([k, m1]))?)
        }
    };
    let deriv = match km1 {
        None => k,
        Some(e) => {
            let p = if matches!(b.g.node(e), Math::Num(r) if *r == Rational::ONE) {
                x
            } else {
                b.n(op([x, e]))?
            };
            b.mul(k, p)?
        }
    };
    b.had(adj, deriv)
}

/// σ' = σ ∘ (1 − σ), given σ.
fn sigmoid_prime(b: &mut Build, s: Id) -> Result<Id> {
    let one = b.int(1)?;
    let ns = b.neg(s)?;
    let oms = b.n(Math::Add([one, ns]))?;
    b.had(s, oms)
}

/// The tangent of `x^k` (or `x.^k`): k x^(k−1) ẋ + x^k log(x) k̇.
fn power_jvp(b: &mut Build, s: &JvpSite, op: fn([Id; 2]) -> Math) -> Result<Option<Id>> {
    let ([x, k], out) = ([s.kids[0], s.kids[1]], s.out);
    let tx = s.dot(0).map(|d| power_rule(b, d, x, k, op)).transpose()?;
    let tk = match s.dot(1) {
        Some(d) => {
            let l = b.n(Math::fun("log", x))?;
            let p = b.had(out, l)?;
            Some(b.mul(d, p)?)
        }
        None => None,
    };
    b.add_opt(tx, tk)
}
