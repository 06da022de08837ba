//! The storage ports of the organizations domain. Every read that a member's request makes is
//! filtered by the organization **in the adapter** (a query names the organization, and the
//! user where one is asking), so a use case cannot forget the tenant; the contract suite in
//! [`crate::testing::contract`] proves it of every adapter.

use plinth_kernel::{Page, PageRequest, RepoError, Timestamp, Transaction, UserId};

use crate::{
    Member, MemberProfile, Membership, OrgId, OrgName, OrgRole, OrgRoleName, Organization,
};

/// Organizations, read only through a membership.
#[async_trait::async_trait]
pub trait OrganizationRepository: Send + Sync {
    /// Stores `org` and `owner` as its first member, together.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] when the id exists; storage failure.
    async fn insert(
        &self,
        tx: &mut dyn Transaction,
        org: &Organization,
        owner: &Member,
    ) -> Result<(), RepoError>;

    /// Reads `id` inside `tx` and holds off every other transaction that locks it until `tx`
    /// ends, so membership changes of one organization happen one after another (the
    /// last-owner rule reads, then writes). `None` when it does not exist.
    ///
    /// # Errors
    /// Storage failure.
    async fn lock(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
    ) -> Result<Option<Organization>, RepoError>;

    /// Renames `id`.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when it does not exist; storage failure.
    async fn rename(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        name: &OrgName,
        at: Timestamp,
    ) -> Result<(), RepoError>;

    /// Deletes `id` with its members, custom roles and invitations.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when it does not exist; storage failure.
    async fn delete(&self, tx: &mut dyn Transaction, id: OrgId) -> Result<(), RepoError>;

    /// `id` with `user`'s role there; `None` when it does not exist **or `user` is not a
    /// member**: the two are one answer.
    ///
    /// # Errors
    /// Storage failure.
    async fn membership(&self, id: OrgId, user: UserId) -> Result<Option<Membership>, RepoError>;

    /// The organizations `user` belongs to, newest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn memberships(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<Membership>, RepoError>;
}

/// The members of an organization. Every method names the organization.
#[async_trait::async_trait]
pub trait MemberRepository: Send + Sync {
    /// Adds `member` to `org`.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "org_members.user_id"` when
    /// they are a member already; storage failure.
    async fn add_member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        member: &Member,
    ) -> Result<(), RepoError>;

    /// `user`'s membership of `org`, read inside `tx`; `None` when they are not a member.
    ///
    /// # Errors
    /// Storage failure.
    async fn member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<Member>, RepoError>;

    /// The owners of `org`, read inside `tx`.
    ///
    /// # Errors
    /// Storage failure.
    async fn owners(&self, tx: &mut dyn Transaction, org: OrgId) -> Result<Vec<UserId>, RepoError>;

    /// How many members of `org` hold `role`, read inside `tx`.
    ///
    /// # Errors
    /// Storage failure.
    async fn holders(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        role: &OrgRoleName,
    ) -> Result<u64, RepoError>;

    /// Every organization `user` belongs to, with their role there, read inside `tx`.
    ///
    /// # Errors
    /// Storage failure.
    async fn memberships_of(
        &self,
        tx: &mut dyn Transaction,
        user: UserId,
    ) -> Result<Vec<(OrgId, OrgRoleName)>, RepoError>;

    /// How many members `org` has, read inside `tx`.
    ///
    /// # Errors
    /// Storage failure.
    async fn member_count(&self, tx: &mut dyn Transaction, org: OrgId) -> Result<u64, RepoError>;

    /// Gives `user` the role `role` in `org`.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when they are not a member; storage failure.
    async fn set_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
        role: &OrgRoleName,
    ) -> Result<(), RepoError>;

    /// Removes `user` from `org`.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when they are not a member; storage failure.
    async fn remove_member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
    ) -> Result<(), RepoError>;

    /// The members of `org` with their addresses and names, by user id (oldest account
    /// first). Only `org`'s.
    ///
    /// # Errors
    /// Storage failure.
    async fn members(
        &self,
        org: OrgId,
        page: PageRequest,
    ) -> Result<Page<MemberProfile>, RepoError>;
}

/// The custom roles of an organization (the built-in ones are code, not rows).
#[async_trait::async_trait]
pub trait OrgRoleRepository: Send + Sync {
    /// Stores `role` as one of `org`'s custom roles.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "org_roles.name"` when `org`
    /// has a role of that name; storage failure.
    async fn insert_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        role: &OrgRole,
    ) -> Result<(), RepoError>;

    /// `org`'s custom role `name`, read inside `tx`; `None` when it has none of that name.
    ///
    /// # Errors
    /// Storage failure.
    async fn custom_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        name: &OrgRoleName,
    ) -> Result<Option<OrgRole>, RepoError>;

    /// `org`'s custom roles, by name. Only `org`'s.
    ///
    /// # Errors
    /// Storage failure.
    async fn custom_roles(&self, org: OrgId) -> Result<Vec<OrgRole>, RepoError>;

    /// Deletes `org`'s custom role `name`.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when `org` has none of that name; storage failure.
    async fn delete_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        name: &OrgRoleName,
    ) -> Result<(), RepoError>;
}

/// Everything the organization service stores: one adapter serves the three seams.
pub trait OrgStorage: OrganizationRepository + MemberRepository + OrgRoleRepository {}

impl<T: OrganizationRepository + MemberRepository + OrgRoleRepository> OrgStorage for T {}
