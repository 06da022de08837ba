//! The event, its type and its audience.

use plinth_kernel::{OrgId, Timestamp, UserId};
use serde::{Deserialize, Serialize};

/// The position of a committed event in the outbox: one more than the event committed before
/// it, so a client that saw `n` has seen every event up to `n` (the `id` of the SSE stream and
/// its `Last-Event-ID`).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct EventId(pub u64);

impl EventId {
    /// The position after this one.
    #[must_use]
    pub const fn next(self) -> Self {
        Self(self.0.saturating_add(1))
    }
}

impl std::fmt::Display for EventId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

/// What happened. Stored and sent as its dotted name (`file.created`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum EventType {
    /// A file was uploaded (its first version).
    FileCreated,
    /// A new version of a file was uploaded.
    FileUpdated,
    /// A file and its versions were deleted.
    FileDeleted,
    /// A file was shared, or a share changed or ended.
    FileShared,
    /// A user's app-data document (`/me/data`) was replaced.
    AppDataChanged,
    /// An administrator published an announcement.
    AnnouncementPublished,
    /// An invoice was finalised (numbered, its amounts frozen).
    InvoiceFinalized,
    /// An invoice was paid.
    InvoicePaid,
    /// An invoice was voided.
    InvoiceVoided,
    /// A subscription was created, changed, cancelled, renewed or ended.
    SubscriptionChanged,
    /// An organization was created.
    OrganizationCreated,
    /// An organization was renamed, its billing contact changed, or it was suspended or
    /// reinstated.
    OrganizationUpdated,
    /// An organization was deleted.
    OrganizationDeleted,
    /// Someone joined an organization (an invitation was accepted).
    MembershipAdded,
    /// A member's role changed (including an ownership transfer).
    MembershipRoleChanged,
    /// A member left or was removed.
    MembershipRemoved,
    /// A user's profile, role or status changed.
    UserUpdated,
}

impl EventType {
    /// Every type.
    pub const ALL: &'static [Self] = &[
        Self::FileCreated,
        Self::FileUpdated,
        Self::FileDeleted,
        Self::FileShared,
        Self::AppDataChanged,
        Self::AnnouncementPublished,
        Self::InvoiceFinalized,
        Self::InvoicePaid,
        Self::InvoiceVoided,
        Self::SubscriptionChanged,
        Self::OrganizationCreated,
        Self::OrganizationUpdated,
        Self::OrganizationDeleted,
        Self::MembershipAdded,
        Self::MembershipRoleChanged,
        Self::MembershipRemoved,
        Self::UserUpdated,
    ];

    /// The dotted name, e.g. `file.created`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::FileCreated => "file.created",
            Self::FileUpdated => "file.updated",
            Self::FileDeleted => "file.deleted",
            Self::FileShared => "file.shared",
            Self::AppDataChanged => "app_data.changed",
            Self::AnnouncementPublished => "announcement.published",
            Self::InvoiceFinalized => "invoice.finalized",
            Self::InvoicePaid => "invoice.paid",
            Self::InvoiceVoided => "invoice.voided",
            Self::SubscriptionChanged => "subscription.changed",
            Self::OrganizationCreated => "organization.created",
            Self::OrganizationUpdated => "organization.updated",
            Self::OrganizationDeleted => "organization.deleted",
            Self::MembershipAdded => "membership.added",
            Self::MembershipRoleChanged => "membership.role_changed",
            Self::MembershipRemoved => "membership.removed",
            Self::UserUpdated => "user.updated",
        }
    }

    /// Parses a dotted name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|t| t.as_str() == s)
    }
}

impl std::fmt::Display for EventType {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which members of the event's organization see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemberAudience {
    /// Every member (of a suspended organization too).
    Any,
    /// Members whose role grants this organization permission (`org_files:read`…).
    WithPermission(String),
}

impl MemberAudience {
    /// How it is stored: `*` for any member, else the permission.
    #[must_use]
    pub fn as_stored(&self) -> &str {
        match self {
            Self::Any => "*",
            Self::WithPermission(p) => p,
        }
    }

    /// Reads the stored form back.
    #[must_use]
    pub fn from_stored(s: &str) -> Self {
        if s == "*" {
            Self::Any
        } else {
            Self::WithPermission(s.to_owned())
        }
    }
}

/// Who may see an event; anyone matching one of the parts does. Checked when the event is
/// delivered, not when it is written, so a permission change applies to open streams.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Audience {
    /// This user (the owner of a personal resource, the member a membership event is about).
    pub user: Option<UserId>,
    /// These members of the event's organization (needs [`DomainEvent::org_id`]).
    pub members: Option<MemberAudience>,
    /// Every signed-in user (announcements).
    pub everyone: bool,
}

impl Audience {
    /// Only `user`.
    #[must_use]
    pub fn user(user: UserId) -> Self {
        Self {
            user: Some(user),
            ..Self::default()
        }
    }

    /// Every signed-in user.
    #[must_use]
    pub fn everyone() -> Self {
        Self {
            everyone: true,
            ..Self::default()
        }
    }
}

/// Something that happened, as it is appended to the outbox.
#[derive(Debug, Clone, PartialEq)]
pub struct DomainEvent {
    /// What happened.
    pub event_type: EventType,
    /// When (the time of the change, from the service's clock).
    pub occurred_at: Timestamp,
    /// Who did it, when someone did (`None` for scheduled work and the payment provider).
    pub actor_id: Option<UserId>,
    /// The organization the resource belongs to, if any.
    pub org_id: Option<OrgId>,
    /// The kind of resource (`file`, `invoice`, `organization`, `user`…).
    pub resource_type: String,
    /// Its id.
    pub resource_id: String,
    /// A small JSON object of facts about the change (never secrets); clients fetch the
    /// resource for the rest.
    pub data: serde_json::Value,
    /// Who may see it.
    pub audience: Audience,
}

/// A committed event with its position.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredEvent {
    /// Its position in the outbox.
    pub id: EventId,
    /// The event.
    pub event: DomainEvent,
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn every_type_parses_back_from_its_name() {
        for t in EventType::ALL {
            assert_eq!(EventType::parse(t.as_str()), Some(*t));
        }
        assert_eq!(EventType::parse("file.exploded"), None);
    }

    #[test]
    fn member_audiences_are_stored_and_read_back() {
        for a in [
            MemberAudience::Any,
            MemberAudience::WithPermission("org_files:read".into()),
        ] {
            assert_eq!(MemberAudience::from_stored(a.as_stored()), a);
        }
    }
}
