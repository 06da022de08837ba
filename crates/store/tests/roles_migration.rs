//! The `roles` migration on a database with accounts: a role someone already holds that is not
//! built in becomes a custom role without permissions (what it granted before), so the new
//! reference from `users.role` holds from the start; down and up again keep every account.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, fresh_postgres, fresh_sqlite, insert_user_row, sample_user};
use migration::{Migrator, MigratorTrait};
use plinth_kernel::RepoError;
use plinth_users::{RoleName, User, UserChanges};
use sea_orm::{ConnectionTrait as _, Statement};

/// Stores `user` as the schema before `roles` takes it (without today's entity).
async fn store(t: &TestDb, user: &User) {
    insert_user_row(&t.db, user).await;
}

/// How many `users` rows there are, read without today's entity (any schema).
async fn user_rows(t: &TestDb) -> i64 {
    let db = &t.db;
    let stmt = Statement::from_string(db.backend(), "SELECT COUNT(*) AS n FROM users");
    let row = db
        .connection()
        .query_one_raw(stmt)
        .await
        .unwrap()
        .expect("one row");
    row.try_get::<i64>("", "n").unwrap()
}

async fn roles_held_before_are_kept(t: TestDb) {
    let db = &t.db;
    Migrator::up(db.connection(), Some(20))
        .await
        .expect("the migrations before roles");
    let mut support = sample_user();
    support.role = RoleName("support".into());
    let mut admin = sample_user();
    admin.role = RoleName::admin();
    store(&t, &support).await;
    store(&t, &admin).await;

    db.migrate_up().await.expect("roles up");
    let role = db
        .roles()
        .by_name(&support.role)
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("{}: the held role is stored", t.label));
    assert_eq!(
        (role.rank, role.built_in, role.permissions.len()),
        (0, false, 0),
        "{}: as a custom role granting nothing",
        t.label
    );
    assert_eq!(db.roles().list().await.unwrap().len(), 4, "{}", t.label);
    assert_eq!(
        db.users().by_id(support.id).await.unwrap().map(|u| u.role),
        Some(support.role.clone()),
        "{}",
        t.label
    );

    let ghost = UserChanges {
        role: Some(RoleName("ghost".into())),
        ..UserChanges::default()
    };
    let uow = db.unit_of_work();
    let mut tx = uow.begin().await.unwrap();
    let refused = db
        .users()
        .change(tx.as_mut(), admin.id, &ghost, admin.updated_at)
        .await;
    assert!(
        matches!(refused, Err(RepoError::NotFound)),
        "{}: existing rows are covered too: {refused:?}",
        t.label
    );
    drop(tx);

    // Down to before `roles` (every later migration first), then up again.
    let roles_at = Migrator::migrations()
        .iter()
        .position(|m| m.name() == "m20261129_000023_roles")
        .expect("the roles migration is listed");
    let later = u32::try_from(Migrator::migrations().len() - roles_at).unwrap();
    Migrator::down(db.connection(), Some(later))
        .await
        .expect("roles down");
    assert_eq!(user_rows(&t).await, 2, "{}: every account is kept", t.label);
    db.migrate_up().await.expect("roles up again");
    assert!(db.users().by_id(admin.id).await.unwrap().is_some());
    assert!(
        db.roles().by_name(&support.role).await.unwrap().is_some(),
        "{}",
        t.label
    );
}

#[tokio::test]
async fn sqlite_roles_held_before_are_kept() {
    roles_held_before_are_kept(fresh_sqlite().await).await;
}

#[tokio::test]
async fn postgres_roles_held_before_are_kept() {
    let Some(t) = fresh_postgres().await else {
        return;
    };
    roles_held_before_are_kept(t).await;
}
