//! Reductions and vector maps: sum, norm2, norm, softmax, logsumexp, diag (both
//! ways) and ones(A).

use super::registry::{
    Code, Derivative, Diff, Domain, Primitive, Print, ShapeRule, Spelling, VjpSite, free, no_facts,
    per_entry, reduction,
};
use super::{Build, Value};
use crate::error::Result;
use crate::ir::Math;
use crate::structure::Props;
use egg::Id;

/// The adjoint of the one operand, when it is active.
fn one(
    s: &VjpSite,
    b: &mut Build,
    f: fn(&mut Build, Id, Id, Id) -> Result<Id>,
) -> Result<Vec<(Id, Id)>> {
    let x = s.kids[0];
    if !(s.active)(x) {
        return Ok(Vec::new());
    }
    Ok(vec![(x, f(b, x, s.out, s.adj)?)])
}

/// The reductions and vector maps.
pub(super) static PRIMITIVES: &[Primitive] = &[
    Primitive {
        op: "sum",
        names: &["sum"],
        arity: 1,
        shape: ShapeRule::ToScalar,
        eval: |a| Ok(scalar(a[0].sum())),
        diff: Diff::Rule {
            vjp: |b, s| {
                one(s, b, |b, x, _, adj| {
                    if b.scalar(x) {
                        Ok(adj)
                    } else {
                        let ones = b.n(Math::Ones(x))?;
                        b.mul(adj, ones)
                    }
                })
            },
            jvp: |b, s| {
                s.dot(0)
                    .map(|d| {
                        if b.scalar(s.kids[0]) {
                            Ok(d)
                        } else {
                            b.n(Math::Sum(d))
                        }
                    })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "∂ sum(X) = ones(X)",
            source: "linearity",
        },
        flops: reduction,
        facts: no_facts,
        domain: &[Domain::General],
        print: Print::call("sum", "\\operatorname{sum}"),
        code: Code {
            numpy: "np.sum({0})",
            torch: "torch.sum({0})",
            jax: "jnp.sum({0})",
            rust: "{0}.sum()",
        },
    },
    Primitive {
        op: "norm2",
        names: &["norm2"],
        arity: 1,
        shape: ShapeRule::ToScalar,
        eval: |a| Ok(scalar(a[0].norm_squared())),
        diff: Diff::Rule {
            vjp: |b, s| {
                one(s, b, |b, x, _, adj| {
                    let two = b.int(2)?;
                    let s = b.mul(two, adj)?;
                    b.mul(s, x)
                })
            },
            jvp: |b, s| {
                s.dot(0)
                    .map(|d| {
                        // d‖X‖² = 2⟨X, Ẋ⟩
                        let two = b.int(2)?;
                        let ip = b.inner(s.kids[0], d)?;
                        b.mul(two, ip)
                    })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "∂‖X‖² = 2X",
            source: "Matrix Cookbook eq. 103",
        },
        flops: reduction,
        facts: no_facts,
        domain: &[Domain::General],
        print: Print {
            unicode: Spelling::Wrap("‖", "‖²"),
            ascii: Spelling::Call("norm2"),
            latex: Spelling::Wrap("\\lVert ", " \\rVert^2"),
        },
        code: Code {
            numpy: "np.sum({0} ** 2)",
            torch: "torch.sum({0} ** 2)",
            jax: "jnp.sum({0} ** 2)",
            rust: "{0}.norm_squared()",
        },
    },
    Primitive {
        op: "norm",
        names: &["norm"],
        arity: 1,
        shape: ShapeRule::ToScalar,
        eval: |a| Ok(scalar(a[0].norm())),
        diff: Diff::Rule {
            vjp: |b, s| {
                one(s, b, |b, x, out, adj| {
                    let p = b.mul(adj, x)?;
                    b.n(Math::Div([p, out]))
                })
            },
            jvp: |b, s| {
                s.dot(0)
                    .map(|d| {
                        let ip = b.inner(s.kids[0], d)?;
                        b.n(Math::Div([ip, s.out]))
                    })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "∂‖X‖ = X/‖X‖",
            source: "Matrix Cookbook eq. 103 and the chain rule",
        },
        flops: reduction,
        facts: no_facts,
        domain: &[Domain::General],
        print: Print {
            unicode: Spelling::Wrap("‖", "‖"),
            ascii: Spelling::Call("norm"),
            latex: Spelling::Wrap("\\lVert ", " \\rVert"),
        },
        code: Code {
            numpy: "np.linalg.norm({0})",
            torch: "torch.linalg.norm({0})",
            jax: "jnp.linalg.norm({0})",
            rust: "{0}.norm()",
        },
    },
    Primitive {
        op: "softmax",
        names: &["softmax"],
        arity: 1,
        shape: ShapeRule::Vector,
        eval: |a| column(a[0], "softmax").map(|_| softmax(a[0])),
        diff: Diff::Rule {
            vjp: |b, s| {
                one(s, b, |b, _, out, adj| {
                    // J = diag(s) − ssᵀ, so Jᵀg = s ∘ (g − sᵀg): no n×n matrix.
                    let sg = b.inner(out, adj)?;
                    let nsg = b.neg(sg)?;
                    let d = b.n(Math::Add([adj, nsg]))?;
                    b.had(out, d)
                })
            },
            jvp: |b, s| {
                s.dot(0)
                    .map(|d| {
                        // J = diag(s) − ssᵀ: J ẋ = s ∘ (ẋ − sᵀẋ)
                        let sd = b.inner(s.out, d)?;
                        let nsd = b.neg(sd)?;
                        let e = b.n(Math::Add([d, nsd]))?;
                        b.had(s.out, e)
                    })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "∂ softmax(x) = diag(s) − ssᵀ, s = softmax(x)",
            source: "calculus",
        },
        flops: |out, _| 3.0 * out.0 * out.1,
        facts: |_| Props {
            positive: true,
            ..Props::default()
        },
        domain: &[Domain::General],
        print: Print::call("softmax", "\\operatorname{softmax}"),
        code: Code {
            numpy: "scipy.special.softmax({0})",
            torch: "torch.softmax({0}, dim=0)",
            jax: "jax.nn.softmax({0}, axis=0)",
            rust: "softmax(&{0})",
        },
    },
    Primitive {
        op: "logsumexp",
        names: &["logsumexp"],
        arity: 1,
        shape: ShapeRule::VectorToScalar,
        eval: |a| column(a[0], "logsumexp").map(|_| scalar(logsumexp(a[0]))),
        diff: Diff::Rule {
            vjp: |b, s| {
                one(s, b, |b, x, _, adj| {
                    let s = b.n(Math::Softmax(x))?;
                    b.mul(adj, s)
                })
            },
            jvp: |b, s| {
                s.dot(0)
                    .map(|d| {
                        let sm = b.n(Math::Softmax(s.kids[0]))?;
                        b.inner(sm, d)
                    })
                    .transpose()
            },
        },
        derivative: Derivative {
            identity: "∂ logsumexp(x) = softmax(x)",
            source: "calculus",
        },
        flops: reduction,
        facts: no_facts,
        domain: &[Domain::General],
        print: Print::call("logsumexp", "\\operatorname{logsumexp}"),
        code: Code {
            numpy: "scipy.special.logsumexp({0})",
            torch: "torch.logsumexp({0}, dim=0)",
            jax: "jax.scipy.special.logsumexp({0})",
            rust: "logsumexp(&{0})",
        },
    },
    Primitive {
        op: "diagm",
        names: &["diag"],
        arity: 1,
        shape: ShapeRule::VectorToDiagonal,
        eval: |a| column(a[0], "diag").map(|_| Value::from_diagonal(&a[0].column(0).into_owned())),
        diff: Diff::Rule {
            vjp: |b, s| one(s, b, |b, _, _, adj| b.n(Math::DiagV(adj))),
            jvp: |b, s| s.dot(0).map(|d| b.n(Math::DiagM(d))).transpose(),
        },
        derivative: Derivative {
            identity: "d diag(v) = diag(dv)",
            source: "linearity",
        },
        flops: per_entry,
        facts: |k| Props {
            symmetric: true,
            spd: k.p(0).positive,
            diagonal: true,
            ..Props::default()
        },
        domain: &[Domain::General],
        print: Print::call("diag", "\\operatorname{diag}"),
        code: Code {
            numpy: "np.diag({0}.ravel())",
            torch: "torch.diag({0}.flatten())",
            jax: "jnp.diag({0}.ravel())",
            rust: "DMatrix::from_diagonal(&{0}.column(0))",
        },
    },
    Primitive {
        op: "diagv",
        names: &["diag"],
        arity: 1,
        shape: ShapeRule::SquareToVector,
        eval: |a| {
            if a[0].is_square() {
                Ok(Value::from_column_slice(
                    a[0].nrows(),
                    1,
                    a[0].diagonal().as_slice(),
                ))
            } else {
                Err("diag of a non-square matrix".into())
            }
        },
        diff: Diff::Rule {
            vjp: |b, s| one(s, b, |b, _, _, adj| b.n(Math::DiagM(adj))),
            jvp: |b, s| s.dot(0).map(|d| b.n(Math::DiagV(d))).transpose(),
        },
        derivative: Derivative {
            identity: "d diag(A) = diag(dA)",
            source: "linearity",
        },
        flops: |_, a| a[0].0,
        facts: no_facts,
        domain: &[Domain::General],
        print: Print::call("diag", "\\operatorname{diag}"),
        code: Code {
            numpy: "np.diag({0})[:, None]",
            torch: "torch.diagonal({0})[:, None]",
            jax: "jnp.diag({0})[:, None]",
            rust: "DMatrix::from_column_slice({0}.nrows(), 1, {0}.diagonal().as_slice())",
        },
    },
    Primitive {
        op: "ones",
        names: &["ones"],
        arity: 1,
        shape: ShapeRule::Same,
        eval: |a| Ok(a[0].map(|_| 1.0)),
        diff: Diff::Rule {
            vjp: |_, _| Ok(Vec::new()),
            jvp: |_, _| Ok(None),
        },
        derivative: Derivative {
            identity: "ones(A) depends on the shape of A only: its derivative is 0",
            source: "definition",
        },
        flops: free,
        facts: |k| Props {
            positive: true,
            symmetric: k.square,
            ..Props::default()
        },
        domain: &[Domain::General],
        print: Print::call("ones", "\\operatorname{ones}"),
        code: Code {
            numpy: "np.ones_like({0})",
            torch: "torch.ones_like({0})",
            jax: "jnp.ones_like({0})",
            rust: "{0}.map(|_| 1.0)",
        },
    },
];

fn scalar(x: f64) -> Value {
    Value::from_element(1, 1, x)
}

fn column(a: &Value, what: &str) -> std::result::Result<(), String> {
    if a.ncols() == 1 {
        Ok(())
    } else {
        Err(format!(
            "{what} of a {}×{} matrix, not a vector",
            a.nrows(),
            a.ncols()
        ))
    }
}

/// Softmax with the maximum subtracted first.
pub(crate) fn softmax(v: &Value) -> Value {
    let m = v.max();
    let e = v.map(|x| (x - m).exp());
    let s = e.sum();
    e / s
}

fn logsumexp(v: &Value) -> f64 {
    let m = v.max();
    m + v.map(|x| (x - m).exp()).sum().ln()
}
