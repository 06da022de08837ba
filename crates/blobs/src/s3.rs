//! S3 and S3-compatible stores (AWS, R2, MinIO, moto) configured in code: [`S3Options`] and
//! [`s3_store`]. [`crate::open_store`] uses the same path for `s3://` URLs, with the settings
//! taken from the standard `AWS_*` variables.

use std::sync::Arc;
use std::time::Duration;

use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::prefix::PrefixStore;
use object_store::{ClientConfigKey, ObjectStore, RetryConfig};
use plinth_files::BlobStore;
use secrecy::{ExposeSecret, SecretString};

use crate::{BlobConfigError, ObjectStoreBlobs};

/// How to reach an S3 bucket. Build it with [`S3Options::new`] and set the fields you need;
/// `Debug` never shows the secret key.
#[derive(Debug, Clone)]
pub struct S3Options {
    /// Bucket name: 1–63 of letters, digits, `.`, `-` or `_`.
    pub bucket: String,
    /// Folder inside the bucket under which every key is stored (for example
    /// `tenant-a/uploads`); empty for the bucket's root. Slashes at either end are ignored.
    pub prefix: String,
    /// Endpoint of an S3-compatible server such as `http://127.0.0.1:9000`; `None` for AWS
    /// itself (or `AWS_ENDPOINT_URL` when [`Self::from_env`] is set). Requests are path-style.
    pub endpoint: Option<String>,
    /// Region, e.g. `us-east-1`; `None` for the default (or `AWS_REGION`).
    pub region: Option<String>,
    /// Access key id; `None` to use the variables or the instance's role.
    pub access_key_id: Option<String>,
    /// Secret access key matching [`Self::access_key_id`].
    pub secret_access_key: Option<SecretString>,
    /// Allow plain `http://` endpoints (local servers only). `false` keeps the default, or
    /// `AWS_ALLOW_HTTP` when [`Self::from_env`] is set.
    pub allow_http: bool,
    /// Start from every `AWS_*` variable object_store knows (session tokens, web identity,
    /// …) and let the fields above that are set override them. `false` reads no variable.
    pub from_env: bool,
    /// Retries of a failed request before the store is reported unavailable.
    pub max_retries: usize,
    /// Give up retrying a request after this long.
    pub retry_timeout: Duration,
    /// Time allowed to open a connection; `None` for object_store's default (5 s).
    pub connect_timeout: Option<Duration>,
    /// Time allowed for a whole request; `None` for object_store's default (30 s).
    pub request_timeout: Option<Duration>,
}

impl S3Options {
    /// Options for `bucket` at its root, reading no environment variable, with 4 retries
    /// within at most 30 s (so an unreachable store answers 503 in reasonable time rather
    /// than after object_store's default of three minutes).
    #[must_use]
    pub fn new(bucket: impl Into<String>) -> Self {
        Self {
            bucket: bucket.into(),
            prefix: String::new(),
            endpoint: None,
            region: None,
            access_key_id: None,
            secret_access_key: None,
            allow_http: false,
            from_env: false,
            max_retries: 4,
            retry_timeout: Duration::from_secs(30),
            connect_timeout: None,
            request_timeout: None,
        }
    }
}

/// Whether `bucket` is a name [`s3_store`] accepts.
pub(crate) fn valid_bucket(bucket: &str) -> bool {
    !bucket.is_empty()
        && bucket.len() <= 63
        && bucket
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
}

fn duration_text(d: Duration) -> String {
    format!("{}ms", d.as_millis())
}

/// Builds the blob store `options` describe. Nothing is contacted here;
/// [`BlobStore::check`] does that.
///
/// # Errors
/// [`BlobConfigError::BadBucket`] or [`BlobConfigError::BadPrefix`] for unusable names,
/// [`BlobConfigError::Store`] when object_store refuses the settings.
pub fn s3_store(options: S3Options) -> Result<Arc<dyn BlobStore>, BlobConfigError> {
    if !valid_bucket(&options.bucket) {
        return Err(BlobConfigError::BadBucket);
    }
    let prefix = options.prefix.trim_matches('/');
    let prefix = if prefix.is_empty() {
        None
    } else {
        Some(object_store::path::Path::parse(prefix).map_err(|_| BlobConfigError::BadPrefix)?)
    };
    let mut builder = if options.from_env {
        AmazonS3Builder::from_env()
    } else {
        AmazonS3Builder::new()
    };
    builder = builder
        .with_bucket_name(&options.bucket)
        .with_retry(RetryConfig {
            max_retries: options.max_retries,
            retry_timeout: options.retry_timeout,
            ..RetryConfig::default()
        });
    if let Some(endpoint) = &options.endpoint {
        builder = builder.with_endpoint(endpoint);
    }
    if let Some(region) = &options.region {
        builder = builder.with_region(region);
    }
    if let Some(key_id) = &options.access_key_id {
        builder = builder.with_access_key_id(key_id);
    }
    if let Some(secret) = &options.secret_access_key {
        builder = builder.with_secret_access_key(secret.expose_secret());
    }
    if options.allow_http {
        builder = builder.with_allow_http(true);
    }
    // Set key by key: `with_client_options` would drop what `from_env` read.
    if let Some(timeout) = options.connect_timeout {
        builder = builder.with_config(
            AmazonS3ConfigKey::Client(ClientConfigKey::ConnectTimeout),
            duration_text(timeout),
        );
    }
    if let Some(timeout) = options.request_timeout {
        builder = builder.with_config(
            AmazonS3ConfigKey::Client(ClientConfigKey::Timeout),
            duration_text(timeout),
        );
    }
    let s3 = builder.build().map_err(BlobConfigError::Store)?;
    let store: Arc<dyn ObjectStore> = match prefix {
        None => Arc::new(s3),
        Some(prefix) => Arc::new(PrefixStore::new(s3, prefix)),
    };
    Ok(Arc::new(ObjectStoreBlobs::new(store)))
}
