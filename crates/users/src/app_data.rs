//! The app-data document: one JSON document per user that client apps store through
//! `/me/data`, versioned by an entity tag so concurrent writers do not overwrite each other.

use plinth_kernel::{Timestamp, UserId};
use sha2::{Digest, Sha256};

/// The largest accepted document, in bytes (1 MiB).
pub const MAX_APP_DATA_BYTES: usize = 1024 * 1024;

/// A user's stored document.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppData {
    /// Whose it is.
    pub user_id: UserId,
    /// The document, as JSON text (validated on the way in).
    pub json: String,
    /// Its version: lower-case hex SHA-256 of `json`.
    pub etag: String,
    /// When it was last written.
    pub updated_at: Timestamp,
}

impl AppData {
    /// The document `json` of `user_id`, written at `at`, with its entity tag.
    #[must_use]
    pub fn new(user_id: UserId, json: String, at: Timestamp) -> Self {
        let etag = etag_of(&json);
        Self {
            user_id,
            json,
            etag,
            updated_at: at,
        }
    }
}

/// The entity tag of a document: lower-case hex SHA-256 of its text.
#[must_use]
pub fn etag_of(json: &str) -> String {
    hex::encode(Sha256::digest(json.as_bytes()))
}
