//! Exact rational numbers for the constants of a problem (`0.5`, `1/2`, `1e-3`).
//!
//! They are leaves of the e-graph language, so they implement `FromStr + Display +
//! Ord + Hash`; the text form is `3`, `-1/2`.

#![allow(clippy::should_implement_trait)]

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use num_rational::Ratio;
use num_traits::{CheckedAdd, CheckedMul, Zero};

/// A rational number `num/den` in lowest terms with `den > 0`: `num-rational`'s
/// `Ratio<i128>`, kept below 2¹⁰⁰ in magnitude so that every operation is checked
/// (a result beyond is refused, never wrapped).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational(Ratio<i128>);

/// The largest magnitude kept exact; results beyond it are refused, not wrapped.
const LIMIT: i128 = 1 << 100;

impl Rational {
    /// Zero.
    pub const ZERO: Rational = Rational(Ratio::new_raw(0, 1));
    /// One.
    pub const ONE: Rational = Rational(Ratio::new_raw(1, 1));

    /// `num/den` in lowest terms, or `None` if `den` is zero or the parts are too large.
    pub fn new(num: i128, den: i128) -> Option<Rational> {
        // `checked_abs` refuses i128::MIN, whose negation in the reduction would overflow.
        if den == 0 || num.checked_abs().is_none() || den.checked_abs().is_none() {
            return None;
        }
        Rational::checked(Ratio::new(num, den))
    }

    /// `r` if both its parts are within the limit.
    fn checked(r: Ratio<i128>) -> Option<Rational> {
        (r.numer().abs() <= LIMIT && *r.denom() <= LIMIT).then_some(Rational(r))
    }

    /// An integer.
    pub fn int(n: i64) -> Rational {
        Rational(Ratio::from_integer(n as i128))
    }

    /// Numerator.
    pub fn numer(&self) -> i128 {
        *self.0.numer()
    }

    /// Denominator (always positive).
    pub fn denom(&self) -> i128 {
        *self.0.denom()
    }

    /// True for whole numbers.
    pub fn is_integer(&self) -> bool {
        self.0.is_integer()
    }

    /// The value as a float.
    pub fn to_f64(&self) -> f64 {
        self.numer() as f64 / self.denom() as f64
    }

    /// Sum, or `None` on overflow.
    pub fn add(self, o: Rational) -> Option<Rational> {
        Rational::checked(self.0.checked_add(&o.0)?)
    }

    /// Product, or `None` on overflow.
    pub fn mul(self, o: Rational) -> Option<Rational> {
        Rational::checked(self.0.checked_mul(&o.0)?)
    }

    /// Reciprocal, or `None` for zero.
    pub fn recip(self) -> Option<Rational> {
        (!self.0.is_zero()).then(|| Rational(self.0.recip()))
    }

    /// Negation.
    pub fn neg(self) -> Rational {
        Rational(-self.0)
    }

    /// Integer power, or `None` on overflow or `0^-k`.
    pub fn powi(self, k: i32) -> Option<Rational> {
        let base = if k < 0 { self.recip()? } else { self };
        let mut acc = Rational::ONE;
        for _ in 0..k.unsigned_abs() {
            acc = acc.mul(base)?;
        }
        Some(acc)
    }

    /// A short decimal spelling when one is exact (`0.5`, `0.25`, `1.5`), else `None`.
    pub fn decimal(&self) -> Option<String> {
        if self.denom() == 1 {
            return Some(self.numer().to_string());
        }
        let (mut d, mut twos, mut fives) = (self.denom(), 0u32, 0u32);
        while d % 2 == 0 {
            d /= 2;
            twos += 1;
        }
        while d % 5 == 0 {
            d /= 5;
            fives += 1;
        }
        let places = twos.max(fives);
        if d != 1 || places > 6 {
            return None;
        }
        let scaled = self.numer() * 10i128.pow(places) / self.denom();
        let sign = if scaled < 0 { "-" } else { "" };
        let a = scaled.abs();
        let p = 10i128.pow(places);
        let frac = format!("{:0width$}", a % p, width = places as usize);
        Some(format!("{sign}{}.{}", a / p, frac.trim_end_matches('0')))
    }

    /// Parses a decimal literal of the language (`2`, `0.5`, `1e-3`, `.25`).
    pub fn parse_decimal(text: &str) -> Option<Rational> {
        let lower = text.to_ascii_lowercase();
        let (mantissa, exp) = match lower.split_once('e') {
            Some((m, e)) => (m, e.parse::<i32>().ok()?),
            None => (lower.as_str(), 0),
        };
        let (int_part, frac_part) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        let digits = format!("{int_part}{frac_part}");
        if digits.is_empty() || digits.len() > 30 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let n: i128 = digits.parse().ok()?;
        let scale = exp - frac_part.len() as i32;
        if scale.abs() > 30 {
            return None;
        }
        let ten = Rational::int(10).powi(scale)?;
        Rational::new(n, 1)?.mul(ten)
    }
}

impl PartialOrd for Rational {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Rational {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.cmp(&other.0)
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_integer() {
            write!(f, "{}", self.numer())
        } else {
            write!(f, "{}/{}", self.numer(), self.denom())
        }
    }
}

impl FromStr for Rational {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || format!("not a rational number: {s}");
        match s.split_once('/') {
            Some((n, d)) => {
                let n: i128 = n.parse().map_err(|_| bad())?;
                let d: i128 = d.parse().map_err(|_| bad())?;
                Rational::new(n, d).ok_or_else(bad)
            }
            None => {
                let n: i128 = s.parse().map_err(|_| bad())?;
                Rational::new(n, 1).ok_or_else(bad)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        let cases = [
            ("0.5", "1/2"),
            ("1e-3", "1/1000"),
            ("2", "2"),
            (".25", "1/4"),
            ("1.5E2", "150"),
        ];
        for (text, want) in cases {
            assert_eq!(
                Rational::parse_decimal(text).unwrap().to_string(),
                want,
                "{text}"
            );
        }
        assert_eq!(
            "-1/2".parse::<Rational>().unwrap(),
            Rational::new(-1, 2).unwrap()
        );
        assert_eq!(Rational::new(-3, 4).unwrap().decimal().unwrap(), "-0.75");
        assert_eq!(Rational::new(1, 3).unwrap().decimal(), None);
        assert!(Rational::parse_decimal("1e400").is_none());
    }

    #[test]
    fn arithmetic_is_exact_and_checked() {
        let r = |n, d| Rational::new(n, d).unwrap();
        let cases = [
            (r(1, 2).add(r(1, 3)), Some(r(5, 6))),
            (r(-1, 2).add(r(1, 2)), Some(Rational::ZERO)),
            (r(2, 3).mul(r(3, 4)), Some(r(1, 2))),
            (r(-3, 4).recip(), Some(r(-4, 3))),
            (Rational::ZERO.recip(), None),
            (r(2, 1).powi(-2), Some(r(1, 4))),
            (r(2, 1).powi(101), None),
            (r(1 << 99, 1).add(r(1 << 99, 1)), Some(r(1 << 100, 1))),
            (r(1 << 100, 1).add(Rational::ONE), None),
        ];
        for (i, (got, want)) in cases.into_iter().enumerate() {
            assert_eq!(got, want, "case {i}");
        }
        assert_eq!(r(6, -4), r(-3, 2));
        assert!(r(1, 3) < r(1, 2) && r(-1, 2) < r(-1, 3));
        assert!(Rational::new(1, 0).is_none() && Rational::new(i128::MIN, 1).is_none());
        assert_eq!("-6/4".parse::<Rational>().unwrap().to_string(), "-3/2");
    }
}
