//! Printing expressions: unicode (the default, as a person writes it), ASCII
//! (the input language, which matgrad parses again) and LaTeX.

use std::cell::Cell;

use egg::{Id, Language, RecExpr};

use crate::ir::Math;
use crate::names::GREEK;
use crate::ops::{Spelling, registry};
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
    /// Whether the node printed next has its size fixed by a neighbour (`A + I`), so
    /// that an identity needs no size; read and reset by each node.
    sized: Cell<bool>,
    /// Print the names given by `name` as they are (already in the notation).
    pub verbatim: bool,
}

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
            sized: Cell::new(false),
            verbatim: false,
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

    /// The base of a superscript: in LaTeX a base that ends in a superscript is
    /// braced (`{W^\top}^\top`), since TeX refuses a double superscript.
    fn base(&self, id: Id) -> String {
        let s = self.at(id, POST);
        if self.notation == Notation::Latex && (self.name)(id).is_none() {
            let sup = matches!(
                self.expr[id],
                Math::Transpose(_)
                    | Math::Inv(_)
                    | Math::Pow(_)
                    | Math::EPow(_)
                    | Math::MatPow(_)
                    | Math::Norm2(_)
            );
            if sup {
                return format!("{{{s}}}");
            }
        }
        s
    }

    fn paren(&self, s: &str) -> String {
        if self.notation == Notation::Latex {
            format!("\\left({s}\\right)")
        } else {
            format!("({s})")
        }
    }

    /// An operation as its registry entry spells it in this notation (`None`: the
    /// printer's own rules write it).
    fn spelled(&self, node: &Math, sized: bool) -> Option<(String, u8)> {
        // (Xᵀ)⁻¹ is X⁻ᵀ, as (X⁻¹)ᵀ is.
        if let Math::Inv(a) = node
            && let Math::Transpose(b) = &self.expr[*a]
            && !self.ascii()
            && (self.name)(*a).is_none()
        {
            let sup = if self.notation == Notation::Unicode {
                "⁻ᵀ"
            } else {
                "^{-\\top}"
            };
            return Some((format!("{}{sup}", self.at(*b, POST)), POST));
        }
        let p = registry::of(node)?;
        let spelling = match self.notation {
            Notation::Unicode => p.print.unicode,
            Notation::Ascii => p.print.ascii,
            Notation::Latex => p.print.latex,
        };
        let kids = node.children();
        Some(match spelling {
            Spelling::Call(f) => (format!("{f}{}", self.paren(&self.go(kids[0]).0)), ATOM),
            Spelling::Wrap(l, r) => (format!("{l}{}{r}", self.go(kids[0]).0), ATOM),
            Spelling::Postfix(s) => (format!("{}{s}", self.with(sized).at(kids[0], POST)), POST),
            Spelling::Infix(op) => {
                let (a, b) = (kids[0], kids[1]);
                let (sa, sb) = (sized || self.fixes_size(b), sized || self.fixes_size(a));
                (
                    format!(
                        "{}{op}{}",
                        self.with(sa).at(a, PROD),
                        self.with(sb).at(b, NEG)
                    ),
                    PROD,
                )
            }
            Spelling::Printer => return None,
        })
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
        match (r.numer() < 0, level) {
            // `-1/3` is `(-1)/3`: a quotient, which binds like a product.
            (true, PROD) => (format!("{}{text}", self.minus()), PROD),
            (true, _) => (format!("{}{text}", self.minus()), NEG),
            (false, _) => (text, level),
        }
    }

    /// Whether a node is an identity up to a scalar factor, whose size only its
    /// neighbours can tell.
    fn identity_like(&self, id: Id) -> bool {
        if (self.name)(id).is_some() {
            return false;
        }
        match &self.expr[id] {
            Math::Eye(_) => true,
            Math::Neg(a) | Math::Transpose(a) | Math::Inv(a) => self.identity_like(*a),
            Math::Div([a, b]) => (self.scalar)(*b) && self.identity_like(*a),
            // Sums and products of identities and scalars (`I .* (−I/c)`, `I + 2I`):
            // nothing in them fixes the size either.
            Math::Mul([a, b]) | Math::Hadamard([a, b]) | Math::EDiv([a, b]) | Math::Add([a, b]) => {
                let free = |x: Id| (self.scalar)(x) || self.identity_like(x);
                free(*a) && free(*b) && !((self.scalar)(*a) && (self.scalar)(*b))
            }
            _ => false,
        }
    }

    /// Whether an operand fixes the size of its neighbours in a sum or product.
    fn fixes_size(&self, id: Id) -> bool {
        !(self.scalar)(id) && !self.identity_like(id)
    }

    /// Sets whether the next node printed has its size fixed by a neighbour.
    fn with(&self, sized: bool) -> &Self {
        self.sized.set(sized);
        self
    }

    /// Prints node `id` knowing whether a neighbour fixes its size.
    fn go_sized(&self, id: Id, sized: bool) -> (String, u8) {
        self.sized.set(sized);
        self.go(id)
    }

    /// The size of an identity where nothing around it tells it: `I(n)` in ASCII
    /// (which the parser reads); a 1×1 identity is 1.
    fn eye(&self, d: Id, sized: bool) -> (String, u8) {
        let Math::Dim(d) = &self.expr[d] else {
            return ("I".into(), ATOM);
        };
        match &d.0 {
            crate::ir::Dim::Fixed(1) => ("1".into(), ATOM),
            dim if self.ascii() && !sized => (format!("I({dim})"), ATOM),
            _ => ("I".into(), ATOM),
        }
    }

    /// `tr(I)` and `sum(I)` are the size of the identity (in unicode and LaTeX).
    fn identity_count(&self, node: &Math) -> Option<(String, u8)> {
        let (Math::Trace(a) | Math::Sum(a)) = node else {
            return None;
        };
        if self.ascii() || (self.name)(*a).is_some() {
            return None;
        }
        let Math::Eye(d) = &self.expr[*a] else {
            return None;
        };
        match &self.expr[*d] {
            Math::Dim(d) => Some((d.0.to_string(), ATOM)),
            _ => None,
        }
    }

    fn go(&self, id: Id) -> (String, u8) {
        crate::stack::deep(|| self.go_deep(id))
    }

    fn go_deep(&self, id: Id) -> (String, u8) {
        let sized = self.sized.replace(false);
        if let Some(n) = (self.name)(id) {
            if self.verbatim {
                return (n, ATOM);
            }
            return (name(&n, self.notation), ATOM);
        }
        let uni = self.notation == Notation::Unicode;
        let latex = self.notation == Notation::Latex;
        if let Some(s) = self.identity_count(&self.expr[id]) {
            return s;
        }
        if let Some(s) = self.spelled(&self.expr[id], sized) {
            return s;
        }
        match &self.expr[id] {
            Math::Num(r) => self.num(r),
            Math::Var(v) => (name(v.as_str(), self.notation), ATOM),
            Math::Dim(d) => (d.0.to_string(), ATOM),
            Math::Eye(d) => self.eye(*d, sized),
            Math::Add(_) => self.sum(id, sized),
            // −(ab) = (−a)b, so a product needs no parentheses after a minus sign, but the
            // result then reads as a product: `B .* -2*A` would be `(B .* -2)*A`.
            Math::Neg(a) => {
                let (s, l) = self.go_sized(*a, sized);
                // −(−hk) is hk: no double sign.
                if l >= PROD
                    && let Some(rest) = s.strip_prefix(['−', '-'])
                    && !rest.starts_with(['−', '-'])
                {
                    return (rest.to_string(), l);
                }
                match l {
                    l if l > PROD => (format!("{}{s}", self.minus()), NEG),
                    PROD => (format!("{}{s}", self.minus()), PROD),
                    _ => (format!("{}{}", self.minus(), self.paren(&s)), NEG),
                }
            }
            Math::Mul([a, b]) => self.product(*a, *b, sized),
            Math::Div([a, b]) if latex => (
                format!("\\frac{{{}}}{{{}}}", self.go(*a).0, self.go(*b).0),
                ATOM,
            ),
            Math::Div([a, b]) => (
                format!("{}/{}", self.with(sized).at(*a, PROD), self.at(*b, NEG)),
                PROD,
            ),
            Math::Pow([a, k]) | Math::EPow([a, k]) | Math::MatPow([a, k]) => {
                let elementwise = matches!(self.expr[id], Math::EPow(_));
                let base = self.base(*a);
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
                (format!("{}{sup}", self.with(sized).base(*a)), POST)
            }
            // Every operation has an entry; an unknown function prints as its name.
            node => (node.to_string(), ATOM),
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
                Math::Neg(a) => {
                    // −(−h·k/t) is +h·k/t: a sign in front of an unbracketed product
                    // or quotient belongs to all of it (no `a − −b`).
                    let s = self.at(*a, SUM + 1);
                    return match s.strip_prefix(['−', '-']) {
                        Some(rest) if !rest.starts_with(['−', '-']) => (false, rest.to_string()),
                        _ => (true, s),
                    };
                }
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

    fn sum(&self, id: Id, sized: bool) -> (String, u8) {
        let mut ts = Vec::new();
        self.terms(id, &mut ts);
        let sized = sized || ts.iter().any(|t| self.fixes_size(*t));
        // Each term printed once (printing it again for the sign would double the
        // work at every level of nested sums).
        let mut parts: Vec<(bool, String)> =
            ts.iter().map(|t| self.with(sized).unsigned(*t)).collect();
        // Lead with a positive term where there is one: `a − b`, not `−b + a`.
        if let Some(i) = parts.iter().position(|p| !p.0) {
            parts[..=i].rotate_right(1);
        }
        let mut s = String::new();
        for (i, (neg, text)) in parts.into_iter().enumerate() {
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
        let (s, mut l) = self.go(id);
        let unnamed = (self.name)(id).is_none();
        let nested = matches!(self.expr[id], Math::Mul(_)) && unnamed;
        // Juxtaposition is associative: `−2b` leads a product as a sign would.
        if l == PROD && unnamed && matches!(self.expr[id], Math::Neg(_)) {
            l = NEG;
        }
        if nested && !self.show_order || l > NEG || (l == NEG && !right) {
            s
        } else {
            self.paren(&s)
        }
    }

    fn product(&self, a: Id, b: Id, sized: bool) -> (String, u8) {
        let (sa, sb) = match ((self.scalar)(a), (self.scalar)(b)) {
            (true, _) => (false, sized),
            (_, true) => (sized, false),
            _ => (sized || self.fixes_size(b), sized || self.fixes_size(a)),
        };
        let l = self.with(sa).factor(a, false);
        (self.with(sb).join(&l, (self.scalar)(a), b), PROD)
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
        // Two numbers side by side read as one (`2½` is 2.5): a dot between them.
        let numeric = |c: char| c.is_ascii_digit() || vulgar_char(c);
        // A name with an index (`c1`) after a letter would read as part of a longer
        // product (`bc1`): a space sets it apart (`b c1`).
        let token: String = r.chars().take_while(|c| c.is_alphanumeric()).collect();
        let indexed = token.chars().next().is_some_and(char::is_alphabetic)
            && token.chars().any(|c| c.is_ascii_digit());
        let sep = if numeric(last) && numeric(first) {
            "·"
        } else if (last.is_ascii_digit() && !number && first.is_alphanumeric())
            || (last.is_alphanumeric() && first.is_ascii_digit())
            || (last.is_alphabetic() && indexed)
            || (l_scalar
                && !number
                && !(self.scalar)(b)
                && l.chars().nth(1).is_some()
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

/// Whether `c` is one of the fraction characters of [`vulgar`].
fn vulgar_char(c: char) -> bool {
    "½⅓⅔¼¾⅕⅙⅛".contains(c)
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
