//! `/api/v1/announcements`: the announcements shown now, for any signed-in user.

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use super::NO_STORE;
use crate::dto::announcement::{AnnouncementBody, AnnouncementPageBody};
use crate::dto::page::PageQuery;
use crate::openapi::responses::{BadRequest, Internal, Unauthenticated, Unavailable};
use crate::{ApiError, AppState, AuthUser};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_active_announcements);
}

/// Lists the announcements shown now.
#[utoipa::path(
    tag = "announcements",
    operation_id = "list_announcements",
    summary = "List current announcements",
    description = "The announcements administrators posted that are shown now (`starts_at` passed or absent, \
        `ends_at` not reached or absent), newest first. Any signed-in user. Bodies are plain text: display \
        them as text, never as HTML.",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of current announcements.", body = AnnouncementPageBody),
        BadRequest, Unauthenticated, Internal, Unavailable
    )
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_active_announcements(
    state: web::Data<AppState>,
    _user: AuthUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = state.announcements.active(query.try_into_domain()?).await?;
    let body = AnnouncementPageBody {
        items: page.items.into_iter().map(AnnouncementBody::from).collect(),
        next_cursor: page.next_cursor.map(|c| c.encode()),
    };
    Ok(HttpResponse::Ok().insert_header(NO_STORE).json(body))
}
