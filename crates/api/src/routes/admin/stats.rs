//! `/api/v1/admin/stats`: counts of users, sessions and files (permission `stats:read`).

use actix_web::{HttpResponse, get, web};
use plinth_users::Permission;

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

/// `GET /admin/stats`. Revenue is not reported until billing tracks payments.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = AdminStats, example = json!({
    "users": { "total": 120, "active": 117, "new_7d": 9 },
    "sessions": { "active": 64 },
    "files": { "count": 310, "bytes": 73_400_320 }
}))]
pub(crate) struct StatsBody {
    /// Accounts.
    pub users: UserStatsBody,
    /// Sessions.
    pub sessions: SessionStatsBody,
    /// Files.
    pub files: FileStatsBody,
}

/// Reads the service statistics (permission `stats:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_stats",
    summary = "Service statistics",
    description = "Counts of accounts (total, active, created in the last 7 days), live sessions, \
        and files with their total size. Revenue is not tracked yet and not reported. Needs the \
        `stats:read` permission.",
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
    };
    Ok(HttpResponse::Ok().insert_header(NO_STORE).json(body))
}
