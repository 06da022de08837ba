//! [`InvitationRepository`] of [`SeaOrgStorage`]: `org_invitations` rows. Every query but
//! the token lookup names the organization; state changes are conditional updates, so two
//! requests racing on one invitation (two acceptances, a revocation and an acceptance) cannot
//! both win, on any number of replicas.

use plinth_kernel::{Email, Page, PageRequest, RepoError, Timestamp, Transaction};
use plinth_orgs::{
    Invitation, InvitationId, InvitationRepository, InvitationTokenHash, OrgId, OrgName,
    OrgRoleName,
};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::{SeaOrgStorage, orgs_by_id};
use crate::entities::org_invitations;
use crate::error::repo_err;
use crate::repos::{OneRow as _, corrupt, fetch_limit};
use crate::uow::db_tx;

fn to_invitation(row: org_invitations::Model) -> Result<Invitation, RepoError> {
    Ok(Invitation {
        id: InvitationId::from_uuid(row.id),
        org_id: OrgId::from_uuid(row.org_id),
        email: Email::parse(&row.email)
            .map_err(|e| corrupt(format_args!("org_invitations.email of {}: {e}", row.id)))?,
        role: OrgRoleName::stored(row.role),
        invited_by: plinth_kernel::UserId::from_uuid(row.invited_by),
        sent_at: row.sent_at,
        expires_at: row.expires_at,
        accepted_at: row.accepted_at,
        revoked_at: row.revoked_at,
    })
}

/// Neither accepted nor revoked.
fn open() -> Condition {
    Condition::all()
        .add(org_invitations::Column::AcceptedAt.is_null())
        .add(org_invitations::Column::RevokedAt.is_null())
}

/// Open and not expired at `now`.
fn pending(now: Timestamp) -> Condition {
    open().add(org_invitations::Column::ExpiresAt.gt(now))
}

#[async_trait::async_trait]
impl InvitationRepository for SeaOrgStorage {
    async fn insert_invitation(
        &self,
        tx: &mut dyn Transaction,
        invitation: &Invitation,
        token: &InvitationTokenHash,
    ) -> Result<(), RepoError> {
        let row = org_invitations::ActiveModel {
            id: Set(invitation.id.as_uuid()),
            org_id: Set(invitation.org_id.as_uuid()),
            email: Set(invitation.email.as_str().to_owned()),
            role: Set(invitation.role.as_str().to_owned()),
            token_hash: Set(token.0.clone()),
            invited_by: Set(invitation.invited_by.as_uuid()),
            sent_at: Set(invitation.sent_at),
            expires_at: Set(invitation.expires_at),
            accepted_at: Set(invitation.accepted_at),
            revoked_at: Set(invitation.revoked_at),
        };
        org_invitations::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
    ) -> Result<Option<Invitation>, RepoError> {
        org_invitations::Entity::find_by_id(id.as_uuid())
            .filter(org_invitations::Column::OrgId.eq(org.as_uuid()))
            .one_row(db_tx(tx)?)
            .await
            .map_err(repo_err)?
            .map(to_invitation)
            .transpose()
    }

    async fn invitation_by_token(
        &self,
        tx: &mut dyn Transaction,
        token: &InvitationTokenHash,
    ) -> Result<Option<Invitation>, RepoError> {
        org_invitations::Entity::find()
            .filter(org_invitations::Column::TokenHash.eq(token.0.as_str()))
            .one_row(db_tx(tx)?)
            .await
            .map_err(repo_err)?
            .map(to_invitation)
            .transpose()
    }

    async fn invitation_to(
        &self,
        tx: &mut dyn Transaction,
        id: InvitationId,
        email: &Email,
    ) -> Result<Option<Invitation>, RepoError> {
        org_invitations::Entity::find_by_id(id.as_uuid())
            .filter(org_invitations::Column::Email.eq(email.as_str()))
            .one_row(db_tx(tx)?)
            .await
            .map_err(repo_err)?
            .map(to_invitation)
            .transpose()
    }

    async fn pending_for(
        &self,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<(Invitation, OrgName)>, RepoError> {
        let rows = org_invitations::Entity::find()
            .filter(org_invitations::Column::Email.eq(email.as_str()))
            .filter(pending(now))
            .order_by_desc(org_invitations::Column::Id)
            .limit(100)
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let orgs = orgs_by_id(&self.conn, rows.iter().map(|r| r.org_id).collect()).await?;
        // An organization deleted between the two reads took its invitations with it.
        rows.into_iter()
            .filter_map(|row| {
                let name = orgs.get(&row.org_id)?.name.clone();
                Some(to_invitation(row).map(|i| (i, name)))
            })
            .collect()
    }

    async fn pending_to(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<Invitation>, RepoError> {
        org_invitations::Entity::find()
            .filter(org_invitations::Column::OrgId.eq(org.as_uuid()))
            .filter(org_invitations::Column::Email.eq(email.as_str()))
            .filter(pending(now))
            .all(db_tx(tx)?)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_invitation)
            .collect()
    }

    async fn pending_invitations(
        &self,
        org: OrgId,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, RepoError> {
        let mut query = org_invitations::Entity::find()
            .filter(org_invitations::Column::OrgId.eq(org.as_uuid()))
            .filter(pending(now));
        if let Some(cursor) = page.cursor() {
            query = query.filter(org_invitations::Column::Id.lt(cursor.last_id()));
        }
        let rows = query
            .order_by_desc(org_invitations::Column::Id)
            .limit(fetch_limit(page))
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_invitation)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Page::from_rows(rows, page, |i: &Invitation| i.id.as_uuid()))
    }

    async fn invitations_sent_since(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        since: Timestamp,
    ) -> Result<u64, RepoError> {
        org_invitations::Entity::find()
            .filter(org_invitations::Column::OrgId.eq(org.as_uuid()))
            .filter(org_invitations::Column::SentAt.gte(since))
            .count(db_tx(tx)?)
            .await
            .map_err(repo_err)
    }

    async fn renew_invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
        token: &InvitationTokenHash,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<bool, RepoError> {
        let result = org_invitations::Entity::update_many()
            .col_expr(
                org_invitations::Column::TokenHash,
                Expr::value(token.0.as_str()),
            )
            .col_expr(org_invitations::Column::SentAt, Expr::value(at))
            .col_expr(org_invitations::Column::ExpiresAt, Expr::value(expires_at))
            .filter(org_invitations::Column::Id.eq(id.as_uuid()))
            .filter(org_invitations::Column::OrgId.eq(org.as_uuid()))
            .filter(open())
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn revoke_invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
        at: Timestamp,
    ) -> Result<bool, RepoError> {
        let result = org_invitations::Entity::update_many()
            .col_expr(org_invitations::Column::RevokedAt, Expr::value(at))
            .filter(org_invitations::Column::Id.eq(id.as_uuid()))
            .filter(org_invitations::Column::OrgId.eq(org.as_uuid()))
            .filter(open())
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(result.rows_affected == 1)
    }

    async fn accept_invitation(
        &self,
        tx: &mut dyn Transaction,
        id: InvitationId,
        at: Timestamp,
    ) -> Result<bool, RepoError> {
        let result = org_invitations::Entity::update_many()
            .col_expr(org_invitations::Column::AcceptedAt, Expr::value(at))
            .filter(org_invitations::Column::Id.eq(id.as_uuid()))
            .filter(pending(at))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(result.rows_affected == 1)
    }
}
