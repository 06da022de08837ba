//! [`SeaSubscriptionRepository`]: `subscriptions`, `subscription_renewals` and
//! `billing_pending_items` rows ↔ [`Subscription`] and [`PendingItem`].
//!
//! The `lock_*` reads first touch the row (`SET updated_at = updated_at`), which takes its
//! row lock on PostgreSQL (and CockroachDB) until the transaction ends; on SQLite the
//! `IMMEDIATE` transaction already holds the database's write lock.

use crate::repos::OneRow as _;
use plinth_billing::{
    Interval, InvoiceId, PendingItem, PendingItemId, PlanId, PlanPrice, Subscription,
    SubscriptionId, SubscriptionRepository, SubscriptionStatus,
};
use plinth_kernel::{Currency, Money, RepoError, Timestamp, Transaction, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entities::{billing_pending_items, plan_prices, subscription_renewals, subscriptions};
use crate::error::repo_err;
use crate::repos::corrupt;
use crate::uow::db_tx;

mod period_invoices;

/// The [`SubscriptionRepository`] on SQL.
#[derive(Clone)]
pub struct SeaSubscriptionRepository {
    conn: DatabaseConnection,
}

impl SeaSubscriptionRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

/// Every column but the id, the user and `created_at`, which never change.
fn mutable_columns(s: &Subscription) -> subscriptions::ActiveModel {
    subscriptions::ActiveModel {
        live_user_id: Set(s.status.is_live().then(|| s.user_id.as_uuid())),
        plan_id: Set(s.plan_id.as_uuid()),
        price_amount: Set(s.price.amount),
        price_currency: Set(s.price.currency.code().to_owned()),
        interval: Set(s.interval.as_str().to_owned()),
        status: Set(s.status.as_str().to_owned()),
        current_period_start: Set(s.current_period_start),
        current_period_end: Set(s.current_period_end),
        billing_anchor: Set(s.billing_anchor),
        trial_end: Set(s.trial_end),
        cancel_at_period_end: Set(s.cancel_at_period_end),
        scheduled_plan_id: Set(s.scheduled_plan_id.map(|p| p.as_uuid())),
        canceled_at: Set(s.canceled_at),
        updated_at: Set(s.updated_at),
        ..Default::default()
    }
}

fn currency(code: &str, what: std::fmt::Arguments<'_>) -> Result<Currency, RepoError> {
    Currency::parse(code).map_err(|e| corrupt(format_args!("{what}: {e}")))
}

fn to_domain(row: subscriptions::Model) -> Result<Subscription, RepoError> {
    let id = row.id;
    let price_currency = currency(
        &row.price_currency,
        format_args!("subscriptions.price_currency of {id}"),
    )?;
    let interval = Interval::parse(&row.interval).ok_or_else(|| {
        corrupt(format_args!(
            "subscriptions.interval {:?} of {id}",
            row.interval
        ))
    })?;
    let status = SubscriptionStatus::parse(&row.status).ok_or_else(|| {
        corrupt(format_args!(
            "subscriptions.status {:?} of {id}",
            row.status
        ))
    })?;
    Ok(Subscription {
        id: SubscriptionId::from_uuid(id),
        user_id: UserId::from_uuid(row.user_id),
        plan_id: PlanId::from_uuid(row.plan_id),
        price: Money::new(row.price_amount, price_currency),
        interval,
        status,
        current_period_start: row.current_period_start,
        current_period_end: row.current_period_end,
        billing_anchor: row.billing_anchor,
        trial_end: row.trial_end,
        cancel_at_period_end: row.cancel_at_period_end,
        scheduled_plan_id: row.scheduled_plan_id.map(PlanId::from_uuid),
        canceled_at: row.canceled_at,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

fn item_to_domain(row: billing_pending_items::Model) -> Result<PendingItem, RepoError> {
    let c = currency(
        &row.currency,
        format_args!("billing_pending_items.currency of {}", row.id),
    )?;
    Ok(PendingItem {
        id: PendingItemId::from_uuid(row.id),
        subscription_id: SubscriptionId::from_uuid(row.subscription_id),
        user_id: UserId::from_uuid(row.user_id),
        description: row.description,
        amount: Money::new(row.amount, c),
        created_at: row.created_at,
        invoiced_at: row.invoiced_at,
    })
}

/// Touches the rows matching `filter` so that this transaction holds their row locks.
async fn touch(conn: &impl ConnectionTrait, filter: sea_orm::Condition) -> Result<(), RepoError> {
    subscriptions::Entity::update_many()
        .col_expr(
            subscriptions::Column::UpdatedAt,
            Expr::col(subscriptions::Column::UpdatedAt),
        )
        .filter(filter)
        .exec(conn)
        .await
        .map_err(repo_err)?;
    Ok(())
}

#[async_trait::async_trait]
impl SubscriptionRepository for SeaSubscriptionRepository {
    async fn insert_subscription(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
    ) -> Result<(), RepoError> {
        let mut row = mutable_columns(subscription);
        row.id = Set(subscription.id.as_uuid());
        row.user_id = Set(subscription.user_id.as_uuid());
        row.created_at = Set(subscription.created_at);
        subscriptions::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(|e| match repo_err(e) {
                RepoError::Duplicate { constraint } if constraint.contains("live_user_id") => {
                    RepoError::Duplicate {
                        constraint: "subscriptions.live_user_id".to_owned(),
                    }
                }
                other => other,
            })?;
        Ok(())
    }

    async fn update_subscription(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
    ) -> Result<(), RepoError> {
        let result = subscriptions::Entity::update_many()
            .set(mutable_columns(subscription))
            .filter(subscriptions::Column::Id.eq(subscription.id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(|e| match repo_err(e) {
                RepoError::Duplicate { constraint } if constraint.contains("live_user_id") => {
                    RepoError::Duplicate {
                        constraint: "subscriptions.live_user_id".to_owned(),
                    }
                }
                other => other,
            })?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn live_subscription(&self, user: UserId) -> Result<Option<Subscription>, RepoError> {
        subscriptions::Entity::find()
            .filter(subscriptions::Column::LiveUserId.eq(user.as_uuid()))
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn lock_live_subscription(
        &self,
        tx: &mut dyn Transaction,
        user: UserId,
    ) -> Result<Option<Subscription>, RepoError> {
        let conn = db_tx(tx)?;
        let filter =
            sea_orm::Condition::all().add(subscriptions::Column::LiveUserId.eq(user.as_uuid()));
        touch(conn, filter.clone()).await?;
        subscriptions::Entity::find()
            .filter(filter)
            .one_row(conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn lock_subscription(
        &self,
        tx: &mut dyn Transaction,
        id: SubscriptionId,
    ) -> Result<Option<Subscription>, RepoError> {
        let conn = db_tx(tx)?;
        let filter = sea_orm::Condition::all().add(subscriptions::Column::Id.eq(id.as_uuid()));
        touch(conn, filter.clone()).await?;
        subscriptions::Entity::find()
            .filter(filter)
            .one_row(conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn due_for_renewal(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> Result<Vec<SubscriptionId>, RepoError> {
        let ids: Vec<uuid::Uuid> = subscriptions::Entity::find()
            .select_only()
            .column(subscriptions::Column::Id)
            .filter(
                sea_orm::Condition::any()
                    .add(subscriptions::Column::Status.is_in([
                        SubscriptionStatus::Trialing.as_str(),
                        SubscriptionStatus::Active.as_str(),
                    ]))
                    .add(
                        sea_orm::Condition::all()
                            .add(subscriptions::Column::Status.is_in([
                                SubscriptionStatus::PastDue.as_str(),
                                SubscriptionStatus::Unpaid.as_str(),
                            ]))
                            .add(subscriptions::Column::CancelAtPeriodEnd.eq(true)),
                    ),
            )
            .filter(subscriptions::Column::CurrentPeriodEnd.lte(now))
            .order_by_asc(subscriptions::Column::CurrentPeriodEnd)
            .order_by_asc(subscriptions::Column::Id)
            .limit(limit)
            .into_tuple()
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(ids.into_iter().map(SubscriptionId::from_uuid).collect())
    }

    async fn record_renewal(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        period_start: Timestamp,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let row = subscription_renewals::ActiveModel {
            subscription_id: Set(subscription.as_uuid()),
            period_start: Set(period_start),
            renewed_at: Set(at),
        };
        subscription_renewals::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(|e| match repo_err(e) {
                RepoError::Duplicate { .. } => RepoError::Duplicate {
                    constraint: "subscription_renewals.period".to_owned(),
                },
                other => other,
            })?;
        Ok(())
    }

    async fn insert_pending_item(
        &self,
        tx: &mut dyn Transaction,
        item: &PendingItem,
    ) -> Result<(), RepoError> {
        let row = billing_pending_items::ActiveModel {
            id: Set(item.id.as_uuid()),
            subscription_id: Set(item.subscription_id.as_uuid()),
            user_id: Set(item.user_id.as_uuid()),
            description: Set(item.description.clone()),
            amount: Set(item.amount.amount),
            currency: Set(item.amount.currency.code().to_owned()),
            created_at: Set(item.created_at),
            invoiced_at: Set(item.invoiced_at),
        };
        billing_pending_items::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn pending_items(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
    ) -> Result<Vec<PendingItem>, RepoError> {
        billing_pending_items::Entity::find()
            .filter(billing_pending_items::Column::SubscriptionId.eq(subscription.as_uuid()))
            .filter(billing_pending_items::Column::InvoicedAt.is_null())
            .order_by_asc(billing_pending_items::Column::CreatedAt)
            .order_by_asc(billing_pending_items::Column::Id)
            .all(db_tx(tx)?)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(item_to_domain)
            .collect()
    }

    async fn insert_plan_price(
        &self,
        tx: &mut dyn Transaction,
        price: &PlanPrice,
    ) -> Result<(), RepoError> {
        let version = i32::try_from(price.version)
            .map_err(|_| RepoError::internal("plan price version out of range"))?;
        let row = plan_prices::ActiveModel {
            id: Set(uuid::Uuid::now_v7()),
            plan_id: Set(price.plan_id.as_uuid()),
            version: Set(version),
            amount: Set(price.price.amount),
            currency: Set(price.price.currency.code().to_owned()),
            interval: Set(price.interval.as_str().to_owned()),
            created_at: Set(price.created_at),
        };
        plan_prices::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(|e| match repo_err(e) {
                RepoError::Duplicate { constraint } if !constraint.ends_with(".id") => {
                    RepoError::Duplicate {
                        constraint: "plan_prices.version".to_owned(),
                    }
                }
                other => other,
            })?;
        Ok(())
    }

    async fn plan_prices(
        &self,
        tx: &mut dyn Transaction,
        plan: PlanId,
    ) -> Result<Vec<PlanPrice>, RepoError> {
        plan_prices::Entity::find()
            .filter(plan_prices::Column::PlanId.eq(plan.as_uuid()))
            .order_by_asc(plan_prices::Column::Version)
            .all(db_tx(tx)?)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|row| {
                let what = format_args!("plan_prices of {}", row.plan_id);
                Ok(PlanPrice {
                    plan_id: PlanId::from_uuid(row.plan_id),
                    version: u32::try_from(row.version).map_err(|_| {
                        corrupt(format_args!("plan_prices.version {}", row.version))
                    })?,
                    price: Money::new(row.amount, currency(&row.currency, what)?),
                    interval: Interval::parse(&row.interval).ok_or_else(|| {
                        corrupt(format_args!("plan_prices.interval {:?}", row.interval))
                    })?,
                    created_at: row.created_at,
                })
            })
            .collect()
    }

    async fn claim_period_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        period_start: Timestamp,
        invoice: InvoiceId,
    ) -> Result<bool, RepoError> {
        period_invoices::claim(db_tx(tx)?, subscription, period_start, invoice).await
    }

    async fn subscription_of_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: InvoiceId,
    ) -> Result<Option<SubscriptionId>, RepoError> {
        period_invoices::subscription_of(db_tx(tx)?, invoice).await
    }

    async fn has_overdue_invoice(
        &self,
        tx: &mut dyn Transaction,
        subscription: SubscriptionId,
        now: Timestamp,
    ) -> Result<bool, RepoError> {
        period_invoices::has_overdue(db_tx(tx)?, subscription, now).await
    }

    async fn overdue_subscriptions(
        &self,
        now: Timestamp,
        limit: u64,
    ) -> Result<Vec<SubscriptionId>, RepoError> {
        period_invoices::overdue_subscriptions(&self.conn, now, limit).await
    }

    async fn mark_items_invoiced(
        &self,
        tx: &mut dyn Transaction,
        items: &[PendingItemId],
        at: Timestamp,
    ) -> Result<(), RepoError> {
        if items.is_empty() {
            return Ok(());
        }
        billing_pending_items::Entity::update_many()
            .col_expr(billing_pending_items::Column::InvoicedAt, Expr::value(at))
            .filter(
                billing_pending_items::Column::Id.is_in(items.iter().map(PendingItemId::as_uuid)),
            )
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }
}
