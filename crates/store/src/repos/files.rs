//! [`SeaFileRepository`]: `files` rows ↔ [`FileObject`].

use plinth_files::{BlobKey, FileId, FileObject, FileRepository};
use plinth_kernel::{Page, PageRequest, RepoError, Transaction, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, DatabaseConnection, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{corrupt, fetch_limit};
use crate::entities::files;
use crate::error::repo_err;
use crate::uow::db_tx;

/// The [`FileRepository`] on SQL.
#[derive(Clone)]
pub struct SeaFileRepository {
    conn: DatabaseConnection,
}

impl SeaFileRepository {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn to_domain(row: files::Model) -> Result<FileObject, RepoError> {
    Ok(FileObject {
        id: FileId::from_uuid(row.id),
        owner_id: UserId::from_uuid(row.owner_id),
        name: row.name,
        content_type: row.content_type,
        size: u64::try_from(row.size)
            .map_err(|_| corrupt(format_args!("files.size {} of {}", row.size, row.id)))?,
        sha256: row.sha256,
        version: row.version,
        storage_key: BlobKey(row.storage_key),
        created_at: row.created_at,
        updated_at: row.updated_at,
    })
}

#[async_trait::async_trait]
impl FileRepository for SeaFileRepository {
    async fn insert(&self, tx: &mut dyn Transaction, file: &FileObject) -> Result<(), RepoError> {
        let size = i64::try_from(file.size)
            .map_err(|_| RepoError::internal("file size does not fit in 63 bits"))?;
        let row = files::ActiveModel {
            id: Set(file.id.as_uuid()),
            owner_id: Set(file.owner_id.as_uuid()),
            name: Set(file.name.clone()),
            content_type: Set(file.content_type.clone()),
            size: Set(size),
            sha256: Set(file.sha256.clone()),
            version: Set(file.version),
            storage_key: Set(file.storage_key.0.clone()),
            created_at: Set(file.created_at),
            updated_at: Set(file.updated_at),
        };
        files::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn delete(&self, tx: &mut dyn Transaction, id: FileId) -> Result<(), RepoError> {
        let result = files::Entity::delete_by_id(id.as_uuid())
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn by_id(&self, id: FileId) -> Result<Option<FileObject>, RepoError> {
        files::Entity::find_by_id(id.as_uuid())
            .one(&self.conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list_for_owner(
        &self,
        owner: UserId,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError> {
        let mut query = files::Entity::find().filter(files::Column::OwnerId.eq(owner.as_uuid()));
        if let Some(cursor) = page.cursor() {
            query = query.filter(files::Column::Id.lt(cursor.last_id()));
        }
        let rows = query
            .order_by_desc(files::Column::Id)
            .limit(fetch_limit(page))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(rows, page, |f| f.id.as_uuid()))
    }

    async fn bytes_used(&self, owner: UserId) -> Result<u64, RepoError> {
        // SUM(bigint) is numeric on PostgreSQL and decimal on CockroachDB: cast it back.
        let total: Option<i64> = files::Entity::find()
            .select_only()
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"),
                "total",
            )
            .filter(files::Column::OwnerId.eq(owner.as_uuid()))
            .into_tuple()
            .one(&self.conn)
            .await
            .map_err(repo_err)?;
        let total = total.unwrap_or(0);
        u64::try_from(total)
            .map_err(|_| corrupt(format_args!("negative total size {total} for {owner}")))
    }
}
