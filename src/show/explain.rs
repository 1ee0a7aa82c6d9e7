//! (in progress)
use crate::error::Result;
use crate::model::Model;
use crate::print::Notation;
/// E.
pub struct Explanation;
/// Explain.
pub fn explain(_m: &Model, _w: &[&str]) -> Result<Explanation> { Ok(Explanation) }
impl Explanation {
    /// Text.
    pub fn text(&self, _n: Notation) -> String { String::new() }
    /// Json.
    pub fn json(&self) -> serde_json::Value { serde_json::Value::Null }
}
