//! `/api/v1/admin/announcements`: posting and listing announcements (permission
//! `announcements:write`).

use actix_web::{HttpResponse, get, post, web};
use plinth_users::Permission;

use crate::dto::announcement::{
    AdminAnnouncementBody, AdminAnnouncementPageBody, NewAnnouncementRequest,
};
use crate::dto::page::PageQuery;
use crate::openapi::responses::{
    BadRequest, Forbidden, Internal, PayloadTooLarge, Unauthenticated, Unavailable, Validation,
};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// Posts an announcement (permission `announcements:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_announcement",
    summary = "Post an announcement",
    description = "Broadcasts a plain-text announcement to every signed-in user (`GET /api/v1/announcements`), \
        from `starts_at` (default: now) until just before `ends_at` (default: until further notice). \
        `title` is one line of 1–200 characters, `body` 1–5000 characters; `ends_at` must be later than \
        `starts_at` and than now. Invalid input is a 422 naming each field and stores nothing. Audited as \
        `admin.announcement_created`. Needs the `announcements:write` permission.",
    security(("bearer" = [])),
    request_body = NewAnnouncementRequest,
    responses(
        (status = 201, description = "The announcement is posted.", body = AdminAnnouncementBody),
        BadRequest, Unauthenticated, Forbidden, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/announcements")]
#[tracing::instrument(skip_all)]
pub(crate) async fn create_announcement(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<NewAnnouncementRequest>,
) -> Result<HttpResponse, ApiError> {
    let announcement = state
        .announcements
        .create(&user.caller(), body.into_inner().into_domain(), &meta.0)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(NO_STORE)
        .json(AdminAnnouncementBody::from(announcement)))
}

/// Lists every announcement (permission `announcements:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_announcements",
    summary = "List announcements",
    description = "Every announcement, past, current and future, newest first, with its author. Needs the \
        `announcements:write` permission.",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of announcements.", body = AdminAnnouncementPageBody),
        BadRequest, Unauthenticated, Forbidden, Internal, Unavailable
    )
)]
#[get("/announcements")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_announcements(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let caller = user.caller();
    caller.require(Permission::ANNOUNCEMENTS_WRITE)?;
    let page = state
        .announcements
        .list(&caller, query.try_into_domain()?)
        .await?;
    let body = AdminAnnouncementPageBody {
        items: page
            .items
            .into_iter()
            .map(AdminAnnouncementBody::from)
            .collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    };
    Ok(HttpResponse::Ok().insert_header(NO_STORE).json(body))
}
