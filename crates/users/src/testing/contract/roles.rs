//! The contract every [`RoleRepository`] adapter must satisfy, and the rule that a user's role
//! names a stored role.

use std::collections::BTreeSet;
use std::sync::Arc;

use chrono::SubsecRound;
use plinth_kernel::{RepoError, UnitOfWork};

use super::{sample, unique};
use crate::{
    Permission, Role, RoleName, RoleRepository, UserChanges, UserRepository, built_in_roles,
};

/// Runs every check of the role contract against `roles`, with `users` sharing its storage
/// (to check that a user cannot hold a role that is not stored). Tolerates roles created by
/// earlier runs (fresh random names each run).
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn role_repository(
    roles: Arc<dyn RoleRepository>,
    users: Arc<dyn UserRepository>,
    uow: Arc<dyn UnitOfWork>,
) {
    built_in_roles_are_stored_as_the_contract_says(&*roles).await;
    insert_round_trips_and_lists(&*roles, &*uow).await;
    duplicate_names_are_reported(&*roles, &*uow).await;
    unknown_permissions_store_nothing(&*roles, &*uow).await;
    dropped_transaction_rolls_back(&*roles, &*uow).await;
    users_hold_only_stored_roles(&*roles, &*users, &*uow).await;
}

fn custom(perms: &[&str]) -> Role {
    let name = RoleName(format!("contract-{}", &unique()[12..]));
    let perms: BTreeSet<String> = perms.iter().map(|p| (*p).to_owned()).collect();
    Role::custom(name, perms, chrono::Utc::now().trunc_subsecs(6))
}

async fn insert(roles: &dyn RoleRepository, uow: &dyn UnitOfWork, role: &Role) {
    let mut tx = uow.begin().await.expect("begin");
    roles.insert(tx.as_mut(), role).await.expect("insert role");
    tx.commit().await.expect("commit");
}

async fn built_in_roles_are_stored_as_the_contract_says(roles: &dyn RoleRepository) {
    for expected in built_in_roles(chrono::Utc::now()) {
        let stored = roles
            .by_name(&expected.name)
            .await
            .expect("by_name")
            .unwrap_or_else(|| panic!("built-in role {} is stored", expected.name.as_str()));
        assert_eq!(
            (stored.rank, stored.built_in, &stored.permissions),
            (expected.rank, true, &expected.permissions),
            "built-in role {} has the contract's rank and permissions",
            expected.name.as_str()
        );
    }
    let mut all: Vec<String> = Permission::ALL.iter().map(|p| (*p).to_owned()).collect();
    all.sort();
    assert_eq!(
        roles.permissions().await.expect("permissions"),
        all,
        "the permissions are the contract's, sorted"
    );
}

async fn insert_round_trips_and_lists(roles: &dyn RoleRepository, uow: &dyn UnitOfWork) {
    let role = custom(&[Permission::AUDIT_READ, Permission::STATS_READ]);
    insert(roles, uow, &role).await;
    assert_eq!(
        roles.by_name(&role.name).await.expect("by_name"),
        Some(role.clone()),
        "by_name returns every field and permission"
    );
    let empty = custom(&[]);
    insert(roles, uow, &empty).await;
    assert_eq!(
        roles.by_name(&empty.name).await.expect("by_name"),
        Some(empty.clone()),
        "a role may hold no permission"
    );
    assert_eq!(
        roles
            .by_name(&RoleName(format!("nobody-{}", unique())))
            .await
            .expect("by_name"),
        None,
        "an unknown name is None"
    );
    let listed = roles.list().await.expect("list");
    assert!(
        listed.contains(&role),
        "list holds the new role: {listed:?}"
    );
    let order: Vec<(i32, &str)> = listed.iter().map(|r| (-r.rank, r.name.as_str())).collect();
    let mut sorted = order.clone();
    sorted.sort_unstable();
    assert_eq!(order, sorted, "highest rank first, then by name");
    assert_eq!(
        listed.first().map(|r| r.name.clone()),
        Some(RoleName::super_admin())
    );
}

async fn duplicate_names_are_reported(roles: &dyn RoleRepository, uow: &dyn UnitOfWork) {
    let first = custom(&[]);
    insert(roles, uow, &first).await;
    let mut again = custom(&[Permission::USERS_READ]);
    again.name = first.name.clone();
    let mut shadow = custom(&[Permission::ROLES_WRITE]);
    shadow.name = RoleName::admin();
    for role in [&again, &shadow] {
        let mut tx = uow.begin().await.expect("begin");
        match roles.insert(tx.as_mut(), role).await {
            Err(RepoError::Duplicate { constraint }) => assert_eq!(constraint, "roles.name"),
            other => panic!("a taken name must be Duplicate {{ roles.name }}, got {other:?}"),
        }
    }
    assert_eq!(
        roles.by_name(&first.name).await.expect("by_name"),
        Some(first),
        "the first role is unchanged"
    );
    let admin = roles
        .by_name(&RoleName::admin())
        .await
        .expect("by_name")
        .expect("admin");
    assert!(
        !admin.grants(Permission::ROLES_WRITE),
        "a refused duplicate changes no permission"
    );
}

async fn unknown_permissions_store_nothing(roles: &dyn RoleRepository, uow: &dyn UnitOfWork) {
    let role = custom(&[Permission::AUDIT_READ, "files:delete_everything"]);
    let mut tx = uow.begin().await.expect("begin");
    match roles.insert(tx.as_mut(), &role).await {
        Err(RepoError::NotFound) => {}
        other => panic!("an unknown permission must be NotFound, got {other:?}"),
    }
    drop(tx);
    assert_eq!(
        roles.by_name(&role.name).await.expect("by_name"),
        None,
        "nothing of the refused role is stored"
    );
}

async fn dropped_transaction_rolls_back(roles: &dyn RoleRepository, uow: &dyn UnitOfWork) {
    let role = custom(&[Permission::USERS_READ]);
    let mut tx = uow.begin().await.expect("begin");
    roles.insert(tx.as_mut(), &role).await.expect("insert");
    drop(tx);
    assert_eq!(
        roles.by_name(&role.name).await.expect("by_name"),
        None,
        "an uncommitted role is not stored"
    );
}

async fn users_hold_only_stored_roles(
    roles: &dyn RoleRepository,
    users: &dyn UserRepository,
    uow: &dyn UnitOfWork,
) {
    let mut ghost = sample("ghost-role");
    ghost.role = RoleName(format!("ghost-{}", &unique()[12..]));
    let mut tx = uow.begin().await.expect("begin");
    match users.insert(tx.as_mut(), &ghost).await {
        Err(RepoError::NotFound) => {}
        other => panic!("a user with an unknown role must be NotFound, got {other:?}"),
    }
    drop(tx);
    assert_eq!(users.by_id(ghost.id).await.expect("by_id"), None);

    let role = custom(&[Permission::AUDIT_READ]);
    insert(roles, uow, &role).await;
    let mut user = sample("custom-role");
    user.role = role.name.clone();
    let mut tx = uow.begin().await.expect("begin");
    users
        .insert(tx.as_mut(), &user)
        .await
        .expect("a stored custom role can be held");
    tx.commit().await.expect("commit");

    let changed = UserChanges {
        role: Some(RoleName(format!("ghost-{}", &unique()[12..]))),
        ..UserChanges::default()
    };
    let mut tx = uow.begin().await.expect("begin");
    match users
        .change(tx.as_mut(), user.id, &changed, user.updated_at)
        .await
    {
        Err(RepoError::NotFound) => {}
        other => panic!("changing to an unknown role must be NotFound, got {other:?}"),
    }
    drop(tx);
    assert_eq!(
        users.by_id(user.id).await.expect("by_id").map(|u| u.role),
        Some(role.name),
        "the user keeps the stored role"
    );
}
