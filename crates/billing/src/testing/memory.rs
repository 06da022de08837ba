//! [`MemoryBillingRepository`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Transaction};

use crate::{BillingRepository, Plan, PlanId};

type Plans = Arc<Mutex<HashMap<PlanId, Plan>>>;

/// Plans in a map, for tests and examples; enforces the unique plan code like the SQL table.
#[derive(Clone, Default)]
pub struct MemoryBillingRepository {
    plans: Plans,
}

impl MemoryBillingRepository {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, HashMap<PlanId, Plan>> {
        self.plans.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

fn code_taken(plans: &HashMap<PlanId, Plan>, plan: &Plan) -> bool {
    plans
        .values()
        .any(|p| p.code == plan.code && p.id != plan.id)
}

#[async_trait::async_trait]
impl BillingRepository for MemoryBillingRepository {
    async fn insert_plan(&self, tx: &mut dyn Transaction, plan: &Plan) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut plans = self.lock();
            if plans.contains_key(&plan.id) {
                return Err(RepoError::Duplicate {
                    constraint: "plans.id".to_owned(),
                });
            }
            if code_taken(&plans, plan) {
                return Err(RepoError::Duplicate {
                    constraint: "plans.code".to_owned(),
                });
            }
            plans.insert(plan.id, plan.clone());
        }
        let plans = Arc::clone(&self.plans);
        let id = plan.id;
        tx.on_rollback(move || {
            plans
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .remove(&id);
        });
        Ok(())
    }

    async fn update_plan(&self, tx: &mut dyn Transaction, plan: &Plan) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = {
            let mut plans = self.lock();
            let previous = plans.get(&plan.id).cloned().ok_or(RepoError::NotFound)?;
            if code_taken(&plans, plan) {
                return Err(RepoError::Duplicate {
                    constraint: "plans.code".to_owned(),
                });
            }
            // The creation time is not a mutable field.
            let updated = Plan {
                created_at: previous.created_at,
                ..plan.clone()
            };
            plans.insert(plan.id, updated);
            previous
        };
        let plans = Arc::clone(&self.plans);
        tx.on_rollback(move || {
            plans
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .insert(previous.id, previous);
        });
        Ok(())
    }

    async fn plan(&self, id: PlanId) -> Result<Option<Plan>, RepoError> {
        Ok(self.lock().get(&id).cloned())
    }

    async fn lock_plan(
        &self,
        tx: &mut dyn Transaction,
        id: PlanId,
    ) -> Result<Option<Plan>, RepoError> {
        // The memory transaction holds the global write lock already.
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.lock().get(&id).cloned())
    }

    async fn plans(&self, active_only: bool) -> Result<Vec<Plan>, RepoError> {
        let mut plans: Vec<Plan> = self
            .lock()
            .values()
            .filter(|p| p.active || !active_only)
            .cloned()
            .collect();
        plans.sort_by(|a, b| {
            a.price
                .amount
                .cmp(&b.price.amount)
                .then_with(|| a.code.cmp(&b.code))
        });
        Ok(plans)
    }
}
