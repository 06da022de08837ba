//! [`RateLimit`]: `requests` per period, written `10/min`, `600/min`, `5/s`, `100/hour`.

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// A budget of `requests` per `per`, refilled evenly (GCRA): `10/min` allows a burst of ten,
/// then one more every six seconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RateLimit {
    /// Requests allowed per period (at least 1).
    pub requests: u32,
    /// The period (longer than zero).
    pub per: Duration,
}

impl RateLimit {
    /// `requests` per `per`.
    #[must_use]
    pub const fn new(requests: u32, per: Duration) -> Self {
        Self { requests, per }
    }

    /// `requests` per minute.
    #[must_use]
    pub const fn per_minute(requests: u32) -> Self {
        Self::new(requests, Duration::from_secs(60))
    }
}

/// Why a rate limit text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "invalid rate limit {input:?}: expected `<requests>/<unit>` such as `10/min`, `5/s` or `100/hour`, with requests ≥ 1"
)]
pub struct RateLimitParseError {
    input: String,
}

impl FromStr for RateLimit {
    type Err = RateLimitParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || RateLimitParseError {
            input: s.to_owned(),
        };
        let (requests, unit) = s.trim().split_once('/').ok_or_else(err)?;
        let requests: u32 = requests.trim().parse().map_err(|_| err())?;
        if requests == 0 {
            return Err(err());
        }
        let secs = match unit.trim().to_ascii_lowercase().as_str() {
            "s" | "sec" | "second" | "seconds" => 1,
            "m" | "min" | "minute" | "minutes" => 60,
            "h" | "hour" | "hours" => 3600,
            "d" | "day" | "days" => 86_400,
            _ => return Err(err()),
        };
        Ok(Self::new(requests, Duration::from_secs(secs)))
    }
}

impl fmt::Display for RateLimit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let unit = match self.per.as_secs() {
            1 if self.per.subsec_nanos() == 0 => "s",
            60 if self.per.subsec_nanos() == 0 => "min",
            3600 if self.per.subsec_nanos() == 0 => "hour",
            86_400 if self.per.subsec_nanos() == 0 => "day",
            _ => return write!(f, "{}/{}ms", self.requests, self.per.as_millis()),
        };
        write!(f, "{}/{unit}", self.requests)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_documented_forms() {
        assert_eq!("10/min".parse(), Ok(RateLimit::per_minute(10)));
        assert_eq!("600/min".parse(), Ok(RateLimit::per_minute(600)));
        assert_eq!(
            " 5/s ".parse(),
            Ok(RateLimit::new(5, Duration::from_secs(1)))
        );
        assert_eq!(
            "100/hour".parse(),
            Ok(RateLimit::new(100, Duration::from_secs(3600)))
        );
        assert_eq!(
            "100/hour".parse::<RateLimit>().unwrap().to_string(),
            "100/hour"
        );
    }

    #[test]
    fn refuses_nonsense() {
        for bad in [
            "",
            "10",
            "0/min",
            "-1/min",
            "ten/min",
            "10/fortnight",
            "10/",
            "/min",
        ] {
            assert!(bad.parse::<RateLimit>().is_err(), "{bad}");
        }
    }
}
