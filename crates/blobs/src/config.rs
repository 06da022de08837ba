//! `STORAGE_URL` parsing: which object store to build.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use object_store::local::LocalFileSystem;
use object_store::memory::InMemory;
use plinth_files::BlobStore;

use crate::ObjectStoreBlobs;
use crate::s3::{S3Options, s3_store};

/// The accepted `STORAGE_URL` forms, quoted in every error.
const ACCEPTED: &str =
    "use file:///absolute/path, file://relative/path, memory:// or s3://bucket[/prefix]";

/// Why `STORAGE_URL` could not be turned into a blob store. Messages never repeat anything
/// after the scheme that could hold a credential.
#[derive(Debug, thiserror::Error)]
pub enum BlobConfigError {
    /// Not one of the accepted forms.
    #[error("STORAGE_URL has an unsupported form ({found}); {ACCEPTED}")]
    Unsupported {
        /// What was found instead (the scheme only).
        found: String,
    },
    /// `file://` with nothing after it.
    #[error("STORAGE_URL file:// names no folder; {ACCEPTED}")]
    MissingPath,
    /// `s3://` without a usable bucket name.
    #[error(
        "STORAGE_URL s3:// needs a bucket name of letters, digits, '.', '-' or '_'; {ACCEPTED}"
    )]
    BadBucket,
    /// The prefix after the bucket is not a valid object path.
    #[error("STORAGE_URL s3:// has an invalid prefix after the bucket; {ACCEPTED}")]
    BadPrefix,
    /// The local folder could not be created or opened.
    #[error("cannot use storage folder {path}: {source}")]
    LocalFolder {
        /// The folder.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// object_store refused the settings (for example from the `AWS_*` variables).
    #[error("invalid storage settings: {0}")]
    Store(#[source] object_store::Error),
}

/// Builds the blob store `url` names:
/// - `memory://`: in memory (lost on exit; for tests and demos);
/// - `file:///abs/path` or `file://relative/path` (relative to the current directory): a local
///   folder, created when missing;
/// - `s3://bucket[/prefix]`: S3 or an S3-compatible store configured by the standard variables
///   `AWS_ENDPOINT_URL`, `AWS_REGION`, `AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`,
///   `AWS_ALLOW_HTTP` (and the other `AWS_*` ones object_store knows), through [`s3_store`]
///   with [`S3Options::from_env`] set. Nothing is contacted here; [`BlobStore::check`] does
///   that.
///
/// # Errors
/// [`BlobConfigError`] naming the accepted forms for anything else, or when the folder cannot
/// be created or the S3 settings are refused.
pub fn open_store(url: &str) -> Result<Arc<dyn BlobStore>, BlobConfigError> {
    let url = url.trim();
    let Some((scheme, rest)) = url.split_once("://") else {
        return Err(BlobConfigError::Unsupported {
            found: "no scheme".to_owned(),
        });
    };
    match scheme {
        "memory" if rest.is_empty() => {
            Ok(Arc::new(ObjectStoreBlobs::new(Arc::new(InMemory::new()))))
        }
        "memory" => Err(BlobConfigError::Unsupported {
            found: "memory:// followed by a path".to_owned(),
        }),
        "file" => open_local(rest),
        "s3" => open_s3(rest),
        other => Err(BlobConfigError::Unsupported {
            found: format!("scheme {:?}", truncate(other, 16)),
        }),
    }
}

fn truncate(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

fn open_local(rest: &str) -> Result<Arc<dyn BlobStore>, BlobConfigError> {
    if rest.is_empty() || rest == "/" {
        return Err(BlobConfigError::MissingPath);
    }
    let path = Path::new(rest);
    let path = if path.is_absolute() {
        path.to_path_buf()
    } else {
        let cwd = std::env::current_dir().map_err(|source| BlobConfigError::LocalFolder {
            path: path.into(),
            source,
        })?;
        cwd.join(path)
    };
    std::fs::create_dir_all(&path).map_err(|source| BlobConfigError::LocalFolder {
        path: path.clone(),
        source,
    })?;
    let store = LocalFileSystem::new_with_prefix(&path)
        .map_err(BlobConfigError::Store)?
        .with_automatic_cleanup(true);
    let root = std::fs::canonicalize(&path)
        .map_err(|source| BlobConfigError::LocalFolder { path, source })?;
    Ok(Arc::new(
        ObjectStoreBlobs::new(Arc::new(store)).with_local_root(root),
    ))
}

fn open_s3(rest: &str) -> Result<Arc<dyn BlobStore>, BlobConfigError> {
    let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
    s3_store(S3Options {
        prefix: prefix.to_owned(),
        from_env: true,
        ..S3Options::new(bucket)
    })
}
