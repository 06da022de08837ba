//! Parsers for the value syntaxes the settings use: durations (`15m`, `30d`, `1h30m`), rate
//! limits (`10/min`), comma lists and CIDR lists.
//!
//! Errors are short phrases ("expected a duration such as 15m or 30d") that the caller wraps
//! with the setting's name and origin.

use std::time::Duration;

pub use plinth_api::RateLimit;

/// Parses a duration written as one or more `<integer><unit>` parts, units `ms`, `s`, `m`, `h`,
/// `d`, `w` (`15m`, `30d`, `10s`, `1h30m`). A bare `0` is zero.
///
/// # Errors
/// A phrase describing the expected syntax.
pub fn duration(input: &str) -> Result<Duration, String> {
    const EXPECTED: &str = "expected a duration such as 10s, 15m, 1h or 30d";
    let s = input.trim();
    if s == "0" {
        return Ok(Duration::ZERO);
    }
    if s.is_empty() {
        return Err(EXPECTED.to_owned());
    }
    let mut total = Duration::ZERO;
    let mut rest = s;
    while !rest.is_empty() {
        let digits = rest
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(rest.len());
        if digits == 0 {
            return Err(EXPECTED.to_owned());
        }
        let value: u64 = rest[..digits].parse().map_err(|_| EXPECTED.to_owned())?;
        rest = &rest[digits..];
        let unit_len = rest
            .find(|c: char| c.is_ascii_digit())
            .unwrap_or(rest.len());
        let millis_per_unit: u64 = match rest[..unit_len].trim() {
            "ms" => 1,
            "s" => 1_000,
            "m" => 60_000,
            "h" => 3_600_000,
            "d" => 86_400_000,
            "w" => 604_800_000,
            _ => return Err(EXPECTED.to_owned()),
        };
        rest = &rest[unit_len..];
        let part = value
            .checked_mul(millis_per_unit)
            .ok_or_else(|| "duration too large".to_owned())?;
        total = total
            .checked_add(Duration::from_millis(part))
            .ok_or_else(|| "duration too large".to_owned())?;
    }
    Ok(total)
}

/// Parses a rate such as `10/min` with [`plinth_api::RateLimit`]'s syntax, so the settings and
/// the limiter agree on one grammar.
///
/// # Errors
/// A phrase describing the expected syntax.
pub fn rate_limit(input: &str) -> Result<RateLimit, String> {
    input
        .parse()
        .map_err(|e: plinth_api::RateLimitParseError| e.to_string())
}

/// Splits a comma list, trimming items and dropping empty ones (`""` is the empty list).
#[must_use]
pub fn comma_list(input: &str) -> Vec<String> {
    input
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Parses one network: a CIDR (`10.0.0.0/8`, `fd00::/8`) or a bare address (a /32 or /128).
///
/// # Errors
/// A phrase naming the bad item.
pub fn network(item: &str) -> Result<ipnet::IpNet, String> {
    let item = item.trim();
    item.parse::<ipnet::IpNet>()
        .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
        .map_err(|_| format!("`{item}` is not a CIDR such as 10.0.0.0/8 or an IP address"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse() {
        assert_eq!(duration("15m"), Ok(Duration::from_secs(900)));
        assert_eq!(duration("30d"), Ok(Duration::from_secs(2_592_000)));
        assert_eq!(duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(duration("1h"), Ok(Duration::from_secs(3600)));
        assert_eq!(duration("1h30m"), Ok(Duration::from_secs(5400)));
        assert_eq!(duration("250ms"), Ok(Duration::from_millis(250)));
        assert_eq!(duration("0"), Ok(Duration::ZERO));
        for bad in [
            "",
            "15",
            "m",
            "1.5h",
            "10 parsecs",
            "-1s",
            "99999999999999999999d",
        ] {
            assert!(duration(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn rate_limits_parse() {
        assert_eq!(
            rate_limit("10/min"),
            Ok(RateLimit::new(10, Duration::from_secs(60)))
        );
        assert_eq!(
            rate_limit("5/s"),
            Ok(RateLimit::new(5, Duration::from_secs(1)))
        );
        for bad in ["10", "0/min", "10/fortnight", "x/min", "5/0"] {
            assert!(rate_limit(bad).is_err(), "{bad}");
        }
    }
}
