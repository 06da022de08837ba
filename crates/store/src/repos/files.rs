//! [`SeaFileRepository`]: `files` rows ↔ [`FileObject`].

mod org_shares;
mod shares;

use crate::repos::OneRow as _;
use plinth_files::{
    BlobKey, DeletedFile, FileId, FileObject, FileRepository, FileTotals, FileUsageRepository,
    FileVersion, FileVersionRepository, Owner,
};
use plinth_kernel::{OrgId, Page, PageRequest, RepoError, Transaction, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::{corrupt, fetch_limit};

/// Files deleted per statement when an account's files go at once.
const ERASE_SLICE: usize = 500;
use crate::entities::{file_versions, files, organizations, users};
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
        org_id: row.org_id.map(OrgId::from_uuid),
        name: row.name,
        content_type: row.content_type,
        size: u64::try_from(row.size)
            .map_err(|_| corrupt(format_args!("files.size {} of {}", row.size, row.id)))?,
        sha256: row.sha256,
        version: row.version,
        storage_key: BlobKey(row.storage_key),
        created_at: row.created_at,
        updated_at: row.updated_at,
        download_count: u64::try_from(row.download_count).map_err(|_| {
            corrupt(format_args!(
                "files.download_count {} of {}",
                row.download_count, row.id
            ))
        })?,
        signed_url_generation: row.signed_url_generation,
    })
}

fn version_to_domain(row: file_versions::Model) -> Result<FileVersion, RepoError> {
    Ok(FileVersion {
        file_id: FileId::from_uuid(row.file_id),
        version: row.version,
        name: row.name,
        content_type: row.content_type,
        size: u64::try_from(row.size).map_err(|_| {
            corrupt(format_args!(
                "file_versions.size {} of {} v{}",
                row.size, row.file_id, row.version
            ))
        })?,
        sha256: row.sha256,
        storage_key: BlobKey(row.storage_key),
        created_at: row.created_at,
    })
}

fn db_size(size: u64) -> Result<i64, RepoError> {
    i64::try_from(size).map_err(|_| RepoError::internal("file size does not fit in 63 bits"))
}

#[async_trait::async_trait]
impl FileRepository for SeaFileRepository {
    async fn insert(&self, tx: &mut dyn Transaction, file: &FileObject) -> Result<(), RepoError> {
        let size = db_size(file.size)?;
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
            download_count: Set(i64::try_from(file.download_count)
                .map_err(|_| RepoError::internal("download count does not fit in 63 bits"))?),
            signed_url_generation: Set(file.signed_url_generation),
            org_id: Set(file.org_id.map(|org| org.as_uuid())),
        };
        files::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn delete(&self, tx: &mut dyn Transaction, id: FileId) -> Result<(), RepoError> {
        let conn = db_tx(tx)?;
        shares::delete_all(conn, id).await?;
        org_shares::delete_of(conn, &[id.as_uuid()]).await?;
        file_versions::Entity::delete_many()
            .filter(file_versions::Column::FileId.eq(id.as_uuid()))
            .exec(conn)
            .await
            .map_err(repo_err)?;
        let result = files::Entity::delete_by_id(id.as_uuid())
            .exec(conn)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn delete_owned(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<Vec<DeletedFile>, RepoError> {
        let conn = db_tx(tx)?;
        let owned = files::Entity::find()
            .filter(of_owner(owner))
            .order_by_asc(files::Column::Id)
            .all(conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_domain)
            .collect::<Result<Vec<_>, _>>()?;
        let mut deleted = Vec::with_capacity(owned.len());
        // In slices, so no statement outgrows the databases' bind-parameter limits.
        for slice in owned.chunks(ERASE_SLICE) {
            let ids: Vec<uuid::Uuid> = slice.iter().map(|f| f.id.as_uuid()).collect();
            let mut keys: Vec<(uuid::Uuid, String)> = file_versions::Entity::find()
                .select_only()
                .column(file_versions::Column::FileId)
                .column(file_versions::Column::StorageKey)
                .filter(file_versions::Column::FileId.is_in(ids.clone()))
                .into_tuple()
                .all(conn)
                .await
                .map_err(repo_err)?;
            shares::delete_of(conn, &ids).await?;
            org_shares::delete_of(conn, &ids).await?;
            file_versions::Entity::delete_many()
                .filter(file_versions::Column::FileId.is_in(ids.clone()))
                .exec(conn)
                .await
                .map_err(repo_err)?;
            files::Entity::delete_many()
                .filter(files::Column::Id.is_in(ids))
                .exec(conn)
                .await
                .map_err(repo_err)?;
            keys.sort();
            for file in slice {
                let id = file.id.as_uuid();
                let versions = keys
                    .iter()
                    .filter(|(of, _)| *of == id)
                    .map(|(_, key)| BlobKey(key.clone()));
                deleted.push(DeletedFile::new(file.clone(), versions));
            }
        }
        Ok(deleted)
    }

    async fn hand_over(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        from: UserId,
        to: UserId,
    ) -> Result<u64, RepoError> {
        let result = files::Entity::update_many()
            .col_expr(files::Column::OwnerId, Expr::value(to.as_uuid()))
            .filter(files::Column::OrgId.eq(org.as_uuid()))
            .filter(files::Column::OwnerId.eq(from.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(result.rows_affected)
    }

    async fn by_id(&self, id: FileId) -> Result<Option<FileObject>, RepoError> {
        files::Entity::find_by_id(id.as_uuid())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(to_domain)
            .transpose()
    }

    async fn list_for_owner(
        &self,
        owner: Owner,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError> {
        let mut query = files::Entity::find().filter(of_owner(owner));
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

    async fn record_download(&self, id: FileId) -> Result<(), RepoError> {
        let result = files::Entity::update_many()
            .col_expr(
                files::Column::DownloadCount,
                Expr::col(files::Column::DownloadCount).add(1),
            )
            .filter(files::Column::Id.eq(id.as_uuid()))
            .exec(&self.conn)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }

    async fn revoke_signed_urls(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
    ) -> Result<(), RepoError> {
        let result = files::Entity::update_many()
            .col_expr(
                files::Column::SignedUrlGeneration,
                Expr::col(files::Column::SignedUrlGeneration).add(1),
            )
            .filter(files::Column::Id.eq(id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl FileVersionRepository for SeaFileRepository {
    async fn insert_version(
        &self,
        tx: &mut dyn Transaction,
        version: &FileVersion,
    ) -> Result<(), RepoError> {
        let row = file_versions::ActiveModel {
            file_id: Set(version.file_id.as_uuid()),
            version: Set(version.version),
            storage_key: Set(version.storage_key.0.clone()),
            size: Set(db_size(version.size)?),
            sha256: Set(version.sha256.clone()),
            content_type: Set(version.content_type.clone()),
            name: Set(version.name.clone()),
            created_at: Set(version.created_at),
        };
        file_versions::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn versions(&self, id: FileId) -> Result<Vec<FileVersion>, RepoError> {
        file_versions::Entity::find()
            .filter(file_versions::Column::FileId.eq(id.as_uuid()))
            .order_by_desc(file_versions::Column::Version)
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(version_to_domain)
            .collect()
    }

    async fn version(&self, id: FileId, version: i32) -> Result<Option<FileVersion>, RepoError> {
        file_versions::Entity::find_by_id((id.as_uuid(), version))
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
            .map(version_to_domain)
            .transpose()
    }

    async fn update_current(
        &self,
        tx: &mut dyn Transaction,
        file: &FileObject,
        previous_version: i32,
    ) -> Result<(), RepoError> {
        let result = files::Entity::update_many()
            .col_expr(files::Column::Name, Expr::value(file.name.clone()))
            .col_expr(
                files::Column::ContentType,
                Expr::value(file.content_type.clone()),
            )
            .col_expr(files::Column::Size, Expr::value(db_size(file.size)?))
            .col_expr(files::Column::Sha256, Expr::value(file.sha256.clone()))
            .col_expr(files::Column::Version, Expr::value(file.version))
            .col_expr(
                files::Column::StorageKey,
                Expr::value(file.storage_key.0.clone()),
            )
            .col_expr(files::Column::UpdatedAt, Expr::value(file.updated_at))
            .filter(files::Column::Id.eq(file.id.as_uuid()))
            .filter(files::Column::Version.eq(previous_version))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        if result.rows_affected == 0 {
            Err(RepoError::NotFound)
        } else {
            Ok(())
        }
    }
}

#[async_trait::async_trait]
impl FileUsageRepository for SeaFileRepository {
    async fn bytes_used(&self, owner: Owner) -> Result<u64, RepoError> {
        // SUM(bigint) is numeric on PostgreSQL and decimal on CockroachDB: cast it back.
        let total: Option<i64> = files::Entity::find()
            .select_only()
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"),
                "total",
            )
            .filter(of_owner(owner))
            .into_tuple()
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?;
        let total = total.unwrap_or(0);
        u64::try_from(total)
            .map_err(|_| corrupt(format_args!("negative total size {total} for {owner}")))
    }

    async fn stored_bytes(&self, owner: Owner) -> Result<u64, RepoError> {
        stored_bytes(&self.conn, owner).await
    }

    async fn lock_stored_bytes(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<u64, RepoError> {
        let conn = db_tx(tx)?;
        // Touching the owner's row takes its row lock on PostgreSQL until the transaction
        // ends, serialising quota checks of one owner (SQLite transactions are IMMEDIATE and
        // already serialised).
        match owner {
            Owner::User(user) => users::Entity::update_many()
                .col_expr(
                    users::Column::UpdatedAt,
                    Expr::col(users::Column::UpdatedAt),
                )
                .filter(users::Column::Id.eq(user.as_uuid()))
                .exec(conn)
                .await
                .map_err(repo_err)?,
            Owner::Org(org) => {
                let locked = organizations::Entity::update_many()
                    .col_expr(
                        organizations::Column::UpdatedAt,
                        Expr::col(organizations::Column::UpdatedAt),
                    )
                    .filter(organizations::Column::Id.eq(org.as_uuid()))
                    .exec(conn)
                    .await
                    .map_err(repo_err)?;
                if locked.rows_affected == 0 {
                    return Err(RepoError::NotFound);
                }
                locked
            }
        };
        stored_bytes(conn, owner).await
    }

    async fn totals(&self) -> Result<FileTotals, RepoError> {
        // SUM(bigint) is numeric on PostgreSQL and decimal on CockroachDB: cast it back.
        let row: Option<(i64, i64)> = files::Entity::find()
            .select_only()
            .column_as(Expr::cust("CAST(COUNT(*) AS BIGINT)"), "count")
            .column_as(
                Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"),
                "bytes",
            )
            .into_tuple()
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?;
        let (count, bytes) = row.unwrap_or((0, 0));
        let non_negative =
            |n: i64| u64::try_from(n).map_err(|_| corrupt(format_args!("negative file total {n}")));
        Ok(FileTotals {
            count: non_negative(count)?,
            bytes: non_negative(bytes)?,
        })
    }

    async fn known_storage_keys(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepoError> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let rows = file_versions::Entity::find()
            .select_only()
            .column(file_versions::Column::StorageKey)
            .filter(file_versions::Column::StorageKey.is_in(keys.iter().map(|k| k.0.clone())))
            .into_tuple::<String>()
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        Ok(rows.into_iter().map(BlobKey).collect())
    }
}

/// The files of `owner`: a user's own (not the organization files they uploaded), or an
/// organization's.
pub(super) fn of_owner(owner: Owner) -> sea_orm::Condition {
    match owner {
        Owner::User(user) => sea_orm::Condition::all()
            .add(files::Column::OwnerId.eq(user.as_uuid()))
            .add(files::Column::OrgId.is_null()),
        Owner::Org(org) => sea_orm::Condition::all().add(files::Column::OrgId.eq(org.as_uuid())),
    }
}

/// Bytes of every version of every file of `owner`.
async fn stored_bytes(conn: &impl ConnectionTrait, owner: Owner) -> Result<u64, RepoError> {
    let owned = Query::select()
        .column(files::Column::Id)
        .from(files::Entity)
        .cond_where(of_owner(owner))
        .to_owned();
    // SUM(bigint) is numeric on PostgreSQL and decimal on CockroachDB: cast it back.
    let total: Option<i64> = file_versions::Entity::find()
        .select_only()
        .column_as(
            Expr::cust("CAST(COALESCE(SUM(size), 0) AS BIGINT)"),
            "total",
        )
        .filter(file_versions::Column::FileId.in_subquery(owned))
        .into_tuple()
        .one_row(conn)
        .await
        .map_err(repo_err)?;
    let total = total.unwrap_or(0);
    u64::try_from(total)
        .map_err(|_| corrupt(format_args!("negative stored bytes {total} for {owner}")))
}
