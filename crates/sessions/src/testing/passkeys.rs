//! [`MemoryPasskeyRepository`]: passkeys and their WebAuthn ceremonies in memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};

use crate::{
    CeremonyPurpose, OneTimeTokenHash, Passkey, PasskeyCeremony, PasskeyCeremonyId, PasskeyId,
    PasskeyName, PasskeyRepository,
};

#[derive(Default)]
struct State {
    ceremonies: BTreeMap<PasskeyCeremonyId, PasskeyCeremony>,
    passkeys: BTreeMap<PasskeyId, Passkey>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A [`PasskeyRepository`] kept in memory. Clones share the same rows; writes are undone when
/// their [`MemoryTransaction`] is dropped uncommitted.
#[derive(Clone, Default)]
pub struct MemoryPasskeyRepository {
    state: Shared,
}

impl MemoryPasskeyRepository {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every passkey stored, whoever's.
    #[must_use]
    pub fn all_passkeys(&self) -> Vec<Passkey> {
        lock(&self.state).passkeys.values().cloned().collect()
    }

    /// Applies `change` now and `undo` if `tx` rolls back.
    fn write<R>(
        &self,
        tx: &mut dyn Transaction,
        change: impl FnOnce(&mut State) -> (R, Box<dyn FnOnce(&mut State) + Send>),
    ) -> Result<R, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let (result, undo) = change(&mut lock(&self.state));
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || undo(&mut lock(&state)));
        Ok(result)
    }

    /// Changes the passkey `id` of `user_id` (any owner when `None`) with `change`; whether
    /// there was one.
    fn change_passkey(
        &self,
        tx: &mut dyn Transaction,
        id: PasskeyId,
        user_id: Option<UserId>,
        change: impl FnOnce(&mut Passkey),
    ) -> Result<bool, RepoError> {
        self.write(tx, |state| {
            let Some(passkey) = state
                .passkeys
                .get_mut(&id)
                .filter(|p| user_id.is_none_or(|u| p.user_id == u))
            else {
                return (false, Box::new(|_| {}));
            };
            let previous = passkey.clone();
            change(passkey);
            (
                true,
                Box::new(move |s: &mut State| {
                    s.passkeys.insert(previous.id, previous);
                }),
            )
        })
    }
}

#[async_trait::async_trait]
impl PasskeyRepository for MemoryPasskeyRepository {
    async fn insert_ceremony(
        &self,
        tx: &mut dyn Transaction,
        ceremony: &PasskeyCeremony,
    ) -> Result<(), RepoError> {
        let ceremony = ceremony.clone();
        self.write(tx, move |state| {
            if state
                .ceremonies
                .values()
                .any(|c| c.id == ceremony.id || c.token_hash == ceremony.token_hash)
            {
                let err = Err(RepoError::Duplicate {
                    constraint: "passkey_ceremonies.token_hash".into(),
                });
                return (err, Box::new(|_| {}));
            }
            let id = ceremony.id;
            state.ceremonies.insert(id, ceremony);
            (
                Ok(()),
                Box::new(move |s: &mut State| {
                    s.ceremonies.remove(&id);
                }),
            )
        })?
    }

    async fn spend_ceremony(
        &self,
        tx: &mut dyn Transaction,
        token_hash: &OneTimeTokenHash,
        purpose: CeremonyPurpose,
        now: Timestamp,
    ) -> Result<Option<PasskeyCeremony>, RepoError> {
        self.write(tx, |state| {
            let Some(ceremony) = state.ceremonies.values_mut().find(|c| {
                &c.token_hash == token_hash
                    && c.purpose == purpose
                    && c.used_at.is_none()
                    && now < c.expires_at
            }) else {
                return (None, Box::new(|_| {}));
            };
            let previous = ceremony.clone();
            ceremony.used_at = Some(now);
            (
                Some(ceremony.clone()),
                Box::new(move |s: &mut State| {
                    s.ceremonies.insert(previous.id, previous);
                }),
            )
        })
    }

    async fn prune_ceremonies(
        &self,
        tx: &mut dyn Transaction,
        before: Timestamp,
    ) -> Result<u64, RepoError> {
        self.write(tx, |state| {
            let old: Vec<PasskeyCeremonyId> = state
                .ceremonies
                .values()
                .filter(|c| c.expires_at < before)
                .map(|c| c.id)
                .collect();
            let pruned: Vec<PasskeyCeremony> = old
                .iter()
                .filter_map(|id| state.ceremonies.remove(id))
                .collect();
            (
                pruned.len() as u64,
                Box::new(move |s: &mut State| {
                    for c in pruned {
                        s.ceremonies.insert(c.id, c);
                    }
                }),
            )
        })
    }

    async fn passkeys_of(&self, user_id: UserId) -> Result<Vec<Passkey>, RepoError> {
        let mut found: Vec<Passkey> = lock(&self.state)
            .passkeys
            .values()
            .filter(|p| p.user_id == user_id)
            .cloned()
            .collect();
        found.sort_by_key(|p| (p.created_at, p.id));
        Ok(found)
    }

    async fn passkey_by_credential(
        &self,
        credential_id: &str,
    ) -> Result<Option<Passkey>, RepoError> {
        Ok(lock(&self.state)
            .passkeys
            .values()
            .find(|p| p.credential_id == credential_id)
            .cloned())
    }

    async fn insert_passkey(
        &self,
        tx: &mut dyn Transaction,
        passkey: &Passkey,
    ) -> Result<(), RepoError> {
        let passkey = passkey.clone();
        self.write(tx, move |state| {
            if state
                .passkeys
                .values()
                .any(|p| p.id == passkey.id || p.credential_id == passkey.credential_id)
            {
                let err = Err(RepoError::Duplicate {
                    constraint: "passkeys.credential_id".into(),
                });
                return (err, Box::new(|_| {}));
            }
            let id = passkey.id;
            state.passkeys.insert(id, passkey);
            (
                Ok(()),
                Box::new(move |s: &mut State| {
                    s.passkeys.remove(&id);
                }),
            )
        })?
    }

    async fn record_passkey_use(
        &self,
        tx: &mut dyn Transaction,
        id: PasskeyId,
        credential: Option<&str>,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let credential = credential.map(str::to_owned);
        if self.change_passkey(tx, id, None, |p| {
            p.last_used_at = Some(at);
            if let Some(credential) = credential {
                p.credential = credential;
            }
        })? {
            Ok(())
        } else {
            Err(RepoError::NotFound)
        }
    }

    async fn rename_passkey(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: PasskeyId,
        name: &PasskeyName,
    ) -> Result<bool, RepoError> {
        let name = name.as_str().to_owned();
        self.change_passkey(tx, id, Some(user_id), |p| p.name = name)
    }

    async fn delete_passkey(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: PasskeyId,
    ) -> Result<bool, RepoError> {
        self.write(tx, |state| {
            match state.passkeys.get(&id) {
                Some(p) if p.user_id == user_id => {}
                _ => return (false, Box::new(|_| {})),
            }
            let Some(removed) = state.passkeys.remove(&id) else {
                return (false, Box::new(|_| {}));
            };
            (
                true,
                Box::new(move |s: &mut State| {
                    s.passkeys.insert(removed.id, removed);
                }),
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::UserId;
    use plinth_kernel::testing::MemoryUnitOfWork;

    use super::MemoryPasskeyRepository;

    #[tokio::test]
    async fn the_memory_adapter_passes_the_contract() {
        crate::testing::contract::passkey_repository(
            Arc::new(MemoryPasskeyRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            UserId::new(),
            UserId::new(),
        )
        .await;
    }
}
