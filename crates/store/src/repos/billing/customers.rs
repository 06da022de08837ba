//! [`SeaCustomerDirectory`]: the [`CustomerDirectory`] over `users`, and over `organizations`
//! for an organization's billing contact.

use crate::repos::OneRow as _;
use plinth_billing::{CustomerDirectory, CustomerSnapshot};
use plinth_kernel::{OrgId, Owner, RepoError, Transaction};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use crate::entities::{org_members, organizations, users};
use crate::error::repo_err;
use crate::uow::db_tx;

/// The built-in role every organization keeps at least one member in.
const OWNER_ROLE: &str = "owner";

/// The [`CustomerDirectory`] over the `users` and `organizations` tables.
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

/// `owner` as invoices address it, read through `db`.
async fn customer_of(
    db: &impl ConnectionTrait,
    owner: Owner,
) -> Result<Option<CustomerSnapshot>, RepoError> {
    match owner {
        Owner::User(user) => Ok(users::Entity::find_by_id(user.as_uuid())
            .one_row(db)
            .await
            .map_err(repo_err)?
            .map(|u| CustomerSnapshot {
                email: u.email,
                name: u.name,
            })),
        Owner::Org(org) => org_contact(db, org).await,
    }
}

/// Organization `org`'s billing contact: its `billing_name` (else its name) and
/// `billing_email` (else its longest-standing owner's address).
async fn org_contact(
    db: &impl ConnectionTrait,
    org: OrgId,
) -> Result<Option<CustomerSnapshot>, RepoError> {
    let Some(row) = organizations::Entity::find_by_id(org.as_uuid())
        .one_row(db)
        .await
        .map_err(repo_err)?
    else {
        return Ok(None);
    };
    let email = match row.billing_email {
        Some(email) => email,
        None => {
            let first_owner: Option<uuid::Uuid> = org_members::Entity::find()
                .select_only()
                .column(org_members::Column::UserId)
                .filter(org_members::Column::OrgId.eq(org.as_uuid()))
                .filter(org_members::Column::Role.eq(OWNER_ROLE))
                .order_by_asc(org_members::Column::JoinedAt)
                .order_by_asc(org_members::Column::UserId)
                .limit(1)
                .into_tuple()
                .one_row(db)
                .await
                .map_err(repo_err)?;
            let address = match first_owner {
                Some(user) => users::Entity::find_by_id(user)
                    .one_row(db)
                    .await
                    .map_err(repo_err)?
                    .map(|u| u.email),
                None => None,
            };
            address.unwrap_or_default()
        }
    };
    Ok(Some(CustomerSnapshot {
        email,
        name: row.billing_name.unwrap_or(row.name),
    }))
}

#[async_trait::async_trait]
impl CustomerDirectory for SeaCustomerDirectory {
    async fn customer(&self, owner: Owner) -> Result<Option<CustomerSnapshot>, RepoError> {
        customer_of(&self.conn, owner).await
    }

    async fn customer_in(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<Option<CustomerSnapshot>, RepoError> {
        customer_of(db_tx(tx)?, owner).await
    }
}
