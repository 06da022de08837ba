//! Contract suites for the files ports. Each is a plain `async fn` that panics on the first
//! broken promise, so an adapter crate runs it from its own `#[tokio::test]`:
//!
//! ```no_run
//! # async fn demo() {
//! use std::sync::Arc;
//! use plinth_files::testing::{MemoryBlobStore, contract};
//! contract::blob_store(Arc::new(MemoryBlobStore::new())).await;
//! # }
//! ```
//!
//! The suites use fresh random ids and keys and never assert global counts, so they tolerate
//! storage that already holds rows from earlier runs.

// These functions are test bodies: a failed expectation is meant to panic.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::missing_panics_doc)]

mod blob_store;
mod file_erase;
mod file_repository;
mod file_shares;
mod file_versions;

pub use blob_store::blob_store;
pub use file_repository::file_repository;
