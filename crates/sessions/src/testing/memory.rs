//! [`MemorySessionRepository`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{OrgId, RepoError, Timestamp, Transaction, UserId};

use crate::{
    LockoutRepository, LockoutState, OneTimePurpose, OneTimeTokenHash, OneTimeTokenRecord,
    OneTimeTokenRepository, RefreshTokenHash, RefreshTokenRecord, RevocationRepository, Session,
    SessionId, SessionRepository, TokenRevocation, TotpFactor, TotpRepository,
};

#[derive(Default)]
struct State {
    sessions: BTreeMap<SessionId, Session>,
    refresh: HashMap<String, RefreshTokenRecord>,
    lockouts: HashMap<UserId, LockoutState>,
    one_time: HashMap<String, OneTimeTokenRecord>,
    passwordless: BTreeMap<crate::PasswordlessRequestId, crate::PasswordlessRequest>,
    totp: HashMap<UserId, TotpFactor>,
    revocations: Vec<TokenRevocation>,
}

type Shared = Arc<Mutex<State>>;

mod passwordless;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A [`SessionRepository`] kept in memory. Clones share the same sessions and tokens.
#[derive(Clone, Default)]
pub struct MemorySessionRepository {
    state: Shared,
}

impl MemorySessionRepository {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces a session on rollback with its value before the write.
    fn restore_on_rollback(&self, tx: &mut MemoryTransaction, previous: Session) {
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            lock(&state).sessions.insert(previous.id, previous);
        });
    }

    /// Puts back the factor `user_id` had before a write, on rollback.
    fn restore_totp_on_rollback(
        &self,
        tx: &mut MemoryTransaction,
        user_id: UserId,
        previous: Option<TotpFactor>,
    ) {
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            let mut state = lock(&state);
            match previous {
                Some(previous) => state.totp.insert(user_id, previous),
                None => state.totp.remove(&user_id),
            };
        });
    }

    /// Appends a revocation, removed again on rollback.
    fn record_revocation(&self, tx: &mut MemoryTransaction, revocation: TokenRevocation) {
        lock(&self.state).revocations.push(revocation);
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            let mut state = lock(&state);
            if let Some(i) = state.revocations.iter().rposition(|r| *r == revocation) {
                state.revocations.remove(i);
            }
        });
    }

    /// Applies `change` to an existing session, registering the undo.
    fn change_session(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        change: impl FnOnce(&mut Session),
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = {
            let mut state = lock(&self.state);
            let session = state.sessions.get_mut(&id).ok_or(RepoError::NotFound)?;
            let previous = session.clone();
            change(session);
            previous
        };
        self.restore_on_rollback(tx, previous);
        Ok(())
    }
}

#[async_trait::async_trait]
impl SessionRepository for MemorySessionRepository {
    async fn insert_session(
        &self,
        tx: &mut dyn Transaction,
        session: &Session,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = lock(&self.state);
            if state.sessions.contains_key(&session.id) {
                return Err(RepoError::Duplicate {
                    constraint: "sessions.id".into(),
                });
            }
            state.sessions.insert(session.id, session.clone());
        }
        let (state, id) = (Arc::clone(&self.state), session.id);
        tx.on_rollback(move || {
            lock(&state).sessions.remove(&id);
        });
        Ok(())
    }

    async fn session(&self, id: SessionId) -> Result<Option<Session>, RepoError> {
        Ok(lock(&self.state).sessions.get(&id).cloned())
    }

    async fn live_sessions(
        &self,
        user_id: UserId,
        now: Timestamp,
        used_after: Option<Timestamp>,
    ) -> Result<Vec<Session>, RepoError> {
        let mut live: Vec<Session> = lock(&self.state)
            .sessions
            .values()
            .filter(|s| s.user_id == user_id && s.is_live(now) && s.used_after(used_after))
            .cloned()
            .collect();
        live.sort_by(|a, b| b.created_at.cmp(&a.created_at).then(b.id.cmp(&a.id)));
        Ok(live)
    }

    async fn device_seen(
        &self,
        _tx: &mut dyn Transaction,
        user_id: UserId,
        user_agent: Option<&str>,
    ) -> Result<Option<bool>, RepoError> {
        let state = lock(&self.state);
        let mut theirs = state
            .sessions
            .values()
            .filter(|s| s.user_id == user_id)
            .peekable();
        if theirs.peek().is_none() {
            return Ok(None);
        }
        Ok(Some(theirs.any(|s| s.user_agent.as_deref() == user_agent)))
    }

    async fn count_live(
        &self,
        now: Timestamp,
        used_after: Option<Timestamp>,
    ) -> Result<u64, RepoError> {
        Ok(lock(&self.state)
            .sessions
            .values()
            .filter(|s| s.is_live(now) && s.used_after(used_after))
            .count() as u64)
    }

    async fn touch_session(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        self.change_session(tx, id, |s| s.last_used_at = at)
    }

    async fn set_session_org(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        org: Option<OrgId>,
    ) -> Result<(), RepoError> {
        self.change_session(tx, id, |s| s.org_id = org)
    }

    async fn revoke_session(
        &self,
        tx: &mut dyn Transaction,
        id: SessionId,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let mut user_id = None;
        self.change_session(tx, id, |s| {
            s.revoked_at.get_or_insert(at);
            user_id = Some(s.user_id);
        })?;
        if let Some(user_id) = user_id {
            self.record_revocation(
                MemoryTransaction::from_dyn(tx)?,
                TokenRevocation {
                    user_id,
                    session_id: Some(id),
                    org_id: None,
                    at,
                },
            );
        }
        Ok(())
    }

    async fn revoke_all(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        at: Timestamp,
    ) -> Result<u64, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let revoked: Vec<Session> = {
            let mut state = lock(&self.state);
            state
                .sessions
                .values_mut()
                .filter(|s| s.user_id == user_id && s.is_live(at))
                .map(|s| {
                    let previous = s.clone();
                    s.revoked_at = Some(at);
                    previous
                })
                .collect()
        };
        let count = revoked.len() as u64;
        for previous in revoked {
            self.restore_on_rollback(tx, previous);
        }
        self.record_revocation(
            tx,
            TokenRevocation {
                user_id,
                session_id: None,
                org_id: None,
                at,
            },
        );
        Ok(count)
    }

    async fn insert_refresh(
        &self,
        tx: &mut dyn Transaction,
        token: &RefreshTokenRecord,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = lock(&self.state);
            if state.refresh.contains_key(&token.hash.0) {
                return Err(RepoError::Duplicate {
                    constraint: "refresh_tokens.hash".into(),
                });
            }
            if !state.sessions.contains_key(&token.session_id) {
                return Err(RepoError::internal(
                    "refresh token for an unknown session (foreign key)",
                ));
            }
            state.refresh.insert(token.hash.0.clone(), token.clone());
        }
        let (state, key) = (Arc::clone(&self.state), token.hash.0.clone());
        tx.on_rollback(move || {
            lock(&state).refresh.remove(&key);
        });
        Ok(())
    }

    async fn refresh_by_hash(
        &self,
        hash: &RefreshTokenHash,
    ) -> Result<Option<RefreshTokenRecord>, RepoError> {
        Ok(lock(&self.state).refresh.get(&hash.0).cloned())
    }

    async fn spend_refresh(
        &self,
        tx: &mut dyn Transaction,
        hash: &RefreshTokenHash,
        at: Timestamp,
        successor: &RefreshTokenHash,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        // Check and set under one lock: the in-memory equivalent of
        // `UPDATE … SET spent_at = ? WHERE hash = ? AND spent_at IS NULL`.
        let spent = {
            let mut state = lock(&self.state);
            match state.refresh.get_mut(&hash.0) {
                Some(record) if record.spent_at.is_none() => {
                    record.spent_at = Some(at);
                    record.replaced_by = Some(successor.clone());
                    true
                }
                _ => false,
            }
        };
        if spent {
            let (state, key) = (Arc::clone(&self.state), hash.0.clone());
            tx.on_rollback(move || {
                if let Some(record) = lock(&state).refresh.get_mut(&key) {
                    record.spent_at = None;
                    record.replaced_by = None;
                }
            });
        }
        Ok(spent)
    }
}

#[async_trait::async_trait]
impl LockoutRepository for MemorySessionRepository {
    async fn lockout(&self, user_id: UserId) -> Result<LockoutState, RepoError> {
        Ok(lock(&self.state)
            .lockouts
            .get(&user_id)
            .copied()
            .unwrap_or_default())
    }

    /// The memory unit of work already runs one transaction at a time.
    async fn lockout_for_update(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<LockoutState, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        self.lockout(user_id).await
    }

    async fn save_lockout(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        new: &LockoutState,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = lock(&self.state).lockouts.insert(user_id, *new);
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            let mut state = lock(&state);
            match previous {
                Some(previous) => state.lockouts.insert(user_id, previous),
                None => state.lockouts.remove(&user_id),
            };
        });
        Ok(())
    }
}

#[async_trait::async_trait]
impl OneTimeTokenRepository for MemorySessionRepository {
    async fn insert_one_time(
        &self,
        tx: &mut dyn Transaction,
        record: &OneTimeTokenRecord,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = lock(&self.state);
            if state.one_time.contains_key(&record.hash.0) {
                return Err(RepoError::Duplicate {
                    constraint: "one_time_tokens.hash".into(),
                });
            }
            state.one_time.insert(record.hash.0.clone(), record.clone());
        }
        let (state, key) = (Arc::clone(&self.state), record.hash.0.clone());
        tx.on_rollback(move || {
            lock(&state).one_time.remove(&key);
        });
        Ok(())
    }

    async fn one_time_by_hash(
        &self,
        hash: &OneTimeTokenHash,
    ) -> Result<Option<OneTimeTokenRecord>, RepoError> {
        Ok(lock(&self.state).one_time.get(&hash.0).cloned())
    }

    async fn consume_one_time(
        &self,
        tx: &mut dyn Transaction,
        hash: &OneTimeTokenHash,
        at: Timestamp,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        // Check and set under one lock, like `UPDATE … WHERE used_at IS NULL`.
        let used = {
            let mut state = lock(&self.state);
            match state.one_time.get_mut(&hash.0) {
                Some(record) if record.used_at.is_none() => {
                    record.used_at = Some(at);
                    true
                }
                _ => false,
            }
        };
        if used {
            let (state, key) = (Arc::clone(&self.state), hash.0.clone());
            tx.on_rollback(move || {
                if let Some(record) = lock(&state).one_time.get_mut(&key) {
                    record.used_at = None;
                }
            });
        }
        Ok(used)
    }

    async fn spend_all_one_time(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        purpose: OneTimePurpose,
        at: Timestamp,
    ) -> Result<u64, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let spent: Vec<String> = {
            let mut state = lock(&self.state);
            state
                .one_time
                .values_mut()
                .filter(|r| r.user_id == user_id && r.purpose == purpose && r.used_at.is_none())
                .map(|r| {
                    r.used_at = Some(at);
                    r.hash.0.clone()
                })
                .collect()
        };
        let count = spent.len() as u64;
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            let mut state = lock(&state);
            for key in &spent {
                if let Some(record) = state.one_time.get_mut(key) {
                    record.used_at = None;
                }
            }
        });
        Ok(count)
    }

    async fn one_time_issued_since(
        &self,
        user_id: UserId,
        purpose: OneTimePurpose,
        since: Timestamp,
    ) -> Result<u64, RepoError> {
        Ok(lock(&self.state)
            .one_time
            .values()
            .filter(|r| r.user_id == user_id && r.purpose == purpose && r.created_at >= since)
            .count() as u64)
    }
}

#[async_trait::async_trait]
impl TotpRepository for MemorySessionRepository {
    async fn totp_factor(&self, user_id: UserId) -> Result<Option<TotpFactor>, RepoError> {
        Ok(lock(&self.state).totp.get(&user_id).cloned())
    }

    /// The memory unit of work already runs one transaction at a time.
    async fn totp_factor_for_update(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<Option<TotpFactor>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        self.totp_factor(user_id).await
    }

    async fn put_totp_factor(
        &self,
        tx: &mut dyn Transaction,
        factor: &TotpFactor,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let user_id = factor.user_id;
        let previous = lock(&self.state).totp.insert(user_id, factor.clone());
        self.restore_totp_on_rollback(tx, user_id, previous);
        Ok(())
    }

    async fn delete_totp_factor(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = lock(&self.state).totp.remove(&user_id);
        let existed = previous.is_some();
        self.restore_totp_on_rollback(tx, user_id, previous);
        Ok(existed)
    }
}

#[async_trait::async_trait]
impl RevocationRepository for MemorySessionRepository {
    async fn revoke_user_tokens(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        self.record_revocation(
            tx,
            TokenRevocation {
                user_id,
                session_id: None,
                org_id: None,
                at,
            },
        );
        Ok(())
    }

    async fn revoke_org_tokens(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        org_id: OrgId,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        self.record_revocation(
            tx,
            TokenRevocation {
                user_id,
                session_id: None,
                org_id: Some(org_id),
                at,
            },
        );
        Ok(())
    }

    async fn revocations_since(&self, since: Timestamp) -> Result<Vec<TokenRevocation>, RepoError> {
        let mut found: Vec<TokenRevocation> = lock(&self.state)
            .revocations
            .iter()
            .filter(|r| r.at > since)
            .copied()
            .collect();
        found.sort_by_key(|r| r.at);
        Ok(found)
    }

    async fn prune_revocations(&self, before: Timestamp) -> Result<u64, RepoError> {
        let mut state = lock(&self.state);
        let len = state.revocations.len();
        state.revocations.retain(|r| r.at >= before);
        Ok((len - state.revocations.len()) as u64)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::UserId;
    use plinth_kernel::testing::MemoryUnitOfWork;

    use super::MemorySessionRepository;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_repository_passes_the_contract() {
        let repo = Arc::new(MemorySessionRepository::new());
        super::super::contract::session_repository(
            repo,
            Arc::new(MemoryUnitOfWork::new()),
            UserId::new(),
        )
        .await;
    }
}
