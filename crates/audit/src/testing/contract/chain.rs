//! The hash-chain part of the contract: appends chain, verification finds edits and deletions,
//! rolled-back appends leave no trace, concurrent appends do not fork the chain.

use std::sync::Arc;

use plinth_kernel::{RequestMeta, UnitOfWork};

use super::{AuditTamper, commit_all, now_micros};
use crate::{
    AuditAction, AuditEvent, AuditLog, ChainReport, ChainedEvent, GENESIS_HASH, StoredEntry,
};

/// Runs the chain checks in order; the last ones leave the chain broken.
pub(super) async fn checks(
    log: &Arc<dyn AuditLog>,
    uow: &Arc<dyn UnitOfWork>,
    tamper: &dyn AuditTamper,
) {
    let start = verify(&**log).await;
    assert!(
        start.ok,
        "the chain must be intact before the chain checks: {start:?}"
    );
    appends_are_chained_and_verify(&**log, &**uow, start.checked).await;
    rolled_back_append_leaves_no_gap(&**log, &**uow).await;
    concurrent_appends_do_not_fork(log, uow).await;
    edited_details_are_detected(&**log, &**uow, tamper).await;
    deleted_middle_entry_is_detected(&**log, &**uow, tamper).await;
}

async fn verify(log: &dyn AuditLog) -> ChainReport {
    log.verify().await.expect("verify")
}

fn entries(n: usize) -> Vec<AuditEvent> {
    let actor = uuid::Uuid::now_v7();
    (0..n)
        .map(|i| {
            AuditEvent::new(
                AuditAction::UserUpdated,
                now_micros(),
                &RequestMeta::default(),
            )
            .actor(actor)
            .target("user", actor)
            .details(serde_json::json!({ "i": i, "note": "chain" }))
        })
        .collect()
}

/// Every stored entry, in `seq` order, read a few at a time (so paging is exercised too).
async fn whole_chain(log: &dyn AuditLog) -> Vec<ChainedEvent> {
    let mut all: Vec<ChainedEvent> = Vec::new();
    loop {
        let page = log
            .chain_page(all.last().map(|e| e.seq), 3)
            .await
            .expect("chain page");
        assert!(
            page.len() <= 3,
            "chain_page returns at most `limit` entries"
        );
        if page.is_empty() {
            return all;
        }
        all.extend(page.into_iter().map(|row| match row {
            StoredEntry::Entry(e) => e,
            StoredEntry::Unreadable(u) => panic!("an untouched row does not read back: {u:?}"),
        }));
    }
}

async fn appends_are_chained_and_verify(log: &dyn AuditLog, uow: &dyn UnitOfWork, before: u64) {
    let events = entries(4);
    commit_all(log, uow, &events[..1]).await;
    commit_all(log, uow, &events[1..]).await;
    let chain = whole_chain(log).await;
    for (i, e) in chain.iter().enumerate() {
        assert_eq!(e.seq, i as u64 + 1, "seq counts 1, 2, 3… with no gap");
        if let Some(hash) = &e.hash {
            let expected_prev = match i {
                0 => GENESIS_HASH.to_owned(),
                _ => chain[i - 1]
                    .hash
                    .clone()
                    .unwrap_or_else(|| GENESIS_HASH.into()),
            };
            assert_eq!(
                e.prev_hash.as_deref(),
                Some(expected_prev.as_str()),
                "prev_hash links"
            );
            assert_eq!(hash.len(), 64, "hash is hex SHA-256");
        }
    }
    let tail: Vec<AuditEvent> = chain[chain.len() - 4..]
        .iter()
        .map(|e| e.event.clone())
        .collect();
    assert_eq!(
        tail, events,
        "appends are chained in commit order, every field kept"
    );
    let report = verify(log).await;
    assert_eq!(
        report,
        ChainReport {
            ok: true,
            checked: before + 4,
            first_bad: None,
            first_bad_seq: None,
        },
        "an untouched chain verifies and every chained entry is counted"
    );
}

async fn rolled_back_append_leaves_no_gap(log: &dyn AuditLog, uow: &dyn UnitOfWork) {
    let before = whole_chain(log).await.len();
    let [dropped, kept]: [AuditEvent; 2] = entries(2).try_into().expect("two entries");
    {
        let mut tx = uow.begin().await.expect("begin");
        log.append(tx.as_mut(), &dropped).await.expect("append");
    }
    commit_all(log, uow, std::slice::from_ref(&kept)).await;
    let chain = whole_chain(log).await;
    assert!(
        chain.iter().all(|e| e.event.id != dropped.id),
        "a rolled-back append is not stored"
    );
    assert_eq!(chain.len(), before + 1);
    assert_eq!(chain.last().map(|e| e.event.id), Some(kept.id));
    assert_eq!(
        chain.last().map(|e| e.seq),
        Some(before as u64 + 1),
        "the seq a rolled-back append took is reused: no gap"
    );
    assert!(
        verify(log).await.ok,
        "a rolled-back append does not break the chain"
    );
}

async fn concurrent_appends_do_not_fork(log: &Arc<dyn AuditLog>, uow: &Arc<dyn UnitOfWork>) {
    let before = verify(&**log).await.checked;
    let tasks: Vec<_> = entries(8)
        .into_iter()
        .map(|event| {
            let (log, uow) = (Arc::clone(log), Arc::clone(uow));
            tokio::spawn(async move {
                let mut tx = uow.begin().await.expect("begin");
                log.append(tx.as_mut(), &event)
                    .await
                    .expect("concurrent append");
                tokio::task::yield_now().await;
                tx.commit().await.expect("concurrent commit");
            })
        })
        .collect();
    for task in tasks {
        task.await.expect("append task");
    }
    let report = verify(&**log).await;
    assert_eq!(
        (report.ok, report.checked),
        (true, before + 8),
        "concurrent appends form one chain: {report:?}"
    );
}

async fn edited_details_are_detected(
    log: &dyn AuditLog,
    uow: &dyn UnitOfWork,
    tamper: &dyn AuditTamper,
) {
    let events = entries(3);
    commit_all(log, uow, &events).await;
    let victim = &events[1];
    tamper
        .set_details(victim.id, serde_json::json!({ "i": 1, "note": "edited" }))
        .await;
    let report = verify(log).await;
    assert!(!report.ok, "an edited entry is detected");
    assert_eq!(
        report.first_bad,
        Some(victim.id),
        "the edited entry is named"
    );
    // Putting the original content back (in another key order) restores the chain.
    tamper
        .set_details(victim.id, serde_json::json!({ "note": "chain", "i": 1 }))
        .await;
    assert!(verify(log).await.ok, "the restored entry verifies again");
}

async fn deleted_middle_entry_is_detected(
    log: &dyn AuditLog,
    uow: &dyn UnitOfWork,
    tamper: &dyn AuditTamper,
) {
    let events = entries(3);
    commit_all(log, uow, &events).await;
    tamper.delete(events[1].id).await;
    let report = verify(log).await;
    assert!(!report.ok, "a deleted entry is detected");
    assert_eq!(
        report.first_bad,
        Some(events[2].id),
        "the entry after the deleted one no longer links"
    );
}
