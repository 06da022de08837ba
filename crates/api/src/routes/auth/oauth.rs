//! `/api/v1/auth/oauth`: social and enterprise sign-in (OAuth 2.0 / OpenID Connect).
//!
//! A browser navigates to `GET /auth/oauth/{provider}/start?redirect_to=…`, which redirects it
//! to the provider; the provider sends it back to the callback, which redirects it to
//! `redirect_to?code=…`; the frontend posts that one-time code to `POST /auth/oauth/exchange`,
//! which answers like `POST /auth/login`. Tokens never travel in a URL.

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use plinth_sessions::OneTimeToken;
use validator::Validate as _;

use super::super::NO_STORE;
use super::sign_in_answer;
use crate::dto::mfa::LoginResultBody;
use crate::dto::oauth::{
    CallbackParams, ExchangeRequest, ProviderBody, ProviderListBody, StartQuery,
};
use crate::openapi::responses::{
    AccountLocked, AccountSuspended, BadRequest, Internal, NotFound, OAuthAccountExists,
    OAuthCodeInvalid, OAuthEmailUnverified, OAuthProviderError, OAuthStateInvalid, PayloadTooLarge,
    Unavailable, Validation,
};
use crate::{ApiError, AppState, ClientMeta};

/// The cookie binding a flow to the browser that started it.
const BROWSER_COOKIE: &str = "plinth_oauth_browser";

/// The binding cookie holding `value` (empty and expired: its removal). Sent only to the
/// callback's path, httpOnly, for the 10 minutes a flow lasts; `SameSite=None` when `Secure`
/// (a provider that posts its answer, like Apple, posts it cross-site), else `Lax` (sent on
/// the top-level navigation back from the provider).
fn browser_cookie(state: &AppState, value: &str) -> Cookie<'static> {
    let secure = state.http.cookies.secure;
    let max_age = if value.is_empty() { 0 } else { 600 };
    Cookie::build(BROWSER_COOKIE, value.to_owned())
        .path("/api/v1/auth/oauth")
        .http_only(true)
        .secure(secure)
        .same_site(if secure {
            SameSite::None
        } else {
            SameSite::Lax
        })
        .max_age(actix_web::cookie::time::Duration::seconds(max_age))
        .finish()
}

/// A 303 to `location`, never cached.
fn see_other(location: &str, cookie: Cookie<'static>) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .insert_header(NO_STORE)
        .cookie(cookie)
        .finish()
}

/// The configured providers.
#[utoipa::path(
    tag = "auth",
    operation_id = "list_oauth_providers",
    summary = "List the sign-in providers",
    description = "The social and enterprise sign-in providers this server is configured for (Google, Microsoft, \
        Apple, GitHub, an OpenID Connect issuer), in configuration order, each with the URL a browser starts \
        signing in at. Empty when none is configured.",
    responses(
        (status = 200, description = "The providers.", body = ProviderListBody),
        Internal, Unavailable
    )
)]
#[get("/oauth/providers")]
pub(crate) async fn list_providers(state: web::Data<AppState>) -> HttpResponse {
    let base = state.http.public_url.trim_end_matches('/');
    let items = state
        .auth
        .oauth_providers()
        .into_iter()
        .map(|p| ProviderBody {
            start_url: format!("{base}/api/v1/auth/oauth/{}/start", p.name),
            name: p.name,
            display_name: p.display_name,
        })
        .collect();
    HttpResponse::Ok().json(ProviderListBody { items })
}

/// Starts signing in with a provider.
#[utoipa::path(
    tag = "auth",
    operation_id = "start_oauth",
    summary = "Sign in with a provider",
    description = "For a browser to navigate to: redirects (303) to the provider's authorization page, with a \
        fresh `state`, `nonce` and PKCE (S256) challenge (kept server-side, hashed, single-use, for 10 minutes). \
        At the end the browser comes back to `redirect_to` with `?code=…`, a one-time code (2 minutes) to post to \
        `POST /auth/oauth/exchange`. `redirect_to` must be on an allowed frontend origin (`CORS_ORIGINS` or \
        `PUBLIC_URL`'s). Sets the httpOnly cookie `plinth_oauth_browser` (10 minutes, path `/api/v1/auth/oauth`): \
        the callback is accepted only from the browser that holds it, so nobody can make another browser finish \
        a sign-in they started.",
    params(("provider" = String, Path, description = "The provider's name, from `GET /auth/oauth/providers`."),
        StartQuery),
    responses(
        (status = 303, description = "Go to the provider.", headers(
            ("Location" = String, description = "The provider's authorization URL."),
            ("Set-Cookie" = String, description = "`plinth_oauth_browser`: binds the attempt to this browser."))),
        BadRequest, NotFound, Validation, OAuthProviderError, Internal, Unavailable
    )
)]
#[get("/oauth/{provider}/start")]
pub(crate) async fn start(
    state: web::Data<AppState>,
    provider: web::Path<String>,
    query: web::Query<StartQuery>,
) -> Result<HttpResponse, ApiError> {
    let browser =
        OneTimeToken::generate().map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    let url = state
        .auth
        .start_oauth(&provider, &query.redirect_to, None, Some(&browser))
        .await?;
    Ok(see_other(&url, browser_cookie(&state, browser.expose())))
}

/// The provider sends the browser back here (query string).
#[utoipa::path(
    tag = "auth",
    operation_id = "oauth_callback",
    summary = "The provider's callback",
    description = "Registered with the provider as the redirect URI (`{PUBLIC_URL}/api/v1/auth/oauth/{provider}/callback`). \
        Spends the attempt of `state` (once), redeems `code` at the provider with the PKCE verifier, validates the ID \
        token (signature against the provider's JWKS, issuer, audience, expiry, nonce), and redirects (303) to the \
        attempt's `redirect_to`: with `?code=…` for a sign-in (post it to `POST /auth/oauth/exchange`, which \
        answers the tokens or why the sign-in was refused), with `?linked=<provider>` or `?error=<problem code>` \
        for a link started at `POST /me/identities`. An unknown, spent or expired `state` (a forged or \
        replayed callback), or a sign-in callback from another browser than the one that started it (without its \
        `plinth_oauth_browser` cookie), is a 400 `oauth_state_invalid`: there is no trusted page to send the \
        browser to.",
    params(("provider" = String, Path, description = "The provider's name."), CallbackParams),
    responses(
        (status = 303, description = "Back to the frontend.", headers(("Location" = String, description = "`redirect_to` with `code`, `linked` or `error` added."))),
        OAuthStateInvalid, Internal, Unavailable
    )
)]
#[get("/oauth/{provider}/callback")]
pub(crate) async fn callback(
    state: web::Data<AppState>,
    meta: ClientMeta,
    provider: web::Path<String>,
    req: HttpRequest,
    query: web::Query<CallbackParams>,
) -> Result<HttpResponse, ApiError> {
    finish(&state, &meta, &req, &provider, query.into_inner()).await
}

/// The provider posts the answer back here (`response_mode=form_post`, Apple).
#[utoipa::path(
    tag = "auth",
    operation_id = "oauth_callback_form_post",
    summary = "The provider's callback (form post)",
    description = "The same as `GET /auth/oauth/{provider}/callback`, for providers that post their answer as a \
        form (`response_mode=form_post`: Sign in with Apple).",
    params(("provider" = String, Path, description = "The provider's name.")),
    request_body(content = CallbackParams, content_type = "application/x-www-form-urlencoded"),
    responses(
        (status = 303, description = "Back to the frontend.", headers(("Location" = String, description = "`redirect_to` with `code`, `linked` or `error` added."))),
        BadRequest, OAuthStateInvalid, Internal, Unavailable
    )
)]
#[post("/oauth/{provider}/callback")]
pub(crate) async fn callback_form_post(
    state: web::Data<AppState>,
    meta: ClientMeta,
    provider: web::Path<String>,
    req: HttpRequest,
    form: Result<web::Form<CallbackParams>, actix_web::Error>,
) -> Result<HttpResponse, ApiError> {
    let form = form.map_err(|_| {
        ApiError::BadRequest(
            "The body must be a form (application/x-www-form-urlencoded) of the provider's \
             answer."
                .to_owned(),
        )
    })?;
    finish(&state, &meta, &req, &provider, form.into_inner()).await
}

async fn finish(
    state: &AppState,
    meta: &ClientMeta,
    req: &HttpRequest,
    provider: &str,
    params: CallbackParams,
) -> Result<HttpResponse, ApiError> {
    let browser = req.cookie(BROWSER_COOKIE);
    let Some(flow_state) = params.state.as_deref().filter(|s| !s.is_empty()) else {
        return Err(ApiError::SignInRefused(crate::SignInRefusal::StateInvalid));
    };
    let location = state
        .auth
        .finish_oauth(
            provider,
            flow_state,
            params.code.as_deref(),
            params.error.as_deref(),
            browser.as_ref().map(Cookie::value),
            &meta.0,
        )
        .await?;
    Ok(see_other(&location, browser_cookie(state, "")))
}

/// Swaps the callback's one-time code for tokens.
#[utoipa::path(
    tag = "auth",
    operation_id = "exchange_oauth_code",
    summary = "Finish signing in with a provider",
    description = "Takes the `code` the callback put on `redirect_to` (once, within 2 minutes) and answers like \
        `POST /auth/login`: a `TokenPair` (and, for a browser, the session cookies), or `MfaRequired` for an account \
        with TOTP. A provider identity seen for the first time with a verified address nobody holds creates a \
        verified account (`auth.registered`, `auth.identity_linked`). Refusals: `oauth_account_exists` (409) when \
        the verified address belongs to an account that has not linked this provider (sign in to it and link the \
        provider at `POST /me/identities`: accounts are never joined by address alone), \
        `oauth_email_unverified` (403) when the provider gave no verified address, `oauth_provider_error` (502) \
        when the provider refused the code or its ID token did not validate. Audited as `auth.login_succeeded` or \
        `auth.login_failed` with `details.method: oauth` and `details.provider`.",
    request_body = ExchangeRequest,
    responses(
        (status = 200, description = "Signed in (`TokenPair`), or a second factor is needed (`MfaRequired`).",
            body = LoginResultBody),
        BadRequest, OAuthCodeInvalid, OAuthEmailUnverified, AccountSuspended, OAuthAccountExists, AccountLocked,
        PayloadTooLarge, Validation, OAuthProviderError, Internal, Unavailable
    )
)]
#[post("/oauth/exchange")]
pub(crate) async fn exchange(
    state: web::Data<AppState>,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<ExchangeRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let outcome = state.auth.exchange_oauth(&body.code, &meta.0).await?;
    Ok(sign_in_answer(&state, &req, outcome))
}
