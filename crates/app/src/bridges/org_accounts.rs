//! The organization service's ports served by the accounts and the mail adapter: who has
//! verified which address ([`UserEmails`]), and the invitation mail ([`InvitationMail`]).

use std::sync::Arc;

use plinth_kernel::{Email, RepoError, UserId};
use plinth_orgs::{InvitationMail as Invitation, InvitationMailer, VerifiedEmails};
use plinth_sessions::{Mailer, OutgoingMail};
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
        let text_body = format!(
            "Hello,\n\nYou are invited to join {organization} as {role}. Open this link before \
             {expires} (UTC) to accept:\n\n{link}\n\nSign in, or create an account, with this \
             address ({to}) and confirm it first. If you did not expect this invitation, \
             ignore this message.\n",
            organization = mail.organization,
            role = mail.role,
            expires = mail.expires_at.format("%Y-%m-%d %H:%M"),
            link = mail.link,
            to = mail.to.as_str(),
        );
        let message = OutgoingMail {
            to: mail.to.clone(),
            subject: format!("You are invited to join {}", mail.organization),
            text_body,
            link: Some(mail.link.clone()),
        };
        self.0.send(&message).await.map_err(|e| e.to_string())
    }
}
