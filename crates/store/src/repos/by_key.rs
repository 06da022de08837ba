//! [`ByKey`]: read the row a primary or unique key names, without SeaORM's `LIMIT ?`.

use std::future::Future;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Select};

/// Reads the one row that a primary or unique key selects.
///
/// SeaORM's `one()` appends `LIMIT ?` and binds 1. SQLite's planner reads the value of a bound
/// `LIMIT`, so it flags such a statement to be prepared again whenever that parameter is bound:
/// every `one()` made SQLite parse and plan its SQL anew instead of reusing the cached
/// statement (16 % of the server's CPU under `GET /api/v1/me` load, measured with `perf`).
/// A key lookup returns at most one row without a `LIMIT`, so its statement stays prepared.
/// Use `one()` only where the filter can match several rows.
pub(crate) trait ByKey<E: EntityTrait> {
    /// The row, or `None`.
    fn by_key<C: ConnectionTrait>(
        self,
        db: &C,
    ) -> impl Future<Output = Result<Option<E::Model>, DbErr>> + Send;
}

impl<E> ByKey<E> for Select<E>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    async fn by_key<C: ConnectionTrait>(self, db: &C) -> Result<Option<E::Model>, DbErr> {
        Ok(self.all(db).await?.into_iter().next())
    }
}
