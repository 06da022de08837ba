//! [`project`]: the event an audit entry implies, if clients care about it.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{OrgId, UserId};
use plinth_orgs::OrgPermission;
use serde_json::{Map, Value};

use crate::{Audience, DomainEvent, EventType, MemberAudience};

/// The event that audit entry `entry` reports to clients, or `None` for the entries that stay
/// in the audit trail only (sign-ins, refreshes, failed attempts, drafts…).
///
/// The audience follows who owns the resource: an organization's file, invoice or
/// subscription goes to its members holding the matching read permission; a personal one to
/// its user; a membership change to the members who may see the member list and to the member
/// it is about; an announcement to everyone.
#[must_use]
pub fn project(entry: &AuditEvent) -> Option<DomainEvent> {
    use AuditAction as A;
    let org = entry.org_id.map(OrgId::from_uuid);
    let actor = entry.actor_id.map(UserId::from_uuid);
    let target_user = entry.target_id.as_deref().and_then(parse_user);
    let detail_user = |key: &str| {
        entry
            .details
            .get(key)
            .and_then(Value::as_str)
            .and_then(parse_user)
    };
    let (event_type, audience, keys): (EventType, Audience, &[&str]) = match entry.action {
        A::FileUploaded => {
            let first = entry.details.get("version").and_then(Value::as_u64) == Some(1);
            let kind = if first {
                EventType::FileCreated
            } else {
                EventType::FileUpdated
            };
            let owner = detail_user("owner_id").or(actor);
            (
                kind,
                owned(org, OrgPermission::FILES_READ, owner),
                &["name", "size", "version"],
            )
        }
        A::FileDeleted => (
            EventType::FileDeleted,
            owned(org, OrgPermission::FILES_READ, actor),
            &[],
        ),
        A::FileShared => (
            EventType::FileShared,
            owned(org, OrgPermission::FILES_READ, actor),
            &["email", "permission"],
        ),
        A::AnnouncementCreated => (
            EventType::AnnouncementPublished,
            Audience::everyone(),
            &["title"],
        ),
        A::InvoiceFinalized | A::InvoicePaid | A::InvoiceVoided => {
            let kind = match entry.action {
                A::InvoiceFinalized => EventType::InvoiceFinalized,
                A::InvoicePaid => EventType::InvoicePaid,
                _ => EventType::InvoiceVoided,
            };
            (
                kind,
                owned(org, OrgPermission::BILLING_READ, detail_user("user_id")),
                &["number", "status", "total", "currency"],
            )
        }
        A::SubscriptionChanged => (
            EventType::SubscriptionChanged,
            owned(org, OrgPermission::BILLING_READ, detail_user("user_id")),
            &[
                "change",
                "status",
                "plan_id",
                "quantity",
                "cancel_at_period_end",
            ],
        ),
        A::OrgCreated => (
            EventType::OrganizationCreated,
            Audience {
                user: actor,
                members: Some(MemberAudience::Any),
                everyone: false,
            },
            &["name"],
        ),
        A::OrgRenamed | A::OrgBillingContactChanged | A::OrgSuspended | A::OrgReinstated => (
            EventType::OrganizationUpdated,
            members(MemberAudience::Any, None),
            &["name"],
        ),
        // Its members are gone by the time the event is delivered: only whoever deleted it
        // (or whose erasure did) is told.
        A::OrgDeleted => (
            EventType::OrganizationDeleted,
            Audience {
                user: detail_user("erased_member").or(actor),
                ..Audience::default()
            },
            &["name"],
        ),
        A::OrgInvitationAccepted => (
            EventType::MembershipAdded,
            members(member_list(), actor),
            &["role"],
        ),
        A::OrgMemberRoleChanged | A::OrgOwnershipTransferred => (
            EventType::MembershipRoleChanged,
            members(member_list(), target_user),
            &["role", "from", "to"],
        ),
        A::OrgMemberRemoved => (
            EventType::MembershipRemoved,
            members(member_list(), target_user),
            &["role", "left"],
        ),
        A::UserUpdated | A::AdminUserUpdated | A::RoleChanged | A::EmailChanged => (
            EventType::UserUpdated,
            Audience {
                user: target_user,
                ..Audience::default()
            },
            &["fields"],
        ),
        _ => return None,
    };
    if audience == Audience::default() {
        return None;
    }
    let mut data = pick(&entry.details, keys);
    if matches!(event_type, EventType::OrganizationUpdated) {
        data.insert("change".to_owned(), Value::from(change_of(entry.action)));
    }
    match entry.action {
        A::OrgRenamed => {
            if let Some(name) = entry.details.get("to") {
                data.insert("name".to_owned(), name.clone());
            }
        }
        A::OrgOwnershipTransferred => {
            if let Some(from) = entry.details.get("from_role") {
                data.insert("from".to_owned(), from.clone());
            }
            data.insert("to".to_owned(), Value::from("owner"));
        }
        _ => {}
    }
    if let (
        EventType::MembershipAdded
        | EventType::MembershipRoleChanged
        | EventType::MembershipRemoved,
        Some(user),
    ) = (event_type, audience.user)
    {
        data.insert("user_id".to_owned(), Value::from(user.to_string()));
    }
    Some(DomainEvent {
        event_type,
        occurred_at: entry.at,
        actor_id: actor,
        org_id: org,
        resource_type: entry.target_type.clone().unwrap_or_default(),
        resource_id: entry.target_id.clone().unwrap_or_default(),
        data: Value::Object(data),
        audience,
    })
}

/// The members who may see an organization's member list.
fn member_list() -> MemberAudience {
    MemberAudience::WithPermission(OrgPermission::MEMBERS_READ.to_owned())
}

/// `who` members of the entry's organization, and `user`.
fn members(who: MemberAudience, user: Option<UserId>) -> Audience {
    Audience {
        user,
        members: Some(who),
        everyone: false,
    }
}

/// An organization's resource goes to its members holding `permission`; a personal one to
/// `user`.
fn owned(org: Option<OrgId>, permission: &str, user: Option<UserId>) -> Audience {
    match org {
        Some(_) => members(MemberAudience::WithPermission(permission.to_owned()), None),
        None => Audience {
            user,
            ..Audience::default()
        },
    }
}

/// What kind of organization change an `organization.updated` is.
fn change_of(action: AuditAction) -> &'static str {
    match action {
        AuditAction::OrgRenamed => "renamed",
        AuditAction::OrgBillingContactChanged => "billing_contact",
        AuditAction::OrgSuspended => "suspended",
        _ => "reinstated",
    }
}

fn parse_user(s: &str) -> Option<UserId> {
    s.parse::<uuid::Uuid>().ok().map(UserId::from_uuid)
}

/// The entries of `details` named in `keys` (those present).
fn pick(details: &Value, keys: &[&str]) -> Map<String, Value> {
    keys.iter()
        .filter_map(|k| details.get(*k).map(|v| ((*k).to_owned(), v.clone())))
        .collect()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use plinth_kernel::RequestMeta;
    use plinth_kernel::testing::fixed_now;

    use super::*;

    fn entry(action: AuditAction) -> AuditEvent {
        AuditEvent::new(action, fixed_now(), &RequestMeta::default())
    }

    #[test]
    fn a_personal_files_first_upload_is_a_created_event_for_its_owner() {
        let owner = UserId::new();
        let uploader = UserId::new();
        let e = entry(AuditAction::FileUploaded)
            .actor(uploader)
            .target("file", "f1")
            .details(serde_json::json!({
                "name": "a.txt", "size": 3, "version": 1, "sha256": "x",
                "owner_id": owner.to_string(),
            }));
        let event = project(&e).unwrap();
        assert_eq!(event.event_type, EventType::FileCreated);
        assert_eq!(event.audience, Audience::user(owner));
        assert_eq!(event.actor_id, Some(uploader));
        assert_eq!(
            event.data,
            serde_json::json!({ "name": "a.txt", "size": 3, "version": 1 })
        );
        let second = e.details(serde_json::json!({ "version": 2 }));
        assert_eq!(project(&second).unwrap().event_type, EventType::FileUpdated);
    }

    #[test]
    fn an_organizations_invoice_goes_to_the_members_who_read_its_billing() {
        let org = OrgId::new();
        let e = entry(AuditAction::InvoicePaid)
            .org(org.as_uuid())
            .target("invoice", "i1")
            .details(serde_json::json!({ "user_id": UserId::new().to_string(), "status": "paid" }));
        let event = project(&e).unwrap();
        assert_eq!(event.org_id, Some(org));
        assert_eq!(
            event.audience.members,
            Some(MemberAudience::WithPermission("org_billing:read".into()))
        );
        assert_eq!(event.audience.user, None);
    }

    #[test]
    fn a_removed_member_hears_of_it_with_the_member_list_readers() {
        let org = OrgId::new();
        let member = UserId::new();
        let e = entry(AuditAction::OrgMemberRemoved)
            .actor(UserId::new())
            .org(org.as_uuid())
            .target("user", member)
            .details(serde_json::json!({ "role": "member", "left": false }));
        let event = project(&e).unwrap();
        assert_eq!(event.event_type, EventType::MembershipRemoved);
        assert_eq!(event.audience.user, Some(member));
        assert_eq!(event.data["user_id"], serde_json::json!(member.to_string()));
    }

    #[test]
    fn sign_ins_stay_in_the_audit_trail() {
        let e = entry(AuditAction::LoginSucceeded).actor(UserId::new());
        assert_eq!(project(&e), None);
        let announcement = entry(AuditAction::AnnouncementCreated)
            .details(serde_json::json!({ "title": "Hi", "body": "long" }));
        let event = project(&announcement).unwrap();
        assert!(event.audience.everyone);
        assert_eq!(event.data, serde_json::json!({ "title": "Hi" }));
    }
}
