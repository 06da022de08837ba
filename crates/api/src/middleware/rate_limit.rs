//! Per-client-IP rate limits: one budget for `/api/v1/auth/*`, another for everything else;
//! `/health`, `/ready` and `/metrics` are never limited. The client IP is the one
//! [`crate::ClientMeta`] derives (peer address, or `X-Forwarded-For` behind a trusted proxy).
//! A refused request is a 429 `rate_limited` problem with `Retry-After` and the `RateLimit-*`
//! headers; an accepted one on a limited route carries the `RateLimit-*` headers too.

use std::fmt;
use std::net::{IpAddr, Ipv4Addr};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderMap, HeaderName, HeaderValue, RETRY_AFTER};
use actix_web::middleware::Next;
use actix_web::{HttpResponse, web};
use governor::clock::{Clock as _, DefaultClock};
use governor::middleware::StateInformationMiddleware;
use governor::state::keyed::DefaultKeyedStateStore;
use governor::{Quota, RateLimiter};

use crate::extract::client_ip;
use crate::problem::{Problem, ProblemMarker, problem_response};
use crate::{AppState, HttpSettings};

mod limit;

pub use limit::{RateLimit, RateLimitParseError};

/// One keyed limiter (client IP → GCRA state) that reports the remaining budget.
type KeyedLimiter =
    RateLimiter<IpAddr, DefaultKeyedStateStore<IpAddr>, DefaultClock, StateInformationMiddleware>;

/// Forget idle clients every this many checks, so the key map stays small.
const SWEEP_EVERY: u64 = 4096;

/// The route groups and their limiters, shared by every worker of one server.
pub(crate) struct Limiters {
    auth: Group,
    api: Group,
    checks: AtomicU64,
}

struct Group {
    limit: RateLimit,
    limiter: KeyedLimiter,
}

impl Group {
    fn new(limit: RateLimit) -> Self {
        Self {
            limit,
            limiter: RateLimiter::keyed(limit.quota())
                .with_middleware::<StateInformationMiddleware>(),
        }
    }
}

impl Limiters {
    /// The limiters `settings` ask for, or `None` when rate limiting is off.
    pub(crate) fn from_settings(settings: &HttpSettings) -> Option<Self> {
        settings.rate_limit_enabled.then(|| Self {
            auth: Group::new(settings.rate_limit_auth),
            api: Group::new(settings.rate_limit_api),
            checks: AtomicU64::new(0),
        })
    }

    /// The group of `path`: the pattern of the route it reaches, or the path itself when it
    /// reaches none (a 404).
    fn group(&self, path: &str) -> Option<&Group> {
        match path {
            "/health" | "/ready" | "/metrics" => None,
            p if p == "/api/v1/auth" || p.starts_with("/api/v1/auth/") => Some(&self.auth),
            _ => Some(&self.api),
        }
    }

    fn sweep_now_and_then(&self) {
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            for group in [&self.auth, &self.api] {
                group.limiter.retain_recent();
                group.limiter.shrink_to_fit();
            }
        }
    }
}

/// What a check decided, with the values of the `RateLimit-*` headers.
struct Verdict {
    allowed: bool,
    limit: u32,
    remaining: u32,
    reset_secs: u64,
}

impl Verdict {
    fn check(group: &Group, ip: IpAddr) -> Self {
        let limit = group.limit.requests;
        match group.limiter.check_key(&ip) {
            Ok(snapshot) => {
                let remaining = snapshot.remaining_burst_capacity();
                let used = limit.saturating_sub(remaining);
                Self {
                    allowed: true,
                    limit,
                    remaining,
                    reset_secs: ceil_secs(group.limit.replenish_one() * used),
                }
            }
            Err(not_until) => {
                let wait = not_until.wait_time_from(group.limiter.clock().now());
                Self {
                    allowed: false,
                    limit,
                    remaining: 0,
                    reset_secs: ceil_secs(wait).max(1),
                }
            }
        }
    }

    fn write(&self, headers: &mut HeaderMap) {
        for (name, value) in [
            ("ratelimit-limit", u64::from(self.limit)),
            ("ratelimit-remaining", u64::from(self.remaining)),
            ("ratelimit-reset", self.reset_secs),
        ] {
            headers.insert(HeaderName::from_static(name), HeaderValue::from(value));
        }
        if !self.allowed {
            headers.insert(RETRY_AFTER, HeaderValue::from(self.reset_secs));
        }
    }
}

fn ceil_secs(d: Duration) -> u64 {
    d.as_secs() + u64::from(d.subsec_nanos() > 0)
}

/// The middleware (wrap it with `actix_web::middleware::from_fn`, inside the request-id one).
pub(crate) async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let verdict = req.app_data::<web::Data<Limiters>>().and_then(|limiters| {
        let group = limiters.group(&routed_path(&req))?;
        limiters.sweep_now_and_then();
        Some(Verdict::check(group, client_key(&req)))
    });
    let Some(verdict) = verdict else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    if !verdict.allowed {
        let mut problem = Problem::for_status(actix_web::http::StatusCode::TOO_MANY_REQUESTS);
        problem.detail = format!(
            "Too many requests from this address; try again in {} s.",
            verdict.reset_secs
        );
        let mut res = problem_response(
            HttpResponse::TooManyRequests(),
            ProblemMarker {
                problem,
                cause: None,
            },
        );
        verdict.write(res.headers_mut());
        return Ok(req.into_response(res));
    }
    let mut res = next.call(req).await?.map_into_boxed_body();
    verdict.write(res.headers_mut());
    Ok(res)
}

/// What the router will match `req` against: the pattern of the route it reaches, computed
/// from the percent-decoded path the router itself uses (the raw path would let
/// `/api/v1/%61uth/login` reach the login handler outside the auth budget), or that decoded
/// path when no route matches.
fn routed_path(req: &ServiceRequest) -> String {
    let decoded = req.match_info().as_str();
    req.resource_map()
        .match_pattern(decoded)
        .unwrap_or_else(|| decoded.to_owned())
}

/// The client IP as [`crate::ClientMeta`] derives it; requests without a peer address (not
/// over TCP) share one budget.
fn client_key(req: &ServiceRequest) -> IpAddr {
    let trusted: &[ipnet::IpNet] = req
        .app_data::<web::Data<AppState>>()
        .map_or(&[], |s| s.http.trusted_proxies.as_slice());
    let forwarded: Vec<&str> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect();
    client_ip(req.peer_addr().map(|a| a.ip()), &forwarded, trusted)
        .unwrap_or(IpAddr::V4(Ipv4Addr::UNSPECIFIED))
}

impl RateLimit {
    /// The GCRA quota: a burst of `requests`, replenished evenly over `per`.
    fn quota(self) -> Quota {
        let burst = NonZeroU32::new(self.requests).unwrap_or(NonZeroU32::MIN);
        Quota::with_period(self.replenish_one())
            .unwrap_or_else(|| Quota::per_second(burst))
            .allow_burst(burst)
    }

    /// How long one spent request takes to come back.
    fn replenish_one(self) -> Duration {
        (self.per / self.requests.max(1)).max(Duration::from_nanos(1))
    }
}

impl fmt::Display for Verdict {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} reset {}s",
            self.remaining, self.limit, self.reset_secs
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_of_the_limit_then_refusal_with_a_retry_after() {
        let group = Group::new("3/min".parse().unwrap());
        let ip: IpAddr = "192.0.2.1".parse().unwrap();
        let remaining: Vec<u32> = (0..3)
            .map(|_| Verdict::check(&group, ip))
            .inspect(|v| assert!(v.allowed, "{v}"))
            .map(|v| v.remaining)
            .collect();
        assert_eq!(remaining, [2, 1, 0]);
        let refused = Verdict::check(&group, ip);
        assert!(!refused.allowed);
        assert!((1..=20).contains(&refused.reset_secs), "{refused}");
        assert!(Verdict::check(&group, "192.0.2.2".parse().unwrap()).allowed);
    }
}
