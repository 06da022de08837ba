//! Organization bodies of `/api/v1/orgs`.

use chrono::{DateTime, Utc};
use plinth_kernel::Page;
use plinth_orgs::{
    Invitation, Member, MemberProfile, Membership, OrgAuditReport, OrgName, OrgOverview, OrgRole,
    SentInvitation,
};
use uuid::Uuid;

/// `POST /orgs`. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewOrganization, example = json!({ "name": "Northwind Dental" }))]
pub(crate) struct NewOrganizationRequest {
    /// 1–100 characters after trimming, no control characters.
    pub name: String,
}

/// `PATCH /orgs/{org_id}`. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrganizationPatch, example = json!({ "name": "Northwind Dental Group" }))]
pub(crate) struct OrganizationPatchRequest {
    /// The new name: 1–100 characters after trimming, no control characters.
    pub name: String,
}

/// `PUT /orgs/{org_id}/billing-contact`: who the organization's invoices are addressed to.
/// A field that is `null` or left out is cleared (back to its fallback). Unknown fields are
/// refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = BillingContactRequest, example = json!({
    "name": "Northwind Dental Group GmbH",
    "email": "accounts@northwind.example"
}))]
pub(crate) struct BillingContactRequest {
    /// The name on its invoices: 1–100 characters after trimming, no control characters;
    /// `null`: the organization's name.
    pub name: Option<String>,
    /// Where its invoices go; `null`: its longest-standing owner's address.
    #[schema(format = "email")]
    pub email: Option<String>,
}

/// An organization's billing contact.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = BillingContact, example = json!({
    "name": "Northwind Dental Group GmbH",
    "email": "accounts@northwind.example"
}))]
pub(crate) struct BillingContactBody {
    /// The name on its invoices; `null`: the organization's name.
    pub name: Option<String>,
    /// Where its invoices go; `null`: its longest-standing owner's address.
    pub email: Option<String>,
}

impl From<plinth_orgs::BillingContact> for BillingContactBody {
    fn from(c: plinth_orgs::BillingContact) -> Self {
        Self {
            name: c.name.map(|n| n.as_str().to_owned()),
            email: c.email.map(|e| e.as_str().to_owned()),
        }
    }
}

/// An organization as one of its members sees it, with their role there.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Organization, example = json!({
    "id": "0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61",
    "name": "Northwind Dental",
    "role": "owner",
    "created_at": "2026-12-07T09:30:00Z",
    "updated_at": "2026-12-07T09:30:00Z"
}))]
pub(crate) struct OrganizationBody {
    /// UUIDv7.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// The caller's role there: `owner`, `admin`, `member` or a custom role.
    pub role: String,
    /// When it was created (RFC 3339, UTC).
    pub created_at: DateTime<Utc>,
    /// When its name last changed.
    pub updated_at: DateTime<Utc>,
}

impl From<Membership> for OrganizationBody {
    fn from(m: Membership) -> Self {
        Self {
            id: m.organization.id.as_uuid(),
            name: m.organization.name.as_str().to_owned(),
            role: m.role.as_str().to_owned(),
            created_at: m.organization.created_at,
            updated_at: m.organization.updated_at,
        }
    }
}

/// `GET /orgs`: a page of the caller's organizations, newest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrganizationPage, example = json!({
    "items": [{
        "id": "0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61",
        "name": "Northwind Dental",
        "role": "owner",
        "created_at": "2026-12-07T09:30:00Z",
        "updated_at": "2026-12-07T09:30:00Z"
    }],
    "next_cursor": null
}))]
pub(crate) struct OrganizationPageBody {
    /// Newest first.
    pub items: Vec<OrganizationBody>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// A member of an organization.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrgMember, example = json!({
    "user_id": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6",
    "email": "ada@example.com",
    "name": "Ada Lovelace",
    "role": "admin",
    "joined_at": "2026-12-07T09:30:00Z"
}))]
pub(crate) struct OrgMemberBody {
    /// The member's account.
    pub user_id: Uuid,
    /// Their email address.
    pub email: String,
    /// Their display name.
    pub name: String,
    /// Their role in the organization.
    pub role: String,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

impl From<MemberProfile> for OrgMemberBody {
    fn from(m: MemberProfile) -> Self {
        Self {
            user_id: m.member.user_id.as_uuid(),
            email: m.email.as_str().to_owned(),
            name: m.name,
            role: m.member.role.as_str().to_owned(),
            joined_at: m.member.joined_at,
        }
    }
}

/// `GET /orgs/{org_id}/members`: a page of members, oldest account first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrgMemberPage, example = json!({
    "items": [{
        "user_id": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6",
        "email": "ada@example.com",
        "name": "Ada Lovelace",
        "role": "owner",
        "joined_at": "2026-12-07T09:30:00Z"
    }],
    "next_cursor": null
}))]
pub(crate) struct OrgMemberPageBody {
    /// By user id (oldest account first).
    pub items: Vec<OrgMemberBody>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

impl From<Page<MemberProfile>> for OrgMemberPageBody {
    fn from(page: Page<MemberProfile>) -> Self {
        Self {
            items: page.items.into_iter().map(OrgMemberBody::from).collect(),
            next_cursor: page.next_cursor.map(|c| c.encode()),
        }
    }
}

/// `PATCH /orgs/{org_id}/members/{user_id}`: a new role. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OrgMemberPatch, example = json!({ "role": "admin" }))]
pub(crate) struct OrgMemberPatchRequest {
    /// `owner`, `admin`, `member` or one of the organization's custom roles.
    pub role: String,
}

/// A member's role after a change.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrgMemberRole, example = json!({
    "user_id": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6",
    "role": "admin",
    "joined_at": "2026-12-07T09:30:00Z"
}))]
pub(crate) struct OrgMemberRoleBody {
    /// The member's account.
    pub user_id: Uuid,
    /// Their role now.
    pub role: String,
    /// When they joined.
    pub joined_at: DateTime<Utc>,
}

impl From<Member> for OrgMemberRoleBody {
    fn from(m: Member) -> Self {
        Self {
            user_id: m.user_id.as_uuid(),
            role: m.role.as_str().to_owned(),
            joined_at: m.joined_at,
        }
    }
}

/// `POST /orgs/{org_id}/ownership`: hand ownership on. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = OwnershipTransfer, example = json!({ "user_id": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6" }))]
pub(crate) struct OwnershipTransferRequest {
    /// The member who becomes owner.
    pub user_id: Uuid,
}

/// A role within an organization and what it grants.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrgRole, example = json!({
    "name": "bookkeeper",
    "rank": 0,
    "built_in": false,
    "permissions": ["org_billing:read"]
}))]
pub(crate) struct OrgRoleBody {
    /// `owner`, `admin` and `member` are built in; other names are the organization's own.
    pub name: String,
    /// `owner` 300, `admin` 200, `member` 100, custom roles 0: a member acts only on lower
    /// ranks.
    pub rank: i32,
    /// Whether it is one of the three built-in roles (which cannot be changed).
    pub built_in: bool,
    /// Its organization permissions, sorted: `org:write`, `members:read`, `members:write`,
    /// `org_files:read`, `org_files:write`, `org_billing:read`, `org_billing:write`,
    /// `org_audit:read`.
    pub permissions: Vec<String>,
}

impl From<OrgRole> for OrgRoleBody {
    fn from(r: OrgRole) -> Self {
        Self {
            built_in: r.name.is_built_in(),
            name: r.name.as_str().to_owned(),
            rank: r.rank,
            permissions: r.permissions.into_iter().collect(),
        }
    }
}

/// `GET /orgs/{org_id}/roles`: the built-in roles, then the custom ones by name.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrgRoleList, example = json!({ "items": [
    { "name": "owner", "rank": 300, "built_in": true, "permissions": ["members:read", "members:write", "org:write", "org_audit:read", "org_billing:read", "org_billing:write", "org_files:read", "org_files:write"] },
    { "name": "admin", "rank": 200, "built_in": true, "permissions": ["members:read", "members:write", "org:write", "org_audit:read", "org_billing:read", "org_billing:write", "org_files:read", "org_files:write"] },
    { "name": "member", "rank": 100, "built_in": true, "permissions": ["members:read", "org_files:read", "org_files:write"] },
    { "name": "bookkeeper", "rank": 0, "built_in": false, "permissions": ["org_billing:read"] }
] }))]
pub(crate) struct OrgRoleListBody {
    /// Built-in roles first (highest rank first), then custom roles by name.
    pub items: Vec<OrgRoleBody>,
}

/// `POST /orgs/{org_id}/roles`: a custom role. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewOrgRole, example = json!({ "name": "bookkeeper", "permissions": ["org_billing:read"] }))]
pub(crate) struct NewOrgRoleRequest {
    /// 2–32 characters of `a-z`, `0-9`, `_` or `-`; not `owner`, `admin` or `member`.
    pub name: String,
    /// Organization permissions the role grants (each one the creator holds).
    pub permissions: Vec<String>,
}

/// `POST /orgs/{org_id}/invitations`. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewOrgInvitation, example = json!({ "email": "grace@example.com", "role": "member" }))]
pub(crate) struct NewInvitationRequest {
    /// The address to invite; it needs no account yet.
    pub email: String,
    /// The role offered: `owner`, `admin`, `member` or a custom role of the organization.
    pub role: String,
}

/// An invitation as the organization sees it (never with its token).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrgInvitation, example = json!({
    "id": "0193a5d0-1e2f-7a3b-8c4d-5e6f70819203",
    "email": "grace@example.com",
    "role": "member",
    "invited_by": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6",
    "sent_at": "2026-12-07T10:00:00Z",
    "expires_at": "2026-12-14T10:00:00Z"
}))]
pub(crate) struct InvitationBody {
    /// UUIDv7.
    pub id: Uuid,
    /// The invited address (normalised).
    pub email: String,
    /// The role offered.
    pub role: String,
    /// The member who sent it.
    pub invited_by: Uuid,
    /// When it was last sent.
    pub sent_at: DateTime<Utc>,
    /// When its link stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<Invitation> for InvitationBody {
    fn from(i: Invitation) -> Self {
        Self {
            id: i.id.as_uuid(),
            email: i.email.as_str().to_owned(),
            role: i.role.as_str().to_owned(),
            invited_by: i.invited_by.as_uuid(),
            sent_at: i.sent_at,
            expires_at: i.expires_at,
        }
    }
}

/// An invitation just sent or resent, and whether its mail went out.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = SentOrgInvitation, example = json!({
    "invitation": {
        "id": "0193a5d0-1e2f-7a3b-8c4d-5e6f70819203",
        "email": "grace@example.com",
        "role": "member",
        "invited_by": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6",
        "sent_at": "2026-12-07T10:00:00Z",
        "expires_at": "2026-12-14T10:00:00Z"
    },
    "mailed": true
}))]
pub(crate) struct SentInvitationBody {
    /// The invitation.
    pub invitation: InvitationBody,
    /// `false` when the mail could not be handed over (the invitation stands: resend it).
    pub mailed: bool,
}

impl From<SentInvitation> for SentInvitationBody {
    fn from(s: SentInvitation) -> Self {
        Self {
            invitation: s.invitation.into(),
            mailed: s.mailed,
        }
    }
}

/// `GET /orgs/{org_id}/invitations`: pending invitations, newest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrgInvitationPage, example = json!({
    "items": [{
        "id": "0193a5d0-1e2f-7a3b-8c4d-5e6f70819203",
        "email": "grace@example.com",
        "role": "member",
        "invited_by": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6",
        "sent_at": "2026-12-07T10:00:00Z",
        "expires_at": "2026-12-14T10:00:00Z"
    }],
    "next_cursor": null
}))]
pub(crate) struct InvitationPageBody {
    /// Newest first.
    pub items: Vec<InvitationBody>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// `POST /invitations/accept`. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AcceptOrgInvitation, example = json!({ "token": "q3Jx0p2m8W1vZs5cT7bN4yA6dF9gH2kL0oP3rU8eI1w" }))]
pub(crate) struct AcceptInvitationRequest {
    /// The `token` of the invitation link.
    pub token: String,
}

/// `GET /admin/orgs`: search and page.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AdminOrgQuery {
    /// Case-insensitive substring of the name.
    pub q: Option<String>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// An organization as administrators see it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AdminOrganization, example = json!({
    "id": "0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61",
    "name": "Northwind Dental",
    "created_by": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6",
    "created_at": "2026-12-07T09:30:00Z",
    "updated_at": "2026-12-07T09:30:00Z",
    "suspended_at": null,
    "members": 3
}))]
pub(crate) struct AdminOrgBody {
    /// UUIDv7.
    pub id: Uuid,
    /// Display name.
    pub name: String,
    /// The account that created it (it may be gone since).
    pub created_by: Uuid,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When its name last changed.
    pub updated_at: DateTime<Utc>,
    /// Since when it is suspended; `null` while active.
    pub suspended_at: Option<DateTime<Utc>>,
    /// How many members it has.
    pub members: u64,
}

impl From<OrgOverview> for AdminOrgBody {
    fn from(o: OrgOverview) -> Self {
        let org = o.organization;
        Self {
            id: org.id.as_uuid(),
            name: org.name.as_str().to_owned(),
            created_by: org.created_by.as_uuid(),
            created_at: org.created_at,
            updated_at: org.updated_at,
            suspended_at: org.suspended_at,
            members: o.members,
        }
    }
}

/// `GET /admin/orgs`: a page of organizations, newest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AdminOrganizationPage, example = json!({
    "items": [{
        "id": "0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61",
        "name": "Northwind Dental",
        "created_by": "0193a5c1-2b3c-7d4e-8f50-61728394a5b6",
        "created_at": "2026-12-07T09:30:00Z",
        "updated_at": "2026-12-07T09:30:00Z",
        "suspended_at": null,
        "members": 3
    }],
    "next_cursor": null
}))]
pub(crate) struct AdminOrgPageBody {
    /// Newest first.
    pub items: Vec<AdminOrgBody>,
    /// Pass as `cursor` for the next page; `null` on the last one.
    pub next_cursor: Option<String>,
}

/// `PATCH /admin/orgs/{org_id}`. Unknown fields are refused.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = AdminOrganizationPatch, example = json!({ "suspended": true }))]
pub(crate) struct AdminOrgPatchRequest {
    /// `true` suspends the organization (its members can then only see it and leave it);
    /// `false` reinstates it.
    pub suspended: bool,
}

/// `GET /orgs/{org_id}/audit/verify`: what checking the organization's audit entries found.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = OrgAuditReport, example = json!({
    "ok": true,
    "checked": 42,
    "first_bad": null,
    "first_bad_seq": null,
    "trail_intact": true
}))]
pub(crate) struct OrgAuditReportBody {
    /// Every entry of the organization matches its stored hash and the whole trail verifies.
    pub ok: bool,
    /// Entries of the organization checked.
    pub checked: u64,
    /// The earliest entry of the organization that no longer matches its hash or no longer
    /// reads back as an entry; `null` when none (or when that row's id is unreadable).
    pub first_bad: Option<Uuid>,
    /// That entry's position in the trail.
    pub first_bad_seq: Option<u64>,
    /// Whether the whole trail verifies (an edited, deleted or reordered row anywhere makes it
    /// `false`). One bit about the rest of the trail, never its rows.
    pub trail_intact: bool,
}

impl From<OrgAuditReport> for OrgAuditReportBody {
    fn from(r: OrgAuditReport) -> Self {
        Self {
            ok: r.first_bad.is_none() && r.first_bad_seq.is_none() && r.trail_intact,
            checked: r.checked,
            first_bad: r.first_bad.map(|id| id.as_uuid()),
            first_bad_seq: r.first_bad_seq,
            trail_intact: r.trail_intact,
        }
    }
}

/// An invitation as its invitee sees it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = MyOrgInvitation, example = json!({
    "id": "0193a5d0-1e2f-7a3b-8c4d-5e6f70819203",
    "org_id": "0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61",
    "org_name": "Northwind Dental",
    "role": "member",
    "sent_at": "2026-12-07T10:00:00Z",
    "expires_at": "2026-12-14T10:00:00Z"
}))]
pub(crate) struct MyInvitationBody {
    /// The invitation.
    pub id: Uuid,
    /// The organization it is to.
    pub org_id: Uuid,
    /// That organization's name.
    pub org_name: String,
    /// The role offered.
    pub role: String,
    /// When it was last sent.
    pub sent_at: DateTime<Utc>,
    /// When it stops working.
    pub expires_at: DateTime<Utc>,
}

impl From<(Invitation, OrgName)> for MyInvitationBody {
    fn from((i, name): (Invitation, OrgName)) -> Self {
        Self {
            id: i.id.as_uuid(),
            org_id: i.org_id.as_uuid(),
            org_name: name.as_str().to_owned(),
            role: i.role.as_str().to_owned(),
            sent_at: i.sent_at,
            expires_at: i.expires_at,
        }
    }
}

/// `GET /invitations`: the invitations pending for the caller's verified address.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = MyOrgInvitationList, example = json!({ "items": [{
    "id": "0193a5d0-1e2f-7a3b-8c4d-5e6f70819203",
    "org_id": "0193a5c2-7d10-7b3e-9a41-5e8f0c2d4b61",
    "org_name": "Northwind Dental",
    "role": "member",
    "sent_at": "2026-12-07T10:00:00Z",
    "expires_at": "2026-12-14T10:00:00Z"
}] }))]
pub(crate) struct MyInvitationListBody {
    /// Newest first, at most 100.
    pub items: Vec<MyInvitationBody>,
}
