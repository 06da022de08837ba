//! `GET /api/v1/me/export`: everything stored about the caller, as one JSON document.

use std::future::Future;

use actix_web::{HttpResponse, get, web};
use plinth_audit::AuditFilter;
use plinth_kernel::{Page, PageRequest};

use super::super::NO_STORE;
use crate::dto::audit::AuditEntryBody;
use crate::dto::auth::SessionBody;
use crate::dto::file::FileBody;
use crate::dto::user::UserBody;
use crate::openapi::responses::{Internal, NotFound, Unauthenticated, Unavailable};
use crate::{ApiError, AppState, AuthUser};

/// Everything Plinth stores about one user.
#[derive(serde::Serialize, utoipa::ToSchema)]
#[schema(as = AccountExport)]
pub(crate) struct ExportBody {
    /// When this export was made.
    pub exported_at: chrono::DateTime<chrono::Utc>,
    /// The account.
    pub user: UserBody,
    /// Live sessions (signed-in devices).
    pub sessions: Vec<SessionBody>,
    /// Files the user owns (metadata; download each through `/files/{id}/content`).
    pub files: Vec<FileBody>,
    /// The `/me/data` document.
    pub app_data: serde_json::Value,
    /// Audit entries the user is the actor of, newest first.
    pub audit: Vec<AuditEntryBody>,
}

/// Exports the caller's data.
#[utoipa::path(
    tag = "me",
    operation_id = "export_me",
    summary = "Export my data",
    description = "Everything stored about the caller in one JSON document: the account, live sessions, the \
        metadata of every file they own, their `/me/data` document and every audit entry they are the actor of. \
        No password hash, token or secret is included.",
    security(("bearer" = [])),
    responses(
        (status = 200, description = "The export.", body = ExportBody),
        Unauthenticated, NotFound, Internal, Unavailable
    )
)]
#[get("/export")]
pub(crate) async fn export_me(
    state: web::Data<AppState>,
    user: AuthUser,
) -> Result<HttpResponse, ApiError> {
    let id = user.0.user_id;
    let account = state.users.get(id).await?;
    let current = user.0.session_id;
    let sessions = state
        .auth
        .sessions(&user.0)
        .await?
        .into_iter()
        .map(|s| SessionBody::new(s, current))
        .collect();
    let files = all_pages(|page| {
        let files = &state.files;
        async move { files.list(id, page).await.map_err(ApiError::from) }
    })
    .await?;
    let document = state.users.app_data(id).await?;
    let app_data = serde_json::from_str(&document.json).map_err(ApiError::internal)?;
    let filter = AuditFilter {
        actor_id: Some(id.as_uuid()),
        ..AuditFilter::default()
    };
    let audit = all_pages(|page| {
        let filter = &filter;
        let log = &state.audit;
        async move { log.list(filter, page).await.map_err(ApiError::from) }
    })
    .await?;
    Ok(HttpResponse::Ok().insert_header(NO_STORE).json(ExportBody {
        exported_at: state.clock.now(),
        user: UserBody::new(account, &state.http.public_url),
        sessions,
        files: files.into_iter().map(FileBody::from).collect(),
        app_data,
        // A row edited into something unreadable is left out (the admin listing names it).
        audit: audit.into_iter().map(AuditEntryBody::from).collect(),
    }))
}

/// Every item of a paginated listing, fetched 100 at a time.
async fn all_pages<T, F, Fut>(mut fetch: F) -> Result<Vec<T>, ApiError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, ApiError>>,
{
    let mut items = Vec::new();
    let mut page = PageRequest::first(100);
    loop {
        let batch = fetch(page).await?;
        items.extend(batch.items);
        match batch.next_cursor {
            Some(cursor) => page = PageRequest::new(Some(100), Some(&cursor.encode()))?,
            None => return Ok(items),
        }
    }
}
