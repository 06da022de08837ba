//! Wiring the domain services to their adapters.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plinth_app::{Policies, Ports};
use plinth_audit::AuditLog;
use plinth_billing::{FeatureValue, GatewaySetup, STORAGE_BYTES, WebhookSetup};
use plinth_files::{BlobStore, FileLimits, UrlSigner};
use plinth_kernel::SystemClock;
use plinth_security::{BcryptHasher, HmacUrlSigner, JwtKeys, JwtSigner, SecretBox, jwt_key_id};
use plinth_sessions::{
    LockoutPolicy, Mailer, PasswordlessCodeKey, PasswordlessPolicy, RefreshReuse, SuccessorKey,
    TokenLifetimes, TokenSigner,
};
use plinth_store::Database;
use plinth_users::{PasswordHasher, PasswordPolicy, UserService};
use secrecy::{ExposeSecret, SecretString};

use super::StartupError;
use crate::settings::Settings;

/// The audience every access token is issued for and checked against.
pub const TOKEN_AUDIENCE: &str = "plinth";

/// Every service, wired by [`plinth_app::Services::wire`] (the one composition, shared with
/// the HTTP tests and `docs/reuse.md`).
pub use plinth_app::Services;

/// The production adapters and settings handed to [`Services::wire`]: the store, the blob
/// store, bcrypt, JWT, AES-GCM, SMTP or the outbox, HMAC-signed URLs, Stripe when configured,
/// and the system clock.
///
/// # Errors
/// [`StartupError::Setting`] when a token lifetime is too long to represent,
/// `JWT_SECRET` is too short to derive the URL-signing key from, or `SMTP_URL` cannot be
/// used.
pub fn services(
    settings: &Settings,
    database: &Database,
    blobs: Arc<dyn BlobStore>,
) -> Result<Services, StartupError> {
    let lifetimes = TokenLifetimes {
        access: chrono_duration("ACCESS_TOKEN_TTL", settings.auth.access_token_ttl)?,
        refresh: chrono_duration("REFRESH_TOKEN_TTL", settings.auth.refresh_token_ttl)?,
        idle: chrono_duration("SESSION_IDLE_TIMEOUT", settings.auth.session_idle_timeout)?,
    };
    let uncollectible_after = chrono::Duration::from_std(settings.billing.uncollectible_after)
        .map_err(|_| StartupError::Setting("BILLING_UNCOLLECTIBLE_AFTER is too long".to_owned()))?;
    let ports = Ports {
        users: database.users(),
        roles: database.roles(),
        sessions: database.sessions(),
        announcements: database.announcements(),
        orgs: database.orgs(),
        files: database.files(),
        blobs,
        plans: database.billing(),
        subscriptions: database.subscriptions(),
        invoices: database.invoices(),
        customers: database.customers(),
        payment_events: database.payment_events(),
        invoice_renderer: Arc::new(plinth_pdf::PdfInvoiceRenderer::default()),
        payment_gateway: payment_gateway(settings)?,
        payment_webhooks: webhook_setup(settings),
        hasher: password_hasher(settings),
        token_signer: token_signer(settings),
        sealer: secret_sealer(settings)?,
        mailer: Arc::new(super::observed::CountingMailer::new(mailer(settings)?)),
        url_signer: url_signer(settings)?,
        audit: audit_log(database),
        events: database.events(),
        uow: database.unit_of_work(),
        clock: Arc::new(SystemClock),
    };
    let policies = Policies {
        password: password_policy(settings),
        lifetimes,
        refresh_reuse: refresh_reuse(settings)?,
        lockout: LockoutPolicy {
            threshold: settings.auth.lockout_threshold,
            base: chrono::Duration::from_std(settings.auth.lockout_base)
                .map_err(|_| StartupError::Setting("LOCKOUT_BASE is too long".to_owned()))?,
        },
        passwordless: passwordless_policy(settings)?,
        public_url: settings.server.public_url.clone(),
        file_limits: FileLimits {
            max_upload_bytes: settings.storage.max_upload_bytes,
            allowed_extensions: settings
                .storage
                .allowed_file_types
                .iter()
                .cloned()
                .collect::<BTreeSet<_>>(),
        },
        max_avatar_bytes: settings.storage.max_avatar_bytes,
        invoice_due_days: settings.billing.invoice_due_days,
        uncollectible_after,
        default_features: default_features(settings),
        events: plinth_events::HubSettings {
            poll_interval: settings.events.poll_interval,
            heartbeat: settings.events.heartbeat,
            ..plinth_events::HubSettings::default()
        },
    };
    let mut services = Services::wire(ports, policies);
    if let Some(social) = social_sign_in(settings, database)? {
        services.auth = services.auth.with_social(social);
    }
    if let Some(rp) = &settings.passkeys {
        let ceremonies = plinth_webauthn::WebauthnCeremonies::new(rp)
            .map_err(|e| StartupError::Setting(format!("PASSKEY_*: {e}")))?;
        services.auth = services.auth.with_passkeys(plinth_sessions::PasskeySignIn {
            ceremonies: Arc::new(ceremonies),
            passkeys: database.passkeys(),
        });
    }
    Ok(services)
}

/// Social sign-in over the `OAUTH_*` providers, when any is configured: the adapter, the
/// flow and identity storage, the PKCE key derived from `JWT_SECRET` (the same on every
/// replica), and the origins `redirect_to` may point at (`CORS_ORIGINS` and `PUBLIC_URL`'s).
fn social_sign_in(
    settings: &Settings,
    database: &Database,
) -> Result<Option<plinth_sessions::SocialSignIn>, StartupError> {
    if settings.oauth.is_empty() {
        return Ok(None);
    }
    let providers =
        plinth_oidc::OAuthProviders::new(&settings.server.public_url, settings.oauth.clone())
            .map_err(|e| StartupError::Setting(format!("OAUTH_*: {e}")))?;
    let mut allowed_origins: Vec<String> = settings
        .server
        .cors_origins
        .iter()
        .filter_map(|o| plinth_sessions::social::origin_of(o))
        .collect();
    allowed_origins.extend(plinth_sessions::social::origin_of(
        &settings.server.public_url,
    ));
    Ok(Some(plinth_sessions::SocialSignIn {
        providers: Arc::new(providers),
        identities: database.identities(),
        key: plinth_sessions::OAuthFlowKey::new(plinth_security::oauth_flow_key(
            &settings.auth.jwt_secret,
        )),
        allowed_origins,
    }))
}

/// `PASSWORDLESS_TTL`, `PASSWORDLESS_SIGNUP`, and the code key derived from `JWT_SECRET` (the
/// same on every replica).
fn passwordless_policy(settings: &Settings) -> Result<PasswordlessPolicy, StartupError> {
    Ok(PasswordlessPolicy {
        ttl: chrono_duration("PASSWORDLESS_TTL", settings.auth.passwordless_ttl)?,
        signup: settings.auth.passwordless_signup,
        key: PasswordlessCodeKey::new(plinth_security::passwordless_code_key(
            &settings.auth.jwt_secret,
        )),
    })
}

/// The Stripe gateway of invoice payments when `STRIPE_API_KEY` is set (at
/// `STRIPE_API_BASE`, 5 s to connect, 20 s per call); [`GatewaySetup::NotConfigured`] otherwise.
fn payment_gateway(settings: &Settings) -> Result<GatewaySetup, StartupError> {
    let Some(api_key) = settings.billing.stripe_api_key.clone() else {
        return Ok(GatewaySetup::NotConfigured);
    };
    let config = plinth_stripe::StripeConfig {
        api_base: settings.billing.stripe_api_base.clone(),
        ..plinth_stripe::StripeConfig::new(api_key)
    };
    let gateway = plinth_stripe::StripeGateway::new(config)
        .map_err(|e| StartupError::Setting(format!("STRIPE_API_KEY: {e}")))?;
    Ok(GatewaySetup::Configured(Arc::new(gateway)))
}

/// Stripe's webhook signature check when `STRIPE_WEBHOOK_SECRET` is set;
/// [`WebhookSetup::NotConfigured`] otherwise.
fn webhook_setup(settings: &Settings) -> WebhookSetup {
    settings
        .billing
        .stripe_webhook_secret
        .clone()
        .map_or(WebhookSetup::NotConfigured, |secret| {
            WebhookSetup::Configured(Arc::new(plinth_security::StripeSignatureVerifier::new(
                secret,
            )))
        })
}

/// `JWT_PREVIOUS_SECRET`, when set: still accepted while a rotation settles.
fn previous_secrets(settings: &Settings) -> Vec<SecretString> {
    settings.auth.jwt_previous_secret.iter().cloned().collect()
}

/// AES-256-GCM sealing of TOTP secrets at rest, keyed by HKDF from `JWT_SECRET` (a key of its
/// own: knowing one derived key tells nothing about the other or about `JWT_SECRET`).
fn secret_sealer(
    settings: &Settings,
) -> Result<Arc<dyn plinth_sessions::SecretSealer>, StartupError> {
    let sealer = SecretBox::with_previous(&settings.auth.jwt_secret, &previous_secrets(settings))
        .map_err(|e| StartupError::Setting(format!("JWT_SECRET: {e}")))?;
    Ok(Arc::new(sealer))
}

/// The entitlements of users without a plan: `storage_bytes` = `DEFAULT_STORAGE_BYTES`.
#[must_use]
pub fn default_features(settings: &Settings) -> BTreeMap<String, FeatureValue> {
    let bytes = i64::try_from(settings.storage.default_storage_bytes).unwrap_or(i64::MAX);
    BTreeMap::from([(STORAGE_BYTES.to_owned(), FeatureValue::Limit(bytes))])
}

/// The audit log every service writes through: the database's, wrapped so that failed appends
/// are counted in `/metrics` (`audit_append_failures_total`). Every service takes its audit log
/// from here, never from [`Database::audit`] directly.
#[must_use]
pub fn audit_log(database: &Database) -> Arc<dyn AuditLog> {
    Arc::new(super::observed::CountingAuditLog::new(database.audit()))
}

/// [`UserService`] alone (what `plinth admin create` needs: no blob store, no signer).
#[must_use]
pub fn user_service(settings: &Settings, database: &Database) -> UserService {
    user_service_with(settings, database, audit_log(database))
}

/// [`UserService`] writing its audit entries to `audit` (from [`audit_log`]).
fn user_service_with(
    settings: &Settings,
    database: &Database,
    audit: Arc<dyn AuditLog>,
) -> UserService {
    UserService::new(
        database.users(),
        password_hasher(settings),
        audit,
        database.unit_of_work(),
        Arc::new(SystemClock),
        password_policy(settings),
    )
}

/// bcrypt with `BCRYPT_COST`.
#[must_use]
pub fn password_hasher(settings: &Settings) -> Arc<dyn PasswordHasher> {
    Arc::new(BcryptHasher::new(settings.auth.bcrypt_cost))
}

/// JWTs issued by `PUBLIC_URL` for the audience [`TOKEN_AUDIENCE`]: Ed25519 with a key derived
/// from `JWT_SECRET` (`JWT_ALGORITHM=EdDSA`, the default; its `kid` is the key's thumbprint), or
/// HS256 keyed by `JWT_SECRET` with the key id from [`jwt_key_id`]. Either way tokens signed
/// under `JWT_PREVIOUS_SECRET` still verify.
#[must_use]
pub fn token_signer(settings: &Settings) -> Arc<dyn TokenSigner> {
    let secret = &settings.auth.jwt_secret;
    if settings.auth.jwt_algorithm == crate::settings::JwtAlgorithm::EdDsa {
        return Arc::new(JwtSigner::ed25519(
            secret,
            &previous_secrets(settings),
            settings.server.public_url.clone(),
            TOKEN_AUDIENCE.to_owned(),
        ));
    }
    let keys = JwtKeys {
        current: (jwt_key_id(secret), secret.clone()),
        previous: previous_secrets(settings)
            .into_iter()
            .map(|previous| (jwt_key_id(&previous), previous))
            .collect(),
    };
    Arc::new(JwtSigner::new(
        keys,
        settings.server.public_url.clone(),
        TOKEN_AUDIENCE.to_owned(),
    ))
}

/// `REFRESH_REUSE_GRACE`, and the key refresh-token successors are derived from
/// (`plinth_security::refresh_successor_key` of `JWT_SECRET`: every replica derives the same
/// successor, and the key is not the JWT key itself).
///
/// # Errors
/// [`StartupError`] when the grace does not fit a `chrono::Duration`.
pub fn refresh_reuse(settings: &Settings) -> Result<RefreshReuse, StartupError> {
    let digest = plinth_security::refresh_successor_key(&settings.auth.jwt_secret);
    Ok(RefreshReuse {
        grace: chrono::Duration::from_std(settings.auth.refresh_reuse_grace)
            .map_err(|_| StartupError::Setting("REFRESH_REUSE_GRACE is too long".to_owned()))?,
        key: Some(SuccessorKey::new(digest)),
    })
}

/// HMAC-SHA256 signer of download links. Its key is derived from `JWT_SECRET` with HKDF under a
/// label of its own (see [`HmacUrlSigner`]), so it differs from the JWT key; changing
/// `JWT_SECRET` invalidates every outstanding link.
///
/// # Errors
/// [`StartupError::Setting`] when `JWT_SECRET` is shorter than 32 bytes.
fn url_signer(settings: &Settings) -> Result<Arc<dyn UrlSigner>, StartupError> {
    let signer =
        HmacUrlSigner::with_previous(&settings.auth.jwt_secret, &previous_secrets(settings))
            .map_err(|e| StartupError::Setting(format!("JWT_SECRET: {e}")))?;
    Ok(Arc::new(signer))
}

/// `SMTP_URL` when set, else the development outbox (see [`outbox_dir`]), writing with the
/// templates of `MAIL_TEMPLATES_DIR` over the shipped ones; the sender is `PRODUCT_NAME`
/// `<no-reply@…>` the domain of `PUBLIC_URL`, or [`plinth_mail::DEFAULT_FROM`] when it has none.
fn mailer(settings: &Settings) -> Result<Arc<dyn Mailer>, StartupError> {
    let mail = &settings.mail;
    let templates = plinth_mail::MailTemplates::load(
        &mail.templates_dir,
        &mail.product_name,
        &settings.server.public_url,
    )
    .map_err(|e| StartupError::Setting(format!("MAIL_TEMPLATES_DIR: {e}")))?;
    let templates = Arc::new(templates);
    let from = url::Url::parse(&settings.server.public_url)
        .ok()
        .and_then(|u| {
            u.domain()
                .map(|d| format!("{} <no-reply@{d}>", quoted(&mail.product_name)))
        })
        .unwrap_or_else(|| plinth_mail::DEFAULT_FROM.to_owned());
    let smtp_url = mail.smtp_url.as_ref().map(|u| u.expose_secret());
    let outbox = outbox_dir(&settings.storage.url);
    let production = settings.environment == crate::Environment::Production;
    if production && smtp_url.is_none() {
        tracing::warn!(outbox = %outbox.display(), "SMTP_URL is not set: mail is only written to the outbox folder");
    }
    let build = |from: &str| {
        plinth_mail::mailer_from_settings(smtp_url, &outbox, from, !production, templates.clone())
    };
    // A domain the mail library refuses as a sender falls back to the default one.
    build(&from)
        .or_else(|_| build(plinth_mail::DEFAULT_FROM))
        .map_err(|e| StartupError::Setting(e.to_string()))
}

/// `name` as the display name of a mailbox: quoted, with `"` and `\` escaped.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The outbox folder: `outbox` beside the local storage folder of a `file://` `STORAGE_URL`
/// (so the default `file://data/files` gives `data/outbox/`), else `data/outbox/`.
fn outbox_dir(storage_url: &str) -> PathBuf {
    storage_url
        .strip_prefix("file://")
        .and_then(|path| PathBuf::from(path).parent().map(|p| p.join("outbox")))
        .unwrap_or_else(|| PathBuf::from("data/outbox"))
}

fn password_policy(settings: &Settings) -> PasswordPolicy {
    PasswordPolicy {
        min_length: settings.auth.password_min_length,
    }
}

fn chrono_duration(key: &str, d: Duration) -> Result<chrono::Duration, StartupError> {
    chrono::Duration::from_std(d).map_err(|_| StartupError::Setting(format!("{key} is too long")))
}

#[cfg(test)]
mod tests {
    use std::path::PathBuf;

    use super::outbox_dir;

    #[test]
    fn the_outbox_sits_beside_local_storage() {
        assert_eq!(
            outbox_dir("file://data/files"),
            PathBuf::from("data/outbox")
        );
        assert_eq!(
            outbox_dir("file:///srv/plinth/files"),
            PathBuf::from("/srv/plinth/outbox")
        );
        assert_eq!(
            outbox_dir("s3://bucket/prefix"),
            PathBuf::from("data/outbox")
        );
        assert_eq!(outbox_dir("memory://"), PathBuf::from("data/outbox"));
    }
}

#[cfg(test)]
mod rotation_tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use plinth_sessions::{AccessClaims, SessionId};

    use super::*;
    use crate::Environment;

    const OLD: &str = "old-secret-of-this-deployment-0123456789";
    const NEW: &str = "new-secret-of-this-deployment-9876543210";

    fn settings(current: &str, previous: Option<&str>) -> Settings {
        let mut s = Settings::builtin(Environment::Test).unwrap();
        s.auth.jwt_secret = SecretString::from(current);
        s.auth.jwt_previous_secret = previous.map(SecretString::from);
        s
    }

    #[test]
    fn the_previous_secret_keeps_tokens_totp_secrets_and_links_working_but_never_signs() {
        let old = settings(OLD, None);
        let rotated = settings(NEW, Some(OLD));
        let forgotten = settings(NEW, None);

        let now = chrono::Utc::now().timestamp();
        let claims = AccessClaims {
            sub: plinth_kernel::UserId::new(),
            sid: SessionId::new(),
            role: "user".into(),
            perms: Vec::new(),
            org: None,
            org_perms: Vec::new(),
            iat: now,
            exp: now + 900,
            jti: "rotation".into(),
        };
        let token = token_signer(&old).sign(&claims).unwrap();
        assert!(token_signer(&rotated).verify(&token).is_ok());
        assert!(token_signer(&forgotten).verify(&token).is_err());
        let fresh = token_signer(&rotated).sign(&claims).unwrap();
        assert!(
            token_signer(&old).verify(&fresh).is_err(),
            "new tokens are signed with the new secret"
        );

        let sealed = secret_sealer(&old).unwrap().seal(b"totp", b"user").unwrap();
        assert_eq!(
            secret_sealer(&rotated)
                .unwrap()
                .open(&sealed, b"user")
                .unwrap(),
            b"totp"
        );
        assert!(
            secret_sealer(&forgotten)
                .unwrap()
                .open(&sealed, b"user")
                .is_err()
        );

        let link = url_signer(&old).unwrap().sign(b"file:1:exp");
        assert!(
            url_signer(&rotated)
                .unwrap()
                .verify(b"file:1:exp", &link.kid, &link.signature)
        );
        assert!(
            !url_signer(&forgotten)
                .unwrap()
                .verify(b"file:1:exp", &link.kid, &link.signature)
        );
    }
}
