//! BillingService.

use std::sync::Arc;

use plinth_audit::AuditLog;
use plinth_kernel::{Clock, UnitOfWork};

use crate::BillingRepository;

/// Billing use cases.
#[derive(Clone)]
pub struct BillingService {
    pub(crate) billing: Arc<dyn BillingRepository>,
    pub(crate) audit: Arc<dyn AuditLog>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) clock: Arc<dyn Clock>,
}

impl BillingService {
    /// Wires the service to its ports.
    #[must_use]
    pub fn new(
        billing: Arc<dyn BillingRepository>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self { billing, audit, uow, clock }
    }
}
