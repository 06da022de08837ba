//! The organization service's ports served by the accounts and the mail adapter: who has
//! verified which address ([`UserEmails`]), and the invitation mail ([`InvitationMail`]).

use std::sync::Arc;

use plinth_kernel::{Email, RepoError, UserId};
use plinth_orgs::{InvitationMail as Invitation, InvitationMailer, VerifiedEmails};
use plinth_sessions::{MailKind, Mailer, OutgoingMail};
use plinth_users::{UserError, UserService, UserStatus};

/// Accounts' addresses read through the user service: a deleted or suspended account has
/// none.
#[derive(Clone)]
pub struct UserEmails(pub UserService);

#[async_trait::async_trait]
impl VerifiedEmails for UserEmails {
    async fn email_of(&self, user: UserId) -> Result<Option<(Email, bool)>, RepoError> {
        match self.0.get(user).await {
            Ok(account) if account.status == UserStatus::Active => {
                Ok(Some((account.email, account.email_verified)))
            }
            Ok(_) | Err(UserError::NotFound) => Ok(None),
            Err(UserError::Repo(e)) => Err(e),
            Err(other) => Err(RepoError::internal(other.to_string())),
        }
    }
}

/// Invitation mail written here and handed to the mail adapter.
#[derive(Clone)]
pub struct InvitationMail(pub Arc<dyn Mailer>);

#[async_trait::async_trait]
impl InvitationMailer for InvitationMail {
    async fn send_invitation(&self, mail: &Invitation) -> Result<(), String> {
        let message = OutgoingMail::new(mail.to.clone(), MailKind::OrgInvitation)
            .value("organization", mail.organization.as_str())
            .value("role", mail.role.as_str())
            .value(
                "expires",
                mail.expires_at.format("%Y-%m-%d %H:%M UTC").to_string(),
            )
            .value("email", mail.to.as_str())
            .value("link", mail.link.as_str())
            .link(mail.link.clone());
        self.0.send(&message).await.map_err(|e| e.to_string())
    }
}
