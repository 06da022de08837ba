//! Ports of the sessions domain.

use plinth_kernel::{ActingFor, Email, OrgId, RepoError, Timestamp, Transaction, UserId};

use crate::{
    AccessClaims, LockoutState, MailError, OneTimePurpose, OneTimeTokenHash, OneTimeTokenRecord,
    OutgoingMail, PasswordlessRequest, PasswordlessRequestId, RefreshTokenHash, RefreshTokenRecord,
    SealError, Session, SessionId, TokenError, TokenRevocation, TotpFactor, VerificationKey,
};

/// Storage of sessions and refresh-token hashes.
#[async_trait::async_trait]
pub trait SessionRepository: Send + Sync {
    /// Inserts a session.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn insert_session(
        &self,
        tx: &mut dyn Transaction,
        session: &Session,
    ) -> Result<(), RepoError>;

    /// Finds a session by id.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn session(&self, id: SessionId) -> Result<Option<Session>, RepoError>;

    /// Sessions of a user that are neither revoked nor expired at `now`, newest first; with
    /// `used_after`, only those whose `last_used_at` is strictly later (the inactivity
    /// timeout, see [`Session::used_after`]).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn live_sessions(
        &self,
        user_id: UserId,
        now: Timestamp,
        used_after: Option<Timestamp>,
    ) -> Result<Vec<Session>, RepoError>;

    /// Whether `user_id` ever had a session (in any state), and if so whether one was opened
    /// from `user_agent` (compared exactly; no user agent matches no user agent): `None` for
    /// an account that never signed in, `Some(seen)` otherwise. For the new-device notice.
    /// Read in `tx` (the sign-in's transaction): a second pooled connection per sign-in would
    /// let a burst of sign-ins hold every connection while each waits for another.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn device_seen(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        user_agent: Option<&str>,
    ) -> Result<Option<bool>, RepoError>;

    /// How many sessions, of every user, are neither revoked nor expired at `now` (and, with
    /// `used_after`, were used strictly after it).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn count_live(
        &self,
        now: Timestamp,
        used_after: Option<Timestamp>,
    ) -> Result<u64, RepoError>;

    /// Records a refresh at `at` (updates `last_used_at`).
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when the session does not exist.
    async fn touch_session(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        at: Timestamp,
    ) -> Result<(), RepoError>;

    /// Sets the organization session `id` acts for (`None`: the user themselves).
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when the session does not exist.
    async fn set_session_org(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        org: Option<OrgId>,
    ) -> Result<(), RepoError>;

    /// Revokes a session at `at`; revoking an already revoked session keeps the first time and
    /// is not an error. Also records a [`TokenRevocation`] of the session, in `tx`.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when the session does not exist.
    async fn revoke_session(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        at: Timestamp,
    ) -> Result<(), RepoError>;

    /// Revokes every live session of a user; returns how many were revoked. Also records a
    /// user-wide [`TokenRevocation`] at `at`, in `tx` (even when no session was live).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn revoke_all(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        at: Timestamp,
    ) -> Result<u64, RepoError>;

    /// Stores a new refresh-token hash.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`] if the hash exists (a broken random source).
    async fn insert_refresh(
        &self,
        tx: &mut dyn Transaction,
        token: &RefreshTokenRecord,
    ) -> Result<(), RepoError>;

    /// Finds a refresh token by hash.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn refresh_by_hash(
        &self,
        hash: &RefreshTokenHash,
    ) -> Result<Option<RefreshTokenRecord>, RepoError>;

    /// Atomically marks the token spent at `at` and replaced by `successor` **only if it is
    /// not spent yet** (a conditional update), returning `true` when this call spent it and
    /// `false` when it was already spent or does not exist. Two concurrent callers, even on two
    /// replicas, can never both get `true`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn spend_refresh(
        &self,
        tx: &mut dyn Transaction,
        hash: &RefreshTokenHash,
        at: Timestamp,
        successor: &RefreshTokenHash,
    ) -> Result<bool, RepoError>;
}

/// Storage of each account's failed sign-in streak (the lockout).
#[async_trait::async_trait]
pub trait LockoutRepository: Send + Sync {
    /// The failed-login streak of a user; the default (no failures) when there is none.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn lockout(&self, user_id: UserId) -> Result<LockoutState, RepoError>;

    /// Reads a user's failed-login streak **and holds it** until `tx` ends, so that failures
    /// counted concurrently (on several replicas) are applied one after the other and none is
    /// lost.
    ///
    /// # Errors
    /// MAY return [`RepoError::NotFound`] when the user does not exist; storage failure.
    async fn lockout_for_update(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<LockoutState, RepoError>;

    /// Stores a user's failed-login streak.
    ///
    /// # Errors
    /// MAY return [`RepoError::NotFound`] when the user does not exist; storage failure.
    async fn save_lockout(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        state: &LockoutState,
    ) -> Result<(), RepoError>;
}

/// Storage of one-time tokens (password reset, email verification) by hash.
#[async_trait::async_trait]
pub trait OneTimeTokenRepository: Send + Sync {
    /// Stores a one-time token (password reset, email verification) by its hash.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`] if the hash exists (a broken random source); MAY fail when the
    /// user does not exist; storage failure.
    async fn insert_one_time(
        &self,
        tx: &mut dyn Transaction,
        record: &OneTimeTokenRecord,
    ) -> Result<(), RepoError>;

    /// Finds a one-time token by hash, used or not.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn one_time_by_hash(
        &self,
        hash: &OneTimeTokenHash,
    ) -> Result<Option<OneTimeTokenRecord>, RepoError>;

    /// Atomically marks the token used at `at` **only if it is not used yet** (a conditional
    /// update), returning `true` when this call used it and `false` when it was already used
    /// or does not exist. Two concurrent callers, even on two replicas, can never both get
    /// `true`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn consume_one_time(
        &self,
        tx: &mut dyn Transaction,
        hash: &OneTimeTokenHash,
        at: Timestamp,
    ) -> Result<bool, RepoError>;

    /// Marks every unused `purpose` token of `user_id` used at `at`, in `tx` (a new password
    /// makes the reset links mailed before it worthless); returns how many it spent.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn spend_all_one_time(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        purpose: OneTimePurpose,
        at: Timestamp,
    ) -> Result<u64, RepoError>;

    /// How many one-time tokens for `purpose` were issued to `user_id` at or after `since`
    /// (used or not): the basis of the per-account mail cap.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn one_time_issued_since(
        &self,
        user_id: UserId,
        purpose: OneTimePurpose,
        since: Timestamp,
    ) -> Result<u64, RepoError>;
}

/// Storage of passwordless sign-in requests (see [`PasswordlessRequest`]).
#[async_trait::async_trait]
pub trait PasswordlessRepository: Send + Sync {
    /// Stores a new request.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`] if its id or link hash exists (a broken random source); MAY
    /// fail when its `user_id` names no account; storage failure.
    async fn insert_passwordless(
        &self,
        tx: &mut dyn Transaction,
        request: &PasswordlessRequest,
    ) -> Result<(), RepoError>;

    /// How many requests for `email` were made at or after `since`, ended or not: the basis of
    /// the per-address mail cap.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn passwordless_issued_since(
        &self,
        email: &Email,
        since: Timestamp,
    ) -> Result<u64, RepoError>;

    /// The request whose link token hashes to `hash`, ended or not.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn passwordless_by_link(
        &self,
        hash: &OneTimeTokenHash,
    ) -> Result<Option<PasswordlessRequest>, RepoError>;

    /// The requests for `email` that have not ended and expire after `now`, oldest first,
    /// **held until `tx` ends**: concurrent redemptions and wrong codes for one address (on any
    /// replica) queue here, and each reads what the previous one wrote.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn open_passwordless_for_update(
        &self,
        tx: &mut dyn Transaction,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<PasswordlessRequest>, RepoError>;

    /// Counts one wrong code against each request of `ids` (`wrong_codes + 1`).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn count_wrong_code(
        &self,
        tx: &mut dyn Transaction,
        ids: &[PasswordlessRequestId],
    ) -> Result<(), RepoError>;

    /// Ends request `id` and every other request for `email` not ended yet, at `at` (a
    /// conditional update). Returns `true` when this call ended `id`, `false` when it had
    /// already ended or does not exist: of two concurrent redemptions, even on two replicas,
    /// only one gets `true`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn end_passwordless(
        &self,
        tx: &mut dyn Transaction,
        email: &Email,
        id: PasswordlessRequestId,
        at: Timestamp,
    ) -> Result<bool, RepoError>;
}

/// Storage of TOTP factors (sealed secrets, recovery-code hashes).
#[async_trait::async_trait]
pub trait TotpRepository: Send + Sync {
    /// The user's TOTP factor, pending or active.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn totp_factor(&self, user_id: UserId) -> Result<Option<TotpFactor>, RepoError>;

    /// Like [`TotpRepository::totp_factor`], but also locks the row for the rest of `tx`, so
    /// two sign-ins presenting the same code (or recovery code) on two replicas queue and the
    /// second sees the first one's `last_step` or spent code.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn totp_factor_for_update(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<Option<TotpFactor>, RepoError>;

    /// Inserts or replaces the user's factor.
    ///
    /// # Errors
    /// MAY fail when the user does not exist; storage failure.
    async fn put_totp_factor(
        &self,
        tx: &mut dyn Transaction,
        factor: &TotpFactor,
    ) -> Result<(), RepoError>;

    /// Removes the user's factor; `false` when there was none.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn delete_totp_factor(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<bool, RepoError>;
}

/// Storage of access-token revocations, read by every replica.
#[async_trait::async_trait]
pub trait RevocationRepository: Send + Sync {
    /// Records that every access token of `user_id` issued up to `at` must stop working (role
    /// change). [`SessionRepository::revoke_session`] and [`SessionRepository::revoke_all`]
    /// record their own revocations; this is for changes that end no session.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn revoke_user_tokens(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        at: Timestamp,
    ) -> Result<(), RepoError>;

    /// Records that every access token of `user_id` acting for `org_id` issued up to `at` must
    /// stop working (their membership changed or ended, or the organization went away); their
    /// other tokens are untouched.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn revoke_org_tokens(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        org_id: OrgId,
        at: Timestamp,
    ) -> Result<(), RepoError>;

    /// Every revocation made after `since` (sessions revoked by
    /// [`SessionRepository::revoke_session`], users by [`SessionRepository::revoke_all`] and
    /// [`RevocationRepository::revoke_user_tokens`]), oldest first, including those of users
    /// deleted since.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn revocations_since(&self, since: Timestamp) -> Result<Vec<TokenRevocation>, RepoError>;

    /// Forgets revocations made before `before` (older than any live access token); returns
    /// how many.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn prune_revocations(&self, before: Timestamp) -> Result<u64, RepoError>;
}

/// Every storage port of the sessions domain, one per seam, as one object: what
/// `AuthService` and `AccountAdminService` are built from. Implemented for any type that
/// implements the six (the SQL and in-memory adapters do).
pub trait SessionStorage:
    SessionRepository
    + LockoutRepository
    + OneTimeTokenRepository
    + PasswordlessRepository
    + TotpRepository
    + RevocationRepository
{
}

impl<T> SessionStorage for T where
    T: SessionRepository
        + LockoutRepository
        + OneTimeTokenRepository
        + PasswordlessRepository
        + TotpRepository
        + RevocationRepository
{
}

/// Where a user stands in an organization they ask to act for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgStanding {
    /// A member, with their organization permissions there.
    Member(ActingFor),
    /// A member of an organization an administrator suspended: they cannot act for it.
    Suspended,
    /// Not a member, or no such organization: one answer for both.
    NotMember,
}

/// Organization memberships as the sessions domain needs them: to mint access tokens that act
/// for an organization (served by the organizations domain).
#[async_trait::async_trait]
pub trait OrgAccess: Send + Sync {
    /// `user`'s standing in `org` now.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn standing(&self, user: UserId, org: OrgId) -> Result<OrgStanding, RepoError>;
}

/// The [`OrgAccess`] of a deployment without organizations: nobody is a member of anything.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoOrganizations;

#[async_trait::async_trait]
impl OrgAccess for NoOrganizations {
    async fn standing(&self, _user: UserId, _org: OrgId) -> Result<OrgStanding, RepoError> {
        Ok(OrgStanding::NotMember)
    }
}

/// Signs and verifies access tokens (JWT). Verification needs no database.
pub trait TokenSigner: Send + Sync {
    /// Signs claims with the current key, adding `iss`, `aud` and a `kid` header.
    ///
    /// # Errors
    /// [`TokenError::Signing`] when the backend fails.
    fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError>;

    /// Verifies signature, `kid`, issuer, audience and expiry (leeway at most 5 s).
    ///
    /// # Errors
    /// [`TokenError::Invalid`] for anything malformed, forged, expired or from an unknown key.
    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError>;

    /// The public keys a token of this signer verifies with (the current one first), for other
    /// services to verify tokens without any secret; none for a symmetric (HMAC) signer.
    fn verification_keys(&self) -> Vec<VerificationKey> {
        Vec::new()
    }
}

/// Sends mail. Implementations must never log or return the message body or link in errors.
#[async_trait::async_trait]
pub trait Mailer: Send + Sync {
    /// Hands `message` over for delivery.
    ///
    /// # Errors
    /// [`MailError::InvalidMessage`] when the message cannot be built,
    /// [`MailError::Delivery`] when the transport fails.
    async fn send(&self, message: &OutgoingMail) -> Result<(), MailError>;
}

/// Encrypts and authenticates small secrets (TOTP keys) for storage. `context` is associated
/// data (for example the owner's id): opening with a different context fails.
pub trait SecretSealer: Send + Sync {
    /// Seals `plaintext` into a printable string.
    ///
    /// # Errors
    /// [`SealError::Random`] when no nonce can be drawn.
    fn seal(&self, plaintext: &[u8], context: &[u8]) -> Result<String, SealError>;

    /// Opens a string made by [`SecretSealer::seal`] with the same `context`.
    ///
    /// # Errors
    /// [`SealError::Malformed`], [`SealError::UnknownKey`] or [`SealError::Tampered`].
    fn open(&self, sealed: &str, context: &[u8]) -> Result<Vec<u8>, SealError>;

    /// Whether `sealed` is under a key this sealer still opens but no longer seals with (a
    /// previous key kept for a rotation): the caller should store [`SecretSealer::seal`] of the
    /// opened plaintext in its place. MUST be `false` for a value under the current key, and for
    /// one this sealer cannot open (malformed or under an unknown key).
    fn needs_reseal(&self, sealed: &str) -> bool;
}
