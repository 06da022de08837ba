//! Where setting values come from: the built-in config files, the config folder and the
//! environment, merged with figment (later layers win).

use std::path::{Path, PathBuf};

use figment::providers::{Format, Toml};
use figment::value::{Dict, Map, Value};
use figment::{Figment, Metadata, Profile, Provider};

use super::{Environment, SettingsError};

/// The environment variables read, each overriding the setting of the same name.
pub const ENV_KEYS: &[&str] = &[
    "HOST",
    "PORT",
    "PUBLIC_URL",
    "DATABASE_URL",
    "DATABASE_POOL_MAX",
    "JWT_SECRET",
    "JWT_PREVIOUS_SECRET",
    "JWT_ALGORITHM",
    "ACCESS_TOKEN_TTL",
    "REFRESH_TOKEN_TTL",
    "SESSION_IDLE_TIMEOUT",
    "BCRYPT_COST",
    "STORAGE_URL",
    "MAX_UPLOAD_BYTES",
    "MAX_AVATAR_BYTES",
    "ALLOWED_FILE_TYPES",
    "RECONCILE_INTERVAL",
    "DEFAULT_STORAGE_BYTES",
    "CORS_ORIGINS",
    "COOKIE_SECURE",
    "COOKIE_SAME_SITE",
    "COOKIE_DOMAIN",
    "SMTP_URL",
    "PRODUCT_NAME",
    "MAIL_TEMPLATES_DIR",
    "STRIPE_WEBHOOK_SECRET",
    "STRIPE_API_KEY",
    "STRIPE_API_BASE",
    "BILLING_UNCOLLECTIBLE_AFTER",
    "BILLING_JOBS_INTERVAL",
    "INVOICE_DUE_DAYS",
    "EVENT_RETENTION",
    "EVENT_POLL_INTERVAL",
    "EVENT_HEARTBEAT",
    "REFRESH_REUSE_GRACE",
    "PASSWORD_MIN_LENGTH",
    "LOCKOUT_THRESHOLD",
    "LOCKOUT_BASE",
    "PASSWORDLESS_TTL",
    "PASSWORDLESS_SIGNUP",
    "REVOCATION_SYNC_INTERVAL",
    "PASSKEY_RP_ID",
    "PASSKEY_ORIGINS",
    "PASSKEY_RP_NAME",
    "OAUTH_GOOGLE_CLIENT_ID",
    "OAUTH_GOOGLE_CLIENT_SECRET",
    "OAUTH_MICROSOFT_CLIENT_ID",
    "OAUTH_MICROSOFT_CLIENT_SECRET",
    "OAUTH_MICROSOFT_TENANT",
    "OAUTH_APPLE_CLIENT_ID",
    "OAUTH_APPLE_CLIENT_SECRET",
    "OAUTH_GITHUB_CLIENT_ID",
    "OAUTH_GITHUB_CLIENT_SECRET",
    "OAUTH_OIDC_ISSUER",
    "OAUTH_OIDC_CLIENT_ID",
    "OAUTH_OIDC_CLIENT_SECRET",
    "OAUTH_OIDC_NAME",
    "OAUTH_OIDC_DISPLAY_NAME",
    "OAUTH_OIDC_SCOPES",
    "RATE_LIMIT_ENABLED",
    "RATE_LIMIT_AUTH",
    "RATE_LIMIT_API",
    "TRUSTED_PROXIES",
    "SHUTDOWN_GRACE",
    "LOG_FORMAT",
    "RUST_LOG",
];

/// The config files shipped in the repository's `config/` folder, compiled in: `(file name,
/// contents)`. `default.toml` is the base layer when no config folder exists, and every secret
/// in these files is refused in production.
pub const SHIPPED_CONFIG: [(&str, &str); 4] = [
    (
        "default.toml",
        include_str!("../../../../config/default.toml"),
    ),
    (
        "development.toml",
        include_str!("../../../../config/development.toml"),
    ),
    ("test.toml", include_str!("../../../../config/test.toml")),
    (
        "production.toml",
        include_str!("../../../../config/production.toml"),
    ),
];

/// The built-in copy of a shipped file.
fn shipped(name: &str) -> &'static str {
    SHIPPED_CONFIG
        .iter()
        .find(|(n, _)| *n == name)
        .map_or("", |(_, text)| text)
}

/// Every secret value (`*_SECRET` keys) that appears in a shipped config file.
#[must_use]
pub fn shipped_secrets() -> Vec<String> {
    SHIPPED_CONFIG
        .iter()
        .filter_map(|(_, text)| Toml::string(text).data().ok())
        .flat_map(|profiles| profiles.into_values())
        .flat_map(|dict| dict.into_iter())
        .filter(|(key, _)| key.ends_with("SECRET"))
        .filter_map(|(_, value)| value.into_string())
        .collect()
}

/// A built-in file as a figment layer named after it.
struct Builtin(&'static str);

impl Provider for Builtin {
    fn metadata(&self) -> Metadata {
        Metadata::named(format!("built-in config/{}", self.0))
    }

    fn data(&self) -> figment::Result<Map<Profile, Dict>> {
        Toml::string(shipped(self.0)).data()
    }
}

/// The environment variables in [`ENV_KEYS`] that are set, as a figment layer (values are
/// strings; parsing happens when the settings are built).
struct EnvLayer(Dict);

impl EnvLayer {
    fn read(env: &dyn Fn(&str) -> Option<String>) -> Self {
        Self(
            ENV_KEYS
                .iter()
                .filter_map(|key| env(key).map(|v| ((*key).to_owned(), Value::from(v))))
                .collect(),
        )
    }
}

impl Provider for EnvLayer {
    fn metadata(&self) -> Metadata {
        Metadata::named("environment variable")
    }

    fn data(&self) -> figment::Result<Map<Profile, Dict>> {
        Ok(Map::from([(Profile::Default, self.0.clone())]))
    }
}

/// The config folder: `$PLINTH_CONFIG_DIR`, else `./config` when it exists, else none.
fn config_dir(env: &dyn Fn(&str) -> Option<String>) -> Result<Option<PathBuf>, SettingsError> {
    match env("PLINTH_CONFIG_DIR").filter(|d| !d.is_empty()) {
        Some(dir) if Path::new(&dir).is_dir() => Ok(Some(PathBuf::from(dir))),
        Some(dir) => Err(SettingsError::ConfigDirMissing(dir)),
        None => Ok(Some(PathBuf::from("config")).filter(|d| d.is_dir())),
    }
}

/// A TOML file of the config folder as a layer, if it exists.
fn file_layer(figment: Figment, path: PathBuf) -> Figment {
    if path.is_file() {
        figment.merge(Toml::file_exact(path))
    } else {
        figment
    }
}

/// Built-in defaults, then the config folder's `default.toml` and `{environment}.toml` (or the
/// built-in `{environment}.toml` when there is no folder), then the environment variables.
pub(super) fn layered(
    environment: Environment,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Figment, SettingsError> {
    let env_file = format!("{environment}.toml");
    let figment = Figment::from(Builtin("default.toml"));
    let figment = match config_dir(env)? {
        Some(dir) => file_layer(
            file_layer(figment, dir.join("default.toml")),
            dir.join(&env_file),
        ),
        None => figment.merge(Builtin(builtin_name(environment))),
    };
    Ok(figment.merge(EnvLayer::read(env)))
}

/// Only the built-in files for `environment`.
pub(super) fn builtin(environment: Environment) -> Figment {
    Figment::from(Builtin("default.toml")).merge(Builtin(builtin_name(environment)))
}

const fn builtin_name(environment: Environment) -> &'static str {
    match environment {
        Environment::Development => "development.toml",
        Environment::Test => "test.toml",
        Environment::Production => "production.toml",
    }
}
