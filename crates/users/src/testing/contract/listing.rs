//! Listing: filters and cursor pagination, oldest first.

use plinth_kernel::{PageRequest, UnitOfWork};

use super::{insert, sample, unique};
use crate::{RoleName, User, UserFilter, UserRepository, UserStatus};

pub(super) async fn list_filters_and_paginates_oldest_first(
    repo: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let tag = unique();
    let a = sample(&format!("{tag} alpha"));
    let mut b = sample(&format!("{tag} beta"));
    b.role = RoleName::admin();
    let mut c = sample(&format!("{tag} gamma"));
    c.status = UserStatus::Suspended;
    insert(repo, uow, &[&a, &b, &c]).await;
    let ids = |users: Vec<User>| users.into_iter().map(|u| u.id).collect::<Vec<_>>();
    let by_q = |q: &str| UserFilter {
        q: Some(q.to_owned()),
        ..UserFilter::default()
    };
    let list = |f: UserFilter, p: PageRequest| async move { repo.list(&f, p).await.expect("list") };

    let all = list(by_q(&tag.to_uppercase()), PageRequest::first(100)).await;
    assert_eq!(
        ids(all.items),
        vec![a.id, b.id, c.id],
        "q matches names case-insensitively, oldest first"
    );
    assert!(
        all.next_cursor.is_none(),
        "a complete page carries no cursor"
    );
    let email_part = a
        .email
        .as_str()
        .split('@')
        .next()
        .unwrap_or_default()
        .to_uppercase();
    let by_email = list(by_q(&email_part), PageRequest::first(100)).await;
    assert_eq!(
        ids(by_email.items),
        vec![a.id],
        "q matches emails case-insensitively"
    );
    let admins = list(
        UserFilter {
            role: Some(RoleName::admin()),
            ..by_q(&tag)
        },
        PageRequest::first(100),
    )
    .await;
    assert_eq!(ids(admins.items), vec![b.id], "role filter");
    let suspended = list(
        UserFilter {
            status: Some(UserStatus::Suspended),
            ..by_q(&tag)
        },
        PageRequest::first(100),
    )
    .await;
    assert_eq!(ids(suspended.items), vec![c.id], "status filter");
    let active_users = UserFilter {
        role: Some(RoleName::user()),
        status: Some(UserStatus::Active),
        ..by_q(&tag)
    };
    assert_eq!(
        ids(list(active_users, PageRequest::first(100)).await.items),
        vec![a.id],
        "filters combine"
    );

    let first = list(by_q(&tag), PageRequest::first(2)).await;
    assert_eq!(ids(first.items), vec![a.id, b.id], "first page");
    let cursor = first
        .next_cursor
        .expect("more rows exist, so a cursor")
        .encode();
    let second = list(
        by_q(&tag),
        PageRequest::new(Some(2), Some(&cursor)).expect("cursor"),
    )
    .await;
    assert_eq!(
        ids(second.items),
        vec![c.id],
        "second page continues after the cursor"
    );
    assert!(
        second.next_cursor.is_none(),
        "the last page carries no cursor"
    );
}
