//! `APP_ENV` and `LOG_FORMAT`.

use std::fmt;
use std::str::FromStr;

use super::SettingsError;

/// The deployment environment, from `APP_ENV`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Environment {
    /// A developer's machine (the default).
    Development,
    /// Automated tests.
    Test,
    /// A real deployment: secrets are checked strictly.
    Production,
}

impl Environment {
    /// Every environment, in the order they are listed in messages.
    pub const ALL: [Self; 3] = [Self::Development, Self::Test, Self::Production];

    /// The `APP_ENV` spelling, also the config file stem.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }
}

impl fmt::Display for Environment {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Environment {
    type Err = SettingsError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|e| e.as_str() == s.trim().to_ascii_lowercase())
            .ok_or_else(|| SettingsError::UnknownEnvironment(s.to_owned()))
    }
}

/// How log lines are written, from `LOG_FORMAT`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LogFormat {
    /// Human-readable, coloured when writing to a terminal.
    Pretty,
    /// One JSON object per line, for log collectors.
    Json,
}

impl FromStr for LogFormat {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim().to_ascii_lowercase().as_str() {
            "pretty" => Ok(Self::Pretty),
            "json" => Ok(Self::Json),
            _ => Err("expected `json` or `pretty`".to_owned()),
        }
    }
}
