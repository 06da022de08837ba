//! The share methods of [`super::SeaFileRepository`]: `file_shares` rows ↔ [`FileShare`].

use crate::repos::OneRow as _;
use plinth_files::{
    FileId, FileObject, FileShare, FileShareRepository, OrgShare, Owner, SharePermission, Viewer,
};
use plinth_kernel::{Email, OrgId, Page, PageRequest, RepoError, Transaction};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};

use super::to_domain;
use crate::entities::{file_shares, files};
use crate::error::repo_err;
use crate::repos::{corrupt, fetch_limit};
use crate::uow::db_tx;

fn share_to_domain(row: file_shares::Model) -> Result<FileShare, RepoError> {
    Ok(FileShare {
        file_id: FileId::from_uuid(row.file_id),
        grantee_email: Email::parse(&row.grantee_email)
            .map_err(|_| corrupt(format_args!("file_shares.grantee_email of {}", row.file_id)))?,
        permission: SharePermission::parse(&row.permission).ok_or_else(|| {
            corrupt(format_args!(
                "file_shares.permission {:?} of {}",
                row.permission, row.file_id
            ))
        })?,
        created_at: row.created_at,
    })
}

pub(super) async fn upsert(tx: &mut dyn Transaction, share: &FileShare) -> Result<(), RepoError> {
    let row = file_shares::ActiveModel {
        file_id: Set(share.file_id.as_uuid()),
        grantee_email: Set(share.grantee_email.as_str().to_owned()),
        permission: Set(share.permission.as_str().to_owned()),
        created_at: Set(share.created_at),
    };
    file_shares::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                file_shares::Column::FileId,
                file_shares::Column::GranteeEmail,
            ])
            .update_column(file_shares::Column::Permission)
            .to_owned(),
        )
        .exec_without_returning(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(())
}

pub(super) async fn delete(
    tx: &mut dyn Transaction,
    id: FileId,
    grantee: &Email,
) -> Result<(), RepoError> {
    let result = file_shares::Entity::delete_by_id((id.as_uuid(), grantee.as_str().to_owned()))
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    if result.rows_affected == 0 {
        Err(RepoError::NotFound)
    } else {
        Ok(())
    }
}

pub(super) async fn delete_to(tx: &mut dyn Transaction, grantee: &Email) -> Result<u64, RepoError> {
    let result = file_shares::Entity::delete_many()
        .filter(file_shares::Column::GranteeEmail.eq(grantee.as_str()))
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(result.rows_affected)
}

/// Ends every share of the files `ids`.
pub(super) async fn delete_of<C: sea_orm::ConnectionTrait>(
    conn: &C,
    ids: &[uuid::Uuid],
) -> Result<(), RepoError> {
    file_shares::Entity::delete_many()
        .filter(file_shares::Column::FileId.is_in(ids.iter().copied()))
        .exec(conn)
        .await
        .map_err(repo_err)?;
    Ok(())
}

pub(super) async fn delete_all<C: sea_orm::ConnectionTrait>(
    conn: &C,
    id: FileId,
) -> Result<(), RepoError> {
    file_shares::Entity::delete_many()
        .filter(file_shares::Column::FileId.eq(id.as_uuid()))
        .exec(conn)
        .await
        .map_err(repo_err)?;
    Ok(())
}

pub(super) async fn one(
    conn: &DatabaseConnection,
    id: FileId,
    grantee: &Email,
) -> Result<Option<FileShare>, RepoError> {
    file_shares::Entity::find_by_id((id.as_uuid(), grantee.as_str().to_owned()))
        .one_row(conn)
        .await
        .map_err(repo_err)?
        .map(share_to_domain)
        .transpose()
}

pub(super) async fn all(
    conn: &DatabaseConnection,
    id: FileId,
) -> Result<Vec<FileShare>, RepoError> {
    file_shares::Entity::find()
        .filter(file_shares::Column::FileId.eq(id.as_uuid()))
        .order_by_asc(file_shares::Column::CreatedAt)
        .order_by_asc(file_shares::Column::GranteeEmail)
        .all(conn)
        .await
        .map_err(repo_err)?
        .into_iter()
        .map(share_to_domain)
        .collect()
}

pub(super) async fn visible(
    conn: &DatabaseConnection,
    viewer: &Viewer,
    page: PageRequest,
) -> Result<Page<FileObject>, RepoError> {
    let mut visible = Condition::any().add(super::of_owner(Owner::User(viewer.id)));
    if let Some(org) = viewer.readable_org() {
        visible = visible
            .add(super::of_owner(Owner::Org(org)))
            .add(files::Column::Id.in_subquery(super::org_shares::shared_with(org)));
    }
    // Shares count only for a verified address (`Viewer::honours`).
    if viewer.email_verified {
        let shared = Query::select()
            .column(file_shares::Column::FileId)
            .from(file_shares::Entity)
            .and_where(file_shares::Column::GranteeEmail.eq(viewer.email.as_str()))
            .to_owned();
        visible = visible.add(files::Column::Id.in_subquery(shared));
    }
    let mut query = files::Entity::find().filter(visible);
    if let Some(cursor) = page.cursor() {
        query = query.filter(files::Column::Id.lt(cursor.last_id()));
    }
    let rows = query
        .order_by_desc(files::Column::Id)
        .limit(fetch_limit(page))
        .all(conn)
        .await
        .map_err(repo_err)?
        .into_iter()
        .map(to_domain)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Page::from_rows(rows, page, |f| f.id.as_uuid()))
}

#[async_trait::async_trait]
impl FileShareRepository for super::SeaFileRepository {
    async fn upsert_share(
        &self,
        tx: &mut dyn Transaction,
        share: &FileShare,
    ) -> Result<(), RepoError> {
        self::upsert(tx, share).await
    }

    async fn delete_share(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
        grantee: &Email,
    ) -> Result<(), RepoError> {
        self::delete(tx, id, grantee).await
    }

    async fn delete_shares_to(
        &self,
        tx: &mut dyn Transaction,
        grantee: &Email,
    ) -> Result<u64, RepoError> {
        self::delete_to(tx, grantee).await
    }

    async fn share_of(&self, id: FileId, grantee: &Email) -> Result<Option<FileShare>, RepoError> {
        self::one(&self.conn, id, grantee).await
    }

    async fn shares(&self, id: FileId) -> Result<Vec<FileShare>, RepoError> {
        self::all(&self.conn, id).await
    }

    async fn upsert_org_share(
        &self,
        tx: &mut dyn Transaction,
        share: &OrgShare,
    ) -> Result<(), RepoError> {
        super::org_shares::upsert(tx, share).await
    }

    async fn delete_org_share(
        &self,
        tx: &mut dyn Transaction,
        id: FileId,
        org: OrgId,
    ) -> Result<(), RepoError> {
        super::org_shares::delete(tx, id, org).await
    }

    async fn delete_org_shares_to(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
    ) -> Result<u64, RepoError> {
        super::org_shares::delete_to(tx, org).await
    }

    async fn org_share_of(&self, id: FileId, org: OrgId) -> Result<Option<OrgShare>, RepoError> {
        super::org_shares::one(&self.conn, id, org).await
    }

    async fn org_shares(&self, id: FileId) -> Result<Vec<OrgShare>, RepoError> {
        super::org_shares::all(&self.conn, id).await
    }

    async fn list_visible(
        &self,
        viewer: &Viewer,
        page: PageRequest,
    ) -> Result<Page<FileObject>, RepoError> {
        self::visible(&self.conn, viewer, page).await
    }
}
