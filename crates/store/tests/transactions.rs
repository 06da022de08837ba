//! The UnitOfWork proof on real databases: a change and its audit entry commit together or not
//! at all.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{TestDb, postgres, sqlite};
use plinth_audit::testing::FailingAuditLog;
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::{Email, PageRequest, RequestMeta, SystemClock};
use plinth_users::testing::FakePasswordHasher;
use plinth_users::{PasswordPolicy, RoleName, UserService};

const PASSWORD: &str = "quartz lantern orbit 7 marmalade";

fn service(t: &TestDb, audit: Arc<dyn AuditLog>) -> UserService {
    UserService::new(
        t.db.users(),
        Arc::new(FakePasswordHasher::new()),
        audit,
        t.db.unit_of_work(),
        Arc::new(SystemClock),
        PasswordPolicy::default(),
    )
}

fn fresh_email() -> String {
    format!("root-{}@example.com", uuid::Uuid::now_v7().simple())
}

async fn failing_audit_leaves_no_user(t: TestDb) {
    let email = fresh_email();
    let result = service(&t, Arc::new(FailingAuditLog::new()))
        .create_super_admin(&email, "Root", PASSWORD.into(), &RequestMeta::cli())
        .await;
    assert!(
        result.is_err(),
        "{}: the audit append failed, so the call must fail",
        t.label
    );
    let stored =
        t.db.users()
            .by_email(&Email::parse(&email).unwrap())
            .await
            .unwrap();
    assert_eq!(
        stored, None,
        "{}: the user insert was rolled back with the failed audit entry",
        t.label
    );
    // The rolled-back transaction left nothing locked: the same change now goes through.
    let user = service(&t, t.db.audit())
        .create_super_admin(&email, "Root", PASSWORD.into(), &RequestMeta::cli())
        .await
        .expect("retry with a working audit log");
    assert_eq!(user.email.as_str(), email);
}

async fn real_audit_commits_both(t: TestDb) {
    let email = fresh_email();
    let user = service(&t, t.db.audit())
        .create_super_admin(&email, "Root", PASSWORD.into(), &RequestMeta::cli())
        .await
        .expect("create_super_admin");
    let stored =
        t.db.users()
            .by_email(&Email::parse(&email).unwrap())
            .await
            .unwrap()
            .expect("user stored");
    assert_eq!(stored.id, user.id);
    assert_eq!(stored.role, RoleName::super_admin());
    let filter = AuditFilter {
        target_id: Some(user.id.to_string()),
        ..AuditFilter::default()
    };
    let entries =
        t.db.audit()
            .list(&filter, PageRequest::first(10))
            .await
            .unwrap()
            .items;
    assert_eq!(
        entries.len(),
        1,
        "{}: exactly one audit entry for the new admin: {entries:?}",
        t.label
    );
    assert_eq!(entries[0].action, AuditAction::RoleChanged);
    assert_eq!(entries[0].user_agent.as_deref(), Some("plinth-cli"));
}

#[tokio::test]
async fn sqlite_failing_audit_rolls_back_the_user() {
    failing_audit_leaves_no_user(sqlite().await).await;
}

#[tokio::test]
async fn sqlite_user_and_audit_entry_commit_together() {
    real_audit_commits_both(sqlite().await).await;
}

#[tokio::test]
async fn postgres_failing_audit_rolls_back_the_user() {
    let Some(t) = postgres().await else { return };
    failing_audit_leaves_no_user(t).await;
}

#[tokio::test]
async fn postgres_user_and_audit_entry_commit_together() {
    let Some(t) = postgres().await else { return };
    real_audit_commits_both(t).await;
}

/// 24 writers at once, half through a second pool on the same file (a second process): every
/// change commits with its audit entry, and the hash chain is intact.
async fn concurrent_writers_all_commit(t: TestDb) {
    let other = t.second_connection().await;
    let first = service(&t, t.db.audit());
    let second = UserService::new(
        other.users(),
        Arc::new(FakePasswordHasher::new()),
        other.audit(),
        other.unit_of_work(),
        Arc::new(SystemClock),
        PasswordPolicy::default(),
    );
    let writes = (0..24).map(|i| {
        let service = if i % 2 == 0 { &first } else { &second };
        async move {
            service
                .create_super_admin(&fresh_email(), "Root", PASSWORD.into(), &RequestMeta::cli())
                .await
        }
    });
    let results = futures::future::join_all(writes).await;
    let failed: Vec<_> = results.iter().filter(|r| r.is_err()).collect();
    assert!(failed.is_empty(), "{}: {failed:?}", t.label);
    let filter = AuditFilter {
        action: Some(AuditAction::RoleChanged),
        ..AuditFilter::default()
    };
    let entries =
        t.db.audit()
            .list(&filter, PageRequest::first(100))
            .await
            .unwrap()
            .items;
    assert!(
        entries.len() >= 24,
        "{}: {} entries",
        t.label,
        entries.len()
    );
    let report = t.db.audit().verify().await.unwrap();
    assert!(report.ok, "{}: {report:?}", t.label);
}

#[tokio::test]
async fn sqlite_concurrent_writers_of_two_pools_all_commit() {
    concurrent_writers_all_commit(sqlite().await).await;
}

#[tokio::test]
async fn postgres_concurrent_writers_of_two_pools_all_commit() {
    let Some(t) = postgres().await else { return };
    concurrent_writers_all_commit(t).await;
}
