//! Changing the account's email address: asked for by the signed-in user (with their password,
//! or from a fresh sign-in), confirmed by a link mailed to the new address, and told to the old
//! one both times. Nothing changes until the new address confirms; the old address keeps
//! signing in meanwhile.

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{Email, RepoError, RequestMeta};
use plinth_users::UserChanges;

use super::AuthService;
use super::notices::notice;
use super::recovery_mail::letter;
use crate::{AuthError, MailKind, OneTimePurpose, OneTimeToken, OneTimeTokenRecord, Principal};

impl AuthService {
    /// Asks to change the caller's address to `new_email`: after the presence check (see
    /// [`AuthService::confirm_presence`]), a 24-hour single-use link goes to the new address
    /// (any earlier pending change stops working) and a notice to the current one. An address
    /// another account holds gets the same answer and no mail, so the answer tells nothing
    /// about who has an account; at most 3 requests per account and hour are mailed. Audited
    /// as `auth.email_change_requested` (without the addresses: the trail outlives an erasure).
    ///
    /// # Errors
    /// [`AuthError::InvalidNewEmail`], [`AuthError::SameEmail`], the presence check's errors,
    /// or storage failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn request_email_change(
        &self,
        principal: &Principal,
        new_email: &str,
        password: Option<&str>,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let new_email =
            Email::parse(new_email).map_err(|e| AuthError::InvalidNewEmail(e.to_string()))?;
        let user = self
            .confirm_presence(principal, password, "email_change", meta)
            .await?;
        if new_email == user.email {
            return Err(AuthError::SameEmail);
        }
        let now = self.clock.now();
        let purpose = OneTimePurpose::EmailChange;
        let taken = self.users.by_email(&new_email).await?.is_some();
        let capped = !self.under_mail_cap(user.id, purpose, now).await?;
        let mut tx = self.uow.begin().await?;
        let token = if taken || capped {
            None
        } else {
            let token = OneTimeToken::carrying(&new_email).map_err(|_| AuthError::Random)?;
            let record = OneTimeTokenRecord {
                hash: token.hash(),
                user_id: user.id,
                purpose,
                created_at: now,
                expires_at: now + purpose.default_ttl(),
                used_at: None,
            };
            self.sessions
                .spend_all_one_time(tx.as_mut(), user.id, purpose, now)
                .await?;
            self.sessions.insert_one_time(tx.as_mut(), &record).await?;
            Some(token)
        };
        let outcome = match (taken, capped) {
            (true, _) => "address_taken",
            (false, true) => "mail_capped",
            (false, false) => "mailed",
        };
        let event = AuditEvent::new(AuditAction::EmailChangeRequested, now, meta)
            .actor(user.id)
            .target("user", user.id)
            .details(serde_json::json!({ "outcome": outcome }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        let Some(token) = token else {
            return Ok(());
        };
        let link = purpose.link(&self.mail.public_url, &token);
        let mut confirm = letter(&user, MailKind::EmailChangeRequested)
            .value("link", link.clone())
            .value("hours", purpose.default_ttl().num_hours())
            .value("old_email", user.email.as_str())
            .link(link);
        confirm.to = new_email.clone();
        self.send_mail(&confirm, user.id).await;
        self.notify(&user, MailKind::EmailChanged, now, meta, |m| {
            m.value("new_email", new_email.as_str())
                .value("done", false)
        })
        .await;
        Ok(())
    }

    /// Confirms an email change with the token of the link mailed to the new address: the
    /// account's address becomes that one, verified; the token, every other pending change and
    /// every reset or verification link mailed before stop working. The old address gets a
    /// notice. Audited as `auth.email_changed`.
    ///
    /// # Errors
    /// [`AuthError::InvalidOneTimeToken`] for an unknown, expired or used token,
    /// [`AuthError::EmailTaken`] when another account took the address meanwhile, or storage
    /// failure.
    #[tracing::instrument(skip_all)]
    pub async fn confirm_email_change(
        &self,
        token: &str,
        meta: &RequestMeta,
    ) -> Result<(), AuthError> {
        let token = OneTimeToken::from_client(token);
        let new_email = token
            .carried_email()
            .ok_or(AuthError::InvalidOneTimeToken)?;
        let (record, _) = self
            .redeemable(token.expose(), OneTimePurpose::EmailChange)
            .await?;
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let before = self
            .users
            .by_id_for_update(tx.as_mut(), record.user_id)
            .await?
            .ok_or(AuthError::InvalidOneTimeToken)?;
        if !self
            .sessions
            .consume_one_time(tx.as_mut(), &record.hash, now)
            .await?
        {
            return Err(AuthError::InvalidOneTimeToken);
        }
        let changes = UserChanges {
            email: Some(new_email.clone()),
            email_verified: Some(true),
            ..UserChanges::default()
        };
        self.users
            .change(tx.as_mut(), before.id, &changes, now)
            .await
            .map_err(|e| match e {
                RepoError::Duplicate { .. } => AuthError::EmailTaken,
                other => AuthError::Repo(other),
            })?;
        for purpose in [
            OneTimePurpose::EmailChange,
            OneTimePurpose::PasswordReset,
            OneTimePurpose::EmailVerification,
        ] {
            self.sessions
                .spend_all_one_time(tx.as_mut(), before.id, purpose, now)
                .await?;
        }
        let event = AuditEvent::new(AuditAction::EmailChanged, now, meta)
            .actor(before.id)
            .target("user", before.id)
            .details(serde_json::json!({ "fields": ["email", "email_verified"] }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        let told = notice(&before, MailKind::EmailChanged, now, meta)
            .value("new_email", new_email.as_str())
            .value("done", true);
        self.send_mail(&told, before.id).await;
        Ok(())
    }
}
