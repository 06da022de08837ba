//! [`PlanService`]: the plans on offer and their price versions. Every change commits
//! together with its `billing.plan_changed` audit entry.

mod prices;

#[cfg(test)]
mod tests;

use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_kernel::{Caller, Clock, Permission, RepoError, RequestMeta, UnitOfWork};

use super::validate;
use crate::subscription::PlanPriceRepository;
use crate::{BillingError, BillingRepository, NewPlan, Plan, PlanId};

pub use prices::PlanChanges;

/// Plan use cases: creating, editing (with price versions) and listing plans.
#[derive(Clone)]
pub struct PlanService {
    plans: Arc<dyn BillingRepository>,
    /// Price versions, stored with the subscriptions that refer to them.
    prices: Arc<dyn PlanPriceRepository>,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
}

impl PlanService {
    /// Wires the service to its ports: plans, their price versions (a
    /// [`PlanPriceRepository`], kept with the subscriptions), the audit log, transactions and
    /// the clock.
    #[must_use]
    pub fn new(
        plans: Arc<dyn BillingRepository>,
        prices: Arc<dyn PlanPriceRepository>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            plans,
            prices,
            audit,
            uow,
            clock,
        }
    }

    /// Creates a plan on behalf of `caller`, who needs `billing:write` (so does
    /// [`PlanService::update_plan`]). The plan and a `billing.plan_changed` audit entry commit together.
    ///
    /// Rules: `code` 1–64 characters of `a-z 0-9 _ -`; `name` 1–100 characters after
    /// trimming (stored trimmed); price amount ≥ 0; `trial_days` ≤ 365; feature keys 1–64
    /// characters of `a-z 0-9 _`.
    ///
    /// # Errors
    /// [`BillingError::Invalid`] with every problem found (field → messages),
    /// [`BillingError::CodeTaken`] when another plan has the code, [`BillingError::Repo`] on
    /// storage failure (nothing is kept).
    #[tracing::instrument(skip(self, plan, meta, caller), fields(actor = %caller.user_id, code = %plan.code))]
    pub async fn create_plan(
        &self,
        caller: &Caller,
        plan: NewPlan,
        meta: &RequestMeta,
    ) -> Result<Plan, BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        let actor = caller.user_id;
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
        self.plans
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
        Ok(self.plans.plans(true).await?)
    }
}
