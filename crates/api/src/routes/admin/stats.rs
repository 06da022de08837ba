//! `/api/v1/admin/stats`: counts of users, sessions and files, and revenue (permission
//! `stats:read`).

use actix_web::{HttpResponse, get, web};
use plinth_users::Permission;

use crate::dto::billing::MoneyBody;
use crate::openapi::responses::{Forbidden, Internal, Unauthenticated, Unavailable};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, require_permission};

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

/// Reads the service statistics (permission `stats:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_stats",
    summary = "Service statistics",
    description = "Counts of accounts (total, active, created in the last 7 days), live sessions, \
        and files with their total size, and revenue per currency in minor units: invoices paid \
        this month (UTC), outstanding (open, not yet due) and overdue (open past `due_at`). \
        Needs the `stats:read` permission.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The statistics.", body = StatsBody),
        Unauthenticated, Forbidden, Internal, Unavailable
    )
)]
#[get("/stats")]
#[tracing::instrument(skip_all)]
pub(crate) async fn stats(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    require_permission(&user.0, Permission::STATS_READ)?;
    let users = state.users.counts(chrono::Duration::days(7)).await?;
    let sessions = state.auth.live_session_count().await?;
    let files = state.files.totals().await?;
    let revenue = state.payments.revenue(state.clock.now()).await?;
    let money = |list: Vec<plinth_kernel::Money>| list.into_iter().map(MoneyBody::from).collect();
    let body = StatsBody {
        users: UserStatsBody {
            total: users.total,
            active: users.active,
            new_7d: users.created_since,
        },
        sessions: SessionStatsBody { active: sessions },
        files: FileStatsBody {
            count: files.count,
            bytes: files.bytes,
        },
        revenue: RevenueStatsBody {
            paid_this_month: money(revenue.paid_this_month),
            outstanding: money(revenue.outstanding),
            overdue: money(revenue.overdue),
        },
    };
    Ok(HttpResponse::Ok().insert_header(NO_STORE).json(body))
}
