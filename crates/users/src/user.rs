//! The user account.

use plinth_kernel::{Email, Timestamp, UserId};

use crate::{Locale, PasswordHash, RoleName};

/// Whether an account may sign in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UserStatus {
    /// Normal.
    Active,
    /// Blocked by an administrator: correct logins answer 403 `account_suspended`.
    Suspended,
}

impl UserStatus {
    /// Stored/serialised name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "active" => Some(Self::Active),
            "suspended" => Some(Self::Suspended),
            _ => None,
        }
    }
}

/// A display name: trimmed, 1–100 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct DisplayName(String);

impl DisplayName {
    /// Parses a name.
    ///
    /// # Errors
    /// A human-readable reason when the name is empty, longer than 100 characters or holds
    /// control characters.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("name is required".into());
        }
        if s.chars().count() > 100 {
            return Err("name must be at most 100 characters".into());
        }
        if s.chars().any(char::is_control) {
            return Err("name must not contain control characters".into());
        }
        Ok(Self(s.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A user account as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Normalised, unique e-mail address.
    pub email: Email,
    /// Display name.
    pub name: DisplayName,
    /// Role; its permissions travel in access tokens.
    pub role: RoleName,
    /// Active or suspended.
    pub status: UserStatus,
    /// Whether the address was confirmed.
    pub email_verified: bool,
    /// Storage key of the avatar image, if any.
    pub avatar_key: Option<String>,
    /// The language the user reads (mail templates); `None`: the deployment's default,
    /// English. See [`User::locale_chain`].
    pub locale: Option<Locale>,
    /// The bcrypt hash of the password (never serialised, redacted in `Debug`).
    pub password_hash: PasswordHash,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

impl User {
    /// A new, active account with a fresh id, no avatar and no locale (the default language),
    /// created `now`: a sign-up's (role `user`, address not yet verified) or the bootstrap
    /// super administrator's (verified, since the operator typed it).
    #[must_use]
    pub fn new_registered(
        email: Email,
        name: DisplayName,
        password_hash: PasswordHash,
        role: RoleName,
        email_verified: bool,
        now: Timestamp,
    ) -> Self {
        Self {
            id: UserId::new(),
            email,
            name,
            role,
            status: UserStatus::Active,
            email_verified,
            avatar_key: None,
            locale: None,
            password_hash,
            created_at: now,
            updated_at: now,
        }
    }

    /// The languages to write to this user in, most specific first, ending with the
    /// deployment's default (English): `pt-BR` gives `[pt-BR, pt, en]`, no locale gives
    /// `[en]`. Mail code takes the first one it has a template for. See [`Locale::chain`]
    /// for another default.
    #[must_use]
    pub fn locale_chain(&self) -> Vec<Locale> {
        Locale::chain(self.locale.as_ref(), &Locale::english())
    }
}

/// The columns one write changes on an existing account: only the `Some` fields are written
/// (plus `updated_at`), so concurrent writers of other columns are never undone (see
/// [`crate::UserRepository::change`]). Build it from what the use case decided, never by
/// copying a [`User`] read earlier. The avatar (see
/// [`crate::AvatarKeyRepository::set_avatar_key`]) and the login-failure streak are not here.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserChanges {
    /// New display name.
    pub name: Option<DisplayName>,
    /// New role (must name a stored role).
    pub role: Option<RoleName>,
    /// New status.
    pub status: Option<UserStatus>,
    /// New verification flag.
    pub email_verified: Option<bool>,
    /// New password hash.
    pub password_hash: Option<PasswordHash>,
    /// New locale: `Some(None)` goes back to the default language.
    pub locale: Option<Option<Locale>>,
    /// New email address (a confirmed email change); another account's address is a
    /// [`plinth_kernel::RepoError::Duplicate`].
    pub email: Option<Email>,
}

impl UserChanges {
    /// A new password hash, and nothing else.
    #[must_use]
    pub fn password(hash: PasswordHash) -> Self {
        Self {
            password_hash: Some(hash),
            ..Self::default()
        }
    }

    /// Whether nothing would be written.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        *self == Self::default()
    }

    /// `user` with these changes applied and `updated_at` set to `at`; what
    /// [`crate::UserRepository::change`] stores.
    #[must_use]
    pub fn apply(&self, mut user: User, at: Timestamp) -> User {
        if let Some(name) = &self.name {
            user.name = name.clone();
        }
        if let Some(role) = &self.role {
            user.role = role.clone();
        }
        if let Some(status) = self.status {
            user.status = status;
        }
        if let Some(verified) = self.email_verified {
            user.email_verified = verified;
        }
        if let Some(hash) = &self.password_hash {
            user.password_hash = hash.clone();
        }
        if let Some(locale) = &self.locale {
            user.locale = locale.clone();
        }
        if let Some(email) = &self.email {
            user.email = email.clone();
        }
        user.updated_at = at;
        user
    }
}

/// Admin list filters; each narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UserFilter {
    /// Case-insensitive substring of email or name.
    pub q: Option<String>,
    /// Only this role.
    pub role: Option<RoleName>,
    /// Only this status.
    pub status: Option<UserStatus>,
}

/// Account counts for the admin statistics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UserCounts {
    /// Every account.
    pub total: u64,
    /// Accounts whose status is `active`.
    pub active: u64,
    /// Accounts created at or after the `since` time asked for.
    pub created_since: u64,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_names_are_trimmed() {
        assert_eq!(
            DisplayName::parse("  Ada Lovelace \t").unwrap().as_str(),
            "Ada Lovelace"
        );
    }

    #[test]
    fn empty_names_are_refused() {
        for raw in ["", "   ", "\t\n"] {
            assert_eq!(
                DisplayName::parse(raw).unwrap_err(),
                "name is required",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn length_is_counted_in_characters() {
        assert!(
            DisplayName::parse(&"\u{e9}".repeat(100)).is_ok(),
            "100 two-byte characters fit"
        );
        assert_eq!(
            DisplayName::parse(&"a".repeat(101)).unwrap_err(),
            "name must be at most 100 characters"
        );
    }

    #[test]
    fn control_characters_are_refused() {
        for raw in ["Ada\nLovelace", "Ada\u{7}", "A\u{0}da"] {
            assert_eq!(
                DisplayName::parse(raw).unwrap_err(),
                "name must not contain control characters",
                "{raw:?}"
            );
        }
    }

    #[test]
    fn status_names_round_trip() {
        for s in [UserStatus::Active, UserStatus::Suspended] {
            assert_eq!(UserStatus::parse(s.as_str()), Some(s));
        }
        assert_eq!(UserStatus::parse("banned"), None);
    }
}
