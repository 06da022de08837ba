//! The [`AvatarKeyRepository`] of [`super::SeaUserRepository`]: the `avatar_key` column of
//! `users`.

use crate::repos::OneRow as _;
use plinth_kernel::{RepoError, Timestamp, Transaction, UserId};
use plinth_users::AvatarKeyRepository;
use sea_orm::{ActiveValue::Set, ColumnTrait, EntityTrait, QueryFilter, QuerySelect};

use crate::entities::users;
use crate::error::repo_err;
use crate::uow::db_tx;

#[async_trait::async_trait]
impl AvatarKeyRepository for super::SeaUserRepository {
    async fn set_avatar_key(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
        key: Option<&str>,
        at: Timestamp,
    ) -> Result<Option<String>, RepoError> {
        let conn = db_tx(tx)?;
        let previous: Option<Option<String>> = users::Entity::find_by_id(id.as_uuid())
            .select_only()
            .column(users::Column::AvatarKey)
            .into_tuple()
            .one_row(conn)
            .await
            .map_err(repo_err)?;
        let previous = previous.ok_or(RepoError::NotFound)?;
        let row = users::ActiveModel {
            avatar_key: Set(key.map(str::to_owned)),
            updated_at: Set(at),
            ..Default::default()
        };
        let result = users::Entity::update_many()
            .set(row)
            .filter(users::Column::Id.eq(id.as_uuid()))
            .exec(conn)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            return Err(RepoError::NotFound);
        }
        Ok(previous)
    }

    async fn known_avatar_keys(&self, keys: &[String]) -> Result<Vec<String>, RepoError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        users::Entity::find()
            .select_only()
            .column(users::Column::AvatarKey)
            .filter(users::Column::AvatarKey.is_in(keys.iter().cloned()))
            .into_tuple::<String>()
            .all(&self.conn)
            .await
            .map_err(repo_err)
    }
}
