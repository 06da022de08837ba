//! Turns the merged layers into typed [`Settings`], checking every rule once.

use std::time::Duration;

use figment::{Figment, Profile, Provider};
use secrecy::{ExposeSecret, SecretString};

use super::reader::Reader;
use super::sources::{ENV_KEYS, shipped_secrets};
use super::{
    AuthSettings, BillingSettings, DatabaseSettings, Environment, EventSettings, LogSettings,
    MailSettings, RateLimitSettings, ServerSettings, Settings, SettingsError, StorageSettings,
    parse,
};

/// The shortest accepted `JWT_SECRET`, in bytes.
pub const MIN_JWT_SECRET_BYTES: usize = 32;
/// Fewest different bytes a production `JWT_SECRET` may hold: refuses `aaaa…` and the like.
pub const MIN_JWT_SECRET_DISTINCT_BYTES: usize = 10;

pub(super) fn from_figment(
    environment: Environment,
    figment: &Figment,
) -> Result<Settings, SettingsError> {
    let r = Reader::new(figment);
    reject_unknown_keys(figment, &r)?;
    let host = r.parsed("HOST", |s| {
        let s = s.trim();
        if s.is_empty() {
            Err("must not be empty".to_owned())
        } else {
            Ok(s.to_owned())
        }
    })?;
    let server = ServerSettings {
        host,
        port: r.number("PORT", 0, u64::from(u16::MAX))?,
        public_url: r.parsed("PUBLIC_URL", public_url)?,
        cors_origins: cors_origins(&r)?,
        trusted_proxies: trusted_proxies(&r)?,
        shutdown_grace: r.duration("SHUTDOWN_GRACE", Duration::ZERO)?,
        cookie_secure: r.boolean("COOKIE_SECURE")?,
        cookie_same_site: r.parsed("COOKIE_SAME_SITE", cookie_same_site)?,
        cookie_domain: cookie_domain(&r)?,
    };
    if server.cookie_same_site == plinth_api::CookieSameSite::None && !server.cookie_secure {
        return Err(r.invalid(
            "COOKIE_SAME_SITE",
            false,
            "`none` needs COOKIE_SECURE=true: browsers drop SameSite=None cookies that are not Secure",
        ));
    }
    let database = DatabaseSettings {
        url: database_url(&r)?,
        pool_max: r.number("DATABASE_POOL_MAX", 1, 10_000)?,
    };
    let access_token_ttl = r.duration("ACCESS_TOKEN_TTL", Duration::from_secs(1))?;
    let refresh_token_ttl = r.duration("REFRESH_TOKEN_TTL", Duration::from_secs(1))?;
    let auth = AuthSettings {
        jwt_secret: jwt_secret(environment, &r)?,
        jwt_algorithm: r.parsed("JWT_ALGORITHM", jwt_algorithm)?,
        jwt_previous_secret: jwt_previous_secret(environment, &r)?,
        access_token_ttl,
        refresh_token_ttl,
        session_idle_timeout: session_idle_timeout(&r, access_token_ttl, refresh_token_ttl)?,
        refresh_reuse_grace: r.duration("REFRESH_REUSE_GRACE", Duration::ZERO)?,
        bcrypt_cost: r.number("BCRYPT_COST", 4, 31)?,
        password_min_length: r.number("PASSWORD_MIN_LENGTH", 1, 128)?,
        lockout_threshold: r.number("LOCKOUT_THRESHOLD", 1, 1_000)?,
        lockout_base: r.duration("LOCKOUT_BASE", Duration::from_secs(1))?,
        passwordless_ttl: passwordless_ttl(&r)?,
        passwordless_signup: r.boolean("PASSWORDLESS_SIGNUP")?,
        revocation_sync_interval: revocation_sync_interval(&r)?,
    };
    refuse_public_listening_on_a_shipped_secret(&server.host, &auth)?;
    let storage = StorageSettings {
        url: r.parsed("STORAGE_URL", storage_url)?,
        max_upload_bytes: r.number("MAX_UPLOAD_BYTES", 1, u64::MAX)?,
        max_avatar_bytes: r.number("MAX_AVATAR_BYTES", 1, u64::MAX)?,
        allowed_file_types: file_types(&r)?,
        reconcile_interval: r.duration("RECONCILE_INTERVAL", Duration::ZERO)?,
        default_storage_bytes: r.number("DEFAULT_STORAGE_BYTES", 0, i64::MAX.unsigned_abs())?,
    };
    let mail = MailSettings {
        smtp_url: smtp_url(&r)?,
        product_name: r.parsed("PRODUCT_NAME", product_name)?,
        templates_dir: r.parsed("MAIL_TEMPLATES_DIR", |s| {
            if s.trim().is_empty() {
                Err("must name a folder".to_owned())
            } else {
                Ok(std::path::PathBuf::from(s.trim()))
            }
        })?,
    };
    let billing = BillingSettings {
        stripe_webhook_secret: stripe_secret(&r)?,
        stripe_api_key: stripe_api_key(&r)?,
        stripe_api_base: r.parsed("STRIPE_API_BASE", stripe_api_base)?,
        uncollectible_after: r.duration("BILLING_UNCOLLECTIBLE_AFTER", Duration::ZERO)?,
        jobs_interval: r.duration("BILLING_JOBS_INTERVAL", Duration::ZERO)?,
        invoice_due_days: r.number("INVOICE_DUE_DAYS", 0, 365)?,
    };
    let events = EventSettings {
        retention: bounded(&r, "EVENT_RETENTION", 3600, 365 * 86_400)?,
        poll_interval: bounded_ms(&r, "EVENT_POLL_INTERVAL", 10, 60_000)?,
        heartbeat: bounded(&r, "EVENT_HEARTBEAT", 1, 300)?,
    };
    let rate_limit = RateLimitSettings {
        enabled: r.boolean("RATE_LIMIT_ENABLED")?,
        auth: r.parsed("RATE_LIMIT_AUTH", parse::rate_limit)?,
        api: r.parsed("RATE_LIMIT_API", parse::rate_limit)?,
    };
    let log = LogSettings {
        format: r.parsed("LOG_FORMAT", |s| s.parse())?,
        filter: r.parsed("RUST_LOG", |s| {
            tracing_subscriber::EnvFilter::try_new(s)
                .map(|_| s.trim().to_owned())
                .map_err(|e| format!("not a tracing filter: {e}"))
        })?,
    };
    let oauth = super::oauth::providers(&r)?;
    let passkeys = super::passkeys::relying_party(&r, &server)?;
    Ok(Settings {
        environment,
        server,
        database,
        auth,
        storage,
        mail,
        billing,
        events,
        rate_limit,
        oauth,
        passkeys,
        log,
    })
}

/// A key no layer should hold is most likely a typo: say so instead of ignoring it.
fn reject_unknown_keys(figment: &Figment, r: &Reader<'_>) -> Result<(), SettingsError> {
    let data = figment
        .data()
        .map_err(|e| SettingsError::Source(e.to_string().replace('\n', " ")))?;
    let profiles = [Profile::Default, Profile::Global];
    for (key, value) in profiles.iter().filter_map(|p| data.get(p)).flatten() {
        if !ENV_KEYS.contains(&key.as_str()) {
            return Err(SettingsError::UnknownKey {
                key: key.clone(),
                origin: r.origin(value),
            });
        }
    }
    Ok(())
}

fn public_url(s: &str) -> Result<String, String> {
    let url = url::Url::parse(s.trim()).map_err(|e| format!("not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return Err("expected an http:// or https:// URL".to_owned());
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err("must not have a query or fragment".to_owned());
    }
    Ok(url.as_str().trim_end_matches('/').to_owned())
}

fn jwt_algorithm(s: &str) -> Result<super::JwtAlgorithm, String> {
    match s.trim().to_ascii_uppercase().as_str() {
        "EDDSA" => Ok(super::JwtAlgorithm::EdDsa),
        "HS256" => Ok(super::JwtAlgorithm::Hs256),
        _ => Err("expected EdDSA or HS256".to_owned()),
    }
}

fn cookie_same_site(s: &str) -> Result<plinth_api::CookieSameSite, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "strict" => Ok(plinth_api::CookieSameSite::Strict),
        "lax" => Ok(plinth_api::CookieSameSite::Lax),
        "none" => Ok(plinth_api::CookieSameSite::None),
        _ => Err("expected strict, lax or none".to_owned()),
    }
}

fn cookie_domain(r: &Reader<'_>) -> Result<Option<String>, SettingsError> {
    let Some(domain) = r.text("COOKIE_DOMAIN")? else {
        return Ok(None);
    };
    let domain = domain.trim().trim_start_matches('.').to_ascii_lowercase();
    if domain.is_empty() {
        return Ok(None);
    }
    if domain
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
    {
        Ok(Some(domain))
    } else {
        Err(r.invalid(
            "COOKIE_DOMAIN",
            false,
            format!("`{domain}` is not a host name such as example.com"),
        ))
    }
}

fn database_url(r: &Reader<'_>) -> Result<SecretString, SettingsError> {
    let url = r.secret("DATABASE_URL")?.ok_or(SettingsError::Missing {
        key: "DATABASE_URL",
    })?;
    let parsed = url::Url::parse(url.expose_secret().trim()).map_err(|e| {
        r.invalid(
            "DATABASE_URL",
            true,
            format!("not a URL ({e}); expected sqlite://… or postgres://…"),
        )
    })?;
    match parsed.scheme() {
        "sqlite" => Ok(url),
        "postgres" | "postgresql" if parsed.has_host() => Ok(url),
        "postgres" | "postgresql" => {
            Err(r.invalid("DATABASE_URL", true, "a postgres:// URL needs a host"))
        }
        _ => Err(r.invalid("DATABASE_URL", true, "expected sqlite://… or postgres://…")),
    }
}

fn storage_url(s: &str) -> Result<String, String> {
    let s = s.trim();
    let url = url::Url::parse(s).map_err(|e| format!("not a URL: {e}"))?;
    let ok = match url.scheme() {
        "memory" => s == "memory://",
        "file" => s.len() > "file://".len(),
        "s3" => url.host_str().is_some_and(|h| !h.is_empty()),
        _ => {
            return Err(
                "expected file:///abs/path, file://relative, memory:// or s3://bucket[/prefix]"
                    .to_owned(),
            );
        }
    };
    if ok {
        Ok(s.to_owned())
    } else {
        Err(format!(
            "a {}:// URL needs a folder or bucket (memory:// takes nothing)",
            url.scheme()
        ))
    }
}

/// The longest accepted `REVOCATION_SYNC_INTERVAL`: the promised bound on how long a revoked
/// access token keeps working.
pub const MAX_REVOCATION_SYNC_INTERVAL: Duration = Duration::from_secs(60);

fn revocation_sync_interval(r: &Reader<'_>) -> Result<Duration, SettingsError> {
    let interval = r.duration("REVOCATION_SYNC_INTERVAL", Duration::from_millis(100))?;
    if interval > MAX_REVOCATION_SYNC_INTERVAL {
        return Err(r.invalid(
            "REVOCATION_SYNC_INTERVAL",
            false,
            "must be at most 60s (a revoked access token works until the next sync)",
        ));
    }
    Ok(interval)
}

/// A duration setting between `min` and `max` seconds.
fn bounded(
    r: &Reader<'_>,
    key: &'static str,
    min: u64,
    max: u64,
) -> Result<Duration, SettingsError> {
    bounded_ms(r, key, min * 1000, max * 1000)
}

/// A duration setting between `min` and `max` milliseconds.
fn bounded_ms(
    r: &Reader<'_>,
    key: &'static str,
    min: u64,
    max: u64,
) -> Result<Duration, SettingsError> {
    let value = r.duration(key, Duration::from_millis(min))?;
    if value > Duration::from_millis(max) {
        return Err(r.invalid(
            key,
            false,
            format!("must be at most {:?}", Duration::from_millis(max)),
        ));
    }
    Ok(value)
}

/// `PASSWORDLESS_TTL`: at least a minute (time to open the mail), at most an hour (a mailed
/// secret should not outlive the moment it was asked for).
fn passwordless_ttl(r: &Reader<'_>) -> Result<Duration, SettingsError> {
    const KEY: &str = "PASSWORDLESS_TTL";
    let ttl = r.duration(KEY, Duration::from_secs(60))?;
    if ttl > Duration::from_secs(3600) {
        return Err(r.invalid(KEY, false, "must be at most 1h"));
    }
    Ok(ttl)
}

/// `SESSION_IDLE_TIMEOUT`: longer than `ACCESS_TOKEN_TTL` (a client refreshes only when its
/// access token runs out, so a shorter timeout would end sessions in active use) and at most
/// `REFRESH_TOKEN_TTL` (a session never outlives its absolute end anyway).
fn session_idle_timeout(
    r: &Reader<'_>,
    access: Duration,
    refresh: Duration,
) -> Result<Duration, SettingsError> {
    const KEY: &str = "SESSION_IDLE_TIMEOUT";
    let idle = r.duration(KEY, Duration::from_secs(1))?;
    let shown = |key: &'static str| r.text(key).ok().flatten().unwrap_or_default();
    if idle > refresh {
        return Err(r.invalid(
            KEY,
            false,
            format!(
                "must be at most REFRESH_TOKEN_TTL ({}), the absolute lifetime of a session",
                shown("REFRESH_TOKEN_TTL")
            ),
        ));
    }
    if idle <= access {
        return Err(r.invalid(
            KEY,
            false,
            format!(
                "must be longer than ACCESS_TOKEN_TTL ({}): clients refresh when their access token \
                 expires, so a shorter timeout would end sessions in active use",
                shown("ACCESS_TOKEN_TTL")
            ),
        ));
    }
    Ok(idle)
}

fn jwt_secret(environment: Environment, r: &Reader<'_>) -> Result<SecretString, SettingsError> {
    let production = environment == Environment::Production;
    let Some(secret) = r.secret("JWT_SECRET")? else {
        if production {
            return Err(SettingsError::WeakSecret(
                "JWT_SECRET is not set (use at least 32 random bytes, e.g. `openssl rand -base64 48`)",
            ));
        }
        return Err(SettingsError::Missing { key: "JWT_SECRET" });
    };
    if secret.expose_secret().len() < MIN_JWT_SECRET_BYTES {
        if production {
            return Err(SettingsError::WeakSecret(
                "JWT_SECRET is shorter than 32 bytes (use e.g. `openssl rand -base64 48`)",
            ));
        }
        return Err(r.invalid("JWT_SECRET", true, "must be at least 32 bytes"));
    }
    if production && distinct_bytes(secret.expose_secret()) < MIN_JWT_SECRET_DISTINCT_BYTES {
        return Err(SettingsError::WeakSecret(
            "JWT_SECRET has too little variety to be random; generate one (e.g. `openssl rand -base64 48`)",
        ));
    }
    if production
        && shipped_secrets()
            .iter()
            .any(|s| s == secret.expose_secret())
    {
        return Err(SettingsError::WeakSecret(
            "JWT_SECRET is a value published in Plinth's config/ files; generate your own (e.g. `openssl rand -base64 48`)",
        ));
    }
    Ok(secret)
}

/// In every environment: a server reachable from other machines (`HOST` not a loopback
/// address) must not run on a JWT secret published in the repository's `config/` files, or
/// anyone could forge a `super_admin` token. (A missing `JWT_SECRET` is refused everywhere
/// already.) Development and test keep their shipped secrets on `127.0.0.1`.
fn refuse_public_listening_on_a_shipped_secret(
    host: &str,
    auth: &AuthSettings,
) -> Result<(), SettingsError> {
    if is_loopback(host) {
        return Ok(());
    }
    let shipped = shipped_secrets();
    let published = |secret: &SecretString| shipped.iter().any(|s| s == secret.expose_secret());
    let key = if published(&auth.jwt_secret) {
        "JWT_SECRET"
    } else if auth.jwt_previous_secret.as_ref().is_some_and(published) {
        "JWT_PREVIOUS_SECRET"
    } else {
        return Ok(());
    };
    Err(SettingsError::PublicWithShippedSecret {
        host: host.to_owned(),
        key,
    })
}

/// Whether `host` only accepts connections from this machine: `localhost`, `127.0.0.0/8` or
/// `::1` (with or without brackets). Anything else (`0.0.0.0`, `::`, a name) may be public.
fn is_loopback(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// `JWT_PREVIOUS_SECRET`: held for verification only during a rotation, so it must be as strong
/// as `JWT_SECRET` (a weak or published previous key would let anyone forge tokens).
fn jwt_previous_secret(
    environment: Environment,
    r: &Reader<'_>,
) -> Result<Option<SecretString>, SettingsError> {
    const KEY: &str = "JWT_PREVIOUS_SECRET";
    let Some(secret) = r.secret(KEY)? else {
        return Ok(None);
    };
    let value = secret.expose_secret();
    if value.len() < MIN_JWT_SECRET_BYTES {
        return Err(r.invalid(KEY, true, "must be at least 32 bytes"));
    }
    if environment == Environment::Production {
        if distinct_bytes(value) < MIN_JWT_SECRET_DISTINCT_BYTES {
            return Err(r.invalid(KEY, true, "has too little variety to be random"));
        }
        if shipped_secrets().iter().any(|s| s == value) {
            return Err(r.invalid(KEY, true, "is a value published in Plinth's config/ files"));
        }
    }
    Ok(Some(secret))
}

/// How many different bytes `secret` holds (a random 32-byte secret has about 30).
fn distinct_bytes(secret: &str) -> usize {
    secret
        .bytes()
        .collect::<std::collections::BTreeSet<u8>>()
        .len()
}

fn cors_origins(r: &Reader<'_>) -> Result<Vec<String>, SettingsError> {
    r.list("CORS_ORIGINS")?
        .into_iter()
        .map(|origin| {
            if origin == "*" {
                return Ok(origin);
            }
            match url::Url::parse(&origin) {
                Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => {
                    Ok(origin.trim_end_matches('/').to_owned())
                }
                _ => Err(r.invalid(
                    "CORS_ORIGINS",
                    false,
                    format!("`{origin}` is not an origin such as https://app.example.com"),
                )),
            }
        })
        .collect()
}

fn trusted_proxies(r: &Reader<'_>) -> Result<Vec<ipnet::IpNet>, SettingsError> {
    r.list("TRUSTED_PROXIES")?
        .iter()
        .map(|item| {
            parse::network(item).map_err(|reason| r.invalid("TRUSTED_PROXIES", false, reason))
        })
        .collect()
}

fn file_types(r: &Reader<'_>) -> Result<Vec<String>, SettingsError> {
    r.list("ALLOWED_FILE_TYPES")?
        .into_iter()
        .map(|ext| {
            let ext = ext.trim_start_matches('.').to_ascii_lowercase();
            if !ext.is_empty() && ext.chars().all(|c| c.is_ascii_alphanumeric()) {
                Ok(ext)
            } else {
                Err(r.invalid(
                    "ALLOWED_FILE_TYPES",
                    false,
                    format!("`{ext}` is not a file extension such as pdf"),
                ))
            }
        })
        .collect()
}

/// A product name for mail: 1 to 100 characters, no control characters.
fn product_name(raw: &str) -> Result<String, String> {
    let name = raw.trim();
    if name.is_empty() || name.chars().count() > 100 || name.chars().any(char::is_control) {
        return Err("must be 1 to 100 characters without control characters".to_owned());
    }
    Ok(name.to_owned())
}

fn smtp_url(r: &Reader<'_>) -> Result<Option<SecretString>, SettingsError> {
    let Some(url) = r.secret("SMTP_URL")? else {
        return Ok(None);
    };
    match url::Url::parse(url.expose_secret().trim()) {
        Ok(u) if matches!(u.scheme(), "smtp" | "smtps") && u.has_host() => Ok(Some(url)),
        Ok(_) => Err(r.invalid(
            "SMTP_URL",
            true,
            "expected smtp://user:pass@host:port or smtps://…",
        )),
        Err(e) => Err(r.invalid("SMTP_URL", true, format!("not a URL ({e})"))),
    }
}

fn stripe_api_key(r: &Reader<'_>) -> Result<Option<SecretString>, SettingsError> {
    match r.secret("STRIPE_API_KEY")? {
        Some(s)
            if !["sk_", "rk_"]
                .iter()
                .any(|p| s.expose_secret().starts_with(p)) =>
        {
            Err(r.invalid(
                "STRIPE_API_KEY",
                true,
                "expected a Stripe secret or restricted API key (sk_… or rk_…)",
            ))
        }
        other => Ok(other),
    }
}

fn stripe_api_base(s: &str) -> Result<String, String> {
    let trimmed = s.trim().trim_end_matches('/');
    match url::Url::parse(trimmed) {
        Ok(u) if matches!(u.scheme(), "http" | "https") && u.has_host() => Ok(trimmed.to_owned()),
        Ok(_) => {
            Err("expected an http:// or https:// URL such as https://api.stripe.com".to_owned())
        }
        Err(e) => Err(format!("not a URL ({e})")),
    }
}

fn stripe_secret(r: &Reader<'_>) -> Result<Option<SecretString>, SettingsError> {
    match r.secret("STRIPE_WEBHOOK_SECRET")? {
        Some(s) if !s.expose_secret().starts_with("whsec_") => Err(r.invalid(
            "STRIPE_WEBHOOK_SECRET",
            true,
            "expected a Stripe webhook signing secret (whsec_…)",
        )),
        other => Ok(other),
    }
}
