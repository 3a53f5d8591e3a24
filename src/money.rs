//! Money: an exact amount in ten-thousandths of a euro, excluding tax.
//!
//! Rates have up to four decimals (0.0125 € a page), charges are pages × rate, and the sums
//! must equal the statement to the last unit, so amounts are integers and never floats.
//! Arithmetic is checked (`None` on overflow) so a corrupt value can never wrap around into a
//! credit. People see two decimals (`150.00`, rounded half away from zero); storage, JSON and
//! configuration use the exact form ([`Money::to_exact_string`]), which keeps 2 to 4 decimals.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;

/// An amount in 1/10000 € (excl. tax). `Money(1_500_000)` is 150.00 €.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Money(pub i64);

/// Why a text is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("invalid amount `{input}`: {reason}")]
pub struct MoneyError {
    pub input: String,
    pub reason: &'static str,
}

impl Money {
    /// Units per euro.
    pub const SCALE: i64 = 10_000;
    pub const ZERO: Money = Money(0);
    pub const MAX: Money = Money(i64::MAX);

    /// `euros` whole euros; `None` when out of range.
    pub fn from_euros(euros: i64) -> Option<Money> {
        euros.checked_mul(Self::SCALE).map(Money)
    }

    /// `cents` hundredths of a euro; `None` when out of range.
    pub fn from_cents(cents: i64) -> Option<Money> {
        cents.checked_mul(100).map(Money)
    }

    /// The raw value in ten-thousandths.
    pub fn units(self) -> i64 {
        self.0
    }

    pub fn is_negative(self) -> bool {
        self.0 < 0
    }

    pub fn checked_add(self, other: Money) -> Option<Money> {
        self.0.checked_add(other.0).map(Money)
    }

    pub fn checked_sub(self, other: Money) -> Option<Money> {
        self.0.checked_sub(other.0).map(Money)
    }

    /// `self × n` (pages × rate).
    pub fn checked_mul(self, n: u32) -> Option<Money> {
        self.0.checked_mul(i64::from(n)).map(Money)
    }

    /// Parses `150`, `150.00`, `0.05`, `-1.5`, `0.0125`: an optional sign, digits, and at
    /// most four decimals after a point. Anything else (floats' exponents, commas, a fifth
    /// decimal, out of range) is an error rather than a silent rounding.
    pub fn parse(input: &str) -> Result<Money, MoneyError> {
        let err = |reason| MoneyError {
            input: input.to_string(),
            reason,
        };
        let s = input.trim();
        let (negative, body) = match s.as_bytes().first() {
            Some(b'-') => (true, &s[1..]),
            Some(b'+') => (false, &s[1..]),
            _ => (false, s),
        };
        let (whole, frac) = match body.split_once('.') {
            Some((w, f)) => (w, Some(f)),
            None => (body, None),
        };
        if whole.is_empty() || !whole.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err("expected euros such as 150, 150.00 or 0.05"));
        }
        let frac = match frac {
            None => "",
            Some(f) if f.is_empty() || !f.bytes().all(|b| b.is_ascii_digit()) => {
                return Err(err("expected digits after the decimal point"))
            }
            Some(f) if f.len() > 4 => {
                return Err(err("at most four decimals (1/10000 €)"));
            }
            Some(f) => f,
        };
        let too_large = || err("too large");
        // Accumulate negatively so i64::MIN parses too.
        let mut value: i64 = 0;
        for b in whole.bytes() {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_sub(i64::from(b - b'0')))
                .ok_or_else(too_large)?;
        }
        value = value.checked_mul(Self::SCALE).ok_or_else(too_large)?;
        let mut scale = Self::SCALE / 10;
        for b in frac.bytes() {
            value = value
                .checked_sub(i64::from(b - b'0') * scale)
                .ok_or_else(too_large)?;
            scale /= 10;
        }
        if negative {
            Ok(Money(value))
        } else {
            value.checked_neg().map(Money).ok_or_else(too_large)
        }
    }

    /// Two decimals, rounded half away from zero from the exact value: `150.00`, `0.13` for
    /// 0.125, `-0.13` for -0.125. This is what people read (emails, CLI, error messages).
    pub fn to_decimal_string(self) -> String {
        let v = i128::from(self.0);
        let cents = if v >= 0 {
            (v + 50) / 100
        } else {
            (v - 50) / 100
        };
        let sign = if cents < 0 { "-" } else { "" };
        let c = cents.unsigned_abs();
        format!("{sign}{}.{:02}", c / 100, c % 100)
    }

    /// The exact value with 2 to 4 decimals (`150.00`, `0.0125`, `0.125`): lossless, for
    /// storage, JSON and configuration. `parse(m.to_exact_string()) == m` for every `m`.
    pub fn to_exact_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let v = self.0.unsigned_abs();
        let whole = v / Self::SCALE as u64;
        let mut frac = format!("{:04}", v % Self::SCALE as u64);
        while frac.len() > 2 && frac.ends_with('0') {
            frac.pop();
        }
        format!("{sign}{whole}.{frac}")
    }
}

impl fmt::Display for Money {
    /// Two decimals (see [`Money::to_decimal_string`]); `{:>10}` pads.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(&self.to_decimal_string())
    }
}

impl FromStr for Money {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Money, MoneyError> {
        Money::parse(s)
    }
}

impl Serialize for Money {
    /// As the exact decimal string (`"150.00"`, `"0.0125"`): JSON numbers would be floats.
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_exact_string())
    }
}

impl<'de> Deserialize<'de> for Money {
    /// From a decimal string; integers are accepted as whole euros (`default_ceiling = 150`).
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Money, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Money;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an amount in euros as a string, such as \"150.00\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Money, E> {
                Money::parse(v).map_err(E::custom)
            }
            fn visit_i64<E: serde::de::Error>(self, v: i64) -> Result<Money, E> {
                Money::from_euros(v).ok_or_else(|| E::custom("amount too large"))
            }
            fn visit_u64<E: serde::de::Error>(self, v: u64) -> Result<Money, E> {
                i64::try_from(v)
                    .ok()
                    .and_then(Money::from_euros)
                    .ok_or_else(|| E::custom("amount too large"))
            }
        }
        d.deserialize_any(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_contract_examples() {
        assert_eq!(Money::parse("0.05"), Ok(Money(500)));
        assert_eq!(Money::parse("150"), Ok(Money(1_500_000)));
        assert_eq!(Money::parse("150.00"), Ok(Money(1_500_000)));
        assert_eq!(Money::parse("-1.5"), Ok(Money(-15_000)));
        assert_eq!(Money::parse("0.0125"), Ok(Money(125)));
        for bad in [
            "", "-", ".5", "1.", "1.23456", "1,5", "1e3", "abc", "--1", "1.2.3", " 1 2",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Money::parse("922337203685478").is_err());
        assert_eq!(Money::parse("-922337203685477.5808"), Ok(Money(i64::MIN)));
        assert_eq!(Money::parse("922337203685477.5807"), Ok(Money::MAX));
    }

    #[test]
    fn formats_two_decimals_half_away_from_zero() {
        assert_eq!(Money(1_500_000).to_string(), "150.00");
        assert_eq!(Money(1250).to_string(), "0.13");
        assert_eq!(Money(1249).to_string(), "0.12");
        assert_eq!(Money(-1250).to_string(), "-0.13");
        assert_eq!(Money(-1).to_string(), "0.00");
        assert_eq!(Money(i64::MIN).to_string(), "-922337203685477.58");
        assert_eq!(Money(i64::MAX).to_string(), "922337203685477.58");
        assert_eq!(Money(125).to_exact_string(), "0.0125");
        assert_eq!(Money(1_500_000).to_exact_string(), "150.00");
        assert_eq!(Money(-15_000).to_exact_string(), "-1.50");
    }
}
