//! Elementwise operations: `.*`, `./`, `/` by a scalar, `^` and `.^`, and the
//! elementwise functions (exp, log, sin, cos, tanh, sqrt, abs, sign, sigmoid,
//! relu, step, softplus, swish), each with its derivative.

use egg::{Id, Language};

use super::linalg::zip;
use super::{Build, DimAlgebra, Mismatch, Sh, Value, binary, broadcast, require_scalar};
use crate::error::Result;
use crate::ir::{Graph, Math};
use crate::rational::Rational;

type Rule<D> = std::result::Result<Sh<D>, Mismatch>;

pub(super) fn shape<A: DimAlgebra>(alg: &mut A, node: &Math, a: &[Sh<A::D>]) -> Option<Rule<A::D>> {
    Some(match node {
        Math::Hadamard(_) | Math::EDiv(_) => broadcast(alg, &a[0], &a[1]),
        Math::Div(_) | Math::EPow(_) => require_scalar(alg, &a[1], 1).map(|_| a[0].clone()),
        Math::Pow(_) => require_scalar(alg, &a[0], 0)
            .and_then(|_| require_scalar(alg, &a[1], 1))
            .map(|_| a[0].clone()),
        n if unary(n).is_some() => Ok(a[0].clone()),
        _ => return None,
    })
}

/// The scalar function of an elementwise node, if it is one.
pub(crate) fn unary(node: &Math) -> Option<fn(f64) -> f64> {
    fn sigmoid(x: f64) -> f64 {
        if x >= 0.0 {
            1.0 / (1.0 + (-x).exp())
        } else {
            x.exp() / (1.0 + x.exp())
        }
    }
    Some(match node {
        Math::Exp(_) => f64::exp,
        Math::Log(_) => f64::ln,
        Math::Sin(_) => f64::sin,
        Math::Cos(_) => f64::cos,
        Math::Tanh(_) => f64::tanh,
        Math::Sqrt(_) => f64::sqrt,
        Math::Abs(_) => f64::abs,
        Math::Sign(_) => |x| {
            if x > 0.0 {
                1.0
            } else if x < 0.0 {
                -1.0
            } else {
                0.0
            }
        },
        Math::Sigmoid(_) => sigmoid,
        Math::Relu(_) => |x| x.max(0.0),
        Math::Step(_) => |x| if x > 0.0 { 1.0 } else { 0.0 },
        Math::Softplus(_) => |x| x.max(0.0) + (-x.abs()).exp().ln_1p(),
        Math::Swish(_) => |x| x * sigmoid(x),
        _ => return None,
    })
}

fn domain(node: &Math, a: &Value) -> std::result::Result<(), String> {
    let bad = match node {
        Math::Log(_) => a
            .iter()
            .any(|&x| x <= 0.0)
            .then_some("the log of a number ≤ 0"),
        Math::Sqrt(_) => a
            .iter()
            .any(|&x| x < 0.0)
            .then_some("the square root of a negative number"),
        _ => None,
    };
    bad.map_or(Ok(()), |m| Err(m.to_string()))
}

fn finite(v: Value, what: &str) -> std::result::Result<Value, String> {
    if v.iter().all(|x| x.is_finite()) {
        Ok(v)
    } else {
        Err(format!("{what} is not finite"))
    }
}

pub(super) fn eval(node: &Math, a: &[&Value]) -> Option<std::result::Result<Value, String>> {
    Some(match node {
        Math::Hadamard(_) => zip(a[0], a[1], |x, y| x * y),
        Math::EDiv(_) => {
            zip(a[0], a[1], |x, y| x / y).and_then(|v| finite(v, "an elementwise division"))
        }
        Math::Div(_) => zip(a[0], a[1], |x, y| x / y).and_then(|v| finite(v, "a division")),
        Math::Pow(_) | Math::EPow(_) => {
            zip(a[0], a[1], f64::powf).and_then(|v| finite(v, "a power"))
        }
        n => {
            let f = unary(n)?;
            domain(n, a[0]).map(|_| a[0].map(f))
        }
    })
}

pub(super) fn vjp(
    g: &mut Graph,
    node: &Math,
    out: Id,
    adj: Id,
    active: &dyn Fn(Id) -> bool,
) -> Option<Result<Vec<(Id, Id)>>> {
    let mut b = Build { g };
    let b = &mut b;
    let r = match *node {
        Math::Hadamard([x, y]) => binary(b, x, y, active, |b| b.had(adj, y), |b| b.had(adj, x)),
        Math::EDiv([x, y]) => binary(
            b,
            x,
            y,
            active,
            |b| b.n(Math::EDiv([adj, y])),
            |b| {
                // ∂(x/y)/∂y = −x/y²
                let num = b.had(adj, x)?;
                let two = b.int(2)?;
                let den = b.n(Math::EPow([y, two]))?;
                let q = b.n(Math::EDiv([num, den]))?;
                b.neg(q)
            },
        ),
        Math::Div([x, s]) => binary(
            b,
            x,
            s,
            active,
            |b| b.n(Math::Div([adj, s])),
            |b| {
                let ip = b.inner(adj, x)?;
                let two = b.int(2)?;
                let s2 = b.n(Math::Pow([s, two]))?;
                let q = b.n(Math::Div([ip, s2]))?;
                b.neg(q)
            },
        ),
        Math::Pow([x, k]) => binary(
            b,
            x,
            k,
            active,
            |b| power_rule(b, adj, x, k, Math::Pow),
            |b| {
                let l = b.n(Math::Log(x))?;
                let p = b.mul(out, l)?;
                b.mul(adj, p)
            },
        ),
        Math::EPow([x, k]) => binary(
            b,
            x,
            k,
            active,
            |b| power_rule(b, adj, x, k, Math::EPow),
            |b| {
                let l = b.n(Math::Log(x))?;
                let p = b.had(out, l)?;
                b.inner(adj, p)
            },
        ),
        ref n => {
            let x = *n.children().first()?;
            unary(n)?;
            if !active(x) {
                return Some(Ok(Vec::new()));
            }
            return Some(
                unary_vjp(b, n, x, out, adj).map(|o| o.map(|c| vec![(x, c)]).unwrap_or_default()),
            );
        }
    };
    Some(r)
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

fn unary_vjp(b: &mut Build, n: &Math, x: Id, out: Id, adj: Id) -> Result<Option<Id>> {
    let one = b.int(1)?;
    let d = match n {
        Math::Exp(_) => out,
        Math::Log(_) => return b.n(Math::EDiv([adj, x])).map(Some),
        Math::Sin(_) => b.n(Math::Cos(x))?,
        Math::Cos(_) => {
            let s = b.n(Math::Sin(x))?;
            b.neg(s)?
        }
        Math::Tanh(_) => {
            // tanh' = 1 − tanh²
            let two = b.int(2)?;
            let sq = b.n(Math::EPow([out, two]))?;
            let nsq = b.neg(sq)?;
            b.n(Math::Add([one, nsq]))?
        }
        Math::Sqrt(_) => {
            let two = b.int(2)?;
            let den = b.mul(two, out)?;
            return b.n(Math::EDiv([adj, den])).map(Some);
        }
        Math::Abs(_) => b.n(Math::Sign(x))?,
        Math::Sign(_) | Math::Step(_) => return Ok(None),
        Math::Sigmoid(_) => sigmoid_prime(b, out)?,
        Math::Relu(_) => b.n(Math::Step(x))?,
        Math::Softplus(_) => b.n(Math::Sigmoid(x))?,
        Math::Swish(_) => {
            // swish' = σ + x ∘ σ(1 − σ)
            let s = b.n(Math::Sigmoid(x))?;
            let sp = sigmoid_prime(b, s)?;
            let xs = b.had(x, sp)?;
            b.n(Math::Add([s, xs]))?
        }
        _ => return Ok(None),
    };
    b.had(adj, d).map(Some)
}

/// σ' = σ ∘ (1 − σ), given σ.
fn sigmoid_prime(b: &mut Build, s: Id) -> Result<Id> {
    let one = b.int(1)?;
    let ns = b.neg(s)?;
    let oms = b.n(Math::Add([one, ns]))?;
    b.had(s, oms)
}
