//! The contract every [`AnnouncementRepository`] adapter must satisfy.
//!
//! Run [`announcement_repository`] from an adapter's tests; it panics with a message on the
//! first broken promise. It tolerates a store that already holds announcements: it only
//! asserts about the rows it wrote (listings are filtered to their ids). Timestamps are
//! truncated to microseconds, the precision PostgreSQL keeps.

// A test suite: panicking with a message is how it reports a failure.
#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::sync::Arc;

use chrono::{Duration, SubsecRound};
use plinth_kernel::{Page, PageRequest, Timestamp, UnitOfWork, UserId};

use crate::{Announcement, AnnouncementId, AnnouncementRepository};

/// Runs every check of the contract against `repo`, whose writes join transactions from `uow`.
/// `created_by` is the id recorded as the author (it need not be an existing user).
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn announcement_repository(
    repo: Arc<dyn AnnouncementRepository>,
    uow: Arc<dyn UnitOfWork>,
    created_by: UserId,
) {
    insert_then_list_newest_first_in_pages(&*repo, &*uow, created_by).await;
    active_keeps_only_announcements_shown_now(&*repo, &*uow, created_by).await;
    dropped_transaction_stores_nothing(&*repo, &*uow, created_by).await;
}

fn now() -> Timestamp {
    chrono::Utc::now().trunc_subsecs(6)
}

fn sample(created_by: UserId, window: (Option<Timestamp>, Option<Timestamp>)) -> Announcement {
    Announcement {
        id: AnnouncementId::new(),
        title: format!("Contract {}", uuid::Uuid::now_v7().simple()),
        body: "Line one\nline two, \u{fc}nicode \u{1f680}".into(),
        starts_at: window.0,
        ends_at: window.1,
        created_by,
        created_at: now(),
    }
}

async fn insert(repo: &dyn AnnouncementRepository, uow: &dyn UnitOfWork, rows: &[&Announcement]) {
    let mut tx = uow.begin().await.expect("begin");
    for a in rows {
        repo.insert(tx.as_mut(), a).await.expect("insert");
    }
    tx.commit().await.expect("commit");
}

/// The ids of `page` that are among `mine`, in page order.
fn ids_of(page: &Page<Announcement>, mine: &[&Announcement]) -> Vec<AnnouncementId> {
    page.items
        .iter()
        .filter(|a| mine.iter().any(|m| m.id == a.id))
        .map(|a| a.id)
        .collect()
}

async fn insert_then_list_newest_first_in_pages(
    repo: &dyn AnnouncementRepository,
    uow: &dyn UnitOfWork,
    by: UserId,
) {
    let t = now();
    let a = sample(by, (None, None));
    let b = sample(
        by,
        (Some(t - Duration::hours(1)), Some(t + Duration::days(1))),
    );
    let c = sample(by, (Some(t + Duration::days(1)), None));
    insert(repo, uow, &[&a, &b, &c]).await;
    let mine = [&a, &b, &c];

    let all = repo.list(PageRequest::first(100)).await.expect("list");
    assert_eq!(
        ids_of(&all, &mine),
        vec![c.id, b.id, a.id],
        "list is newest first"
    );
    let read = all.items.iter().find(|x| x.id == b.id).expect("listed");
    assert_eq!(read, &b, "every field reads back as written");

    // Page through everything two at a time: each of ours exactly once, newest first.
    let mut seen = Vec::new();
    let mut page = repo.list(PageRequest::first(2)).await.expect("list");
    loop {
        assert!(page.items.len() <= 2, "a page holds at most its limit");
        seen.extend(ids_of(&page, &mine));
        let Some(cursor) = page.next_cursor else {
            break;
        };
        let next = PageRequest::new(Some(2), Some(&cursor.encode())).expect("cursor");
        page = repo.list(next).await.expect("list");
    }
    assert_eq!(
        seen,
        vec![c.id, b.id, a.id],
        "pages continue after the cursor"
    );
}

async fn active_keeps_only_announcements_shown_now(
    repo: &dyn AnnouncementRepository,
    uow: &dyn UnitOfWork,
    by: UserId,
) {
    let t = now();
    let open = sample(by, (None, None));
    let window = sample(
        by,
        (Some(t - Duration::hours(1)), Some(t + Duration::hours(1))),
    );
    let starts_now = sample(by, (Some(t), None));
    let ends_now = sample(by, (None, Some(t)));
    let future = sample(by, (Some(t + Duration::seconds(1)), None));
    let past = sample(
        by,
        (Some(t - Duration::days(2)), Some(t - Duration::days(1))),
    );
    let mine = [&open, &window, &starts_now, &ends_now, &future, &past];
    insert(repo, uow, &mine).await;

    let active = repo
        .active(t, PageRequest::first(100))
        .await
        .expect("active");
    assert_eq!(
        ids_of(&active, &mine),
        vec![starts_now.id, window.id, open.id],
        "active at t: starts_at <= t < ends_at, open bounds, newest first"
    );
    let later = repo
        .active(t + Duration::hours(2), PageRequest::first(100))
        .await
        .expect("active");
    assert_eq!(
        ids_of(&later, &mine),
        vec![future.id, starts_now.id, open.id],
        "two hours later the window is over and the future one has begun"
    );
    let mut seen = Vec::new();
    let mut page = repo.active(t, PageRequest::first(1)).await.expect("active");
    loop {
        seen.extend(ids_of(&page, &mine));
        let Some(cursor) = page.next_cursor else {
            break;
        };
        let next = PageRequest::new(Some(1), Some(&cursor.encode())).expect("cursor");
        page = repo.active(t, next).await.expect("active");
    }
    assert_eq!(
        seen,
        vec![starts_now.id, window.id, open.id],
        "active pages continue after the cursor"
    );
}

async fn dropped_transaction_stores_nothing(
    repo: &dyn AnnouncementRepository,
    uow: &dyn UnitOfWork,
    by: UserId,
) {
    let a = sample(by, (None, None));
    let mut tx = uow.begin().await.expect("begin");
    repo.insert(tx.as_mut(), &a).await.expect("insert");
    drop(tx);
    let all = repo.list(PageRequest::first(100)).await.expect("list");
    assert!(
        all.items.iter().all(|x| x.id != a.id),
        "an uncommitted insert is not stored"
    );
}
