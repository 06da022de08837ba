//! [`UserViewers`]: the accounts behind signed URLs, for the file service's download check.

use plinth_files::{Viewer, ViewerDirectory};
use plinth_kernel::{RepoError, UserId};
use plinth_sessions::Principal;
use plinth_users::{User, UserError, UserService, UserStatus};

use crate::AppError;

/// The file service's view of an account: its id, its address and whether that is verified.
#[must_use]
pub fn viewer_of(account: User) -> Viewer {
    Viewer::new(account.id, account.email, account.email_verified)
}

/// The signed-in caller as the file service's access checks need them: their id (ownership)
/// and their address with whether it is verified (shares).
///
/// # Errors
/// [`AppError::AccountGone`] when the account was deleted since the token was issued; storage
/// failure.
pub async fn caller_viewer(users: &UserService, principal: &Principal) -> Result<Viewer, AppError> {
    match users.get(principal.user_id).await {
        Ok(account) => Ok(viewer_of(account)),
        Err(UserError::NotFound) => Err(AppError::AccountGone),
        Err(e) => Err(e.into()),
    }
}

/// Accounts read through the user service: a deleted or suspended one is `None`.
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
