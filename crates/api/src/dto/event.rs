//! The realtime event as `GET /api/v1/events` sends it (the `data:` line of each SSE message).

use chrono::{DateTime, Utc};
use plinth_events::StoredEvent;
use uuid::Uuid;

/// The names of every event type, as the `type` field and the SSE `event:` field carry them.
#[derive(Debug, Clone, Copy, serde::Serialize, utoipa::ToSchema)]
#[schema(as = EventType)]
#[allow(
    dead_code,
    reason = "only its schema is used: events carry the domain's names"
)]
#[serde(rename_all = "snake_case")]
pub(crate) enum EventTypeName {
    /// A file was uploaded (its first version). `data`: `name`, `size`, `version`.
    #[serde(rename = "file.created")]
    FileCreated,
    /// A new version of a file was uploaded. `data`: `name`, `size`, `version`.
    #[serde(rename = "file.updated")]
    FileUpdated,
    /// A file and its versions were deleted. `data`: `{}`.
    #[serde(rename = "file.deleted")]
    FileDeleted,
    /// A file was shared, or a share changed or ended (`permission: null`). `data`: `email`,
    /// `permission`.
    #[serde(rename = "file.shared")]
    FileShared,
    /// The caller's `/me/data` document was replaced. `data`: `etag`.
    #[serde(rename = "app_data.changed")]
    AppDataChanged,
    /// An administrator published an announcement. `data`: `title`.
    #[serde(rename = "announcement.published")]
    AnnouncementPublished,
    /// An invoice was finalised. `data`: `number`, `status`, `total`, `currency`.
    #[serde(rename = "invoice.finalized")]
    InvoiceFinalized,
    /// An invoice was paid. `data`: `number`, `status`, `total`, `currency`.
    #[serde(rename = "invoice.paid")]
    InvoicePaid,
    /// An invoice was voided. `data`: `number`, `status`, `total`, `currency`.
    #[serde(rename = "invoice.voided")]
    InvoiceVoided,
    /// A subscription changed. `data`: `change`, `status`, `plan_id`, `quantity`,
    /// `cancel_at_period_end`.
    #[serde(rename = "subscription.changed")]
    SubscriptionChanged,
    /// An organization was created. `data`: `name`.
    #[serde(rename = "organization.created")]
    OrganizationCreated,
    /// An organization changed. `data`: `change` (`renamed`, `billing_contact`, `suspended`,
    /// `reinstated`), `name` when renamed.
    #[serde(rename = "organization.updated")]
    OrganizationUpdated,
    /// An organization was deleted. `data`: `name`.
    #[serde(rename = "organization.deleted")]
    OrganizationDeleted,
    /// Someone joined an organization. `data`: `user_id`, `role`.
    #[serde(rename = "membership.added")]
    MembershipAdded,
    /// A member's role changed (or ownership was transferred). `data`: `user_id`, `from`, `to`.
    #[serde(rename = "membership.role_changed")]
    MembershipRoleChanged,
    /// A member left or was removed. `data`: `user_id`, `role`, `left`.
    #[serde(rename = "membership.removed")]
    MembershipRemoved,
    /// A user's profile, role or status changed. `data`: `fields`.
    #[serde(rename = "user.updated")]
    UserUpdated,
}

/// The resource an event is about.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = EventResource)]
pub(crate) struct EventResourceBody {
    /// Its kind: `file`, `app_data`, `announcement`, `invoice`, `subscription`,
    /// `organization`, `user` or `invitation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// Its id.
    pub id: String,
}

/// One realtime event: the JSON of an SSE message's `data:` line (its `id:` is the same `id`,
/// its `event:` the same `type`). Payloads are thin: fetch the resource for the rest.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = Event, example = json!({
    "id": 42,
    "type": "file.created",
    "occurred_at": "2026-01-15T09:30:00Z",
    "actor_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b70",
    "org_id": null,
    "resource": { "type": "file", "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b71" },
    "data": { "name": "report.pdf", "size": 48213, "version": 1 }
}))]
pub(crate) struct EventBody {
    /// The event's position: increasing by one per committed event, with no gap; send the
    /// last one seen as `Last-Event-ID` to resume.
    pub id: u64,
    /// What happened.
    #[serde(rename = "type")]
    #[schema(value_type = EventTypeName)]
    pub event_type: &'static str,
    /// When (RFC 3339, UTC).
    pub occurred_at: DateTime<Utc>,
    /// Who did it; `null` for scheduled work and the payment provider.
    pub actor_id: Option<Uuid>,
    /// The organization the resource belongs to, if any.
    pub org_id: Option<Uuid>,
    /// The resource it is about.
    pub resource: EventResourceBody,
    /// A few facts about the change, by `type`: `file.created`, `file.updated`: `name`, `size`,
    /// `version`; `file.deleted`: `{}`; `file.shared`: `email`, `permission` (`null`: the share
    /// ended); `app_data.changed`: `etag`; `announcement.published`: `title`;
    /// `invoice.finalized`, `invoice.paid`, `invoice.voided`: `number`, `status`, `total`
    /// (minor units), `currency`; `subscription.changed`: `change`, `status`, `plan_id`,
    /// `quantity`, `cancel_at_period_end`; `organization.created`, `organization.deleted`:
    /// `name`; `organization.updated`: `change` (`renamed`, `billing_contact`, `suspended`,
    /// `reinstated`), `name` when renamed; `membership.added`: `user_id`, `role`;
    /// `membership.role_changed`: `user_id`, `from`, `to`; `membership.removed`: `user_id`,
    /// `role`, `left`; `user.updated`: `fields`.
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

impl From<&StoredEvent> for EventBody {
    fn from(stored: &StoredEvent) -> Self {
        let e = &stored.event;
        Self {
            id: stored.id.0,
            event_type: e.event_type.as_str(),
            occurred_at: e.occurred_at,
            actor_id: e.actor_id.map(|a| a.as_uuid()),
            org_id: e.org_id.map(|o| o.as_uuid()),
            resource: EventResourceBody {
                kind: e.resource_type.clone(),
                id: e.resource_id.clone(),
            },
            data: e.data.clone(),
        }
    }
}

/// The `data:` of a `reload` message.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
#[schema(as = EventReload)]
pub(crate) struct ReloadBody {
    /// Why: `retention` (events after the client's `Last-Event-ID` were purged, or the id is
    /// not one this server issued). Reload the state through the REST API; the stream goes on
    /// after the `id` of this message.
    pub reason: &'static str,
}

/// The same names as [`EventType::as_str`], checked by a test.
#[cfg(test)]
mod tests {
    /// Every string listed under an `enum` key anywhere in `value`, in order.
    fn enum_values(value: &serde_json::Value, out: &mut Vec<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, v) in map {
                    if key == "enum" {
                        out.extend(
                            v.as_array()
                                .into_iter()
                                .flatten()
                                .filter_map(|s| s.as_str().map(str::to_owned)),
                        );
                    } else {
                        enum_values(v, out);
                    }
                }
            }
            serde_json::Value::Array(items) => items.iter().for_each(|v| enum_values(v, out)),
            _ => {}
        }
    }

    #[test]
    fn the_documented_names_are_the_domains() {
        let documented =
            serde_json::to_value(<super::EventTypeName as utoipa::PartialSchema>::schema())
                .unwrap_or_default();
        let mut names = Vec::new();
        enum_values(&documented, &mut names);
        let domain: Vec<String> = plinth_events::EventType::ALL
            .iter()
            .map(|t| t.as_str().to_owned())
            .collect();
        assert_eq!(names, domain);
    }
}
