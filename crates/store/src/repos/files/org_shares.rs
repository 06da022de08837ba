//! The organization-share methods of [`super::SeaFileRepository`]: `file_org_shares` rows ↔
//! [`OrgShare`].

use crate::repos::OneRow as _;
use plinth_files::{FileId, OrgShare, SharePermission};
use plinth_kernel::{OrgId, RepoError, Transaction};
use sea_orm::sea_query::{OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder,
};

use crate::entities::file_org_shares;
use crate::error::repo_err;
use crate::repos::corrupt;
use crate::uow::db_tx;

fn to_domain(row: file_org_shares::Model) -> Result<OrgShare, RepoError> {
    Ok(OrgShare {
        file_id: FileId::from_uuid(row.file_id),
        org_id: OrgId::from_uuid(row.org_id),
        permission: SharePermission::parse(&row.permission).ok_or_else(|| {
            corrupt(format_args!(
                "file_org_shares.permission {:?} of {}",
                row.permission, row.file_id
            ))
        })?,
        created_at: row.created_at,
    })
}

pub(super) async fn upsert(tx: &mut dyn Transaction, share: &OrgShare) -> Result<(), RepoError> {
    let row = file_org_shares::ActiveModel {
        file_id: Set(share.file_id.as_uuid()),
        org_id: Set(share.org_id.as_uuid()),
        permission: Set(share.permission.as_str().to_owned()),
        created_at: Set(share.created_at),
    };
    file_org_shares::Entity::insert(row)
        .on_conflict(
            OnConflict::columns([
                file_org_shares::Column::FileId,
                file_org_shares::Column::OrgId,
            ])
            .update_column(file_org_shares::Column::Permission)
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
    org: OrgId,
) -> Result<(), RepoError> {
    let result = file_org_shares::Entity::delete_by_id((id.as_uuid(), org.as_uuid()))
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    if result.rows_affected == 0 {
        Err(RepoError::NotFound)
    } else {
        Ok(())
    }
}

pub(super) async fn delete_to(tx: &mut dyn Transaction, org: OrgId) -> Result<u64, RepoError> {
    let result = file_org_shares::Entity::delete_many()
        .filter(file_org_shares::Column::OrgId.eq(org.as_uuid()))
        .exec(db_tx(tx)?)
        .await
        .map_err(repo_err)?;
    Ok(result.rows_affected)
}

/// Ends every organization share of the files `ids`.
pub(super) async fn delete_of<C: ConnectionTrait>(
    conn: &C,
    ids: &[uuid::Uuid],
) -> Result<(), RepoError> {
    file_org_shares::Entity::delete_many()
        .filter(file_org_shares::Column::FileId.is_in(ids.iter().copied()))
        .exec(conn)
        .await
        .map_err(repo_err)?;
    Ok(())
}

pub(super) async fn one(
    conn: &DatabaseConnection,
    id: FileId,
    org: OrgId,
) -> Result<Option<OrgShare>, RepoError> {
    file_org_shares::Entity::find_by_id((id.as_uuid(), org.as_uuid()))
        .one_row(conn)
        .await
        .map_err(repo_err)?
        .map(to_domain)
        .transpose()
}

pub(super) async fn all(conn: &DatabaseConnection, id: FileId) -> Result<Vec<OrgShare>, RepoError> {
    file_org_shares::Entity::find()
        .filter(file_org_shares::Column::FileId.eq(id.as_uuid()))
        .order_by_asc(file_org_shares::Column::CreatedAt)
        .order_by_asc(file_org_shares::Column::OrgId)
        .all(conn)
        .await
        .map_err(repo_err)?
        .into_iter()
        .map(to_domain)
        .collect()
}

/// The ids of the files shared with organization `org`, as a subquery.
pub(super) fn shared_with(org: OrgId) -> sea_orm::sea_query::SelectStatement {
    Query::select()
        .column(file_org_shares::Column::FileId)
        .from(file_org_shares::Entity)
        .and_where(file_org_shares::Column::OrgId.eq(org.as_uuid()))
        .to_owned()
}
