//! Custom roles: created under the "only lower, only what you hold" rules, audited, assigned,
//! and their stored permissions copied into the holder's next access token.

use std::collections::BTreeSet;

use plinth_audit::AuditAction;
use plinth_users::{RoleName, RoleRepository, UserRepository as _};

use super::{Harness, assert_meta, meta};
use crate::{AdminError, AdminUserPatch, NewRole, Principal};

fn new_role(name: &str, perms: &[&str]) -> NewRole {
    NewRole {
        name: name.to_owned(),
        permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
    }
}

/// A signed-in account holding `role` (given straight in storage).
async fn principal(h: &Harness, email: &str, role: RoleName) -> Principal {
    let pair = h.register(email).await;
    let mut user = pair.user.clone();
    user.role = role;
    h.save(&user).await;
    let pair = h.auth.refresh(&pair.refresh_token, &meta()).await.unwrap();
    h.auth.authenticate(&pair.access_token).unwrap()
}

#[tokio::test]
async fn a_custom_role_is_created_audited_assigned_and_minted_into_tokens() {
    let h = Harness::new();
    let root = principal(&h, "root@example.com", RoleName::super_admin()).await;
    let role = h
        .admin
        .create_role(
            &root,
            new_role(" auditor ", &["audit:read", "audit:read"]),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(role.name.as_str(), "auditor");
    assert_eq!(role.rank, 0);
    assert_eq!(role.permissions, BTreeSet::from(["audit:read".to_owned()]));
    assert_eq!(
        h.roles.by_name(&role.name).await.unwrap(),
        Some(role.clone())
    );
    let created = h.audited(AuditAction::RoleCreated).await;
    assert_eq!(created.len(), 1);
    assert_eq!(created[0].actor_id, Some(root.user_id.as_uuid()));
    assert_eq!(created[0].target_id.as_deref(), Some("auditor"));
    assert_eq!(
        created[0].details["permissions"],
        serde_json::json!(["audit:read"])
    );
    assert_meta(&created[0]);

    let ada = h.register("ada@example.com").await;
    let patch = AdminUserPatch {
        role: Some(RoleName("auditor".into())),
        ..AdminUserPatch::default()
    };
    h.admin
        .admin_update_user(&root, ada.user.id, patch, &meta())
        .await
        .unwrap();
    let fresh = h.auth.refresh(&ada.refresh_token, &meta()).await.unwrap();
    let ada = h.auth.authenticate(&fresh.access_token).unwrap();
    assert_eq!(ada.role, "auditor");
    assert_eq!(ada.perms, vec!["audit:read".to_owned()]);
}

#[tokio::test]
async fn roles_are_refused_for_bad_names_unknown_permissions_taken_names_and_low_callers() {
    let h = Harness::new();
    let root = principal(&h, "root@example.com", RoleName::super_admin()).await;
    let bad = h
        .admin
        .create_role(&root, new_role("Auditor!", &[]), &meta())
        .await;
    assert!(
        matches!(bad, Err(AdminError::InvalidRoleName(_))),
        "{bad:?}"
    );
    let unknown = h
        .admin
        .create_role(
            &root,
            new_role("auditor", &["audit:read", "files:nuke"]),
            &meta(),
        )
        .await;
    assert!(
        matches!(&unknown, Err(AdminError::UnknownPermissions(m)) if m.contains("files:nuke")),
        "{unknown:?}"
    );
    for taken in ["admin", "user"] {
        let dup = h
            .admin
            .create_role(&root, new_role(taken, &[]), &meta())
            .await;
        assert!(matches!(dup, Err(AdminError::RoleTaken(_))), "{dup:?}");
    }

    h.admin
        .create_role(
            &root,
            new_role("delegate", &["roles:write", "audit:read"]),
            &meta(),
        )
        .await
        .unwrap();
    let dup = h
        .admin
        .create_role(&root, new_role("delegate", &[]), &meta())
        .await;
    assert!(matches!(dup, Err(AdminError::RoleTaken(_))), "{dup:?}");
    let delegate = principal(&h, "delegate@example.com", RoleName("delegate".into())).await;
    assert!(delegate.can("roles:write"));
    let denied = h
        .admin
        .create_role(&delegate, new_role("helper", &["audit:read"]), &meta())
        .await;
    assert!(
        matches!(denied, Err(AdminError::Forbidden(_))),
        "a custom role cannot create its equals: {denied:?}"
    );
    let admin = principal(&h, "admin@example.com", RoleName::admin()).await;
    let denied = h
        .admin
        .create_role(&admin, new_role("escalate", &["roles:write"]), &meta())
        .await;
    assert!(
        matches!(denied, Err(AdminError::Forbidden(_))),
        "{denied:?}"
    );
    for name in ["escalate", "helper", "Auditor!", "auditor"] {
        assert_eq!(
            h.roles.by_name(&RoleName(name.into())).await.unwrap(),
            None,
            "{name} was not stored"
        );
    }
    assert_eq!(
        h.audited(AuditAction::RoleCreated).await.len(),
        1,
        "only `delegate` was created"
    );
}

#[tokio::test]
async fn an_admin_assigns_only_roles_whose_permissions_it_holds() {
    let h = Harness::new();
    let root = principal(&h, "root@example.com", RoleName::super_admin()).await;
    for (name, perms) in [
        ("auditor", &["audit:read"][..]),
        ("delegate", &["roles:write"][..]),
    ] {
        h.admin
            .create_role(&root, new_role(name, perms), &meta())
            .await
            .unwrap();
    }
    let admin = principal(&h, "admin@example.com", RoleName::admin()).await;
    let ada = h.register("ada@example.com").await;
    let assign = |role: &str| AdminUserPatch {
        role: Some(RoleName(role.into())),
        ..AdminUserPatch::default()
    };
    let denied = h
        .admin
        .admin_update_user(&admin, ada.user.id, assign("delegate"), &meta())
        .await;
    assert!(
        matches!(denied, Err(AdminError::Forbidden(_))),
        "{denied:?}"
    );
    let missing = h
        .admin
        .admin_update_user(&admin, ada.user.id, assign("ghost"), &meta())
        .await;
    assert!(
        matches!(missing, Err(AdminError::InvalidRole(_))),
        "{missing:?}"
    );
    assert_eq!(
        h.user("ada@example.com").await.unwrap().role,
        RoleName::user()
    );
    let changed = h
        .admin
        .admin_update_user(&admin, ada.user.id, assign("auditor"), &meta())
        .await
        .unwrap();
    assert_eq!(changed.role.as_str(), "auditor");
    let changes = h.audited(AuditAction::RoleChanged).await;
    assert_eq!(
        changes[0].details,
        serde_json::json!({ "from": "user", "to": "auditor" })
    );
}

/// The service checks the permission itself (not only the HTTP layer): a caller whose token
/// lacks `users:write` or `roles:write` is refused before anything is read or written.
#[tokio::test]
async fn administration_checks_its_own_permissions() {
    let h = Harness::new();
    let plain = principal(&h, "plain@example.com", RoleName::user()).await;
    let ada = h.register("ada@example.com").await.user;
    let patch = AdminUserPatch {
        name: Some("Renamed".to_owned()),
        ..AdminUserPatch::default()
    };
    let refused = h
        .admin
        .admin_update_user(&plain, ada.id, patch, &meta())
        .await;
    assert!(
        matches!(&refused, Err(AdminError::Forbidden(m)) if m.contains("users:write")),
        "{refused:?}"
    );
    let refused = h
        .admin
        .create_role(&plain, new_role("helper", &[]), &meta())
        .await;
    assert!(
        matches!(&refused, Err(AdminError::Forbidden(m)) if m.contains("roles:write")),
        "{refused:?}"
    );
    assert_eq!(
        h.users.by_id(ada.id).await.unwrap().unwrap().name.as_str(),
        ada.name.as_str(),
        "nothing changed"
    );
}
