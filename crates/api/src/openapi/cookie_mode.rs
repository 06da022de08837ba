//! The browser session cookies in the document: the `cookie` security scheme beside `bearer`,
//! the `X-CSRF-Token` header and 403 `csrf_failed` on every unsafe operation a cookie may
//! authenticate, and the `Set-Cookie` headers of the operations that sign in and out.

use utoipa::IntoResponses as _;
use utoipa::openapi::path::{Operation, ParameterBuilder, ParameterIn};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{
    Header, HeaderBuilder, ObjectBuilder, OpenApi as OpenApiDoc, RefOr, Required, Type,
};

use super::{BEARER, operations, responses};
use crate::cookies::{ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE};

/// The name of the cookie security scheme.
pub(crate) const COOKIE: &str = "cookie";

/// Operations that sign in (their success sets the cookies).
const SIGN_IN: [&str; 4] = ["register", "login", "refresh", "mfa_challenge"];
/// Operations that sign out (their success removes the cookies).
const SIGN_OUT: [&str; 2] = ["logout", "logout_all"];

fn string() -> ObjectBuilder {
    ObjectBuilder::new().schema_type(Type::String)
}

fn header(description: &str) -> Header {
    HeaderBuilder::new()
        .schema(string())
        .description(Some(description))
        .build()
}

fn needs_bearer(op: &Operation) -> bool {
    op.security.iter().flatten().any(|requirement| {
        serde_json::to_value(requirement)
            .ok()
            .and_then(|v| v.as_object().map(|o| o.contains_key(BEARER)))
            .unwrap_or(false)
    })
}

/// Adds the optional `X-CSRF-Token` header and the 403 `csrf_failed` answer to `op`.
fn add_csrf(op: &mut Operation) {
    let parameter = ParameterBuilder::new()
        .name("X-CSRF-Token")
        .parameter_in(ParameterIn::Header)
        .required(Required::False)
        .description(Some(format!(
            "With the session cookies instead of a bearer token: the value of the `{CSRF_COOKIE}` cookie \
             (also sent in the `X-CSRF-Token` header at sign-in). Not needed with `Authorization: Bearer`."
        )))
        .schema(Some(string()))
        .build();
    op.parameters.get_or_insert_with(Vec::new).push(parameter);
    match op.responses.responses.get_mut("403") {
        Some(RefOr::T(forbidden)) => {
            forbidden.description.push_str(
                " Signed in by the session cookie: also `csrf_failed`, without an `X-CSRF-Token` header \
                 matching the `plinth_csrf` cookie and the session, or from an `Origin` not in \
                 `CORS_ORIGINS` (nothing was done).",
            );
        }
        Some(RefOr::Ref(_)) => {}
        None => {
            for (status, response) in responses::CsrfFailed::responses() {
                op.responses.responses.insert(status, response);
            }
        }
    }
}

/// Documents the cookie mode (see [`crate::cookies`]).
pub(super) fn add_cookie_mode(api: &mut OpenApiDoc) {
    let components = api.components.get_or_insert_with(Default::default);
    components.add_security_scheme(
        COOKIE,
        SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::with_description(
            ACCESS_COOKIE,
            "The access token in the `HttpOnly` session cookie that register, login, refresh and the MFA \
             challenge set for browsers. Unsafe methods then also need the `X-CSRF-Token` header.",
        ))),
    );
    for item in api.paths.paths.values_mut() {
        let unsafe_methods = [
            &mut item.post,
            &mut item.put,
            &mut item.patch,
            &mut item.delete,
        ];
        for op in unsafe_methods.into_iter().flatten() {
            if needs_bearer(op) || op.operation_id.as_deref() == Some("refresh") {
                add_csrf(op);
            }
        }
        for op in operations(item) {
            if needs_bearer(op) {
                op.security
                    .get_or_insert_with(Vec::new)
                    .push(SecurityRequirement::new::<&str, [&str; 0], &str>(
                        COOKIE,
                        [],
                    ));
            }
            let id = op.operation_id.clone().unwrap_or_default();
            let success = op
                .responses
                .responses
                .iter_mut()
                .filter(|(status, _)| status.starts_with('2'));
            if SIGN_IN.contains(&id.as_str()) {
                for (_, response) in success {
                    if let RefOr::T(response) = response {
                        response.headers.insert(
                            "Set-Cookie".to_owned(),
                            header(&format!(
                                "With the tokens: `{ACCESS_COOKIE}` (`HttpOnly`, `Path=/`), `{REFRESH_COOKIE}` \
                                 (`HttpOnly`, `Path=/api/v1/auth/refresh`) and `{CSRF_COOKIE}` (readable), \
                                 `Secure`/`SameSite`/`Domain` per `COOKIE_SECURE`, `COOKIE_SAME_SITE`, \
                                 `COOKIE_DOMAIN`. Not set for a request from an `Origin` not in \
                                 `CORS_ORIGINS`."
                            )),
                        );
                        response.headers.insert(
                            "X-CSRF-Token".to_owned(),
                            header(
                                "The session's CSRF token (the `plinth_csrf` cookie's value), for a \
                                 frontend on another site; sent with the cookies.",
                            ),
                        );
                    }
                }
            } else if SIGN_OUT.contains(&id.as_str()) {
                for (_, response) in success {
                    if let RefOr::T(response) = response {
                        response.headers.insert(
                            "Set-Cookie".to_owned(),
                            header("Removes the three session cookies."),
                        );
                    }
                }
            }
        }
    }
}
