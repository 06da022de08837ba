//! Invoice numbers: `INV-YYYY-NNNNNN`, one gapless sequence per year.

use std::fmt;
use std::str::FromStr;

/// An invoice number such as `INV-2026-000042`: the year, then the invoice's place in that
/// year's sequence (1–999 999). Ordered by year, then sequence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct InvoiceNumber {
    year: u16,
    seq: u32,
}

/// Why an invoice number was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvoiceNumberError {
    /// The year does not have four digits (1000–9999).
    #[error("invoice number year {0} is not a four-digit year")]
    Year(i32),
    /// The sequence is not in 1–999 999.
    #[error("invoice number sequence {0} is not between 1 and 999999")]
    Sequence(u32),
    /// The text is not `INV-YYYY-NNNNNN`.
    #[error("invoice number {0:?} is not of the form INV-YYYY-NNNNNN")]
    Malformed(String),
}

/// Highest sequence number a year can hold (six digits).
pub const MAX_SEQUENCE: u32 = 999_999;

impl InvoiceNumber {
    /// The `seq`-th invoice of `year` (an `i32`, as chrono's `Datelike::year` gives it).
    ///
    /// # Errors
    /// [`InvoiceNumberError::Year`] outside 1000–9999, [`InvoiceNumberError::Sequence`]
    /// outside 1–999 999.
    pub fn new(year: i32, seq: u32) -> Result<Self, InvoiceNumberError> {
        let year = u16::try_from(year)
            .ok()
            .filter(|y| (1000..=9999).contains(y))
            .ok_or(InvoiceNumberError::Year(year))?;
        if !(1..=MAX_SEQUENCE).contains(&seq) {
            return Err(InvoiceNumberError::Sequence(seq));
        }
        Ok(Self { year, seq })
    }

    /// Parses exactly `INV-YYYY-NNNNNN` (upper-case prefix, four and six digits).
    ///
    /// # Errors
    /// [`InvoiceNumberError::Malformed`] for any other text, or the errors of [`Self::new`]
    /// (`INV-2026-000000`).
    pub fn parse(text: &str) -> Result<Self, InvoiceNumberError> {
        let malformed = || InvoiceNumberError::Malformed(text.chars().take(32).collect());
        let rest = text.strip_prefix("INV-").ok_or_else(malformed)?;
        let (year, seq) = rest.split_once('-').ok_or_else(malformed)?;
        let all_digits =
            |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(year, 4) || !all_digits(seq, 6) {
            return Err(malformed());
        }
        let year = year.parse().map_err(|_| malformed())?;
        let seq = seq.parse().map_err(|_| malformed())?;
        Self::new(year, seq)
    }

    /// The year.
    #[must_use]
    pub const fn year(self) -> i32 {
        self.year as i32
    }

    /// The place in the year's sequence, from 1.
    #[must_use]
    pub const fn seq(self) -> u32 {
        self.seq
    }
}

impl fmt::Display for InvoiceNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "INV-{:04}-{:06}", self.year, self.seq)
    }
}

impl FromStr for InvoiceNumber {
    type Err = InvoiceNumberError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl serde::Serialize for InvoiceNumber {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for InvoiceNumber {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_with_padding_and_parses_back() {
        let n = InvoiceNumber::new(2026, 42).unwrap();
        assert_eq!(n.to_string(), "INV-2026-000042");
        assert_eq!(InvoiceNumber::parse("INV-2026-000042"), Ok(n));
        assert_eq!((n.year(), n.seq()), (2026, 42));
        let last = InvoiceNumber::new(9999, MAX_SEQUENCE).unwrap();
        assert_eq!(last.to_string(), "INV-9999-999999");
        assert_eq!("INV-9999-999999".parse(), Ok(last));
        assert_eq!(serde_json::to_string(&n).unwrap(), "\"INV-2026-000042\"");
        assert_eq!(
            serde_json::from_str::<InvoiceNumber>("\"INV-2026-000042\"").unwrap(),
            n
        );
        assert!(serde_json::from_str::<InvoiceNumber>("\"INV-2026-42\"").is_err());
    }

    #[test]
    fn orders_by_year_then_sequence() {
        let a = InvoiceNumber::new(2025, 999_999).unwrap();
        let b = InvoiceNumber::new(2026, 1).unwrap();
        let c = InvoiceNumber::new(2026, 2).unwrap();
        assert!(a < b && b < c);
    }

    #[test]
    fn refuses_out_of_range_parts() {
        assert_eq!(
            InvoiceNumber::new(999, 1),
            Err(InvoiceNumberError::Year(999))
        );
        assert_eq!(
            InvoiceNumber::new(10_000, 1),
            Err(InvoiceNumberError::Year(10_000))
        );
        assert_eq!(
            InvoiceNumber::new(70_000, 1),
            Err(InvoiceNumberError::Year(70_000))
        );
        assert_eq!(
            InvoiceNumber::new(2026, 0),
            Err(InvoiceNumberError::Sequence(0))
        );
        assert_eq!(
            InvoiceNumber::new(2026, 1_000_000),
            Err(InvoiceNumberError::Sequence(1_000_000))
        );
        assert_eq!(
            InvoiceNumber::parse("INV-2026-000000"),
            Err(InvoiceNumberError::Sequence(0))
        );
    }

    #[test]
    fn refuses_other_shapes() {
        for text in [
            "",
            "INV-2026-42",
            "INV-2026-0000042",
            "INV-26-000042",
            "inv-2026-000042",
            "INV2026000042",
            "INV-2026_000042",
            "INV-2026-00004a",
            "INV-+026-000042",
            "INV-2026-+00042",
            " INV-2026-000042",
            "INV-2026-000042 ",
            "INV-2026-000042-1",
            "INV-２０２６-000042",
        ] {
            assert!(
                matches!(
                    InvoiceNumber::parse(text),
                    Err(InvoiceNumberError::Malformed(_))
                ),
                "{text:?} was accepted"
            );
        }
    }
}
