//! `/api/v1/admin/stats`: counts of users, sessions and files, and revenue (permission
//! `stats:read`).

use actix_web::{HttpResponse, get, web};

use crate::dto::billing::MoneyBody;
use crate::dto::stats::{
    FileStatsBody, RevenueStatsBody, SessionStatsBody, StatsBody, UserStatsBody,
};
use crate::openapi::responses::{Forbidden, Internal, Unauthenticated, Unavailable};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser};

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
    let plinth_app::Overview {
        users,
        live_sessions,
        files,
        revenue,
    } = state.statistics.overview(&user.caller()).await?;
    let money = |list: Vec<plinth_kernel::Money>| list.into_iter().map(MoneyBody::from).collect();
    let body = StatsBody {
        users: UserStatsBody {
            total: users.total,
            active: users.active,
            new_7d: users.created_since,
        },
        sessions: SessionStatsBody {
            active: live_sessions,
        },
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
