//! The audit entry and the actions it can record.

use plinth_kernel::{RequestMeta, Timestamp};
use serde::Serialize;

mod canonical;

plinth_kernel::typed_id!(
    /// Identifies an audit entry (UUIDv7, so ids sort by time of writing).
    AuditEventId
);

/// The stable action names (listed in the OpenAPI document and `docs/security.md`, "Audit
/// trail"). Stored as their dotted string.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[non_exhaustive]
pub enum AuditAction {
    /// A new account was created.
    #[serde(rename = "auth.registered")]
    Registered,
    /// A login succeeded.
    #[serde(rename = "auth.login_succeeded")]
    LoginSucceeded,
    /// A login failed (wrong password, unknown email, suspended account).
    #[serde(rename = "auth.login_failed")]
    LoginFailed,
    /// A refresh token was rotated.
    #[serde(rename = "auth.refreshed")]
    Refreshed,
    /// Too many failed logins locked an account temporarily.
    #[serde(rename = "auth.locked")]
    Locked,
    /// A spent refresh token was presented after the reuse grace: its session was revoked.
    #[serde(rename = "auth.refresh_reuse_detected")]
    RefreshReuseDetected,
    /// A session was ended by its user.
    #[serde(rename = "auth.logout")]
    Logout,
    /// A signed-in user changed their password (other sessions were ended).
    #[serde(rename = "auth.password_changed")]
    PasswordChanged,
    /// A password was set through an emailed reset link (every session was ended).
    #[serde(rename = "auth.password_reset")]
    PasswordReset,
    /// An email address was confirmed through an emailed verification link.
    #[serde(rename = "auth.email_verified")]
    EmailVerified,
    /// An email change was asked for: a confirmation link went to the new address.
    #[serde(rename = "auth.email_change_requested")]
    EmailChangeRequested,
    /// The new address confirmed an email change: the account's address is now that one.
    #[serde(rename = "auth.email_changed")]
    EmailChanged,
    /// TOTP was activated: from now on sign-in needs a second step.
    #[serde(rename = "auth.mfa_enabled")]
    MfaEnabled,
    /// A wrong TOTP or recovery code was presented.
    #[serde(rename = "auth.mfa_failed")]
    MfaFailed,
    /// TOTP was removed by its user (password and code confirmed).
    #[serde(rename = "auth.mfa_disabled")]
    MfaDisabled,
    /// Someone asked for a passwordless sign-in mail (`details.outcome`: `mailed`,
    /// `signup_mailed`, `no_account` or `capped`; never the address).
    #[serde(rename = "auth.passwordless_requested")]
    PasswordlessRequested,
    /// A sign-in provider's identity (Google, GitHub, an OIDC issuer…) was linked to an
    /// account (`details.provider`; at sign-up, `details.signup: true`).
    #[serde(rename = "auth.identity_linked")]
    IdentityLinked,
    /// A user unlinked a sign-in provider's identity from their account (`details.provider`).
    #[serde(rename = "auth.identity_unlinked")]
    IdentityUnlinked,
    /// A user registered a passkey (`details.passkey_id`, `details.name`).
    #[serde(rename = "auth.passkey_added")]
    PasskeyAdded,
    /// A user renamed one of their passkeys (`details.passkey_id`, `details.name`).
    #[serde(rename = "auth.passkey_renamed")]
    PasskeyRenamed,
    /// A user removed one of their passkeys (`details.passkey_id`).
    #[serde(rename = "auth.passkey_removed")]
    PasskeyRemoved,
    /// A user changed their own profile.
    #[serde(rename = "user.updated")]
    UserUpdated,
    /// An account was deleted (by an administrator or by its user).
    #[serde(rename = "user.deleted")]
    UserDeleted,
    /// An administrator changed a user.
    #[serde(rename = "admin.user_updated")]
    AdminUserUpdated,
    /// A user's role changed.
    #[serde(rename = "admin.role_changed")]
    RoleChanged,
    /// An administrator posted an announcement.
    #[serde(rename = "admin.announcement_created")]
    AnnouncementCreated,
    /// A custom role was created.
    #[serde(rename = "admin.role_created")]
    RoleCreated,
    /// A file (or a new version) was stored.
    #[serde(rename = "file.uploaded")]
    FileUploaded,
    /// A file and its versions were deleted.
    #[serde(rename = "file.deleted")]
    FileDeleted,
    /// A file was shared (or a share changed or ended).
    #[serde(rename = "file.shared")]
    FileShared,
    /// A plan was created or changed.
    #[serde(rename = "billing.plan_changed")]
    PlanChanged,
    /// A draft invoice was created.
    #[serde(rename = "billing.invoice_created")]
    InvoiceCreated,
    /// A draft invoice's lines, discount, tax rate or payment term were changed.
    #[serde(rename = "billing.invoice_updated")]
    InvoiceUpdated,
    /// A draft invoice was deleted (a finalised one never is).
    #[serde(rename = "billing.invoice_deleted")]
    InvoiceDeleted,
    /// An invoice was finalised: numbered, its amounts frozen.
    #[serde(rename = "billing.invoice_finalized")]
    InvoiceFinalized,
    /// An invoice was paid.
    #[serde(rename = "billing.invoice_paid")]
    InvoicePaid,
    /// An open invoice was voided.
    #[serde(rename = "billing.invoice_voided")]
    InvoiceVoided,
    /// An open invoice was given up on as a debt.
    #[serde(rename = "billing.invoice_uncollectible")]
    InvoiceUncollectible,
    /// A subscription was created, changed, cancelled, renewed or ended.
    #[serde(rename = "billing.subscription_changed")]
    SubscriptionChanged,
    /// A payment provider's webhook event was received and processed (once per event id).
    #[serde(rename = "billing.webhook_received")]
    WebhookReceived,
    /// A customer started paying an open invoice through the payment provider (once per
    /// invoice: later attempts reuse that payment).
    #[serde(rename = "billing.payment_started")]
    PaymentStarted,
    /// A provider reported a payment of one of our invoices that does not match it (amount,
    /// currency or payment id): recorded with the expected and received values, not applied.
    #[serde(rename = "billing.payment_mismatch")]
    PaymentMismatch,
    /// An organization was created (its creator is its owner).
    #[serde(rename = "org.created")]
    OrgCreated,
    /// An organization was renamed.
    #[serde(rename = "org.renamed")]
    OrgRenamed,
    /// An organization's billing contact (who its invoices are addressed to) changed.
    #[serde(rename = "org.billing_contact_changed")]
    OrgBillingContactChanged,
    /// An organization was deleted by an owner, with its memberships and custom roles.
    #[serde(rename = "org.deleted")]
    OrgDeleted,
    /// A member's role in an organization changed.
    #[serde(rename = "org.member_role_changed")]
    OrgMemberRoleChanged,
    /// A member left an organization or was removed from it.
    #[serde(rename = "org.member_removed")]
    OrgMemberRemoved,
    /// An owner handed an organization on to another member (and became an admin).
    #[serde(rename = "org.ownership_transferred")]
    OrgOwnershipTransferred,
    /// A custom organization role was created.
    #[serde(rename = "org.role_created")]
    OrgRoleCreated,
    /// A custom organization role was deleted.
    #[serde(rename = "org.role_deleted")]
    OrgRoleDeleted,
    /// An invitation to join an organization was sent (or resent, `details.resent`).
    #[serde(rename = "org.invitation_sent")]
    OrgInvitationSent,
    /// A pending invitation was revoked.
    #[serde(rename = "org.invitation_revoked")]
    OrgInvitationRevoked,
    /// An invitation was accepted: its address's account joined the organization.
    #[serde(rename = "org.invitation_accepted")]
    OrgInvitationAccepted,
    /// An administrator suspended an organization: its members can only see it and leave it.
    #[serde(rename = "admin.org_suspended")]
    OrgSuspended,
    /// An administrator lifted an organization's suspension.
    #[serde(rename = "admin.org_reinstated")]
    OrgReinstated,
    /// The invitee declined a pending invitation: its link stopped working.
    #[serde(rename = "org.invitation_declined")]
    OrgInvitationDeclined,
    /// A session started acting for an organization, or for its user again.
    #[serde(rename = "auth.org_selected")]
    OrgSelected,
}

impl AuditAction {
    /// Every action, for parsing.
    pub const ALL: &'static [Self] = &[
        Self::Registered,
        Self::LoginSucceeded,
        Self::LoginFailed,
        Self::Locked,
        Self::Refreshed,
        Self::RefreshReuseDetected,
        Self::Logout,
        Self::PasswordChanged,
        Self::PasswordReset,
        Self::EmailVerified,
        Self::EmailChangeRequested,
        Self::EmailChanged,
        Self::MfaEnabled,
        Self::MfaFailed,
        Self::MfaDisabled,
        Self::PasswordlessRequested,
        Self::IdentityLinked,
        Self::IdentityUnlinked,
        Self::PasskeyAdded,
        Self::PasskeyRenamed,
        Self::PasskeyRemoved,
        Self::UserUpdated,
        Self::UserDeleted,
        Self::AdminUserUpdated,
        Self::RoleChanged,
        Self::AnnouncementCreated,
        Self::RoleCreated,
        Self::FileUploaded,
        Self::FileDeleted,
        Self::FileShared,
        Self::PlanChanged,
        Self::InvoiceCreated,
        Self::InvoiceUpdated,
        Self::InvoiceDeleted,
        Self::InvoiceFinalized,
        Self::InvoicePaid,
        Self::InvoiceVoided,
        Self::InvoiceUncollectible,
        Self::SubscriptionChanged,
        Self::WebhookReceived,
        Self::PaymentStarted,
        Self::PaymentMismatch,
        Self::OrgCreated,
        Self::OrgRenamed,
        Self::OrgBillingContactChanged,
        Self::OrgDeleted,
        Self::OrgMemberRoleChanged,
        Self::OrgMemberRemoved,
        Self::OrgOwnershipTransferred,
        Self::OrgRoleCreated,
        Self::OrgRoleDeleted,
        Self::OrgInvitationSent,
        Self::OrgInvitationRevoked,
        Self::OrgInvitationAccepted,
        Self::OrgSuspended,
        Self::OrgReinstated,
        Self::OrgInvitationDeclined,
        Self::OrgSelected,
    ];

    /// The dotted name stored and shown to clients, e.g. `auth.login_failed`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "auth.registered",
            Self::LoginSucceeded => "auth.login_succeeded",
            Self::LoginFailed => "auth.login_failed",
            Self::Locked => "auth.locked",
            Self::Refreshed => "auth.refreshed",
            Self::RefreshReuseDetected => "auth.refresh_reuse_detected",
            Self::Logout => "auth.logout",
            Self::PasswordChanged => "auth.password_changed",
            Self::PasswordReset => "auth.password_reset",
            Self::EmailVerified => "auth.email_verified",
            Self::EmailChangeRequested => "auth.email_change_requested",
            Self::EmailChanged => "auth.email_changed",
            Self::MfaEnabled => "auth.mfa_enabled",
            Self::MfaFailed => "auth.mfa_failed",
            Self::MfaDisabled => "auth.mfa_disabled",
            Self::PasswordlessRequested => "auth.passwordless_requested",
            Self::IdentityLinked => "auth.identity_linked",
            Self::IdentityUnlinked => "auth.identity_unlinked",
            Self::PasskeyAdded => "auth.passkey_added",
            Self::PasskeyRenamed => "auth.passkey_renamed",
            Self::PasskeyRemoved => "auth.passkey_removed",
            Self::UserUpdated => "user.updated",
            Self::UserDeleted => "user.deleted",
            Self::AdminUserUpdated => "admin.user_updated",
            Self::RoleChanged => "admin.role_changed",
            Self::AnnouncementCreated => "admin.announcement_created",
            Self::RoleCreated => "admin.role_created",
            Self::FileUploaded => "file.uploaded",
            Self::FileDeleted => "file.deleted",
            Self::FileShared => "file.shared",
            Self::PlanChanged => "billing.plan_changed",
            Self::InvoiceCreated => "billing.invoice_created",
            Self::InvoiceUpdated => "billing.invoice_updated",
            Self::InvoiceDeleted => "billing.invoice_deleted",
            Self::InvoiceFinalized => "billing.invoice_finalized",
            Self::InvoicePaid => "billing.invoice_paid",
            Self::InvoiceVoided => "billing.invoice_voided",
            Self::InvoiceUncollectible => "billing.invoice_uncollectible",
            Self::SubscriptionChanged => "billing.subscription_changed",
            Self::WebhookReceived => "billing.webhook_received",
            Self::PaymentStarted => "billing.payment_started",
            Self::PaymentMismatch => "billing.payment_mismatch",
            Self::OrgCreated => "org.created",
            Self::OrgRenamed => "org.renamed",
            Self::OrgBillingContactChanged => "org.billing_contact_changed",
            Self::OrgDeleted => "org.deleted",
            Self::OrgMemberRoleChanged => "org.member_role_changed",
            Self::OrgMemberRemoved => "org.member_removed",
            Self::OrgOwnershipTransferred => "org.ownership_transferred",
            Self::OrgRoleCreated => "org.role_created",
            Self::OrgRoleDeleted => "org.role_deleted",
            Self::OrgInvitationSent => "org.invitation_sent",
            Self::OrgInvitationRevoked => "org.invitation_revoked",
            Self::OrgInvitationAccepted => "org.invitation_accepted",
            Self::OrgSuspended => "admin.org_suspended",
            Self::OrgReinstated => "admin.org_reinstated",
            Self::OrgInvitationDeclined => "org.invitation_declined",
            Self::OrgSelected => "auth.org_selected",
        }
    }

    /// Parses a dotted name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|a| a.as_str() == s)
    }
}

impl std::fmt::Display for AuditAction {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One audit entry. `details` must never hold a password, token or secret.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    /// Entry id.
    pub id: AuditEventId,
    /// When it happened.
    pub at: Timestamp,
    /// Who did it (`None` for anonymous callers such as a failed login for an unknown email).
    pub actor_id: Option<uuid::Uuid>,
    /// What was done.
    pub action: AuditAction,
    /// The kind of thing acted on (`user`, `session`, `file`, `plan`…).
    pub target_type: Option<String>,
    /// The id of the thing acted on.
    pub target_id: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// Request id.
    pub request_id: Option<String>,
    /// Action-specific facts (JSON object), never secrets.
    pub details: serde_json::Value,
    /// The organization the entry belongs to, if any: what an organization's own audit view
    /// lists.
    pub org_id: Option<uuid::Uuid>,
}

impl AuditEvent {
    /// A new entry stamped with `at` and the request's metadata; `details` starts as `{}`.
    #[must_use]
    pub fn new(action: AuditAction, at: Timestamp, meta: &RequestMeta) -> Self {
        Self {
            id: AuditEventId::new(),
            at,
            actor_id: None,
            action,
            target_type: None,
            target_id: None,
            ip: meta.ip.clone(),
            user_agent: meta.user_agent.clone(),
            request_id: meta.request_id.clone(),
            details: serde_json::Value::Object(serde_json::Map::new()),
            org_id: None,
        }
    }

    /// Files the entry under organization `org` (its audit view lists it).
    #[must_use]
    pub fn org(mut self, org: impl Into<uuid::Uuid>) -> Self {
        self.org_id = Some(org.into());
        self
    }

    /// Sets the actor.
    #[must_use]
    pub fn actor(mut self, actor: impl Into<uuid::Uuid>) -> Self {
        self.actor_id = Some(actor.into());
        self
    }

    /// Sets the target.
    #[must_use]
    pub fn target(mut self, kind: &str, id: impl std::fmt::Display) -> Self {
        self.target_type = Some(kind.to_owned());
        self.target_id = Some(id.to_string());
        self
    }

    /// Sets the details object.
    #[must_use]
    pub fn details(mut self, details: serde_json::Value) -> Self {
        self.details = details;
        self
    }
}

/// Filters for listing entries; every field narrows the result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// Only this actor.
    pub actor_id: Option<uuid::Uuid>,
    /// Only this action.
    pub action: Option<AuditAction>,
    /// Only this target id.
    pub target_id: Option<String>,
    /// Only entries of this organization.
    pub org_id: Option<uuid::Uuid>,
    /// At or after.
    pub from: Option<Timestamp>,
    /// Before.
    pub to: Option<Timestamp>,
}
