//! [`MemoryInvitationMailer`], [`MemoryVerifiedEmails`] and [`MemoryTokenRevoker`]: stand-ins
//! for the bridges the application layer provides.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{Email, RepoError, Timestamp, Transaction, UserId};

use crate::{InvitationMail, InvitationMailer, OrgId, OrgTokenRevoker, VerifiedEmails};

/// Keeps every invitation mail; fails every send after [`MemoryInvitationMailer::fail`].
#[derive(Clone, Default)]
pub struct MemoryInvitationMailer {
    sent: Arc<Mutex<Vec<InvitationMail>>>,
    failing: Arc<Mutex<bool>>,
}

impl MemoryInvitationMailer {
    /// An empty mailbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every mail handed over, oldest first.
    #[must_use]
    pub fn sent(&self) -> Vec<InvitationMail> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// From now on every send fails.
    pub fn fail(&self) {
        *self.failing.lock().unwrap_or_else(PoisonError::into_inner) = true;
    }
}

#[async_trait::async_trait]
impl InvitationMailer for MemoryInvitationMailer {
    async fn send_invitation(&self, mail: &InvitationMail) -> Result<(), String> {
        if *self.failing.lock().unwrap_or_else(PoisonError::into_inner) {
            return Err("the test mailer refuses".to_owned());
        }
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(mail.clone());
        Ok(())
    }
}

/// Accounts' addresses and whether they are verified, as a test sets them.
#[derive(Clone, Default)]
pub struct MemoryVerifiedEmails(Arc<Mutex<HashMap<UserId, (Email, bool)>>>);

impl MemoryVerifiedEmails {
    /// No accounts.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// `user` has `email`, `verified` or not.
    pub fn set(&self, user: UserId, email: Email, verified: bool) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(user, (email, verified));
    }
}

#[async_trait::async_trait]
impl VerifiedEmails for MemoryVerifiedEmails {
    async fn email_of(&self, user: UserId) -> Result<Option<(Email, bool)>, RepoError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&user)
            .cloned())
    }
}

/// Keeps every revocation of organization tokens that committed (a rolled-back one is undone).
#[derive(Clone, Default)]
pub struct MemoryTokenRevoker(Arc<Mutex<Vec<(OrgId, UserId, Timestamp)>>>);

impl MemoryTokenRevoker {
    /// Nothing revoked.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every `(organization, user, at)` revoked, oldest first.
    #[must_use]
    pub fn revoked(&self) -> Vec<(OrgId, UserId, Timestamp)> {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
}

#[async_trait::async_trait]
impl OrgTokenRevoker for MemoryTokenRevoker {
    async fn revoke(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        users: &[UserId],
        at: Timestamp,
    ) -> Result<(), RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let before = {
            let mut revoked = self.0.lock().unwrap_or_else(PoisonError::into_inner);
            let before = revoked.len();
            revoked.extend(users.iter().map(|user| (org, *user, at)));
            before
        };
        let list = Arc::clone(&self.0);
        tx.on_rollback(move || {
            list.lock()
                .unwrap_or_else(PoisonError::into_inner)
                .truncate(before);
        });
        Ok(())
    }
}
