//! [`MemoryCustomerDirectory`]: customers, and members' standing in organizations.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use plinth_kernel::{ActingFor, OrgId, Owner, RepoError, UserId};

use crate::invoice::{CustomerDirectory, CustomerSnapshot};

/// `(member, organization) → their organization permissions there`.
type Standings = HashMap<(UserId, OrgId), Vec<String>>;

/// Customers in a map.
#[derive(Clone, Default)]
pub struct MemoryCustomerDirectory {
    customers: Arc<Mutex<HashMap<Owner, CustomerSnapshot>>>,
    standings: Arc<Mutex<Standings>>,
}

impl MemoryCustomerDirectory {
    /// An empty directory.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a customer: an account, or an organization's billing contact.
    pub fn insert(&self, owner: impl Into<Owner>, email: &str, name: &str) {
        self.customers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                owner.into(),
                CustomerSnapshot {
                    email: email.to_owned(),
                    name: name.to_owned(),
                },
            );
    }

    /// Removes a customer, as deleting the account would.
    pub fn remove(&self, owner: impl Into<Owner>) {
        self.customers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&owner.into());
    }

    /// Makes `user` a member of `org` with `permissions` there (none: not a member).
    pub fn set_standing(&self, user: UserId, org: OrgId, permissions: &[&str]) {
        let mut standings = self
            .standings
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        if permissions.is_empty() {
            standings.remove(&(user, org));
        } else {
            standings.insert(
                (user, org),
                permissions.iter().map(|p| (*p).to_owned()).collect(),
            );
        }
    }
}

#[async_trait::async_trait]
impl CustomerDirectory for MemoryCustomerDirectory {
    async fn customer(&self, owner: Owner) -> Result<Option<CustomerSnapshot>, RepoError> {
        Ok(self
            .customers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&owner)
            .cloned())
    }
}

#[async_trait::async_trait]
impl crate::subscription::BillingMembers for MemoryCustomerDirectory {
    async fn standing(&self, user: UserId, org: OrgId) -> Result<Option<ActingFor>, RepoError> {
        Ok(self
            .standings
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(user, org))
            .map(|permissions| ActingFor {
                org_id: org,
                permissions: permissions.clone(),
            }))
    }
}
