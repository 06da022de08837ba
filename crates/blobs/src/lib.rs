//! The object_store adapter for Plinth's [`plinth_files::BlobStore`] port: local files, memory
//! and S3-compatible storage, chosen from `STORAGE_URL` by [`open_store`].
//!
//! Uploads are streamed with multipart writes (bounded memory whatever the file size) and
//! abandoned cleanly when the body fails, so nothing is ever left under the key.

mod config;
mod store;

pub use config::{BlobConfigError, open_store};
pub use store::ObjectStoreBlobs;
