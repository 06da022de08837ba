//! `GET /admin/stats`: the service statistics.

use crate::dto::billing::MoneyBody;

/// Account counts.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = UserStats)]
pub(crate) struct UserStatsBody {
    /// Every account.
    pub total: u64,
    /// Accounts whose status is `active`.
    pub active: u64,
    /// Accounts created in the last 7 days.
    pub new_7d: u64,
}

/// Session counts.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = SessionStats)]
pub(crate) struct SessionStatsBody {
    /// Sessions neither revoked nor expired.
    pub active: u64,
}

/// File counts.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = FileStats)]
pub(crate) struct FileStatsBody {
    /// Number of files.
    pub count: u64,
    /// Bytes of the files' current versions (older versions not counted).
    pub bytes: u64,
}

/// Invoice totals per currency: each list has one `Money` per currency that has any, ordered
/// by currency code, in integer minor units (never summed across currencies).
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = RevenueStats)]
pub(crate) struct RevenueStatsBody {
    /// Invoices paid since 00:00 UTC on the first day of the current month.
    pub paid_this_month: Vec<MoneyBody>,
    /// Open invoices not yet past their `due_at`.
    pub outstanding: Vec<MoneyBody>,
    /// Open invoices past their `due_at`.
    pub overdue: Vec<MoneyBody>,
}

/// `GET /admin/stats`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AdminStats, example = json!({
    "users": { "total": 120, "active": 117, "new_7d": 9 },
    "sessions": { "active": 64 },
    "files": { "count": 310, "bytes": 73_400_320 },
    "revenue": {
        "paid_this_month": [{ "amount": 1_249_900, "currency": "EUR" }, { "amount": 89_700, "currency": "USD" }],
        "outstanding": [{ "amount": 44_700, "currency": "USD" }],
        "overdue": [{ "amount": 15_000, "currency": "JPY" }]
    }
}))]
pub(crate) struct StatsBody {
    /// Accounts.
    pub users: UserStatsBody,
    /// Sessions.
    pub sessions: SessionStatsBody,
    /// Files.
    pub files: FileStatsBody,
    /// Invoice money: paid this month, outstanding and overdue, per currency.
    pub revenue: RevenueStatsBody,
}
