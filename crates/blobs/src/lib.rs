//! The object_store adapter for Plinth's [`plinth_files::BlobStore`] port: local files, memory
//! and S3-compatible storage, chosen from `STORAGE_URL` by [`open_store`],
//! or for S3 configured in code by [`s3_store`].
//!
//! Uploads are streamed with multipart writes (bounded memory whatever the file size) and
//! abandoned cleanly when the body fails, so nothing is ever left under the key.

mod config;
mod s3;
mod store;

pub use config::{BlobConfigError, open_store};
pub use s3::{S3Options, s3_store};
pub use store::ObjectStoreBlobs;
