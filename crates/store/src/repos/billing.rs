//! [`SeaBillingRepository`]: `plans` rows ↔ [`Plan`]; invoices, subscriptions, customers and the
//! Stripe inbox in the modules below.

mod customers;
mod invoices;
mod stripe_events;

pub use customers::SeaCustomerDirectory;
pub use invoices::SeaInvoiceRepository;
pub use stripe_events::SeaPaymentEventInbox;

mod subscriptions;

pub use subscriptions::SeaSubscriptionRepository;

use crate::repos::OneRow as _;
use std::collections::BTreeMap;

use plinth_billing::{BillingRepository, FeatureValue, Interval, Plan, PlanId};
use plinth_kernel::{Currency, Money, RepoError, Transaction};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use super::corrupt;
use crate::entities::plans;
use crate::error::repo_err;
use crate::uow::db_tx;

/// The [`BillingRepository`] on SQL.
#[derive(Clone)]
pub struct SeaBillingRepository {
    conn: DatabaseConnection,
}

impl SeaBillingRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

/// Every column but the id and `created_at`, which never change.
fn mutable_columns(plan: &Plan) -> Result<plans::ActiveModel, RepoError> {
    let trial_days = i32::try_from(plan.trial_days)
        .map_err(|_| RepoError::internal("trial_days out of range"))?;
    let features = serde_json::to_value(&plan.features).map_err(RepoError::internal)?;
    Ok(plans::ActiveModel {
        code: Set(plan.code.clone()),
        name: Set(plan.name.clone()),
        active: Set(plan.active),
        price_amount: Set(plan.price.amount),
        price_currency: Set(plan.price.currency.code().to_owned()),
        interval: Set(plan.interval.as_str().to_owned()),
        trial_days: Set(trial_days),
        features: Set(features),
        updated_at: Set(plan.updated_at),
        ..Default::default()
    })
}

fn to_domain(row: plans::Model) -> Result<Plan, RepoError> {
    let id = row.id;
    let currency = Currency::parse(&row.price_currency)
        .map_err(|e| corrupt(format_args!("plans.price_currency of {id}: {e}")))?;
    let interval = Interval::parse(&row.interval)
        .ok_or_else(|| corrupt(format_args!("plans.interval {:?} of {id}", row.interval)))?;
    let trial_days = u32::try_from(row.trial_days)
        .map_err(|_| corrupt(format_args!("plans.trial_days {} of {id}", row.trial_days)))?;
    let features: BTreeMap<String, FeatureValue> = serde_json::from_value(row.features)
        .map_err(|e| corrupt(format_args!("plans.features of {id}: {e}")))?;
    Ok(Plan {
        id: PlanId::from_uuid(id),
        code: row.code,
        name: row.name,
        active: row.active,
        price: Money::new(row.price_amount, currency),
        interval,
        trial_days,
        features,
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

#[async_trait::async_trait]
impl BillingRepository for SeaBillingRepository {
    async fn insert_plan(&self, tx: &mut dyn Transaction, plan: &Plan) -> Result<(), RepoError> {
        let mut row = mutable_columns(plan)?;
        row.id = Set(plan.id.as_uuid());
        row.created_at = Set(plan.created_at);
        plans::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn update_plan(&self, tx: &mut dyn Transaction, plan: &Plan) -> Result<(), RepoError> {
        let result = plans::Entity::update_many()
            .set(mutable_columns(plan)?)
            .filter(plans::Column::Id.eq(plan.id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn plan(&self, id: PlanId) -> Result<Option<Plan>, RepoError> {
        plans::Entity::find_by_id(id.as_uuid())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn lock_plan(
        &self,
        tx: &mut dyn Transaction,
        id: PlanId,
    ) -> Result<Option<Plan>, RepoError> {
        let db = db_tx(tx)?;
        // Touching the row takes its lock on PostgreSQL until the transaction ends; on SQLite
        // the `IMMEDIATE` transaction already holds the database's write lock.
        plans::Entity::update_many()
            .col_expr(
                plans::Column::UpdatedAt,
                Expr::col(plans::Column::UpdatedAt),
            )
            .filter(plans::Column::Id.eq(id.as_uuid()))
            .exec(db)
            .await
            .map_err(repo_err)?;
        plans::Entity::find_by_id(id.as_uuid())
            .one_row(db)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn plans(&self, active_only: bool) -> Result<Vec<Plan>, RepoError> {
        let mut query = plans::Entity::find();
        if active_only {
            query = query.filter(plans::Column::Active.eq(true));
        }
        query
            .order_by_asc(plans::Column::PriceAmount)
            .order_by_asc(plans::Column::Code)
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_domain)
            .collect()
    }
}
