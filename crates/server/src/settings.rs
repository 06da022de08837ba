//! Typed settings, layered as `docs/configuration.md` describes.
//!
//! Sources, later wins:
//! 1. `config/default.toml` (also compiled into the binary),
//! 2. `config/{APP_ENV}.toml`,
//! 3. the flat environment variables (`PORT`, `DATABASE_URL`, …), each overriding the key of the
//!    same name. Only the names in [`ENV_KEYS`] are read; nothing else in the environment leaks in.
//!
//! The config folder is `$PLINTH_CONFIG_DIR` when set, else `./config` when it exists; with
//! neither, the built-in copies of `default.toml` and `{APP_ENV}.toml` apply, so the binary works
//! from any directory.
//!
//! Durations (`15m`, `30d`, `10s`, `1h`, `1h30m`) use a small parser in [`parse`] rather than a
//! new dependency. Secrets (`JWT_SECRET`, `SMTP_URL`, `STRIPE_WEBHOOK_SECRET`, `STRIPE_API_KEY`,
//! the `OAUTH_*_CLIENT_SECRET`s and the whole
//! `DATABASE_URL`, which may hold a password) are [`SecretString`]s: `Debug` never shows them,
//! and no error message repeats their value.

mod build;
mod environment;
mod error;
mod oauth;
pub mod parse;
mod passkeys;
mod reader;
mod sources;
#[cfg(test)]
mod tests;

use std::fmt;
use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};

pub use build::MIN_JWT_SECRET_BYTES;
pub use environment::{Environment, LogFormat};
pub use error::SettingsError;
pub use parse::RateLimit;
pub use sources::{ENV_KEYS, SHIPPED_CONFIG, shipped_secrets};

/// Everything the binary needs to run.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `APP_ENV`.
    pub environment: Environment,
    /// Listening socket and HTTP behaviour.
    pub server: ServerSettings,
    /// The database.
    pub database: DatabaseSettings,
    /// Tokens, passwords, lockout.
    pub auth: AuthSettings,
    /// File storage.
    pub storage: StorageSettings,
    /// Outgoing mail.
    pub mail: MailSettings,
    /// Payment provider.
    pub billing: BillingSettings,
    /// The event outbox and the realtime streams.
    pub events: EventSettings,
    /// Per-client rate limits.
    pub rate_limit: RateLimitSettings,
    /// Social sign-in providers (`OAUTH_*`), in the order they are listed to clients.
    pub oauth: Vec<plinth_oidc::ProviderConfig>,
    /// Passkeys' relying party (`PASSKEY_RP_ID`, `PASSKEY_ORIGINS`, `PASSKEY_RP_NAME`); `None`:
    /// passkeys are off.
    pub passkeys: Option<plinth_webauthn::RelyingParty>,
    /// Logging.
    pub log: LogSettings,
}

/// Listening socket and HTTP behaviour.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ServerSettings {
    /// `HOST`: address to bind.
    pub host: String,
    /// `PORT`: port to bind (0 picks a free one).
    pub port: u16,
    /// `PUBLIC_URL`: external base URL, without a trailing slash.
    pub public_url: String,
    /// `CORS_ORIGINS`: allowed browser origins.
    pub cors_origins: Vec<String>,
    /// `TRUSTED_PROXIES`: networks whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// `SHUTDOWN_GRACE`: how long in-flight requests may finish after SIGTERM.
    pub shutdown_grace: Duration,
    /// `COOKIE_SECURE`: the browser session cookies are sent over HTTPS only.
    pub cookie_secure: bool,
    /// `COOKIE_SAME_SITE`: `strict`, `lax` or `none` (a frontend on another site; needs
    /// `COOKIE_SECURE`).
    pub cookie_same_site: plinth_api::CookieSameSite,
    /// `COOKIE_DOMAIN`: the cookies' `Domain` (e.g. `example.com`); unset: this host only.
    pub cookie_domain: Option<String>,
}

/// How access tokens are signed (`JWT_ALGORITHM`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum JwtAlgorithm {
    /// Ed25519 with a key derived from `JWT_SECRET`, published at `/.well-known/jwks.json`
    /// (the default): any service can verify a token without a secret.
    EdDsa,
    /// HMAC-SHA256 with `JWT_SECRET`: only holders of the secret can verify (an opt-in).
    Hs256,
}

/// The database connection.
#[derive(Clone)]
pub struct DatabaseSettings {
    /// `DATABASE_URL` (`sqlite://…` or `postgres://…`); secret because it may hold a password.
    pub url: SecretString,
    /// `DATABASE_POOL_MAX`: connection pool size.
    pub pool_max: u32,
}

impl fmt::Debug for DatabaseSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DatabaseSettings")
            .field("url", &redact_url(self.url.expose_secret()))
            .field("pool_max", &self.pool_max)
            .finish()
    }
}

/// Tokens, passwords and lockout.
#[derive(Debug, Clone)]
pub struct AuthSettings {
    /// `JWT_SECRET`: HMAC key for access tokens (≥ 32 bytes).
    pub jwt_secret: SecretString,
    /// `JWT_ALGORITHM`: how access tokens are signed.
    pub jwt_algorithm: JwtAlgorithm,
    /// `JWT_PREVIOUS_SECRET`: the secret before a rotation, still accepted for verifying
    /// access tokens, opening TOTP secrets and checking signed URLs (never for signing).
    pub jwt_previous_secret: Option<SecretString>,
    /// `ACCESS_TOKEN_TTL`.
    pub access_token_ttl: Duration,
    /// `REFRESH_TOKEN_TTL`.
    pub refresh_token_ttl: Duration,
    /// `SESSION_IDLE_TIMEOUT`: a session not refreshed for this long ends (longer than
    /// `ACCESS_TOKEN_TTL`, at most `REFRESH_TOKEN_TTL`).
    pub session_idle_timeout: Duration,
    /// `REFRESH_REUSE_GRACE`: window in which a just-spent refresh token yields the same successor.
    pub refresh_reuse_grace: Duration,
    /// `BCRYPT_COST` (4–31).
    pub bcrypt_cost: u32,
    /// `PASSWORD_MIN_LENGTH` in characters.
    pub password_min_length: usize,
    /// `LOCKOUT_THRESHOLD`: failed logins before a temporary lock.
    pub lockout_threshold: u32,
    /// `LOCKOUT_BASE`: first lock length, doubling per further failure up to 1 h.
    pub lockout_base: Duration,
    /// `PASSWORDLESS_TTL` (1 min – 1 h): how long a passwordless link and code work.
    pub passwordless_ttl: Duration,
    /// `PASSWORDLESS_SIGNUP`: whether a passwordless request for an address without an
    /// account mails a sign-up link and code (redeeming one creates a verified account).
    pub passwordless_signup: bool,
    /// `REVOCATION_SYNC_INTERVAL` (100 ms – 60 s): how often each replica reloads access-token
    /// revocations, so the longest a revoked access token keeps working.
    pub revocation_sync_interval: Duration,
}

/// File storage.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageSettings {
    /// `STORAGE_URL`: `file:///abs`, `file://relative`, `memory://` or `s3://bucket[/prefix]`.
    pub url: String,
    /// `MAX_UPLOAD_BYTES`: largest accepted file.
    pub max_upload_bytes: u64,
    /// `MAX_AVATAR_BYTES`: largest accepted avatar image.
    pub max_avatar_bytes: u64,
    /// `ALLOWED_FILE_TYPES`: lower-case extensions without the dot.
    pub allowed_file_types: Vec<String>,
    /// `RECONCILE_INTERVAL`: how often the server removes blobs that belong to no file
    /// (`0` turns the periodic run off; `plinth files reconcile` still works).
    pub reconcile_interval: Duration,
    /// `DEFAULT_STORAGE_BYTES`: the `storage_bytes` entitlement (per-user quota over every
    /// stored version) of users without a plan, and of plans that do not set one.
    pub default_storage_bytes: u64,
}

/// Outgoing mail.
#[derive(Debug, Clone, Default)]
pub struct MailSettings {
    /// `SMTP_URL`; `None` sends mail to the log and `data/outbox/`.
    pub smtp_url: Option<SecretString>,
    /// `PRODUCT_NAME`: what mail calls the service (default `Plinth`); also the sender's name.
    pub product_name: String,
    /// `MAIL_TEMPLATES_DIR`: the folder whose templates replace the shipped ones file by file
    /// (default `config/mail`; a missing folder leaves the shipped ones).
    pub templates_dir: std::path::PathBuf,
}

/// Payment provider.
#[derive(Debug, Clone, Default)]
pub struct BillingSettings {
    /// `STRIPE_WEBHOOK_SECRET`; `None` makes the webhook route answer 503.
    pub stripe_webhook_secret: Option<SecretString>,
    /// `STRIPE_API_KEY` (`sk_…` or `rk_…`); `None` makes paying an invoice answer 503.
    pub stripe_api_key: Option<SecretString>,
    /// `STRIPE_API_BASE`: where Stripe's API is (default `https://api.stripe.com`; tests
    /// point it at a local fake).
    pub stripe_api_base: String,
    /// `BILLING_UNCOLLECTIBLE_AFTER`: how long after `due_at` an open invoice becomes
    /// `uncollectible` (default 30 days).
    pub uncollectible_after: Duration,
    /// `BILLING_JOBS_INTERVAL`: how often each server runs the billing jobs — overdue
    /// invoices, `past_due`/`unpaid`, renewals and their invoices (default 1 minute; `0`
    /// turns the periodic run off and `plinth billing run-jobs` runs them by hand).
    pub jobs_interval: Duration,
    /// `INVOICE_DUE_DAYS`: days from issue until a subscription period's invoice is due
    /// (0–365, default 30).
    pub invoice_due_days: u32,
}

/// The event outbox and the realtime streams.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventSettings {
    /// `EVENT_RETENTION` (1 hour – 365 days, default 7 days): how long events are kept; a
    /// client resuming from an older one is told to reload.
    pub retention: Duration,
    /// `EVENT_POLL_INTERVAL` (10 ms – 60 s, default 250 ms): how often each replica reads newly
    /// committed events (the worst added delivery delay).
    pub poll_interval: Duration,
    /// `EVENT_HEARTBEAT` (1 s – 5 min, default 15 s): how long an idle stream waits before a
    /// heartbeat comment (keeps proxies from closing it).
    pub heartbeat: Duration,
}

/// Per-client-IP rate limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimitSettings {
    /// `RATE_LIMIT_ENABLED`.
    pub enabled: bool,
    /// `RATE_LIMIT_AUTH`: limit for `/auth/*`.
    pub auth: RateLimit,
    /// `RATE_LIMIT_API`: limit for everything else.
    pub api: RateLimit,
}

/// Logging.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogSettings {
    /// `LOG_FORMAT`.
    pub format: LogFormat,
    /// `RUST_LOG`: a tracing filter directive.
    pub filter: String,
}

impl Settings {
    /// Loads the settings from the process environment and the config folder (see the module
    /// docs).
    ///
    /// # Errors
    /// [`SettingsError`] with one line saying which setting is wrong and why.
    pub fn load() -> Result<Self, SettingsError> {
        Self::load_with(|name| std::env::var(name).ok())
    }

    /// Like [`Settings::load`], reading variables through `env` instead of the process
    /// environment (tests use a map, so they never mutate the real environment).
    ///
    /// # Errors
    /// [`SettingsError`] with one line saying which setting is wrong and why.
    pub fn load_with(env: impl Fn(&str) -> Option<String>) -> Result<Self, SettingsError> {
        let environment = match env("APP_ENV") {
            Some(raw) => raw.parse()?,
            None => Environment::Development,
        };
        let figment = sources::layered(environment, &env)?;
        build::from_figment(environment, &figment)
    }

    /// The settings of `environment` from the built-in config files alone: no config folder,
    /// no environment variables. A starting point for tests, which then adjust fields.
    ///
    /// # Errors
    /// [`SettingsError`] only if the shipped files themselves are invalid (a bug).
    pub fn builtin(environment: Environment) -> Result<Self, SettingsError> {
        let figment = sources::builtin(environment);
        build::from_figment(environment, &figment)
    }

    /// The socket address to bind, `HOST:PORT`.
    #[must_use]
    pub fn bind_address(&self) -> String {
        if self.server.host.contains(':') && !self.server.host.starts_with('[') {
            format!("[{}]:{}", self.server.host, self.server.port)
        } else {
            format!("{}:{}", self.server.host, self.server.port)
        }
    }
}

/// `url` with its password replaced by `***`, fit for logs. Unparsable input is fully hidden.
#[must_use]
pub fn redact_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) => {
            if parsed.password().is_some() && parsed.set_password(Some("***")).is_err() {
                return "<redacted>".to_owned();
            }
            parsed.to_string()
        }
        Err(_) => "<redacted>".to_owned(),
    }
}
