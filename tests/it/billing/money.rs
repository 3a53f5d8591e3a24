//! Property tests of `faxvox::billing::Money`: parsing and printing round-trip exactly,
//! printing rounds half away from zero to cents, checked arithmetic never panics and agrees
//! with 128-bit arithmetic, and addition is associative wherever it does not overflow.

use faxvox::billing::Money;
use proptest::prelude::*;

/// Reference rounding in i128: cents, half away from zero.
fn cents(v: i64) -> i128 {
    let v = i128::from(v);
    if v >= 0 {
        (v + 50) / 100
    } else {
        (v - 50) / 100
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn exact_string_round_trips(v in any::<i64>()) {
        let m = Money(v);
        prop_assert_eq!(Money::parse(&m.to_exact_string()), Ok(m));
        let json = serde_json::to_string(&m).unwrap();
        prop_assert_eq!(serde_json::from_str::<Money>(&json).unwrap(), m);
    }

    #[test]
    fn display_is_cents_rounded_half_away(v in any::<i64>()) {
        let shown = Money(v).to_string();
        prop_assert_eq!(&shown, &Money(v).to_decimal_string());
        let (whole, frac) = shown.trim_start_matches('-').split_once('.').unwrap();
        prop_assert_eq!(frac.len(), 2);
        let c: i128 = format!("{whole}{frac}").parse().unwrap();
        let expected = cents(v);
        prop_assert_eq!(if shown.starts_with('-') { -c } else { c }, expected);
        // Printing then parsing gives the amount rounded to the cent (exact when in cents).
        if let Ok(back) = Money::parse(&shown) {
            prop_assert_eq!(i128::from(back.0), expected * 100);
        }
        prop_assert!(i128::from(v).abs() > 9_223_372_036_854_775_000 || Money::parse(&shown).is_ok());
    }

    #[test]
    fn cents_round_trip_through_display(c in -92_233_720_368_547_758i64..=92_233_720_368_547_758) {
        let m = Money::from_cents(c).unwrap();
        prop_assert_eq!(Money::parse(&m.to_string()), Ok(m));
    }

    #[test]
    fn decimal_text_parses_exactly(whole in 0u64..1_000_000_000_000, frac in 0u32..10_000, width in 1usize..=4, neg in any::<bool>()) {
        let frac = frac % 10u32.pow(width as u32);
        let text = format!("{}{whole}.{frac:0width$}", if neg { "-" } else { "" });
        let expected = (whole as i64 * 10_000 + i64::from(frac) * 10i64.pow(4 - width as u32)) * if neg { -1 } else { 1 };
        prop_assert_eq!(Money::parse(&text), Ok(Money(expected)));
    }

    #[test]
    fn five_decimals_or_garbage_are_refused(whole in 0u32..1000, frac in 0u32..100_000, junk in "[a-zA-Z ,eE_]{1,3}") {
        let five = format!("{whole}.{frac:05}");
        prop_assert!(Money::parse(&five).is_err());
        let glued = format!("{whole}{junk}1");
        prop_assert!(Money::parse(&glued).is_err());
    }

    #[test]
    fn checked_arithmetic_agrees_with_i128(a in any::<i64>(), b in any::<i64>(), n in any::<u32>()) {
        let in_range = |x: i128| i64::try_from(x).ok().map(Money);
        prop_assert_eq!(Money(a).checked_add(Money(b)), in_range(i128::from(a) + i128::from(b)));
        prop_assert_eq!(Money(a).checked_sub(Money(b)), in_range(i128::from(a) - i128::from(b)));
        prop_assert_eq!(Money(a).checked_mul(n), in_range(i128::from(a) * i128::from(n)));
    }

    #[test]
    fn addition_is_associative_within_range(a in any::<i64>(), b in any::<i64>(), c in any::<i64>()) {
        let (a, b, c) = (Money(a), Money(b), Money(c));
        let left = a.checked_add(b).and_then(|ab| ab.checked_add(c));
        let right = b.checked_add(c).and_then(|bc| a.checked_add(bc));
        if let (Some(l), Some(r)) = (left, right) {
            prop_assert_eq!(l, r);
        }
        // When the exact sum is in range and both groupings' partial sums are, they agree.
        let exact = i128::from(a.0) + i128::from(b.0) + i128::from(c.0);
        if let Some(l) = left { prop_assert_eq!(i128::from(l.0), exact); }
        // Subtraction undoes addition.
        if let Some(ab) = a.checked_add(b) {
            prop_assert_eq!(ab.checked_sub(b), Some(a));
        }
    }

    #[test]
    fn parse_never_panics(s in "\\PC{0,40}") {
        let _ = Money::parse(&s);
    }

    #[test]
    fn pages_times_rate_is_exact(rate in 0i64..100_000, pages in 0u32..10_000) {
        let amount = Money(rate).checked_mul(pages).unwrap();
        prop_assert_eq!(amount.0, rate * i64::from(pages));
        let sum = (0..pages).try_fold(Money::ZERO, |acc, _| acc.checked_add(Money(rate))).unwrap();
        prop_assert_eq!(sum, amount);
    }
}
