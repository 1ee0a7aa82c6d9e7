//! Printing expressions: unicode (the default, as a person writes it), ASCII
//! (the input language, which matgrad parses again) and LaTeX.

use egg::{Id, RecExpr};

use crate::ir::Math;
use crate::rational::Rational;

/// An output notation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Notation {
    /// `W(xKᵀ + Kxᵀ)`
    #[default]
    Unicode,
    /// `W*(x*K' + K*x')`, the input language.
    Ascii,
    /// `W \left(x K^\top + K x^\top\right)`
    Latex,
}

const SUM: u8 = 1;
const PROD: u8 = 2;
const NEG: u8 = 3;
const POW: u8 = 4;
const POST: u8 = 5;
const ATOM: u8 = 6;

/// Prints one expression DAG.
pub struct Printer<'a> {
    expr: &'a RecExpr<Math>,
    notation: Notation,
    name: &'a dyn Fn(Id) -> Option<String>,
    scalar: &'a dyn Fn(Id) -> bool,
    /// Keep parentheses of nested products in unicode (to show the evaluation order).
    pub show_order: bool,
}

const GREEK: &[(&str, &str)] = &[
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("epsilon", "ε"),
    ("zeta", "ζ"),
    ("eta", "η"),
    ("theta", "θ"),
    ("iota", "ι"),
    ("kappa", "κ"),
    ("lambda", "λ"),
    ("mu", "μ"),
    ("nu", "ν"),
    ("xi", "ξ"),
    ("omicron", "ο"),
    ("pi", "π"),
    ("rho", "ρ"),
    ("sigma", "σ"),
    ("tau", "τ"),
    ("upsilon", "υ"),
    ("phi", "φ"),
    ("chi", "χ"),
    ("psi", "ψ"),
    ("omega", "ω"),
];

/// A name in the given notation: Greek spelled out becomes a letter in unicode, a command in LaTeX.
pub fn name(n: &str, notation: Notation) -> String {
    let stem: String = n.chars().take_while(|c| c.is_ascii_alphabetic()).collect();
    let rest = &n[stem.len()..];
    let letter = GREEK
        .iter()
        .find(|(w, _)| *w == stem)
        .map(|(w, g)| (*w, *g));
    match notation {
        Notation::Ascii => n.to_string(),
        Notation::Unicode => match letter {
            Some((_, g)) => format!("{g}{rest}"),
            None => n.to_string(),
        },
        Notation::Latex => {
            let base = match letter {
                Some((w, _)) => format!("\\{w}"),
                None => {
                    let from_greek = GREEK.iter().find(|(_, g)| n.starts_with(g));
                    match from_greek {
                        Some((w, g)) => return latex_sub(&format!("\\{w}"), &n[g.len()..]),
                        None => stem.clone(),
                    }
                }
            };
            latex_sub(&base, rest)
        }
    }
}

fn latex_sub(base: &str, rest: &str) -> String {
    let rest = rest.trim_start_matches('_');
    if rest.is_empty() {
        base.to_string()
    } else {
        format!("{base}_{{{rest}}}")
    }
}

fn superscript(k: &Rational) -> Option<String> {
    if !k.is_integer() {
        return None;
    }
    let digits = "⁰¹²³⁴⁵⁶⁷⁸⁹";
    let mut s = String::new();
    for c in k.numer().to_string().chars() {
        s.push(match c {
            '-' => '⁻',
            d => digits.chars().nth(d.to_digit(10)? as usize)?,
        });
    }
    Some(s)
}

impl<'a> Printer<'a> {
    /// A printer over `expr`; `name` gives the helper name of a node (printed instead of it),
    /// `scalar` tells which nodes are scalars.
    pub fn new(
        expr: &'a RecExpr<Math>,
        notation: Notation,
        name: &'a dyn Fn(Id) -> Option<String>,
        scalar: &'a dyn Fn(Id) -> bool,
    ) -> Printer<'a> {
        Printer {
            expr,
            notation,
            name,
            scalar,
            show_order: false,
        }
    }

    /// The text of node `id`.
    pub fn print(&self, id: Id) -> String {
        self.go(id).0
    }

    fn ascii(&self) -> bool {
        self.notation == Notation::Ascii
    }

    fn minus(&self) -> &'static str {
        if self.notation == Notation::Unicode {
            "−"
        } else {
            "-"
        }
    }

    fn at(&self, id: Id, min: u8) -> String {
        let (s, l) = self.go(id);
        if l >= min { s } else { self.paren(&s) }
    }

    fn paren(&self, s: &str) -> String {
        if self.notation == Notation::Latex {
            format!("\\left({s}\\right)")
        } else {
            format!("({s})")
        }
    }

    fn call(&self, f: &str, a: Id) -> (String, u8) {
        let inner = self.go(a).0;
        let f = match (self.notation, f) {
            (Notation::Latex, "exp" | "log" | "sin" | "cos" | "tanh" | "det") => format!("\\{f}"),
            (Notation::Latex, "sigmoid") => "\\sigma".into(),
            (Notation::Latex, "sqrt") => return (format!("\\sqrt{{{inner}}}"), ATOM),
            (Notation::Latex, _) => format!("\\operatorname{{{f}}}"),
            (Notation::Unicode, "sigmoid") => "σ".into(),
            _ => f.to_string(),
        };
        (format!("{f}{}", self.paren(&inner)), ATOM)
    }

    fn num(&self, r: &Rational) -> (String, u8) {
        if self.notation == Notation::Unicode
            && let Some(f) = vulgar(r.numer().abs(), r.denom())
        {
            return if r.numer() < 0 {
                (format!("{}{f}", self.minus()), NEG)
            } else {
                (f.to_string(), ATOM)
            };
        }
        let latex_fraction = self.notation == Notation::Latex && !r.is_integer();
        let decimal = if latex_fraction { None } else { r.decimal() };
        let text = decimal.unwrap_or_else(|| {
            if self.notation == Notation::Latex {
                format!("\\frac{{{}}}{{{}}}", r.numer().abs(), r.denom())
            } else {
                format!("{}/{}", r.numer().abs(), r.denom())
            }
        });
        let text = text.trim_start_matches('-').to_string();
        let level = if r.is_integer() || r.decimal().is_some() || self.notation == Notation::Latex {
            ATOM
        } else {
            PROD
        };
        if r.numer() < 0 {
            (format!("{}{text}", self.minus()), NEG)
        } else {
            (text, level)
        }
    }

    fn go(&self, id: Id) -> (String, u8) {
        if let Some(n) = (self.name)(id) {
            return (name(&n, self.notation), ATOM);
        }
        let uni = self.notation == Notation::Unicode;
        let latex = self.notation == Notation::Latex;
        match &self.expr[id] {
            Math::Num(r) => self.num(r),
            Math::Var(v) => (name(v.as_str(), self.notation), ATOM),
            Math::Dim(d) => (d.0.to_string(), ATOM),
            Math::Eye(_) => ("I".into(), ATOM),
            Math::Add(_) => self.sum(id),
            // −(ab) = (−a)b, so a product needs no parentheses after a minus sign.
            Math::Neg(a) => (format!("{}{}", self.minus(), self.at(*a, PROD)), NEG),
            Math::Mul([a, b]) => self.product(*a, *b),
            Math::Hadamard([a, b]) => {
                let op = match self.notation {
                    Notation::Ascii => " .* ",
                    Notation::Unicode => " ∘ ",
                    Notation::Latex => " \\odot ",
                };
                (
                    format!("{}{op}{}", self.at(*a, PROD), self.at(*b, NEG)),
                    PROD,
                )
            }
            Math::Div([a, b]) if latex => (
                format!("\\frac{{{}}}{{{}}}", self.go(*a).0, self.go(*b).0),
                ATOM,
            ),
            Math::Div([a, b]) => (format!("{}/{}", self.at(*a, PROD), self.at(*b, NEG)), PROD),
            Math::EDiv([a, b]) => {
                let op = match self.notation {
                    Notation::Ascii => " ./ ",
                    Notation::Unicode => " ⊘ ",
                    Notation::Latex => " \\oslash ",
                };
                (
                    format!("{}{op}{}", self.at(*a, PROD), self.at(*b, NEG)),
                    PROD,
                )
            }
            Math::Pow([a, k]) | Math::EPow([a, k]) | Math::MatPow([a, k]) => {
                let elementwise = matches!(self.expr[id], Math::EPow(_));
                let base = self.at(*a, POST);
                let kr = match &self.expr[*k] {
                    Math::Num(r) => Some(*r),
                    _ => None,
                };
                let circ = if elementwise { "∘" } else { "" };
                match (self.notation, kr.as_ref().and_then(superscript)) {
                    // POW, not POST: a transpose or inverse of a power brackets it, (X²)ᵀ.
                    // (X⁻¹)³ is X⁻³.
                    (Notation::Unicode, Some(sup))
                        if matches!(self.expr[id], Math::MatPow(_))
                            && matches!(self.expr[*a], Math::Inv(_))
                            && (self.name)(*a).is_none() =>
                    {
                        let Math::Inv(b) = self.expr[*a] else {
                            unreachable!()
                        };
                        (format!("{}⁻{sup}", self.at(b, POST)), POW)
                    }
                    (Notation::Unicode, Some(sup)) => (format!("{base}{circ}{sup}"), POW),
                    (Notation::Latex, _) => {
                        let c = if elementwise { "\\circ " } else { "" };
                        (format!("{base}^{{{c}{}}}", self.go(*k).0), POW)
                    }
                    _ => {
                        let op = if elementwise { ".^" } else { "^" };
                        (format!("{base}{op}{}", self.at(*k, POW)), POW)
                    }
                }
            }
            Math::Transpose(a) => {
                if let Math::Inv(b) = &self.expr[*a]
                    && !self.ascii()
                    && (self.name)(*a).is_none()
                {
                    let sup = if uni { "⁻ᵀ" } else { "^{-\\top}" };
                    return (format!("{}{sup}", self.at(*b, POST)), POST);
                }
                let sup = match self.notation {
                    Notation::Ascii => "'",
                    Notation::Unicode => "ᵀ",
                    Notation::Latex => "^\\top",
                };
                (format!("{}{sup}", self.at(*a, POST)), POST)
            }
            Math::Inv(a) => match self.notation {
                Notation::Ascii => self.call("inv", *a),
                Notation::Unicode => (format!("{}⁻¹", self.at(*a, POST)), POST),
                Notation::Latex => (format!("{}^{{-1}}", self.at(*a, POST)), POST),
            },
            Math::Trace(a) => self.call("tr", *a),
            Math::Det(a) => self.call("det", *a),
            Math::LogDet(a) => self.call(if latex { "log det" } else { "logdet" }, *a),
            Math::Norm2(a) => match self.notation {
                Notation::Ascii => self.call("norm2", *a),
                Notation::Unicode => (format!("‖{}‖²", self.go(*a).0), ATOM),
                Notation::Latex => (format!("\\lVert {} \\rVert^2", self.go(*a).0), ATOM),
            },
            Math::Norm(a) => match self.notation {
                Notation::Ascii => self.call("norm", *a),
                Notation::Unicode => (format!("‖{}‖", self.go(*a).0), ATOM),
                Notation::Latex => (format!("\\lVert {} \\rVert", self.go(*a).0), ATOM),
            },
            Math::Sum(a) => self.call("sum", *a),
            Math::DiagM(a) | Math::DiagV(a) => self.call("diag", *a),
            Math::Ones(a) => self.call("ones", *a),
            Math::Exp(a) => self.call("exp", *a),
            Math::Log(a) => self.call("log", *a),
            Math::Sin(a) => self.call("sin", *a),
            Math::Cos(a) => self.call("cos", *a),
            Math::Tanh(a) => self.call("tanh", *a),
            Math::Sqrt(a) => self.call("sqrt", *a),
            Math::Abs(a) => self.call("abs", *a),
            Math::Sign(a) => self.call("sign", *a),
            Math::Sigmoid(a) => self.call("sigmoid", *a),
            Math::Relu(a) => self.call("relu", *a),
            Math::Step(a) => self.call("step", *a),
            Math::Softplus(a) => self.call("softplus", *a),
            Math::Swish(a) => self.call("swish", *a),
            Math::Softmax(a) => self.call("softmax", *a),
            Math::LogSumExp(a) => self.call("logsumexp", *a),
        }
    }

    /// The terms of a sum, left to right.
    fn terms(&self, id: Id, out: &mut Vec<Id>) {
        match &self.expr[id] {
            Math::Add([a, b]) if (self.name)(id).is_none() => {
                self.terms(*a, out);
                self.terms(*b, out);
            }
            _ => out.push(id),
        }
    }

    /// A term without its sign: (negative, text).
    fn unsigned(&self, id: Id) -> (bool, String) {
        if (self.name)(id).is_none() {
            match &self.expr[id] {
                Math::Neg(a) => return (true, self.at(*a, SUM + 1)),
                Math::Num(r) if r.numer() < 0 => return (true, self.num(&r.neg()).0),
                // (−c)·x reads as the subtraction of c·x.
                Math::Mul([a, b]) => {
                    if let Math::Num(r) = &self.expr[*a]
                        && r.numer() < 0
                        && (self.name)(*a).is_none()
                    {
                        let c = r.neg();
                        if c == Rational::ONE {
                            return (true, self.at(*b, SUM + 1));
                        }
                        return (true, self.join(&self.num(&c).0, true, *b));
                    }
                }
                _ => {}
            }
        }
        (false, self.at(id, SUM + 1))
    }

    fn sum(&self, id: Id) -> (String, u8) {
        let mut ts = Vec::new();
        self.terms(id, &mut ts);
        // Lead with a positive term where there is one: `a − b`, not `−b + a`.
        if let Some(i) = ts.iter().position(|t| !self.unsigned(*t).0) {
            ts[..=i].rotate_right(1);
        }
        let mut s = String::new();
        for (i, t) in ts.iter().enumerate() {
            let (neg, text) = self.unsigned(*t);
            match (i, neg) {
                (0, false) => s.push_str(&text),
                (0, true) => s.push_str(&format!("{}{text}", self.minus())),
                (_, false) => s.push_str(&format!(" + {text}")),
                (_, true) => s.push_str(&format!(" {} {text}", self.minus())),
            }
        }
        (s, SUM)
    }

    /// A factor of a product: parentheses where precedence needs them; nested products
    /// need none in unicode and LaTeX (a product is associative) unless the order is shown.
    fn factor(&self, id: Id, right: bool) -> String {
        if self.notation == Notation::Ascii {
            return self.at(id, if right { NEG } else { PROD });
        }
        let (s, l) = self.go(id);
        let nested = matches!(self.expr[id], Math::Mul(_)) && (self.name)(id).is_none();
        if nested && !self.show_order || l > NEG || (l == NEG && !right) {
            s
        } else {
            self.paren(&s)
        }
    }

    fn product(&self, a: Id, b: Id) -> (String, u8) {
        let l = self.factor(a, false);
        (self.join(&l, (self.scalar)(a), b), PROD)
    }

    /// `l` times node `b`: `l*b` in ASCII, juxtaposed otherwise, with a space or a dot
    /// where the two would run together (`W1 x`, `2·3`, `αD K⁻¹X`).
    fn join(&self, l: &str, l_scalar: bool, b: Id) -> String {
        let r = self.factor(b, true);
        match self.notation {
            Notation::Ascii => return format!("{l}*{r}"),
            Notation::Latex => return format!("{l} {r}"),
            Notation::Unicode => {}
        }
        let last = l.chars().last().unwrap_or(' ');
        let first = r.chars().next().unwrap_or(' ');
        let number = l.chars().all(|c| c.is_ascii_digit() || c == '.');
        let sep = if last.is_ascii_digit() && first.is_ascii_digit() {
            "·"
        } else if (last.is_ascii_digit() && !number && first.is_alphanumeric())
            || (last.is_alphanumeric() && first.is_ascii_digit())
            || (l_scalar
                && !number
                && !(self.scalar)(b)
                && l.chars().count() > 1
                && first != '('
                && last != ')')
        {
            " "
        } else {
            ""
        };
        format!("{l}{sep}{r}")
    }
}

/// The Unicode character of a common fraction (½, ⅓, ¼, ...), as a textbook writes it.
fn vulgar(num: i128, den: i128) -> Option<char> {
    Some(match (num, den) {
        (1, 2) => '½',
        (1, 3) => '⅓',
        (2, 3) => '⅔',
        (1, 4) => '¼',
        (3, 4) => '¾',
        (1, 5) => '⅕',
        (1, 6) => '⅙',
        (1, 8) => '⅛',
        _ => return None,
    })
}
