//! SeaORM entities: one module per table, mirroring the migrations in `migration/` (which
//! never import these). Domain types are converted to and from these rows in `repos`.

pub mod announcements;
pub mod audit_events;
pub mod billing_pending_items;
pub mod file_org_shares;
pub mod file_shares;
pub mod file_versions;
pub mod files;
pub mod idempotency_keys;
pub mod invoice_lines;
pub mod invoices;
pub mod oauth_flows;
pub mod one_time_tokens;
pub mod org_invitations;
pub mod org_members;
pub mod org_roles;
pub mod organizations;
pub mod passkey_ceremonies;
pub mod passkeys;
pub mod passwordless_requests;
pub mod permissions;
pub mod plan_prices;
pub mod plans;
pub mod refresh_tokens;
pub mod role_permissions;
pub mod roles;
pub mod sessions;
pub mod stripe_events;
pub mod subscription_invoices;
pub mod subscription_renewals;
pub mod subscriptions;
pub mod token_revocations;
pub mod totp_factors;
pub mod user_data;
pub mod user_identities;
pub mod users;
