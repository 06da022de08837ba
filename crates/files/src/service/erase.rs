//! `FileService::erase_account_files`: everything of an account being erased.

use plinth_kernel::{Email, PageRequest, RequestMeta, UserId};

use super::FileService;
use crate::FileError;

/// Files deleted per listing while erasing.
const ERASE_BATCH: u32 = 100;

/// What erasing an account's files removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedFiles {
    /// Files (with all their versions and blobs) deleted.
    pub files: u64,
    /// Shares with the account's address ended.
    pub shares: u64,
}

impl FileService {
    /// Deletes every file `owner` owns (each with its versions and blobs, audited as
    /// `file.deleted` like a single delete), then ends every share with `email` so a future
    /// account at that address inherits nothing. Called before the account itself is deleted;
    /// if it stops midway, calling it again finishes the job.
    ///
    /// # Errors
    /// [`FileError::Repo`] or [`FileError::Blob`] when storage fails.
    #[tracing::instrument(skip(self, email, meta))]
    pub async fn erase_account_files(
        &self,
        owner: UserId,
        email: &Email,
        meta: &RequestMeta,
    ) -> Result<ErasedFiles, FileError> {
        let mut erased = ErasedFiles::default();
        loop {
            let page = self
                .files
                .list_for_owner(owner, PageRequest::first(ERASE_BATCH))
                .await?;
            if page.items.is_empty() {
                break;
            }
            for file in page.items {
                match self.delete(owner, file.id, meta).await {
                    Ok(()) => erased.files += 1,
                    // Deleted meanwhile by another request: gone either way.
                    Err(FileError::NotFound) => {}
                    Err(other) => return Err(other),
                }
            }
        }
        let mut tx = self.uow.begin().await?;
        erased.shares = self.files.delete_shares_to(tx.as_mut(), email).await?;
        tx.commit().await?;
        Ok(erased)
    }
}
