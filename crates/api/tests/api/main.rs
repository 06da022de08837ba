//! HTTP tests of the whole API: `plinth_api::serve` on 127.0.0.1:0 over the in-memory adapters,
//! driven with reqwest as a client would.
#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

mod admin;
mod announcements;
mod audit;
mod auth;
mod avatar;
mod circuit;
mod contract;
mod cookies;
mod edge;
mod email_change;
mod events;
mod files;
mod helpers;
mod idempotency;
mod invoice_payments;
mod invoices;
mod locale;
mod me_data;
mod me_delete;
mod meta;
mod metrics;
mod mfa;
mod oauth;
mod org_billing;
mod org_files;
mod orgs;
mod orgs_acting;
mod passkeys;
mod passwordless;
mod plan_prices;
mod problems;
mod quota;
mod rate_limit;
mod reauth;
mod recovery;
mod renewal_invoices;
mod role_matrix;
mod service;
mod sessions;
mod subscriptions;
