//! [`MemoryIdempotencyStore`] and the [`IdempotencyStore`] contract suite.

// The contract is a test body: a failed expectation is meant to panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use crate::idempotency::{ClaimOutcome, IdempotencyClaim, IdempotencyStore, StoredResponse};
use crate::{RepoError, Timestamp};

#[derive(Debug, Clone)]
struct Row {
    fingerprint: String,
    created_at: Timestamp,
    expires_at: Timestamp,
    response: Option<StoredResponse>,
}

/// Idempotency keys in a map, with the same rules as the SQL table.
#[derive(Clone, Default)]
pub struct MemoryIdempotencyStore {
    rows: Arc<Mutex<HashMap<(String, String), Row>>>,
}

impl MemoryIdempotencyStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }
}

#[async_trait::async_trait]
impl IdempotencyStore for MemoryIdempotencyStore {
    async fn claim(&self, claim: &IdempotencyClaim) -> Result<ClaimOutcome, RepoError> {
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        let id = (claim.scope.clone(), claim.key.clone());
        if let Some(row) = rows.get(&id) {
            let dead = row.expires_at <= claim.now
                || (row.response.is_none() && row.created_at <= claim.stale_before);
            if !dead {
                return Ok(if row.fingerprint != claim.fingerprint {
                    ClaimOutcome::Mismatch
                } else if let Some(response) = &row.response {
                    ClaimOutcome::Completed(response.clone())
                } else {
                    ClaimOutcome::InProgress
                });
            }
        }
        rows.insert(
            id,
            Row {
                fingerprint: claim.fingerprint.clone(),
                created_at: claim.now,
                expires_at: claim.expires_at,
                response: None,
            },
        );
        Ok(ClaimOutcome::Started)
    }

    async fn complete(
        &self,
        scope: &str,
        key: &str,
        response: &StoredResponse,
    ) -> Result<(), RepoError> {
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(row) = rows.get_mut(&(scope.to_owned(), key.to_owned())) {
            row.response = Some(response.clone());
        }
        Ok(())
    }

    async fn release(&self, scope: &str, key: &str) -> Result<(), RepoError> {
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        let id = (scope.to_owned(), key.to_owned());
        if rows.get(&id).is_some_and(|r| r.response.is_none()) {
            rows.remove(&id);
        }
        Ok(())
    }

    async fn purge_expired(&self, now: Timestamp) -> Result<u64, RepoError> {
        let mut rows = self.rows.lock().unwrap_or_else(PoisonError::into_inner);
        let before = rows.len();
        rows.retain(|_, r| r.expires_at > now);
        Ok((before - rows.len()) as u64)
    }
}

/// Runs every [`IdempotencyStore`] promise against `store`: start, in progress, mismatch,
/// completed replay (binary body intact), scopes kept apart, release, expiry and takeover of
/// an abandoned claim, purge, and `concurrency` simultaneous claims of one key of which
/// exactly one starts. Keys are random, so storage may hold other rows.
pub async fn idempotency_store(store: Arc<dyn IdempotencyStore>, concurrency: usize) {
    let now = chrono::Utc::now();
    let scope = format!("user:{}", uuid::Uuid::now_v7());
    let key = format!("key-{}", uuid::Uuid::now_v7());
    let claim = |key: &str, fingerprint: &str, now: Timestamp| IdempotencyClaim {
        scope: scope.clone(),
        key: key.to_owned(),
        fingerprint: fingerprint.to_owned(),
        now,
        expires_at: now + chrono::Duration::hours(24),
        stale_before: now - chrono::Duration::minutes(5),
    };

    let first = claim(&key, "fp-a", now);
    assert_eq!(store.claim(&first).await.unwrap(), ClaimOutcome::Started);
    assert_eq!(store.claim(&first).await.unwrap(), ClaimOutcome::InProgress);
    assert_eq!(
        store.claim(&claim(&key, "fp-b", now)).await.unwrap(),
        ClaimOutcome::Mismatch,
        "another request with the same key"
    );
    let other_scope = IdempotencyClaim {
        scope: format!("user:{}", uuid::Uuid::now_v7()),
        ..first.clone()
    };
    assert_eq!(
        store.claim(&other_scope).await.unwrap(),
        ClaimOutcome::Started,
        "another caller's key of the same name is another key"
    );

    let response = StoredResponse {
        status: 201,
        content_type: Some("application/json".into()),
        body: b"{\"id\":1}\xff\x00".to_vec(),
    };
    store.complete(&scope, &key, &response).await.unwrap();
    assert_eq!(
        store.claim(&first).await.unwrap(),
        ClaimOutcome::Completed(response.clone())
    );
    assert_eq!(
        store.claim(&claim(&key, "fp-b", now)).await.unwrap(),
        ClaimOutcome::Mismatch
    );
    store.release(&scope, &key).await.unwrap();
    assert_eq!(
        store.claim(&first).await.unwrap(),
        ClaimOutcome::Completed(response.clone()),
        "release leaves a finished claim alone"
    );

    // Release of an unfinished claim frees the key.
    let released = format!("released-{}", uuid::Uuid::now_v7());
    assert_eq!(
        store.claim(&claim(&released, "x", now)).await.unwrap(),
        ClaimOutcome::Started
    );
    store.release(&scope, &released).await.unwrap();
    assert_eq!(
        store.claim(&claim(&released, "y", now)).await.unwrap(),
        ClaimOutcome::Started,
        "a released key can be used for another request"
    );

    // Expiry: a day later the finished key is free again.
    let tomorrow = now + chrono::Duration::hours(24);
    assert_eq!(
        store.claim(&claim(&key, "fp-b", tomorrow)).await.unwrap(),
        ClaimOutcome::Started
    );

    // An abandoned claim is taken over once stale, not before.
    let abandoned = format!("abandoned-{}", uuid::Uuid::now_v7());
    assert_eq!(
        store.claim(&claim(&abandoned, "z", now)).await.unwrap(),
        ClaimOutcome::Started
    );
    let soon = now + chrono::Duration::minutes(1);
    assert_eq!(
        store.claim(&claim(&abandoned, "z", soon)).await.unwrap(),
        ClaimOutcome::InProgress
    );
    let later = now + chrono::Duration::minutes(6);
    assert_eq!(
        store.claim(&claim(&abandoned, "z", later)).await.unwrap(),
        ClaimOutcome::Started
    );

    // Purge.
    let purged = store
        .purge_expired(now + chrono::Duration::days(3))
        .await
        .unwrap();
    assert!(purged >= 3, "purged {purged}");
    assert_eq!(
        store
            .claim(&claim(&abandoned, "other", now + chrono::Duration::days(3)))
            .await
            .unwrap(),
        ClaimOutcome::Started,
        "nothing left of a purged key"
    );

    // Concurrent claims of one key: exactly one starts.
    let race = format!("race-{}", uuid::Uuid::now_v7());
    let mut tasks = Vec::new();
    for _ in 0..concurrency {
        let store = Arc::clone(&store);
        let c = claim(&race, "same", now);
        tasks.push(tokio::spawn(async move { store.claim(&c).await }));
    }
    let mut started = 0;
    for task in tasks {
        match task.await.unwrap().unwrap() {
            ClaimOutcome::Started => started += 1,
            ClaimOutcome::InProgress => {}
            other => panic!("a concurrent claim of one key: {other:?}"),
        }
    }
    assert_eq!(
        started, 1,
        "exactly one of {concurrency} concurrent claims starts"
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_store_passes_the_contract() {
        idempotency_store(Arc::new(MemoryIdempotencyStore::new()), 16).await;
    }
}
