use std::sync::Arc;

use plinth_audit::testing::{FailingAuditLog, MemoryAuditLog};
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{Clock, Email, PageRequest, RequestMeta, UnitOfWork};

use super::*;
use crate::testing::{FakePasswordHasher, MemoryUserRepository};
use crate::{Locale, PasswordHash, UserRepository as _};

struct Harness {
    service: UserService,
    users: Arc<MemoryUserRepository>,
    audit: Arc<MemoryAuditLog>,
    hasher: FakePasswordHasher,
    uow: Arc<MemoryUnitOfWork>,
    clock: ManualClock,
}

fn harness_with(audit: Arc<dyn AuditLog>) -> Harness {
    let users = Arc::new(MemoryUserRepository::new());
    let memory_audit = Arc::new(MemoryAuditLog::new());
    let hasher = FakePasswordHasher::new();
    let uow = Arc::new(MemoryUnitOfWork::new());
    let clock = ManualClock::default();
    let service = UserService::new(
        users.clone(),
        Arc::new(hasher.clone()),
        audit,
        uow.clone(),
        Arc::new(clock.clone()),
        PasswordPolicy::default(),
    );
    Harness {
        service,
        users,
        audit: memory_audit,
        hasher,
        uow,
        clock,
    }
}

fn harness() -> Harness {
    let audit = Arc::new(MemoryAuditLog::new());
    let mut h = harness_with(audit.clone());
    h.audit = audit;
    h
}

fn meta() -> RequestMeta {
    RequestMeta {
        ip: Some("192.0.2.10".into()),
        user_agent: Some("tests/1".into()),
        request_id: Some("req-42".into()),
    }
}

async fn seed(h: &Harness, email: &str) -> User {
    let now = h.clock.now();
    let user = User {
        id: UserId::new(),
        email: Email::parse(email).unwrap(),
        name: DisplayName::parse("Ada Lovelace").unwrap(),
        role: RoleName::user(),
        status: UserStatus::Active,
        email_verified: false,
        avatar_key: None,
        locale: None,
        password_hash: PasswordHash("fake$00".into()),
        created_at: now,
        updated_at: now,
    };
    let mut tx = h.uow.begin().await.unwrap();
    h.users.insert(tx.as_mut(), &user).await.unwrap();
    tx.commit().await.unwrap();
    user
}

async fn audit_for(h: &Harness, action: AuditAction) -> Vec<plinth_audit::AuditEvent> {
    let filter = AuditFilter {
        action: Some(action),
        ..AuditFilter::default()
    };
    h.audit
        .list(&filter, PageRequest::first(100))
        .await
        .unwrap()
        .items
}

#[tokio::test]
async fn update_profile_changes_the_name_and_audits_it() {
    let h = harness();
    let user = seed(&h, "ada@example.com").await;
    h.clock.advance(chrono::Duration::minutes(5));
    let patch = ProfilePatch {
        name: Some("  Countess Ada  ".into()),
        ..ProfilePatch::default()
    };
    let updated = h
        .service
        .update_profile(user.id, patch, &meta())
        .await
        .unwrap();
    assert_eq!(updated.name.as_str(), "Countess Ada");
    assert_eq!(updated.updated_at, h.clock.now());
    assert_eq!(
        h.users.by_id(user.id).await.unwrap(),
        Some(updated.clone()),
        "stored"
    );

    let events = audit_for(&h, AuditAction::UserUpdated).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.actor_id, Some(user.id.as_uuid()));
    assert_eq!(
        (e.target_type.as_deref(), e.target_id.clone()),
        (Some("user"), Some(user.id.to_string()))
    );
    assert_eq!(e.details, serde_json::json!({ "fields": ["name"] }));
    assert_eq!(
        (
            e.ip.as_deref(),
            e.user_agent.as_deref(),
            e.request_id.as_deref()
        ),
        (Some("192.0.2.10"), Some("tests/1"), Some("req-42"))
    );
}

#[tokio::test]
async fn update_profile_without_a_change_writes_nothing() {
    let h = harness();
    let user = seed(&h, "ada@example.com").await;
    let same = ProfilePatch {
        name: Some("Ada Lovelace".into()),
        ..ProfilePatch::default()
    };
    assert_eq!(
        h.service
            .update_profile(user.id, same, &meta())
            .await
            .unwrap(),
        user
    );
    assert!(audit_for(&h, AuditAction::UserUpdated).await.is_empty());
}

#[tokio::test]
async fn update_profile_refuses_bad_names_and_unknown_users() {
    let h = harness();
    let user = seed(&h, "ada@example.com").await;
    let bad = ProfilePatch {
        name: Some("  ".into()),
        ..ProfilePatch::default()
    };
    assert!(
        matches!(h.service.update_profile(user.id, bad, &meta()).await, Err(UserError::InvalidName(m)) if m == "name is required")
    );
    let ghost = ProfilePatch {
        name: Some("Ghost".into()),
        ..ProfilePatch::default()
    };
    assert!(matches!(
        h.service
            .update_profile(UserId::new(), ghost, &meta())
            .await,
        Err(UserError::NotFound)
    ));
}

#[tokio::test]
async fn update_profile_sets_and_clears_the_locale_and_audits_it() {
    let h = harness();
    let user = seed(&h, "ada@example.com").await;
    let set = ProfilePatch {
        locale: Some(Some(" PT-br ".into())),
        ..ProfilePatch::default()
    };
    let updated = h
        .service
        .update_profile(user.id, set, &meta())
        .await
        .unwrap();
    assert_eq!(updated.locale, Some(Locale::parse("pt-BR").unwrap()));
    assert_eq!(updated.name, user.name, "the name is left alone");
    assert_eq!(h.users.by_id(user.id).await.unwrap(), Some(updated));

    let both = ProfilePatch {
        name: Some("Countess Ada".into()),
        locale: Some(None),
    };
    let cleared = h
        .service
        .update_profile(user.id, both, &meta())
        .await
        .unwrap();
    assert_eq!(cleared.locale, None, "null goes back to the default");
    assert_eq!(cleared.name.as_str(), "Countess Ada");

    let again = ProfilePatch {
        locale: Some(None),
        ..ProfilePatch::default()
    };
    h.service
        .update_profile(user.id, again, &meta())
        .await
        .unwrap();
    let details: Vec<_> = audit_for(&h, AuditAction::UserUpdated)
        .await
        .into_iter()
        .map(|e| e.details)
        .collect();
    assert_eq!(
        details,
        [
            serde_json::json!({ "fields": ["name", "locale"] }),
            serde_json::json!({ "fields": ["locale"] }),
        ],
        "newest first; clearing an absent locale records nothing"
    );
}

#[tokio::test]
async fn update_profile_with_a_bad_locale_changes_nothing() {
    let h = harness();
    let user = seed(&h, "ada@example.com").await;
    let bad = ProfilePatch {
        name: Some("Countess Ada".into()),
        locale: Some(Some("pt_BR".into())),
    };
    assert!(matches!(
        h.service.update_profile(user.id, bad, &meta()).await,
        Err(UserError::InvalidLocale(m)) if m.contains("`pt-BR`")
    ));
    assert_eq!(h.users.by_id(user.id).await.unwrap(), Some(user));
    assert!(audit_for(&h, AuditAction::UserUpdated).await.is_empty());
}

#[tokio::test]
async fn update_profile_is_not_kept_when_the_audit_entry_fails() {
    let h = harness_with(Arc::new(FailingAuditLog::new()));
    let user = seed(&h, "ada@example.com").await;
    let patch = ProfilePatch {
        name: Some("Countess Ada".into()),
        ..ProfilePatch::default()
    };
    assert!(matches!(
        h.service.update_profile(user.id, patch, &meta()).await,
        Err(UserError::Repo(_))
    ));
    assert_eq!(
        h.users.by_id(user.id).await.unwrap(),
        Some(user),
        "the change rolled back with its audit entry"
    );
}

#[tokio::test]
async fn create_super_admin_creates_a_verified_super_admin() {
    let h = harness();
    let password = "violet-anchor-trombone-42";
    let admin = h
        .service
        .create_super_admin(
            " Root@Example.com ",
            "Root",
            password.into(),
            &RequestMeta::cli(),
        )
        .await
        .unwrap();
    assert_eq!(admin.email.as_str(), "root@example.com");
    assert_eq!(admin.role, RoleName::super_admin());
    assert_eq!(admin.status, UserStatus::Active);
    assert!(admin.email_verified);
    assert_eq!(
        h.users.by_email(&admin.email).await.unwrap(),
        Some(admin.clone())
    );
    assert!(
        h.hasher
            .verify(password, &admin.password_hash)
            .await
            .unwrap(),
        "the password works"
    );

    let events = audit_for(&h, AuditAction::RoleChanged).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].actor_id, None);
    assert_eq!(events[0].target_id, Some(admin.id.to_string()));
    assert_eq!(events[0].user_agent.as_deref(), Some("plinth-cli"));
}

#[tokio::test]
async fn create_super_admin_promotes_an_existing_account_and_keeps_its_password() {
    let h = harness();
    let user = seed(&h, "ada@example.com").await;
    let suspended = UserChanges {
        status: Some(UserStatus::Suspended),
        ..UserChanges::default()
    };
    let mut tx = h.uow.begin().await.unwrap();
    h.users
        .change(tx.as_mut(), user.id, &suspended, user.updated_at)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let promoted = h
        .service
        .create_super_admin(
            "ADA@example.com",
            "Ada",
            "violet-anchor-trombone-42".into(),
            &RequestMeta::cli(),
        )
        .await
        .unwrap();
    assert_eq!(promoted.id, user.id);
    assert_eq!(promoted.role, RoleName::super_admin());
    assert_eq!(promoted.status, UserStatus::Active);
    assert_eq!(
        promoted.password_hash, user.password_hash,
        "the existing password is kept"
    );
    assert_eq!(h.users.by_id(user.id).await.unwrap(), Some(promoted));
}

#[tokio::test]
async fn create_super_admin_refuses_a_weak_password() {
    let h = harness();
    let err = h
        .service
        .create_super_admin(
            "root@example.com",
            "Root",
            "password1234".into(),
            &RequestMeta::cli(),
        )
        .await;
    assert!(matches!(err, Err(UserError::WeakPassword(_))));
    assert_eq!(
        h.users
            .by_email(&Email::parse("root@example.com").unwrap())
            .await
            .unwrap(),
        None
    );
}

#[tokio::test]
async fn list_and_get() {
    let h = harness();
    let a = seed(&h, "a@example.com").await;
    let b = seed(&h, "b@example.com").await;
    let reader = plinth_kernel::Caller::new(a.id, vec![crate::Permission::USERS_READ.to_owned()]);
    let stranger = plinth_kernel::Caller::new(b.id, Vec::new());
    for refused in [
        h.service
            .list(&stranger, &UserFilter::default(), PageRequest::first(10))
            .await
            .map(|_| ()),
        h.service.find(&stranger, a.id).await.map(|_| ()),
    ] {
        assert!(
            matches!(refused, Err(UserError::Forbidden(_))),
            "without users:read: {refused:?}"
        );
    }
    assert_eq!(h.service.find(&reader, b.id).await.unwrap(), b);
    let page = h
        .service
        .list(&reader, &UserFilter::default(), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(
        page.items.iter().map(|u| u.id).collect::<Vec<_>>(),
        vec![a.id, b.id]
    );
    assert_eq!(h.service.get(b.id).await.unwrap(), b);
    assert!(matches!(
        h.service.get(UserId::new()).await,
        Err(UserError::NotFound)
    ));
}

#[tokio::test]
async fn set_avatar_stores_the_key_returns_the_old_one_and_audits_without_the_key() {
    let h = harness();
    let user = seed(&h, "ada@example.com").await;
    h.clock.advance(chrono::Duration::minutes(5));
    let (me, previous) = h
        .service
        .set_avatar(user.id, Some("avatars/first.png".into()), &meta())
        .await
        .unwrap();
    assert_eq!(previous, None);
    assert_eq!(me.avatar_key.as_deref(), Some("avatars/first.png"));
    assert_eq!(me.updated_at, h.clock.now());
    assert_eq!(h.users.by_id(user.id).await.unwrap(), Some(me.clone()));

    let (me, previous) = h
        .service
        .set_avatar(user.id, Some("avatars/second.webp".into()), &meta())
        .await
        .unwrap();
    assert_eq!(previous.as_deref(), Some("avatars/first.png"));
    assert_eq!(me.avatar_key.as_deref(), Some("avatars/second.webp"));

    let (me, previous) = h.service.set_avatar(user.id, None, &meta()).await.unwrap();
    assert_eq!(previous.as_deref(), Some("avatars/second.webp"));
    assert_eq!(me.avatar_key, None);

    let events = audit_for(&h, AuditAction::UserUpdated).await;
    let details: Vec<_> = events.iter().map(|e| e.details.clone()).collect();
    assert_eq!(
        details,
        vec![
            serde_json::json!({ "fields": ["avatar"], "avatar": "removed" }),
            serde_json::json!({ "fields": ["avatar"], "avatar": "replaced" }),
            serde_json::json!({ "fields": ["avatar"], "avatar": "replaced" }),
        ],
        "newest first; the storage key is not in the trail"
    );
    assert!(events.iter().all(|e| e.actor_id == Some(user.id.as_uuid())));

    // Removing an avatar that is not there: nothing changes, nothing is recorded.
    let (_, previous) = h.service.set_avatar(user.id, None, &meta()).await.unwrap();
    assert_eq!(previous, None);
    assert_eq!(audit_for(&h, AuditAction::UserUpdated).await.len(), 3);
    assert!(matches!(
        h.service
            .set_avatar(UserId::new(), Some("avatars/x.png".into()), &meta())
            .await,
        Err(UserError::NotFound)
    ));
}

#[tokio::test]
async fn set_avatar_is_not_kept_when_the_audit_entry_fails() {
    let h = harness_with(Arc::new(FailingAuditLog::new()));
    let user = seed(&h, "ada@example.com").await;
    assert!(
        h.service
            .set_avatar(user.id, Some("avatars/a.png".into()), &meta())
            .await
            .is_err()
    );
    assert_eq!(
        h.users.by_id(user.id).await.unwrap().unwrap().avatar_key,
        None
    );
}
