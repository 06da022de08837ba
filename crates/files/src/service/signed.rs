//! Signed download URLs: made by the owner or a sharee allowed to download, used by anyone
//! holding the link until it expires, as long as the grant that made it stands.
//!
//! A link is bound to the account that made it (`by`) and to the file's signed-URL generation
//! (`gen`), both under the signature. At download time the link works only while the file
//! exists, its generation is still the one the link names ([`FileService::revoke_signed_urls`]
//! moves it on), and the signer's account is active and may still download the file (its
//! owner, or a share allowing `download` that counts for it).

use std::fmt::Write as _;

use plinth_audit::{AuditAction, AuditEvent};
use plinth_kernel::{RepoError, RequestMeta};

use super::FileService;
use super::access::Access;
use crate::signing::signed_payload;
use crate::{
    ByteRange, ByteStream, FileError, FileId, FileObject, MAX_SIGNED_URL_SECONDS, SharePermission,
    SignedParams, SignedUrl, Viewer,
};

/// `s` percent-encoded for a query value (unreserved characters kept).
fn query_value(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            let _ = write!(out, "%{b:02X}");
        }
    }
    out
}

impl FileService {
    /// A link that downloads the current version of the file, with no credentials, for
    /// `expires_in` seconds (1 to [`MAX_SIGNED_URL_SECONDS`]). The link names the version, so
    /// it keeps serving those bytes after newer versions are uploaded; it stops working when
    /// it expires, the file is deleted, the owner revokes the file's signed URLs, or `viewer`
    /// may no longer download the file (share revoked or lowered to `view`, address no longer
    /// verified, account suspended or deleted).
    ///
    /// # Errors
    /// [`FileError::InvalidExpiry`] for a lifetime out of range, [`FileError::NotFound`]
    /// when `viewer` cannot see the file, [`FileError::Forbidden`] for a `view` share.
    #[tracing::instrument(skip(self, viewer), fields(viewer = %viewer.id))]
    pub async fn signed_url(
        &self,
        viewer: &Viewer,
        id: FileId,
        expires_in: u64,
    ) -> Result<SignedUrl, FileError> {
        if !(1..=MAX_SIGNED_URL_SECONDS).contains(&expires_in) {
            return Err(FileError::InvalidExpiry {
                max: MAX_SIGNED_URL_SECONDS,
            });
        }
        let file = self
            .authorize(viewer, id, SharePermission::Download)
            .await?;
        let seconds = i64::try_from(expires_in).map_err(|_| FileError::InvalidExpiry {
            max: MAX_SIGNED_URL_SECONDS,
        })?;
        let expires_at = self.clock.now() + chrono::Duration::seconds(seconds);
        let exp = expires_at.timestamp();
        let generation = file.signed_url_generation;
        let signed = self
            .url_signer
            .sign(signed_payload(id, file.version, exp, viewer.id, generation).as_bytes());
        let url = format!(
            "{}/api/v1/files/{id}/content/signed?v={}&exp={exp}&by={}&gen={generation}&kid={}&sig={}",
            self.public_url,
            file.version,
            viewer.id,
            query_value(&signed.kid),
            query_value(&signed.signature),
        );
        let expires_at = chrono::DateTime::from_timestamp(exp, 0).unwrap_or(expires_at);
        Ok(SignedUrl { url, expires_at })
    }

    /// The file at the version a signed link names, once its signature, expiry and grant
    /// check out (for the headers of the download before [`FileService::open_signed`]).
    ///
    /// # Errors
    /// [`FileError::BadSignature`] for a tampered, foreign or expired link, and for one
    /// revoked since: the file's signed URLs revoked, or its signer no longer allowed to
    /// download the file (see [`FileService::signed_url`]);
    /// [`FileError::NotFound`] when the file (or that version) no longer exists.
    #[tracing::instrument(skip(self))]
    pub async fn signed_file(&self, params: &SignedParams) -> Result<FileObject, FileError> {
        Ok(self.check_signed(params).await?.0)
    }

    /// The content (or inclusive `range`) a signed link names, as [`FileService::signed_file`]
    /// checks it; the current version counts as a download.
    ///
    /// # Errors
    /// As [`FileService::signed_file`]; [`FileError::Blob`] when the content cannot be read.
    #[tracing::instrument(skip(self))]
    pub async fn open_signed(
        &self,
        params: &SignedParams,
        range: Option<ByteRange>,
    ) -> Result<(FileObject, ByteStream), FileError> {
        let (file, current) = self.check_signed(params).await?;
        let opened = self.open_blob(file, range).await?;
        if current {
            self.count_download(params.file_id).await;
        }
        Ok(opened)
    }

    async fn check_signed(&self, params: &SignedParams) -> Result<(FileObject, bool), FileError> {
        let payload = signed_payload(
            params.file_id,
            params.version,
            params.expires,
            params.signer,
            params.generation,
        );
        if !self
            .url_signer
            .verify(payload.as_bytes(), &params.kid, &params.signature)
        {
            return Err(FileError::BadSignature);
        }
        if params.expires <= self.clock.now().timestamp() {
            return Err(FileError::BadSignature);
        }
        let file = self
            .files
            .by_id(params.file_id)
            .await?
            .ok_or(FileError::NotFound)?;
        if file.signed_url_generation != params.generation {
            return Err(FileError::BadSignature);
        }
        let mut signer = self
            .viewers
            .active_viewer(params.signer)
            .await?
            .ok_or(FileError::BadSignature)?;
        // An organization's file: the link works while its maker may still read the
        // organization's files (their standing now, not when they made it).
        if let Some(org) = file.org_id {
            signer = signer.acting_for(self.viewers.acting_for(params.signer, org).await?);
        }
        match self.relation(&signer, &file).await {
            Ok(Access::Owner | Access::OrgReader) => {}
            Ok(Access::Shared(held, _)) if held.allows(SharePermission::Download) => {}
            Ok(Access::Shared(..)) | Err(FileError::NotFound) => {
                return Err(FileError::BadSignature);
            }
            Err(other) => return Err(other),
        }
        self.at_version(file, params.version).await
    }

    /// Ends every signed URL of a file `viewer` owns, whoever made it: the file's signed-URL
    /// generation moves on, so links made before stop working and links made afterwards work.
    /// Recorded as `file.shared` with details `{ "signed_urls": "revoked" }`, in the same
    /// transaction.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when they cannot see the file (or it was deleted meanwhile),
    /// [`FileError::Forbidden`] for a sharee.
    #[tracing::instrument(skip(self, viewer, meta), fields(viewer = %viewer.id))]
    pub async fn revoke_signed_urls(
        &self,
        viewer: &Viewer,
        id: FileId,
        meta: &RequestMeta,
    ) -> Result<(), FileError> {
        self.owned(viewer, id, "revoke its signed URLs").await?;
        let mut tx = self.uow.begin().await?;
        self.files
            .revoke_signed_urls(tx.as_mut(), id)
            .await
            .map_err(|e| match e {
                RepoError::NotFound => FileError::NotFound,
                other => FileError::Repo(other),
            })?;
        let event = AuditEvent::new(AuditAction::FileShared, self.clock.now(), meta)
            .actor(viewer.id)
            .target("file", id)
            .details(serde_json::json!({ "signed_urls": "revoked" }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(())
    }
}
