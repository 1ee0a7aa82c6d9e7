//! Multivariate polynomials with rational coefficients over numbered atoms, and
//! quotients of them, for the rational normal form of `ratfun.rs`. Small on
//! purpose: sums, products, and exact division (which is all the cancellation of
//! a common factor needs). No maintained crate fits: `symbolica` is not freely
//! licensed and `feanor-math` is a number-theory library far larger than this.

use std::collections::BTreeMap;

use crate::rational::Rational;

/// A monomial: (atom, exponent) pairs sorted by atom, exponents positive.
pub type Monomial = Vec<(usize, u32)>;

/// Terms a polynomial may have before a computation gives up.
pub const MAX_TERMS: usize = 64;

/// A polynomial: its nonzero terms by monomial.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Poly {
    /// Coefficients by monomial (never zero).
    pub terms: BTreeMap<Monomial, Rational>,
}

fn mono_mul(a: &Monomial, b: &Monomial) -> Monomial {
    let mut out: BTreeMap<usize, u32> = a.iter().copied().collect();
    for (v, e) in b {
        *out.entry(*v).or_default() += e;
    }
    out.into_iter().collect()
}

/// `a / b` when `b` divides `a`.
fn mono_div(a: &Monomial, b: &Monomial) -> Option<Monomial> {
    let mut out: BTreeMap<usize, u32> = a.iter().copied().collect();
    for (v, e) in b {
        let x = out.get_mut(v)?;
        *x = x.checked_sub(*e)?;
        if *x == 0 {
            out.remove(v);
        }
    }
    Some(out.into_iter().collect())
}

/// The lexicographic monomial order: the exponents of atom 0, then of atom 1, ...
fn lex(a: &Monomial, b: &Monomial) -> std::cmp::Ordering {
    let exp = |m: &Monomial, v: usize| m.iter().find(|(w, _)| *w == v).map_or(0, |(_, e)| *e);
    let mut vars: Vec<usize> = a.iter().chain(b).map(|(v, _)| *v).collect();
    vars.sort_unstable();
    vars.dedup();
    vars.into_iter()
        .map(|v| exp(a, v).cmp(&exp(b, v)))
        .find(|o| o.is_ne())
        .unwrap_or(std::cmp::Ordering::Equal)
}

impl Poly {
    /// The constant `c`.
    pub fn constant(c: Rational) -> Poly {
        let mut terms = BTreeMap::new();
        if c != Rational::ZERO {
            terms.insert(Vec::new(), c);
        }
        Poly { terms }
    }

    /// The atom `v`.
    pub fn atom(v: usize) -> Poly {
        Poly {
            terms: BTreeMap::from([(vec![(v, 1)], Rational::ONE)]),
        }
    }

    /// True for 0.
    pub fn is_zero(&self) -> bool {
        self.terms.is_empty()
    }

    /// The value when constant.
    pub fn as_constant(&self) -> Option<Rational> {
        match self.terms.len() {
            0 => Some(Rational::ZERO),
            1 => self.terms.get(&Vec::new()).copied(),
            _ => None,
        }
    }

    fn add_term(&mut self, m: Monomial, c: Rational) -> Option<()> {
        let v = match self.terms.get(&m) {
            Some(x) => x.add(c)?,
            None => c,
        };
        if v == Rational::ZERO {
            self.terms.remove(&m);
        } else {
            self.terms.insert(m, v);
        }
        Some(())
    }

    /// `self + o`.
    pub fn add(&self, o: &Poly) -> Option<Poly> {
        let mut out = self.clone();
        for (m, c) in &o.terms {
            out.add_term(m.clone(), *c)?;
        }
        (out.terms.len() <= MAX_TERMS).then_some(out)
    }

    /// `−self`.
    pub fn neg(&self) -> Poly {
        Poly {
            terms: self
                .terms
                .iter()
                .map(|(m, c)| (m.clone(), c.neg()))
                .collect(),
        }
    }

    /// `self · o`.
    pub fn mul(&self, o: &Poly) -> Option<Poly> {
        if self.terms.len() * o.terms.len() > MAX_TERMS * MAX_TERMS {
            return None;
        }
        let mut out = Poly::default();
        for (m, c) in &self.terms {
            for (n, d) in &o.terms {
                out.add_term(mono_mul(m, n), c.mul(*d)?)?;
            }
        }
        (out.terms.len() <= MAX_TERMS).then_some(out)
    }

    /// The leading term in the lexicographic monomial order.
    fn leading(&self) -> Option<(&Monomial, &Rational)> {
        self.terms.iter().max_by(|a, b| lex(a.0, b.0))
    }

    /// `self / d` when `d` divides `self` exactly (by division with remainder in
    /// lexicographic order: the remainder is zero exactly when `d` divides).
    pub fn div_exact(&self, d: &Poly) -> Option<Poly> {
        let (dm, dc) = d.leading()?;
        let (dm, dc) = (dm.clone(), *dc);
        let mut rest = self.clone();
        let mut q = Poly::default();
        for _ in 0..4 * MAX_TERMS {
            let Some((m, c)) = rest.leading() else {
                return Some(q);
            };
            let t = mono_div(m, &dm)?;
            let k = c.mul(dc.recip()?)?;
            let step = Poly {
                terms: BTreeMap::from([(t.clone(), k)]),
            };
            q.add_term(t, k)?;
            rest = rest.add(&step.mul(d)?.neg())?;
        }
        None
    }
}

/// A quotient of polynomials, the denominator kept as a product of factors so
/// that a factor common to the numerator cancels by exact division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ratio {
    /// The numerator.
    pub num: Poly,
    /// The factors of the denominator (none: 1).
    pub den: Vec<Poly>,
}

impl Ratio {
    /// A polynomial as a quotient.
    pub fn poly(p: Poly) -> Ratio {
        Ratio {
            num: p,
            den: Vec::new(),
        }
    }

    fn den_product(&self) -> Option<Poly> {
        self.den
            .iter()
            .try_fold(Poly::constant(Rational::ONE), |acc, f| acc.mul(f))
    }

    /// Cancels every denominator factor that divides the numerator, and constant factors.
    fn reduce(mut self) -> Option<Ratio> {
        let mut den = Vec::new();
        for f in std::mem::take(&mut self.den) {
            if let Some(c) = f.as_constant() {
                self.num = self.num.mul(&Poly::constant(c.recip()?))?;
                continue;
            }
            // A monic factor: 2x/(2s) is x/s.
            let lc = *f.leading()?.1;
            let inv = Poly::constant(lc.recip()?);
            let f = f.mul(&inv)?;
            self.num = self.num.mul(&inv)?;
            if let Some(q) = self.num.div_exact(&f) {
                self.num = q;
            } else {
                den.push(f);
            }
        }
        self.den = den;
        Some(self)
    }

    /// `self + o`.
    pub fn add(&self, o: &Ratio) -> Option<Ratio> {
        if self.den == o.den {
            return Ratio {
                num: self.num.add(&o.num)?,
                den: self.den.clone(),
            }
            .reduce();
        }
        let a = self.num.mul(&o.den_product()?)?;
        let b = o.num.mul(&self.den_product()?)?;
        let mut den = self.den.clone();
        den.extend(o.den.iter().cloned());
        Ratio {
            num: a.add(&b)?,
            den,
        }
        .reduce()
    }

    /// `−self`.
    pub fn neg(&self) -> Ratio {
        Ratio {
            num: self.num.neg(),
            den: self.den.clone(),
        }
    }

    /// `self · o`.
    pub fn mul(&self, o: &Ratio) -> Option<Ratio> {
        let mut den = self.den.clone();
        den.extend(o.den.iter().cloned());
        Ratio {
            num: self.num.mul(&o.num)?,
            den,
        }
        .reduce()
    }

    /// `self / o` (`None` for a zero divisor).
    pub fn div(&self, o: &Ratio) -> Option<Ratio> {
        if o.num.is_zero() {
            return None;
        }
        let mut den = self.den.clone();
        den.push(o.num.clone());
        let num = self.num.mul(&o.den_product()?)?;
        Ratio { num, den }.reduce()
    }

    /// `self^k` for an integer k.
    pub fn powi(&self, k: i32) -> Option<Ratio> {
        let base = if k < 0 {
            Ratio::poly(Poly::constant(Rational::ONE)).div(self)?
        } else {
            self.clone()
        };
        let mut acc = Ratio::poly(Poly::constant(Rational::ONE));
        for _ in 0..k.unsigned_abs().min(16) {
            acc = acc.mul(&base)?;
        }
        (k.unsigned_abs() <= 16).then_some(acc)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn x(v: usize) -> Ratio {
        Ratio::poly(Poly::atom(v))
    }
    fn c(n: i64) -> Ratio {
        Ratio::poly(Poly::constant(Rational::int(n)))
    }

    #[test]
    fn cancellations() {
        // (k − 1)y + (k − 1)(y − 1)k/(1 − k) = k − y
        let (k, y) = (x(0), x(1));
        let km1 = k.add(&c(-1)).unwrap();
        let ym1 = y.add(&c(-1)).unwrap();
        let omk = c(1).add(&k.neg()).unwrap();
        let a = km1.mul(&y).unwrap();
        let b = km1.mul(&ym1).unwrap().mul(&k).unwrap().div(&omk).unwrap();
        let s = a.add(&b).unwrap();
        assert_eq!(s, k.add(&y.neg()).unwrap());
        // (a² − b²)/(a − b) = a + b; a/a = 1; (a/b)·(b/a) = 1
        let (a, b) = (x(2), x(3));
        let d = a.powi(2).unwrap().add(&b.powi(2).unwrap().neg()).unwrap();
        let q = d.div(&a.add(&b.neg()).unwrap()).unwrap();
        assert_eq!(q, a.add(&b).unwrap());
        assert_eq!(a.div(&a).unwrap(), c(1));
        assert_eq!(a.div(&b).unwrap().mul(&b.div(&a).unwrap()).unwrap(), c(1));
        assert!(a.div(&c(0)).is_none());
    }

    #[test]
    fn exact_division_refuses_a_remainder() {
        let (a, b) = (Poly::atom(0), Poly::atom(1));
        let s = a.add(&b).unwrap();
        assert!(s.div_exact(&a).is_none());
        assert_eq!(s.mul(&a).unwrap().div_exact(&a), Some(s));
    }
}
