//! Hessians of scalar and vector variables (placeholder until the Jacobian pass lands).

use crate::Gradient;
use crate::error::{Error, ErrorKind, Result};
use crate::numeric::Point;

/// Adds `hessian` to a JSON result.
pub fn add_json(
    _grad: &Gradient,
    _point: Option<&Point>,
    _obj: &mut serde_json::Map<String, serde_json::Value>,
) -> Result<()> {
    Err(Error::new(
        ErrorKind::NotDifferentiable,
        "--hessian is not available yet",
    ))
}
