//! The operator after each `(` of a pattern's text, read without parsing it. Shared
//! by `build.rs` (which writes the rule table) and the rules' loader, so that the two
//! read a rule's operations alike; it uses nothing but `std`.

/// The operator names of `side`, in the order they appear (with repeats).
pub fn operator_names(side: &str) -> Vec<&str> {
    side.split('(')
        .skip(1)
        .map(|rest| {
            let rest = rest.trim_start();
            let end = rest
                .find(|c: char| c.is_whitespace() || c == '(' || c == ')')
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect()
}
