//! The middleware every request passes, from the outside in (see `server::build_app`): the
//! response observer (tests only), the home runtime, request id and security headers, metrics,
//! CORS, rate limits, the database circuit; and the `Idempotency-Key` handling the writing
//! routes use.

pub(crate) mod circuit;
pub(crate) mod home_runtime;
pub(crate) mod idempotency;
pub(crate) mod observe;
pub(crate) mod rate_limit;
pub(crate) mod request_id;
pub(crate) mod security_headers;
