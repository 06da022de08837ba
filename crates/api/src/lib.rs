//! The Plinth HTTP API: actix-web routes, extractors, middleware, [`ApiError`] and the OpenAPI
//! document.
//!
//! [`serve`] starts the server on a bound listener; [`openapi_json`] prints the very document
//! served at `/api/v1/openapi.json`, because both come from the same route registration
//! (`routes::configure`). Every error, including unknown routes and malformed bodies, is an
//! RFC 9457 problem (`application/problem+json`) carrying the request's `X-Request-Id`.

pub mod cookies;
mod docs;
mod dto;
mod error;
mod extract;
mod feature;
pub mod metrics;
mod middleware;
mod openapi;
mod problem;
mod routes;
mod server;
mod state;

pub use cookies::{CookieSameSite, CookieSettings};
pub use error::{ApiError, FieldErrors, SignInRefusal};
pub use extract::{AuthUser, ClientMeta};
pub use feature::require_feature;
pub use middleware::circuit::Circuit;
pub use middleware::idempotency::{IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER};
pub use middleware::observe::{ObservedResponse, ResponseObserver};
pub use middleware::rate_limit::{RateLimit, RateLimitParseError};
pub use middleware::request_id::{REQUEST_ID_HEADER, RequestId};
pub use openapi::openapi_json;
pub use problem::{PROBLEM_JSON, Problem};
pub use server::{serve, serve_observed};
pub use state::{AppState, HttpSettings, ReadinessCheck};
