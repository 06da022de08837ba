//! The [`PlanPriceRepository`] of [`MemorySubscriptionRepository`].

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Transaction};

use super::MemorySubscriptionRepository;
use crate::PlanId;
use crate::subscription::{PlanPrice, PlanPriceRepository};

#[async_trait::async_trait]
impl PlanPriceRepository for MemorySubscriptionRepository {
    async fn insert_plan_price(
        &self,
        tx: &mut dyn Transaction,
        price: &PlanPrice,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = self.lock();
            let taken = state
                .prices
                .iter()
                .any(|p| p.plan_id == price.plan_id && p.version == price.version);
            if taken {
                return Err(RepoError::Duplicate {
                    constraint: "plan_prices.version".to_owned(),
                });
            }
            state.prices.push(price.clone());
        }
        let key = (price.plan_id, price.version);
        Self::undo_with(tx, &self.state, move |s| {
            s.prices.retain(|p| (p.plan_id, p.version) != key);
        });
        Ok(())
    }

    async fn plan_prices(
        &self,
        tx: &mut dyn Transaction,
        plan: PlanId,
    ) -> Result<Vec<PlanPrice>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        let mut prices: Vec<PlanPrice> = self
            .lock()
            .prices
            .iter()
            .filter(|p| p.plan_id == plan)
            .cloned()
            .collect();
        prices.sort_by_key(|p| p.version);
        Ok(prices)
    }
}
