//! Setting and removing the caller's avatar image (`PUT` and `DELETE /me/avatar`): the image is
//! the file service's, the link to it the account's.

use plinth_files::ByteStream;
use plinth_kernel::RequestMeta;
use plinth_sessions::Principal;
use plinth_users::User;

use super::Accounts;
use crate::AppError;

impl Accounts {
    /// The largest avatar image accepted, in bytes (`MAX_AVATAR_BYTES`): the HTTP layer stops
    /// reading a body past it.
    #[must_use]
    pub fn max_avatar_bytes(&self) -> u64 {
        self.files.max_avatar_bytes()
    }

    /// Stores `image` as the caller's avatar: the image goes to the blob store first (sniffed
    /// and capped by the file service), then the account names it with its `user.updated`
    /// entry in one transaction, then the image it replaced is removed. If naming it fails the
    /// new image is removed again and the old one stays; a crash in between leaves at most an
    /// image no account shows, which the storage reconciler removes.
    ///
    /// # Errors
    /// [`AppError::Files`]: not an image, too large, storage failure; [`AppError::Users`]: the
    /// account is gone, storage failure. The current avatar stays.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn set_avatar(
        &self,
        principal: &Principal,
        image: ByteStream,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        let stored = self.files.store_avatar(image).await?;
        let key = stored.key.as_str().to_owned();
        let (me, previous) = match self
            .users
            .set_avatar(principal.user_id, Some(key.clone()), meta)
            .await
        {
            Ok(done) => done,
            Err(e) => {
                self.files.remove_avatar(&key).await;
                return Err(e.into());
            }
        };
        if let Some(previous) = previous {
            self.files.remove_avatar(&previous).await;
        }
        Ok(me)
    }

    /// Removes the caller's avatar: the account stops naming it (audited as `user.updated`
    /// when there was one), then the image is removed. Removing an absent avatar is no error.
    ///
    /// # Errors
    /// [`AppError::Users`]: the account is gone, storage failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn remove_avatar(
        &self,
        principal: &Principal,
        meta: &RequestMeta,
    ) -> Result<User, AppError> {
        let (me, previous) = self.users.set_avatar(principal.user_id, None, meta).await?;
        if let Some(previous) = previous {
            self.files.remove_avatar(&previous).await;
        }
        Ok(me)
    }
}
