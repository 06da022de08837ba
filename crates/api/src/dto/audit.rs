//! Audit trail bodies.

use chrono::{DateTime, Utc};
use plinth_audit::{
    AuditAction, AuditEvent, AuditFilter, ChainReport, StoredEntry, UnreadableEntry,
};
use plinth_kernel::PageRequest;
use uuid::Uuid;

use crate::ApiError;

/// One audit entry as administrators see it.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AuditEntry, example = json!({
    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
    "at": "2026-01-15T09:30:00.123456Z",
    "actor_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6b",
    "action": "auth.login_succeeded",
    "target_type": "session",
    "target_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6c",
    "ip": "203.0.113.7",
    "user_agent": "Mozilla/5.0",
    "request_id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6d",
    "details": {},
    "org_id": null
}))]
pub(crate) struct AuditEntryBody {
    /// UUIDv7 of the entry.
    pub id: Uuid,
    /// When it happened (RFC 3339, UTC).
    pub at: DateTime<Utc>,
    /// Who did it; `null` for anonymous callers (such as a failed login for an unknown email).
    pub actor_id: Option<Uuid>,
    /// The dotted action name, e.g. `auth.login_failed`.
    pub action: String,
    /// The kind of thing acted on (`user`, `session`, `file`, `plan`…).
    pub target_type: Option<String>,
    /// The id of the thing acted on.
    pub target_id: Option<String>,
    /// Client IP.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// The request id (as sent in `X-Request-Id`).
    pub request_id: Option<String>,
    /// Action-specific facts; never secrets.
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// The organization the entry is filed under; `null` for none.
    pub org_id: Option<Uuid>,
}

impl From<AuditEvent> for AuditEntryBody {
    fn from(e: AuditEvent) -> Self {
        Self {
            id: e.id.as_uuid(),
            at: e.at,
            actor_id: e.actor_id,
            action: e.action.as_str().to_owned(),
            target_type: e.target_type,
            target_id: e.target_id,
            ip: e.ip,
            user_agent: e.user_agent,
            request_id: e.request_id,
            details: e.details,
            org_id: e.org_id,
        }
    }
}

/// A page of audit entries.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AuditPage)]
pub(crate) struct AuditPageBody {
    /// The entries, newest first.
    pub items: Vec<AuditEntryBody>,
    /// Stored rows of this page that do not read back as an entry (an unknown action, malformed
    /// JSON, a value of the wrong type): they are left out of `items` and named here. Plinth
    /// never writes such a row; it was edited behind Plinth's back (see `/admin/audit/verify`).
    #[schema(example = json!([]))]
    pub unreadable: Vec<UnreadableAuditRowBody>,
    /// Pass as `cursor` to get the next page; `null` on the last page.
    #[schema(example = json!(null))]
    pub next_cursor: Option<String>,
}

impl AuditPageBody {
    /// Splits `rows` into entries and unreadable rows, keeping their order.
    pub(crate) fn new(rows: Vec<StoredEntry>, next_cursor: Option<String>) -> Self {
        let mut items = Vec::new();
        let mut unreadable = Vec::new();
        for row in rows {
            match row {
                StoredEntry::Entry(e) => items.push(AuditEntryBody::from(e.event)),
                StoredEntry::Unreadable(u) => unreadable.push(UnreadableAuditRowBody::from(u)),
            }
        }
        Self {
            items,
            unreadable,
            next_cursor,
        }
    }
}

/// A stored audit row that does not read back as an entry.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = UnreadableAuditRow, example = json!({
    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b6a",
    "seq": 42,
    "problem": "`action` is not a known audit action"
}))]
pub(crate) struct UnreadableAuditRowBody {
    /// The row's id; `null` when the id itself is unreadable.
    pub id: Option<Uuid>,
    /// The row's position in the chain; `null` when it is unreadable.
    pub seq: Option<u64>,
    /// Which column does not read back (the stored value is not repeated).
    pub problem: String,
}

impl From<UnreadableEntry> for UnreadableAuditRowBody {
    fn from(u: UnreadableEntry) -> Self {
        Self {
            id: u.id.map(|id| id.as_uuid()),
            seq: u.seq,
            problem: u.problem,
        }
    }
}

/// `GET /admin/audit` filters; every one narrows the list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct AuditListQuery {
    /// Only entries by this user.
    pub actor_id: Option<Uuid>,
    /// Only this action (a dotted name such as `auth.login_failed`).
    #[param(example = "auth.login_failed")]
    pub action: Option<String>,
    /// Only entries about this target id.
    pub target_id: Option<String>,
    /// Only entries filed under this organization (under `/orgs/{org_id}/audit`, always that
    /// organization).
    pub org_id: Option<Uuid>,
    /// Only entries at or after this time (RFC 3339).
    pub from: Option<DateTime<Utc>>,
    /// Only entries before this time (RFC 3339).
    pub to: Option<DateTime<Utc>>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl AuditListQuery {
    /// The domain filter and page; bad values are a 400.
    pub(crate) fn try_into_domain(self) -> Result<(AuditFilter, PageRequest), ApiError> {
        let page = PageRequest::new(self.limit, self.cursor.as_deref())?;
        let action = self
            .action
            .filter(|a| !a.trim().is_empty())
            .map(|a| {
                AuditAction::parse(a.trim()).ok_or_else(|| {
                    ApiError::BadRequest(format!("action {a:?} is not a known audit action."))
                })
            })
            .transpose()?;
        if let (Some(from), Some(to)) = (self.from, self.to)
            && from >= to
        {
            return Err(ApiError::BadRequest("from must be before to.".to_owned()));
        }
        let target_id = self.target_id.filter(|t| !t.is_empty());
        if target_id.as_ref().is_some_and(|t| t.chars().count() > 200) {
            return Err(ApiError::BadRequest(
                "target_id must be at most 200 characters.".to_owned(),
            ));
        }
        Ok((
            AuditFilter {
                actor_id: self.actor_id,
                action,
                target_id,
                from: self.from,
                to: self.to,
                org_id: self.org_id,
            },
            page,
        ))
    }
}

/// The result of checking the audit hash chain.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AuditChainReport, example = json!({ "ok": true, "checked": 1234, "first_bad": null, "first_bad_seq": null }))]
pub(crate) struct ChainReportBody {
    /// Whether every entry checked is intact and linked to its predecessor.
    pub ok: bool,
    /// Entries checked; checking stops at the first bad one, which is counted. Entries written
    /// before the chain existed are not checked and not counted.
    pub checked: u64,
    /// The id of the first entry whose content or link to its predecessor no longer matches,
    /// whose position (`seq`) is not the next one, or that does not read back as an entry at
    /// all (for a deleted entry: the one after it); `null` when `ok`, or when that row's id
    /// itself is unreadable.
    pub first_bad: Option<Uuid>,
    /// The position (`seq`) of that entry in the chain; `null` when `ok` or unreadable.
    #[schema(example = json!(null))]
    pub first_bad_seq: Option<u64>,
}

impl From<ChainReport> for ChainReportBody {
    fn from(r: ChainReport) -> Self {
        Self {
            ok: r.ok,
            checked: r.checked,
            first_bad: r.first_bad.map(|id| id.as_uuid()),
            first_bad_seq: r.first_bad_seq,
        }
    }
}
