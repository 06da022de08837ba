//! Why the settings could not be loaded: one line each, never repeating a secret.

/// A configuration problem. `Display` is one line naming the setting, where it came from and
/// what is wrong with it; secret values are never repeated.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// `APP_ENV` is not one of the known environments.
    #[error("unknown APP_ENV `{0}`: expected one of development, test, production")]
    UnknownEnvironment(String),
    /// `PLINTH_CONFIG_DIR` points at something that is not a folder.
    #[error("PLINTH_CONFIG_DIR `{0}` is not a directory")]
    ConfigDirMissing(String),
    /// A config file could not be read or is not valid TOML.
    #[error("cannot read configuration: {0}")]
    Source(String),
    /// A config file holds a key Plinth does not know (likely a typo).
    #[error("unknown setting `{key}` in {origin}")]
    UnknownKey {
        /// The key.
        key: String,
        /// Where it was found.
        origin: String,
    },
    /// A required setting has no value in any layer.
    #[error("{key} is not set")]
    Missing {
        /// The setting.
        key: &'static str,
    },
    /// A setting's value cannot be used.
    #[error("invalid {key}{shown} (from {origin}): {reason}")]
    Invalid {
        /// The setting.
        key: &'static str,
        /// ` = "value"`, or empty for secrets.
        shown: String,
        /// Where the value came from.
        origin: String,
        /// What is wrong.
        reason: String,
    },
    /// The server would listen on a non-loopback address with a JWT secret published in the
    /// repository (whatever the environment).
    #[error(
        "refusing to listen on {host}: {key} is a value published in Plinth's config/ files, so anyone \
         could forge tokens; set your own {key} (e.g. `openssl rand -base64 48`) or HOST=127.0.0.1"
    )]
    PublicWithShippedSecret {
        /// `HOST`.
        host: String,
        /// `JWT_SECRET` or `JWT_PREVIOUS_SECRET`.
        key: &'static str,
    },
    /// The JWT secret is unfit for production.
    #[error("refusing to start in production: {0}")]
    WeakSecret(&'static str),
}
