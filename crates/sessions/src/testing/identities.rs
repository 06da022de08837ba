//! [`MemoryIdentityRepository`]: social sign-in flows and linked identities in memory.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};

use crate::{
    FlowOutcome, IdentityRepository, OAuthFlow, OAuthFlowId, OneTimeTokenHash, UserIdentity,
    UserIdentityId,
};

#[derive(Default)]
struct State {
    flows: BTreeMap<OAuthFlowId, OAuthFlow>,
    identities: BTreeMap<UserIdentityId, UserIdentity>,
}

type Shared = Arc<Mutex<State>>;

fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// An [`IdentityRepository`] kept in memory. Clones share the same rows; writes are undone
/// when their [`MemoryTransaction`] is dropped uncommitted.
#[derive(Clone, Default)]
pub struct MemoryIdentityRepository {
    state: Shared,
}

impl MemoryIdentityRepository {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Puts `previous` back on rollback.
    fn restore_flow(&self, tx: &mut MemoryTransaction, previous: OAuthFlow) {
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            lock(&state).flows.insert(previous.id, previous);
        });
    }

    /// Changes the flow matching `find` with `change`, undone on rollback; the flow after.
    fn change_flow(
        &self,
        tx: &mut dyn Transaction,
        find: impl Fn(&OAuthFlow) -> bool,
        change: impl FnOnce(&mut OAuthFlow),
    ) -> Result<Option<OAuthFlow>, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let (previous, after) = {
            let mut state = lock(&self.state);
            let Some(flow) = state.flows.values_mut().find(|f| find(f)) else {
                return Ok(None);
            };
            let previous = flow.clone();
            change(flow);
            (previous, flow.clone())
        };
        self.restore_flow(tx, previous);
        Ok(Some(after))
    }
}

#[async_trait::async_trait]
impl IdentityRepository for MemoryIdentityRepository {
    async fn insert_flow(
        &self,
        tx: &mut dyn Transaction,
        flow: &OAuthFlow,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = lock(&self.state);
            if state
                .flows
                .values()
                .any(|f| f.id == flow.id || f.state_hash == flow.state_hash)
            {
                return Err(RepoError::Duplicate {
                    constraint: "oauth_flows.state_hash".into(),
                });
            }
            state.flows.insert(flow.id, flow.clone());
        }
        let (state, id) = (Arc::clone(&self.state), flow.id);
        tx.on_rollback(move || {
            lock(&state).flows.remove(&id);
        });
        Ok(())
    }

    async fn spend_flow(
        &self,
        tx: &mut dyn Transaction,
        state_hash: &OneTimeTokenHash,
        now: Timestamp,
    ) -> Result<Option<OAuthFlow>, RepoError> {
        self.change_flow(
            tx,
            |f| &f.state_hash == state_hash && f.used_at.is_none() && now < f.expires_at,
            |f| f.used_at = Some(now),
        )
    }

    async fn finish_flow(
        &self,
        tx: &mut dyn Transaction,
        id: OAuthFlowId,
        code_hash: &OneTimeTokenHash,
        outcome: &FlowOutcome,
        expires_at: Timestamp,
    ) -> Result<(), RepoError> {
        self.change_flow(
            tx,
            |f| f.id == id,
            |f| {
                f.code_hash = Some(code_hash.clone());
                f.outcome = Some(outcome.clone());
                f.expires_at = expires_at;
            },
        )?
        .map(|_| ())
        .ok_or(RepoError::NotFound)
    }

    async fn redeem_code(
        &self,
        tx: &mut dyn Transaction,
        code_hash: &OneTimeTokenHash,
        now: Timestamp,
    ) -> Result<Option<OAuthFlow>, RepoError> {
        self.change_flow(
            tx,
            |f| {
                f.code_hash.as_ref() == Some(code_hash)
                    && f.exchanged_at.is_none()
                    && now < f.expires_at
            },
            |f| f.exchanged_at = Some(now),
        )
    }

    async fn prune_flows(
        &self,
        tx: &mut dyn Transaction,
        before: Timestamp,
    ) -> Result<u64, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let pruned: Vec<OAuthFlow> = {
            let mut state = lock(&self.state);
            let old: Vec<OAuthFlowId> = state
                .flows
                .values()
                .filter(|f| f.expires_at < before)
                .map(|f| f.id)
                .collect();
            old.iter().filter_map(|id| state.flows.remove(id)).collect()
        };
        let count = pruned.len() as u64;
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            let mut state = lock(&state);
            for flow in pruned {
                state.flows.insert(flow.id, flow);
            }
        });
        Ok(count)
    }

    async fn identity(
        &self,
        provider: &str,
        subject: &str,
    ) -> Result<Option<UserIdentity>, RepoError> {
        Ok(lock(&self.state)
            .identities
            .values()
            .find(|i| i.provider == provider && i.subject == subject)
            .cloned())
    }

    async fn identities_of(&self, user_id: UserId) -> Result<Vec<UserIdentity>, RepoError> {
        let mut found: Vec<_> = lock(&self.state)
            .identities
            .values()
            .filter(|i| i.user_id == user_id)
            .cloned()
            .collect();
        found.sort_by_key(|i| (i.created_at, i.id));
        Ok(found)
    }

    async fn insert_identity(
        &self,
        tx: &mut dyn Transaction,
        identity: &UserIdentity,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = lock(&self.state);
            if state.identities.values().any(|i| {
                i.id == identity.id
                    || (i.provider == identity.provider && i.subject == identity.subject)
            }) {
                return Err(RepoError::Duplicate {
                    constraint: "user_identities.provider_subject".into(),
                });
            }
            state.identities.insert(identity.id, identity.clone());
        }
        let (state, id) = (Arc::clone(&self.state), identity.id);
        tx.on_rollback(move || {
            lock(&state).identities.remove(&id);
        });
        Ok(())
    }

    async fn delete_identity(
        &self,
        tx: &mut dyn Transaction,
        user_id: UserId,
        id: UserIdentityId,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let removed = {
            let mut state = lock(&self.state);
            match state.identities.get(&id) {
                Some(i) if i.user_id == user_id => state.identities.remove(&id),
                _ => None,
            }
        };
        let Some(previous) = removed else {
            return Ok(false);
        };
        let state = Arc::clone(&self.state);
        tx.on_rollback(move || {
            lock(&state).identities.insert(previous.id, previous);
        });
        Ok(true)
    }
}

/// An [`IdentityProviders`] that stands in for real providers in HTTP tests: its authorization
/// URL is `https://idp.example/{provider}/authorize?state=…`; a test "signs in at the
/// provider" with [`FakeIdentityProviders::approve`], which hands out a code bound to the
/// flow's nonce and PKCE verifier. Redeeming checks both, once, like a real provider would.
pub struct FakeIdentityProviders {
    providers: Vec<crate::ProviderInfo>,
    /// `state` → (nonce, PKCE verifier) of started flows.
    started: Mutex<std::collections::HashMap<String, (String, String)>>,
    /// code → (identity, nonce, PKCE verifier) of approved flows.
    approved: Mutex<std::collections::HashMap<String, (crate::ProviderIdentity, String, String)>>,
}

impl FakeIdentityProviders {
    /// Providers of these `(name, display name)`.
    #[must_use]
    pub fn new(providers: &[(&str, &str)]) -> Self {
        Self {
            providers: providers
                .iter()
                .map(|(name, display)| crate::ProviderInfo {
                    name: (*name).to_owned(),
                    display_name: (*display).to_owned(),
                })
                .collect(),
            started: Mutex::default(),
            approved: Mutex::default(),
        }
    }

    /// The user signs in at the provider as `identity` for the flow whose authorization URL
    /// carried `state`: the code the provider sends back. `None` for an unknown `state`.
    #[must_use]
    pub fn approve(&self, state: &str, identity: crate::ProviderIdentity) -> Option<String> {
        let (nonce, verifier) = self
            .started
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(state)?;
        let code = format!("code-{}", uuid::Uuid::now_v7().simple());
        self.approved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(code.clone(), (identity, nonce, verifier));
        Some(code)
    }

    /// Like [`FakeIdentityProviders::approve`], but the provider's ID token carries `nonce`
    /// instead of the flow's (an injected token).
    #[must_use]
    pub fn approve_with_nonce(
        &self,
        state: &str,
        identity: crate::ProviderIdentity,
        nonce: &str,
    ) -> Option<String> {
        let code = self.approve(state, identity)?;
        if let Some(entry) = self
            .approved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get_mut(&code)
        {
            nonce.clone_into(&mut entry.1);
        }
        Some(code)
    }
}

#[async_trait::async_trait]
impl crate::IdentityProviders for FakeIdentityProviders {
    fn providers(&self) -> Vec<crate::ProviderInfo> {
        self.providers.clone()
    }

    async fn authorization_url(
        &self,
        provider: &str,
        request: &crate::AuthorizationRequest,
    ) -> Result<String, crate::ProviderError> {
        if !self.providers.iter().any(|p| p.name == provider) {
            return Err(crate::ProviderError::UnknownProvider);
        }
        self.started
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                request.state.clone(),
                (request.nonce.clone(), request.pkce_verifier.clone()),
            );
        Ok(format!(
            "https://idp.example/{provider}/authorize?state={}",
            request.state
        ))
    }

    async fn redeem(
        &self,
        _provider: &str,
        code: &str,
        pkce_verifier: &str,
        nonce: &crate::NonceHash,
    ) -> Result<crate::ProviderIdentity, crate::ProviderError> {
        let Some((identity, issued_nonce, verifier)) = self
            .approved
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(code)
        else {
            return Err(crate::ProviderError::CodeRefused("invalid_grant".into()));
        };
        if verifier != pkce_verifier {
            return Err(crate::ProviderError::CodeRefused("invalid_grant".into()));
        }
        if !nonce.matches(&issued_nonce) {
            return Err(crate::ProviderError::InvalidIdToken(
                "the nonce does not match".into(),
            ));
        }
        Ok(identity)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::UserId;
    use plinth_kernel::testing::MemoryUnitOfWork;

    use super::MemoryIdentityRepository;

    #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
    async fn memory_repository_passes_the_contract() {
        super::super::contract::identity_repository(
            Arc::new(MemoryIdentityRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            UserId::new(),
            UserId::new(),
        )
        .await;
    }
}
