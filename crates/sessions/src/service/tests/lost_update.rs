//! Writers of the `users` row racing an administrator: the account's own write (password
//! change, profile name, email verification) reads the row, then is held just before its
//! transaction begins while an administrator changes the same account; afterwards the row
//! carries both changes. A whole-row write from the copy read first would undo the
//! administrator's (issue 13, item 1).

use std::sync::{Arc, Mutex, PoisonError};

use plinth_kernel::testing::MemoryUnitOfWork;
use plinth_kernel::{Transaction, UnitOfWork, UserId};
use plinth_users::{
    PasswordHasher as _, PasswordPolicy, ProfilePatch, RoleName, UserService, UserStatus,
};
use tokio::sync::oneshot;

use super::*;
use crate::testing::FakeTokenSigner;
use crate::{AdminError, AdminUserPatch, AuthError, Principal};

const NEW_PASSWORD: &str = "a brand new passphrase 42";

/// The harness's unit of work, except that the `begin` after [`PausingUnitOfWork::pause_next`]
/// first reports that it got there, then waits to be let go.
struct PausingUnitOfWork {
    inner: Arc<MemoryUnitOfWork>,
    pause: Mutex<Option<(oneshot::Sender<()>, oneshot::Receiver<()>)>>,
}

impl PausingUnitOfWork {
    /// Arms the pause: the first receiver resolves when the next `begin` is reached, sending
    /// on the second lets it go on.
    fn pause_next(&self) -> (oneshot::Receiver<()>, oneshot::Sender<()>) {
        let (reached_tx, reached_rx) = oneshot::channel();
        let (go_tx, go_rx) = oneshot::channel();
        *self.pause.lock().unwrap_or_else(PoisonError::into_inner) = Some((reached_tx, go_rx));
        (reached_rx, go_tx)
    }
}

#[async_trait::async_trait]
impl UnitOfWork for PausingUnitOfWork {
    async fn begin(&self) -> Result<Box<dyn Transaction>, plinth_kernel::RepoError> {
        let pause = self
            .pause
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some((reached, go)) = pause {
            reached.send(()).unwrap();
            go.await.unwrap();
        }
        self.inner.begin().await
    }
}

/// The harness's services over the same storage, but beginning transactions through a
/// [`PausingUnitOfWork`].
struct Paused {
    auth: AuthService,
    admin: crate::AccountAdminService,
    users: UserService,
    uow: Arc<PausingUnitOfWork>,
}

fn paused(h: &Harness) -> Paused {
    let uow = Arc::new(PausingUnitOfWork {
        inner: h.uow.clone(),
        pause: Mutex::new(None),
    });
    let clock = Arc::new(h.clock.clone());
    let auth = AuthService::new(
        crate::AuthPorts {
            users: h.users.clone(),
            roles: Arc::new(h.roles.clone()),
            sessions: h.sessions.clone(),
            hasher: Arc::new(h.hasher.clone()),
            signer: Arc::new(FakeTokenSigner::with_clock(clock.clone())),
            audit: h.audit.clone(),
            uow: uow.clone(),
            clock: clock.clone(),
            mail: RecoveryMail::new(h.mailer.clone(), "https://app.example/"),
            sealer: Arc::new(FakeSealer::new()),
        },
        PasswordPolicy::default(),
        TokenLifetimes::default(),
    );
    let users = UserService::new(
        h.users.clone(),
        Arc::new(h.hasher.clone()),
        h.audit.clone(),
        uow.clone(),
        clock,
        PasswordPolicy::default(),
    );
    let admin = crate::AccountAdminService::new(
        h.users.clone(),
        Arc::new(h.roles.clone()),
        h.sessions.clone(),
        h.audit.clone(),
        uow.clone(),
        Arc::new(h.clock.clone()),
    );
    Paused {
        auth,
        admin,
        users,
        uow,
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

async fn admin_patch(h: &Harness, admin: &Principal, id: UserId, patch: AdminUserPatch) {
    h.admin
        .admin_update_user(admin, id, patch, &meta())
        .await
        .unwrap();
}

fn suspend() -> AdminUserPatch {
    AdminUserPatch {
        status: Some(UserStatus::Suspended),
        ..AdminUserPatch::default()
    }
}

#[tokio::test]
async fn a_suspension_during_a_password_change_stays_and_the_new_password_is_stored() {
    let h = Harness::new();
    let root = principal(&h, "root@example.com", RoleName::super_admin()).await;
    let ada = principal(&h, "ada@example.com", RoleName::admin()).await;
    let p = paused(&h);

    let (reached, go) = p.uow.pause_next();
    let changing = {
        let (auth, ada) = (p.auth.clone(), ada.clone());
        tokio::spawn(async move {
            auth.change_password(&ada, PASSWORD, NEW_PASSWORD.into(), &meta())
                .await
        })
    };
    // The change has read the row and hashed the new password (bcrypt's 0.4 s in production).
    reached.await.unwrap();
    let demote_and_suspend = AdminUserPatch {
        role: Some(RoleName::user()),
        ..suspend()
    };
    admin_patch(&h, &root, ada.user_id, demote_and_suspend).await;
    go.send(()).unwrap();
    changing.await.unwrap().unwrap();

    let stored = h.user("ada@example.com").await.unwrap();
    assert_eq!(
        (stored.status, stored.role),
        (UserStatus::Suspended, RoleName::user()),
        "the administrator's suspension and demotion are kept"
    );
    assert!(
        h.hasher
            .verify(NEW_PASSWORD, &stored.password_hash)
            .await
            .unwrap(),
        "the new password is stored"
    );
    let login = h.auth.login("ada@example.com", NEW_PASSWORD, &meta()).await;
    assert!(
        matches!(login, Err(AuthError::AccountSuspended)),
        "{login:?}"
    );
}

#[tokio::test]
async fn a_role_change_during_a_profile_edit_stays_and_the_new_name_is_stored() {
    let h = Harness::new();
    let root = principal(&h, "root@example.com", RoleName::super_admin()).await;
    let ada = h.register("ada@example.com").await.user;
    let p = paused(&h);

    let (reached, go) = p.uow.pause_next();
    let editing = {
        let users = p.users.clone();
        tokio::spawn(async move {
            let patch = ProfilePatch {
                name: Some("Countess of Lovelace".into()),
                ..ProfilePatch::default()
            };
            users.update_profile(ada.id, patch, &meta()).await
        })
    };
    reached.await.unwrap();
    let promote = AdminUserPatch {
        role: Some(RoleName::admin()),
        ..AdminUserPatch::default()
    };
    admin_patch(&h, &root, ada.id, promote).await;
    go.send(()).unwrap();
    let returned = editing.await.unwrap().unwrap();

    let stored = h.user("ada@example.com").await.unwrap();
    assert_eq!(stored.role, RoleName::admin(), "the promotion is kept");
    assert_eq!(stored.name.as_str(), "Countess of Lovelace");
    assert_eq!(returned, stored, "PATCH /me answers with the row as stored");
}

#[tokio::test]
async fn a_suspension_during_an_email_verification_stays_and_the_email_is_verified() {
    let h = Harness::new();
    let root = principal(&h, "root@example.com", RoleName::super_admin()).await;
    let ada = h.register("ada@example.com").await.user;
    let token = h.mailed_token("ada@example.com", "/verify-email");
    let p = paused(&h);

    let (reached, go) = p.uow.pause_next();
    let verifying = {
        let auth = p.auth.clone();
        tokio::spawn(async move { auth.verify_email(&token, &meta()).await })
    };
    reached.await.unwrap();
    admin_patch(&h, &root, ada.id, suspend()).await;
    go.send(()).unwrap();
    verifying.await.unwrap().unwrap();

    let stored = h.user("ada@example.com").await.unwrap();
    assert_eq!(
        stored.status,
        UserStatus::Suspended,
        "the suspension is kept"
    );
    assert!(stored.email_verified, "the email is verified");
}

#[tokio::test]
async fn an_admin_acting_on_an_account_promoted_meanwhile_is_refused() {
    let h = Harness::new();
    let root = principal(&h, "root@example.com", RoleName::super_admin()).await;
    let admin = principal(&h, "admin@example.com", RoleName::admin()).await;
    let ada = h.register("ada@example.com").await.user;
    let p = paused(&h);

    // The admin's suspension passes the rank rule on the member it read...
    let (reached, go) = p.uow.pause_next();
    let suspending = {
        let (service, admin) = (p.admin.clone(), admin.clone());
        tokio::spawn(async move {
            service
                .admin_update_user(&admin, ada.id, suspend(), &meta())
                .await
        })
    };
    reached.await.unwrap();
    // ...but the account is an admin, the admin's equal, by the time it writes.
    let promote = AdminUserPatch {
        role: Some(RoleName::admin()),
        ..AdminUserPatch::default()
    };
    admin_patch(&h, &root, ada.id, promote).await;
    go.send(()).unwrap();
    let refused = suspending.await.unwrap();
    assert!(
        matches!(refused, Err(AdminError::Forbidden(_))),
        "{refused:?}"
    );

    let stored = h.user("ada@example.com").await.unwrap();
    assert_eq!(
        (stored.role, stored.status),
        (RoleName::admin(), UserStatus::Active),
        "the promotion stands and the account is not suspended"
    );
}

#[tokio::test]
async fn a_password_change_during_a_cli_promotion_stays_and_the_account_is_promoted() {
    let h = Harness::new();
    let ada = principal(&h, "ada@example.com", RoleName::user()).await;
    let p = paused(&h);

    // `plinth admin create` for an existing account has read it...
    let (reached, go) = p.uow.pause_next();
    let promoting = {
        let users = p.users.clone();
        tokio::spawn(async move {
            users
                .create_super_admin(
                    "ada@example.com",
                    "Ada",
                    "violet-anchor-trombone-42".into(),
                    &plinth_kernel::RequestMeta::cli(),
                )
                .await
        })
    };
    reached.await.unwrap();
    // ...when the account's owner changes their password.
    h.auth
        .change_password(&ada, PASSWORD, NEW_PASSWORD.into(), &meta())
        .await
        .unwrap();
    go.send(()).unwrap();
    promoting.await.unwrap().unwrap();

    let stored = h.user("ada@example.com").await.unwrap();
    assert_eq!(
        stored.role,
        RoleName::super_admin(),
        "the promotion is stored"
    );
    assert!(
        h.hasher
            .verify(NEW_PASSWORD, &stored.password_hash)
            .await
            .unwrap(),
        "the password changed meanwhile is kept"
    );
}
