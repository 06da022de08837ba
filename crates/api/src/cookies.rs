//! Browser sessions with cookies: the contract's cookie mode.
//!
//! Register, login, refresh and the MFA challenge set, beside the JSON body bearer clients keep
//! using, three cookies: `plinth_access` (the access token, `HttpOnly`), `plinth_refresh` (the
//! refresh token, `HttpOnly`, sent only to `POST /api/v1/auth/refresh`) and `plinth_csrf` (the
//! session's CSRF token, readable by the page; the same value is in the `X-CSRF-Token` response
//! header, for a frontend on another site that cannot read this API's cookies). `Secure`,
//! `SameSite` and `Domain` come from `COOKIE_SECURE`, `COOKIE_SAME_SITE` and `COOKIE_DOMAIN`.
//!
//! A request authenticated by the cookie with an unsafe method (anything but `GET`, `HEAD`,
//! `OPTIONS`) must send `X-CSRF-Token` equal to the `plinth_csrf` cookie and to the token of
//! the session in the access cookie (HMAC-SHA256 of the session id under a key derived from
//! `JWT_SECRET`, so a token planted from another session does not fit), and, when it carries an
//! `Origin`, come from an origin listed in `CORS_ORIGINS` (or `PUBLIC_URL`'s own). Otherwise it
//! is refused with 403 `csrf_failed` before the handler runs. A custom header cannot be sent
//! cross-site without a CORS preflight, which only listed origins pass. Cookies are never set on
//! an answer to a request from an origin that is not listed, so a page elsewhere cannot sign a
//! browser in behind its user's back (login CSRF). `Authorization: Bearer` always wins over the
//! cookie and needs no CSRF token.

use std::fmt;
use std::sync::Arc;

use actix_web::cookie::{Cookie, SameSite};
use actix_web::http::Method;
use actix_web::http::header::ORIGIN;
use actix_web::{HttpRequest, HttpResponseBuilder};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use plinth_sessions::{SessionId, TokenPair};
use sha2::Sha256;
use subtle::ConstantTimeEq;

use crate::{ApiError, HttpSettings};

/// The access-token cookie.
pub const ACCESS_COOKIE: &str = "plinth_access";
/// The refresh-token cookie (path [`REFRESH_PATH`]).
pub const REFRESH_COOKIE: &str = "plinth_refresh";
/// The readable CSRF-token cookie.
pub const CSRF_COOKIE: &str = "plinth_csrf";
/// The request (and response) header carrying the CSRF token.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The only path the refresh cookie is sent to.
pub const REFRESH_PATH: &str = "/api/v1/auth/refresh";

/// `SameSite` of the session cookies (`COOKIE_SAME_SITE`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CookieSameSite {
    /// Sent only with requests from this site.
    Strict,
    /// Also sent with top-level navigations from other sites (the default).
    Lax,
    /// Sent with cross-site requests too (a frontend on another site); needs `Secure`.
    None,
}

impl CookieSameSite {
    fn attribute(self) -> SameSite {
        match self {
            Self::Strict => SameSite::Strict,
            Self::Lax => SameSite::Lax,
            Self::None => SameSite::None,
        }
    }
}

/// How the session cookies are made, and the key their CSRF tokens are derived with.
#[derive(Clone, PartialEq, Eq)]
pub struct CookieSettings {
    /// `Secure`: sent over HTTPS only (`COOKIE_SECURE`).
    pub secure: bool,
    /// `SameSite` (`COOKIE_SAME_SITE`).
    pub same_site: CookieSameSite,
    /// `Domain`, e.g. `example.com` to share them with `app.example.com`; `None`: this host only.
    pub domain: Option<String>,
    /// Lifetime of the access cookie (`ACCESS_TOKEN_TTL`).
    pub access_max_age: std::time::Duration,
    /// Lifetime of the refresh cookie (`REFRESH_TOKEN_TTL`).
    pub refresh_max_age: std::time::Duration,
    /// `None` only when no random key could be drawn for [`CookieSettings::default`]: every
    /// cookie-authenticated unsafe request is then refused.
    csrf_key: Option<Arc<[u8; 32]>>,
    /// The key before a `JWT_SECRET` rotation: tokens derived with it are still accepted.
    previous_csrf_key: Option<Arc<[u8; 32]>>,
}

impl fmt::Debug for CookieSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CookieSettings")
            .field("secure", &self.secure)
            .field("same_site", &self.same_site)
            .field("domain", &self.domain)
            .field("access_max_age", &self.access_max_age)
            .field("refresh_max_age", &self.refresh_max_age)
            .finish_non_exhaustive()
    }
}

impl CookieSettings {
    /// Cookies with these attributes; CSRF tokens derived with `csrf_key` (the same on every
    /// replica: `plinth_security::csrf_key` of `JWT_SECRET`).
    #[must_use]
    pub fn new(
        secure: bool,
        same_site: CookieSameSite,
        domain: Option<String>,
        access_max_age: std::time::Duration,
        refresh_max_age: std::time::Duration,
        csrf_key: [u8; 32],
    ) -> Self {
        Self {
            secure,
            same_site,
            domain,
            access_max_age,
            refresh_max_age,
            csrf_key: Some(Arc::new(csrf_key)),
            previous_csrf_key: None,
        }
    }

    /// Also accepts CSRF tokens derived with `key` (from `JWT_PREVIOUS_SECRET`), so browser
    /// sessions survive a secret rotation.
    #[must_use]
    pub fn with_previous_csrf_key(mut self, key: [u8; 32]) -> Self {
        self.previous_csrf_key = Some(Arc::new(key));
        self
    }

    /// The CSRF token of `session`: HMAC-SHA256(key, session id), base64url (`None` without a
    /// key).
    #[must_use]
    pub fn csrf_token(&self, session: SessionId) -> Option<String> {
        token_under(self.csrf_key.as_deref()?, session)
    }

    /// Whether `presented` is `session`'s token under the current or the previous key
    /// (compared in constant time).
    fn is_token_of(&self, presented: &[u8], session: SessionId) -> bool {
        [&self.csrf_key, &self.previous_csrf_key]
            .into_iter()
            .flatten()
            .filter_map(|key| token_under(key, session))
            .any(|expected| bool::from(presented.ct_eq(expected.as_bytes())))
    }

    fn cookie(&self, name: &'static str, value: String, path: &'static str) -> Cookie<'static> {
        let mut cookie = Cookie::build(name, value)
            .path(path)
            .secure(self.secure)
            .same_site(self.same_site.attribute())
            .http_only(name != CSRF_COOKIE)
            .finish();
        if let Some(domain) = &self.domain {
            cookie.set_domain(domain.clone());
        }
        cookie
    }

    /// The three cookies of a signed-in `pair`, and its CSRF token (`None` without a key: no
    /// cookie is set then).
    pub(crate) fn session_cookies(
        &self,
        pair: &TokenPair,
    ) -> Option<([Cookie<'static>; 3], String)> {
        let csrf = self.csrf_token(pair.session_id)?;
        let age = |d: std::time::Duration| {
            actix_web::cookie::time::Duration::seconds(
                i64::try_from(d.as_secs()).unwrap_or(i64::MAX),
            )
        };
        let access = self.access_cookie(&pair.access_token);
        let mut refresh = self.cookie(
            REFRESH_COOKIE,
            pair.refresh_token.expose().to_owned(),
            REFRESH_PATH,
        );
        refresh.set_max_age(age(self.refresh_max_age));
        let mut token = self.cookie(CSRF_COOKIE, csrf.clone(), "/");
        token.set_max_age(age(self.refresh_max_age));
        Some(([access, refresh, token], csrf))
    }

    /// The access cookie carrying `token`.
    pub(crate) fn access_cookie(&self, token: &str) -> Cookie<'static> {
        let mut access = self.cookie(ACCESS_COOKIE, token.to_owned(), "/");
        access.set_max_age(actix_web::cookie::time::Duration::seconds(
            i64::try_from(self.access_max_age.as_secs()).unwrap_or(i64::MAX),
        ));
        access
    }

    /// Cookies that remove the three session cookies.
    pub(crate) fn removal_cookies(&self) -> [Cookie<'static>; 3] {
        [
            (ACCESS_COOKIE, "/"),
            (REFRESH_COOKIE, REFRESH_PATH),
            (CSRF_COOKIE, "/"),
        ]
        .map(|(name, path)| {
            let mut cookie = self.cookie(name, String::new(), path);
            cookie.make_removal();
            cookie
        })
    }
}

impl Default for CookieSettings {
    /// `Secure`, `SameSite=Lax`, this host only, 15 minutes and 30 days, a random CSRF key.
    fn default() -> Self {
        let mut key = [0u8; 32];
        let drawn = getrandom::fill(&mut key).is_ok();
        let mut settings = Self::new(
            true,
            CookieSameSite::Lax,
            None,
            std::time::Duration::from_secs(15 * 60),
            std::time::Duration::from_secs(30 * 24 * 3600),
            key,
        );
        if !drawn {
            settings.csrf_key = None;
        }
        settings
    }
}

/// HMAC-SHA256(`key`, session id), base64url.
fn token_under(key: &[u8; 32], session: SessionId) -> Option<String> {
    let mut mac = Hmac::<Sha256>::new_from_slice(key).ok()?;
    mac.update(b"plinth-csrf:");
    mac.update(session.as_uuid().as_bytes());
    Some(URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes()))
}

/// The origin (`scheme://host[:port]`) of an absolute URL.
fn origin_of(url: &str) -> &str {
    let url = url.trim_end_matches('/');
    match url.find("://") {
        Some(at) => {
            let rest = &url[at + 3..];
            let end = rest.find('/').map_or(url.len(), |slash| at + 3 + slash);
            &url[..end]
        }
        None => url,
    }
}

/// Whether `origin` may use the session cookies: listed in `CORS_ORIGINS` (`*` does not count:
/// any page could then read a signed-in answer) or `PUBLIC_URL`'s own.
fn listed(origin: &str, http: &HttpSettings) -> bool {
    let origin = origin.trim_end_matches('/');
    origin.eq_ignore_ascii_case(origin_of(&http.public_url))
        || http
            .cors_origins
            .iter()
            .map(|o| o.trim().trim_end_matches('/'))
            .any(|o| o != "*" && o.eq_ignore_ascii_case(origin))
}

/// `Ok` when the request has no `Origin` (not a browser's cross-origin request) or one that
/// may use the cookies.
fn origin_may_use_cookies(req: &HttpRequest, http: &HttpSettings) -> Result<(), ApiError> {
    match req.headers().get(ORIGIN).map(|o| o.to_str()) {
        None => Ok(()),
        Some(Ok(origin)) if listed(origin, http) => Ok(()),
        Some(_) => Err(ApiError::CsrfFailed(
            "This origin may not use the session cookies; list it in CORS_ORIGINS.".to_owned(),
        )),
    }
}

/// Whether the answer to `req` may set the session cookies (see the module documentation).
fn may_set_cookies(req: &HttpRequest, http: &HttpSettings) -> bool {
    origin_may_use_cookies(req, http).is_ok()
}

/// Adds to `answer` the session cookies of `pair` and its `X-CSRF-Token` header, unless `req`
/// comes from an origin that may not use them.
pub(crate) fn sign_in(
    answer: &mut HttpResponseBuilder,
    req: &HttpRequest,
    http: &HttpSettings,
    pair: &TokenPair,
) {
    if !may_set_cookies(req, http) {
        return;
    }
    if let Some((cookies, csrf)) = http.cookies.session_cookies(pair) {
        for cookie in cookies {
            answer.cookie(cookie);
        }
        answer.insert_header((CSRF_HEADER, csrf));
    }
}

/// Replaces the access cookie with `token` when `req` was authenticated by it (a browser
/// session: no `Authorization` header), so the browser acts with the new token.
pub(crate) fn renew_access(
    answer: &mut HttpResponseBuilder,
    req: &HttpRequest,
    http: &HttpSettings,
    token: &str,
) {
    let by_cookie = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .is_none()
        && req.cookie(ACCESS_COOKIE).is_some();
    if by_cookie && may_set_cookies(req, http) {
        answer.cookie(http.cookies.access_cookie(token));
    }
}

/// Adds to `answer` the removal of the three session cookies.
pub(crate) fn sign_out(answer: &mut HttpResponseBuilder, http: &HttpSettings) {
    for cookie in http.cookies.removal_cookies() {
        answer.cookie(cookie);
    }
}

fn is_safe(method: &Method) -> bool {
    matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// The CSRF check of a request authenticated by a session cookie: nothing for a safe method;
/// otherwise an allowed origin and `X-CSRF-Token` equal to the `plinth_csrf` cookie and, when
/// `session` is known, to that session's token (all compared in constant time).
///
/// # Errors
/// [`ApiError::CsrfFailed`].
pub(crate) fn check_csrf(
    req: &HttpRequest,
    http: &HttpSettings,
    session: Option<SessionId>,
) -> Result<(), ApiError> {
    if is_safe(req.method()) {
        return Ok(());
    }
    origin_may_use_cookies(req, http)?;
    let refused = || {
        ApiError::CsrfFailed(
            "A request signed in by cookie must send the X-CSRF-Token header with the value of \
             the plinth_csrf cookie (also returned in the X-CSRF-Token header at sign-in)."
                .to_owned(),
        )
    };
    let header = req
        .headers()
        .get(CSRF_HEADER)
        .map(actix_web::http::header::HeaderValue::as_bytes)
        .filter(|h| !h.is_empty())
        .ok_or_else(refused)?;
    let cookie = req.cookie(CSRF_COOKIE).ok_or_else(refused)?;
    if !bool::from(header.ct_eq(cookie.value().as_bytes())) {
        return Err(refused());
    }
    if let Some(session) = session
        && !http.cookies.is_token_of(header, session)
    {
        return Err(refused());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_origin_of_a_url_is_its_scheme_host_and_port() {
        assert_eq!(
            origin_of("https://api.example.com/base/"),
            "https://api.example.com"
        );
        assert_eq!(origin_of("http://127.0.0.1:8080"), "http://127.0.0.1:8080");
    }

    #[test]
    fn a_wildcard_origin_never_uses_the_cookies() {
        let http = HttpSettings {
            cors_origins: vec!["*".to_owned(), "https://app.example.com/".to_owned()],
            public_url: "https://api.example.com/v".to_owned(),
            ..HttpSettings::default()
        };
        assert!(listed("https://app.example.com", &http));
        assert!(listed("https://api.example.com", &http));
        assert!(!listed("https://evil.example", &http));
    }

    #[test]
    fn each_session_has_its_own_csrf_token() {
        let settings = CookieSettings::default();
        let (a, b) = (SessionId::new(), SessionId::new());
        assert_eq!(settings.csrf_token(a), settings.csrf_token(a));
        assert_ne!(settings.csrf_token(a), settings.csrf_token(b));
        let other = CookieSettings::default();
        assert_ne!(settings.csrf_token(a), other.csrf_token(a), "keyed");
    }
}
