//! (in progress)
use super::{Dag, TraceView};
use crate::error::Result;
use crate::model::Model;
use crate::numeric::Point;
use crate::print::Notation;
/// A table.
pub struct Table;
impl Table {
    /// New.
    pub fn new(_m: &Model, _d: &Dag, _t: &TraceView, _p: &Point) -> Result<Table> { Ok(Table) }
    /// Text.
    pub fn text(&self, _n: Notation) -> String { String::new() }
    /// Json.
    pub fn json(&self) -> serde_json::Value { serde_json::Value::Null }
}
