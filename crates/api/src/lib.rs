//! The Plinth HTTP API: actix-web routes, extractors, middleware, [`ApiError`] and the OpenAPI
//! document.
//!
//! [`serve`] starts the server on a bound listener; [`openapi_json`] prints the very document
//! served at `/api/v1/openapi.json`, because both come from the same route registration
//! (`routes::configure`). Every error, including unknown routes and malformed bodies, is an
//! RFC 9457 problem (`application/problem+json`) carrying the request's `X-Request-Id`.

mod circuit;
mod docs;
mod dto;
mod error;
mod extract;
mod feature;
mod home_runtime;
mod idempotency;
pub mod metrics;
mod observe;
mod openapi;
mod problem;
mod rate_limit;
mod request_id;
mod routes;
mod security_headers;
mod server;
mod state;

pub use circuit::Circuit;
pub use error::{ApiError, FieldErrors};
pub use extract::{AuthUser, ClientMeta, require_permission};
pub use feature::require_feature;
pub use idempotency::{IDEMPOTENCY_KEY_HEADER, REPLAYED_HEADER};
pub use observe::{ObservedResponse, ResponseObserver};
pub use openapi::openapi_json;
pub use problem::{PROBLEM_JSON, Problem};
pub use rate_limit::{RateLimit, RateLimitParseError};
pub use request_id::{REQUEST_ID_HEADER, RequestId};
pub use server::{serve, serve_observed};
pub use state::{AppState, HttpSettings, ReadinessCheck};
