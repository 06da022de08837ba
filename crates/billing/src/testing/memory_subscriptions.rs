//! [`MemorySubscriptionRepository`].

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};

use super::MemoryInvoiceRepository;
use crate::subscription::{
    PendingItem, PendingItemId, PlanPrice, Subscription, SubscriptionId, SubscriptionRepository,
    SubscriptionStatus,
};
use crate::{InvoiceId, InvoiceStatus, PlanId};

#[derive(Default)]
struct State {
    subscriptions: HashMap<SubscriptionId, Subscription>,
    renewals: HashSet<(SubscriptionId, Timestamp)>,
    items: Vec<PendingItem>,
    prices: Vec<PlanPrice>,
    /// `(subscription, period start) → invoice`, unique both ways like the SQL table.
    period_invoices: HashMap<(SubscriptionId, Timestamp), InvoiceId>,
}

/// Subscriptions, renewals and pending items in memory, for tests and examples; enforces one
/// live subscription per user and one renewal per period like the SQL tables. Works with
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

    /// Whether a period invoice of `subscription` is open and due before `now`.
    fn overdue(&self, subscription: SubscriptionId, now: Timestamp) -> bool {
        let Some(invoices) = &self.invoices else {
            return false;
        };
        let ids: Vec<InvoiceId> = self
            .lock()
            .period_invoices
            .iter()
            .filter(|((s, _), _)| *s == subscription)
            .map(|(_, id)| *id)
            .collect();
        ids.into_iter().any(|id| {
            invoices.status_and_due(id).is_some_and(|(status, due)| {
                status == InvoiceStatus::Open && due.is_some_and(|d| d < now)
            })
        })
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

fn live_of(state: &State, user: UserId) -> Option<Subscription> {
    state
        .subscriptions
        .values()
        .find(|s| s.user_id == user && s.status.is_live())
        .cloned()
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
            if subscription.status.is_live() && live_of(&state, subscription.user_id).is_some() {
                return Err(RepoError::Duplicate {
                    constraint: "subscriptions.live_user_id".to_owned(),
                });
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
                s.user_id == previous.user_id && s.id != previous.id && s.status.is_live()
            });
            if subscription.status.is_live() && other_live {
                return Err(RepoError::Duplicate {
                    constraint: "subscriptions.live_user_id".to_owned(),
                });
            }
            let updated = Subscription {
                id: previous.id,
                user_id: previous.user_id,
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

    async fn live_subscription(&self, user: UserId) -> Result<Option<Subscription>, RepoError> {
        Ok(live_of(&self.lock(), user))
    }

    async fn lock_live_subscription(
        &self,
        tx: &mut dyn Transaction,
        user: UserId,
    ) -> Result<Option<Subscription>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(live_of(&self.lock(), user))
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

    async fn insert_pending_item(
        &self,
        tx: &mut dyn Transaction,
        item: &PendingItem,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        self.lock().items.push(item.clone());
        let id = item.id;
        Self::undo_with(tx, &self.state, move |s| s.items.retain(|i| i.id != id));
        Ok(())
    }

    async fn pending_items(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
    ) -> Result<Vec<PendingItem>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        let mut items: Vec<PendingItem> = self
            .lock()
            .items
            .iter()
            .filter(|i| i.subscription_id == subscription && i.invoiced_at.is_none())
            .cloned()
            .collect();
        items.sort_by_key(|i| (i.created_at, i.id));
        Ok(items)
    }

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

    async fn claim_period_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        period_start: Timestamp,
        invoice: InvoiceId,
    ) -> Result<bool, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let key = (subscription, period_start);
        {
            let mut state = self.lock();
            if state.period_invoices.contains_key(&key) {
                return Ok(false);
            }
            if state.period_invoices.values().any(|i| *i == invoice) {
                return Err(RepoError::Duplicate {
                    constraint: "subscription_invoices.invoice_id".to_owned(),
                });
            }
            state.period_invoices.insert(key, invoice);
        }
        Self::undo_with(tx, &self.state, move |s| {
            s.period_invoices.remove(&key);
        });
        Ok(true)
    }

    async fn subscription_of_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: InvoiceId,
    ) -> Result<Option<SubscriptionId>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .lock()
            .period_invoices
            .iter()
            .find(|(_, i)| **i == invoice)
            .map(|((s, _), _)| *s))
    }

    async fn has_overdue_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<bool, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.overdue(subscription, now))
    }

    async fn overdue_subscriptions(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> Result<Vec<SubscriptionId>, RepoError> {
        let mut candidates: Vec<SubscriptionId> = self
            .lock()
            .subscriptions
            .values()
            .filter(|s| {
                matches!(
                    s.status,
                    SubscriptionStatus::Trialing | SubscriptionStatus::Active
                )
            })
            .map(|s| s.id)
            .collect();
        candidates.sort();
        Ok(candidates
            .into_iter()
            .filter(|id| self.overdue(*id, now))
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .collect())
    }

    async fn mark_items_invoiced(
        &self,
        tx: &mut dyn Transaction,
        items: &[PendingItemId],
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let ids: Vec<PendingItemId> = items.to_vec();
        {
            let mut state = self.lock();
            for item in state.items.iter_mut().filter(|i| ids.contains(&i.id)) {
                item.invoiced_at = Some(at);
            }
        }
        Self::undo_with(tx, &self.state, move |s| {
            for item in s.items.iter_mut().filter(|i| ids.contains(&i.id)) {
                item.invoiced_at = None;
            }
        });
        Ok(())
    }
}
