//! `spawn_app()`: a served API over fresh in-memory adapters, and client helpers.

use std::collections::BTreeSet;
use std::net::TcpListener;
use std::sync::Arc;

use plinth_api::{AppState, HttpSettings, RateLimit, ReadinessCheck};
use plinth_app::{Policies, Ports, Services};
use plinth_audit::AuditLog;
use plinth_audit::testing::MemoryAuditLog;
use plinth_billing::testing::{
    MemoryBillingRepository, MemoryInvoiceRepository, MemoryPaymentEventInbox,
    MemorySubscriptionRepository,
};
use plinth_billing::{
    BillingJobs, CustomerDirectory, CustomerSnapshot, FeatureValue, GatewaySetup,
    PERIOD_INVOICE_DUE_DAYS, UNCOLLECTIBLE_AFTER_DAYS, WebhookSetup,
};
use plinth_events::HubSettings;
use plinth_events::testing::MemoryEventOutbox;
use plinth_files::FileLimits;
use plinth_files::testing::{MemoryBlobStore, MemoryFileRepository};
use plinth_kernel::testing::{ManualClock, MemoryIdempotencyStore, MemoryUnitOfWork};
use plinth_kernel::{Clock, RequestMeta, UnitOfWork};
use plinth_orgs::testing::MemoryOrgStorage;
use plinth_security::{HmacUrlSigner, SecretBox};
use plinth_sessions::testing::{
    FakeIdentityProviders, FakeTokenSigner, MemoryIdentityRepository, MemoryMailer,
    MemoryPasskeyRepository, MemorySessionRepository,
};
use plinth_sessions::{
    AuthService, LockoutPolicy, Mailer, PasswordlessCodeKey, PasswordlessPolicy, RefreshReuse,
    TokenLifetimes,
};
use plinth_users::testing::{
    FakePasswordHasher, MemoryAnnouncementRepository, MemoryRoleRepository, MemoryUserRepository,
};
use plinth_users::{PasswordPolicy, UserService};
use reqwest::header::CONTENT_TYPE;
use secrecy::SecretString;
use serde_json::{Value, json};

mod roles;
mod schema;
mod sse;

pub use schema::{SchemaCheck, SchemaGuard};
pub use sse::SseStream;

/// The secret the test app's URL signer derives its key from.
pub const URL_SIGNING_SECRET: &str = "plinth-api-tests-url-signing-secret-0123456789";
/// The key TOTP secrets are sealed with in these tests.
const SEALING_SECRET: &str = "plinth-api-tests-totp-sealing-secret-0123456789";

/// The page origin passkey ceremonies come from (the relying party is `localhost`).
pub const PASSKEY_ORIGIN: &str = "http://localhost:3000";

/// A password the default policy accepts.
pub const PASSWORD: &str = "plinth-Granite-Otter-Lantern-42";

/// What a test may change about the app.
pub struct Options {
    pub audit: Option<Arc<dyn AuditLog>>,
    pub readiness: Vec<(String, Arc<dyn ReadinessCheck>)>,
    pub max_upload_bytes: u64,
    pub max_json_bytes: usize,
    pub trusted_proxies: Vec<ipnet::IpNet>,
    pub cors_origins: Vec<String>,
    /// Adds the file service's own blob-store check as `storage`.
    pub storage_check: bool,
    /// `(auth, api)` per-IP rate limits; `None` (the default) turns rate limiting off so
    /// tests may call the auth routes as often as they like.
    pub rate_limits: Option<(RateLimit, RateLimit)>,
    /// Send `Strict-Transport-Security`.
    pub hsts: bool,
    /// `REFRESH_REUSE_GRACE` (default 10 s).
    pub refresh_reuse_grace: Option<chrono::Duration>,
    /// The clock every service and handler reads: a fixed instant by default
    /// ([`ManualClock::default`]), never the wall clock, so no test depends on the day it runs.
    /// Set it to test a calendar edge; move it with [`TestApp::clock`].
    pub clock: ManualClock,
    /// Where recovery mail goes; [`TestApp::mailer`] when `None`.
    pub mailer: Option<Arc<dyn Mailer>>,
    /// `DEFAULT_STORAGE_BYTES` (default 1 GiB).
    pub default_storage_bytes: i64,
    /// `MAX_AVATAR_BYTES` (default 1 MiB).
    pub max_avatar_bytes: u64,
    /// The gateway that collects invoice payments (`STRIPE_API_KEY` set); none by default.
    pub payment_gateway: Option<Arc<dyn plinth_billing::payment::PaymentGateway>>,
    /// The database circuit (closed unless the test opens it).
    pub circuit: plinth_api::Circuit,
    /// Passwordless sign-in (15 minutes, no sign-up, a fixed code key by default).
    pub passwordless: PasswordlessPolicy,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            audit: None,
            readiness: Vec::new(),
            max_upload_bytes: 64 * 1024,
            max_json_bytes: 16 * 1024,
            trusted_proxies: Vec::new(),
            cors_origins: vec!["http://localhost:3000".to_owned()],
            storage_check: false,
            rate_limits: None,
            hsts: false,
            refresh_reuse_grace: None,
            clock: ManualClock::default(),
            mailer: None,
            default_storage_bytes: 1 << 30,
            max_avatar_bytes: plinth_files::DEFAULT_MAX_AVATAR_BYTES,
            payment_gateway: None,
            circuit: plinth_api::Circuit::default(),
            passwordless: PasswordlessPolicy::new(PasswordlessCodeKey::new([5; 32])),
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub users: UserService,
    /// The user rows, to check what was (not) stored.
    pub user_rows: MemoryUserRepository,
    /// The announcement rows, to check what was (not) stored or to store one directly.
    pub announcements: MemoryAnnouncementRepository,
    /// The roles, to check what was (not) stored.
    pub roles: MemoryRoleRepository,
    /// Organizations, members and their roles, to check what was (not) stored or to add a
    /// member directly.
    pub orgs: MemoryOrgStorage,
    pub blobs: MemoryBlobStore,
    pub file_rows: MemoryFileRepository,
    /// The audit log, unless the test supplied its own.
    pub audit_log: MemoryAuditLog,
    /// The event outbox (its poller runs every few milliseconds).
    pub events: MemoryEventOutbox,
    /// Recovery and verification mail, unless the test supplied its own mailer.
    pub mailer: Arc<MemoryMailer>,
    /// The auth service the server uses (to reload revocations as a replica's timer would).
    pub auth: AuthService,
    /// The billing jobs over the app's services (to run renewals and write-offs in tests; the
    /// services themselves are in [`TestApp::state`]).
    pub billing_jobs: BillingJobs,
    /// The subscription rows, to check what was (not) stored.
    pub subscriptions: MemorySubscriptionRepository,
    /// The idempotency keys.
    pub idempotency: MemoryIdempotencyStore,
    /// The state the server runs with.
    pub state: AppState,
    /// The sign-in provider `acme` ("Acme SSO") social sign-in is wired to: a test signs in
    /// at it with [`FakeIdentityProviders::approve`].
    pub oauth: Arc<FakeIdentityProviders>,
    /// Social sign-in flows and linked identities.
    pub identities: MemoryIdentityRepository,
    /// Passkeys and their ceremonies (relying party `localhost`, origin [`PASSKEY_ORIGIN`]).
    pub passkeys: MemoryPasskeyRepository,
    /// The unit of work every service writes through (a test can hold a transaction open).
    pub uow: Arc<dyn UnitOfWork>,
    /// The app's clock ([`Options::clock`]): what "now" is for every request.
    pub clock: ManualClock,
    /// Every JSON answer checked against the OpenAPI document; fails the test when dropped
    /// if one did not match.
    pub schema: SchemaGuard,
}

/// The test app's accounts and organizations as invoice customers (an organization's
/// billing contact, else its name and its first owner's address, as the SQL adapter reads
/// them).
struct UsersAsCustomers(MemoryUserRepository, MemoryOrgStorage);

#[async_trait::async_trait]
impl CustomerDirectory for UsersAsCustomers {
    async fn customer(
        &self,
        owner: plinth_kernel::Owner,
    ) -> Result<Option<CustomerSnapshot>, plinth_kernel::RepoError> {
        use plinth_orgs::OrganizationRepository as _;
        use plinth_users::UserRepository as _;
        let account = |user| async move {
            Ok::<_, plinth_kernel::RepoError>(self.0.by_id(user).await?.map(|u| CustomerSnapshot {
                email: u.email.as_str().to_owned(),
                name: u.name.as_str().to_owned(),
            }))
        };
        match owner {
            plinth_kernel::Owner::User(user) => account(user).await,
            plinth_kernel::Owner::Org(org) => {
                let (Some(overview), Some(contact)) = (
                    self.1.overview(org).await?,
                    self.1.billing_contact(org).await?,
                ) else {
                    return Ok(None);
                };
                let owner = match self.1.first_owner(org) {
                    Some(user) => account(user).await?,
                    None => None,
                };
                Ok(Some(CustomerSnapshot {
                    email: contact.email.map_or_else(
                        || owner.map(|o| o.email).unwrap_or_default(),
                        |e| e.as_str().to_owned(),
                    ),
                    name: contact.name.map_or_else(
                        || overview.organization.name.as_str().to_owned(),
                        |n| n.as_str().to_owned(),
                    ),
                }))
            }
        }
    }
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(options: Options) -> TestApp {
    let uow: Arc<dyn UnitOfWork> = Arc::new(MemoryUnitOfWork::new());
    let manual_clock = options.clock;
    let clock: Arc<dyn Clock> = Arc::new(manual_clock.clone());
    let audit_log = MemoryAuditLog::new();
    let events = MemoryEventOutbox::new();
    let audit: Arc<dyn AuditLog> = options.audit.unwrap_or_else(|| Arc::new(audit_log.clone()));
    let roles = MemoryRoleRepository::new();
    let user_rows = MemoryUserRepository::with_roles(roles.clone());
    let announcements = MemoryAnnouncementRepository::new();
    let blobs = MemoryBlobStore::new().with_clock(clock.clone());
    let file_rows = MemoryFileRepository::new();
    let orgs = {
        let users = user_rows.clone();
        MemoryOrgStorage::with_profiles(move |id| users.profile(id))
    };
    let invoices = MemoryInvoiceRepository::new();
    let subscriptions = MemorySubscriptionRepository::new().with_invoices(invoices.clone());
    let idempotency = MemoryIdempotencyStore::new();
    let mailer = Arc::new(MemoryMailer::new());
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let address = format!("http://{}", listener.local_addr().unwrap());
    // The same composition as the `plinth` binary (`Services::wire`), over in-memory adapters.
    let ports = Ports {
        users: Arc::new(user_rows.clone()),
        roles: Arc::new(roles.clone()),
        sessions: Arc::new(MemorySessionRepository::new()),
        announcements: Arc::new(announcements.clone()),
        orgs: Arc::new(orgs.clone()),
        files: Arc::new(file_rows.clone()),
        blobs: Arc::new(blobs.clone()),
        plans: Arc::new(MemoryBillingRepository::new()),
        subscriptions: Arc::new(subscriptions.clone()),
        invoices: Arc::new(invoices),
        customers: Arc::new(UsersAsCustomers(user_rows.clone(), orgs.clone())),
        payment_events: Arc::new(MemoryPaymentEventInbox::new()),
        invoice_renderer: Arc::new(plinth_pdf::PdfInvoiceRenderer::default()),
        payment_gateway: options
            .payment_gateway
            .map_or(GatewaySetup::NotConfigured, GatewaySetup::Configured),
        payment_webhooks: WebhookSetup::NotConfigured,
        hasher: Arc::new(FakePasswordHasher::new()),
        token_signer: Arc::new(FakeTokenSigner::with_clock(clock.clone())),
        sealer: Arc::new(SecretBox::new(&SecretString::from(SEALING_SECRET)).unwrap()),
        mailer: options
            .mailer
            .unwrap_or_else(|| Arc::clone(&mailer) as Arc<dyn Mailer>),
        url_signer: Arc::new(HmacUrlSigner::new(&SecretString::from(URL_SIGNING_SECRET)).unwrap()),
        audit: audit.clone(),
        events: Arc::new(events.clone()),
        uow: uow.clone(),
        clock: clock.clone(),
    };
    let policies = Policies {
        password: PasswordPolicy::default(),
        lifetimes: TokenLifetimes::default(),
        refresh_reuse: options
            .refresh_reuse_grace
            .map_or_else(RefreshReuse::default, |grace| RefreshReuse {
                grace,
                ..RefreshReuse::default()
            }),
        lockout: LockoutPolicy::default(),
        passwordless: options.passwordless.clone(),
        public_url: address.clone(),
        file_limits: FileLimits {
            max_upload_bytes: options.max_upload_bytes,
            allowed_extensions: ["txt", "png", "pdf", "csv"]
                .into_iter()
                .map(str::to_owned)
                .collect::<BTreeSet<String>>(),
        },
        max_avatar_bytes: options.max_avatar_bytes,
        invoice_due_days: PERIOD_INVOICE_DUE_DAYS,
        uncollectible_after: chrono::Duration::days(UNCOLLECTIBLE_AFTER_DAYS),
        default_features: std::collections::BTreeMap::from([(
            "storage_bytes".to_owned(),
            FeatureValue::Limit(options.default_storage_bytes),
        )]),
        events: HubSettings {
            poll_interval: std::time::Duration::from_millis(10),
            heartbeat: std::time::Duration::from_millis(500),
            ..HubSettings::default()
        },
    };
    let mut services = Services::wire(ports, policies);
    tokio::spawn({
        let hub = services.events.clone();
        async move { hub.run_poller().await }
    });
    let oauth = Arc::new(FakeIdentityProviders::new(&[("acme", "Acme SSO")]));
    let identities = MemoryIdentityRepository::new();
    services.auth = services.auth.with_social(plinth_sessions::SocialSignIn {
        providers: oauth.clone(),
        identities: Arc::new(identities.clone()),
        key: plinth_sessions::OAuthFlowKey::new([9; 32]),
        allowed_origins: vec!["http://localhost:3000".to_owned(), address.clone()],
    });
    let passkeys = MemoryPasskeyRepository::new();
    services.auth = services.auth.with_passkeys(plinth_sessions::PasskeySignIn {
        ceremonies: Arc::new(
            plinth_webauthn::WebauthnCeremonies::new(&plinth_webauthn::RelyingParty {
                id: "localhost".to_owned(),
                name: "Plinth".to_owned(),
                origins: vec![PASSKEY_ORIGIN.to_owned()],
            })
            .unwrap(),
        ),
        passkeys: Arc::new(passkeys.clone()),
    });
    let (auth, users, billing_jobs) = (
        services.auth.clone(),
        services.users.clone(),
        services.billing_jobs.clone(),
    );
    let mut readiness = options.readiness;
    if options.storage_check {
        readiness.push(("storage".to_owned(), Arc::new(services.files.clone())));
    }
    let defaults = HttpSettings::default();
    let state = AppState::new(
        services,
        Arc::new(idempotency.clone()),
        readiness,
        options.circuit,
        HttpSettings {
            max_json_bytes: options.max_json_bytes,
            max_upload_bytes: options.max_upload_bytes,
            public_url: address.clone(),
            version: "9.9.9-test".to_owned(),
            trusted_proxies: options.trusted_proxies,
            cors_origins: options.cors_origins,
            hsts: options.hsts,
            rate_limit_enabled: options.rate_limits.is_some(),
            rate_limit_auth: options
                .rate_limits
                .map_or(defaults.rate_limit_auth, |l| l.0),
            rate_limit_api: options.rate_limits.map_or(defaults.rate_limit_api, |l| l.1),
            ..defaults
        },
    );
    let state_handle = state.clone();
    let schema = Arc::new(SchemaCheck::default());
    let observer: Arc<dyn plinth_api::ResponseObserver> = schema.clone();
    let server = plinth_api::serve_observed(listener, state, Some(observer)).unwrap();
    tokio::spawn(server);
    let client = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    TestApp {
        auth,
        address,
        client,
        users,
        user_rows,
        announcements,
        roles,
        orgs,
        blobs,
        file_rows,
        audit_log,
        events,
        mailer,
        billing_jobs,
        subscriptions,
        idempotency,
        state: state_handle,
        oauth,
        identities,
        passkeys,
        uow,
        clock: manual_clock,
        schema: SchemaGuard(schema),
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut req = self.client.get(self.url(path));
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send().await.unwrap()
    }

    /// Registers an account and returns its `TokenPair`.
    pub async fn register(&self, email: &str) -> Value {
        let res = self
            .post_json(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": PASSWORD, "name": "Test User" }),
                None,
            )
            .await;
        assert_eq!(res.status(), 201, "register {email}");
        res.json().await.unwrap()
    }

    /// Registers an account and returns its access token.
    pub async fn token(&self, email: &str) -> String {
        self.register(email).await["access_token"]
            .as_str()
            .unwrap()
            .to_owned()
    }

    /// Creates a super admin with the CLI use case and signs it in over HTTP.
    pub async fn admin_token(&self) -> String {
        self.users
            .create_super_admin(
                "root@example.com",
                "Root",
                PASSWORD.to_owned(),
                &RequestMeta::cli(),
            )
            .await
            .unwrap();
        let res = self
            .post_json(
                "/api/v1/auth/login",
                &json!({ "email": "root@example.com", "password": PASSWORD }),
                None,
            )
            .await;
        assert_eq!(res.status(), 200);
        let pair: Value = res.json().await.unwrap();
        pair["access_token"].as_str().unwrap().to_owned()
    }

    /// `PUT /files/{id}/content`: `bytes` as a new version named `name`.
    pub async fn put_content(
        &self,
        token: &str,
        id: &str,
        name: &str,
        bytes: Vec<u8>,
    ) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        self.client
            .put(self.url(&format!("/api/v1/files/{id}/content")))
            .bearer_auth(token)
            .multipart(reqwest::multipart::Form::new().part("file", part))
            .send()
            .await
            .unwrap()
    }

    pub async fn upload(&self, token: &str, name: &str, bytes: Vec<u8>) -> reqwest::Response {
        let part = reqwest::multipart::Part::bytes(bytes).file_name(name.to_owned());
        let form = reqwest::multipart::Form::new()
            .text("note", "ignored")
            .part("file", part);
        self.client
            .post(self.url("/api/v1/files"))
            .bearer_auth(token)
            .multipart(form)
            .send()
            .await
            .unwrap()
    }
}

/// The `token` of the newest link under `path` mailed to `to` (other mail to `to` may have
/// come since, such as an invitation after the verification mail).
pub fn mailed_token(app: &TestApp, to: &str, path: &str) -> String {
    let link = app
        .mailer
        .sent()
        .into_iter()
        .rev()
        .filter(|m| m.to.as_str() == to)
        .find_map(|m| m.link.filter(|l| l.contains(path)))
        .unwrap_or_else(|| panic!("no {path} link mailed to {to}"));
    link.split_once("token=").unwrap().1.to_owned()
}

/// Verifies `email` through the link its sign-up mail carries.
pub async fn verify_email(app: &TestApp, email: &str) {
    let token = mailed_token(app, email, "/verify-email");
    let res = app
        .post_json(
            "/api/v1/auth/email/verify",
            &json!({ "token": token }),
            None,
        )
        .await;
    assert_eq!(res.status(), 204, "verify {email}");
}

/// Asserts a problem+json answer: status, code, content type, and `request_id` equal to the
/// `X-Request-Id` header. Returns the body.
/// The field names a 422 problem's `errors` object lists, in the order it lists them.
pub fn error_fields(problem: &Value) -> Vec<&str> {
    problem["errors"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect()
}

pub async fn assert_problem(res: reqwest::Response, status: u16, code: &str) -> Value {
    assert_eq!(res.status().as_u16(), status, "status of {}", res.url());
    let content_type = res
        .headers()
        .get(CONTENT_TYPE)
        .unwrap()
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(content_type, "application/problem+json");
    let header_id = res
        .headers()
        .get("x-request-id")
        .expect("X-Request-Id header")
        .to_str()
        .unwrap()
        .to_owned();
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["code"], code, "{body}");
    assert_eq!(body["status"], status);
    assert_eq!(body["request_id"], header_id.as_str());
    assert!(body["type"].as_str().unwrap().ends_with(code) || body["type"] == "about:blank");
    assert!(body["title"].as_str().is_some_and(|t| !t.is_empty()));
    assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()));
    body
}
