//! Counting for the admin statistics.

use chrono::Duration;
use plinth_kernel::UnitOfWork;

use super::{insert, sample};
use crate::{UserRepository, UserStatus};

/// Counts move by exactly what was inserted (the store may already hold users).
pub(super) async fn count_tallies_total_active_and_recent(
    repo: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let now = chrono::Utc::now();
    let since = now - Duration::days(7);
    let before = repo.count(since).await.expect("count");
    let recent = sample("count-recent");
    let mut suspended = sample("count-suspended");
    suspended.status = UserStatus::Suspended;
    let mut old = sample("count-old");
    old.created_at = now - Duration::days(30);
    insert(repo, uow, &[&recent, &suspended, &old]).await;
    let after = repo.count(since).await.expect("count");
    assert_eq!(after.total - before.total, 3, "total counts every account");
    assert_eq!(
        after.active - before.active,
        2,
        "active skips suspended ones"
    );
    assert_eq!(
        after.created_since - before.created_since,
        2,
        "created_since skips accounts created before `since`"
    );
}
