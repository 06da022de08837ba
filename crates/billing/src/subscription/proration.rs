//! Proration: what changing price part-way through a period costs.

use std::num::NonZeroU64;

use plinth_kernel::{Money, MoneyError, Timestamp};

use crate::invoice::math::div_round_half_even;

/// The charge (positive) or credit (negative) for moving from `old` to `new` at `at`, part
/// way through the period `[start, end)`: `(new − old) × (end − at) / (end − start)`,
/// computed exactly in microseconds with `i128` and rounded half-even to the minor unit.
/// Zero when `at` is outside the period.
///
/// # Errors
/// [`MoneyError::CurrencyMismatch`] for different currencies, [`MoneyError::Overflow`] when the
/// result does not fit.
pub fn prorate(
    old: Money,
    new: Money,
    start: Timestamp,
    end: Timestamp,
    at: Timestamp,
) -> Result<Money, MoneyError> {
    if old.currency != new.currency {
        return Err(MoneyError::CurrencyMismatch(
            old.currency.to_string(),
            new.currency.to_string(),
        ));
    }
    let zero = Money::zero(new.currency);
    if at < start || at >= end {
        return Ok(zero);
    }
    let micros = |d: chrono::TimeDelta| d.num_microseconds().ok_or(MoneyError::Overflow);
    let total = u64::try_from(micros(end - start)?).map_err(|_| MoneyError::Overflow)?;
    let Some(total) = NonZeroU64::new(total) else {
        return Ok(zero);
    };
    let remaining = i128::from(micros(end - at)?);
    let difference = i128::from(new.amount) - i128::from(old.amount);
    let amount = div_round_half_even(difference * remaining, total);
    Ok(Money::new(
        i64::try_from(amount).map_err(|_| MoneyError::Overflow)?,
        new.currency,
    ))
}

#[cfg(test)]
mod tests {
    use plinth_kernel::Currency;

    use super::*;

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    fn usd(amount: i64) -> Money {
        Money::new(amount, Currency::parse("USD").unwrap())
    }

    #[test]
    fn half_way_through_costs_half_the_difference() {
        let start = at("2026-04-01T00:00:00Z");
        let end = at("2026-05-01T00:00:00Z");
        let mid = at("2026-04-16T00:00:00Z");
        assert_eq!(
            prorate(usd(1000), usd(3000), start, end, mid).unwrap(),
            usd(1000)
        );
        assert_eq!(
            prorate(usd(3000), usd(1000), start, end, mid).unwrap(),
            usd(-1000),
            "a cheaper plan gives a credit"
        );
    }

    #[test]
    fn rounds_half_to_even() {
        let start = at("2026-04-01T00:00:00Z");
        let end = at("2026-04-05T00:00:00Z");
        // A quarter of the period left: 2 × 1/4 = 0.5 → 0; 6 × 1/4 = 1.5 → 2; 10/4 = 2.5 → 2.
        let at3 = at("2026-04-04T00:00:00Z");
        assert_eq!(prorate(usd(0), usd(2), start, end, at3).unwrap(), usd(0));
        assert_eq!(prorate(usd(0), usd(6), start, end, at3).unwrap(), usd(2));
        assert_eq!(prorate(usd(0), usd(10), start, end, at3).unwrap(), usd(2));
        assert_eq!(prorate(usd(10), usd(0), start, end, at3).unwrap(), usd(-2));
        // One third left of 100: 33.33… → 33.
        let start = at("2026-04-01T00:00:00Z");
        let end = at("2026-04-04T00:00:00Z");
        assert_eq!(
            prorate(usd(0), usd(100), start, end, at("2026-04-03T00:00:00Z")).unwrap(),
            usd(33)
        );
    }

    #[test]
    fn outside_the_period_nothing_is_owed_and_currencies_must_match() {
        let start = at("2026-04-01T00:00:00Z");
        let end = at("2026-05-01T00:00:00Z");
        assert_eq!(prorate(usd(1), usd(9), start, end, end).unwrap(), usd(0));
        assert_eq!(
            prorate(usd(1), usd(9), start, end, at("2026-03-01T00:00:00Z")).unwrap(),
            usd(0)
        );
        let eur = Money::new(5, Currency::parse("EUR").unwrap());
        assert!(matches!(
            prorate(usd(1), eur, start, end, start),
            Err(MoneyError::CurrencyMismatch(..))
        ));
    }

    #[test]
    fn huge_amounts_do_not_wrap() {
        let start = at("2026-04-01T00:00:00Z");
        let end = at("2026-05-01T00:00:00Z");
        let r = prorate(usd(i64::MIN), usd(i64::MAX), start, end, start);
        assert!(matches!(r, Err(MoneyError::Overflow)));
    }
}
