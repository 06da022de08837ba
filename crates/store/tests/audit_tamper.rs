//! The audit trail edited with raw SQL behind the adapter's back, as someone with write access
//! to the database would: whatever a row is made to hold, verification answers (never an
//! error), names the edited row, and the listing still answers. On SQLite, and on PostgreSQL
//! when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use chrono::TimeZone;
use common::{TestDb, postgres, sqlite};
use plinth_audit::{AuditAction, AuditEvent, AuditFilter, AuditLog, GENESIS_HASH, StoredEntry};
use plinth_kernel::{PageRequest, RequestMeta};
use sea_orm::{ConnectionTrait, DbBackend};

/// How many entries each test log holds.
const ROWS: usize = 8;

/// A log of [`ROWS`] committed entries with every field set, at fixed instants, and a copy of
/// its table (`audit_backup`) to restore it from.
async fn seeded(t: &TestDb) -> (Arc<dyn AuditLog>, Vec<AuditEvent>) {
    let log = t.db.audit();
    let uow = t.db.unit_of_work();
    let start = chrono::Utc
        .with_ymd_and_hms(2026, 2, 28, 23, 59, 0)
        .unwrap();
    let mut events = Vec::new();
    for i in 0..ROWS {
        let meta = RequestMeta {
            ip: Some(format!("203.0.113.{i}")),
            user_agent: Some("tamper-test/1".into()),
            request_id: Some(format!("req-{i}")),
        };
        let at = start + chrono::Duration::microseconds(1_000_123 * i as i64);
        let event = AuditEvent::new(AuditAction::UserUpdated, at, &meta)
            .actor(uuid::Uuid::now_v7())
            .target("user", format!("u-{i}"))
            .details(serde_json::json!({ "i": i, "name": "Ada" }));
        let mut tx = uow.begin().await.unwrap();
        log.append(tx.as_mut(), &event).await.unwrap();
        tx.commit().await.unwrap();
        events.push(event);
    }
    sql(t, "CREATE TABLE audit_backup AS SELECT * FROM audit_events")
        .await
        .unwrap();
    let report = log.verify().await.unwrap();
    assert!(report.ok && report.checked == ROWS as u64, "{report:?}");
    (log, events)
}

async fn sql(t: &TestDb, statement: &str) -> Result<u64, sea_orm::DbErr> {
    t.db.connection()
        .execute_unprepared(statement)
        .await
        .map(|r| r.rows_affected())
}

/// Puts the seeded rows back as they were.
async fn restore(t: &TestDb) {
    sql(t, "DELETE FROM audit_events").await.unwrap();
    sql(t, "INSERT INTO audit_events SELECT * FROM audit_backup")
        .await
        .unwrap();
}

/// Every stored row, in `seq` order, as the adapter reads them (never an error).
async fn rows(log: &dyn AuditLog) -> Vec<StoredEntry> {
    log.chain_page(None, 1000)
        .await
        .expect("chain_page never fails on row content")
}

/// The listing answers, with every row either as an entry or named as unreadable.
async fn assert_listing_answers(log: &dyn AuditLog, label: &str) {
    let page = log
        .list(&AuditFilter::default(), PageRequest::first(100))
        .await
        .unwrap_or_else(|e| panic!("{label}: the listing failed: {e}"));
    assert!(!page.items.is_empty(), "{label}: the listing is empty");
}

/// One edit of one column of the entry at `seq`.
async fn edit(t: &TestDb, seq: usize, column: &str, value: &str) -> Result<u64, sea_orm::DbErr> {
    sql(
        t,
        &format!("UPDATE audit_events SET {column} = {value} WHERE seq = {seq}"),
    )
    .await
}

/// Edits that each make the entry at seq 3 bad, with the backends they can be written on.
fn targeted_edits(backend: DbBackend) -> Vec<(&'static str, String)> {
    let mut edits: Vec<(&str, String)> = vec![
        ("action", "'auth.root_granted'".into()),
        ("action", "''".into()),
        ("action", "'auth.logout'".into()),
        ("details", "'{\"i\": 2, \"name\": \"Eve\"}'".into()),
        ("details", "'null'".into()),
        ("details", "'[1,2]'".into()),
        ("actor_id", "NULL".into()),
        ("target_type", "NULL".into()),
        ("target_id", "'u-99'".into()),
        ("ip", "NULL".into()),
        ("user_agent", "'curl/8'".into()),
        ("request_id", "NULL".into()),
        ("prev_hash", "NULL".into()),
        ("prev_hash", format!("'{GENESIS_HASH}'")),
        ("hash", "NULL".into()),
        ("hash", "'not-a-hash'".into()),
        ("at", "'2026-03-01 00:00:00+00:00'".into()),
        ("seq", "-7".into()),
        ("seq", "1000".into()),
    ];
    match backend {
        DbBackend::Sqlite => edits.extend([
            ("details", "'{not json'".into()),
            ("details", "X'00ff'".into()),
            ("at", "'yesterday'".into()),
            ("at", "X'00'".into()),
            ("seq", "'three'".into()),
            ("seq", "3.5".into()),
            ("id", "'not-a-uuid'".into()),
            ("id", "X'0011'".into()),
            ("actor_id", "'nobody'".into()),
            ("action", "42".into()),
            ("hash", "X'00'".into()),
        ]),
        _ => edits.extend([
            ("at", "'infinity'".into()),
            ("at", "'-infinity'".into()),
            ("at", "'294276-12-31 23:59:59+00'".into()),
            ("at", "'4713-01-01 00:00:00+00 BC'".into()),
            ("details", "'{\"n\": 1e400}'".into()),
            ("id", format!("'{}'", uuid::Uuid::now_v7())),
            ("actor_id", format!("'{}'", uuid::Uuid::nil())),
        ]),
    }
    edits
}

async fn every_kind_of_edit_is_named_and_listed(t: TestDb) {
    let (log, events) = seeded(&t).await;
    let victim = 2; // seq 3
    for (column, value) in targeted_edits(t.db.backend()) {
        restore(&t).await;
        let label = format!("{}: {column} = {value}", t.label);
        let changed = edit(&t, victim + 1, column, &value)
            .await
            .unwrap_or_else(|e| panic!("{label}: {e}"));
        assert_eq!(changed, 1, "{label}");
        let report = log
            .verify()
            .await
            .unwrap_or_else(|e| panic!("{label}: verify failed: {e}"));
        assert!(!report.ok, "{label}: {report:?}");
        match column {
            // Moved to the end of the chain: the gap it leaves is found first.
            "seq" if value == "1000" || value == "'three'" => {
                assert_eq!(report.first_bad, Some(events[victim + 1].id), "{label}");
            }
            // Moved to the front (negative) or unreadable (3.5): the row itself.
            "seq" => assert_eq!(report.first_bad, Some(events[victim].id), "{label}"),
            // The id is the edited value, or unreadable: the position names the row.
            "id" => assert_eq!(report.first_bad_seq, Some(victim as u64 + 1), "{label}"),
            _ => {
                assert_eq!(report.first_bad, Some(events[victim].id), "{label}");
                assert_eq!(report.first_bad_seq, Some(victim as u64 + 1), "{label}");
                assert_eq!(report.checked, victim as u64 + 1, "{label}: {report:?}");
            }
        }
        assert_listing_answers(&*log, &label).await;
    }

    // A deleted row: the next one no longer links.
    restore(&t).await;
    sql(
        &t,
        &format!("DELETE FROM audit_events WHERE seq = {}", victim + 1),
    )
    .await
    .unwrap();
    let report = log.verify().await.unwrap();
    assert_eq!(report.first_bad, Some(events[victim + 1].id), "{report:?}");

    // Two rows swapped in the chain order.
    restore(&t).await;
    for statement in [
        "UPDATE audit_events SET seq = -1 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = 4",
        "UPDATE audit_events SET seq = 4 WHERE seq = -1",
    ] {
        sql(&t, statement).await.unwrap();
    }
    let report = log.verify().await.unwrap();
    assert_eq!(report.first_bad, Some(events[3].id), "{report:?}");

    // A duplicated seq (the unique index dropped first).
    restore(&t).await;
    sql(&t, "DROP INDEX uq_audit_events_seq").await.unwrap();
    sql(&t, "UPDATE audit_events SET seq = 3 WHERE seq = 4")
        .await
        .unwrap();
    let report = log.verify().await.unwrap();
    assert!(!report.ok, "{report:?}");
    assert!(
        report.first_bad == Some(events[2].id) || report.first_bad == Some(events[3].id),
        "{report:?}"
    );

    // Put back as it was, the log verifies again.
    sql(
        &t,
        "UPDATE audit_events SET seq = 4 WHERE id IN (SELECT id FROM audit_backup WHERE seq = 4)",
    )
    .await
    .unwrap();
    assert!(log.verify().await.unwrap().ok);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_edit_is_named_and_listed_sqlite() {
    every_kind_of_edit_is_named_and_listed(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_edit_is_named_and_listed_postgres() {
    if let Some(t) = postgres().await {
        every_kind_of_edit_is_named_and_listed(t).await;
    }
}

/// A small deterministic generator (SplitMix64), so that a failing round can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, items: &'a [&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn hex(&mut self, bytes: usize) -> String {
        (0..bytes)
            .map(|_| format!("{:02x}", self.next() as u8))
            .collect()
    }

    fn text(&mut self) -> String {
        const CHARS: &[u8] = b"abz09 .-_:{}[]\"'\\\xc3\xa9";
        let len = self.below(12);
        let bytes: Vec<u8> = (0..len)
            .map(|_| CHARS[self.below(CHARS.len() - 2)])
            .collect();
        String::from_utf8_lossy(&bytes).replace('\'', "''")
    }
}

const COLUMNS: &[&str] = &[
    "id",
    "at",
    "actor_id",
    "action",
    "target_type",
    "target_id",
    "ip",
    "user_agent",
    "request_id",
    "details",
    "prev_hash",
    "hash",
    "seq",
];

/// A random SQL value: of the column's type or not, valid or not, sometimes another row's.
fn random_value(rng: &mut Rng, backend: DbBackend) -> String {
    let other_seq = rng.below(ROWS) + 1;
    let mut choices: Vec<String> = vec![
        "NULL".into(),
        format!("'{}'", rng.text()),
        format!(
            "'{}'",
            rng.pick(&["auth.logout", "user.updated", "no.such.action", ""])
        ),
        format!(
            "'{}'",
            rng.pick(&[
                "{}",
                "{\"i\": 1}",
                "[]",
                "null",
                "\"x\"",
                "{",
                "1e999",
                "{\"name\":\"Ada\",\"i\":2}"
            ])
        ),
        format!(
            "'{}'",
            uuid::Uuid::from_u128(u128::from(rng.next()) << 64 | u128::from(rng.next()))
        ),
        format!(
            "'{}'",
            rng.pick(&[
                "2026-02-28 23:59:00+00:00",
                "2026-02-28 23:59:02.000246+00:00",
                "1999-12-31 23:59:59.999999+00",
                "2024-02-29 12:00:00Z",
                "infinity",
                "-infinity",
                "294276-12-31 23:59:59+00",
                "4713-01-01 00:00:00+00 BC",
            ])
        ),
        format!("'{}'", rng.hex(32)),
        format!("'{GENESIS_HASH}'"),
        format!("(SELECT hash FROM audit_backup WHERE seq = {other_seq})"),
        format!("(SELECT prev_hash FROM audit_backup WHERE seq = {other_seq})"),
        format!("(SELECT details FROM audit_backup WHERE seq = {other_seq})"),
        rng.pick(&[
            "0",
            "-1",
            "1",
            "9223372036854775807",
            "-9223372036854775808",
            "1.5",
        ])
        .to_owned(),
        format!("{}", ROWS + 1 + rng.below(5)),
        format!("{}", rng.next() as i64),
    ];
    if backend == DbBackend::Sqlite {
        let short = rng.below(4);
        choices.extend([
            format!("X'{}'", rng.hex(16)),
            format!("X'{}'", rng.hex(short)),
            "randomblob(16)".to_owned(),
            "3.25".to_owned(),
        ]);
    }
    choices.swap_remove(rng.below(choices.len()))
}

/// Hundreds of random edits (row, column, value): verification never errors, and names the
/// edited row, or for a `seq` moved later the row now sitting where it was; the listing
/// always answers. An edit the database refuses, or one that reads back the same (another
/// spelling of the same instant or JSON), changes nothing and must verify.
async fn random_edits_never_break_verification(t: TestDb, rounds: usize, seed: u64) {
    let (log, events) = seeded(&t).await;
    let untouched = rows(&*log).await;
    let backend = t.db.backend();
    let mut rng = Rng(seed);
    let (mut effective, mut refused) = (0, 0);
    for round in 0..rounds {
        restore(&t).await;
        let victim = rng.below(ROWS);
        let column = rng.pick(COLUMNS);
        let value = random_value(&mut rng, backend);
        let label = format!(
            "{} round {round} (seed {seed}): seq {} {column} = {value}",
            t.label,
            victim + 1
        );
        if edit(&t, victim + 1, column, &value).await.is_err() {
            refused += 1;
            continue;
        }
        let report = log
            .verify()
            .await
            .unwrap_or_else(|e| panic!("{label}: verify failed: {e}"));
        assert_listing_answers(&*log, &label).await;
        if rows(&*log).await == untouched {
            assert!(report.ok, "{label}: a no-op edit is not bad: {report:?}");
            continue;
        }
        effective += 1;
        assert!(!report.ok, "{label}: the edit went unnoticed");
        if column == "seq" {
            let named = [
                Some(events[victim].id),
                events.get(victim + 1).map(|e| e.id),
            ];
            assert!(named.contains(&report.first_bad), "{label}: {report:?}");
        } else {
            assert_eq!(
                report.first_bad_seq,
                Some(victim as u64 + 1),
                "{label}: {report:?}"
            );
            if column != "id" {
                assert_eq!(report.first_bad, Some(events[victim].id), "{label}");
            }
        }
    }
    println!(
        "{}: {effective} effective edits, {refused} refused",
        t.label
    );
    assert!(
        effective >= rounds / 3,
        "too few edits took effect ({effective} of {rounds}, {refused} refused)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_edits_never_break_verification_sqlite() {
    random_edits_never_break_verification(sqlite().await, 400, 0x5eed_0001).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn random_edits_never_break_verification_postgres() {
    if let Some(t) = postgres().await {
        random_edits_never_break_verification(t, 400, 0x5eed_0002).await;
    }
}
