//! A point: a value for every input, and so a size for every symbolic dimension.

use std::collections::HashMap;

use egg::Symbol;
use serde_json::Value as Json;

use crate::error::{Error, ErrorKind, Result};
use crate::ir::Dim;
use crate::model::Model;
use crate::ops::Value;
use crate::structure::DataShape;

/// Values of the inputs with the sizes they fix.
#[derive(Debug, Clone, Default)]
pub struct Point {
    /// Input values by name.
    pub values: HashMap<Symbol, Value>,
    /// Sizes of the symbolic dimensions.
    pub dims: HashMap<Symbol, usize>,
}

impl Point {
    /// The size of a dimension at this point.
    pub fn size(&self, d: &Dim) -> Option<usize> {
        match d {
            Dim::Fixed(n) => Some(*n as usize),
            Dim::Sym(s) => self.dims.get(s).copied(),
        }
    }
}

/// Reads a point file's JSON: an object from names to a number, an array of numbers or an array of rows.
pub fn parse_json(text: &str) -> Result<HashMap<String, Value>> {
    let json: Json = serde_json::from_str(text)
        // NaN, Infinity (as Python's json writes them) and numbers beyond f64 are not
        // JSON numbers: read them as strings so that the error can name the input.
        .or_else(|e| serde_json::from_str(&quote_non_finite(text)).map_err(|_| e))
        .map_err(|e| {
            Error::new(
                ErrorKind::Point,
                format!("the point is not valid JSON: {e}"),
            )
        })?;
    let Json::Object(map) = json else {
        return Err(Error::new(
            ErrorKind::Point,
            "the point must be a JSON object from input names to values",
        ));
    };
    let mut out = HashMap::new();
    for (name, v) in map {
        out.insert(name.clone(), json_value(&name, &v)?);
    }
    Ok(out)
}

/// `text` with every bare `NaN`, `Infinity`, `-Infinity` and out-of-range number
/// (outside strings) put in quotes.
fn quote_non_finite(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 8);
    let mut chars = text.char_indices().peekable();
    let mut in_string = false;
    while let Some((i, c)) = chars.next() {
        if in_string {
            out.push(c);
            if c == '\\' {
                if let Some((_, n)) = chars.next() {
                    out.push(n);
                }
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        if c == '"' {
            in_string = true;
            out.push(c);
            continue;
        }
        if c == '-' || c == '+' || c == '.' || c.is_ascii_alphanumeric() {
            let mut end = i + c.len_utf8();
            while let Some(&(j, n)) = chars.peek() {
                if n == '-' || n == '+' || n == '.' || n.is_ascii_alphanumeric() {
                    end = j + n.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            let token = &text[i..end];
            let non_finite = matches!(token, "NaN" | "Infinity" | "-Infinity" | "-NaN")
                || token.parse::<f64>().is_ok_and(|x| !x.is_finite());
            if non_finite {
                out.push('"');
                out.push_str(token);
                out.push('"');
            } else {
                out.push_str(token);
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The first entry of a point value that is not a finite number (quoted by `quote_non_finite`).
fn non_finite_entry(v: &Json) -> Option<String> {
    match v {
        Json::String(s) => Some(s.clone()),
        Json::Array(items) => items.iter().find_map(non_finite_entry),
        _ => None,
    }
}

fn json_value(name: &str, v: &Json) -> Result<Value> {
    if let Some(token) = non_finite_entry(v) {
        return Err(Error::new(
            ErrorKind::Point,
            format!(
                "the point's value for `{name}` holds `{token}`: every entry must be a finite number"
            ),
        ));
    }
    let bad = || {
        Error::new(
            ErrorKind::Point,
            format!(
                "the point's value for `{name}` must be a number, an array of numbers or an array of equal rows"
            ),
        )
    };
    let num = |x: &Json| x.as_f64().filter(|f| f.is_finite()).ok_or_else(bad);
    match v {
        Json::Number(_) => Ok(Value::from_element(1, 1, num(v)?)),
        Json::Array(items) if items.is_empty() => Err(bad()),
        Json::Array(items) if items.iter().all(|x| x.is_number()) => {
            let col: Vec<f64> = items.iter().map(num).collect::<Result<_>>()?;
            Ok(Value::from_column_slice(col.len(), 1, &col))
        }
        Json::Array(rows) => {
            let rows: Vec<Vec<f64>> = rows
                .iter()
                .map(|r| {
                    r.as_array()
                        .ok_or_else(bad)
                        .and_then(|r| r.iter().map(num).collect::<Result<Vec<_>>>())
                })
                .collect::<Result<_>>()?;
            let cols = rows[0].len();
            if cols == 0 || rows.iter().any(|r| r.len() != cols) {
                return Err(bad());
            }
            Ok(Value::from_fn(rows.len(), cols, |i, j| rows[i][j]))
        }
        _ => Err(bad()),
    }
}

/// The shapes of point values, for shape inference.
pub fn data_shapes(values: &HashMap<String, Value>) -> HashMap<String, DataShape> {
    values
        .iter()
        .map(|(k, v)| {
            (
                k.clone(),
                DataShape {
                    rows: v.nrows(),
                    cols: v.ncols(),
                },
            )
        })
        .collect()
}

/// Checks values against the model's input shapes and fixes the sizes of its dimensions.
pub fn bind(model: &Model, values: HashMap<String, Value>) -> Result<Point> {
    let mut point = Point::default();
    let mut origin: HashMap<Symbol, String> = HashMap::new();
    for input in &model.inputs {
        let Some(v) = values.get(&input.name) else {
            return Err(Error::new(
                ErrorKind::Point,
                format!("the point gives no value for `{}`", input.name),
            ));
        };
        let got = (v.nrows(), v.ncols());
        let want = &input.shape;
        let show = |(r, c): (usize, usize)| {
            if (r, c) == (1, 1) {
                "a scalar".to_string()
            } else {
                format!("{r}×{c}")
            }
        };
        for (d, n) in [(&want.rows, got.0), (&want.cols, got.1)] {
            let clash = match d {
                Dim::Fixed(k) => {
                    (*k as usize != n).then(|| format!("`{}` is declared {}", input.name, want))
                }
                Dim::Sym(s) => match point.dims.get(s) {
                    Some(&k) if k != n => Some(format!(
                        "`{}` is {} and {s} = {k} from `{}`",
                        input.name, want, origin[s]
                    )),
                    Some(_) => None,
                    None => {
                        point.dims.insert(*s, n);
                        origin.insert(*s, input.name.clone());
                        None
                    }
                },
            };
            if let Some(why) = clash {
                return Err(Error::new(
                    ErrorKind::Point,
                    format!(
                        "the point gives `{}` as {}, but {why}",
                        input.name,
                        show(got)
                    ),
                ));
            }
        }
        if input.structure != crate::structure::Structure::General
            && (v - v.transpose()).amax() > 1e-9 * (1.0 + v.amax())
        {
            return Err(Error::new(
                ErrorKind::Point,
                format!(
                    "`{}` is declared symmetric, but the point's value is not",
                    input.name
                ),
            ));
        }
        point
            .values
            .insert(Symbol::from(input.name.as_str()), v.clone());
    }
    Ok(point)
}
