//! Random well-typed expressions over scalars, vectors and matrices (every primitive,
//! SPD matrices where an inverse or log-determinant needs them, built as
//! S + tanh(M)tanh(M)ᵀ so that their condition stays moderate), for property tests.

use matgrad::numeric::sample::Rng;

/// The declarations every generated expression is typed against.
pub const DECLS: &str = "s, t : scalar; x, y : n; v : m; A, B : n x n; S : spd n x n; C : n x m";

/// The kind of value an expression has.
#[derive(Clone, Copy, PartialEq)]
pub enum Kind {
    Scalar,
    Vec,
    Mat,
}

/// A generator of random expressions.
pub struct Gen {
    /// The random source.
    pub rng: Rng,
}

impl Gen {
    fn pick<'a>(&mut self, xs: &[&'a str]) -> &'a str {
        xs[self.rng.range(0, xs.len() - 1)]
    }

    /// A random expression of a kind, at most `depth` operations deep.
    pub fn expr(&mut self, kind: Kind, depth: usize) -> String {
        if depth == 0 || self.rng.uniform() < 0.2 {
            return self.leaf(kind);
        }
        let d = depth - 1;
        let e = match kind {
            Kind::Scalar => self.scalar(d),
            Kind::Vec => self.vector(d),
            Kind::Mat => self.matrix(d),
        };
        format!("({e})")
    }

    fn leaf(&mut self, kind: Kind) -> String {
        match kind {
            Kind::Scalar => self.pick(&["s", "t", "0.5", "2"]).into(),
            Kind::Vec => self.pick(&["x", "y", "(C*v)"]).into(),
            Kind::Mat => self.pick(&["A", "B", "S", "A'"]).into(),
        }
    }

    fn scalar(&mut self, d: usize) -> String {
        let (a, b) = (self.expr(Kind::Scalar, d), self.expr(Kind::Scalar, d));
        let (u, w) = (self.expr(Kind::Vec, d), self.expr(Kind::Vec, d));
        let m = self.expr(Kind::Mat, d);
        match self.rng.range(0, 18) {
            0 => format!("({a} + {b})"),
            1 => format!("({a} - {b})"),
            2 => format!("({a}*{b})"),
            3 => format!("({a}/({b}^2 + 1))"),
            4 => format!("sin({a})"),
            5 => format!("tanh({a})"),
            6 => format!("sigmoid({a})"),
            7 => format!("log({a}^2 + 1)"),
            8 => format!("sqrt({a}^2 + 1)"),
            9 => format!("({u})'*({w})"),
            10 => format!("tr({m})"),
            11 => format!("sum({u})"),
            12 => format!("norm2({u})"),
            13 => format!("logsumexp({u})"),
            14 => format!("logdet(S + tanh({m})*tanh({m})')"),
            15 => format!("det(tanh({m}))"),
            16 => format!("tr(inv(S + tanh({m})*tanh({m})')*tanh({m}))"),
            17 => format!("norm({u})"),
            _ => format!("exp(tanh({a}))"),
        }
    }

    fn vector(&mut self, d: usize) -> String {
        let (u, w) = (self.expr(Kind::Vec, d), self.expr(Kind::Vec, d));
        let a = self.expr(Kind::Scalar, d);
        let m = self.expr(Kind::Mat, d);
        match self.rng.range(0, 14) {
            0 => format!("({u} + {w})"),
            1 => format!("({u} - {w})"),
            2 => format!("({u} .* {w})"),
            3 => format!("({u} ./ ({w}.^2 + 1))"),
            4 => format!("({m})*({u})"),
            5 => format!("{a}*({u})"),
            6 => format!("tanh({u})"),
            7 => format!("sigmoid({u})"),
            8 => format!("softplus({u})"),
            9 => format!("swish({u})"),
            10 => format!("softmax({u})"),
            11 => format!("diag({m})"),
            12 => format!("cos({u})"),
            13 => format!("relu({u}) + abs({w}) + step({u}) .* {w}"),
            _ => format!("({u}).^2"),
        }
    }

    fn matrix(&mut self, d: usize) -> String {
        let (m, n) = (self.expr(Kind::Mat, d), self.expr(Kind::Mat, d));
        let a = self.expr(Kind::Scalar, d);
        let (u, w) = (self.expr(Kind::Vec, d), self.expr(Kind::Vec, d));
        match self.rng.range(0, 10) {
            0 => format!("({m} + {n})"),
            1 => format!("({m})*({n})"),
            2 => format!("({m})'"),
            3 => format!("{a}*({m})"),
            4 => format!("({m} .* {n})"),
            5 => format!("inv(S + tanh({m})*tanh({m})')"),
            6 => format!("diag({u})"),
            7 => format!("({u})*({w})'"),
            8 => format!("tanh({m})"),
            9 => format!("({m})/({a}^2 + 1) + {a}*I"),
            _ => "C*C'".to_string(),
        }
    }
}
