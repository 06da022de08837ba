//! `AuthService::register`.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, RepoError, RequestMeta};
use plinth_users::{DisplayName, Password, RoleName, User};

use super::{AuthService, RegisterInput, TokenPair};
use crate::{AuthError, OneTimePurpose};

impl AuthService {
    /// Creates an account (role `user`, active, email not verified) and signs it in; audited as
    /// `auth.registered` in the same transaction as the account, its first session and an email
    /// verification token, whose link is mailed after the commit (a mail failure is logged and
    /// does not fail the registration).
    ///
    /// # Errors
    /// [`AuthError::EmailTaken`], [`AuthError::InvalidEmail`], [`AuthError::InvalidName`],
    /// [`AuthError::WeakPassword`], or storage, hashing or signing failure.
    #[tracing::instrument(skip(self, input, meta))]
    pub async fn register(
        &self,
        input: RegisterInput,
        meta: &RequestMeta,
    ) -> Result<TokenPair, AuthError> {
        let email = Email::parse(&input.email)?;
        let name = DisplayName::parse(&input.name).map_err(AuthError::InvalidName)?;
        let password = Password::new(
            input.password,
            &self.policy,
            &[email.as_str(), name.as_str()],
        )?;
        // bcrypt runs before the transaction opens: it must never hold one.
        let password_hash = self.hasher.hash(&password).await?;
        drop(password);

        let now = self.clock.now();
        let user = User {
            locale: input.locale,
            ..User::new_registered(email, name, password_hash, RoleName::user(), false, now)
        };
        let perms = self.permissions_of(&user.role).await?;
        let (session, refresh_token, record) = self.new_session(user.id, now, meta)?;
        let (verification, verification_record) =
            Self::new_one_time(user.id, OneTimePurpose::EmailVerification, now)?;
        let event = AuditEvent::new(AuditAction::Registered, now, meta)
            .actor(user.id)
            .target("user", user.id)
            .details(serde_json::json!({ "session_id": session.id.to_string() }));

        let mut tx = self.uow.begin().await?;
        self.users
            .insert(tx.as_mut(), &user)
            .await
            .map_err(|e| match e {
                RepoError::Duplicate { .. } => AuthError::EmailTaken,
                other => AuthError::Repo(other),
            })?;
        self.sessions.insert_session(tx.as_mut(), &session).await?;
        self.sessions.insert_refresh(tx.as_mut(), &record).await?;
        self.sessions
            .insert_one_time(tx.as_mut(), &verification_record)
            .await?;
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;

        self.deliver(&user, OneTimePurpose::EmailVerification, &verification)
            .await;
        self.issue(user, perms, session.id, None, refresh_token, now)
    }
}
