//! Migrations: a full up → down → up cycle on SQLite and PostgreSQL, and concurrent start-up
//! migrators on PostgreSQL (the advisory lock).
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, fresh_postgres, fresh_sqlite, sample_user};
use plinth_store::Database;
use sea_orm::{ConnectionTrait, Statement};

const MIGRATIONS: usize = 39;

/// Whether `invoices.provider_payment_id` exists (a query naming it runs).
async fn has_column(db: &Database, table: &str, column: &str) -> bool {
    db.connection()
        .query_all_raw(Statement::from_string(
            db.backend(),
            format!("SELECT {column} FROM {table}"),
        ))
        .await
        .is_ok()
}

async fn applied(db: &Database) -> Vec<String> {
    db.migrate_status()
        .await
        .expect("status")
        .into_iter()
        .filter(|(_, on)| *on)
        .map(|(n, _)| n)
        .collect()
}

async fn table_exists(db: &Database, table: &str) -> bool {
    let stmt = Statement::from_string(db.backend(), format!("SELECT COUNT(*) FROM {table}"));
    db.connection().query_one_raw(stmt).await.is_ok()
}

/// Whether an index named `name` exists (SQLite's catalogue, or PostgreSQL's).
async fn index_exists(db: &Database, name: &str) -> bool {
    let sql = match db.backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            format!(
                "SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name = '{name}'"
            )
        }
        _ => format!("SELECT COUNT(*) AS n FROM pg_indexes WHERE indexname = '{name}'"),
    };
    let row = db
        .connection()
        .query_one_raw(Statement::from_string(db.backend(), sql))
        .await
        .expect("catalogue query")
        .expect("one row");
    row.try_get::<i64>("", "n").expect("a count") > 0
}

async fn can_store_a_user(db: &Database) {
    common::create_user(db).await;
}

async fn up_down_up(t: TestDb) {
    let db = &t.db;
    let status = db
        .migrate_status()
        .await
        .expect("status of an empty database");
    assert_eq!(
        status.len(),
        MIGRATIONS,
        "{}: every migration is listed",
        t.label
    );
    assert!(
        status.iter().all(|(_, on)| !on),
        "{}: nothing applied yet: {status:?}",
        t.label
    );
    assert!(
        status.iter().map(|(n, _)| n.as_str()).eq([
            "m20261121_000001_users",
            "m20261121_000002_sessions",
            "m20261121_000003_audit",
            "m20261121_000004_files",
            "m20261121_000005_billing",
            "m20261122_000006_file_versions",
            "m20261122_000007_file_download_count",
            "m20261122_000008_file_shares",
            "m20261129_000009_audit_chain",
            "m20261129_000010_refresh_successor",
            "m20261129_000011_login_lockout",
            "m20261129_000012_one_time_tokens",
            "m20261129_000013_user_data",
            "m20261129_000014_invoices",
            "m20261129_000015_subscriptions",
            "m20261129_000016_idempotency",
            "m20261129_000017_totp_factors",
            "m20261129_000018_token_revocations",
            "m20261129_000019_file_versions_storage_key",
            "m20261129_000020_payments",
            "m20261129_000021_announcements",
            "m20261129_000022_subscription_invoices",
            "m20261129_000023_roles",
            "m20261129_000024_users_avatar_key_index",
            "m20261129_000025_invoice_provider_payment",
            "m20261206_000005_file_signed_url_generation",
            "m20261207_000027_organizations",
            "m20261207_000028_org_invitations",
            "m20261207_000029_passwordless_requests",
            "m20261207_000030_org_administration",
            "m20261207_000031_audit_org",
            "m20261207_000032_acting_for_org",
            "m20261207_000033_org_files",
            "m20261207_000034_oauth_identities",
            "m20261207_000035_file_org_shares",
            "m20261207_000036_org_billing",
            "m20261207_000037_passkeys",
            "m20261208_000038_user_locale",
            "m20261208_000039_events",
        ]),
        "{}: oldest first: {status:?}",
        t.label
    );

    db.migrate_up().await.expect("up");
    assert_eq!(
        applied(db).await.len(),
        MIGRATIONS,
        "{}: all applied",
        t.label
    );
    for table in [
        "users",
        "sessions",
        "refresh_tokens",
        "audit_events",
        "files",
        "file_versions",
        "plans",
        "one_time_tokens",
        "invoices",
        "invoice_lines",
        "invoice_counters",
        "subscriptions",
        "subscription_renewals",
        "billing_pending_items",
        "plan_prices",
        "idempotency_keys",
        "stripe_events",
        "announcements",
        "roles",
        "permissions",
        "role_permissions",
        "subscription_invoices",
        "organizations",
        "org_members",
        "org_roles",
        "org_invitations",
        "passwordless_requests",
        "oauth_flows",
        "user_identities",
        "passkey_ceremonies",
        "passkeys",
        "events",
    ] {
        assert!(
            table_exists(db, table).await,
            "{}: {table} exists after up",
            t.label
        );
    }
    assert!(
        has_column(db, "users", "locale").await,
        "{}: users carry their locale",
        t.label
    );
    assert!(
        index_exists(db, "idx_users_avatar_key").await,
        "{}: the reconciler's avatar-key lookups are indexed",
        t.label
    );
    assert!(
        has_column(db, "invoices", "provider_payment_id").await,
        "{}: invoices record the provider's payment id",
        t.label
    );
    assert!(
        has_column(db, "files", "signed_url_generation").await,
        "{}: files carry their signed-URL generation",
        t.label
    );
    assert!(
        has_column(db, "sessions", "org_id").await
            && has_column(db, "token_revocations", "org_id").await,
        "{}: sessions say what they act for, revocations which organization they end",
        t.label
    );
    assert!(
        has_column(db, "files", "org_id").await && index_exists(db, "idx_files_org_id_id").await,
        "{}: files say which organization owns them, indexed by organization",
        t.label
    );
    assert!(
        table_exists(db, "file_org_shares").await
            && index_exists(db, "idx_file_org_shares_org_id_file_id").await,
        "{}: files are shared with organizations, indexed by organization",
        t.label
    );
    assert!(
        has_column(db, "subscriptions", "org_id").await
            && has_column(db, "subscriptions", "live_org_id").await
            && has_column(db, "subscriptions", "quantity").await
            && has_column(db, "invoices", "org_id").await
            && has_column(db, "organizations", "billing_name").await
            && has_column(db, "organizations", "billing_email").await
            && index_exists(db, "uq_subscriptions_live_org_id").await
            && index_exists(db, "idx_invoices_org_id_id").await,
        "{}: subscriptions and invoices say which organization they belong to",
        t.label
    );
    can_store_a_user(db).await;
    db.migrate_up().await.expect("a second up is a no-op");

    let names: Vec<String> = db
        .migrate_status()
        .await
        .unwrap()
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    for step in 1..=MIGRATIONS {
        db.migrate_down().await.expect("down one step");
        let now = applied(db).await;
        assert_eq!(
            now,
            names[..MIGRATIONS - step],
            "{}: down reverts the newest migration only",
            t.label
        );
        if step == 1 {
            assert!(
                !table_exists(db, "events").await && has_column(db, "users", "locale").await,
                "{}: the newest down drops the event outbox only",
                t.label
            );
        }
        if step == 2 {
            assert!(
                !has_column(db, "users", "locale").await && table_exists(db, "passkeys").await,
                "{}: the next down drops users.locale only",
                t.label
            );
        }
        if step == 3 {
            assert!(
                !table_exists(db, "passkeys").await
                    && !table_exists(db, "passkey_ceremonies").await
                    && has_column(db, "subscriptions", "org_id").await,
                "{}: the next down drops passkeys and passkey_ceremonies only",
                t.label
            );
        }
        if step == 4 {
            assert!(
                !has_column(db, "subscriptions", "org_id").await
                    && !has_column(db, "subscriptions", "quantity").await
                    && !has_column(db, "invoices", "org_id").await
                    && !has_column(db, "organizations", "billing_email").await
                    && !index_exists(db, "uq_subscriptions_live_org_id").await
                    && table_exists(db, "file_org_shares").await,
                "{}: the next down drops the organization billing columns only",
                t.label
            );
        }
        if step == 5 {
            assert!(
                !table_exists(db, "file_org_shares").await
                    && has_column(db, "files", "org_id").await,
                "{}: the next down drops file_org_shares only",
                t.label
            );
        }
        if step == 6 {
            assert!(
                !table_exists(db, "user_identities").await
                    && !table_exists(db, "oauth_flows").await
                    && has_column(db, "files", "org_id").await,
                "{}: the next down drops user_identities and oauth_flows only",
                t.label
            );
        }
        if step == 7 {
            assert!(
                !has_column(db, "files", "org_id").await
                    && !index_exists(db, "idx_files_org_id_id").await
                    && has_column(db, "sessions", "org_id").await,
                "{}: the newest down drops files.org_id and its index",
                t.label
            );
        }
        if step == 8 {
            assert!(
                !has_column(db, "sessions", "org_id").await
                    && !has_column(db, "token_revocations", "org_id").await
                    && has_column(db, "audit_events", "org_id").await,
                "{}: the newest down drops sessions.org_id and token_revocations.org_id",
                t.label
            );
        }
        if step == 9 {
            assert!(
                !has_column(db, "audit_events", "org_id").await
                    && !index_exists(db, "idx_audit_events_org_id_id").await
                    && has_column(db, "organizations", "suspended_at").await,
                "{}: the next one drops audit_events.org_id and its index",
                t.label
            );
        }
        if step == 10 {
            assert!(
                !has_column(db, "organizations", "suspended_at").await
                    && table_exists(db, "passwordless_requests").await,
                "{}: the newest down drops organizations.suspended_at",
                t.label
            );
        }
        if step == 11 {
            assert!(
                !table_exists(db, "passwordless_requests").await
                    && table_exists(db, "org_invitations").await,
                "{}: the newest down drops passwordless_requests only",
                t.label
            );
        }
        if step == 12 {
            assert!(
                !table_exists(db, "org_invitations").await && table_exists(db, "org_members").await,
                "{}: the newest down drops org_invitations only",
                t.label
            );
        }
        if step == 13 {
            assert!(
                !table_exists(db, "org_members").await && !table_exists(db, "organizations").await,
                "{}: the newest down drops the organization tables",
                t.label
            );
            assert!(has_column(db, "files", "signed_url_generation").await);
        }
        if step == 14 {
            assert!(
                !has_column(db, "files", "signed_url_generation").await,
                "{}: the next down drops files.signed_url_generation",
                t.label
            );
            assert!(has_column(db, "invoices", "provider_payment_id").await);
        }
        if step == 15 {
            assert!(
                !has_column(db, "invoices", "provider_payment_id").await,
                "{}: the next down drops invoices.provider_payment_id",
                t.label
            );
        }
        if step == 16 {
            assert!(
                !index_exists(db, "idx_users_avatar_key").await,
                "{}: the next down drops the avatar-key index",
                t.label
            );
        }
    }
    assert!(
        applied(db).await.is_empty(),
        "{}: none applied after going all the way down",
        t.label
    );
    for table in [
        "users",
        "sessions",
        "refresh_tokens",
        "audit_events",
        "files",
        "file_versions",
        "plans",
        "one_time_tokens",
        "invoices",
        "invoice_lines",
        "invoice_counters",
        "subscriptions",
        "subscription_renewals",
        "billing_pending_items",
        "plan_prices",
        "idempotency_keys",
        "stripe_events",
        "announcements",
        "roles",
        "permissions",
        "role_permissions",
        "subscription_invoices",
        "organizations",
        "org_members",
        "org_roles",
        "org_invitations",
        "passwordless_requests",
        "oauth_flows",
        "user_identities",
        "passkey_ceremonies",
        "passkeys",
        "events",
    ] {
        assert!(
            !table_exists(db, table).await,
            "{}: {table} is gone after down",
            t.label
        );
    }

    db.migrate_up().await.expect("up again");
    assert_eq!(
        applied(db).await.len(),
        MIGRATIONS,
        "{}: all applied again",
        t.label
    );
    can_store_a_user(db).await;
}

#[tokio::test]
async fn sqlite_up_down_up() {
    up_down_up(fresh_sqlite().await).await;
}

#[tokio::test]
async fn postgres_up_down_up() {
    let Some(t) = fresh_postgres().await else {
        return;
    };
    up_down_up(t).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_concurrent_migrators_both_succeed_and_apply_once() {
    let Some(t) = fresh_postgres().await else {
        return;
    };
    let replicas = [
        t.second_connection().await,
        t.second_connection().await,
        t.second_connection().await,
    ];
    let [a, b, c] = &replicas;
    let (ra, rb, rc, rd) = tokio::join!(
        a.migrate_up(),
        b.migrate_up(),
        c.migrate_up(),
        t.db.migrate_up()
    );
    for (i, r) in [ra, rb, rc, rd].into_iter().enumerate() {
        r.unwrap_or_else(|e| panic!("migrator {i} failed: {e}"));
    }
    assert_eq!(applied(&t.db).await.len(), MIGRATIONS);
    let count =
        t.db.connection()
            .query_one_raw(Statement::from_string(
                t.db.backend(),
                "SELECT CAST(COUNT(*) AS BIGINT) AS n FROM seaql_migrations",
            ))
            .await
            .unwrap()
            .unwrap()
            .try_get::<i64>("", "n")
            .unwrap();
    assert_eq!(
        count, MIGRATIONS as i64,
        "each migration recorded exactly once"
    );
    // The schema works from every replica.
    let user = sample_user();
    let uow = b.unit_of_work();
    let mut tx = uow.begin().await.unwrap();
    b.users().insert(tx.as_mut(), &user).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        a.users().by_id(user.id).await.unwrap().map(|u| u.id),
        Some(user.id)
    );
    for r in &replicas {
        r.close().await.unwrap();
    }
}
