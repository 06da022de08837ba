//! `/api/v1/auth`: register, login, refresh, logout; the caller's sessions in `sessions`.

use actix_web::{HttpRequest, HttpResponse, http::header, post, web};
use plinth_sessions::RefreshToken;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate as _;

use super::NO_STORE;
use crate::dto::auth::{LoginRequest, RefreshRequest, RegisterRequest, TokenPairBody};
use crate::dto::mfa::{LoginResultBody, MfaRequiredBody};
use crate::openapi::responses::{
    AccountLocked, AccountSuspended, BadCredentials, BadRefreshToken, BadRequest, EmailTaken,
    Internal, PayloadTooLarge, Unauthenticated, Unavailable, Validation,
};
use crate::{ApiError, AppState, AuthUser, ClientMeta, cookies};
use plinth_sessions::LoginOutcome;

mod acting;
mod mfa;
mod oauth;
mod passkeys;
mod passwordless;
mod recovery;
mod sessions;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(register)
        .service(login)
        .service(refresh)
        .service(logout)
        .service(sessions::logout_all)
        .service(sessions::list_sessions)
        .service(sessions::revoke_session)
        .service(recovery::change_password)
        .service(recovery::forgot_password)
        .service(recovery::reset_password)
        .service(recovery::verify_email)
        .service(recovery::confirm_email_change)
        .service(recovery::resend_verification)
        .service(mfa::enroll_totp)
        .service(mfa::activate_totp)
        .service(mfa::disable_totp)
        .service(mfa::mfa_challenge)
        .service(passwordless::start_passwordless)
        .service(passwordless::verify_passwordless)
        .service(acting::act_for_org)
        .service(oauth::list_providers)
        .service(oauth::start)
        .service(oauth::callback)
        .service(oauth::callback_form_post)
        .service(oauth::exchange)
        .service(passkeys::start_passkey_sign_in)
        .service(passkeys::passkey_sign_in)
        .service(passkeys::start_passkey_mfa)
        .service(passkeys::passkey_mfa);
}

/// Creates an account (role `user`) and signs it in.
#[utoipa::path(
    tag = "auth",
    operation_id = "register",
    summary = "Create an account",
    description = "Creates an account with role `user` and signs it in. The email is normalised; the password must \
        have at least `PASSWORD_MIN_LENGTH` characters and not be a common one. `locale` (optional) is the language \
        of the account's mail; without it, the first valid language of `Accept-Language` is taken, and without \
        that the account has none (`null`: the deployment's default, English).",
    request_body = RegisterRequest,
    responses(
        (status = 201, description = "The account exists and is signed in.", body = TokenPairBody),
        BadRequest, EmailTaken, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/register")]
pub(crate) async fn register(
    state: web::Data<AppState>,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<RegisterRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let accept_language = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok());
    let input = body.try_into_domain(accept_language)?;
    let pair = state.auth.register(input, &meta.0).await?;
    let mut answer = HttpResponse::Created();
    cookies::sign_in(&mut answer, &req, &state.http, &pair);
    Ok(answer
        .insert_header(NO_STORE)
        .json(TokenPairBody::new(pair, &state.http.public_url)))
}

/// Signs in with email and password.
#[utoipa::path(
    tag = "auth",
    operation_id = "login",
    summary = "Sign in",
    description = "Exchanges email and password for a `TokenPair`; for an account with TOTP on, the answer is \
        an `MfaRequired` instead (`mfa_required: true` and an `mfa_token` to present with a code at \
        `POST /auth/mfa/challenge`, which answers the `TokenPair`). Tell them apart by `mfa_required`, present \
        only in `MfaRequired`. A wrong password and an unknown email fail \
        identically. After `LOCKOUT_THRESHOLD` wrong passwords the account is locked for `LOCKOUT_BASE`, doubling \
        per further failure up to an hour (423 with `Retry-After`); other accounts are unaffected.",
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in (`TokenPair`), or a second factor is needed (`MfaRequired`).",
            body = LoginResultBody),
        BadRequest, BadCredentials, AccountSuspended, AccountLocked, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/login")]
pub(crate) async fn login(
    state: web::Data<AppState>,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<LoginRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let outcome = state
        .auth
        .login(&body.email, &body.password, &meta.0)
        .await?;
    Ok(sign_in_answer(&state, &req, outcome))
}

/// The 200 of every first-factor sign-in (password, passwordless): the `TokenPair` with the
/// browser cookies set, or the MFA challenge (no cookies: nobody is signed in yet).
pub(super) fn sign_in_answer(
    state: &AppState,
    req: &HttpRequest,
    outcome: LoginOutcome,
) -> HttpResponse {
    let mut answer = HttpResponse::Ok();
    let body = match outcome {
        LoginOutcome::Tokens(pair) => {
            cookies::sign_in(&mut answer, req, &state.http, &pair);
            LoginResultBody::Tokens(Box::new(TokenPairBody::new(*pair, &state.http.public_url)))
        }
        LoginOutcome::MfaRequired(challenge) => {
            LoginResultBody::MfaRequired(MfaRequiredBody::from(challenge))
        }
    };
    answer.insert_header(NO_STORE).json(body)
}

/// Rotates a refresh token.
#[utoipa::path(
    tag = "auth",
    operation_id = "refresh",
    summary = "Rotate the refresh token",
    description = "Spends the presented refresh token and returns a new `TokenPair`. Presenting a spent token \
        again within `REFRESH_REUSE_GRACE` (default 10 s) returns the same successor (parallel tabs); after that \
        it is taken as theft: the whole session is revoked and the answer is 401. A session not refreshed for \
        `SESSION_IDLE_TIMEOUT` (default 7 days; counted from sign-in until its first refresh) or past its \
        absolute end answers 401 like an expired token.",
    request_body = RefreshRequest,
    responses(
        (status = 200, description = "A new pair; the presented refresh token is spent.", body = TokenPairBody),
        BadRequest, BadRefreshToken, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[post("/refresh")]
pub(crate) async fn refresh(
    state: web::Data<AppState>,
    meta: ClientMeta,
    req: HttpRequest,
    body: web::Json<RefreshRequest>,
) -> Result<HttpResponse, ApiError> {
    let body = body.into_inner();
    body.validate()?;
    let token = match body.refresh_token {
        Some(token) => RefreshToken::from_client(&token),
        None => {
            let cookie = req.cookie(cookies::REFRESH_COOKIE).ok_or_else(|| {
                ApiError::Unauthenticated(
                    "Send the refresh token as `refresh_token`, or the session cookies.".to_owned(),
                )
            })?;
            cookies::check_csrf(&req, &state.http, None)?;
            RefreshToken::from_client(cookie.value())
        }
    };
    let pair = state.auth.refresh(&token, &meta.0).await?;
    let mut answer = HttpResponse::Ok();
    cookies::sign_in(&mut answer, &req, &state.http, &pair);
    Ok(answer
        .insert_header(NO_STORE)
        .json(TokenPairBody::new(pair, &state.http.public_url)))
}

/// Ends the current session.
#[utoipa::path(
    tag = "auth",
    operation_id = "logout",
    summary = "Sign out",
    description = "Revokes the session of the access token used. Its refresh token stops working at once; the \
        access token itself is refused by every replica within `REVOCATION_SYNC_INTERVAL` (default 10 s, at most \
        60 s), and never works past its own expiry (`expires_in`: `ACCESS_TOKEN_TTL`, 15 min by default). A \
        client should discard both tokens.",
    security(("bearer" = [])),
    responses(
        (status = 204, description = "The session is revoked."),
        Unauthenticated, Internal, Unavailable
    )
)]
#[post("/logout")]
pub(crate) async fn logout(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
) -> Result<HttpResponse, ApiError> {
    state.auth.logout(&user.0, &meta.0).await?;
    let mut answer = HttpResponse::NoContent();
    cookies::sign_out(&mut answer, &state.http);
    Ok(answer.finish())
}
