//! Editing a plan, and price versions: a new price (or interval) is recorded as the plan's
//! next price version; subscriptions keep the price they subscribed at.

use std::collections::BTreeMap;

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Caller, Money, Permission, RepoError, RequestMeta};

use super::PlanService;
use crate::plan::validate;
use crate::subscription::PlanPrice;
use crate::{BillingError, FeatureValue, Interval, NewPlan, Plan, PlanId};

/// The fields of a plan to change; `None` keeps the current value.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PlanChanges {
    /// New code.
    pub code: Option<String>,
    /// New display name.
    pub name: Option<String>,
    /// Offered or not.
    pub active: Option<bool>,
    /// New price (a new price version).
    pub price: Option<Money>,
    /// New interval (a new price version).
    pub interval: Option<Interval>,
    /// New trial length.
    pub trial_days: Option<u32>,
    /// New features (replacing the whole map).
    pub features: Option<BTreeMap<String, FeatureValue>>,
}

impl PlanService {
    /// Changes plan `id` on behalf of `actor` (an administrator). The same rules as
    /// [`PlanService::create_plan`] apply to the result. When the price or interval
    /// changes, the plan's next price version is recorded (the first change also records
    /// version 1, the original price); existing subscriptions keep paying the price they
    /// chose, new subscriptions and plan changes get the new one. The plan, its price version
    /// and a `billing.plan_changed` audit entry commit together.
    ///
    /// # Errors
    /// [`BillingError::NotFound`] for an unknown plan, [`BillingError::Invalid`],
    /// [`BillingError::CodeTaken`], [`BillingError::Repo`] (nothing is kept).
    #[tracing::instrument(skip(self, changes, meta, caller), fields(actor = %caller.user_id))]
    pub async fn update_plan(
        &self,
        caller: &Caller,
        id: PlanId,
        changes: PlanChanges,
        meta: &RequestMeta,
    ) -> Result<Plan, BillingError> {
        caller.require(Permission::BILLING_WRITE)?;
        let actor = caller.user_id;
        // Read under the row lock and written in the same transaction: a change committed by
        // another administrator meanwhile is merged into, never overwritten.
        let mut tx = self.uow.begin().await?;
        let current = self
            .plans
            .lock_plan(tx.as_mut(), id)
            .await?
            .ok_or(BillingError::NotFound)?;
        let mut changed: Vec<&str> = Vec::new();
        let mut note = |field: &'static str, differs: bool| {
            if differs {
                changed.push(field);
            }
        };
        note(
            "code",
            changes.code.as_ref().is_some_and(|c| *c != current.code),
        );
        note(
            "name",
            changes
                .name
                .as_ref()
                .is_some_and(|n| n.trim() != current.name),
        );
        note(
            "active",
            changes.active.is_some_and(|a| a != current.active),
        );
        note("price", changes.price.is_some_and(|p| p != current.price));
        note(
            "interval",
            changes.interval.is_some_and(|i| i != current.interval),
        );
        note(
            "trial_days",
            changes.trial_days.is_some_and(|t| t != current.trial_days),
        );
        note(
            "features",
            changes
                .features
                .as_ref()
                .is_some_and(|f| *f != current.features),
        );
        let merged = NewPlan {
            code: changes.code.unwrap_or_else(|| current.code.clone()),
            name: changes.name.unwrap_or_else(|| current.name.clone()),
            active: changes.active.unwrap_or(current.active),
            price: changes.price.unwrap_or(current.price),
            interval: changes.interval.unwrap_or(current.interval),
            trial_days: changes.trial_days.unwrap_or(current.trial_days),
            features: changes.features.unwrap_or_else(|| current.features.clone()),
        };
        let name = validate::validate_new_plan(&merged).map_err(BillingError::Invalid)?;
        if changed.is_empty() {
            return Ok(current);
        }
        let now = self.clock.now();
        let plan = Plan {
            id,
            code: merged.code,
            name,
            active: merged.active,
            price: merged.price,
            interval: merged.interval,
            trial_days: merged.trial_days,
            features: merged.features,
            created_at: current.created_at,
            updated_at: now,
        };
        let repriced = plan.price != current.price || plan.interval != current.interval;
        self.plans
            .update_plan(tx.as_mut(), &plan)
            .await
            .map_err(|e| match e {
                RepoError::Duplicate { constraint } if constraint == "plans.code" => {
                    BillingError::CodeTaken
                }
                RepoError::NotFound => BillingError::NotFound,
                other => BillingError::Repo(other),
            })?;
        let mut price_version = None;
        if repriced {
            let prices = self.prices.as_ref();
            let versions = prices.plan_prices(tx.as_mut(), id).await?;
            let last = match versions.last() {
                Some(last) => last.version,
                None => {
                    let original = PlanPrice {
                        plan_id: id,
                        version: 1,
                        price: current.price,
                        interval: current.interval,
                        created_at: current.created_at,
                    };
                    prices.insert_plan_price(tx.as_mut(), &original).await?;
                    1
                }
            };
            let next = PlanPrice {
                plan_id: id,
                version: last + 1,
                price: plan.price,
                interval: plan.interval,
                created_at: now,
            };
            prices.insert_plan_price(tx.as_mut(), &next).await?;
            price_version = Some(next.version);
        }
        let event = AuditEvent::new(AuditAction::PlanChanged, now, meta)
            .actor(actor)
            .target("plan", plan.id)
            .details(serde_json::json!({
                "code": plan.code,
                "changed": changed,
                "price": plan.price.amount,
                "currency": plan.price.currency.code(),
                "previous_price": current.price.amount,
                "price_version": price_version,
            }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(plan)
    }
}
