//! Avatar images: small PNG, JPEG, GIF or WebP images stored as `avatars/<random>.<ext>`.
//!
//! The type is sniffed from the first bytes before anything is stored (a refused body leaves
//! no blob at all), the size is counted while the rest streams to the blob store, and the key
//! is random (122 bits) so that a public URL naming it cannot be guessed. A key's content never
//! changes: a new image gets a new key. Which account shows which key is the users domain's
//! business (`users.avatar_key`); this module only stores, serves and removes the images.

use std::sync::PoisonError;

use bytes::Bytes;
use futures::StreamExt;

use super::FileService;
use super::sniff;
use super::upload::{self, SNIFF_BYTES};
use crate::{BlobError, BlobKey, ByteStream, FileError};

/// Where avatar images live in the blob store.
pub const AVATAR_PREFIX: &str = "avatars/";

/// The default largest avatar ([`crate::FilePolicy::max_avatar_bytes`], `MAX_AVATAR_BYTES`):
/// 1 MiB.
pub const DEFAULT_MAX_AVATAR_BYTES: u64 = 1024 * 1024;

/// The image types an avatar may be: MIME type (as `infer` names it) and the key's extension.
pub(crate) const AVATAR_TYPES: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/gif", "gif"),
    ("image/webp", "webp"),
];

/// An avatar image just stored (not yet shown by any account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAvatar {
    /// `avatars/<32 hex digits>.<png|jpg|gif|webp>`.
    pub key: BlobKey,
    /// The sniffed MIME type.
    pub content_type: &'static str,
    /// Bytes stored.
    pub size: u64,
}

/// The MIME type of an avatar blob named `name` (the key without [`AVATAR_PREFIX`]), when the
/// name has the shape of one this module makes: 32 lower-case hex digits, a dot, and the
/// extension of an allowed type. Anything else cannot be an avatar.
#[must_use]
pub fn avatar_content_type(name: &str) -> Option<&'static str> {
    let (id, ext) = name.split_once('.')?;
    if id.len() != 32 || !id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return None;
    }
    AVATAR_TYPES
        .iter()
        .find(|(_, e)| *e == ext)
        .map(|(mime, _)| *mime)
}

impl FileService {
    /// The largest accepted avatar in bytes.
    #[must_use]
    pub fn max_avatar_bytes(&self) -> u64 {
        self.max_avatar_bytes
    }

    /// Stores an avatar image under a new random key. The first bytes are read and sniffed
    /// before anything is written; the rest streams to the blob store, counted on the way.
    ///
    /// # Errors
    /// [`FileError::NotAnImage`] when the content is not a PNG, JPEG, GIF or WebP image (by
    /// its bytes; nothing was stored), [`FileError::TooLarge`] as soon as the body passes the
    /// avatar limit (the rest is not read and nothing is kept), [`FileError::Blob`] when the
    /// body or the store fails (nothing is kept).
    #[tracing::instrument(skip_all)]
    pub async fn store_avatar(&self, body: ByteStream) -> Result<StoredAvatar, FileError> {
        let limit = self.max_avatar_bytes;
        // Fused: a short body ends while its head is read, and must not be polled again.
        let mut body = body.fuse();
        let mut prefix: Vec<Bytes> = Vec::new();
        let mut read: usize = 0;
        while read < SNIFF_BYTES {
            match body.next().await {
                None => break,
                Some(Ok(chunk)) => {
                    read = read.saturating_add(chunk.len());
                    prefix.push(chunk);
                    if read as u64 > limit {
                        return Err(FileError::TooLarge { limit });
                    }
                }
                Some(Err(e)) => return Err(FileError::Blob(BlobError::Aborted(e))),
            }
        }
        let head: Vec<u8> = prefix
            .iter()
            .flat_map(|chunk| chunk.iter().copied())
            .take(SNIFF_BYTES)
            .collect();
        let (content_type, extension) = sniff::image_type(&head)?;
        let key = BlobKey(format!(
            "{AVATAR_PREFIX}{}.{extension}",
            uuid::Uuid::new_v4().simple()
        ));
        let whole: ByteStream =
            Box::pin(futures::stream::iter(prefix.into_iter().map(Ok)).chain(body));
        let (metered, meter) = upload::metered(whole, limit, extension);
        let stored = self.blobs.put(&key, metered).await;
        let (limit_hit, mismatch) = {
            let mut m = meter.lock().unwrap_or_else(PoisonError::into_inner);
            (m.limit_hit, m.mismatch.take())
        };
        if limit_hit {
            self.remove_blob(&key).await;
            return Err(FileError::TooLarge { limit });
        }
        if let Some((_, detected)) = mismatch {
            self.remove_blob(&key).await;
            return Err(FileError::NotAnImage { detected });
        }
        let size = match stored {
            Ok(size) => size,
            Err(e) => {
                self.remove_blob(&key).await;
                return Err(e.into());
            }
        };
        Ok(StoredAvatar {
            key,
            content_type,
            size,
        })
    }

    /// Streams the avatar image named `name` (a key without [`AVATAR_PREFIX`]) with its MIME
    /// type. Anyone may read an avatar: the name is the secret.
    ///
    /// # Errors
    /// [`FileError::NotFound`] when `name` is not the shape of an avatar key or no image is
    /// stored under it; [`FileError::Blob`] when the store fails.
    #[tracing::instrument(skip(self))]
    pub async fn open_avatar(&self, name: &str) -> Result<(&'static str, ByteStream), FileError> {
        let content_type = avatar_content_type(name).ok_or(FileError::NotFound)?;
        let key = BlobKey(format!("{AVATAR_PREFIX}{name}"));
        match self.blobs.get(&key, None).await {
            Ok(stream) => Ok((content_type, stream)),
            Err(BlobError::NotFound) => Err(FileError::NotFound),
            Err(e) => Err(e.into()),
        }
    }

    /// Removes an avatar image, best effort: a failure is logged and left to the reconciler.
    /// A key outside [`AVATAR_PREFIX`] is never touched.
    #[tracing::instrument(skip(self))]
    pub async fn remove_avatar(&self, key: &str) {
        if key.starts_with(AVATAR_PREFIX) {
            self.remove_blob(&BlobKey(key.to_owned())).await;
        } else {
            tracing::error!(
                key,
                "refusing to remove a blob outside avatars/ as an avatar"
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_keys_of_the_generated_shape_are_avatars() {
        let id = "0123456789abcdef0123456789abcdef";
        assert_eq!(avatar_content_type(&format!("{id}.png")), Some("image/png"));
        assert_eq!(
            avatar_content_type(&format!("{id}.jpg")),
            Some("image/jpeg")
        );
        assert_eq!(avatar_content_type(&format!("{id}.gif")), Some("image/gif"));
        assert_eq!(
            avatar_content_type(&format!("{id}.webp")),
            Some("image/webp")
        );
        for bad in [
            format!("{id}.svg"),
            format!("{id}.PNG"),
            format!("{}.png", id.to_uppercase()),
            format!("{id}0.png"),
            format!("{id}.png.png"),
            "../files/x.png".to_owned(),
            format!("..%2f{id}.png"),
            String::new(),
        ] {
            assert_eq!(avatar_content_type(&bad), None, "{bad:?}");
        }
    }
}
