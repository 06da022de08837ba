//! [`MemoryRoleRepository`].

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Transaction};

use crate::{Permission, Role, RoleName, RoleRepository, built_in_roles};

type Roles = Arc<Mutex<BTreeMap<RoleName, Role>>>;

/// A [`RoleRepository`] kept in memory, holding the built-in roles from the start. Clones share
/// the same roles; a [`crate::testing::MemoryUserRepository`] built
/// [`with_roles`](crate::testing::MemoryUserRepository::with_roles) refuses users whose role is
/// not here, as the SQL adapter does.
#[derive(Clone)]
pub struct MemoryRoleRepository {
    roles: Roles,
}

impl Default for MemoryRoleRepository {
    fn default() -> Self {
        let roles = built_in_roles(chrono::Utc::now())
            .into_iter()
            .map(|r| (r.name.clone(), r))
            .collect();
        Self {
            roles: Arc::new(Mutex::new(roles)),
        }
    }
}

impl MemoryRoleRepository {
    /// The built-in roles and nothing else.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a role of that name is stored.
    #[must_use]
    pub fn contains(&self, name: &RoleName) -> bool {
        lock(&self.roles).contains_key(name)
    }
}

fn lock(roles: &Roles) -> MutexGuard<'_, BTreeMap<RoleName, Role>> {
    roles.lock().unwrap_or_else(PoisonError::into_inner)
}

#[async_trait::async_trait]
impl RoleRepository for MemoryRoleRepository {
    async fn insert(&self, tx: &mut dyn Transaction, role: &Role) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        if !role
            .permissions
            .iter()
            .all(|p| Permission::ALL.contains(&p.as_str()))
        {
            return Err(RepoError::NotFound);
        }
        {
            let mut roles = lock(&self.roles);
            if roles.contains_key(&role.name) {
                return Err(RepoError::Duplicate {
                    constraint: "roles.name".into(),
                });
            }
            roles.insert(role.name.clone(), role.clone());
        }
        let (roles, name) = (Arc::clone(&self.roles), role.name.clone());
        tx.on_rollback(move || {
            lock(&roles).remove(&name);
        });
        Ok(())
    }

    async fn by_name(&self, name: &RoleName) -> Result<Option<Role>, RepoError> {
        Ok(lock(&self.roles).get(name).cloned())
    }

    async fn list(&self) -> Result<Vec<Role>, RepoError> {
        let mut roles: Vec<Role> = lock(&self.roles).values().cloned().collect();
        roles.sort_by(|a, b| b.rank.cmp(&a.rank).then_with(|| a.name.cmp(&b.name)));
        Ok(roles)
    }

    async fn permissions(&self) -> Result<Vec<String>, RepoError> {
        let mut all: Vec<String> = Permission::ALL.iter().map(|p| (*p).to_owned()).collect();
        all.sort();
        Ok(all)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::testing::MemoryUnitOfWork;

    use super::MemoryRoleRepository;
    use crate::testing::MemoryUserRepository;

    #[tokio::test]
    async fn memory_repository_passes_the_contract() {
        let roles = MemoryRoleRepository::new();
        super::super::contract::role_repository(
            Arc::new(roles.clone()),
            Arc::new(MemoryUserRepository::with_roles(roles)),
            Arc::new(MemoryUnitOfWork::new()),
        )
        .await;
    }
}
