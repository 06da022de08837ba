//! [`MemoryUserRepository`]: its [`UserRepository`] here, its [`crate::AvatarKeyRepository`]
//! and [`crate::AppDataRepository`] in the modules below, one trait each.

mod app_data;
mod avatar_keys;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{Email, Page, PageRequest, RepoError, Timestamp, Transaction, UserId};

use super::MemoryRoleRepository;
use crate::{
    AppData, RoleName, User, UserChanges, UserCounts, UserFilter, UserRepository, UserStatus,
};

type Users = Arc<Mutex<BTreeMap<UserId, User>>>;

/// A [`crate::UserStorage`] (every seam: accounts, avatar keys, app data) kept in memory,
/// ordered by id. Clones share the same users.
#[derive(Clone, Default)]
pub struct MemoryUserRepository {
    users: Users,
    documents: Arc<Mutex<HashMap<UserId, AppData>>>,
    roles: Option<MemoryRoleRepository>,
}

impl MemoryUserRepository {
    /// An empty repository that accepts any role name.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty repository that, like the SQL one, refuses to store a user whose role is not
    /// in `roles` ([`RepoError::NotFound`]).
    #[must_use]
    pub fn with_roles(roles: MemoryRoleRepository) -> Self {
        Self {
            roles: Some(roles),
            ..Self::default()
        }
    }

    /// The address and display name of `id`, if stored (for in-memory adapters of other
    /// domains that show them, such as an organization's member list).
    #[must_use]
    pub fn profile(&self, id: UserId) -> Option<(Email, String)> {
        self.lock()
            .get(&id)
            .map(|u| (u.email.clone(), u.name.as_str().to_owned()))
    }

    fn check_role(&self, role: &RoleName) -> Result<(), RepoError> {
        match &self.roles {
            Some(roles) if !roles.contains(role) => Err(RepoError::NotFound),
            _ => Ok(()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<UserId, User>> {
        lock(&self.users)
    }
}

fn lock(users: &Users) -> MutexGuard<'_, BTreeMap<UserId, User>> {
    users.lock().unwrap_or_else(PoisonError::into_inner)
}

fn email_taken() -> RepoError {
    RepoError::Duplicate {
        constraint: "users.email".into(),
    }
}

/// Whether `user` passes every condition of `filter`.
fn matches(filter: &UserFilter, user: &User) -> bool {
    let q_ok = filter
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
        .is_none_or(|q| {
            let q = q.to_lowercase();
            user.email.as_str().contains(&q) || user.name.as_str().to_lowercase().contains(&q)
        });
    q_ok && filter.role.as_ref().is_none_or(|r| &user.role == r)
        && filter.status.is_none_or(|s| user.status == s)
}

#[async_trait::async_trait]
impl UserRepository for MemoryUserRepository {
    async fn insert(&self, tx: &mut dyn Transaction, user: &User) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        self.check_role(&user.role)?;
        {
            let mut users = self.lock();
            if users.contains_key(&user.id) {
                return Err(RepoError::Duplicate {
                    constraint: "users.id".into(),
                });
            }
            if users.values().any(|u| u.email == user.email) {
                return Err(email_taken());
            }
            users.insert(user.id, user.clone());
        }
        let (users, id) = (Arc::clone(&self.users), user.id);
        tx.on_rollback(move || {
            lock(&users).remove(&id);
        });
        Ok(())
    }

    async fn change(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
        changes: &UserChanges,
        at: Timestamp,
    ) -> Result<User, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let (before, after) = {
            let mut users = self.lock();
            if let Some(email) = &changes.email
                && users.values().any(|u| u.id != id && &u.email == email)
            {
                return Err(email_taken());
            }
            let user = users.get_mut(&id).ok_or(RepoError::NotFound)?;
            if let Some(role) = &changes.role {
                self.check_role(role)?;
            }
            let before = user.clone();
            *user = changes.apply(before.clone(), at);
            (before, user.clone())
        };
        let users = Arc::clone(&self.users);
        tx.on_rollback(move || {
            lock(&users).insert(before.id, before);
        });
        Ok(after)
    }

    async fn by_id_for_update(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
    ) -> Result<Option<User>, RepoError> {
        // The memory transaction already excludes every other writer.
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.lock().get(&id).cloned())
    }

    async fn delete(&self, tx: &mut dyn Transaction, id: UserId) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let removed = self.lock().remove(&id).ok_or(RepoError::NotFound)?;
        let users = Arc::clone(&self.users);
        tx.on_rollback(move || {
            lock(&users).insert(removed.id, removed);
        });
        Ok(())
    }

    async fn by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        Ok(self.lock().get(&id).cloned())
    }

    async fn by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        Ok(self.lock().values().find(|u| &u.email == email).cloned())
    }

    async fn list(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>, RepoError> {
        let after = page.cursor().map(|c| UserId::from_uuid(c.last_id()));
        let rows: Vec<User> = self
            .lock()
            .values()
            .filter(|u| after.is_none_or(|a| u.id > a))
            .filter(|u| matches(filter, u))
            .take(page.limit() as usize + 1)
            .cloned()
            .collect();
        Ok(Page::from_rows(rows, page, |u| u.id.as_uuid()))
    }

    async fn count(&self, since: Timestamp) -> Result<UserCounts, RepoError> {
        let users = self.lock();
        let tally =
            |keep: &dyn Fn(&User) -> bool| users.values().filter(|u| keep(u)).count() as u64;
        Ok(UserCounts {
            total: users.len() as u64,
            active: tally(&|u| u.status == UserStatus::Active),
            created_since: tally(&|u| u.created_at >= since),
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::testing::MemoryUnitOfWork;

    use super::MemoryUserRepository;

    #[tokio::test]
    async fn memory_repository_passes_the_contract() {
        super::super::contract::user_repository(
            Arc::new(MemoryUserRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
        )
        .await;
    }
}
