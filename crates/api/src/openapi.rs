//! The OpenAPI 3.1 document, built from the very route registration `serve` uses.

use actix_web::App;
use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{Header, OpenApi as OpenApiDoc, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_actix_web::AppExt as _;

use crate::problem::Problem;

mod cookie_mode;
pub(crate) mod responses;
pub(crate) mod schemas;

/// The name of the security scheme operations marked **A** require.
pub(crate) const BEARER: &str = "bearer";

/// The static part of the document: info, tags, the bearer scheme and the shared schemas.
/// Paths and their schemas are collected from the route registration.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Plinth",
        description = "Accounts and sessions, an audit trail, file storage and billing behind one REST API.\n\n\
            Errors are RFC 9457 problem details (`application/problem+json`) with a stable `code` and the \
            `request_id` also sent in the `X-Request-Id` header of every response.",
        license(name = "Apache-2.0", identifier = "Apache-2.0")
    ),
    tags(
        (name = "service", description = "Liveness, readiness and this document."),
        (name = "auth", description = "Sign-up, sign-in, refresh-token rotation and sign-out."),
        (name = "me", description = "The signed-in user's own account."),
        (name = "files", description = "Streamed uploads and downloads, versions, sharing by e-mail address and signed download URLs."),
        (name = "billing", description = "Public plan catalogue, the caller's invoices, and the Stripe webhook."),
        (name = "announcements", description = "Announcements administrators broadcast to every signed-in user."),
        (name = "organizations", description = "Organizations (the tenants a team's product serves), their members and roles. \
            Everything about an organization is a 404 to someone who is not a member."),
        (name = "events", description = "Realtime events (Server-Sent Events) from the transactional outbox."),
        (name = "admin", description = "Administration; each operation needs a permission."),
    ),
    components(schemas(Problem, crate::dto::event::ReloadBody)),
    modifiers(&BearerScheme)
)]
pub(crate) struct ApiDoc;

/// Adds the `bearer` HTTP security scheme (JWT access tokens).
struct BearerScheme;

impl Modify for BearerScheme {
    fn modify(&self, openapi: &mut OpenApiDoc) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            BEARER,
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some("The `access_token` of a `TokenPair`, sent as `Authorization: Bearer <token>`."))
                    .build(),
            ),
        );
    }
}

/// The whole document as a value.
pub(crate) fn document() -> OpenApiDoc {
    let (_, mut api) = App::new()
        .into_utoipa_app()
        .openapi(ApiDoc::openapi())
        .configure(crate::routes::configure)
        .split_for_parts();
    api.info.version = env!("CARGO_PKG_VERSION").to_owned();
    add_bad_query(&mut api);
    headers_are_strings(&mut api);
    mark_public_operations(&mut api);
    cookie_mode::add_cookie_mode(&mut api);
    api.servers = Some(vec![utoipa::openapi::Server::new("/")]);
    let request_id = request_id_header();
    add_request_id_headers(&mut api, &request_id);
    add_rate_limited(&mut api, request_id);
    api
}

/// The OpenAPI 3.1 document as pretty JSON: exactly what `GET /api/v1/openapi.json` serves
/// and what `plinth openapi` prints.
#[must_use]
pub fn openapi_json() -> String {
    document().to_pretty_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document could not be serialised");
        String::from("{}")
    })
}

/// The `X-Request-Id` response header.
fn request_id_header() -> Header {
    utoipa::openapi::HeaderBuilder::new()
        .schema(utoipa::openapi::ObjectBuilder::new().schema_type(utoipa::openapi::Type::String))
        .description(Some(
            "The request id (echoed when the request sent a valid one, else generated).",
        ))
        .build()
}

/// Every operation of `item`.
fn operations(item: &mut PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
        &mut item.head,
    ]
    .into_iter()
    .flatten()
}

/// Every response of every operation carries `X-Request-Id`.
fn add_request_id_headers(api: &mut OpenApiDoc, header: &Header) {
    for item in api.paths.paths.values_mut() {
        for op in operations(item) {
            for response in op.responses.responses.values_mut() {
                if let RefOr::T(response) = response {
                    response
                        .headers
                        .insert("X-Request-Id".to_owned(), header.clone());
                }
            }
        }
    }
}

/// An operation without a security requirement states it needs none (`security: []`), so
/// clients and linters can tell "public" from "forgot to say".
fn mark_public_operations(api: &mut OpenApiDoc) {
    for item in api.paths.paths.values_mut() {
        for op in operations(item) {
            op.security.get_or_insert_with(Vec::new);
        }
    }
}

/// Every operation taking query parameters may answer 400 `bad_request` when they do not parse
/// (a number out of range, a repeated field…), as the query extractor does.
fn add_bad_query(api: &mut OpenApiDoc) {
    use utoipa::IntoResponses as _;
    use utoipa::openapi::path::ParameterIn;
    let bad_request = responses::BadRequest::responses();
    for item in api.paths.paths.values_mut() {
        for op in operations(item) {
            let has_query = op
                .parameters
                .iter()
                .flatten()
                .any(|p| matches!(p.parameter_in, ParameterIn::Query));
            if has_query {
                for (status, response) in &bad_request {
                    op.responses
                        .responses
                        .entry(status.clone())
                        .or_insert_with(|| response.clone());
                }
            }
        }
    }
}

/// A header parameter is a string when sent and absent otherwise, never `null`: the
/// `["string", "null"]` an `Option<String>` parameter derives is narrowed to `string`.
fn headers_are_strings(api: &mut OpenApiDoc) {
    use utoipa::openapi::path::ParameterIn;
    use utoipa::openapi::schema::{Schema, SchemaType, Type};
    for item in api.paths.paths.values_mut() {
        for op in operations(item) {
            for parameter in op.parameters.iter_mut().flatten() {
                if !matches!(parameter.parameter_in, ParameterIn::Header) {
                    continue;
                }
                if let Some(RefOr::T(Schema::Object(schema))) = &mut parameter.schema
                    && let SchemaType::Array(types) = &schema.schema_type
                {
                    let kinds: Vec<Type> = types
                        .iter()
                        .filter(|t| **t != Type::Null)
                        .cloned()
                        .collect();
                    if let [kind] = kinds.as_slice() {
                        schema.schema_type = SchemaType::Type(kind.clone());
                    }
                }
            }
        }
    }
}

/// Paths that are never rate limited.
const UNLIMITED: [&str; 3] = ["/health", "/ready", "/metrics"];

/// Every rate-limited operation may answer the shared 429 response.
fn add_rate_limited(api: &mut OpenApiDoc, request_id: Header) {
    let components = api.components.get_or_insert_with(Default::default);
    components.responses.insert(
        responses::RATE_LIMITED.to_owned(),
        RefOr::T(responses::rate_limited(request_id)),
    );
    let reference = format!("#/components/responses/{}", responses::RATE_LIMITED);
    for (path, item) in &mut api.paths.paths {
        if UNLIMITED.contains(&path.as_str()) {
            continue;
        }
        for op in operations(item) {
            op.responses
                .responses
                .insert("429".to_owned(), RefOr::Ref(Ref::new(reference.clone())));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn document_is_stable_and_titled() {
        let a = openapi_json();
        assert_eq!(a, openapi_json());
        let v: serde_json::Value = serde_json::from_str(&a).unwrap();
        assert_eq!(v["info"]["title"], "Plinth");
        assert_eq!(
            v["components"]["securitySchemes"]["bearer"]["scheme"],
            "bearer"
        );
    }
}
