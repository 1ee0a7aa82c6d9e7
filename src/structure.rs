//! What is known of a value besides its shape, read by the front end, the
//! primitives, the simplifier and the numeric checks alike: the structure a
//! declaration promises, the shape of a value in a point file, and the
//! structural facts proved of an expression.

/// The structure a declaration promises.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Structure {
    /// No promise.
    #[default]
    General,
    /// `sym`: symmetric.
    Symmetric,
    /// `spd`: symmetric positive definite.
    Spd,
}

/// The shape of a value in a point file: rows × columns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DataShape {
    /// Rows.
    pub rows: usize,
    /// Columns.
    pub cols: usize,
}

/// Structural facts of a value. Each implies what it should: identity ⇒ diagonal
/// and SPD, SPD ⇒ symmetric, diagonal ⇒ symmetric.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Props {
    /// Symmetric (every scalar is).
    pub symmetric: bool,
    /// Symmetric positive definite (a positive scalar is).
    pub spd: bool,
    /// A square matrix with zeros off the diagonal.
    pub diagonal: bool,
    /// The identity matrix.
    pub identity: bool,
    /// A positive scalar, or every entry positive.
    pub positive: bool,
}

impl Props {
    /// What a symbol declared with `structure` is known to be.
    pub fn declared(structure: Structure) -> Props {
        Props {
            symmetric: structure != Structure::General,
            spd: structure == Structure::Spd,
            ..Props::default()
        }
        .closed()
    }

    /// Adds what the facts imply.
    pub fn closed(mut self) -> Props {
        self.diagonal |= self.identity;
        self.spd |= self.identity;
        self.symmetric |= self.spd || self.diagonal;
        self
    }

    /// Every fact of either.
    pub fn or(self, o: Props) -> Props {
        Props {
            symmetric: self.symmetric || o.symmetric,
            spd: self.spd || o.spd,
            diagonal: self.diagonal || o.diagonal,
            identity: self.identity || o.identity,
            positive: self.positive || o.positive,
        }
    }
}
