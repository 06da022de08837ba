//! Money: integer minor units and an ISO 4217 currency. Never a float.

use std::fmt;

/// An ISO 4217 currency this build knows, with its minor-unit exponent.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency {
    code: [u8; 3],
    exponent: u8,
}

/// ISO 4217 codes and their exponents (minor units). Extend as needed.
const CURRENCIES: &[(&str, u8)] = &[
    ("AED", 2),
    ("ARS", 2),
    ("AUD", 2),
    ("BHD", 3),
    ("BRL", 2),
    ("CAD", 2),
    ("CHF", 2),
    ("CLP", 0),
    ("CNY", 2),
    ("COP", 2),
    ("CZK", 2),
    ("DKK", 2),
    ("EGP", 2),
    ("EUR", 2),
    ("GBP", 2),
    ("HKD", 2),
    ("HUF", 2),
    ("IDR", 2),
    ("ILS", 2),
    ("INR", 2),
    ("ISK", 0),
    ("JOD", 3),
    ("JPY", 0),
    ("KRW", 0),
    ("KWD", 3),
    ("MXN", 2),
    ("MYR", 2),
    ("NGN", 2),
    ("NOK", 2),
    ("NZD", 2),
    ("OMR", 3),
    ("PHP", 2),
    ("PKR", 2),
    ("PLN", 2),
    ("QAR", 2),
    ("RON", 2),
    ("RUB", 2),
    ("SAR", 2),
    ("SEK", 2),
    ("SGD", 2),
    ("THB", 2),
    ("TND", 3),
    ("TRY", 2),
    ("TWD", 2),
    ("UAH", 2),
    ("USD", 2),
    ("VND", 0),
    ("ZAR", 2),
];

/// Why an amount or currency was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// Not a supported upper-case ISO 4217 code.
    #[error("unknown currency {0:?}; use an upper-case ISO 4217 code such as USD")]
    UnknownCurrency(String),
    /// Two amounts in different currencies were combined.
    #[error("cannot combine {0} with {1}")]
    CurrencyMismatch(String, String),
    /// The result does not fit in 64 bits.
    #[error("amount overflow")]
    Overflow,
}

impl Currency {
    /// Looks up an upper-case ISO 4217 code.
    ///
    /// # Errors
    /// [`MoneyError::UnknownCurrency`] for anything else (including lower case).
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        CURRENCIES
            .iter()
            .find(|(c, _)| *c == code)
            .map(|(c, e)| {
                let b = c.as_bytes();
                Self {
                    code: [b[0], b[1], b[2]],
                    exponent: *e,
                }
            })
            .ok_or_else(|| MoneyError::UnknownCurrency(code.to_owned()))
    }

    /// The three-letter code.
    #[must_use]
    pub fn code(&self) -> &str {
        std::str::from_utf8(&self.code).unwrap_or("XXX")
    }

    /// Digits after the decimal point (USD 2, JPY 0, KWD 3).
    #[must_use]
    pub const fn exponent(&self) -> u8 {
        self.exponent
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl fmt::Debug for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl serde::Serialize for Currency {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.code())
    }
}

impl<'de> serde::Deserialize<'de> for Currency {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

/// An amount of money: integer minor units (cents for USD, yen for JPY) in one currency.
/// Serialises as `{ "amount": 1999, "currency": "USD" }`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Money {
    /// Minor units; negative for credits.
    pub amount: i64,
    /// The currency.
    pub currency: Currency,
}

impl Money {
    /// An amount in minor units.
    #[must_use]
    pub const fn new(amount: i64, currency: Currency) -> Self {
        Self { amount, currency }
    }

    /// Zero in `currency`.
    #[must_use]
    pub const fn zero(currency: Currency) -> Self {
        Self {
            amount: 0,
            currency,
        }
    }

    /// Adds two amounts of the same currency.
    ///
    /// # Errors
    /// [`MoneyError::CurrencyMismatch`] or [`MoneyError::Overflow`].
    pub fn checked_add(self, other: Self) -> Result<Self, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch(
                self.currency.to_string(),
                other.currency.to_string(),
            ));
        }
        self.amount
            .checked_add(other.amount)
            .map(|amount| Self {
                amount,
                currency: self.currency,
            })
            .ok_or(MoneyError::Overflow)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let exp = u32::from(self.currency.exponent());
        let sign = if self.amount < 0 { "-" } else { "" };
        let abs = self.amount.unsigned_abs();
        if exp == 0 {
            return write!(f, "{sign}{abs} {}", self.currency);
        }
        let div = 10u64.pow(exp);
        write!(
            f,
            "{sign}{}.{:0width$} {}",
            abs / div,
            abs % div,
            self.currency,
            width = exp as usize
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exponents_follow_iso_4217() {
        assert_eq!(Currency::parse("USD").unwrap().exponent(), 2);
        assert_eq!(Currency::parse("JPY").unwrap().exponent(), 0);
        assert_eq!(Currency::parse("KWD").unwrap().exponent(), 3);
        assert!(Currency::parse("usd").is_err());
        assert!(Currency::parse("XYZ").is_err());
    }

    #[test]
    fn displays_minor_units() {
        let usd = Currency::parse("USD").unwrap();
        assert_eq!(Money::new(1999, usd).to_string(), "19.99 USD");
        assert_eq!(Money::new(-5, usd).to_string(), "-0.05 USD");
        assert_eq!(
            Money::new(500, Currency::parse("JPY").unwrap()).to_string(),
            "500 JPY"
        );
        assert_eq!(
            Money::new(1234, Currency::parse("KWD").unwrap()).to_string(),
            "1.234 KWD"
        );
    }

    #[test]
    fn refuses_mixed_currencies_and_overflow() {
        let usd = Money::new(1, Currency::parse("USD").unwrap());
        let eur = Money::new(1, Currency::parse("EUR").unwrap());
        assert!(matches!(
            usd.checked_add(eur),
            Err(MoneyError::CurrencyMismatch(..))
        ));
        assert_eq!(
            Money::new(i64::MAX, usd.currency).checked_add(usd),
            Err(MoneyError::Overflow)
        );
        assert_eq!(usd.checked_add(usd).unwrap().amount, 2);
    }

    #[test]
    fn serialises_as_contract_shape() {
        let m = Money::new(1999, Currency::parse("USD").unwrap());
        assert_eq!(
            serde_json::to_string(&m).unwrap(),
            r#"{"amount":1999,"currency":"USD"}"#
        );
    }
}
