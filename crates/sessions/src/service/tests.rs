//! AuthService tests with the in-memory adapters and a manual clock.

use std::sync::Arc;

use plinth_audit::testing::MemoryAuditLog;
use plinth_audit::{AuditAction, AuditEvent, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{Clock, Email, PageRequest, RequestMeta};
use plinth_users::testing::{FakePasswordHasher, MemoryRoleRepository, MemoryUserRepository};
use plinth_users::{PasswordPolicy, User, UserChanges, UserRepository};

use super::{AuthService, RecoveryMail, RegisterInput, TokenLifetimes, TokenPair};
use crate::testing::{FakeSealer, FakeTokenSigner, MemoryMailer, MemorySessionRepository};

mod acting;
mod idle;
mod login;
mod lost_update;
mod mfa;
mod notices;
mod password;
mod passwordless;
mod refresh;
mod register;
mod revocation;
mod roles;
mod verification;

const PASSWORD: &str = "correct horse battery staple";

struct Harness {
    auth: AuthService,
    admin: crate::AccountAdminService,
    users: Arc<MemoryUserRepository>,
    roles: MemoryRoleRepository,
    sessions: Arc<MemorySessionRepository>,
    audit: Arc<MemoryAuditLog>,
    hasher: FakePasswordHasher,
    uow: Arc<MemoryUnitOfWork>,
    clock: ManualClock,
    mailer: Arc<MemoryMailer>,
}

impl Harness {
    fn new() -> Self {
        let audit = Arc::new(MemoryAuditLog::new());
        Self::with_audit(audit.clone(), audit)
    }

    /// A harness whose service appends to `log`; `memory` is what the test reads back.
    fn with_audit(log: Arc<dyn AuditLog>, memory: Arc<MemoryAuditLog>) -> Self {
        let roles = MemoryRoleRepository::new();
        let users = Arc::new(MemoryUserRepository::with_roles(roles.clone()));
        let sessions = Arc::new(MemorySessionRepository::new());
        let hasher = FakePasswordHasher::new();
        let uow = Arc::new(MemoryUnitOfWork::new());
        let clock = ManualClock::default();
        let mailer = Arc::new(MemoryMailer::new());
        let auth = AuthService::new(
            crate::AuthPorts {
                users: users.clone(),
                roles: Arc::new(roles.clone()),
                sessions: sessions.clone(),
                hasher: Arc::new(hasher.clone()),
                signer: Arc::new(FakeTokenSigner::with_clock(Arc::new(clock.clone()))),
                audit: Arc::clone(&log),
                uow: uow.clone(),
                clock: Arc::new(clock.clone()),
                mail: RecoveryMail::new(mailer.clone(), "https://app.example/"),
                sealer: Arc::new(FakeSealer::new()),
            },
            PasswordPolicy::default(),
            TokenLifetimes::default(),
        );
        let admin = crate::AccountAdminService::new(
            users.clone(),
            Arc::new(roles.clone()),
            sessions.clone(),
            log,
            uow.clone(),
            Arc::new(clock.clone()),
        );
        Self {
            auth,
            admin,
            users,
            roles,
            sessions,
            audit: memory,
            hasher,
            uow,
            clock,
            mailer,
        }
    }

    /// Lets background mail tasks (password reset) run: the test runtime has one thread.
    async fn settle(&self) {
        for _ in 0..20 {
            tokio::task::yield_now().await;
        }
    }

    /// `forgot_password`, then lets its background mail go out.
    async fn forgot(&self, email: &str) {
        self.auth.forgot_password(email);
        self.settle().await;
    }

    /// The token of the last mail to `email` whose link is under `path`.
    fn mailed_token(&self, email: &str, path: &str) -> String {
        let to = Email::parse(email).unwrap();
        let mail = self
            .mailer
            .sent()
            .into_iter()
            .rev()
            .find(|m| m.to == to && m.link.as_deref().is_some_and(|l| l.contains(path)))
            .expect("a mail with such a link");
        let link = mail.link.clone().unwrap();
        assert!(
            link.starts_with(&format!("https://app.example{path}?token=")),
            "{link}"
        );
        assert_eq!(
            mail.text("link"),
            Some(link.as_str()),
            "the body carries the link"
        );
        link.split_once("?token=").unwrap().1.to_owned()
    }

    /// How many mails went to `email` with a link under `path`.
    fn mails_to(&self, email: &str, path: &str) -> usize {
        let to = Email::parse(email).unwrap();
        self.mailer
            .sent()
            .iter()
            .filter(|m| m.to == to && m.link.as_deref().is_some_and(|l| l.contains(path)))
            .count()
    }

    async fn register(&self, email: &str) -> TokenPair {
        self.auth.register(input(email), &meta()).await.unwrap()
    }

    async fn user(&self, email: &str) -> Option<User> {
        self.users
            .by_email(&Email::parse(email).unwrap())
            .await
            .unwrap()
    }

    /// The stored TOTP factor of `user_id`, as its `Debug` text.
    async fn sessions_factor(&self, user_id: plinth_kernel::UserId) -> String {
        let factor = crate::TotpRepository::totp_factor(&*self.sessions, user_id)
            .await
            .unwrap()
            .expect("a stored factor");
        format!("{factor:?}")
    }

    /// Stores `user`'s name, role, status, verification, password hash, locale and email as
    /// they are.
    async fn save(&self, user: &User) {
        let every_column = UserChanges {
            name: Some(user.name.clone()),
            role: Some(user.role.clone()),
            status: Some(user.status),
            email_verified: Some(user.email_verified),
            password_hash: Some(user.password_hash.clone()),
            locale: Some(user.locale.clone()),
            email: Some(user.email.clone()),
        };
        let mut tx = plinth_kernel::UnitOfWork::begin(&*self.uow).await.unwrap();
        self.users
            .change(tx.as_mut(), user.id, &every_column, user.updated_at)
            .await
            .unwrap();
        tx.commit().await.unwrap();
    }

    async fn audited(&self, action: AuditAction) -> Vec<AuditEvent> {
        let filter = AuditFilter {
            action: Some(action),
            ..AuditFilter::default()
        };
        self.audit
            .list(&filter, PageRequest::first(100))
            .await
            .unwrap()
            .items
    }
}

fn input(email: &str) -> RegisterInput {
    RegisterInput {
        email: email.into(),
        password: PASSWORD.into(),
        name: "Ada Lovelace".into(),
        locale: None,
    }
}

fn meta() -> RequestMeta {
    RequestMeta {
        ip: Some("198.51.100.23".into()),
        user_agent: Some("Mozilla/5.0 (tests)".into()),
        request_id: Some("req-7f3a".into()),
    }
}

/// Asserts the entry carries the request metadata of [`meta`].
fn assert_meta(e: &AuditEvent) {
    assert_eq!(e.ip.as_deref(), Some("198.51.100.23"));
    assert_eq!(e.user_agent.as_deref(), Some("Mozilla/5.0 (tests)"));
    assert_eq!(e.request_id.as_deref(), Some("req-7f3a"));
}
