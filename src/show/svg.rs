//! (in progress)
use super::Dag;
use crate::model::Model;
impl Dag {
    /// SVG.
    pub fn svg(&self, _model: &Model) -> String { String::new() }
    /// TikZ.
    pub fn tikz(&self, _model: &Model) -> String { String::new() }
}
