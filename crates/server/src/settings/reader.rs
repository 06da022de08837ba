//! Typed reads from the merged layers, with errors that name the key and where its value came
//! from.

use figment::Figment;
use figment::value::Value;
use secrecy::SecretString;

use super::{SettingsError, parse};

/// Reads keys out of a merged figment.
pub(super) struct Reader<'a> {
    figment: &'a Figment,
}

impl<'a> Reader<'a> {
    pub(super) const fn new(figment: &'a Figment) -> Self {
        Self { figment }
    }

    /// Where `value` came from: the file path, `environment variable` or `built-in config/…`.
    pub(super) fn origin(&self, value: &Value) -> String {
        match self.figment.get_metadata(value.tag()) {
            Some(meta) => match meta.source.as_ref().and_then(figment::Source::file_path) {
                Some(path) => path.display().to_string(),
                None => meta.name.to_string(),
            },
            None => "configuration".to_owned(),
        }
    }

    fn value(&self, key: &str) -> Option<Value> {
        self.figment.find_value(key).ok()
    }

    /// The error for `key`'s current value; `secret` hides the value.
    pub(super) fn invalid(
        &self,
        key: &'static str,
        secret: bool,
        reason: impl Into<String>,
    ) -> SettingsError {
        let (shown, origin) = match self.value(key) {
            Some(v) => {
                let shown = if secret {
                    String::new()
                } else {
                    format!(" = {:?}", scalar(&v).unwrap_or_default())
                };
                (shown, self.origin(&v))
            }
            None => (String::new(), "configuration".to_owned()),
        };
        SettingsError::Invalid {
            key,
            shown,
            origin,
            reason: reason.into(),
        }
    }

    /// `key` as text, `None` when no layer sets it.
    pub(super) fn text(&self, key: &'static str) -> Result<Option<String>, SettingsError> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => scalar(&v)
                .map(Some)
                .ok_or_else(|| self.invalid(key, false, "expected a single value")),
        }
    }

    /// `key` as text; missing is an error.
    pub(super) fn required(&self, key: &'static str) -> Result<String, SettingsError> {
        self.text(key)?.ok_or(SettingsError::Missing { key })
    }

    /// `key` parsed by `f`; missing is an error.
    pub(super) fn parsed<T>(
        &self,
        key: &'static str,
        f: impl FnOnce(&str) -> Result<T, String>,
    ) -> Result<T, SettingsError> {
        f(&self.required(key)?).map_err(|reason| self.invalid(key, false, reason))
    }

    /// `key` as a whole number in `min..=max`.
    pub(super) fn number<T: TryFrom<u64>>(
        &self,
        key: &'static str,
        min: u64,
        max: u64,
    ) -> Result<T, SettingsError> {
        let reason = format!("expected a whole number from {min} to {max}");
        self.parsed(key, |s| {
            s.trim()
                .parse::<u64>()
                .ok()
                .filter(|n| (min..=max).contains(n))
                .and_then(|n| T::try_from(n).ok())
                .ok_or(reason)
        })
    }

    /// `key` as a duration of at least `min`.
    pub(super) fn duration(
        &self,
        key: &'static str,
        min: std::time::Duration,
    ) -> Result<std::time::Duration, SettingsError> {
        self.parsed(key, |s| {
            let d = parse::duration(s)?;
            if d < min {
                Err(format!("must be at least {}s", min.as_secs_f64()))
            } else {
                Ok(d)
            }
        })
    }

    /// `key` as a boolean (`true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`).
    pub(super) fn boolean(&self, key: &'static str) -> Result<bool, SettingsError> {
        self.parsed(key, |s| match s.trim().to_ascii_lowercase().as_str() {
            "true" | "1" | "yes" | "on" => Ok(true),
            "false" | "0" | "no" | "off" => Ok(false),
            _ => Err("expected true or false".to_owned()),
        })
    }

    /// `key` as a list: a TOML array, or a comma-separated string (empty string = empty list).
    /// Missing is the empty list.
    pub(super) fn list(&self, key: &'static str) -> Result<Vec<String>, SettingsError> {
        match self.value(key) {
            None => Ok(Vec::new()),
            Some(Value::Array(_, items)) => items
                .iter()
                .map(|item| {
                    scalar(item)
                        .ok_or_else(|| self.invalid(key, false, "expected a list of strings"))
                })
                .map(|item| item.map(|s| s.trim().to_owned()))
                .filter(|item| item.as_ref().map_or(true, |s| !s.is_empty()))
                .collect(),
            Some(v) => scalar(&v)
                .map(|s| parse::comma_list(&s))
                .ok_or_else(|| self.invalid(key, false, "expected a comma-separated list")),
        }
    }

    /// `key` as a secret; unset or empty is `None`.
    pub(super) fn secret(&self, key: &'static str) -> Result<Option<SecretString>, SettingsError> {
        match self.value(key) {
            None => Ok(None),
            Some(v) => match v.into_string() {
                Some(s) if s.is_empty() => Ok(None),
                Some(s) => Ok(Some(SecretString::from(s))),
                None => Err(self.invalid(key, true, "expected a string")),
            },
        }
    }
}

/// A scalar value as text (strings as they are, numbers and booleans in TOML spelling).
fn scalar(value: &Value) -> Option<String> {
    match value {
        Value::String(_, s) => Some(s.clone()),
        Value::Char(_, c) => Some(c.to_string()),
        Value::Bool(_, b) => Some(b.to_string()),
        Value::Num(_, n) => n
            .to_i128()
            .map(|i| i.to_string())
            .or_else(|| n.to_f64().map(|f| f.to_string())),
        Value::Empty(..) | Value::Dict(..) | Value::Array(..) => None,
    }
}
