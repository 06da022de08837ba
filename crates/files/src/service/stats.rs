//! Totals for the admin statistics.

use super::FileService;
use crate::{FileError, FileTotals};

impl FileService {
    /// How many files are stored, of every owner, and the bytes of their current versions.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn totals(&self) -> Result<FileTotals, FileError> {
        Ok(self.files.totals().await?)
    }
}
