//! [`UserAvatarReferences`]: which avatar images accounts show, for the file service's
//! storage reconciler.

use plinth_files::{AvatarReferences, BlobKey};
use plinth_kernel::RepoError;
use plinth_users::{UserError, UserService};

/// The accounts' `avatar_key`s, read through the user service.
#[derive(Clone)]
pub struct UserAvatarReferences(pub UserService);

#[async_trait::async_trait]
impl AvatarReferences for UserAvatarReferences {
    async fn known_avatar_keys(&self, keys: &[BlobKey]) -> Result<Vec<BlobKey>, RepoError> {
        let keys: Vec<String> = keys.iter().map(|k| k.0.clone()).collect();
        match self.0.known_avatar_keys(&keys).await {
            Ok(known) => Ok(known.into_iter().map(BlobKey).collect()),
            Err(UserError::Repo(e)) => Err(e),
            Err(other) => Err(RepoError::internal(other.to_string())),
        }
    }
}
