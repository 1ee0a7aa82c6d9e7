//! What the command does with parsed arguments; returns the text to print.

use std::collections::HashMap;

use matgrad::{Error, ErrorKind, Notation, Result};

use crate::cli::{Args, Format};

/// The outcome of a run.
pub struct Output {
    pub stdout: String,
    pub stderr: String,
    pub code: u8,
}

pub fn run(args: &Args, source: &str) -> Result<Output> {
    let values = match &args.at {
        Some(path) => {
            let text = std::fs::read_to_string(path)
                .map_err(|e| Error::new(ErrorKind::Io, format!("cannot read {}: {e}", path.display())))?;
            Some(matgrad::numeric::point::parse_json(&text)?)
        }
        None => None,
    };
    let (model, point) = match &values {
        Some(v) => {
            let (m, p) = matgrad::parse_problem_at(source, v)?;
            (m, Some(p))
        }
        None => (matgrad::parse_problem(source)?, None),
    };
    for w in &args.wrt {
        if model.input(w).is_none() {
            let why = if model.defs.iter().any(|(n, _)| n == w) {
                format!("`{w}` is defined in the problem, not an input: differentiate with respect to an input")
            } else {
                format!("`{w}` is not an input of the problem")
            };
            return Err(Error::new(ErrorKind::NotDifferentiable, why));
        }
    }
    let _ = HashMap::<(), ()>::new();
    let stdout = match args.format {
        Format::Json => {
            let mut obj = serde_json::Map::new();
            if let Some(p) = &point {
                obj.insert("value".into(), serde_json::json!(model.value_at(p)?));
            }
            serde_json::to_string_pretty(&serde_json::Value::Object(obj)).unwrap_or_default() + "\n"
        }
        f => {
            let n = match f {
                Format::Ascii => Notation::Ascii,
                Format::Latex => Notation::Latex,
                _ => Notation::Unicode,
            };
            let mut s = model.print(n) + "\n";
            if let Some(p) = &point {
                s += &format!("value = {}\n", model.value_at(p)?);
            }
            s
        }
    };
    Ok(Output { stdout, stderr: String::new(), code: 0 })
}
