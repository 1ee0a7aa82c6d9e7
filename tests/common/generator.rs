//! The one generator of random well-typed expressions, driven by grammars kept as
//! data: each grammar lists, for scalars, vectors and n×n matrices, its leaves and its
//! productions as templates. In a template `{p}` and `{q}` stand for scalar
//! subexpressions, `{u}` and `{w}` for vectors, `{m}` and `{n}` for matrices (a name
//! used twice is the same subexpression), `{spd}` for an SPD matrix built as
//! `S + tanh(M)tanh(M)ᵀ` (so that inverses and log-determinants exist and stay
//! moderately conditioned) and `{many}` for a sum of 3 to 12 terms of the production's
//! own kind (coefficients: numbers and the first scalar leaf). Subexpressions are drawn when a template first names them.
//!
//! The grammars: [`PROPS`] (gradients, claims and read-back), [`FUZZ`] (the
//! differential fuzzer: identities, `I ± B`, nested inverses, long sums), [`JACOBIAN`]
//! (vector-valued functions) and [`HESSIAN`] (over a matrix X, a vector x and a scalar s).

use matgrad::numeric::sample::Rng;

/// What an expression evaluates to.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    /// A scalar.
    Scalar,
    /// A column vector of length n.
    Vec,
    /// An n×n matrix.
    Mat,
}

impl Kind {
    fn index(self) -> usize {
        match self {
            Kind::Scalar => 0,
            Kind::Vec => 1,
            Kind::Mat => 2,
        }
    }
}

/// A grammar: declarations, leaves and productions by kind (scalar, vector, matrix).
pub struct Grammar {
    /// The declarations its names need.
    pub decls: &'static str,
    /// The chance that a subexpression above depth 0 is a leaf.
    pub leaf_chance: f64,
    /// Leaves by kind.
    pub leaves: [&'static [&'static str]; 3],
    /// Productions by kind, as templates.
    pub rules: [&'static [&'static str]; 3],
}

/// Gradients of scalar objectives, claims, printing and reading back.
pub const PROPS: Grammar = Grammar {
    decls: "s, t : scalar; x, y : n; v : m; A, B : n x n; S : spd n x n; C : n x m",
    leaf_chance: 0.2,
    leaves: [
        &["s", "t", "0.5", "2"],
        &["x", "y", "(C*v)"],
        &["A", "B", "S", "A'"],
    ],
    rules: [
        &[
            "({p} + {q})",
            "({p} - {q})",
            "({p}*{q})",
            "({p}/({q}^2 + 1))",
            "sin({p})",
            "tanh({p})",
            "sigmoid({p})",
            "log({p}^2 + 1)",
            "sqrt({p}^2 + 1)",
            "({u})'*({w})",
            "tr({m})",
            "sum({u})",
            "norm2({u})",
            "logsumexp({u})",
            "logdet({spd})",
            "det(tanh({m}))",
            "tr(inv({spd})*tanh({m}))",
            "norm({u})",
            "exp(tanh({p}))",
        ],
        &[
            "({u} + {w})",
            "({u} - {w})",
            "({u} .* {w})",
            "({u} ./ ({w}.^2 + 1))",
            "({m})*({u})",
            "{p}*({u})",
            "tanh({u})",
            "sigmoid({u})",
            "softplus({u})",
            "swish({u})",
            "softmax({u})",
            "diag({m})",
            "cos({u})",
            "relu({u}) + abs({w}) + step({u}) .* {w}",
            "({u}).^2",
        ],
        &[
            "({m} + {n})",
            "({m})*({n})",
            "({m})'",
            "{p}*({m})",
            "({m} .* {n})",
            "inv({spd})",
            "diag({u})",
            "({u})*({w})'",
            "tanh({m})",
            "({m})/({p}^2 + 1) + {p}*I",
            "C*C'",
        ],
    ],
};

/// The differential fuzzer's: identities, `I ± B`, scalars times matrices, nested
/// inverses, elementwise algebra and sums of many terms.
pub const FUZZ: Grammar = Grammar {
    decls: "a, b : scalar; x, y : n; v : m; A, B : n x n; S : spd n x n; C : n x m",
    leaf_chance: 0.25,
    leaves: [
        &["a", "b", "0.5", "2", "3", "(-1)"],
        &["x", "y", "(C*v)", "(x - y)"],
        &["A", "B", "S", "A'", "I", "(I + B)", "(I - B)", "(C*C')"],
    ],
    rules: [
        &[
            "({p} + {q})",
            "({p} - {q})",
            "({p}*{q})",
            "({p}/({q}^2 + 1))",
            "sin({p})",
            "tanh({p})",
            "sigmoid({p})",
            "log({p}^2 + 1)",
            "sqrt({p}^2 + 1)",
            "({u})'*({w})",
            "tr({m})",
            "sum({u})",
            "norm2({u})",
            "logsumexp({u})",
            "logdet({spd})",
            "tr(inv({spd})*{m})",
            "({u})'*({m})*({w})",
            "tr(({m})*({m})')",
            "({many})",
            "sum(({u}) .* ({w}) ./ (({u}).^2 + 1))",
            "det(I + tanh({m})/4)",
            "exp(tanh({p}))",
        ],
        &[
            "({u} + {w})",
            "({u} - {w})",
            "({u} .* {w})",
            "({u} ./ (({w}).^2 + 1))",
            "({m})*({u})",
            "{p}*({u})",
            "tanh({u})",
            "sigmoid({u})",
            "softplus({u})",
            "softmax({u})",
            "diag({m})",
            "({u} + {p})",
            "inv({spd})*({u})",
            "({many})",
            "exp(-({u}) .* ({u}))",
            "({u}).^2",
            "(({u})/({p}^2 + 1))",
        ],
        &[
            "({m} + {n})",
            "({m})*({n})",
            "({m})'",
            "{p}*({m})",
            "({m} .* {n})",
            "inv({spd})",
            "inv(I + inv({spd}))",
            "diag({u})",
            "({u})*({w})'",
            "(I + {p}*{m})",
            "(I - ({m})/({p}^2 + 2))",
            "({many})",
            "(({m}) + {p})",
            "tanh({m})",
            "({m})/({p}^2 + 1)",
        ],
    ],
};

/// Vector-valued functions (their Jacobians), with some scalar, row and matrix ones.
pub const JACOBIAN: Grammar = Grammar {
    decls: "s, t : scalar; x, y : n; v : m; A, B : n x n; S : spd n x n; C : n x m",
    leaf_chance: 0.2,
    leaves: [
        &["s", "t", "0.5", "2"],
        &["x", "x", "y", "(C*v)"],
        &["A", "B", "S", "A'"],
    ],
    rules: [
        &[
            "({p}*{q})",
            "sin({p})",
            "tanh({p})",
            "({u})'*({w})",
            "tr({m})",
            "sum({u})",
            "norm2({u})",
            "logsumexp({u})",
            "norm({u})",
            "sqrt({p}^2 + 1)",
        ],
        &[
            "({u} + {w})",
            "({u} - {w})",
            "({u} .* {w})",
            "({u} ./ ({w}.^2 + 1))",
            "({m})*({u})",
            "{p}*({u})",
            "tanh({u})",
            "sigmoid({u})",
            "softplus({u})",
            "swish({u})",
            "softmax({u})",
            "diag({m})",
            "cos({u})",
            "(relu({u}) + abs({w}))",
            "({u} + {p})",
            "({u}).^2",
        ],
        &[
            "({m} + {n})",
            "({m})*({n})",
            "({m})'",
            "{p}*({m})",
            "({m} .* {n})",
            "inv({spd})",
            "diag({u})",
            "({u})*({w})'",
            "tanh({m})",
            "({m})/({p}^2 + 1) + {p}*I",
        ],
    ],
};

/// Second derivatives: over a matrix X, a vector x and a scalar s, with products,
/// inverses of SPD-shifted matrices, traces, log-determinants, smooth elementwise
/// functions and reductions; every subexpression above depth 0 is a production.
pub const HESSIAN: Grammar = Grammar {
    decls: "X : n x n; A : n x n; S : spd n x n; x, y : n; s : scalar",
    leaf_chance: 0.0,
    leaves: [
        &["s", "tr(X)", "x'*y", "sum(x)"],
        &["x", "y", "X*x", "s*x"],
        &["X", "A", "X'", "s*X"],
    ],
    rules: [
        &[
            "tr({m})",
            "({u})'*A*({u})",
            "logdet(S + ({m})*({m})')",
            "norm2({m})",
            "sin({p})",
            "({p})*({p})",
            "logsumexp({u})",
            "sum(tanh({u}))",
            "tr(inv(S + ({m})*({m})')*A)",
        ],
        &[
            "({m})*({u})",
            "({u}) .* ({u})",
            "sigmoid({u})",
            "({p})*({u})",
            "softmax({u})",
            "({m})'*({u}) + y",
            "exp(tanh({u}))",
        ],
        &[
            "({m})*({m})",
            "inv(S + ({m})*({m})')",
            "({u})*({u})'",
            "tanh({m})",
            "({p})*({m}) + A",
            "({m}) .* X",
            "({m})'",
        ],
    ],
};

/// Draws expressions of a grammar.
pub struct Gen {
    /// The random stream (also for the callers' own choices: depths, points).
    pub rng: Rng,
    grammar: &'static Grammar,
}

impl Gen {
    /// A generator of `grammar`'s expressions from `seed`.
    pub fn new(grammar: &'static Grammar, seed: u64) -> Gen {
        Gen {
            rng: Rng::new(seed),
            grammar,
        }
    }

    /// One of `xs`.
    pub fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.range(0, xs.len() - 1)]
    }

    /// An expression of `kind`, nested at most `depth` productions deep.
    pub fn expr(&mut self, kind: Kind, depth: usize) -> String {
        let g = self.grammar;
        if depth == 0 || self.rng.uniform() < g.leaf_chance {
            return self.pick(g.leaves[kind.index()]).into();
        }
        let rule = self.pick(g.rules[kind.index()]);
        format!("({})", self.fill(rule, kind, depth - 1))
    }

    /// `template` with its placeholders drawn at depth `d`.
    fn fill(&mut self, template: &str, kind: Kind, d: usize) -> String {
        let mut drawn: Vec<(&str, String)> = Vec::new();
        let mut out = String::new();
        let mut rest = template;
        while let Some(open) = rest.find('{') {
            out.push_str(&rest[..open]);
            let close = open + rest[open..].find('}').expect("a closed placeholder");
            let name = &rest[open + 1..close];
            rest = &rest[close + 1..];
            if let Some((_, e)) = drawn.iter().find(|(n, _)| *n == name) {
                out.push_str(e);
                continue;
            }
            let e = match name {
                "p" | "q" => self.expr(Kind::Scalar, d),
                "u" | "w" => self.expr(Kind::Vec, d),
                "m" | "n" => self.expr(Kind::Mat, d),
                "spd" => {
                    let m = self.expr(Kind::Mat, d);
                    format!("(S + tanh({m})*tanh({m})')")
                }
                "many" => self.many_terms(kind, d),
                other => panic!("unknown placeholder {{{other}}} in {template}"),
            };
            out.push_str(&e);
            drawn.push((name, e));
        }
        out.push_str(rest);
        out
    }

    /// A sum of 3 to 12 terms of `kind`, each with a small coefficient.
    fn many_terms(&mut self, kind: Kind, d: usize) -> String {
        let k = self.rng.range(3, 12);
        let name = format!("{}*", self.grammar.leaves[0][0]);
        (0..k)
            .map(|_| {
                let c = self.pick(&["", "2*", &name, "-", "0.5*"]);
                format!("{c}{}", self.expr(kind, d.min(1)))
            })
            .collect::<Vec<_>>()
            .join(" + ")
            .replace("+ -", "- ")
    }
}
