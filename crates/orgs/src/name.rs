//! [`OrgName`]: an organization's display name.

/// Longest name, in characters.
const MAX_CHARS: usize = 100;

/// An organization's name: 1 to 100 characters after trimming, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub struct OrgName(String);

/// Why a name was refused (the message is for the user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct OrgNameError(pub String);

impl OrgName {
    /// `raw`, trimmed, when it is a valid name.
    ///
    /// # Errors
    /// [`OrgNameError`] for an empty or too long name, or one with control characters.
    pub fn parse(raw: &str) -> Result<Self, OrgNameError> {
        let name = raw.trim();
        if name.is_empty() {
            return Err(OrgNameError("The name must not be empty.".to_owned()));
        }
        if name.chars().count() > MAX_CHARS {
            return Err(OrgNameError(format!(
                "The name must be at most {MAX_CHARS} characters."
            )));
        }
        if name.chars().any(char::is_control) {
            return Err(OrgNameError(
                "The name must not contain control characters.".to_owned(),
            ));
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn a_name_is_trimmed_and_bounded() {
        assert_eq!(
            OrgName::parse("  Acme Clinic ").unwrap().as_str(),
            "Acme Clinic"
        );
        assert!(OrgName::parse("   ").is_err());
        assert!(
            OrgName::parse(&"é".repeat(100)).is_ok(),
            "characters, not bytes"
        );
        assert!(OrgName::parse(&"a".repeat(101)).is_err());
        assert!(OrgName::parse("Acme\u{0}").is_err());
    }
}
