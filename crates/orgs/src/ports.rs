//! The storage ports of the organizations domain. Every read that a member's request makes is
//! filtered by the organization **in the adapter** (a query names the organization, and the
//! user where one is asking), so a use case cannot forget the tenant; the contract suite in
//! [`crate::testing::contract`] proves it of every adapter.

use plinth_kernel::{Email, Page, PageRequest, RepoError, Timestamp, Transaction, UserId};

use crate::{
    BillingContact, Invitation, InvitationId, InvitationTokenHash, Member, MemberProfile,
    Membership, OrgId, OrgName, OrgOverview, OrgRole, OrgRoleName, Organization,
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

    /// `id`'s billing contact; `None` when the organization does not exist.
    ///
    /// # Errors
    /// Storage failure.
    async fn billing_contact(&self, id: OrgId) -> Result<Option<BillingContact>, RepoError>;

    /// Replaces `id`'s billing contact (and its `updated_at`).
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when it does not exist; storage failure.
    async fn set_billing_contact(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        contact: &BillingContact,
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

    /// Sets or clears `id`'s suspension.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when it does not exist; storage failure.
    async fn set_suspended(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        since: Option<Timestamp>,
    ) -> Result<(), RepoError>;

    /// Every organization whose name contains `q` (case-insensitively; all when `None`), with
    /// its member count, newest first: for administrators, not filtered by a membership.
    ///
    /// # Errors
    /// Storage failure.
    async fn search(
        &self,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<OrgOverview>, RepoError>;

    /// Organization `id` with its member count, for administrators; `None` when it does not
    /// exist.
    ///
    /// # Errors
    /// Storage failure.
    async fn overview(&self, id: OrgId) -> Result<Option<OrgOverview>, RepoError>;

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

    /// Every member of `org`, read inside `tx` (whose tokens a deletion or suspension ends).
    ///
    /// # Errors
    /// Storage failure.
    async fn member_ids(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
    ) -> Result<Vec<UserId>, RepoError>;

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

/// Ends what the access tokens acting for an organization can do, in the transaction of the
/// change that calls for it (served by the sessions domain's revocations): every replica
/// refuses them within its revocation sync interval, and the holders' next refresh re-reads
/// their standing.
#[async_trait::async_trait]
pub trait OrgTokenRevoker: Send + Sync {
    /// Revokes the tokens of each of `users` acting for `org` issued up to `at`.
    ///
    /// # Errors
    /// Storage failure.
    async fn revoke(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        users: &[UserId],
        at: Timestamp,
    ) -> Result<(), RepoError>;
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

/// Invitations to an organization. Every method but the token lookup names the organization.
#[async_trait::async_trait]
pub trait InvitationRepository: Send + Sync {
    /// Stores `invitation` with the hash of its token.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] when the id or the token hash exists; storage
    /// failure.
    async fn insert_invitation(
        &self,
        tx: &mut dyn Transaction,
        invitation: &Invitation,
        token: &InvitationTokenHash,
    ) -> Result<(), RepoError>;

    /// The invitation `id` of `org`, read inside `tx`; `None` when `org` has none of that id.
    ///
    /// # Errors
    /// Storage failure.
    async fn invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
    ) -> Result<Option<Invitation>, RepoError>;

    /// The invitation whose token hashes to `token`, read inside `tx`, whatever its state.
    ///
    /// # Errors
    /// Storage failure.
    async fn invitation_by_token(
        &self,
        tx: &mut dyn Transaction,
        token: &InvitationTokenHash,
    ) -> Result<Option<Invitation>, RepoError>;

    /// Invitation `id` if it was sent to `email` (whatever its state), read inside `tx`: the
    /// invitee's own lookup, filtered by their address.
    ///
    /// # Errors
    /// Storage failure.
    async fn invitation_to(
        &self,
        tx: &mut dyn Transaction,
        id: InvitationId,
        email: &Email,
    ) -> Result<Option<Invitation>, RepoError>;

    /// The invitations to `email` still pending at `now`, from every organization, newest
    /// first, at most 100, each with its organization's name.
    ///
    /// # Errors
    /// Storage failure.
    async fn pending_for(
        &self,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<(Invitation, OrgName)>, RepoError>;

    /// `org`'s invitations to `email` still pending at `now`, read inside `tx`.
    ///
    /// # Errors
    /// Storage failure.
    async fn pending_to(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<Invitation>, RepoError>;

    /// `org`'s invitations still pending at `now`, newest first.
    ///
    /// # Errors
    /// Storage failure.
    async fn pending_invitations(
        &self,
        org: OrgId,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, RepoError>;

    /// How many invitations `org` sent (or resent) at or after `since`, read inside `tx`.
    ///
    /// # Errors
    /// Storage failure.
    async fn invitations_sent_since(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        since: Timestamp,
    ) -> Result<u64, RepoError>;

    /// Gives invitation `id` of `org` a new token, sent at `at` and expiring at `expires_at`
    /// (the old link stops working), **only if it is neither accepted nor revoked**; `false`
    /// otherwise.
    ///
    /// # Errors
    /// Storage failure.
    async fn renew_invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
        token: &InvitationTokenHash,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<bool, RepoError>;

    /// Marks invitation `id` of `org` revoked at `at` **only if it is neither accepted nor
    /// revoked** (a conditional update); `false` otherwise.
    ///
    /// # Errors
    /// Storage failure.
    async fn revoke_invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
        at: Timestamp,
    ) -> Result<bool, RepoError>;

    /// Marks invitation `id` accepted at `at` **only if it is neither accepted nor revoked
    /// and not expired at `at`** (a conditional update): two concurrent acceptances, even on
    /// two replicas, can never both get `true`.
    ///
    /// # Errors
    /// Storage failure.
    async fn accept_invitation(
        &self,
        tx: &mut dyn Transaction,
        id: InvitationId,
        at: Timestamp,
    ) -> Result<bool, RepoError>;
}

/// Everything the organization service stores: one adapter serves the four seams.
pub trait OrgStorage:
    OrganizationRepository + MemberRepository + OrgRoleRepository + InvitationRepository
{
}

impl<T> OrgStorage for T where
    T: OrganizationRepository + MemberRepository + OrgRoleRepository + InvitationRepository
{
}

/// The message an invitation mail carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvitationMail {
    /// The invited address.
    pub to: Email,
    /// The organization's name.
    pub organization: String,
    /// The role offered.
    pub role: String,
    /// The link to accept it (it holds the token: never log it).
    pub link: String,
    /// When the link stops working.
    pub expires_at: Timestamp,
}

/// Sends invitation mail (the application layer bridges it to the mail adapter).
#[async_trait::async_trait]
pub trait InvitationMailer: Send + Sync {
    /// Hands `mail` over for delivery.
    ///
    /// # Errors
    /// A message for the log, never holding the link.
    async fn send_invitation(&self, mail: &InvitationMail) -> Result<(), String>;
}

/// The address an account has proven it controls (the application layer bridges it to the
/// accounts).
#[async_trait::async_trait]
pub trait VerifiedEmails: Send + Sync {
    /// `user`'s email address and whether it is verified; `None` when there is no such account.
    ///
    /// # Errors
    /// Storage failure.
    async fn email_of(&self, user: UserId) -> Result<Option<(Email, bool)>, RepoError>;
}
