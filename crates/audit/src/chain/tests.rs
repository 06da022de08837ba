use chrono::{Duration, TimeZone};
use plinth_kernel::RequestMeta;

use super::{ChainVerifier, GENESIS_HASH, chain_hash, verify_chain};
use crate::{AuditAction, AuditEvent};

type Row = (AuditEvent, Option<String>, String);

fn event(i: i64) -> AuditEvent {
    let meta = RequestMeta {
        ip: Some("198.51.100.7".into()),
        user_agent: Some("test-agent/1".into()),
        request_id: Some(format!("req-{i}")),
    };
    let at = chrono::Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap() + Duration::seconds(i);
    AuditEvent::new(AuditAction::LoginSucceeded, at, &meta)
        .actor(uuid::Uuid::now_v7())
        .target("user", format!("u-{i}"))
        .details(serde_json::json!({ "n": i }))
}

/// A correctly linked chain of `n` entries, as a store would hold it.
fn chain(n: i64) -> Vec<Row> {
    let mut rows: Vec<Row> = Vec::new();
    for i in 0..n {
        let prev = rows.last().map(|(_, _, h)| h.clone());
        let e = event(i);
        let hash = chain_hash(prev.as_deref(), &e);
        rows.push((e, prev, hash));
    }
    rows
}

#[test]
fn an_intact_chain_of_a_thousand_entries_verifies() {
    let rows = chain(1000);
    let report = verify_chain(&rows);
    assert!(report.ok);
    assert_eq!(report.checked, 1000);
    assert_eq!(report.first_bad, None);
}

#[test]
fn an_empty_chain_is_intact() {
    let report = verify_chain(&[]);
    assert!(report.ok);
    assert_eq!(report.checked, 0);
}

#[test]
fn hash_is_lower_hex_sha256_and_depends_on_the_predecessor() {
    let e = event(1);
    let h = chain_hash(None, &e);
    assert_eq!(h.len(), 64);
    assert!(
        h.chars()
            .all(|c| c.is_ascii_digit() || ('a'..='f').contains(&c))
    );
    assert_eq!(h, chain_hash(None, &e.clone()), "deterministic");
    assert_eq!(
        h,
        chain_hash(Some(GENESIS_HASH), &e),
        "None means the genesis value"
    );
    let other_prev = chain_hash(None, &event(2));
    assert_ne!(h, chain_hash(Some(&other_prev), &e));
    assert_ne!(h, chain_hash(None, &event(3)));
}

#[test]
fn an_edited_entry_is_reported() {
    let mut rows = chain(1000);
    rows[500].0.details = serde_json::json!({ "n": 500, "note": "quietly edited" });
    let report = verify_chain(&rows);
    assert!(!report.ok);
    assert_eq!(report.first_bad, Some(rows[500].0.id));
    assert_eq!(report.checked, 501);
}

#[test]
fn an_edit_with_a_recomputed_hash_breaks_the_next_link() {
    let mut rows = chain(10);
    rows[4].0.ip = Some("203.0.113.9".into());
    rows[4].2 = chain_hash(rows[4].1.as_deref(), &rows[4].0);
    let report = verify_chain(&rows);
    assert!(!report.ok);
    assert_eq!(report.first_bad, Some(rows[5].0.id));
}

#[test]
fn an_edited_stored_hash_is_reported() {
    let mut rows = chain(10);
    rows[7].2 = GENESIS_HASH.to_owned();
    assert_eq!(verify_chain(&rows).first_bad, Some(rows[7].0.id));
}

#[test]
fn a_deleted_entry_is_reported_at_its_successor() {
    let mut rows = chain(1000);
    let successor = rows[301].0.id;
    rows.remove(300);
    let report = verify_chain(&rows);
    assert!(!report.ok);
    assert_eq!(report.first_bad, Some(successor));
    assert_eq!(report.checked, 301);
}

#[test]
fn deleting_the_first_entry_is_reported() {
    let mut rows = chain(5);
    let successor = rows[1].0.id;
    rows.remove(0);
    assert_eq!(verify_chain(&rows).first_bad, Some(successor));
}

#[test]
fn reordered_entries_are_reported() {
    let mut rows = chain(1000);
    let moved_up = rows[201].0.id;
    rows.swap(200, 201);
    let report = verify_chain(&rows);
    assert!(!report.ok);
    assert_eq!(report.first_bad, Some(moved_up));
}

#[test]
fn a_first_entry_claiming_a_predecessor_is_reported() {
    let e = event(0);
    let prev = chain_hash(None, &event(99));
    let hash = chain_hash(Some(&prev), &e);
    let report = verify_chain(&[(e.clone(), Some(prev), hash)]);
    assert_eq!(report.first_bad, Some(e.id));
}

#[test]
fn a_chain_can_be_verified_in_pages() {
    let rows = chain(100);
    let mut first = ChainVerifier::new();
    for (e, p, h) in &rows[..40] {
        assert!(first.push(e, p.as_deref(), h));
    }
    let anchor = first.head().map(str::to_owned);
    assert_eq!(anchor.as_deref(), Some(rows[39].2.as_str()));
    let mut rest = ChainVerifier::resuming_after(anchor);
    for (e, p, h) in &rows[40..] {
        assert!(rest.push(e, p.as_deref(), h));
    }
    assert_eq!(rest.report().checked, 60);
    assert!(rest.report().ok);

    let mut wrong_anchor = ChainVerifier::resuming_after(Some(rows[10].2.clone()));
    let (e, p, h) = &rows[40];
    assert!(!wrong_anchor.push(e, p.as_deref(), h));
}

#[test]
fn verification_stops_at_the_first_bad_entry() {
    let mut rows = chain(20);
    rows[3].0.user_agent = None;
    rows[12].0.user_agent = None;
    let mut v = ChainVerifier::new();
    let results: Vec<bool> = rows
        .iter()
        .map(|(e, p, h)| v.push(e, p.as_deref(), h))
        .collect();
    assert_eq!(results.iter().filter(|ok| **ok).count(), 3);
    assert_eq!(v.report().first_bad, Some(rows[3].0.id));
    assert_eq!(v.report().checked, 4);
}
