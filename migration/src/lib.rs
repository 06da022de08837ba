//! Plinth's database migrations: the only place DDL lives.
//!
//! Built on SeaORM's migration template: every migration is a module named
//! `mYYYYMMDD_NNNNNN_name` listed in [`Migrator::migrations`], in order. A migration never
//! imports the current entities (they change; a migration must not), and every migration has a
//! working `down`.
//!
//! The schema is portable between SQLite, PostgreSQL and PostgreSQL-compatible distributed
//! databases (CockroachDB): UUID primary keys (the application generates UUIDv7s), no
//! sequences, no enums, no partial indexes, no PostgreSQL-only types. Timestamps are
//! `timestamp with time zone` (text in RFC 3339 form on SQLite), JSON is `json` (text on
//! SQLite), and every constraint and index has an explicit name so that error messages and the
//! store's error mapping can rely on it.
//!
//! The `plinth migrate up|down|status` subcommand is the command-line front end; it goes
//! through `plinth_store::Database`, which also serialises concurrent migrators on PostgreSQL
//! with an advisory lock.

pub use sea_orm_migration::MigrationStatus;
pub use sea_orm_migration::prelude::*;

mod m20261121_000001_users;
mod m20261121_000002_sessions;
mod m20261121_000003_audit;
mod m20261121_000004_files;
mod m20261121_000005_billing;
mod m20261122_000006_file_versions;
mod m20261122_000007_file_download_count;
mod m20261122_000008_file_shares;
mod m20261129_000009_audit_chain;
mod m20261129_000010_refresh_successor;
mod m20261129_000011_login_lockout;
mod m20261129_000012_one_time_tokens;
mod m20261129_000013_user_data;
mod m20261129_000014_invoices;
mod m20261129_000015_subscriptions;
mod m20261129_000016_idempotency;
mod m20261129_000017_totp_factors;
mod m20261129_000018_token_revocations;
mod m20261129_000019_file_versions_storage_key;
mod m20261129_000020_payments;
mod m20261129_000021_announcements;
mod m20261129_000022_subscription_invoices;
mod m20261129_000023_roles;
mod m20261129_000024_users_avatar_key_index;
mod m20261129_000025_invoice_provider_payment;
mod m20261206_000005_file_signed_url_generation;
mod m20261207_000027_organizations;
mod m20261207_000028_org_invitations;
mod m20261207_000029_passwordless_requests;
mod m20261207_000030_org_administration;
mod m20261207_000031_audit_org;
mod m20261207_000032_acting_for_org;
mod m20261207_000033_org_files;
mod m20261207_000034_oauth_identities;
mod m20261207_000035_file_org_shares;
mod m20261207_000036_org_billing;
mod m20261207_000037_passkeys;
mod m20261208_000038_user_locale;
mod m20261208_000039_events;

/// Runs Plinth's migrations (see [`MigratorTrait`]: `up`, `down`, `get_migration_with_status`).
pub struct Migrator;

#[async_trait::async_trait]
impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(m20261121_000001_users::Migration),
            Box::new(m20261121_000002_sessions::Migration),
            Box::new(m20261121_000003_audit::Migration),
            Box::new(m20261121_000004_files::Migration),
            Box::new(m20261121_000005_billing::Migration),
            Box::new(m20261122_000006_file_versions::Migration),
            Box::new(m20261122_000007_file_download_count::Migration),
            Box::new(m20261122_000008_file_shares::Migration),
            Box::new(m20261129_000009_audit_chain::Migration),
            Box::new(m20261129_000010_refresh_successor::Migration),
            Box::new(m20261129_000011_login_lockout::Migration),
            Box::new(m20261129_000012_one_time_tokens::Migration),
            Box::new(m20261129_000013_user_data::Migration),
            Box::new(m20261129_000014_invoices::Migration),
            Box::new(m20261129_000015_subscriptions::Migration),
            Box::new(m20261129_000016_idempotency::Migration),
            Box::new(m20261129_000017_totp_factors::Migration),
            Box::new(m20261129_000018_token_revocations::Migration),
            Box::new(m20261129_000019_file_versions_storage_key::Migration),
            Box::new(m20261129_000020_payments::Migration),
            Box::new(m20261129_000021_announcements::Migration),
            Box::new(m20261129_000022_subscription_invoices::Migration),
            Box::new(m20261129_000023_roles::Migration),
            Box::new(m20261129_000024_users_avatar_key_index::Migration),
            Box::new(m20261129_000025_invoice_provider_payment::Migration),
            Box::new(m20261206_000005_file_signed_url_generation::Migration),
            Box::new(m20261207_000027_organizations::Migration),
            Box::new(m20261207_000028_org_invitations::Migration),
            Box::new(m20261207_000029_passwordless_requests::Migration),
            Box::new(m20261207_000030_org_administration::Migration),
            Box::new(m20261207_000031_audit_org::Migration),
            Box::new(m20261207_000032_acting_for_org::Migration),
            Box::new(m20261207_000033_org_files::Migration),
            Box::new(m20261207_000034_oauth_identities::Migration),
            Box::new(m20261207_000035_file_org_shares::Migration),
            Box::new(m20261207_000036_org_billing::Migration),
            Box::new(m20261207_000037_passkeys::Migration),
            Box::new(m20261208_000038_user_locale::Migration),
            Box::new(m20261208_000039_events::Migration),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_are_listed_in_name_order_without_duplicates() {
        let names: Vec<String> = Migrator::migrations()
            .iter()
            .map(|m| m.name().to_owned())
            .collect();
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(names, sorted);
        assert_eq!(names.len(), 39);
        assert!(names.iter().all(|n| n.starts_with("m20261")));
    }
}
