//! [`SeaOrgStorage`]: `organizations`, `org_members` and `org_roles` rows ↔ the organizations
//! domain. Every query names the organization (and the user, where one is asking): the
//! tenant filter lives here, not in a handler.

use std::collections::{BTreeSet, HashMap};

use plinth_kernel::{Email, Page, PageRequest, RepoError, Timestamp, Transaction, UserId};
use plinth_orgs::{
    BillingContact, Member, MemberProfile, MemberRepository, Membership, OrgId, OrgName,
    OrgOverview, OrgRole, OrgRoleName, OrgRoleRepository, Organization, OrganizationRepository,
};
use sea_orm::sea_query::{Expr, ExprTrait as _, Func, LikeExpr};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect,
};

mod invitations;

use super::{LIKE_ESCAPE, OneRow as _, contains_pattern, corrupt, fetch_limit, found};
use crate::entities::{org_members, org_roles, organizations, users};
use crate::error::repo_err;
use crate::uow::db_tx;

/// The [`plinth_orgs::OrgStorage`] on SQL.
#[derive(Clone)]
pub struct SeaOrgStorage {
    conn: DatabaseConnection,
}

impl SeaOrgStorage {
    /// A repository reading through `conn`.
    #[must_use]
    pub fn new(conn: DatabaseConnection) -> Self {
        Self { conn }
    }
}

fn to_org(row: organizations::Model) -> Result<Organization, RepoError> {
    Ok(Organization {
        id: OrgId::from_uuid(row.id),
        name: OrgName::parse(&row.name)
            .map_err(|e| corrupt(format_args!("organizations.name of {}: {e}", row.id)))?,
        created_by: UserId::from_uuid(row.created_by),
        created_at: row.created_at,
        updated_at: row.updated_at,
        suspended_at: row.suspended_at,
    })
}

fn to_member(row: &org_members::Model) -> Member {
    Member {
        user_id: UserId::from_uuid(row.user_id),
        role: OrgRoleName::stored(row.role.clone()),
        joined_at: row.joined_at,
    }
}

fn member_row(org: OrgId, member: &Member) -> org_members::ActiveModel {
    org_members::ActiveModel {
        org_id: Set(org.as_uuid()),
        user_id: Set(member.user_id.as_uuid()),
        role: Set(member.role.as_str().to_owned()),
        joined_at: Set(member.joined_at),
    }
}

fn to_role(row: org_roles::Model) -> OrgRole {
    OrgRole {
        name: OrgRoleName::stored(row.name),
        rank: OrgRole::CUSTOM_RANK,
        permissions: row
            .permissions
            .split_whitespace()
            .map(str::to_owned)
            .collect::<BTreeSet<_>>(),
    }
}

/// `Duplicate` as the port names it, whatever the backend calls the key.
fn duplicate_as(constraint: &str) -> impl Fn(RepoError) -> RepoError + '_ {
    move |e| match e {
        RepoError::Duplicate { .. } => RepoError::Duplicate {
            constraint: constraint.to_owned(),
        },
        other => other,
    }
}

/// How many members each of the organizations `ids` has (those with none are absent).
async fn member_counts(
    db: &impl ConnectionTrait,
    ids: Vec<uuid::Uuid>,
) -> Result<HashMap<uuid::Uuid, u64>, RepoError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    let rows: Vec<(uuid::Uuid, i64)> = org_members::Entity::find()
        .select_only()
        .column(org_members::Column::OrgId)
        .column_as(org_members::Column::UserId.count(), "members")
        .filter(org_members::Column::OrgId.is_in(ids))
        .group_by(org_members::Column::OrgId)
        .into_tuple()
        .all(db)
        .await
        .map_err(repo_err)?;
    Ok(rows
        .into_iter()
        .map(|(id, n)| (id, u64::try_from(n).unwrap_or(0)))
        .collect())
}

/// The organizations `ids`, by id.
pub(super) async fn orgs_by_id(
    db: &impl ConnectionTrait,
    ids: Vec<uuid::Uuid>,
) -> Result<HashMap<uuid::Uuid, Organization>, RepoError> {
    if ids.is_empty() {
        return Ok(HashMap::new());
    }
    organizations::Entity::find()
        .filter(organizations::Column::Id.is_in(ids))
        .all(db)
        .await
        .map_err(repo_err)?
        .into_iter()
        .map(|row| Ok((row.id, to_org(row)?)))
        .collect()
}

#[async_trait::async_trait]
impl OrganizationRepository for SeaOrgStorage {
    async fn insert(
        &self,
        tx: &mut dyn Transaction,
        org: &Organization,
        owner: &Member,
    ) -> Result<(), RepoError> {
        let db = db_tx(tx)?;
        let row = organizations::ActiveModel {
            id: Set(org.id.as_uuid()),
            name: Set(org.name.as_str().to_owned()),
            created_by: Set(org.created_by.as_uuid()),
            created_at: Set(org.created_at),
            updated_at: Set(org.updated_at),
            suspended_at: Set(org.suspended_at),
            billing_name: Set(None),
            billing_email: Set(None),
        };
        organizations::Entity::insert(row)
            .exec_without_returning(db)
            .await
            .map_err(repo_err)
            .map_err(duplicate_as("organizations.id"))?;
        org_members::Entity::insert(member_row(org.id, owner))
            .exec_without_returning(db)
            .await
            .map_err(repo_err)?;
        Ok(())
    }

    async fn lock(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
    ) -> Result<Option<Organization>, RepoError> {
        let db = db_tx(tx)?;
        // Touching the row takes its lock on PostgreSQL until the transaction ends; on SQLite
        // the `IMMEDIATE` transaction already holds the database's write lock.
        organizations::Entity::update_many()
            .col_expr(
                organizations::Column::UpdatedAt,
                Expr::col(organizations::Column::UpdatedAt),
            )
            .filter(organizations::Column::Id.eq(id.as_uuid()))
            .exec(db)
            .await
            .map_err(repo_err)?;
        organizations::Entity::find_by_id(id.as_uuid())
            .one_row(db)
            .await
            .map_err(repo_err)?
            .map(to_org)
            .transpose()
    }

    async fn rename(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        name: &OrgName,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let result = organizations::Entity::update_many()
            .col_expr(organizations::Column::Name, Expr::value(name.as_str()))
            .col_expr(organizations::Column::UpdatedAt, Expr::value(at))
            .filter(organizations::Column::Id.eq(id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }

    async fn billing_contact(&self, id: OrgId) -> Result<Option<BillingContact>, RepoError> {
        let Some(row) = organizations::Entity::find_by_id(id.as_uuid())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
        else {
            return Ok(None);
        };
        let name = row
            .billing_name
            .map(|n| OrgName::parse(&n))
            .transpose()
            .map_err(|e| corrupt(format_args!("organizations.billing_name of {id}: {}", e.0)))?;
        let email = row
            .billing_email
            .map(|e| Email::parse(&e))
            .transpose()
            .map_err(|e| corrupt(format_args!("organizations.billing_email of {id}: {e}")))?;
        Ok(Some(BillingContact { name, email }))
    }

    async fn set_billing_contact(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        contact: &BillingContact,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let result = organizations::Entity::update_many()
            .col_expr(
                organizations::Column::BillingName,
                Expr::value(contact.name.as_ref().map(|n| n.as_str().to_owned())),
            )
            .col_expr(
                organizations::Column::BillingEmail,
                Expr::value(contact.email.as_ref().map(|e| e.as_str().to_owned())),
            )
            .col_expr(organizations::Column::UpdatedAt, Expr::value(at))
            .filter(organizations::Column::Id.eq(id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }

    async fn delete(&self, tx: &mut dyn Transaction, id: OrgId) -> Result<(), RepoError> {
        // Members and custom roles go by `ON DELETE CASCADE`.
        let result = organizations::Entity::delete_by_id(id.as_uuid())
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }

    async fn set_suspended(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        since: Option<Timestamp>,
    ) -> Result<(), RepoError> {
        let result = organizations::Entity::update_many()
            .col_expr(organizations::Column::SuspendedAt, Expr::value(since))
            .filter(organizations::Column::Id.eq(id.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }

    async fn search(
        &self,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<OrgOverview>, RepoError> {
        let mut query = organizations::Entity::find();
        if let Some(q) = q.map(str::trim).filter(|q| !q.is_empty()) {
            let pattern = contains_pattern(&q.to_lowercase());
            query = query.filter(
                Expr::expr(Func::lower(Expr::col(organizations::Column::Name)))
                    .like(LikeExpr::new(pattern).escape(LIKE_ESCAPE)),
            );
        }
        if let Some(cursor) = page.cursor() {
            query = query.filter(organizations::Column::Id.lt(cursor.last_id()));
        }
        let rows = query
            .order_by_desc(organizations::Column::Id)
            .limit(fetch_limit(page))
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let mut counts = member_counts(&self.conn, rows.iter().map(|r| r.id).collect()).await?;
        let items = rows
            .into_iter()
            .map(|row| {
                let members = counts.remove(&row.id).unwrap_or(0);
                Ok(OrgOverview {
                    organization: to_org(row)?,
                    members,
                })
            })
            .collect::<Result<Vec<_>, RepoError>>()?;
        Ok(Page::from_rows(items, page, |o: &OrgOverview| {
            o.organization.id.as_uuid()
        }))
    }

    async fn overview(&self, id: OrgId) -> Result<Option<OrgOverview>, RepoError> {
        let Some(row) = organizations::Entity::find_by_id(id.as_uuid())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
        else {
            return Ok(None);
        };
        let members = member_counts(&self.conn, vec![row.id])
            .await?
            .remove(&row.id)
            .unwrap_or(0);
        Ok(Some(OrgOverview {
            organization: to_org(row)?,
            members,
        }))
    }

    async fn membership(&self, id: OrgId, user: UserId) -> Result<Option<Membership>, RepoError> {
        let Some(member) = org_members::Entity::find_by_id((id.as_uuid(), user.as_uuid()))
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?
        else {
            return Ok(None);
        };
        let org = organizations::Entity::find_by_id(id.as_uuid())
            .one_row(&self.conn)
            .await
            .map_err(repo_err)?;
        org.map(|row| {
            Ok(Membership {
                organization: to_org(row)?,
                role: OrgRoleName::stored(member.role),
            })
        })
        .transpose()
    }

    async fn memberships(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<Membership>, RepoError> {
        let mut query =
            org_members::Entity::find().filter(org_members::Column::UserId.eq(user.as_uuid()));
        if let Some(cursor) = page.cursor() {
            query = query.filter(org_members::Column::OrgId.lt(cursor.last_id()));
        }
        let rows = query
            .order_by_desc(org_members::Column::OrgId)
            .limit(fetch_limit(page))
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let mut orgs = orgs_by_id(&self.conn, rows.iter().map(|r| r.org_id).collect()).await?;
        // An organization deleted between the two reads is left out (its cursor is unchanged).
        let items = rows
            .into_iter()
            .filter_map(|row| {
                orgs.remove(&row.org_id).map(|organization| Membership {
                    organization,
                    role: OrgRoleName::stored(row.role),
                })
            })
            .collect();
        Ok(Page::from_rows(items, page, |m: &Membership| {
            m.organization.id.as_uuid()
        }))
    }
}

#[async_trait::async_trait]
impl MemberRepository for SeaOrgStorage {
    async fn add_member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        member: &Member,
    ) -> Result<(), RepoError> {
        org_members::Entity::insert(member_row(org, member))
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)
            .map_err(duplicate_as("org_members.user_id"))?;
        Ok(())
    }

    async fn member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<Member>, RepoError> {
        Ok(
            org_members::Entity::find_by_id((org.as_uuid(), user.as_uuid()))
                .one_row(db_tx(tx)?)
                .await
                .map_err(repo_err)?
                .as_ref()
                .map(to_member),
        )
    }

    async fn owners(&self, tx: &mut dyn Transaction, org: OrgId) -> Result<Vec<UserId>, RepoError> {
        let owners: Vec<uuid::Uuid> = org_members::Entity::find()
            .select_only()
            .column(org_members::Column::UserId)
            .filter(org_members::Column::OrgId.eq(org.as_uuid()))
            .filter(org_members::Column::Role.eq(OrgRole::owner().name.as_str()))
            .into_tuple()
            .all(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(owners.into_iter().map(UserId::from_uuid).collect())
    }

    async fn member_ids(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
    ) -> Result<Vec<UserId>, RepoError> {
        let members: Vec<uuid::Uuid> = org_members::Entity::find()
            .select_only()
            .column(org_members::Column::UserId)
            .filter(org_members::Column::OrgId.eq(org.as_uuid()))
            .into_tuple()
            .all(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(members.into_iter().map(UserId::from_uuid).collect())
    }

    async fn holders(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        role: &OrgRoleName,
    ) -> Result<u64, RepoError> {
        org_members::Entity::find()
            .filter(org_members::Column::OrgId.eq(org.as_uuid()))
            .filter(org_members::Column::Role.eq(role.as_str()))
            .count(db_tx(tx)?)
            .await
            .map_err(repo_err)
    }

    async fn memberships_of(
        &self,
        tx: &mut dyn Transaction,
        user: UserId,
    ) -> Result<Vec<(OrgId, OrgRoleName)>, RepoError> {
        let rows: Vec<(uuid::Uuid, String)> = org_members::Entity::find()
            .select_only()
            .column(org_members::Column::OrgId)
            .column(org_members::Column::Role)
            .filter(org_members::Column::UserId.eq(user.as_uuid()))
            .order_by_asc(org_members::Column::OrgId)
            .into_tuple()
            .all(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        Ok(rows
            .into_iter()
            .map(|(org, role)| (OrgId::from_uuid(org), OrgRoleName::stored(role)))
            .collect())
    }

    async fn member_count(&self, tx: &mut dyn Transaction, org: OrgId) -> Result<u64, RepoError> {
        org_members::Entity::find()
            .filter(org_members::Column::OrgId.eq(org.as_uuid()))
            .count(db_tx(tx)?)
            .await
            .map_err(repo_err)
    }

    async fn set_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
        role: &OrgRoleName,
    ) -> Result<(), RepoError> {
        let result = org_members::Entity::update_many()
            .col_expr(org_members::Column::Role, Expr::value(role.as_str()))
            .filter(org_members::Column::OrgId.eq(org.as_uuid()))
            .filter(org_members::Column::UserId.eq(user.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }

    async fn remove_member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
    ) -> Result<(), RepoError> {
        let result = org_members::Entity::delete_many()
            .filter(org_members::Column::OrgId.eq(org.as_uuid()))
            .filter(org_members::Column::UserId.eq(user.as_uuid()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }

    async fn members(
        &self,
        org: OrgId,
        page: PageRequest,
    ) -> Result<Page<MemberProfile>, RepoError> {
        let mut query =
            org_members::Entity::find().filter(org_members::Column::OrgId.eq(org.as_uuid()));
        if let Some(cursor) = page.cursor() {
            query = query.filter(org_members::Column::UserId.gt(cursor.last_id()));
        }
        let rows = query
            .order_by_asc(org_members::Column::UserId)
            .limit(fetch_limit(page))
            .all(&self.conn)
            .await
            .map_err(repo_err)?;
        let ids: Vec<uuid::Uuid> = rows.iter().map(|r| r.user_id).collect();
        let profiles: HashMap<uuid::Uuid, (String, String)> = if ids.is_empty() {
            HashMap::new()
        } else {
            users::Entity::find()
                .select_only()
                .column(users::Column::Id)
                .column(users::Column::Email)
                .column(users::Column::Name)
                .filter(users::Column::Id.is_in(ids))
                .into_tuple::<(uuid::Uuid, String, String)>()
                .all(&self.conn)
                .await
                .map_err(repo_err)?
                .into_iter()
                .map(|(id, email, name)| (id, (email, name)))
                .collect()
        };
        let mut items = Vec::with_capacity(rows.len());
        for row in &rows {
            // An account deleted between the two reads took its membership with it.
            let Some((email, name)) = profiles.get(&row.user_id) else {
                continue;
            };
            items.push(MemberProfile {
                member: to_member(row),
                email: Email::parse(email)
                    .map_err(|e| corrupt(format_args!("users.email of {}: {e}", row.user_id)))?,
                name: name.clone(),
            });
        }
        Ok(Page::from_rows(items, page, |m: &MemberProfile| {
            m.member.user_id.as_uuid()
        }))
    }
}

#[async_trait::async_trait]
impl OrgRoleRepository for SeaOrgStorage {
    async fn insert_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        role: &OrgRole,
    ) -> Result<(), RepoError> {
        let permissions: Vec<&str> = role.permissions.iter().map(String::as_str).collect();
        let row = org_roles::ActiveModel {
            org_id: Set(org.as_uuid()),
            name: Set(role.name.as_str().to_owned()),
            permissions: Set(permissions.join(" ")),
        };
        org_roles::Entity::insert(row)
            .exec_without_returning(db_tx(tx)?)
            .await
            .map_err(repo_err)
            .map_err(duplicate_as("org_roles.name"))?;
        Ok(())
    }

    async fn custom_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        name: &OrgRoleName,
    ) -> Result<Option<OrgRole>, RepoError> {
        Ok(
            org_roles::Entity::find_by_id((org.as_uuid(), name.as_str().to_owned()))
                .one_row(db_tx(tx)?)
                .await
                .map_err(repo_err)?
                .map(to_role),
        )
    }

    async fn custom_roles(&self, org: OrgId) -> Result<Vec<OrgRole>, RepoError> {
        Ok(org_roles::Entity::find()
            .filter(org_roles::Column::OrgId.eq(org.as_uuid()))
            .order_by_asc(org_roles::Column::Name)
            .all(&self.conn)
            .await
            .map_err(repo_err)?
            .into_iter()
            .map(to_role)
            .collect())
    }

    async fn delete_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        name: &OrgRoleName,
    ) -> Result<(), RepoError> {
        let result = org_roles::Entity::delete_many()
            .filter(org_roles::Column::OrgId.eq(org.as_uuid()))
            .filter(org_roles::Column::Name.eq(name.as_str()))
            .exec(db_tx(tx)?)
            .await
            .map_err(repo_err)?;
        found(result.rows_affected)
    }
}
