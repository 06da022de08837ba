//! In-memory adapters and the port contract suite (feature `testing`).
//!
//! [`MemoryOrgStorage`] behaves like the SQL adapter (writes undone when the
//! [`plinth_kernel::testing::MemoryTransaction`] is dropped uncommitted, reads filtered by
//! organization); [`contract::org_storage`] is the suite every [`crate::OrgStorage`] adapter
//! must pass, which the in-memory one passes too. [`MemoryInvitationMailer`] and
//! [`MemoryVerifiedEmails`] stand in for the mail and account bridges.

pub mod contract;
mod fakes;
mod memory;

pub use fakes::{MemoryInvitationMailer, MemoryTokenRevoker, MemoryVerifiedEmails};
pub use memory::MemoryOrgStorage;

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use std::sync::Arc;

    use plinth_kernel::testing::MemoryUnitOfWork;
    use plinth_kernel::{Email, UserId};

    use super::{MemoryOrgStorage, contract};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_memory_storage_keeps_the_contract() {
        let storage = MemoryOrgStorage::new();
        let users = ["ada", "bob", "cy"].map(|name| {
            let id = UserId::new();
            let email = Email::parse(&format!("{name}@example.com")).unwrap();
            storage.know_user(id, email.clone(), name);
            (id, email, name.to_owned())
        });
        contract::org_storage(Arc::new(storage), Arc::new(MemoryUnitOfWork::new()), users).await;
    }
}
