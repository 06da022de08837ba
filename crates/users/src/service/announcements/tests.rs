use std::sync::Arc;

use chrono::{Duration, SubsecRound};
use plinth_audit::testing::{FailingAuditLog, MemoryAuditLog};
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{Caller, Clock, PageRequest, Permission, RequestMeta, UserId};

use super::AnnouncementService;
use crate::testing::MemoryAnnouncementRepository;
use crate::{AnnouncementError, AnnouncementInput};

struct Harness {
    service: AnnouncementService,
    rows: MemoryAnnouncementRepository,
    audit: Arc<MemoryAuditLog>,
    clock: ManualClock,
}

fn harness_with(audit: Arc<dyn AuditLog>, memory: Arc<MemoryAuditLog>) -> Harness {
    let rows = MemoryAnnouncementRepository::new();
    let clock = ManualClock::default();
    let service = AnnouncementService::new(
        Arc::new(rows.clone()),
        audit,
        Arc::new(MemoryUnitOfWork::new()),
        Arc::new(clock.clone()),
    );
    Harness {
        service,
        rows,
        audit: memory,
        clock,
    }
}

fn harness() -> Harness {
    let audit = Arc::new(MemoryAuditLog::new());
    harness_with(audit.clone(), audit)
}

/// `id` holding `announcements:write`.
fn writer(id: UserId) -> Caller {
    Caller::new(id, vec![Permission::ANNOUNCEMENTS_WRITE.to_owned()])
}

fn meta() -> RequestMeta {
    RequestMeta {
        ip: Some("192.0.2.10".into()),
        user_agent: Some("tests/1".into()),
        request_id: Some("req-42".into()),
    }
}

fn input(
    starts_in: Option<Duration>,
    ends_in: Option<Duration>,
    now: chrono::DateTime<chrono::Utc>,
) -> AnnouncementInput {
    AnnouncementInput {
        title: "Maintenance".into(),
        body: "The service is read-only from 22:00 to 23:00 UTC.".into(),
        starts_at: starts_in.map(|d| now + d),
        ends_at: ends_in.map(|d| now + d),
    }
}

#[tokio::test]
async fn create_stores_the_announcement_with_its_audit_entry() {
    let h = harness();
    let admin = UserId::new();
    let now = h.clock.now();
    let created = h
        .service
        .create(
            &writer(admin),
            input(None, Some(Duration::days(1)), now),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(h.rows.all(), vec![created.clone()], "stored as returned");
    assert_eq!(created.created_by, admin);
    assert_eq!(created.created_at, now.trunc_subsecs(6));

    let entries = h
        .audit
        .list(
            &AuditFilter {
                action: Some(AuditAction::AnnouncementCreated),
                ..AuditFilter::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(entries.len(), 1);
    let entry = &entries[0];
    assert_eq!(entry.actor_id, Some(admin.as_uuid()));
    assert_eq!(entry.target_type.as_deref(), Some("announcement"));
    assert_eq!(entry.target_id, Some(created.id.to_string()));
    assert_eq!(entry.request_id.as_deref(), Some("req-42"));
    assert_eq!(entry.details["title"], "Maintenance");
    assert!(entry.details["starts_at"].is_null());
    assert!(entry.details["ends_at"].is_string());
}

#[tokio::test]
async fn invalid_input_or_a_failed_audit_entry_stores_nothing() {
    let h = harness();
    let now = h.clock.now();
    let bad = AnnouncementInput {
        title: String::new(),
        ..input(Some(Duration::hours(2)), Some(Duration::hours(1)), now)
    };
    match h.service.create(&writer(UserId::new()), bad, &meta()).await {
        Err(AnnouncementError::Invalid(errors)) => {
            let fields: Vec<_> = errors.iter().map(|(f, _)| *f).collect();
            assert_eq!(fields, ["title", "ends_at"]);
        }
        other => panic!("expected Invalid, got {other:?}"),
    }
    assert!(h.rows.all().is_empty());
    assert!(
        h.audit
            .list(&AuditFilter::default(), PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );

    let failing = harness_with(
        Arc::new(FailingAuditLog::new()),
        Arc::new(MemoryAuditLog::new()),
    );
    let result = failing
        .service
        .create(&writer(UserId::new()), input(None, None, now), &meta())
        .await;
    assert!(
        matches!(result, Err(AnnouncementError::Repo(_))),
        "{result:?}"
    );
    assert!(
        failing.rows.all().is_empty(),
        "the announcement rolled back with its audit entry"
    );
}

#[tokio::test]
async fn active_follows_the_clock_and_list_shows_everything_newest_first() {
    let h = harness();
    let admin = UserId::new();
    let now = h.clock.now();
    let always = h
        .service
        .create(&writer(admin), input(None, None, now), &meta())
        .await
        .unwrap();
    let tonight = h
        .service
        .create(
            &writer(admin),
            input(Some(Duration::hours(1)), Some(Duration::hours(2)), now),
            &meta(),
        )
        .await
        .unwrap();
    let ids = |page: plinth_kernel::Page<crate::Announcement>| {
        page.items.into_iter().map(|a| a.id).collect::<Vec<_>>()
    };
    let first = PageRequest::first(20);

    assert_eq!(ids(h.service.active(first).await.unwrap()), vec![always.id]);
    h.clock.advance(Duration::hours(1));
    assert_eq!(
        ids(h.service.active(first).await.unwrap()),
        vec![tonight.id, always.id],
        "from starts_at on, newest first"
    );
    h.clock.advance(Duration::hours(1));
    assert_eq!(
        ids(h.service.active(first).await.unwrap()),
        vec![always.id],
        "not from ends_at on"
    );
    assert_eq!(
        ids(h.service.list(&writer(admin), first).await.unwrap()),
        vec![tonight.id, always.id],
        "administrators see every announcement"
    );
}

#[tokio::test]
async fn only_a_caller_with_announcements_write_posts_or_lists_every_announcement() {
    let h = harness();
    let now = h.clock.now();
    let reader = Caller::new(UserId::new(), vec![Permission::USERS_READ.to_owned()]);
    let posted = h
        .service
        .create(&reader, input(None, None, now), &meta())
        .await;
    assert!(
        matches!(posted, Err(AnnouncementError::Forbidden(_))),
        "{posted:?}"
    );
    assert!(h.rows.all().is_empty(), "nothing was stored");
    let listed = h.service.list(&reader, PageRequest::first(10)).await;
    assert!(
        matches!(listed, Err(AnnouncementError::Forbidden(_))),
        "{listed:?}"
    );
}
