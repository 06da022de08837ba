//! `GET /api/v1/me/export`: everything stored about the caller, as one JSON document.

use actix_web::{HttpResponse, get, web};

use super::super::NO_STORE;
use crate::dto::audit::AuditEntryBody;
use crate::dto::auth::SessionBody;
use crate::dto::export::ExportBody;
use crate::dto::file::FileBody;
use crate::dto::invoice::InvoiceBody;
use crate::dto::oauth::IdentityBody;
use crate::dto::org::OrganizationBody;
use crate::dto::passkey::PasskeyBody;
use crate::dto::subscription::SubscriptionBody;
use crate::dto::user::UserBody;
use crate::openapi::responses::{Internal, NotFound, Unauthenticated, Unavailable};
use crate::{ApiError, AppState, AuthUser};

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
    let export = state.accounts.export(&user.0).await?;
    let app_data = serde_json::from_str(&export.app_data).map_err(ApiError::internal)?;
    let current = user.0.session_id;
    Ok(HttpResponse::Ok().insert_header(NO_STORE).json(ExportBody {
        exported_at: export.exported_at,
        user: UserBody::new(export.user, &state.http.public_url),
        sessions: export
            .sessions
            .into_iter()
            .map(|s| SessionBody::new(s, current))
            .collect(),
        files: export.files.into_iter().map(FileBody::from).collect(),
        app_data,
        identities: export
            .identities
            .into_iter()
            .map(IdentityBody::from)
            .collect(),
        passkeys: export.passkeys.into_iter().map(PasskeyBody::from).collect(),
        organizations: export
            .organizations
            .into_iter()
            .map(OrganizationBody::from)
            .collect(),
        subscription: export.subscription.map(SubscriptionBody::from),
        invoices: export.invoices.into_iter().map(InvoiceBody::from).collect(),
        audit: export.audit.into_iter().map(AuditEntryBody::from).collect(),
    }))
}
