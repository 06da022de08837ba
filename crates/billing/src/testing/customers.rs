//! [`MemoryCustomerDirectory`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use plinth_kernel::{RepoError, UserId};

use crate::invoice::{CustomerDirectory, CustomerSnapshot};

/// Customers in a map.
#[derive(Clone, Default)]
pub struct MemoryCustomerDirectory {
    customers: Arc<Mutex<HashMap<UserId, CustomerSnapshot>>>,
}

impl MemoryCustomerDirectory {
    /// An empty directory.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds (or replaces) a customer.
    pub fn insert(&self, user: UserId, email: &str, name: &str) {
        self.customers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(
                user,
                CustomerSnapshot {
                    email: email.to_owned(),
                    name: name.to_owned(),
                },
            );
    }

    /// Removes a customer, as deleting the account would.
    pub fn remove(&self, user: UserId) {
        self.customers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(&user);
    }
}

#[async_trait::async_trait]
impl CustomerDirectory for MemoryCustomerDirectory {
    async fn customer(&self, user: UserId) -> Result<Option<CustomerSnapshot>, RepoError> {
        Ok(self
            .customers
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user)
            .cloned())
    }
}
