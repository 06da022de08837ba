//! `/api/v1/admin/audit`: reading and verifying the audit trail (permission `audit:read`).

use actix_web::{HttpResponse, get, web};

use crate::dto::audit::{AuditListQuery, AuditPageBody, ChainReportBody};
use crate::openapi::responses::{BadRequest, Forbidden, Internal, Unauthenticated, Unavailable};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser};

/// Lists audit entries (permission `audit:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_audit",
    summary = "List audit entries",
    description = "The audit trail, newest first, filtered by `actor_id`, `action`, `target_id` and the \
        time range `from` (inclusive) – `to` (exclusive). A stored row that does not read back as an \
        entry (edited behind Plinth's back) is left out of `items` and named in `unreadable`. Needs the \
        `audit:read` permission.",
    security(("bearer" = [])),
    params(AuditListQuery),
    responses(
        (status = 200, description = "A page of audit entries.", body = AuditPageBody),
        BadRequest, Unauthenticated, Forbidden, Internal, Unavailable
    )
)]
#[get("/audit")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_audit(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<AuditListQuery>,
) -> Result<HttpResponse, ApiError> {
    let (filter, page) = query.into_inner().try_into_domain()?;
    let page = state.audit.list(&user.caller(), &filter, page).await?;
    let body = AuditPageBody::new(page.items, page.next_cursor.map(|c| c.encode()));
    Ok(HttpResponse::Ok().insert_header(NO_STORE).json(body))
}

/// Verifies the audit hash chain (permission `audit:read`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_verify_audit",
    summary = "Verify the audit trail",
    description = "Re-computes the hash chain over every audit entry in the order written and reports \
        the first entry that was edited (whatever it now holds), or that follows a deleted one. Entries \
        cut off the end of the log are not detectable this way. Needs the `audit:read` permission.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The result of the check.", body = ChainReportBody),
        Unauthenticated, Forbidden, Internal, Unavailable
    )
)]
#[get("/audit/verify")]
#[tracing::instrument(skip_all)]
pub(crate) async fn verify_audit(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let report = state.audit.verify(&user.caller()).await?;
    if !report.ok {
        tracing::warn!(first_bad = ?report.first_bad, first_bad_seq = ?report.first_bad_seq, checked = report.checked, "the audit chain is broken");
    }
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(ChainReportBody::from(report)))
}
