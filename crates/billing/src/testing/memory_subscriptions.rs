//! [`MemorySubscriptionRepository`]: the [`SubscriptionRepository`] here, the other seams of
//! [`crate::SubscriptionStorage`] in the modules below, one trait each.

mod pending_items;
mod period_invoices;
mod plan_prices;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{OrgId, Owner, RepoError, Timestamp, Transaction, UserId};

use super::MemoryInvoiceRepository;
use crate::InvoiceId;
use crate::subscription::{
    PendingItem, PlanPrice, Subscription, SubscriptionId, SubscriptionRepository,
    SubscriptionStatus,
};

#[derive(Default)]
struct State {
    subscriptions: HashMap<SubscriptionId, Subscription>,
    renewals: HashSet<(SubscriptionId, Timestamp)>,
    items: Vec<PendingItem>,
    prices: Vec<PlanPrice>,
    /// `(subscription, period start) → invoice`, unique both ways like the SQL table.
    period_invoices: HashMap<(SubscriptionId, Timestamp), InvoiceId>,
}

/// Subscriptions, renewals, pending items, plan price versions and period invoices in memory
/// (every seam of [`crate::SubscriptionStorage`]), for tests and examples; enforces one
/// live subscription per account and per organization and one renewal per period like the SQL tables. Works with
/// [`plinth_kernel::testing::MemoryUnitOfWork`], whose single lock already serialises
/// transactions, so the `lock_*` reads need no lock of their own.
///
/// The overdue queries need the invoices' status and due date: connect the invoice
/// repository with [`Self::with_invoices`] (without it, no invoice is ever overdue).
#[derive(Clone, Default)]
pub struct MemorySubscriptionRepository {
    state: Arc<Mutex<State>>,
    invoices: Option<MemoryInvoiceRepository>,
}

impl MemorySubscriptionRepository {
    /// An empty repository.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Reads invoice status and due dates from `invoices` (as SQL joins the tables).
    #[must_use]
    pub fn with_invoices(mut self, invoices: MemoryInvoiceRepository) -> Self {
        self.invoices = Some(invoices);
        self
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }

    /// Every stored subscription of `user`, live or not (for assertions).
    #[must_use]
    pub fn all_of(&self, user: UserId) -> Vec<Subscription> {
        self.lock()
            .subscriptions
            .values()
            .filter(|s| s.user_id == user)
            .cloned()
            .collect()
    }

    /// Every pending item of `user`, invoiced or not, oldest first (for assertions).
    #[must_use]
    pub fn items_of(&self, user: UserId) -> Vec<PendingItem> {
        self.lock()
            .items
            .iter()
            .filter(|i| i.user_id == user)
            .cloned()
            .collect()
    }

    /// Runs `undo` on the state if `tx` rolls back.
    fn undo_with(
        tx: &mut MemoryTransaction,
        state: &Arc<Mutex<State>>,
        undo: impl FnOnce(&mut State) + Send + 'static,
    ) {
        let state = Arc::clone(state);
        tx.on_rollback(move || undo(&mut lock(&state)));
    }
}

fn lock(state: &Mutex<State>) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

fn live_of(state: &State, owner: Owner) -> Option<Subscription> {
    state
        .subscriptions
        .values()
        .find(|s| s.owner() == owner && s.status.is_live())
        .cloned()
}

/// The unique constraint a second live subscription of `owner` breaks.
fn live_constraint(owner: Owner) -> RepoError {
    RepoError::Duplicate {
        constraint: match owner {
            Owner::User(_) => "subscriptions.live_user_id",
            Owner::Org(_) => "subscriptions.live_org_id",
        }
        .to_owned(),
    }
}

#[async_trait::async_trait]
impl SubscriptionRepository for MemorySubscriptionRepository {
    async fn insert_subscription(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        {
            let mut state = self.lock();
            if state.subscriptions.contains_key(&subscription.id) {
                return Err(RepoError::Duplicate {
                    constraint: "subscriptions.id".to_owned(),
                });
            }
            if subscription.status.is_live() && live_of(&state, subscription.owner()).is_some() {
                return Err(live_constraint(subscription.owner()));
            }
            state
                .subscriptions
                .insert(subscription.id, subscription.clone());
        }
        let id = subscription.id;
        Self::undo_with(tx, &self.state, move |s| {
            s.subscriptions.remove(&id);
        });
        Ok(())
    }

    async fn update_subscription(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let previous = {
            let mut state = self.lock();
            let previous = state
                .subscriptions
                .get(&subscription.id)
                .cloned()
                .ok_or(RepoError::NotFound)?;
            let other_live = state.subscriptions.values().any(|s| {
                s.owner() == previous.owner() && s.id != previous.id && s.status.is_live()
            });
            if subscription.status.is_live() && other_live {
                return Err(live_constraint(previous.owner()));
            }
            let updated = Subscription {
                id: previous.id,
                user_id: previous.user_id,
                org_id: previous.org_id,
                created_at: previous.created_at,
                ..subscription.clone()
            };
            state.subscriptions.insert(updated.id, updated);
            previous
        };
        Self::undo_with(tx, &self.state, move |s| {
            s.subscriptions.insert(previous.id, previous);
        });
        Ok(())
    }

    async fn live_subscription(&self, owner: Owner) -> Result<Option<Subscription>, RepoError> {
        Ok(live_of(&self.lock(), owner))
    }

    async fn lock_live_subscription(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<Option<Subscription>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(live_of(&self.lock(), owner))
    }

    async fn lock_org(&self, tx: &mut dyn Transaction, _org: OrgId) -> Result<bool, RepoError> {
        // No organizations here: the single transaction lock serialises everything.
        MemoryTransaction::from_dyn(tx)?;
        Ok(true)
    }

    async fn hand_over_org_subscriptions(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        from: UserId,
        to: UserId,
    ) -> Result<u64, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let moved: Vec<SubscriptionId> = {
            let mut state = self.lock();
            let mut moved = Vec::new();
            for s in state.subscriptions.values_mut() {
                if s.org_id == Some(org) && s.user_id == from {
                    s.user_id = to;
                    moved.push(s.id);
                }
            }
            moved
        };
        let count = moved.len() as u64;
        Self::undo_with(tx, &self.state, move |s| {
            for id in moved {
                if let Some(sub) = s.subscriptions.get_mut(&id) {
                    sub.user_id = from;
                }
            }
        });
        Ok(count)
    }

    async fn lock_subscription(
        &self,
        tx: &mut dyn Transaction,
        id: SubscriptionId,
    ) -> Result<Option<Subscription>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.lock().subscriptions.get(&id).cloned())
    }

    async fn due_for_renewal(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> Result<Vec<SubscriptionId>, RepoError> {
        let mut due: Vec<(Timestamp, SubscriptionId)> = self
            .lock()
            .subscriptions
            .values()
            .filter(|s| {
                let handled = matches!(
                    s.status,
                    SubscriptionStatus::Trialing | SubscriptionStatus::Active
                ) || (s.status.is_live() && s.cancel_at_period_end);
                handled && s.current_period_end <= now
            })
            .map(|s| (s.current_period_end, s.id))
            .collect();
        due.sort();
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, id)| id)
            .collect())
    }

    async fn record_renewal(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        period_start: Timestamp,
        _at: Timestamp,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let key = (subscription, period_start);
        if !self.lock().renewals.insert(key) {
            return Err(RepoError::Duplicate {
                constraint: "subscription_renewals.period".to_owned(),
            });
        }
        Self::undo_with(tx, &self.state, move |s| {
            s.renewals.remove(&key);
        });
        Ok(())
    }
}
