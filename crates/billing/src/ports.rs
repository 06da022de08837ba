//! Ports of the billing domain.

use plinth_kernel::{RepoError, Transaction};

use crate::{Plan, PlanId};

/// Storage of plans (subscriptions and invoices come with issue #5).
#[async_trait::async_trait]
pub trait BillingRepository: Send + Sync {
    /// Inserts a plan.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "plans.code"` when the code is
    /// taken.
    async fn insert_plan(&self, tx: &mut dyn Transaction, plan: &Plan) -> Result<(), RepoError>;

    /// Replaces a plan's mutable fields.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no such plan.
    async fn update_plan(&self, tx: &mut dyn Transaction, plan: &Plan) -> Result<(), RepoError>;

    /// Finds a plan.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn plan(&self, id: PlanId) -> Result<Option<Plan>, RepoError>;

    /// [`Self::plan`] inside `tx`, locked against concurrent writers until `tx` ends (a row
    /// lock on SQL), so that a read-modify-write of the plan never overwrites a change
    /// committed meanwhile.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn lock_plan(
        &self,
        tx: &mut dyn Transaction,
        id: PlanId,
    ) -> Result<Option<Plan>, RepoError>;

    /// Plans, active ones only when `active_only`, ordered by price then code.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn plans(&self, active_only: bool) -> Result<Vec<Plan>, RepoError>;
}
