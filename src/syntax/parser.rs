//! pest grammar plus one Pratt table for operator precedence.

use std::sync::LazyLock;

use pest::Parser;
use pest::iterators::{Pair, Pairs};
use pest::pratt_parser::{Assoc, Op, PrattParser};

use super::ast::{BinOp, DimSpec, Expr, ExprKind, Problem, Stmt, Structure, TypeSpec};
use crate::error::{Error, ErrorKind, Result};
use crate::rational::Rational;

mod grammar {
    #![allow(missing_docs)]
    #[derive(pest_derive::Parser)]
    #[grammar = "../grammar/matgrad.pest"]
    pub struct Grammar;
}
use grammar::{Grammar, Rule};

/// Precedence, loosest first (pest's order): the operator table of docs/language.md read bottom-up.
static PRATT: LazyLock<PrattParser<Rule>> = LazyLock::new(|| {
    PrattParser::new()
        .op(Op::infix(Rule::add, Assoc::Left) | Op::infix(Rule::sub, Assoc::Left))
        .op(Op::infix(Rule::mul, Assoc::Left)
            | Op::infix(Rule::hadamard, Assoc::Left)
            | Op::infix(Rule::div, Assoc::Left)
            | Op::infix(Rule::ediv, Assoc::Left))
        .op(Op::prefix(Rule::neg))
        .op(Op::infix(Rule::pow, Assoc::Right) | Op::infix(Rule::epow, Assoc::Right))
        .op(Op::postfix(Rule::transpose) | Op::postfix(Rule::inverse))
});

/// How deep parentheses (or runs of prefix and postfix operators) may nest; the
/// operations inside are bounded by [`MAX_DEPTH`].
pub const MAX_NESTING: usize = 1_024;
/// How deep the tree of operations may be (long chains of `+` count as one level):
/// a tanh network of 300 layers, a product of 640 factors (whose gradient, a sum of
/// 640 products of 639 factors, is derived in well under 2 s).
pub const MAX_DEPTH: usize = 640;
/// Stack for the recursive descent per level of nesting, beyond the first 64 levels
/// (which the thread's own stack holds).
const STACK_PER_LEVEL: usize = 64 * 1024;

/// Refuses text nested deeper than [`MAX_NESTING`] before the recursive parser sees
/// it; returns how deep it nests.
fn check_nesting(src: &str) -> Result<usize> {
    let (mut depth, mut run, mut last, mut max) = (0usize, 0usize, ' ', 0usize);
    for (i, c) in src.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        // Runs of one prefix or postfix operator (---x, or transposes) nest too.
        run = if matches!(c, '-' | '\'' | '−' | 'ᵀ') && c == last {
            run + 1
        } else {
            0
        };
        last = c;
        max = max.max(depth).max(run);
        if depth > MAX_NESTING || run > MAX_NESTING {
            return Err(Error::at(
                ErrorKind::Syntax,
                i..i + c.len_utf8(),
                format!("the expression nests more than {MAX_NESTING} levels deep"),
            )
            .with_label("matgrad reads expressions nested up to this depth"));
        }
    }
    Ok(max)
}

/// The depth of an expression tree, computed without recursion.
fn depth(e: &Expr) -> usize {
    let mut stack = vec![(e, 1usize)];
    let mut max = 0;
    while let Some((e, d)) = stack.pop() {
        max = max.max(d);
        match &e.kind {
            ExprKind::Num(_) | ExprKind::Name(_) => {}
            ExprKind::Neg(a) | ExprKind::Transpose(a) | ExprKind::Inverse(a) => {
                stack.push((a, d + 1))
            }
            // A chain of sums (`a + b - c + ...`) counts as one level: the passes read
            // long sums term by term.
            ExprKind::Binary(op @ (BinOp::Add | BinOp::Sub), a, b) => {
                let chain = matches!(&a.kind, ExprKind::Binary(o, ..) if *o == *op || matches!(o, BinOp::Add | BinOp::Sub));
                stack.push((a, if chain { d } else { d + 1 }));
                stack.push((b, d + 1));
            }
            ExprKind::Binary(_, a, b) => {
                stack.push((a, d + 1));
                stack.push((b, d + 1));
            }
            ExprKind::Call(_, _, args) => stack.extend(args.iter().map(|a| (a, d + 1))),
        }
    }
    max
}

fn check_depth(e: &Expr) -> Result<()> {
    if depth(e) > MAX_DEPTH {
        return Err(Error::at(
            ErrorKind::Syntax,
            e.span.clone(),
            format!("the expression is more than {MAX_DEPTH} operations deep"),
        )
        .with_label("split it with named intermediates (`K = ...`)"));
    }
    Ok(())
}

/// Parses a problem into its statements. Never panics, whatever the input.
pub fn parse(src: &str) -> Result<Problem> {
    match check_nesting(src)? {
        n if n > 64 => stacker::grow(n * STACK_PER_LEVEL, || parse_nested(src)),
        _ => parse_nested(src),
    }
}

/// [`parse`] of a text whose nesting was checked, on a stack that holds it.
fn parse_nested(src: &str) -> Result<Problem> {
    let mut pairs = Grammar::parse(Rule::problem, src).map_err(|e| syntax_error(src, e))?;
    let problem = pairs
        .next()
        .ok_or_else(|| Error::new(ErrorKind::Syntax, "empty parse"))?;
    let mut stmts = Vec::new();
    for pair in problem.into_inner() {
        match pair.as_rule() {
            Rule::decl => stmts.push(decl(pair)?),
            Rule::def => {
                let d = def(pair)?;
                if let Stmt::Def { expr, .. } = &d {
                    check_depth(expr)?;
                }
                stmts.push(d)
            }
            Rule::expr => {
                let e = expr(pair)?;
                check_depth(&e)?;
                stmts.push(Stmt::Expr(e))
            }
            _ => {}
        }
    }
    if stmts.is_empty() {
        return Err(Error::at(
            ErrorKind::Syntax,
            0..src.len(),
            "the problem is empty: write an expression to differentiate",
        ));
    }
    Ok(Problem { stmts })
}

/// Parses a single expression (used for `expect` forms in tests and for re-reading output).
pub fn parse_expr(src: &str) -> Result<Expr> {
    let p = parse(src)?;
    match p.stmts.into_iter().last() {
        Some(Stmt::Expr(e)) => Ok(e),
        _ => Err(Error::new(ErrorKind::Syntax, "expected an expression")),
    }
}

fn syntax_error(src: &str, e: pest::error::Error<Rule>) -> Error {
    use pest::error::{ErrorVariant, InputLocation};
    let pos = match e.location {
        InputLocation::Pos(p) => p,
        InputLocation::Span((s, _)) => s,
    };
    let found = src[pos.min(src.len())..].chars().next();
    let expected = match &e.variant {
        ErrorVariant::ParsingError { positives, .. } => describe(positives),
        ErrorVariant::CustomError { message } => message.clone(),
    };
    let what = match found {
        None => "unexpected end of input".to_string(),
        Some('\n') | Some('\r') => "unexpected end of line".to_string(),
        Some(c) if c.is_control() || c.is_whitespace() => {
            format!("unexpected character U+{:04X}", c as u32)
        }
        Some(c) => format!("unexpected `{c}`"),
    };
    let end = pos + found.map_or(0, |c| c.len_utf8());
    // A complete expression inside an open parenthesis: the `)` is what is missing.
    let expected = match unclosed(src, pos) {
        Some(col) if expected.contains("an operator") => {
            format!("{expected} or `)`: the `(` at column {col} is not closed")
        }
        _ => expected,
    };
    Error::at(ErrorKind::Syntax, pos..end, format!("syntax error: {what}"))
        .with_label(format!("expected {expected}"))
}

/// The column (from 1, in characters) of the last `(` of `pos`'s statement that is
/// still open at `pos`.
fn unclosed(src: &str, pos: usize) -> Option<usize> {
    let pos = pos.min(src.len());
    let line = src[..pos].rfind('\n').map_or(0, |i| i + 1);
    let start = src[line..pos].rfind(';').map_or(line, |i| line + i + 1);
    let mut open: Vec<usize> = Vec::new();
    for (i, c) in src[start..pos].char_indices() {
        match c {
            '(' => open.push(start + i),
            ')' => {
                open.pop();
            }
            _ => {}
        }
    }
    open.last().map(|&i| src[line..i].chars().count() + 1)
}

fn describe(rules: &[Rule]) -> String {
    let mut words: Vec<&str> = rules
        .iter()
        .map(|r| match r {
            Rule::expr | Rule::number | Rule::name | Rule::call | Rule::paren => "an expression",
            Rule::add
            | Rule::sub
            | Rule::mul
            | Rule::div
            | Rule::hadamard
            | Rule::ediv
            | Rule::pow
            | Rule::epow => "an operator",
            Rule::transpose | Rule::inverse => "an operator",
            Rule::dim | Rule::integer => "a dimension",
            Rule::scalar_kw | Rule::prop | Rule::type_spec => {
                "a type such as `m x n`, `n` or `scalar`"
            }
            Rule::EOI => "the end of the statement",
            Rule::neg => "an expression",
            _ => "something else",
        })
        .collect();
    words.sort();
    words.dedup();
    match words.len() {
        0 => "something else".into(),
        1 => words[0].into(),
        _ => format!(
            "{} or {}",
            words[..words.len() - 1].join(", "),
            words[words.len() - 1]
        ),
    }
}

fn span_of(pair: &Pair<Rule>) -> std::ops::Range<usize> {
    let s = pair.as_span();
    s.start()..s.end()
}

fn decl(pair: Pair<Rule>) -> Result<Stmt> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    let (names, ty) = (inner.next(), inner.next());
    let (Some(names), Some(ty)) = (names, ty) else {
        return Err(Error::at(ErrorKind::Syntax, span, "malformed declaration"));
    };
    let names = names
        .into_inner()
        .map(|n| (n.as_str().to_string(), span_of(&n)))
        .collect();
    let mut structure = Structure::General;
    let mut dims = Vec::new();
    let mut scalar = false;
    for part in ty.into_inner() {
        match part.as_rule() {
            Rule::scalar_kw => scalar = true,
            Rule::prop => {
                structure = if part.as_str() == "spd" {
                    Structure::Spd
                } else {
                    Structure::Symmetric
                }
            }
            Rule::dim => {
                let text = part.as_str();
                if text != "scalar" && strsim::levenshtein(&text.to_lowercase(), "scalar") <= 1 {
                    return Err(Error::at(
                        ErrorKind::Declaration,
                        span_of(&part),
                        format!("unknown type `{text}`"),
                    )
                    .with_label("did you mean `scalar`?"));
                }
                dims.push(dim(part)?)
            }
            _ => {}
        }
    }
    let ty =
        match (scalar, dims.len()) {
            (true, _) => TypeSpec::Scalar,
            (false, 1) if structure == Structure::General => TypeSpec::Vector(dims.remove(0)),
            (false, 1) => {
                return Err(Error::at(
                ErrorKind::Declaration,
                span,
                "a symmetric or positive definite input is a square matrix: give both dimensions",
            )
            .with_label(format!(
                "write `{} n x n`",
                if structure == Structure::Spd { "spd" } else { "sym" }
            )));
            }
            (false, 2) => TypeSpec::Matrix(structure, dims[0].clone(), dims[1].clone()),
            _ => {
                return Err(Error::at(
                    ErrorKind::Syntax,
                    span,
                    "malformed type in declaration",
                ));
            }
        };
    Ok(Stmt::Decl { names, ty, span })
}

fn dim(pair: Pair<Rule>) -> Result<DimSpec> {
    let span = span_of(&pair);
    let text = pair.as_str();
    if text.bytes().all(|b| b.is_ascii_digit()) {
        let n: u64 = text.parse().map_err(|_| {
            Error::at(
                ErrorKind::BadNumber,
                span.clone(),
                format!("dimension {text} is too large"),
            )
        })?;
        if n == 0 || n > 1_000_000 {
            return Err(Error::at(
                ErrorKind::BadNumber,
                span,
                format!("dimension {text} must be between 1 and 1000000"),
            ));
        }
        Ok(DimSpec::Fixed(n))
    } else {
        Ok(DimSpec::Named(text.to_string()))
    }
}

fn def(pair: Pair<Rule>) -> Result<Stmt> {
    let span = span_of(&pair);
    let mut inner = pair.into_inner();
    match (inner.next(), inner.next()) {
        (Some(name), Some(e)) => Ok(Stmt::Def {
            name: name.as_str().to_string(),
            name_span: span_of(&name),
            expr: expr(e)?,
        }),
        _ => Err(Error::at(ErrorKind::Syntax, span, "malformed definition")),
    }
}

fn expr(pair: Pair<Rule>) -> Result<Expr> {
    pratt(pair.into_inner())
}

fn pratt(pairs: Pairs<Rule>) -> Result<Expr> {
    PRATT
        .map_primary(primary)
        .map_prefix(|op, rhs| {
            let rhs = rhs?;
            let span = op.as_span().start()..rhs.span.end;
            Ok(Expr {
                kind: ExprKind::Neg(Box::new(rhs)),
                span,
            })
        })
        .map_postfix(|lhs, op| {
            let lhs = lhs?;
            let span = lhs.span.start..op.as_span().end();
            let kind = match op.as_rule() {
                Rule::transpose => ExprKind::Transpose(Box::new(lhs)),
                _ => ExprKind::Inverse(Box::new(lhs)),
            };
            Ok(Expr { kind, span })
        })
        .map_infix(|lhs, op, rhs| {
            let (lhs, rhs) = (lhs?, rhs?);
            let op = match op.as_rule() {
                Rule::add => BinOp::Add,
                Rule::sub => BinOp::Sub,
                Rule::mul => BinOp::Mul,
                Rule::hadamard => BinOp::Hadamard,
                Rule::div => BinOp::Div,
                Rule::ediv => BinOp::EDiv,
                Rule::pow => BinOp::Pow,
                _ => BinOp::EPow,
            };
            let span = lhs.span.start..rhs.span.end;
            Ok(Expr {
                kind: ExprKind::Binary(op, Box::new(lhs), Box::new(rhs)),
                span,
            })
        })
        .parse(pairs)
}

/// A number literal: exact where it fits (at most 30 digits, exponent within ±30),
/// else its digits times a power of ten (`1e308` is `1*10^308`), where finite.
fn number(text: &str, span: std::ops::Range<usize>) -> Result<Expr> {
    let leaf = |kind| Expr {
        kind,
        span: span.clone(),
    };
    if let Some(value) = Rational::parse_decimal(text) {
        return Ok(leaf(ExprKind::Num(value)));
    }
    let bad = |why: &str, label: &str| {
        Err(Error::at(
            ErrorKind::BadNumber,
            span.clone(),
            format!("the number {text} {why}"),
        )
        .with_label(label.to_string()))
    };
    let value: f64 = text.parse().unwrap_or(f64::NAN);
    if !value.is_finite() {
        return bad(
            "is too large for a floating-point number",
            "numbers must stay below 1.8e308",
        );
    }
    let lower = text.to_ascii_lowercase();
    let (mantissa, exp) = lower.split_once('e').unwrap_or((lower.as_str(), "0"));
    let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = format!("{int_part}{frac_part}");
    let digits = digits.trim_start_matches('0');
    let exp = exp.parse::<i64>().ok().map(|e| e - frac_part.len() as i64);
    let (Some(m), Some(exp)) = (
        Rational::parse_decimal(if digits.is_empty() { "0" } else { digits }),
        exp,
    ) else {
        return bad("has too many digits", "use at most 30 significant digits");
    };
    if m == Rational::ZERO || value == 0.0 {
        return Ok(leaf(ExprKind::Num(Rational::ZERO)));
    }
    let power = Expr {
        kind: ExprKind::Binary(
            BinOp::Pow,
            Box::new(leaf(ExprKind::Num(Rational::int(10)))),
            Box::new(leaf(ExprKind::Num(Rational::int(exp)))),
        ),
        span: span.clone(),
    };
    Ok(Expr {
        kind: ExprKind::Binary(
            BinOp::Mul,
            Box::new(leaf(ExprKind::Num(m))),
            Box::new(power),
        ),
        span,
    })
}

fn primary(pair: Pair<Rule>) -> Result<Expr> {
    let span = span_of(&pair);
    match pair.as_rule() {
        Rule::number => number(pair.as_str(), span),
        Rule::name => Ok(Expr {
            kind: ExprKind::Name(pair.as_str().to_string()),
            span,
        }),
        Rule::call => {
            let mut inner = pair.into_inner();
            let name = inner
                .next()
                .ok_or_else(|| Error::at(ErrorKind::Syntax, span.clone(), "malformed call"))?;
            let args = inner.map(expr).collect::<Result<Vec<_>>>()?;
            Ok(Expr {
                kind: ExprKind::Call(name.as_str().to_string(), span_of(&name), args),
                span,
            })
        }
        Rule::paren => {
            // A parenthesised expression: keep the parentheses in the span for messages.
            let inner = pair
                .into_inner()
                .next()
                .ok_or_else(|| Error::at(ErrorKind::Syntax, span.clone(), "empty parentheses"))?;
            let mut e = expr(inner)?;
            e.span = span;
            Ok(e)
        }
        _ => Err(Error::at(ErrorKind::Syntax, span, "unexpected token")),
    }
}
