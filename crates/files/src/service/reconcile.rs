//! `FileService::reconcile`: removes blobs that belong to no file.
//!
//! An upload stores its blob first and its row second, and a deletion removes the row first and
//! the blob second, so a crash (or a failed blob delete, or an account deleted with its rows)
//! can leave a blob nothing refers to, and never a row without its blob. The reconciler lists
//! the blobs under `files/`, asks the database which of them some file version still names (in
//! batches), and deletes the others once they are older than a minimum age, so an upload
//! whose row is about to be written is never touched. It also sweeps uploads that never
//! completed (a local folder's staging files). Running it on several replicas at once is
//! harmless: deleting a missing blob succeeds.
//!
//! Avatar images get the same treatment under `avatars/` (an image stored for an account
//! whose row was never updated, or a replaced image whose removal failed), checked against the
//! accounts' `avatar_key` through [`crate::AvatarReferences`].

use std::collections::HashSet;

use futures::StreamExt;

use super::FileService;
use super::avatar::AVATAR_PREFIX;
use crate::{BlobKey, FileError};

/// Where file blobs live in the store.
const FILES_PREFIX: &str = "files/";
/// Keys checked against the database per query.
const BATCH: usize = 500;

/// What a reconciliation found and did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ReconcileReport {
    /// Blobs listed under `files/` and `avatars/`.
    pub scanned: u64,
    /// Blobs no file version (or account avatar) names, deleted.
    pub orphans_removed: u64,
    /// Blobs younger than the minimum age, left alone whatever they are.
    pub too_recent: u64,
    /// Unfinished uploads swept.
    pub partial_uploads_removed: u64,
}

impl FileService {
    /// Deletes blobs that no file version names, and avatar images no account shows, that
    /// were written more than `min_age` ago, and unfinished uploads as old. Safe while the server runs and on several replicas.
    ///
    /// # Errors
    /// [`FileError::Blob`] or [`FileError::Repo`] when the store or the database fails midway
    /// (what was removed so far stays removed; run it again).
    #[tracing::instrument(skip(self))]
    pub async fn reconcile(&self, min_age: chrono::Duration) -> Result<ReconcileReport, FileError> {
        let before = self.clock.now() - min_age;
        let mut report = ReconcileReport::default();
        self.sweep(FILES_PREFIX, before, &mut report).await?;
        self.sweep(AVATAR_PREFIX, before, &mut report).await?;
        report.partial_uploads_removed = self.blobs.sweep_partial_uploads(before).await?;
        tracing::info!(
            scanned = report.scanned,
            orphans_removed = report.orphans_removed,
            too_recent = report.too_recent,
            partial_uploads_removed = report.partial_uploads_removed,
            "file storage reconciled"
        );
        Ok(report)
    }

    /// Lists the blobs under `prefix` and deletes those nothing names and older than `before`.
    async fn sweep(
        &self,
        prefix: &str,
        before: plinth_kernel::Timestamp,
        report: &mut ReconcileReport,
    ) -> Result<(), FileError> {
        let mut listing = self.blobs.list(prefix);
        let mut batch: Vec<BlobKey> = Vec::with_capacity(BATCH);
        while let Some(entry) = listing.next().await {
            let entry = entry?;
            report.scanned += 1;
            if entry.last_modified >= before {
                report.too_recent += 1;
                continue;
            }
            batch.push(entry.key);
            if batch.len() == BATCH {
                report.orphans_removed += self.remove_unknown(prefix, &mut batch).await?;
            }
        }
        report.orphans_removed += self.remove_unknown(prefix, &mut batch).await?;
        Ok(())
    }

    /// Deletes the keys of `batch` (all under `prefix`) that nothing names; empties `batch`.
    async fn remove_unknown(
        &self,
        prefix: &str,
        batch: &mut Vec<BlobKey>,
    ) -> Result<u64, FileError> {
        if batch.is_empty() {
            return Ok(0);
        }
        let known = if prefix == AVATAR_PREFIX {
            self.avatar_references.known_avatar_keys(batch).await?
        } else {
            self.files.known_storage_keys(batch).await?
        };
        let known: HashSet<BlobKey> = known.into_iter().collect();
        let mut removed = 0;
        for key in batch.drain(..) {
            if !known.contains(&key) {
                self.blobs.delete(&key).await?;
                tracing::info!(
                    key = key.as_str(),
                    "removed a blob that belongs to no file or account"
                );
                removed += 1;
            }
        }
        Ok(removed)
    }
}
