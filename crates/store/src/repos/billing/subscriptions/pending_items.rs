//! The [`PendingItemRepository`] of [`super::SeaSubscriptionRepository`]:
//! `billing_pending_items` rows ↔ [`PendingItem`].

use plinth_billing::{PendingItem, PendingItemId, PendingItemRepository, SubscriptionId};
use plinth_kernel::{Money, RepoError, Timestamp, Transaction, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QueryOrder};

use super::currency;
use crate::entities::billing_pending_items;
use crate::error::repo_err;
use crate::uow::db_tx;

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

#[async_trait::async_trait]
impl PendingItemRepository for super::SeaSubscriptionRepository {
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
