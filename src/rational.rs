//! Exact rational numbers for the constants of a problem (`0.5`, `1/2`, `1e-3`).
//!
//! They are leaves of the e-graph language, so they implement `FromStr + Display +
//! Ord + Hash`; the text form is `3`, `-1/2`.

#![allow(clippy::should_implement_trait)]

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// A rational number `num/den` in lowest terms with `den > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Rational {
    num: i128,
    den: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.abs(), b.abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// The largest magnitude kept exact; results beyond it are refused, not wrapped.
const LIMIT: i128 = 1 << 100;

impl Rational {
    /// Zero.
    pub const ZERO: Rational = Rational { num: 0, den: 1 };
    /// One.
    pub const ONE: Rational = Rational { num: 1, den: 1 };

    /// `num/den` in lowest terms, or `None` if `den` is zero or the parts are too large.
    pub fn new(num: i128, den: i128) -> Option<Rational> {
        if den == 0 {
            return None;
        }
        let g = gcd(num, den).max(1);
        let (mut n, mut d) = (num / g, den / g);
        if d < 0 {
            n = -n;
            d = -d;
        }
        (n.abs() <= LIMIT && d <= LIMIT).then_some(Rational { num: n, den: d })
    }

    /// An integer.
    pub fn int(n: i64) -> Rational {
        Rational {
            num: n as i128,
            den: 1,
        }
    }

    /// Numerator.
    pub fn numer(&self) -> i128 {
        self.num
    }

    /// Denominator (always positive).
    pub fn denom(&self) -> i128 {
        self.den
    }

    /// True for whole numbers.
    pub fn is_integer(&self) -> bool {
        self.den == 1
    }

    /// The value as a float.
    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Sum, or `None` on overflow.
    pub fn add(self, o: Rational) -> Option<Rational> {
        let n = self
            .num
            .checked_mul(o.den)?
            .checked_add(o.num.checked_mul(self.den)?)?;
        Rational::new(n, self.den.checked_mul(o.den)?)
    }

    /// Product, or `None` on overflow.
    pub fn mul(self, o: Rational) -> Option<Rational> {
        let g1 = gcd(self.num, o.den).max(1);
        let g2 = gcd(o.num, self.den).max(1);
        let n = (self.num / g1).checked_mul(o.num / g2)?;
        let d = (self.den / g2).checked_mul(o.den / g1)?;
        Rational::new(n, d)
    }

    /// Reciprocal, or `None` for zero.
    pub fn recip(self) -> Option<Rational> {
        Rational::new(self.den, self.num)
    }

    /// Negation.
    pub fn neg(self) -> Rational {
        Rational {
            num: -self.num,
            den: self.den,
        }
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
        if self.den == 1 {
            return Some(self.num.to_string());
        }
        let (mut d, mut twos, mut fives) = (self.den, 0u32, 0u32);
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
        let scaled = self.num * 10i128.pow(places) / self.den;
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
        // den > 0 on both sides; the products fit because parts are below 2^100... compare as f64 on overflow.
        match (
            self.num.checked_mul(other.den),
            other.num.checked_mul(self.den),
        ) {
            (Some(a), Some(b)) => a.cmp(&b),
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
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
}
