//! The idempotency-key port: remembers the first response to a request sent with an
//! `Idempotency-Key`, so a retry gets that response again instead of doing the work twice.
//!
//! A claim is an insert-first row keyed by `(scope, key)`: whoever inserts it runs the
//! request; everyone else reads it. Because it lives in the database, it holds across
//! replicas.

use crate::{RepoError, Timestamp};

/// The response stored for a key and replayed to retries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredResponse {
    /// HTTP status.
    pub status: u16,
    /// `Content-Type`, if the response had one.
    pub content_type: Option<String>,
    /// The body bytes.
    pub body: Vec<u8>,
}

/// A request to claim a key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IdempotencyClaim {
    /// Whose keys these are (for example `user:<id>`): keys of different callers never meet.
    pub scope: String,
    /// The client's `Idempotency-Key`.
    pub key: String,
    /// A hash of the request (method, path, body): the same key with another request is
    /// refused.
    pub fingerprint: String,
    /// Now.
    pub now: Timestamp,
    /// When the stored response is forgotten (24 h after `now`).
    pub expires_at: Timestamp,
    /// An unfinished claim made at or before this instant is presumed abandoned (its replica
    /// died) and may be taken over.
    pub stale_before: Timestamp,
}

/// What [`IdempotencyStore::claim`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ClaimOutcome {
    /// The key was free (or expired, or abandoned): the caller now runs the request and must
    /// then [`IdempotencyStore::complete`] or [`IdempotencyStore::release`] it.
    Started,
    /// Another request with this key is still running.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
    /// The first request finished; here is its response.
    Completed(StoredResponse),
}

/// Storage of idempotency keys. Each method is atomic on its own (no transaction).
#[async_trait::async_trait]
pub trait IdempotencyStore: Send + Sync {
    /// Claims `(scope, key)`.
    ///
    /// Contract: when no live row exists (none, or `expires_at <= now`, or unfinished and
    /// created at or before `stale_before`) a new unfinished row is stored and the answer is
    /// [`ClaimOutcome::Started`]; among concurrent claims of one key exactly one gets it.
    /// Otherwise: a different `fingerprint` → [`ClaimOutcome::Mismatch`]; a finished row →
    /// [`ClaimOutcome::Completed`]; else [`ClaimOutcome::InProgress`].
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, RepoError>;

    /// Stores the response of a claim that [`ClaimOutcome::Started`].
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn complete(
        &self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), RepoError>;

    /// Forgets an unfinished claim (the request failed in a way worth retrying), so the key
    /// may be used again. A finished claim is left alone.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn release(&self, scope: &str, key: &str) -> Result<(), RepoError>;

    /// Deletes every row with `expires_at <= now`; returns how many.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepoError>;
}
