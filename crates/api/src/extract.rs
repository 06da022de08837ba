//! Extractors: the authenticated caller ([`AuthUser`]) and who is asking from where
//! ([`ClientMeta`]).

use std::future::{Ready, ready};
use std::net::IpAddr;

use actix_web::dev::Payload;
use actix_web::http::header::{AUTHORIZATION, USER_AGENT};
use actix_web::{FromRequest, HttpMessage, HttpRequest, web};
use plinth_kernel::RequestMeta;
use plinth_sessions::Principal;

use crate::middleware::request_id::RequestId;
use crate::{ApiError, AppState};

/// The longest `User-Agent` kept, in characters.
pub const MAX_USER_AGENT_CHARS: usize = 512;

/// The caller, authenticated by `Authorization: Bearer <access token>`. The token is verified
/// by signature and claims only; no database is touched. Missing or bad credentials answer
/// 401 `unauthenticated` with `WWW-Authenticate: Bearer`.
#[derive(Debug, Clone)]
pub struct AuthUser(pub Principal);

impl AuthUser {
    /// The caller as the use cases take them, to check their permissions.
    #[must_use]
    pub fn caller(&self) -> plinth_kernel::Caller {
        self.0.caller()
    }
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let result = authenticate(req).inspect(|principal| {
            req.extensions_mut()
                .insert(LoggedUser(principal.user_id.to_string()));
        });
        ready(result.map(Self))
    }
}

/// The id of the authenticated caller, left in the request extensions for the request log.
#[derive(Debug, Clone)]
pub(crate) struct LoggedUser(pub String);

/// The bearer token when there is an `Authorization` header; otherwise the access cookie of
/// a browser session, with its CSRF check (see [`crate::cookies`]).
fn authenticate(req: &HttpRequest) -> Result<Principal, ApiError> {
    let state = req
        .app_data::<web::Data<AppState>>()
        .ok_or_else(|| ApiError::internal("AppState is not registered as app data"))?;
    let Some(header) = req.headers().get(AUTHORIZATION) else {
        let cookie = req.cookie(crate::cookies::ACCESS_COOKIE).ok_or_else(|| {
            ApiError::Unauthenticated(
                "Sign in and send `Authorization: Bearer <access_token>`.".to_owned(),
            )
        })?;
        let principal = state.auth.authenticate(cookie.value())?;
        crate::cookies::check_csrf(req, &state.http, Some(principal.session_id))?;
        return Ok(principal);
    };
    let token = header
        .to_str()
        .ok()
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim())
        .filter(|t| !t.is_empty())
        .ok_or_else(|| {
            ApiError::Unauthenticated(
                "The Authorization header must be `Bearer <access_token>`.".to_owned(),
            )
        })?;
    Ok(state.auth.authenticate(token)?)
}

/// Who is asking, from where: the metadata written on audit entries. The IP is the peer
/// address, or — only when the peer is a trusted proxy — the first untrusted hop of
/// `X-Forwarded-For` read from right to left.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientMeta(pub RequestMeta);

impl FromRequest for ClientMeta {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let trusted: &[ipnet::IpNet] = req
            .app_data::<web::Data<AppState>>()
            .map_or(&[], |s| s.http.trusted_proxies.as_slice());
        let forwarded: Vec<&str> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .collect();
        let ip = client_ip(req.peer_addr().map(|a| a.ip()), &forwarded, trusted);
        let user_agent = req
            .headers()
            .get(USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|ua| ua.chars().take(MAX_USER_AGENT_CHARS).collect::<String>());
        let request_id = req.extensions().get::<RequestId>().map(|r| r.0.clone());
        ready(Ok(Self(RequestMeta {
            ip: ip.map(|ip| ip.to_string()),
            user_agent,
            request_id,
        })))
    }
}

/// The client address: `peer` unless it is trusted, then walk `forwarded` (as listed in the
/// header, left to right) from the right, skipping trusted proxies; the first untrusted hop
/// is the client. An unparsable hop stops the walk at the last address we could verify.
pub(crate) fn client_ip(
    peer: Option<IpAddr>,
    forwarded: &[&str],
    trusted: &[ipnet::IpNet],
) -> Option<IpAddr> {
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    let mut client = peer?;
    if !is_trusted(&client) {
        return Some(client);
    }
    for hop in forwarded.iter().rev() {
        let Some(ip) = parse_hop(hop) else { break };
        client = ip;
        if !is_trusted(&ip) {
            break;
        }
    }
    Some(client)
}

/// Parses one `X-Forwarded-For` entry: `1.2.3.4`, `1.2.3.4:80`, `::1` or `[::1]:80`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    let hop = hop.trim();
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<std::net::SocketAddr>().ok().map(|s| s.ip()))
        .or_else(|| {
            hop.strip_prefix('[')
                .and_then(|h| h.strip_suffix(']'))
                .and_then(|h| h.parse().ok())
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(s: &str) -> IpAddr {
        s.parse().unwrap()
    }

    #[test]
    fn untrusted_peer_is_the_client_whatever_the_header_says() {
        let got = client_ip(
            Some(ip("203.0.113.9")),
            &["1.1.1.1"],
            &["10.0.0.0/8".parse().unwrap()],
        );
        assert_eq!(got, Some(ip("203.0.113.9")));
    }

    #[test]
    fn trusted_peer_yields_first_untrusted_hop_from_the_right() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        let hops = ["6.6.6.6", "198.51.100.7", "10.0.0.2"];
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &hops, &trusted),
            Some(ip("198.51.100.7"))
        );
    }

    #[test]
    fn garbage_hops_stop_the_walk_and_ports_are_accepted() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &["nonsense"], &trusted),
            Some(ip("10.0.0.1"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &[" 192.0.2.1:4711"], &trusted),
            Some(ip("192.0.2.1"))
        );
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &["[2001:db8::1]:80"], &trusted),
            Some(ip("2001:db8::1"))
        );
    }

    #[test]
    fn all_hops_trusted_gives_the_leftmost() {
        let trusted = ["10.0.0.0/8".parse().unwrap()];
        assert_eq!(
            client_ip(Some(ip("10.0.0.1")), &["10.1.1.1", "10.2.2.2"], &trusted),
            Some(ip("10.1.1.1"))
        );
    }
}
