//! [`OneRow`]: read the one row a key or an aggregate selects, without SeaORM's `LIMIT ?`.

use std::future::Future;

use sea_orm::{ConnectionTrait, DbErr, EntityTrait, Select, Selector, SelectorTrait};

/// Reads the one row that a primary or unique key, an aggregate (`SUM`, `COUNT`) or a
/// `MAX` subquery selects.
///
/// SeaORM's `one()` appends `LIMIT ?` and binds 1. SQLite's planner reads the value of a bound
/// `LIMIT`, so it flags such a statement to be prepared again whenever that parameter is bound:
/// every `one()` made SQLite parse and plan its SQL anew instead of reusing the cached
/// statement (16 % of the server's CPU under `GET /api/v1/me` load, measured with `perf`).
/// These queries return at most one row without a `LIMIT`, so their statements stay prepared.
/// Use `one()` only where the filter can match several rows.
pub(crate) trait OneRow {
    /// What one row is read as (a model, or a tuple after `into_tuple`).
    type Row;

    /// The row, or `None`.
    fn one_row<C: ConnectionTrait>(
        self,
        db: &C,
    ) -> impl Future<Output = Result<Option<Self::Row>, DbErr>> + Send;
}

impl<E> OneRow for Select<E>
where
    E: EntityTrait,
    E::Model: Send + Sync,
{
    type Row = E::Model;

    async fn one_row<C: ConnectionTrait>(self, db: &C) -> Result<Option<E::Model>, DbErr> {
        Ok(self.all(db).await?.into_iter().next())
    }
}

impl<S> OneRow for Selector<S>
where
    S: SelectorTrait + Send + Sync,
    S::Item: Send,
{
    type Row = S::Item;

    async fn one_row<C: ConnectionTrait>(self, db: &C) -> Result<Option<S::Item>, DbErr> {
        Ok(self.all(db).await?.into_iter().next())
    }
}
