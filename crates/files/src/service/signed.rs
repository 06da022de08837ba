//! Signed download URLs: made by the owner or a sharee allowed to download, used by anyone
//! holding the link until it expires.

use std::fmt::Write as _;
use std::sync::Arc;

use crate::signing::signed_payload;
use crate::{
    ByteRange, ByteStream, FileError, FileId, FileObject, MAX_SIGNED_URL_SECONDS, SharePermission,
    SignedParams, SignedUrl, UrlSigner, Viewer,
};

use super::FileService;

/// The signer and the public base URL links are made under.
#[derive(Clone)]
pub(crate) struct Signing {
    signer: Arc<dyn UrlSigner>,
    base_url: String,
}

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
    /// Enables signed URLs: links are signed by `signer` and start with `public_url` (the
    /// `PUBLIC_URL` setting, e.g. `https://api.example.com`; a trailing `/` is ignored).
    /// Without this, [`FileService::signed_url`] and [`FileService::open_signed`] fail with
    /// [`FileError::SigningUnavailable`].
    #[must_use]
    pub fn with_url_signer(mut self, signer: Arc<dyn UrlSigner>, public_url: &str) -> Self {
        self.signing = Some(Signing {
            signer,
            base_url: public_url.trim_end_matches('/').to_owned(),
        });
        self
    }

    fn signing(&self) -> Result<&Signing, FileError> {
        self.signing.as_ref().ok_or(FileError::SigningUnavailable)
    }

    /// A link that downloads the current version of the file, with no credentials, for
    /// `expires_in` seconds (1 to [`MAX_SIGNED_URL_SECONDS`]). The link names the version, so
    /// it keeps serving those bytes after newer versions are uploaded; it stops working when
    /// it expires or the file is deleted.
    ///
    /// # Errors
    /// [`FileError::InvalidExpiry`] for a lifetime out of range,
    /// [`FileError::SigningUnavailable`] when no signer is configured, [`FileError::NotFound`]
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
        let signing = self.signing()?;
        let file = self
            .authorize(viewer, id, SharePermission::Download)
            .await?;
        let seconds = i64::try_from(expires_in).map_err(|_| FileError::InvalidExpiry {
            max: MAX_SIGNED_URL_SECONDS,
        })?;
        let expires_at = self.clock.now() + chrono::Duration::seconds(seconds);
        let exp = expires_at.timestamp();
        let signed = signing
            .signer
            .sign(signed_payload(id, file.version, exp).as_bytes());
        let url = format!(
            "{}/api/v1/files/{id}/content/signed?v={}&exp={exp}&kid={}&sig={}",
            signing.base_url,
            file.version,
            query_value(&signed.kid),
            query_value(&signed.signature),
        );
        let expires_at = chrono::DateTime::from_timestamp(exp, 0).unwrap_or(expires_at);
        Ok(SignedUrl { url, expires_at })
    }

    /// The file at the version a signed link names, once its signature and expiry check out
    /// (for the headers of the download before [`FileService::open_signed`]).
    ///
    /// # Errors
    /// [`FileError::SigningUnavailable`] when no signer is configured,
    /// [`FileError::BadSignature`] for a tampered, foreign or expired link,
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
        let signing = self.signing()?;
        let payload = signed_payload(params.file_id, params.version, params.expires);
        if !signing
            .signer
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
        self.at_version(file, params.version).await
    }
}
