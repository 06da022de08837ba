//! Signed download URLs: the values around the [`crate::UrlSigner`] port (in `ports.rs`).

use plinth_kernel::{Timestamp, UserId};

use crate::FileId;

/// Longest lifetime of a signed URL: 7 days, in seconds.
pub const MAX_SIGNED_URL_SECONDS: u64 = 7 * 24 * 60 * 60;

/// A signature and the id of the key that made it.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlSignature {
    /// Key id (public; tells the verifier which key to use after a rotation).
    pub kid: String,
    /// Lower-case hex MAC.
    pub signature: String,
}

impl std::fmt::Debug for UrlSignature {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("UrlSignature")
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A signed download link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedUrl {
    /// The absolute URL
    /// (`{PUBLIC_URL}/api/v1/files/{id}/content/signed?v=…&exp=…&by=…&gen=…&kid=…&sig=…`).
    pub url: String,
    /// When it stops working.
    pub expires_at: Timestamp,
}

/// The parameters of a signed URL as received.
#[derive(Clone, PartialEq, Eq)]
pub struct SignedParams {
    /// The file (from the path).
    pub file_id: FileId,
    /// The version the link downloads (`v`).
    pub version: i32,
    /// Expiry as Unix seconds (`exp`).
    pub expires: i64,
    /// The account that made the link (`by`): it works only while that account may still
    /// download the file.
    pub signer: UserId,
    /// The file's signed-URL generation the link was made under (`gen`).
    pub generation: i64,
    /// Key id (`kid`).
    pub kid: String,
    /// Hex signature (`sig`).
    pub signature: String,
}

impl std::fmt::Debug for SignedParams {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignedParams")
            .field("file_id", &self.file_id)
            .field("version", &self.version)
            .field("expires", &self.expires)
            .field("signer", &self.signer)
            .field("generation", &self.generation)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// The signed payload: `"<file_id>|<version>|<exp>|<signer>|<generation>"`.
#[must_use]
pub fn signed_payload(
    file_id: FileId,
    version: i32,
    expires: i64,
    signer: UserId,
    generation: i64,
) -> String {
    format!("{file_id}|{version}|{expires}|{signer}|{generation}")
}
