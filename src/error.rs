//! Typed errors with source spans, rendered with a caret by ariadne.

use std::ops::Range;

/// A byte range in the problem text.
pub type Span = Range<usize>;

/// What went wrong, which decides the exit status of the command line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorKind {
    /// The text does not parse.
    Syntax,
    /// A name that is neither declared, defined, nor usable as an input.
    UnknownName,
    /// A function that the language does not have.
    UnknownFunction,
    /// A function called with the wrong number of arguments.
    Arity,
    /// Shapes that do not fit together.
    Shape,
    /// A dimension that is not defined or contradicts another.
    Dimension,
    /// The objective is not a scalar.
    NonScalarObjective,
    /// A number that cannot be represented.
    BadNumber,
    /// A declaration that contradicts another.
    Declaration,
    /// The point file is malformed or contradicts the problem.
    Point,
    /// A numeric evaluation left the function's domain (singular matrix, log of a negative number).
    Domain,
    /// A file could not be read.
    Io,
    /// The problem is well formed but cannot be differentiated as asked.
    NotDifferentiable,
    /// A numeric check failed: the derivative disagrees with finite differences.
    CheckFailed,
    /// A bug in matgrad.
    Internal,
}

/// A matgrad error: a kind, a message and, where it has one, the place in the input.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{message}")]
pub struct Error {
    /// What kind of error this is.
    pub kind: ErrorKind,
    /// The one-line message, naming the problem.
    pub message: String,
    /// The place in the problem text, if the error has one.
    pub span: Option<Span>,
    /// A short label shown under the caret.
    pub label: Option<String>,
}

/// Result with a matgrad [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// An error without a place in the input.
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            span: None,
            label: None,
        }
    }

    /// An error at a place in the input.
    pub fn at(kind: ErrorKind, span: Span, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            span: Some(span),
            label: None,
        }
    }

    /// Adds a label under the caret.
    pub fn with_label(mut self, label: impl Into<String>) -> Error {
        self.label = Some(label.into());
        self
    }

    /// The command line's exit status for this error (see docs/cli.md).
    pub fn exit_code(&self) -> i32 {
        match self.kind {
            ErrorKind::NotDifferentiable => 3,
            ErrorKind::CheckFailed | ErrorKind::Internal => 1,
            _ => 2,
        }
    }

    /// The message with the input line and a caret under the place, without colour.
    pub fn render(&self, source: &str, file: &str) -> String {
        let Some(span) = self.span.clone() else {
            return format!("error: {}\n", self.message);
        };
        use ariadne::{Config, IndexType, Label, Report, ReportKind, Source};
        let span = clamp(span, source);
        let (windowed, span) = window(source, span);
        let source = windowed.as_str();
        let label = self.label.clone().unwrap_or_else(|| "here".to_string());
        let report = Report::build(ReportKind::Error, (file, span.clone()))
            .with_config(
                Config::default()
                    .with_color(false)
                    .with_index_type(IndexType::Byte),
            )
            .with_message(&self.message)
            .with_label(Label::new((file, span)).with_message(label))
            .finish();
        let mut out = Vec::new();
        if report
            .write((file, Source::from(source)), &mut out)
            .is_err()
        {
            return format!("error: {}\n", self.message);
        }
        String::from_utf8_lossy(&out).into_owned()
    }
}

/// How many characters of a long line are shown on each side of the caret.
const WINDOW: usize = 60;

/// The text with the line of the span cut to a window around it (`…` where cut), so
/// that an error in a line of 10,000 terms does not reprint the line; the span moved
/// to match. Other lines and short lines are kept as they are.
fn window(source: &str, span: Span) -> (String, Span) {
    let start = source[..span.start].rfind('\n').map_or(0, |i| i + 1);
    let end = source[span.end..]
        .find('\n')
        .map_or(source.len(), |i| span.end + i);
    if source[start..end].chars().count() <= 2 * WINDOW + 20 {
        return (source.to_string(), span);
    }
    let back = |mut i: usize, n: usize| {
        for _ in 0..n {
            match source[..i].chars().next_back() {
                Some(c) if i > start => i -= c.len_utf8(),
                _ => break,
            }
        }
        i
    };
    let fwd = |mut i: usize, n: usize| {
        for _ in 0..n {
            match source[i..].chars().next() {
                Some(c) if i < end => i += c.len_utf8(),
                _ => break,
            }
        }
        i
    };
    let from = back(span.start, WINDOW);
    // A long span shows its first WINDOW characters.
    let to = fwd(
        span.start.max(fwd(span.start, WINDOW).min(span.end)),
        WINDOW,
    );
    let lead = if from > start { "…" } else { "" };
    let tail = if to < end { "…" } else { "" };
    let text = format!(
        "{}{lead}{}{tail}{}",
        &source[..start],
        &source[from..to],
        &source[end..]
    );
    let shift = |i: usize| start + lead.len() + i.clamp(from, to) - from;
    (text, shift(span.start)..shift(span.end))
}

/// Keeps a span inside the text and on character boundaries.
fn clamp(span: Span, source: &str) -> Span {
    let fix = |mut i: usize| {
        i = i.min(source.len());
        while !source.is_char_boundary(i) {
            i -= 1;
        }
        i
    };
    let (s, e) = (fix(span.start), fix(span.end));
    s..e.max(s)
}
