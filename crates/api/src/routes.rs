//! The route tree. [`configure`] is the single registration used both by the server and by
//! the OpenAPI document, so the two cannot drift apart. Every handler is registered with
//! `.service(...)` and a route macro, which is what `utoipa-actix-web` collects.

use actix_web::http::Method;
use actix_web::{HttpRequest, HttpResponse, web};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::ApiError;

pub(crate) use allowed::RouteTable;
use allowed::allow_header;

mod admin;
mod allowed;
mod announcements;
mod auth;
mod avatars;
mod billing;
mod events;
mod files;
mod me;
mod orgs;
mod service;
mod well_known;

/// The serialised OpenAPI document, served as is by `GET /api/v1/openapi.json`.
pub(crate) struct OpenApiDocument(pub String);

/// Registers every documented route.
pub(crate) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(service::health)
        .service(service::ready)
        .service(service::metrics)
        .service(service::docs)
        .service(well_known::jwks)
        .service(well_known::openid_configuration)
        .service(
            scope("/api/v1")
                .service(service::openapi_document)
                .service(scope("/auth").configure(auth::configure))
                .service(scope("/me").configure(me::configure))
                .service(scope("/avatars").configure(avatars::configure))
                .service(scope("/files").configure(files::configure))
                .service(scope("/billing").configure(billing::configure))
                .service(scope("/orgs").configure(orgs::configure))
                .service(scope("/invitations").configure(orgs::invitations::configure_accept))
                .service(scope("/announcements").configure(announcements::configure))
                .service(scope("/events").configure(events::configure))
                .service(scope("/admin").configure(admin::configure)),
        );
}

/// The default service: `405 method_not_allowed` with `Allow` when the path is a route that
/// does not accept this method (and for `TRACE` anywhere), otherwise `404 not_found`.
pub(crate) async fn unknown_route(req: HttpRequest) -> Result<HttpResponse, ApiError> {
    let allowed = req
        .app_data::<web::Data<RouteTable>>()
        .and_then(|table| table.allowed(req.path()));
    match allowed {
        Some(methods) => Err(ApiError::MethodNotAllowed {
            allow: allow_header(&methods),
        }),
        None if req.method() == Method::TRACE => Err(ApiError::MethodNotAllowed {
            allow: String::new(),
        }),
        None => Err(ApiError::NotFound(
            "No route matches this method and path.".to_owned(),
        )),
    }
}

/// `Cache-Control: no-store`, for answers carrying tokens or personal data.
pub(crate) const NO_STORE: (&str, &str) = ("Cache-Control", "no-store");
