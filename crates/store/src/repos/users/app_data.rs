//! The [`AppDataRepository`] of [`super::SeaUserRepository`]: `user_data` rows ↔ [`AppData`].

use crate::repos::OneRow as _;
use plinth_kernel::{RepoError, Transaction, UserId};
use plinth_users::{AppData, AppDataRepository};
use sea_orm::sea_query::OnConflict;
use sea_orm::{ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter};

use crate::entities::user_data;
use crate::error::repo_err;
use crate::uow::db_tx;

/// The stored document of `id`, if any.
async fn read(conn: &DatabaseConnection, id: UserId) -> Result<Option<AppData>, RepoError> {
    let row = user_data::Entity::find_by_id(id.as_uuid())
        .one_row(conn)
        .await
        .map_err(repo_err)?;
    Ok(row.map(|row| AppData {
        user_id: UserId::from_uuid(row.user_id),
        json: row.document,
        etag: row.etag,
        updated_at: row.updated_at,
    }))
}

/// With `expected`: `UPDATE … WHERE user_id = ? AND etag = ?`. Without: `INSERT … ON CONFLICT
/// DO NOTHING`. Either way the database decides which of two concurrent writers wins.
async fn write(
    tx: &mut dyn Transaction,
    data: &AppData,
    expected: Option<&str>,
) -> Result<bool, RepoError> {
    let conn = db_tx(tx)?;
    let row = user_data::ActiveModel {
        user_id: Set(data.user_id.as_uuid()),
        document: Set(data.json.clone()),
        etag: Set(data.etag.clone()),
        updated_at: Set(data.updated_at),
    };
    let written = match expected {
        Some(etag) => {
            user_data::Entity::update_many()
                .set(row)
                .filter(user_data::Column::UserId.eq(data.user_id.as_uuid()))
                .filter(user_data::Column::Etag.eq(etag))
                .exec(conn)
                .await
                .map_err(repo_err)?
                .rows_affected
        }
        None => user_data::Entity::insert(row)
            .on_conflict(
                OnConflict::column(user_data::Column::UserId)
                    .do_nothing()
                    .to_owned(),
            )
            .exec_without_returning(conn)
            .await
            .map_err(repo_err)?,
    };
    Ok(written == 1)
}

#[async_trait::async_trait]
impl AppDataRepository for super::SeaUserRepository {
    async fn app_data(&self, id: UserId) -> Result<Option<AppData>, RepoError> {
        read(&self.conn, id).await
    }

    async fn put_app_data(
        &self,
        tx: &mut dyn Transaction,
        data: &AppData,
        expected: Option<&str>,
    ) -> Result<bool, RepoError> {
        write(tx, data, expected).await
    }
}
