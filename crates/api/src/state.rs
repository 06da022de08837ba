//! What the handlers share: the domain services, readiness checks and HTTP settings.

use std::sync::Arc;
use std::time::Duration;

use plinth_audit::AuditTrail;
use plinth_billing::{InvoiceService, PaymentService, PlanService, SubscriptionService};
use plinth_files::FileService;
use plinth_kernel::{Clock, IdempotencyStore};
use plinth_sessions::AuthService;
use plinth_users::{AnnouncementService, UserService};

use crate::{Circuit, RateLimit};

/// Everything a request handler may use. Built once by the composition root and shared by
/// every worker.
#[derive(Clone)]
pub struct AppState {
    /// The use cases that span domains (erasing an account…).
    pub accounts: plinth_app::Accounts,
    /// Sharing files with addresses.
    pub sharing: plinth_app::Sharing,
    /// Deleting an organization with its files.
    pub organizations: plinth_app::Organizations,
    /// Sign-up, sign-in, refresh, logout and access-token verification.
    pub auth: AuthService,
    /// Administrators changing accounts, custom roles.
    pub account_admin: plinth_sessions::AccountAdminService,
    /// Profiles and the admin user list.
    pub users: UserService,
    /// Announcements: posted and listed by administrators, the current ones read by everyone.
    pub announcements: AnnouncementService,
    /// Organizations, their members and roles.
    pub orgs: plinth_orgs::OrganizationService,
    /// Uploads, downloads and deletes.
    pub files: FileService,
    /// Billing plans and their price versions.
    pub plans: PlanService,
    /// Subscriptions and entitlements.
    pub subscriptions: SubscriptionService,
    /// Invoices: the administrators' drafts and settlements, the customers' issued invoices.
    pub invoices: InvoiceService,
    /// Invoice payments, the Stripe webhook and revenue figures.
    pub payments: PaymentService,
    /// Stored responses of `Idempotency-Key` requests (see the `idempotency` middleware).
    pub idempotency: Arc<dyn IdempotencyStore>,
    /// The audit trail, read and verified by `GET /admin/audit` and `/admin/audit/verify`.
    pub audit: AuditTrail,
    /// The service statistics of `GET /admin/stats`.
    pub statistics: plinth_app::Statistics,
    /// The realtime fan-out `GET /api/v1/events` streams from.
    pub events: plinth_events::EventHub,
    /// Named dependency checks run by `GET /ready` (for example `database`, `storage`).
    pub readiness: Vec<(String, Arc<dyn ReadinessCheck>)>,
    /// Open while the database is known to be down: API calls then answer 503 at once (see
    /// [`Circuit`]; the embedding program opens and closes it).
    pub circuit: Circuit,
    /// Limits and network settings.
    pub http: HttpSettings,
    /// The clock the services are built with: every "now" a handler needs (export time,
    /// idempotency expiry, this month's revenue) comes from it, so tests can fix it.
    pub clock: Arc<dyn Clock>,
}

impl AppState {
    /// The state of a server of `services`, with the stored `Idempotency-Key` answers, the
    /// `/ready` checks, the database circuit and the
    /// HTTP settings.
    #[must_use]
    pub fn new(
        services: plinth_app::Services,
        idempotency: Arc<dyn IdempotencyStore>,
        readiness: Vec<(String, Arc<dyn ReadinessCheck>)>,
        circuit: Circuit,
        http: HttpSettings,
    ) -> Self {
        Self {
            accounts: services.accounts,
            sharing: services.sharing,
            organizations: services.organizations,
            auth: services.auth,
            account_admin: services.account_admin,
            users: services.users,
            announcements: services.announcements,
            orgs: services.orgs,
            files: services.files,
            plans: services.plans,
            subscriptions: services.subscriptions,
            invoices: services.invoices,
            payments: services.payments,
            clock: services.clock,
            audit: services.audit_trail,
            statistics: services.statistics,
            events: services.events,
            idempotency,
            readiness,
            circuit,
            http,
        }
    }
}

/// One dependency that `GET /ready` probes. A check that takes longer than two seconds
/// counts as failed.
#[async_trait::async_trait]
pub trait ReadinessCheck: Send + Sync {
    /// `Ok(())` when the dependency answers; otherwise a short message without secrets
    /// (it is shown to anyone who calls `/ready`).
    async fn check(&self) -> Result<(), String>;
}

/// The blob store behind the file service is a readiness check of its own.
#[async_trait::async_trait]
impl ReadinessCheck for FileService {
    async fn check(&self) -> Result<(), String> {
        self.check_storage().await.map_err(|e| {
            tracing::warn!(error = ?e, "storage readiness check failed");
            "storage is not reachable".to_owned()
        })
    }
}

/// HTTP-level settings (from `MAX_UPLOAD_BYTES`, `PUBLIC_URL`, `TRUSTED_PROXIES`, `CORS_ORIGINS`,
/// `SHUTDOWN_GRACE`, `RATE_LIMIT_*`…).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpSettings {
    /// Largest JSON request body in bytes (413 above it).
    pub max_json_bytes: usize,
    /// Largest accepted upload in bytes (413 above it).
    pub max_upload_bytes: u64,
    /// `PUBLIC_URL` without a trailing `/`: the start of the absolute links the API hands out
    /// (`avatar_url`).
    pub public_url: String,
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Origins allowed by CORS (`*` allows any).
    pub cors_origins: Vec<String>,
    /// How long in-flight requests may finish after a graceful stop.
    pub shutdown_grace: Duration,
    /// The version reported by `GET /health`.
    pub version: String,
    /// Send `Strict-Transport-Security` (only behind HTTPS, e.g. in production).
    pub hsts: bool,
    /// Whether the per-client-IP rate limits apply (`RATE_LIMIT_ENABLED`).
    pub rate_limit_enabled: bool,
    /// The per-IP budget of `/api/v1/auth/*` (`RATE_LIMIT_AUTH`).
    pub rate_limit_auth: RateLimit,
    /// The per-IP budget of every other route except `/health`, `/ready` and `/metrics`
    /// (`RATE_LIMIT_API`).
    pub rate_limit_api: RateLimit,
    /// The browser session cookies (`COOKIE_*`) and their CSRF key.
    pub cookies: crate::CookieSettings,
}

impl Default for HttpSettings {
    fn default() -> Self {
        Self {
            max_json_bytes: 256 * 1024,
            max_upload_bytes: 10 * 1024 * 1024,
            public_url: "http://127.0.0.1:8080".to_owned(),
            trusted_proxies: Vec::new(),
            cors_origins: vec!["http://localhost:3000".to_owned()],
            shutdown_grace: Duration::from_secs(30),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            hsts: false,
            rate_limit_enabled: true,
            rate_limit_auth: RateLimit::per_minute(10),
            rate_limit_api: RateLimit::per_minute(600),
            cookies: crate::CookieSettings::default(),
        }
    }
}
