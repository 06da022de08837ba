//! End-to-end tests of the `plinth` server: in-process through `spawn_app()` (port 0, a fresh
//! database and storage folder per test) and, for what only a real process can show
//! (durability after `kill -9`, signals, exit codes), through the built binary.
//!
//! Every test runs against SQLite, or against a fresh PostgreSQL database per test when
//! `TEST_DATABASE_URL` is set (`CREATE DATABASE plinth_test_<uuid>` on that server).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod helpers;

mod admin;
mod admin_users;
mod announcements;
mod audit_tamper;
mod auth;
mod avatars;
mod cookies;
mod events;
mod files;
mod idle;
mod invoices;
mod isolation_matrix;
mod jwks;
mod locale;
mod lockout;
mod logs;
mod mail;
mod oauth;
mod org_billing;
mod orgs;
mod orgs_acting;
mod outage;
mod passkeys;
mod passwordless;
mod process;
mod queries;
mod recovery;
mod renewals;
mod revocation;
mod role_matrix;
#[path = "../../../api/tests/api/role_matrix/table.rs"]
mod role_matrix_table;
mod roles;
mod service;
#[path = "../../../api/tests/api/helpers/sse.rs"]
mod sse;
mod stripe_webhook;
mod subscriptions;
