//! Passkeys (WebAuthn): the stored credentials, the ceremonies that create and use them, and
//! the two ports the use cases need: [`PasskeyCeremonies`] (the WebAuthn checks, implemented by
//! the `plinth-webauthn` adapter over `webauthn-rs`) and [`PasskeyRepository`] (storage).
//!
//! Every ceremony (register, sign in, second factor) starts with a random **ceremony token**
//! handed to the client beside the WebAuthn options; the ceremony's state (which holds the
//! challenge) is stored in the database under the token's SHA-256 hash, for [`CEREMONY_TTL`],
//! and spent once at the finish whatever its outcome, so a challenge never works twice and any
//! replica can finish a ceremony another one started.

use std::fmt;

use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};

use crate::OneTimeTokenHash;

plinth_kernel::typed_id!(
    /// Identifies one registered passkey.
    PasskeyId
);

plinth_kernel::typed_id!(
    /// Identifies one WebAuthn ceremony.
    PasskeyCeremonyId
);

/// How long a started ceremony may take to finish.
pub const CEREMONY_TTL: chrono::Duration = chrono::Duration::minutes(5);

/// The longest passkey name, in characters.
pub const MAX_NAME_CHARS: usize = 64;

/// What a ceremony is for; a ceremony token is only accepted by its own finish.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CeremonyPurpose {
    /// Registering a new passkey for a signed-in user.
    Register,
    /// Signing in with a discoverable passkey (no user named beforehand).
    SignIn,
    /// Answering the MFA challenge of a password sign-in.
    SecondFactor,
}

impl CeremonyPurpose {
    /// Its stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::SignIn => "sign_in",
            Self::SecondFactor => "second_factor",
        }
    }

    /// The purpose stored as `s`.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        [Self::Register, Self::SignIn, Self::SecondFactor]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// One started WebAuthn ceremony, as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct PasskeyCeremony {
    /// Id.
    pub id: PasskeyCeremonyId,
    /// SHA-256 of the ceremony token (unique; the finish's lookup key).
    pub token_hash: OneTimeTokenHash,
    /// What it is for.
    pub purpose: CeremonyPurpose,
    /// The account it is bound to (registration, second factor); `None` for a sign-in.
    pub user_id: Option<UserId>,
    /// The adapter's serialised ceremony state (holds the challenge).
    pub state: String,
    /// When it started.
    pub created_at: Timestamp,
    /// Until when it can be finished.
    pub expires_at: Timestamp,
    /// When a finish spent it.
    pub used_at: Option<Timestamp>,
}

impl fmt::Debug for PasskeyCeremony {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PasskeyCeremony")
            .field("id", &self.id)
            .field("purpose", &self.purpose)
            .field("user_id", &self.user_id)
            .field("expires_at", &self.expires_at)
            .field("used_at", &self.used_at)
            .finish_non_exhaustive()
    }
}

/// A registered passkey.
#[derive(Clone, PartialEq, Eq)]
pub struct Passkey {
    /// Id.
    pub id: PasskeyId,
    /// The account it signs in to.
    pub user_id: UserId,
    /// The authenticator's credential id, base64url without padding (unique).
    pub credential_id: String,
    /// The adapter's serialised credential (public key, signature counter, flags).
    pub credential: String,
    /// The name its user gave it.
    pub name: String,
    /// When it was registered.
    pub created_at: Timestamp,
    /// When it last signed in or answered a challenge.
    pub last_used_at: Option<Timestamp>,
}

impl fmt::Debug for Passkey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Passkey")
            .field("id", &self.id)
            .field("user_id", &self.user_id)
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// A passkey name as given by its user: trimmed, 1 to [`MAX_NAME_CHARS`] characters, no
/// control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PasskeyName(String);

impl PasskeyName {
    /// Parses a name.
    ///
    /// # Errors
    /// A message saying what is wrong with it.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("name must not be empty".to_owned());
        }
        if name.chars().count() > MAX_NAME_CHARS {
            return Err(format!("name must be at most {MAX_NAME_CHARS} characters"));
        }
        if name.chars().any(char::is_control) {
            return Err("name must not contain control characters".to_owned());
        }
        Ok(Self(name.to_owned()))
    }

    /// The name.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Who a registration is for, as the authenticator will show it.
#[derive(Debug, Clone)]
pub struct PasskeyUser {
    /// The WebAuthn user handle (the account id: random, no personal data).
    pub handle: uuid::Uuid,
    /// The account's address.
    pub name: String,
    /// The account's display name.
    pub display_name: String,
}

/// A started ceremony: the options for `navigator.credentials.create()` / `.get()`, and the
/// state to store.
#[derive(Clone)]
pub struct CeremonyStart {
    /// The WebAuthn options (`{ "publicKey": { … } }`, binary fields base64url).
    pub options: serde_json::Value,
    /// The serialised state the finish needs.
    pub state: String,
}

/// A credential the registration ceremony accepted.
#[derive(Clone)]
pub struct RegisteredCredential {
    /// Its credential id, base64url without padding.
    pub credential_id: String,
    /// The serialised credential to store.
    pub credential: String,
}

/// What an assertion says about itself before it is verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PresentedCredential {
    /// The credential id, base64url without padding.
    pub credential_id: String,
    /// The user handle the authenticator returned, if any (discoverable credentials do).
    pub user_handle: Option<uuid::Uuid>,
}

/// Why a WebAuthn step failed.
#[derive(Debug, thiserror::Error)]
pub enum PasskeyError {
    /// The client's response does not verify (signature, challenge, origin, RP id, flags,
    /// counter) or cannot be read. The message never carries a secret.
    #[error("the passkey response was refused: {0}")]
    Rejected(String),
    /// The adapter failed (a state it cannot read, a random source).
    #[error("the passkey adapter failed: {0}")]
    Internal(String),
}

/// The WebAuthn checks (relying-party id, allowed origins, algorithms, user verification).
pub trait PasskeyCeremonies: Send + Sync {
    /// Starts registering a discoverable passkey for `user`, excluding the credentials it
    /// already has.
    ///
    /// # Errors
    /// [`PasskeyError::Internal`].
    fn start_registration(
        &self,
        user: &PasskeyUser,
        existing: &[Passkey],
    ) -> Result<CeremonyStart, PasskeyError>;

    /// Verifies the client's answer to a registration started with `state`.
    ///
    /// # Errors
    /// [`PasskeyError::Rejected`] for an answer that does not verify; [`PasskeyError::Internal`].
    fn finish_registration(
        &self,
        state: &str,
        response: &serde_json::Value,
    ) -> Result<RegisteredCredential, PasskeyError>;

    /// Starts a sign-in with whichever discoverable passkey the authenticator holds.
    ///
    /// # Errors
    /// [`PasskeyError::Internal`].
    fn start_sign_in(&self) -> Result<CeremonyStart, PasskeyError>;

    /// Starts a second-factor check with one of `passkeys` (the account's).
    ///
    /// # Errors
    /// [`PasskeyError::Internal`].
    fn start_second_factor(&self, passkeys: &[Passkey]) -> Result<CeremonyStart, PasskeyError>;

    /// Reads which credential an assertion claims to come from (nothing is verified yet).
    ///
    /// # Errors
    /// [`PasskeyError::Rejected`] when `response` is not an assertion.
    fn presented(&self, response: &serde_json::Value) -> Result<PresentedCredential, PasskeyError>;

    /// Verifies an assertion for a ceremony of `purpose` ([`CeremonyPurpose::SignIn`] or
    /// [`CeremonyPurpose::SecondFactor`]) started with `state`, made with `passkey`. Returns the
    /// credential to store in its place when its counter or flags moved.
    ///
    /// # Errors
    /// [`PasskeyError::Rejected`] for an assertion that does not verify; [`PasskeyError::Internal`].
    fn finish_assertion(
        &self,
        purpose: CeremonyPurpose,
        state: &str,
        response: &serde_json::Value,
        passkey: &Passkey,
    ) -> Result<Option<String>, PasskeyError>;
}

/// Storage of [`PasskeyCeremony`]s and [`Passkey`]s.
#[async_trait::async_trait]
pub trait PasskeyRepository: Send + Sync {
    /// Stores a new ceremony.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`] on a `token_hash` already stored.
    async fn insert_ceremony(
        &self,
        tx: &mut dyn Transaction,
        ceremony: &PasskeyCeremony,
    ) -> Result<(), RepoError>;

    /// Spends the ceremony of `purpose` whose token hashes to `token_hash`: sets
    /// `used_at = now` only if it was unused and not expired at `now`, and returns it then;
    /// otherwise `None` (unknown, other purpose, spent or expired alike). Of two concurrent
    /// callers, at most one gets it.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn spend_ceremony(
        &self,
        tx: &mut dyn Transaction,
        token_hash: &OneTimeTokenHash,
        purpose: CeremonyPurpose,
        now: Timestamp,
    ) -> Result<Option<PasskeyCeremony>, RepoError>;

    /// Deletes the ceremonies whose `expires_at` is before `before`; returns how many.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn prune_ceremonies(
        &self,
        tx: &mut dyn Transaction,
        before: Timestamp,
    ) -> Result<u64, RepoError>;

    /// Every passkey of `user_id`, oldest first.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn passkeys_of(&self, user_id: UserId) -> Result<Vec<Passkey>, RepoError>;

    /// The passkey with `credential_id`, whoever's it is.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<Passkey>, RepoError>;

    /// Stores a new passkey.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] when its `credential_id` is already registered.
    async fn insert_passkey(
        &self,
        tx: &mut dyn Transaction,
        passkey: &Passkey,
    ) -> Result<(), RepoError>;

    /// Records a use of passkey `id` at `at`, replacing its credential when `credential`
    /// is given (a moved counter).
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when the passkey does not exist.
    async fn record_passkey_use(
        &self,
        tx: &mut dyn Transaction,
        id: PasskeyId,
        credential: Option<&str>,
        at: Timestamp,
    ) -> Result<(), RepoError>;

    /// Renames passkey `id` of `user_id`; `false` when it has no such passkey.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn rename_passkey(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: PasskeyId,
        name: &PasskeyName,
    ) -> Result<bool, RepoError>;

    /// Deletes passkey `id` of `user_id`; `false` when it has no such passkey.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn delete_passkey(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: PasskeyId,
    ) -> Result<bool, RepoError>;
}

/// Everything passkeys need beside [`crate::AuthService`]'s own ports.
#[derive(Clone)]
pub struct PasskeySignIn {
    /// The WebAuthn checks.
    pub ceremonies: std::sync::Arc<dyn PasskeyCeremonies>,
    /// Ceremonies and passkeys.
    pub passkeys: std::sync::Arc<dyn PasskeyRepository>,
}

impl fmt::Debug for PasskeySignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasskeySignIn")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_bounded_and_printable() {
        assert_eq!(PasskeyName::parse("  Laptop ").unwrap().as_str(), "Laptop");
        assert!(PasskeyName::parse("   ").is_err());
        assert!(PasskeyName::parse(&"x".repeat(MAX_NAME_CHARS + 1)).is_err());
        assert!(PasskeyName::parse(&"é".repeat(MAX_NAME_CHARS)).is_ok());
        assert!(PasskeyName::parse("a\u{7}b").is_err());
    }

    #[test]
    fn purposes_round_trip_through_their_stored_names() {
        for p in [
            CeremonyPurpose::Register,
            CeremonyPurpose::SignIn,
            CeremonyPurpose::SecondFactor,
        ] {
            assert_eq!(CeremonyPurpose::parse(p.as_str()), Some(p));
        }
        assert_eq!(CeremonyPurpose::parse("other"), None);
    }
}
