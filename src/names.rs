//! Spellings of names shared by the front end, the simplifier and the printer:
//! Greek letters, spelled out (`alpha`) or not (`α`).

/// Greek letters spelled out, with their Unicode letters.
pub const GREEK: &[(&str, &str)] = &[
    ("alpha", "α"),
    ("beta", "β"),
    ("gamma", "γ"),
    ("delta", "δ"),
    ("epsilon", "ε"),
    ("zeta", "ζ"),
    ("eta", "η"),
    ("theta", "θ"),
    ("iota", "ι"),
    ("kappa", "κ"),
    ("lambda", "λ"),
    ("mu", "μ"),
    ("nu", "ν"),
    ("xi", "ξ"),
    ("omicron", "ο"),
    ("pi", "π"),
    ("rho", "ρ"),
    ("sigma", "σ"),
    ("tau", "τ"),
    ("upsilon", "υ"),
    ("phi", "φ"),
    ("chi", "χ"),
    ("psi", "ψ"),
    ("omega", "ω"),
];

/// True for names that default to scalars: Greek letters, spelled out or not (`alpha2`, `σ`).
pub fn is_greek(name: &str) -> bool {
    let first = name.chars().next().unwrap_or('a');
    if ('α'..='ω').contains(&first) || ('Α'..='Ω').contains(&first) {
        return true;
    }
    let stem: String = name
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect();
    let stem = stem.to_ascii_lowercase();
    GREEK.iter().any(|(w, _)| *w == stem)
}
