//! [`SeaUserRepository`]: `users` rows ↔ [`User`] (its [`UserRepository`]); its
//! [`plinth_users::AvatarKeyRepository`] and [`plinth_users::AppDataRepository`] in the
//! modules below, one trait each.

use crate::repos::OneRow as _;
use plinth_kernel::{Email, Page, PageRequest, RepoError, Timestamp, Transaction, UserId};
use plinth_users::{
    DisplayName, Locale, PasswordHash, RoleName, User, UserChanges, UserCounts, UserFilter,
    UserRepository, UserStatus,
};
use sea_orm::sea_query::{Expr, ExprTrait, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect,
};

use super::{LIKE_ESCAPE, contains_pattern, corrupt, fetch_limit};
use crate::entities::users;
use crate::error::repo_err;
use crate::uow::db_tx;

mod app_data;
mod avatar_keys;

/// The [`plinth_users::UserStorage`] on SQL: every account seam.
#[derive(Clone)]
pub struct SeaUserRepository {
    conn: DatabaseConnection,
}

impl SeaUserRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

/// Every column of a new row but the id, `created_at` and `avatar_key` (set by `insert`) and
/// the login-failure streak (its column defaults).
fn mutable_columns(user: &User) -> users::ActiveModel {
    users::ActiveModel {
        email: Set(user.email.as_str().to_owned()),
        name: Set(user.name.as_str().to_owned()),
        role: Set(user.role.as_str().to_owned()),
        status: Set(user.status.as_str().to_owned()),
        email_verified: Set(user.email_verified),
        locale: Set(user.locale.as_ref().map(|l| l.as_str().to_owned())),
        password_hash: Set(user.password_hash.0.clone()),
        updated_at: Set(user.updated_at),
        ..Default::default()
    }
}

/// Only the columns `changes` names, and `updated_at`: the rest are left out of the `UPDATE`.
fn changed_columns(changes: &UserChanges, at: Timestamp) -> users::ActiveModel {
    let mut row = users::ActiveModel {
        updated_at: Set(at),
        ..Default::default()
    };
    if let Some(name) = &changes.name {
        row.name = Set(name.as_str().to_owned());
    }
    if let Some(role) = &changes.role {
        row.role = Set(role.as_str().to_owned());
    }
    if let Some(status) = changes.status {
        row.status = Set(status.as_str().to_owned());
    }
    if let Some(verified) = changes.email_verified {
        row.email_verified = Set(verified);
    }
    if let Some(hash) = &changes.password_hash {
        row.password_hash = Set(hash.0.clone());
    }
    if let Some(email) = &changes.email {
        row.email = Set(email.as_str().to_owned());
    }
    if let Some(locale) = &changes.locale {
        row.locale = Set(locale.as_ref().map(|l| l.as_str().to_owned()));
    }
    row
}

fn to_domain(row: users::Model) -> Result<User, RepoError> {
    Ok(User {
        id: UserId::from_uuid(row.id),
        email: Email::parse(&row.email)
            .map_err(|e| corrupt(format_args!("users.email of {}: {e}", row.id)))?,
        name: DisplayName::parse(&row.name)
            .map_err(|e| corrupt(format_args!("users.name of {}: {e}", row.id)))?,
        role: RoleName(row.role),
        status: UserStatus::parse(&row.status)
            .ok_or_else(|| corrupt(format_args!("users.status {:?} of {}", row.status, row.id)))?,
        email_verified: row.email_verified,
        avatar_key: row.avatar_key,
        locale: row
            .locale
            .as_deref()
            .map(Locale::parse)
            .transpose()
            .map_err(|e| corrupt(format_args!("users.locale of {}: {e}", row.id)))?,
        password_hash: PasswordHash(row.password_hash),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

#[async_trait::async_trait]
impl UserRepository for SeaUserRepository {
    async fn insert(&self, tx: &mut dyn Transaction, user: &User) -> Result<(), RepoError> {
        let mut row = mutable_columns(user);
        row.id = Set(user.id.as_uuid());
        row.avatar_key = Set(user.avatar_key.clone());
        row.created_at = Set(user.created_at);
        users::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn change(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
        changes: &UserChanges,
        at: Timestamp,
    ) -> Result<User, RepoError> {
        let conn = db_tx(tx)?;
        let result = users::Entity::update_many()
            .set(changed_columns(changes, at))
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(conn)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        users::Entity::find_by_id(id.as_uuid())
            .one_row(conn)
            .await
            .map_err(repo_err)?
            .ok_or(RepoError::NotFound)
            .and_then(to_domain)
    }

    async fn by_id_for_update(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
    ) -> Result<Option<User>, RepoError> {
        // `FOR UPDATE` on PostgreSQL; SeaQuery leaves it out on SQLite, whose transactions
        // hold the write lock from `BEGIN IMMEDIATE` (see `SeaUnitOfWork`).
        users::Entity::find_by_id(id.as_uuid())
            .lock_exclusive()
            .one_row(db_tx(tx)?)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn delete(&self, tx: &mut dyn Transaction, id: UserId) -> Result<(), RepoError> {
        let result = users::Entity::delete_by_id(id.as_uuid())
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn by_id(&self, id: UserId) -> Result<Option<User>, RepoError> {
        users::Entity::find_by_id(id.as_uuid())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn by_email(&self, email: &Email) -> Result<Option<User>, RepoError> {
        users::Entity::find()
            .filter(users::Column::Email.eq(email.as_str()))
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>, RepoError> {
        let mut query = users::Entity::find();
        if let Some(q) = filter.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = contains_pattern(&q.to_lowercase());
            let matches = |col: users::Column| {
                Expr::expr(Func::lower(Expr::col(col)))
                    .like(LikeExpr::new(pattern.clone()).escape(LIKE_ESCAPE))
            };
            query = query.filter(
                Condition::any()
                    .add(matches(users::Column::Email))
                    .add(matches(users::Column::Name)),
            );
        }
        if let Some(role) = &filter.role {
            query = query.filter(users::Column::Role.eq(role.as_str()));
        }
        if let Some(status) = filter.status {
            query = query.filter(users::Column::Status.eq(status.as_str()));
        }
        if let Some(cursor) = page.cursor() {
            query = query.filter(users::Column::Id.gt(cursor.last_id()));
        }
        let rows = query
            .order_by_asc(users::Column::Id)
            .limit(fetch_limit(page))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(rows, page, |u| u.id.as_uuid()))
    }

    async fn count(&self, since: Timestamp) -> Result<UserCounts, RepoError> {
        let count =
            |condition: Condition| users::Entity::find().filter(condition).count(&self.conn);
        let total = count(Condition::all()).await.map_err(repo_err)?;
        let active =
            count(Condition::all().add(users::Column::Status.eq(UserStatus::Active.as_str())))
                .await
                .map_err(repo_err)?;
        let created_since = count(Condition::all().add(users::Column::CreatedAt.gte(since)))
            .await
            .map_err(repo_err)?;
        Ok(UserCounts {
            total,
            active,
            created_since,
        })
    }
}
