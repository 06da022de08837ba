//! [`PasswordlessRepository`] for [`MemorySessionRepository`].

use std::sync::Arc;

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{Email, RepoError, Timestamp, Transaction};

use super::{MemorySessionRepository, lock};
use crate::{OneTimeTokenHash, PasswordlessRepository, PasswordlessRequest, PasswordlessRequestId};

impl MemorySessionRepository {
    /// Puts back the requests `previous` held before a write, on rollback.
    fn restore_passwordless_on_rollback(
        &self,
        tx: &mut MemoryTransaction,
        previous: Vec<PasswordlessRequest>,
    ) {
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            let mut state = lock(&state);
            for request in previous {
                state.passwordless.insert(request.id, request);
            }
        });
    }
}

#[async_trait::async_trait]
impl PasswordlessRepository for MemorySessionRepository {
    async fn insert_passwordless(
        &self,
        tx: &mut dyn Transaction,
        request: &PasswordlessRequest,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = lock(&self.state);
            if state
                .passwordless
                .values()
                .any(|r| r.id == request.id || r.link_hash == request.link_hash)
            {
                return Err(RepoError::Duplicate {
                    constraint: "passwordless_requests.link_hash".into(),
                });
            }
            state.passwordless.insert(request.id, request.clone());
        }
        let (state, id) = (Arc::clone(&self.state), request.id);
        tx.on_rollback(move || {
            lock(&state).passwordless.remove(&id);
        });
        Ok(())
    }

    async fn passwordless_issued_since(
        &self,
        email: &Email,
        since: Timestamp,
    ) -> Result<u64, RepoError> {
        Ok(lock(&self.state)
            .passwordless
            .values()
            .filter(|r| &r.email == email && r.created_at >= since)
            .count() as u64)
    }

    async fn passwordless_by_link(
        &self,
        hash: &OneTimeTokenHash,
    ) -> Result<Option<PasswordlessRequest>, RepoError> {
        Ok(lock(&self.state)
            .passwordless
            .values()
            .find(|r| &r.link_hash == hash)
            .cloned())
    }

    /// The memory unit of work already runs one transaction at a time.
    async fn open_passwordless_for_update(
        &self,
        tx: &mut dyn Transaction,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<PasswordlessRequest>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        let mut open: Vec<PasswordlessRequest> = lock(&self.state)
            .passwordless
            .values()
            .filter(|r| &r.email == email && r.used_at.is_none() && r.expires_at > now)
            .cloned()
            .collect();
        open.sort_by_key(|r| (r.created_at, r.id));
        Ok(open)
    }

    async fn count_wrong_code(
        &self,
        tx: &mut dyn Transaction,
        ids: &[PasswordlessRequestId],
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous: Vec<PasswordlessRequest> = {
            let mut state = lock(&self.state);
            state
                .passwordless
                .values_mut()
                .filter(|r| ids.contains(&r.id))
                .map(|r| {
                    let before = r.clone();
                    r.wrong_codes = r.wrong_codes.saturating_add(1);
                    before
                })
                .collect()
        };
        self.restore_passwordless_on_rollback(tx, previous);
        Ok(())
    }

    async fn end_passwordless(
        &self,
        tx: &mut dyn Transaction,
        email: &Email,
        id: PasswordlessRequestId,
        at: Timestamp,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        // Check and set under one lock, like `UPDATE … WHERE used_at IS NULL`.
        let (ended, previous) = {
            let mut state = lock(&self.state);
            let ended = state
                .passwordless
                .get(&id)
                .is_some_and(|r| r.used_at.is_none());
            let previous: Vec<PasswordlessRequest> = state
                .passwordless
                .values_mut()
                .filter(|r| (r.id == id || &r.email == email) && r.used_at.is_none())
                .map(|r| {
                    let before = r.clone();
                    r.used_at = Some(at);
                    before
                })
                .collect();
            (ended, previous)
        };
        self.restore_passwordless_on_rollback(tx, previous);
        Ok(ended)
    }
}
