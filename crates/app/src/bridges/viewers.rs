//! [`UserViewers`]: the accounts behind the file service's callers and signed URLs.

use plinth_files::{Viewer, ViewerDirectory};
use plinth_kernel::{RepoError, UserId};
use plinth_users::{User, UserError, UserService, UserStatus};

/// The file service's view of an account: its id, its address and whether that is verified.
#[must_use]
pub fn viewer_of(account: User) -> Viewer {
    Viewer::new(account.id, account.email, account.email_verified)
}

/// Accounts read through the user service, for the file service's [`ViewerDirectory`] port
/// (who a caller is; whether the account that made a signed link may still use it): a
/// deleted or suspended one is `None`.
#[derive(Clone)]
pub struct UserViewers(pub UserService);

#[async_trait::async_trait]
impl ViewerDirectory for UserViewers {
    async fn active_viewer(&self, id: UserId) -> Result<Option<Viewer>, RepoError> {
        match self.0.get(id).await {
            Ok(account) if account.status == UserStatus::Active => Ok(Some(viewer_of(account))),
            Ok(_) | Err(UserError::NotFound) => Ok(None),
            Err(UserError::Repo(e)) => Err(e),
            Err(other) => Err(RepoError::internal(other.to_string())),
        }
    }
}
