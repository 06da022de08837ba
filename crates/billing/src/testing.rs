//! In-memory adapter (feature `testing`) and the contract suite every
//! [`crate::BillingRepository`] adapter must pass.
//!
//! [`MemoryBillingRepository`] works with [`plinth_kernel::testing::MemoryUnitOfWork`]: writes
//! apply at once and are undone if the transaction is dropped without commit.

pub mod contract;
mod memory;

pub use memory::MemoryBillingRepository;

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use plinth_kernel::testing::MemoryUnitOfWork;

    use super::*;

    #[tokio::test]
    async fn memory_billing_repository_passes_the_contract() {
        contract::billing_repository(
            Arc::new(MemoryBillingRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
        )
        .await;
    }
}
