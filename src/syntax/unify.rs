//! Union-find over dimension variables, for shape inference.

use crate::ops::DimAlgebra;

/// What a dimension variable is known to be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DimVal {
    /// A fixed size (`3`, or 1 for scalars and vector columns).
    Fixed(u64),
    /// A symbolic size declared by the user (`n`): rigid, distinct from other names.
    Named(String),
    /// A size (above 1) that a point's value gives to an undeclared input: it meets
    /// a declared name (`X : n x n` with `R` 2×2 in `X .* R`; the point is checked
    /// against the sizes afterwards) or the same number, never 1 or another number.
    Data(u64),
}

/// What two known dimensions are together, if they can be equal.
fn merge(x: DimVal, y: DimVal) -> Option<DimVal> {
    match (x, y) {
        (x, y) if x == y => Some(x),
        (DimVal::Data(a), DimVal::Fixed(b)) | (DimVal::Fixed(b), DimVal::Data(a)) if a == b => {
            Some(DimVal::Fixed(b))
        }
        (DimVal::Data(_), DimVal::Named(s)) | (DimVal::Named(s), DimVal::Data(_)) => {
            Some(DimVal::Named(s))
        }
        _ => None,
    }
}

/// Dimension variables with union-find; each class has a display name.
#[derive(Debug, Default)]
pub struct Unifier {
    parent: Vec<usize>,
    val: Vec<Option<DimVal>>,
    label: Vec<String>,
}

impl Unifier {
    /// A new variable with a value.
    pub fn fixed(&mut self, v: DimVal) -> usize {
        let label = match &v {
            DimVal::Fixed(n) | DimVal::Data(n) => n.to_string(),
            DimVal::Named(s) => s.clone(),
        };
        self.push(Some(v), label)
    }

    /// A new unconstrained variable displayed as `label`.
    pub fn fresh(&mut self, label: String) -> usize {
        self.push(None, label)
    }

    fn push(&mut self, v: Option<DimVal>, label: String) -> usize {
        self.parent.push(self.parent.len());
        self.val.push(v);
        self.label.push(label);
        self.parent.len() - 1
    }

    /// The representative of `d`'s class.
    pub fn find(&mut self, mut d: usize) -> usize {
        while self.parent[d] != d {
            self.parent[d] = self.parent[self.parent[d]];
            d = self.parent[d];
        }
        d
    }

    /// The value of `d`'s class, if known.
    pub fn value(&mut self, d: usize) -> Option<DimVal> {
        let r = self.find(d);
        self.val[r].clone()
    }

    /// How `d` is shown in messages.
    pub fn label(&mut self, d: usize) -> String {
        let r = self.find(d);
        self.label[r].clone()
    }
}

impl DimAlgebra for Unifier {
    type D = usize;
    fn one(&mut self) -> usize {
        self.fixed(DimVal::Fixed(1))
    }
    fn is_one(&mut self, d: &usize) -> bool {
        self.value(*d) == Some(DimVal::Fixed(1))
    }
    fn unify(&mut self, a: &usize, b: &usize) -> bool {
        let (ra, rb) = (self.find(*a), self.find(*b));
        if ra == rb {
            return true;
        }
        let merged = match (self.val[ra].clone(), self.val[rb].clone()) {
            (Some(x), Some(y)) => match merge(x, y) {
                Some(m) => Some(m),
                None => return false,
            },
            (Some(x), None) | (None, Some(x)) => Some(x),
            (None, None) => None,
        };
        // Keep the older class as the root so that its display name survives.
        let (root, child) = if ra < rb { (ra, rb) } else { (rb, ra) };
        let label = if self.val[ra].is_some() && merged == self.val[ra] && self.val[rb] != merged {
            self.label[ra].clone()
        } else if self.val[rb].is_some() && merged == self.val[rb] && self.val[ra] != merged {
            self.label[rb].clone()
        } else {
            self.label[root].clone()
        };
        self.parent[child] = root;
        self.val[root] = merged;
        self.label[root] = label;
        true
    }
}
