//! Percentages written as text (`"8.25"`) and their basis points, without floating point.

use crate::invoice::InvoiceError;
use crate::invoice::math::BPS_PER_WHOLE;

/// Parses a percentage from 0 to 100 with at most two decimals (`"10"`, `"8.25"`, `"0.5"`)
/// into basis points (`1000`, `825`, `50`). Digits only: no sign, exponent or spaces.
///
/// # Errors
/// [`InvoiceError::InvalidPercent`] for anything else, including more than two decimals and
/// values above 100.
pub fn percent_to_bps(text: &str) -> Result<u32, InvoiceError> {
    let invalid = || InvoiceError::InvalidPercent(text.chars().take(32).collect());
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(whole) || (text.contains('.') && !digits(fraction)) || fraction.len() > 2 {
        return Err(invalid());
    }
    // At most 3 significant digits are allowed through below, so the sums cannot overflow.
    let whole = whole.trim_start_matches('0');
    if whole.len() > 3 {
        return Err(invalid());
    }
    let whole: u32 = if whole.is_empty() {
        0
    } else {
        whole.parse().map_err(|_| invalid())?
    };
    let hundredths: u32 = format!("{fraction:0<2}").parse().map_err(|_| invalid())?;
    let bps = whole * 100 + hundredths;
    if bps > BPS_PER_WHOLE {
        return Err(invalid());
    }
    Ok(bps)
}

/// Writes basis points as a percentage without trailing zeros: 825 → `"8.25"`,
/// 1000 → `"10"`, 50 → `"0.5"`, 5 → `"0.05"`.
#[must_use]
pub fn bps_to_percent(bps: u32) -> String {
    let (whole, hundredths) = (bps / 100, bps % 100);
    match hundredths {
        0 => whole.to_string(),
        h if h % 10 == 0 => format!("{whole}.{}", h / 10),
        h => format!("{whole}.{h:02}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentages_become_basis_points() {
        for (text, bps) in [
            ("0", 0),
            ("10", 1000),
            ("8.25", 825),
            ("0.5", 50),
            ("0.05", 5),
            ("33.33", 3333),
            ("100", 10_000),
            ("100.00", 10_000),
            ("007.5", 750),
        ] {
            assert_eq!(percent_to_bps(text).unwrap(), bps, "{text}");
            assert_eq!(percent_to_bps(&bps_to_percent(bps)).unwrap(), bps);
        }
        assert_eq!(bps_to_percent(825), "8.25");
        assert_eq!(bps_to_percent(1000), "10");
        assert_eq!(bps_to_percent(50), "0.5");
        assert_eq!(bps_to_percent(5), "0.05");
    }

    #[test]
    fn anything_else_is_refused() {
        for text in [
            "",
            ".",
            "1.",
            ".5",
            "-1",
            "+1",
            "1e2",
            " 1",
            "1 ",
            "8.255",
            "100.01",
            "101",
            "1000",
            "99999999999999999999",
            "ten",
            "1,5",
            "1.2.3",
        ] {
            assert!(
                matches!(percent_to_bps(text), Err(InvoiceError::InvalidPercent(_))),
                "{text:?} was accepted"
            );
        }
    }
}
