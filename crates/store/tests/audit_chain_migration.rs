//! The `audit_chain` migration numbers existing audit entries in id order and leaves them as
//! legacy (unhashed) entries; the chain starts with the next append and verifies, on SQLite and
//! PostgreSQL; the migration goes down and up again cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, fresh_postgres, fresh_sqlite};
use migration::{Migrator, MigratorTrait};
use plinth_audit::{AuditAction, AuditEvent, AuditEventId, ChainReport, GENESIS_HASH};
use plinth_kernel::RequestMeta;
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Query};

/// Inserts an entry with the schema before `audit_chain` (no `seq`), as the old adapter did.
async fn insert_legacy(t: &TestDb, id: AuditEventId) {
    let at =
        chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros()).unwrap();
    let insert = Query::insert()
        .into_table(Alias::new("audit_events"))
        .columns(["id", "at", "action", "details"].map(Alias::new))
        .values_panic([
            id.as_uuid().into(),
            at.into(),
            "auth.registered".into(),
            serde_json::json!({ "legacy": true }).into(),
        ])
        .to_owned();
    t.db.connection()
        .execute_raw(t.db.backend().build(&insert))
        .await
        .expect("insert a legacy audit row");
}

/// The rows as entries (none of them was tampered with).
fn entries(rows: Vec<plinth_audit::StoredEntry>) -> Vec<plinth_audit::ChainedEvent> {
    rows.into_iter()
        .map(|row| match row {
            plinth_audit::StoredEntry::Entry(e) => e,
            plinth_audit::StoredEntry::Unreadable(u) => panic!("unreadable row {u:?}"),
        })
        .collect()
}

async fn numbers_legacy_rows_and_chains_new_ones(t: TestDb) {
    let db = &t.db;
    Migrator::up(db.connection(), Some(8))
        .await
        .expect("the migrations before audit_chain");
    let (first, second) = (AuditEventId::new(), AuditEventId::new());
    // Inserted out of id order: seq follows ids (time of writing), not insertion order.
    insert_legacy(&t, second).await;
    insert_legacy(&t, first).await;

    db.migrate_up().await.expect("audit_chain up");
    let log = db.audit();
    let legacy = entries(log.chain_page(None, 10).await.unwrap());
    let seen: Vec<_> = legacy
        .iter()
        .map(|e| (e.seq, e.event.id, e.hash.clone()))
        .collect();
    assert_eq!(
        seen,
        vec![(1, first, None), (2, second, None)],
        "{}",
        t.label
    );
    assert_eq!(
        log.verify().await.unwrap(),
        ChainReport {
            ok: true,
            checked: 0,
            first_bad: None,
            first_bad_seq: None,
        },
        "{}: legacy entries are skipped, not counted",
        t.label
    );

    let uow = db.unit_of_work();
    let mut tx = uow.begin().await.unwrap();
    for _ in 0..2 {
        let e = AuditEvent::new(
            AuditAction::Logout,
            chrono::Utc::now(),
            &RequestMeta::default(),
        );
        log.append(tx.as_mut(), &e).await.unwrap();
    }
    tx.commit().await.unwrap();
    let all = entries(log.chain_page(None, 10).await.unwrap());
    assert_eq!(
        all.iter().map(|e| e.seq).collect::<Vec<_>>(),
        [1, 2, 3, 4],
        "{}",
        t.label
    );
    assert_eq!(
        all[2].prev_hash.as_deref(),
        Some(GENESIS_HASH),
        "{}: the chain starts after the legacy rows",
        t.label
    );
    assert_eq!(
        log.verify().await.unwrap(),
        ChainReport {
            ok: true,
            checked: 2,
            first_bad: None,
            first_bad_seq: None,
        },
        "{}",
        t.label
    );

    db.migrate_down().await.expect("audit_chain down");
    db.migrate_up().await.expect("up again");
    let again = log.chain_page(None, 10).await.unwrap();
    assert_eq!(again.len(), 4, "{}: down and up keep the entries", t.label);
    assert!(log.verify().await.unwrap().ok, "{}", t.label);
}

#[tokio::test]
async fn sqlite_numbers_legacy_rows_and_chains_new_ones() {
    numbers_legacy_rows_and_chains_new_ones(fresh_sqlite().await).await;
}

#[tokio::test]
async fn postgres_numbers_legacy_rows_and_chains_new_ones() {
    let Some(t) = fresh_postgres().await else {
        return;
    };
    numbers_legacy_rows_and_chains_new_ones(t).await;
}
