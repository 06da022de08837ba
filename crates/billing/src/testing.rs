//! In-memory adapter (feature `testing`) and the contract suite every
//! [`crate::BillingRepository`] adapter must pass.
//!
//! [`MemoryBillingRepository`] works with [`plinth_kernel::testing::MemoryUnitOfWork`]: writes
//! apply at once and are undone if the transaction is dropped without commit.

pub mod contract;
mod customers;
pub mod invoice_contract;
mod invoices;
mod memory;
mod memory_subscriptions;
pub mod payment_contract;
mod payments;
pub mod period_invoice_contract;
mod renderer;
pub mod subscription_contract;

pub use customers::MemoryCustomerDirectory;
pub use invoices::MemoryInvoiceRepository;
pub use memory::MemoryBillingRepository;
pub use memory_subscriptions::MemorySubscriptionRepository;
pub use payments::{FakePaymentGateway, FakeWebhookVerifier, MemoryPaymentEventInbox};
pub use renderer::TextInvoiceRenderer;

/// `id` as an administrator holding `billing:write`, for the plan and invoice actions.
#[must_use]
pub fn billing_admin(id: plinth_kernel::UserId) -> plinth_kernel::Caller {
    plinth_kernel::Caller::new(
        id,
        vec![plinth_kernel::Permission::BILLING_WRITE.to_owned()],
    )
}

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

    #[tokio::test]
    async fn memory_invoice_repository_passes_the_contract() {
        invoice_contract::invoice_repository(
            Arc::new(MemoryInvoiceRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            [plinth_kernel::UserId::new(), plinth_kernel::UserId::new()],
        )
        .await;
    }

    #[tokio::test]
    async fn memory_subscription_repository_passes_the_contract() {
        subscription_contract::subscription_repository(
            Arc::new(MemorySubscriptionRepository::new()),
            Arc::new(MemoryBillingRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            [
                plinth_kernel::UserId::new(),
                plinth_kernel::UserId::new(),
                plinth_kernel::UserId::new(),
            ],
        )
        .await;
    }

    #[tokio::test]
    async fn memory_subscription_repository_passes_the_period_invoice_contract() {
        let invoices = MemoryInvoiceRepository::new();
        period_invoice_contract::period_invoices(
            Arc::new(MemorySubscriptionRepository::new().with_invoices(invoices.clone())),
            Arc::new(invoices),
            Arc::new(MemoryBillingRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            [plinth_kernel::UserId::new(), plinth_kernel::UserId::new()],
        )
        .await;
    }

    #[tokio::test]
    async fn memory_invoice_repository_passes_the_revenue_contract() {
        payment_contract::invoice_revenue(
            Arc::new(MemoryInvoiceRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            plinth_kernel::UserId::new(),
        )
        .await;
    }

    #[tokio::test]
    async fn memory_invoice_repository_passes_the_provider_payment_id_contract() {
        payment_contract::provider_payment_id(
            Arc::new(MemoryInvoiceRepository::new()),
            Arc::new(MemoryUnitOfWork::new()),
            plinth_kernel::UserId::new(),
        )
        .await;
    }

    #[tokio::test]
    async fn memory_payment_event_inbox_passes_the_contract() {
        payment_contract::payment_event_inbox(
            Arc::new(MemoryPaymentEventInbox::new()),
            Arc::new(MemoryUnitOfWork::new()),
        )
        .await;
    }
}
