//! [`SeaRoleRepository`]: `roles` + `role_permissions` rows ↔ [`Role`].

use crate::repos::OneRow as _;
use std::collections::{BTreeMap, BTreeSet};

use plinth_kernel::{RepoError, Transaction};
use plinth_users::{Role, RoleName, RoleRepository};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
};

use crate::entities::{permissions, role_permissions, roles};
use crate::error::repo_err;
use crate::uow::db_tx;

/// The [`RoleRepository`] on SQL.
#[derive(Clone)]
pub struct SeaRoleRepository {
    conn: DatabaseConnection,
}

impl SeaRoleRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }

    /// Every grant, grouped by role name.
    async fn grants(
        &self,
        role: Option<&str>,
    ) -> Result<BTreeMap<String, BTreeSet<String>>, RepoError> {
        let mut query = role_permissions::Entity::find();
        if let Some(role) = role {
            query = query.filter(role_permissions::Column::Role.eq(role));
        }
        let mut grants: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for row in query.all(&self.conn).await.map_err(repo_err)? {
            grants.entry(row.role).or_default().insert(row.permission);
        }
        Ok(grants)
    }
}

fn to_domain(row: roles::Model, permissions: BTreeSet<String>) -> Role {
    Role {
        name: RoleName(row.name),
        rank: row.rank,
        built_in: row.built_in,
        permissions,
        created_at: row.created_at,
    }
}

#[async_trait::async_trait]
impl RoleRepository for SeaRoleRepository {
    async fn insert(&self, tx: &mut dyn Transaction, role: &Role) -> Result<(), RepoError> {
        let conn = db_tx(tx)?;
        let row = roles::ActiveModel {
            name: Set(role.name.as_str().to_owned()),
            rank: Set(role.rank),
            built_in: Set(role.built_in),
            created_at: Set(role.created_at),
        };
        roles::Entity::insert(row)
            .exec_without_returning(conn)
            .await
            .map_err(repo_err)?;
        if role.permissions.is_empty() {
            return Ok(());
        }
        let grants = role
            .permissions
            .iter()
            .map(|p| role_permissions::ActiveModel {
                role: Set(role.name.as_str().to_owned()),
                permission: Set(p.clone()),
            });
        role_permissions::Entity::insert_many(grants)
            .exec_without_returning(conn)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn by_name(&self, name: &RoleName) -> Result<Option<Role>, RepoError> {
        let Some(row) = roles::Entity::find_by_id(name.as_str().to_owned())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
        else {
            return Ok(None);
        };
        let permissions = self
            .grants(Some(name.as_str()))
            .await?
            .remove(name.as_str())
            .unwrap_or_default();
        Ok(Some(to_domain(row, permissions)))
    }

    async fn list(&self) -> Result<Vec<Role>, RepoError> {
        let rows = roles::Entity::find()
            .order_by_desc(roles::Column::Rank)
            .order_by_asc(roles::Column::Name)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let mut grants = self.grants(None).await?;
        Ok(rows
            .into_iter()
            .map(|row| {
                let permissions = grants.remove(&row.name).unwrap_or_default();
                to_domain(row, permissions)
            })
            .collect())
    }

    async fn permissions(&self) -> Result<Vec<String>, RepoError> {
        Ok(permissions::Entity::find()
            .order_by_asc(permissions::Column::Name)
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(|p| p.name)
            .collect())
    }
}
