//! BillingService: plans and invoices.

mod entitlements;
mod invoices;
mod payments;
mod plan_prices;
mod standing;
mod subscriptions;
mod validate;

#[cfg(test)]
mod cycle_tests;
#[cfg(test)]
mod subscription_tests;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{Clock, RepoError, RequestMeta, UnitOfWork, UserId};

use crate::payment::PaymentGateway;
use crate::subscription::{NoInvoices, PeriodInvoicer, SubscriptionRepository};
use crate::{BillingError, BillingRepository, FeatureValue, NewPlan, Plan, PlanId};

pub use entitlements::STORAGE_BYTES;
pub use plan_prices::PlanChanges;
pub use subscriptions::{RenewalReport, SubscribeOutcome};

pub(crate) use invoices::invoice_event;
pub use invoices::{InvoiceChanges, Invoicing, NewInvoice, NewInvoiceLine};
pub use payments::{InvoicePayment, JobReport, Payments, Revenue};

/// Billing use cases.
#[derive(Clone)]
pub struct BillingService {
    pub(crate) billing: Arc<dyn BillingRepository>,
    pub(crate) audit: Arc<dyn AuditLog>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) invoicing: Option<Invoicing>,
    /// Subscriptions; set with [`BillingService::with_subscriptions`].
    pub(crate) subscriptions: Option<Arc<dyn SubscriptionRepository>>,
    /// Invoices each paid period; [`NoInvoices`] until [`BillingService::with_invoicer`].
    pub(crate) invoicer: Arc<dyn PeriodInvoicer>,
    /// Entitlements of a user without a subscription (and the base under a plan's features).
    pub(crate) default_features: BTreeMap<String, FeatureValue>,
    pub(crate) payments: Option<Payments>,
    pub(crate) uncollectible_after: chrono::Duration,
    /// Collects invoice payments; set with [`BillingService::with_gateway`].
    pub(crate) gateway: Option<Arc<dyn PaymentGateway>>,
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
        Self {
            billing,
            audit,
            uow,
            clock,
            invoicing: None,
            subscriptions: None,
            invoicer: Arc::new(NoInvoices),
            default_features: BTreeMap::new(),
            payments: None,
            uncollectible_after: chrono::Duration::days(30),
            gateway: None,
        }
    }

    /// Creates a plan on behalf of `actor` (an administrator; the permission check is the
    /// API's job). The plan and a `billing.plan_changed` audit entry commit together.
    ///
    /// Rules: `code` 1–64 characters of `a-z 0-9 _ -`; `name` 1–100 characters after
    /// trimming (stored trimmed); price amount ≥ 0; `trial_days` ≤ 365; feature keys 1–64
    /// characters of `a-z 0-9 _`.
    ///
    /// # Errors
    /// [`BillingError::Invalid`] with every problem found (field → messages),
    /// [`BillingError::CodeTaken`] when another plan has the code, [`BillingError::Repo`] on
    /// storage failure (nothing is kept).
    #[tracing::instrument(skip(self, plan, meta), fields(code = %plan.code))]
    pub async fn create_plan(
        &self,
        actor: UserId,
        plan: NewPlan,
        meta: &RequestMeta,
    ) -> Result<Plan, BillingError> {
        let name = validate::validate_new_plan(&plan).map_err(BillingError::Invalid)?;
        let now = self.clock.now();
        let plan = Plan {
            id: PlanId::new(),
            code: plan.code,
            name,
            active: plan.active,
            price: plan.price,
            interval: plan.interval,
            trial_days: plan.trial_days,
            features: plan.features,
            created_at: now,
            updated_at: now,
        };
        let mut tx = self.uow.begin().await?;
        self.billing
            .insert_plan(tx.as_mut(), &plan)
            .await
            .map_err(|e| match e {
                RepoError::Duplicate { constraint } if constraint == "plans.code" => {
                    BillingError::CodeTaken
                }
                other => BillingError::Repo(other),
            })?;
        let event = AuditEvent::new(AuditAction::PlanChanged, now, meta)
            .actor(actor)
            .target("plan", plan.id)
            .details(serde_json::json!({
                "code": plan.code,
                "price": plan.price.amount,
                "currency": plan.price.currency.code(),
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(plan)
    }

    /// The plans on offer, cheapest first (then by code).
    ///
    /// # Errors
    /// [`BillingError::Repo`] on storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn list_active_plans(&self) -> Result<Vec<Plan>, BillingError> {
        Ok(self.billing.plans(true).await?)
    }
}
