//! [`SeaCustomerDirectory`]: the [`CustomerDirectory`] over `users`.

use crate::repos::OneRow as _;
use plinth_billing::{CustomerDirectory, CustomerSnapshot};
use plinth_kernel::{RepoError, Transaction, UserId};
use sea_orm::{DatabaseConnection, EntityTrait};

use crate::entities::users;
use crate::error::repo_err;
use crate::uow::db_tx;

/// The [`CustomerDirectory`] over the `users` table.
#[derive(Clone)]
pub struct SeaCustomerDirectory {
    conn: DatabaseConnection,
}

impl SeaCustomerDirectory {
    /// A directory reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

#[async_trait::async_trait]
impl CustomerDirectory for SeaCustomerDirectory {
    async fn customer(&self, user: UserId) -> Result<Option<CustomerSnapshot>, RepoError> {
        Ok(users::Entity::find_by_id(user.as_uuid())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(|u| CustomerSnapshot {
                email: u.email,
                name: u.name,
            }))
    }

    async fn customer_in(
        &self,
        tx: &mut dyn Transaction,
        user: UserId,
    ) -> Result<Option<CustomerSnapshot>, RepoError> {
        Ok(users::Entity::find_by_id(user.as_uuid())
            .one_row(db_tx(tx)?)
            .await
            .map_err(repo_err)?
            .map(|u| CustomerSnapshot {
                email: u.email,
                name: u.name,
            }))
    }
}
