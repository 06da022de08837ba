//! [`SeaSubscriptionRepository`]: `subscriptions` and `subscription_renewals` rows ↔
//! [`Subscription`]; the other seams of [`plinth_billing::SubscriptionStorage`] in the modules
//! below, one trait each (pending items, plan prices, period invoices).
//!
//! The `lock_*` reads first touch the row (`SET updated_at = updated_at`), which takes its
//! row lock on PostgreSQL (and CockroachDB) until the transaction ends; on SQLite the
//! `IMMEDIATE` transaction already holds the database's write lock.

use crate::repos::OneRow as _;
use plinth_billing::{
    Interval, PlanId, Subscription, SubscriptionId, SubscriptionRepository, SubscriptionStatus,
};
use plinth_kernel::{Currency, Money, OrgId, Owner, RepoError, Timestamp, Transaction, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use crate::entities::{organizations, subscription_renewals, subscriptions};
use crate::error::repo_err;
use crate::repos::corrupt;
use crate::uow::db_tx;

mod pending_items;
mod period_invoices;
mod plan_prices;

/// The [`plinth_billing::SubscriptionStorage`] on SQL: every subscription seam.
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

/// Every column but the id, the user, the organization and `created_at`, which
/// `update_subscription` never changes (the answerable member changes only by
/// `hand_over_org_subscriptions`).
fn mutable_columns(s: &Subscription) -> Result<subscriptions::ActiveModel, RepoError> {
    let live = s.status.is_live();
    Ok(subscriptions::ActiveModel {
        live_user_id: Set((live && s.org_id.is_none()).then(|| s.user_id.as_uuid())),
        live_org_id: Set(s.org_id.filter(|_| live).map(|o| o.as_uuid())),
        quantity: Set(i32::try_from(s.quantity)
            .map_err(|_| RepoError::internal(format!("{} seats do not fit", s.quantity)))?),
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
    })
}

/// The unique index a second live subscription broke, by the name the port promises.
fn live_duplicate(e: sea_orm::DbErr) -> RepoError {
    match repo_err(e) {
        RepoError::Duplicate { constraint } if constraint.contains("live_user_id") => {
            RepoError::Duplicate {
                constraint: "subscriptions.live_user_id".to_owned(),
            }
        }
        RepoError::Duplicate { constraint } if constraint.contains("live_org_id") => {
            RepoError::Duplicate {
                constraint: "subscriptions.live_org_id".to_owned(),
            }
        }
        other => other,
    }
}

/// The live subscription of `owner`: the account's own, or the organization's.
fn live_filter(owner: Owner) -> sea_orm::Condition {
    match owner {
        Owner::User(user) => {
            sea_orm::Condition::all().add(subscriptions::Column::LiveUserId.eq(user.as_uuid()))
        }
        Owner::Org(org) => {
            sea_orm::Condition::all().add(subscriptions::Column::LiveOrgId.eq(org.as_uuid()))
        }
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
    let quantity = u32::try_from(row.quantity)
        .ok()
        .filter(|q| *q > 0)
        .ok_or_else(|| {
            corrupt(format_args!(
                "subscriptions.quantity {} of {id}",
                row.quantity
            ))
        })?;
    Ok(Subscription {
        id: SubscriptionId::from_uuid(id),
        user_id: UserId::from_uuid(row.user_id),
        org_id: row.org_id.map(OrgId::from_uuid),
        quantity,
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
        let mut row = mutable_columns(subscription)?;
        row.id = Set(subscription.id.as_uuid());
        row.user_id = Set(subscription.user_id.as_uuid());
        row.org_id = Set(subscription.org_id.map(|o| o.as_uuid()));
        row.created_at = Set(subscription.created_at);
        subscriptions::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(live_duplicate)?;
        Ok(())
    }

    async fn update_subscription(
        &self,
        tx: &mut dyn Transaction,
        subscription: &Subscription,
    ) -> Result<(), RepoError> {
        let result = subscriptions::Entity::update_many()
            .set(mutable_columns(subscription)?)
            .filter(subscriptions::Column::Id.eq(subscription.id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(live_duplicate)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn live_subscription(&self, owner: Owner) -> Result<Option<Subscription>, RepoError> {
        subscriptions::Entity::find()
            .filter(live_filter(owner))
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn lock_live_subscription(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<Option<Subscription>, RepoError> {
        let conn = db_tx(tx)?;
        let filter = live_filter(owner);
        touch(conn, filter.clone()).await?;
        subscriptions::Entity::find()
            .filter(filter)
            .one_row(conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn lock_org(&self, tx: &mut dyn Transaction, org: OrgId) -> Result<bool, RepoError> {
        let touched = organizations::Entity::update_many()
            .col_expr(
                organizations::Column::UpdatedAt,
                Expr::col(organizations::Column::UpdatedAt),
            )
            .filter(organizations::Column::Id.eq(org.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(touched.rows_affected > 0)
    }

    async fn hand_over_org_subscriptions(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        from: UserId,
        to: UserId,
    ) -> Result<u64, RepoError> {
        let moved = subscriptions::Entity::update_many()
            .col_expr(subscriptions::Column::UserId, Expr::value(to.as_uuid()))
            .filter(subscriptions::Column::OrgId.eq(org.as_uuid()))
            .filter(subscriptions::Column::UserId.eq(from.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(moved.rows_affected)
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
}
