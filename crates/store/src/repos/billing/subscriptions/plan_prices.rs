//! The [`PlanPriceRepository`] of [`super::SeaSubscriptionRepository`]: `plan_prices` rows ↔
//! [`PlanPrice`].

use plinth_billing::{Interval, PlanId, PlanPrice, PlanPriceRepository};
use plinth_kernel::{Money, RepoError, Transaction};
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::currency;
use crate::entities::plan_prices;
use crate::error::repo_err;
use crate::repos::corrupt;
use crate::uow::db_tx;

#[async_trait::async_trait]
impl PlanPriceRepository for super::SeaSubscriptionRepository {
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
}
