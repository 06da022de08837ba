//! Wiring the domain services to their adapters.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use plinth_app::bridges::{BillingStorageQuota, UserAvatarReferences, UserViewers};
use plinth_app::{Accounts, AccountsParts, Sharing};
use plinth_audit::AuditLog;
use plinth_billing::{
    BillingJobs, FeatureValue, GatewaySetup, InvoiceService, PaymentService, PlanService,
    STORAGE_BYTES, SubscriptionInvoicer, SubscriptionService, WebhookSetup,
};
use plinth_files::{BlobStore, FileLimits, FileService, UrlSigner};
use plinth_kernel::{Clock, SystemClock};
use plinth_security::{BcryptHasher, HmacUrlSigner, JwtKeys, JwtSigner, SecretBox};
use plinth_sessions::{
    AccountAdminService, AuthService, LockoutPolicy, Mailer, RecoveryMail, RefreshReuse,
    SuccessorKey, TokenLifetimes, TokenSigner,
};
use plinth_store::Database;
use plinth_users::{AnnouncementService, PasswordHasher, PasswordPolicy, UserService};
use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

use super::StartupError;
use crate::settings::Settings;

/// The audience every access token is issued for and checked against.
pub const TOKEN_AUDIENCE: &str = "plinth";

/// The domain services, wired to the store, the blob store, bcrypt, JWT and the system clock.
#[derive(Clone)]
pub struct Services {
    /// The use cases that span domains.
    pub accounts: Accounts,
    /// Sharing files with addresses.
    pub sharing: Sharing,
    /// Sign-up, sign-in, refresh, logout.
    pub auth: AuthService,
    /// Administrators changing accounts, custom roles, the account steps of an erasure.
    pub account_admin: AccountAdminService,
    /// Profiles, admin listing, the super-admin bootstrap.
    pub users: UserService,
    /// Announcements.
    pub announcements: AnnouncementService,
    /// Uploads, downloads, shares and signed URLs.
    pub files: FileService,
    /// Billing plans and their price versions.
    pub plans: PlanService,
    /// Subscriptions, renewals and entitlements.
    pub subscriptions: SubscriptionService,
    /// Invoices.
    pub invoices: InvoiceService,
    /// Invoice payments (Stripe when configured), the Stripe webhook, revenue.
    pub payments: PaymentService,
    /// The scheduled billing work (write-offs, `past_due`, renewals), run by the background
    /// loop and `plinth billing run-jobs`.
    pub billing_jobs: BillingJobs,
    /// The clock every service above reads (the system clock): the HTTP layer and the billing
    /// jobs take "now" from it too.
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// Wires every service.
    ///
    /// # Errors
    /// [`StartupError::Setting`] when a token lifetime is too long to represent,
    /// `JWT_SECRET` is too short to derive the URL-signing key from, or `SMTP_URL` cannot be
    /// used.
    pub fn new(
        settings: &Settings,
        database: &Database,
        blobs: Arc<dyn BlobStore>,
    ) -> Result<Self, StartupError> {
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let hasher = password_hasher(settings);
        let policy = password_policy(settings);
        let lifetimes = TokenLifetimes {
            access: chrono_duration("ACCESS_TOKEN_TTL", settings.auth.access_token_ttl)?,
            refresh: chrono_duration("REFRESH_TOKEN_TTL", settings.auth.refresh_token_ttl)?,
            idle: chrono_duration("SESSION_IDLE_TIMEOUT", settings.auth.session_idle_timeout)?,
        };
        let uow = database.unit_of_work();
        let audit = audit_log(database);
        let auth = AuthService::new(
            database.users(),
            database.roles(),
            database.sessions(),
            Arc::clone(&hasher),
            token_signer(settings),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
            policy,
            lifetimes,
        )
        .with_refresh_reuse(refresh_reuse(settings)?)
        .with_lockout(LockoutPolicy {
            threshold: settings.auth.lockout_threshold,
            base: chrono::Duration::from_std(settings.auth.lockout_base)
                .map_err(|_| StartupError::Setting("LOCKOUT_BASE is too long".to_owned()))?,
        })
        .with_mail(RecoveryMail::new(
            Arc::new(super::observed::CountingMailer::new(mailer(settings)?)),
            settings.server.public_url.clone(),
        ))
        .with_sealer(secret_sealer(settings)?);
        let account_admin = AccountAdminService::new(
            database.users(),
            database.roles(),
            database.sessions(),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let users = user_service_with(settings, database, Arc::clone(&audit));
        let announcements = AnnouncementService::new(
            database.announcements(),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let limits = FileLimits {
            max_upload_bytes: settings.storage.max_upload_bytes,
            allowed_extensions: settings
                .storage
                .allowed_file_types
                .iter()
                .cloned()
                .collect::<BTreeSet<_>>(),
        };
        let uncollectible_after = chrono::Duration::from_std(settings.billing.uncollectible_after)
            .map_err(|_| {
                StartupError::Setting("BILLING_UNCOLLECTIBLE_AFTER is too long".to_owned())
            })?;
        let plans = PlanService::new(
            database.billing(),
            database.subscriptions(),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let subscriptions = SubscriptionService::new(
            database.billing(),
            database.subscriptions(),
            // Every paid period (subscribe, trial end, renewal) gets its finalised invoice in
            // the transaction that starts the period.
            Arc::new(
                SubscriptionInvoicer::new(
                    database.invoices(),
                    database.customers(),
                    database.subscriptions(),
                    Arc::clone(&audit),
                )
                .with_due_in_days(settings.billing.invoice_due_days),
            ),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
            default_features(settings),
        );
        let invoices = InvoiceService::new(
            database.invoices(),
            database.customers(),
            Arc::new(plinth_pdf::PdfInvoiceRenderer::default()),
            subscriptions.clone(),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let payments = PaymentService::new(
            invoices.clone(),
            subscriptions.clone(),
            database.payment_events(),
            payment_gateway(settings)?,
            webhook_setup(settings),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let billing_jobs = BillingJobs::new(invoices.clone(), subscriptions.clone())
            .with_uncollectible_after(uncollectible_after);
        let files = FileService::new(
            database.files(),
            blobs,
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
            limits,
        )
        .with_url_signer(
            url_signer(settings)?,
            &settings.server.public_url,
            Arc::new(UserViewers(users.clone())),
        )
        .with_quota(Arc::new(BillingStorageQuota(subscriptions.clone())))
        .with_max_avatar_bytes(settings.storage.max_avatar_bytes)
        .with_avatar_references(Arc::new(UserAvatarReferences(users.clone())));
        Ok(Self {
            sharing: Sharing::new(users.clone(), files.clone()),
            accounts: Accounts::new(AccountsParts {
                auth: auth.clone(),
                admin: account_admin.clone(),
                users: users.clone(),
                files: files.clone(),
                audit: Arc::clone(&audit),
                uow,
                clock: Arc::clone(&clock),
            }),
            account_admin,
            auth,
            users,
            announcements,
            files,
            plans,
            subscriptions,
            invoices,
            payments,
            billing_jobs,
            clock,
        })
    }
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

/// HS256 JWTs keyed by `JWT_SECRET` (tokens signed under `JWT_PREVIOUS_SECRET` still verify), issued by `PUBLIC_URL` for the audience
/// [`TOKEN_AUDIENCE`], with the key id from [`jwt_key_id`].
#[must_use]
pub fn token_signer(settings: &Settings) -> Arc<dyn TokenSigner> {
    let secret = &settings.auth.jwt_secret;
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

/// `REFRESH_REUSE_GRACE`, and the key refresh-token successors are derived from:
/// SHA-256(`"plinth-refresh-successor-key:" + JWT_SECRET`), so every replica derives the same
/// successor and the key is not the JWT key itself.
///
/// # Errors
/// [`StartupError`] when the grace does not fit a `chrono::Duration`.
pub fn refresh_reuse(settings: &Settings) -> Result<RefreshReuse, StartupError> {
    let digest: [u8; 32] = Sha256::new()
        .chain_update(b"plinth-refresh-successor-key:")
        .chain_update(settings.auth.jwt_secret.expose_secret())
        .finalize()
        .into();
    Ok(RefreshReuse {
        grace: chrono::Duration::from_std(settings.auth.refresh_reuse_grace)
            .map_err(|_| StartupError::Setting("REFRESH_REUSE_GRACE is too long".to_owned()))?,
        key: Some(SuccessorKey::new(digest)),
    })
}

/// The `kid` of the key derived from `secret`: the first 8 hex digits of
/// SHA-256(`"plinth-jwt-kid:" + secret`). Changing `JWT_SECRET` changes the `kid`, so tokens
/// signed with the old secret are refused as "unknown key" rather than as a bad signature. The
/// truncated hash tells nothing useful about a secret of 32 random bytes, and a weak secret is
/// already exposed to offline guessing by any token's signature.
#[must_use]
pub fn jwt_key_id(secret: &SecretString) -> String {
    let digest = Sha256::new()
        .chain_update(b"plinth-jwt-kid:")
        .chain_update(secret.expose_secret())
        .finalize();
    hex::encode(&digest[..4])
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

/// `SMTP_URL` when set, else the development outbox (see [`outbox_dir`]); the sender is
/// `no-reply@` the domain of `PUBLIC_URL`, or [`plinth_mail::DEFAULT_FROM`] when it has none.
fn mailer(settings: &Settings) -> Result<Arc<dyn Mailer>, StartupError> {
    let from = url::Url::parse(&settings.server.public_url)
        .ok()
        .and_then(|u| u.domain().map(|d| format!("Plinth <no-reply@{d}>")))
        .unwrap_or_else(|| plinth_mail::DEFAULT_FROM.to_owned());
    let smtp_url = settings.mail.smtp_url.as_ref().map(|u| u.expose_secret());
    let outbox = outbox_dir(&settings.storage.url);
    let production = settings.environment == crate::Environment::Production;
    if production && smtp_url.is_none() {
        tracing::warn!(outbox = %outbox.display(), "SMTP_URL is not set: mail is only written to the outbox folder");
    }
    let build =
        |from: &str| plinth_mail::mailer_from_settings(smtp_url, &outbox, from, !production);
    // A domain the mail library refuses as a sender falls back to the default one.
    build(&from)
        .or_else(|_| build(plinth_mail::DEFAULT_FROM))
        .map_err(|e| StartupError::Setting(e.to_string()))
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
