//! The composition root: the one place that picks adapters for the ports and wires the
//! services, then binds the socket and starts the HTTP server.

mod allocator;
mod background;
mod circuit;
pub mod jobs;
mod observed;
mod readiness;
mod services;

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use plinth_api::{AppState, Circuit, HttpSettings, ReadinessCheck};
use plinth_billing::BillingJobs;
use plinth_files::BlobStore;
use plinth_store::Database;
use secrecy::ExposeSecret;

use crate::settings::Settings;
use background::{AbortOnDrop, FirstRun, every};

pub use observed::{CountingAuditLog, CountingMailer, spawn_gauges};
pub use plinth_security::jwt_key_id;
pub use readiness::{DatabaseReadiness, StorageReadiness};
pub use services::{
    Services, TOKEN_AUDIENCE, password_hasher, services, token_signer, user_service,
};

/// Why the application could not start. Messages never contain a secret.
#[derive(Debug, thiserror::Error)]
pub enum StartupError {
    /// Connecting to or migrating the database failed.
    #[error(transparent)]
    Database(#[from] plinth_store::StoreError),
    /// `STORAGE_URL` could not be turned into a blob store.
    #[error(transparent)]
    Storage(#[from] plinth_blobs::BlobConfigError),
    /// A setting could not be converted for a service (for example a lifetime too long for
    /// the token clock).
    #[error("invalid setting: {0}")]
    Setting(String),
    /// The listening socket could not be bound.
    #[error("cannot listen on {address}: {source}")]
    Bind {
        /// `HOST:PORT`.
        address: String,
        /// Why.
        source: std::io::Error,
    },
    /// The HTTP server refused the listener.
    #[error("cannot start the HTTP server: {0}")]
    Serve(std::io::Error),
}

/// A built application: the database is migrated, the socket is bound and the server is ready
/// to run.
pub struct Application {
    port: u16,
    server: Server,
    database: Database,
    circuit: Circuit,
    /// Revocation sync, reconciler, billing jobs and the `/metrics` gauges, for as long as the
    /// application lives.
    background: Vec<AbortOnDrop>,
    /// The realtime hub, whose open streams a stop ends first (they would otherwise hold the
    /// drain for the whole grace period).
    events: plinth_events::EventHub,
    /// The sign-in service, whose background work (reset mails already answered) a stop
    /// waits for.
    auth: plinth_sessions::AuthService,
    /// `SHUTDOWN_GRACE`, also the most that work is waited for.
    shutdown_grace: std::time::Duration,
}

impl Application {
    /// Connects the database and applies pending migrations, opens the blob store, wires the
    /// services and binds `HOST:PORT` (port 0 picks a free port; see [`Application::port`]).
    ///
    /// # Errors
    /// [`StartupError`] naming what failed: database unreachable, migration failure, bad
    /// storage URL, port in use…
    pub async fn build(settings: Settings) -> Result<Self, StartupError> {
        let database = Database::connect(
            settings.database.url.expose_secret(),
            settings.database.pool_max,
        )
        .await?;
        database.migrate_up().await?;
        let blobs = plinth_blobs::open_store(&settings.storage.url)?;
        let services = services(&settings, &database, Arc::clone(&blobs))?;
        let billing_jobs = services.billing_jobs.clone();
        let auth = services.auth.clone();
        let events = services.events.clone();
        let state = app_state(&settings, &database, blobs, services);
        let circuit = state.circuit.clone();
        let background = spawn_background(&settings, &state, billing_jobs, &database);
        let address = settings.bind_address();
        let listener = TcpListener::bind(&address).map_err(|source| StartupError::Bind {
            address: address.clone(),
            source,
        })?;
        let local = listener
            .local_addr()
            .map_err(|source| StartupError::Bind { address, source })?;
        let server = plinth_api::serve(listener, state).map_err(StartupError::Serve)?;
        tracing::info!(
            address = %local,
            environment = %settings.environment,
            database = database.redacted_url(),
            storage = %settings.storage.url,
            version = env!("CARGO_PKG_VERSION"),
            "plinth is listening"
        );
        Ok(Self {
            port: local.port(),
            server,
            database,
            circuit,
            background,
            events,
            auth,
            shutdown_grace: settings.server.shutdown_grace,
        })
    }

    /// The bound port (the real one when `PORT` was 0).
    #[must_use]
    pub const fn port(&self) -> u16 {
        self.port
    }

    /// The database the application uses (tests inspect it).
    #[must_use]
    pub const fn database(&self) -> &Database {
        &self.database
    }

    /// The database circuit: open while the database is known to be down (tests inspect it).
    #[must_use]
    pub const fn circuit(&self) -> &Circuit {
        &self.circuit
    }

    /// A handle to stop the server from elsewhere (`stop(true)` is graceful; call
    /// [`Application::end_event_streams`] first, or open streams hold the drain).
    #[must_use]
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }

    /// Ends every open `GET /api/v1/events` stream (their clients reconnect elsewhere and
    /// resume with `Last-Event-ID`); done first when a signal stops the server.
    pub fn end_event_streams(&self) {
        self.events.close();
    }

    /// Serves until SIGINT or SIGTERM, then stops accepting connections, lets in-flight
    /// requests finish for up to `SHUTDOWN_GRACE`, closes the pool and returns.
    ///
    /// # Errors
    /// An I/O error from the server or from installing the signal handlers.
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        let handle = self.server.handle();
        let events = self.events.clone();
        let mut terminate =
            tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        let signals = tokio::spawn(async move {
            let which = tokio::select! {
                _ = tokio::signal::ctrl_c() => "SIGINT",
                _ = terminate.recv() => "SIGTERM",
            };
            tracing::info!(signal = which, "shutting down: draining in-flight requests");
            events.close();
            handle.stop(true).await;
        });
        self.server.await?;
        signals.abort();
        // A request answered 202 may still be sending its mail: let it, within the grace.
        if !self
            .auth
            .finish_background_work(self.shutdown_grace.max(std::time::Duration::from_secs(1)))
            .await
        {
            tracing::warn!("stopped before every background mail was sent");
        }
        drop(self.background);
        tracing::info!("plinth stopped");
        if let Err(e) = self.database.close().await {
            tracing::warn!(error = %e, "closing the database pool failed");
        }
        Ok(())
    }
}

/// How old a blob must be before the periodic reconciler may remove it: far longer than the
/// moment between an upload's blob and its row.
const RECONCILE_MIN_AGE: chrono::Duration = chrono::Duration::hours(1);

/// The loops every replica runs while it serves; each logs its own failures and tries again
/// next time.
/// - access-token revocations, reloaded at once and every `REVOCATION_SYNC_INTERVAL`: the
///   bound on how long a revoked access token keeps working on this replica (a failed reload
///   keeps the previous list in force);
/// - the storage reconciler, every `RECONCILE_INTERVAL` (none when zero), first one interval
///   after start;
/// - [`plinth_billing::BillingJobs::run_jobs`] (overdue invoices, `past_due`/`unpaid`,
///   renewals and their invoices), at once and every `BILLING_JOBS_INTERVAL` (none when
///   zero); invoice moves are compare-and-sets, subscription moves re-check under the row
///   lock and a period is renewed and invoiced once, so replicas never double-apply;
/// - the purge of expired `Idempotency-Key` answers, at once and every
///   [`jobs::JOB_INTERVAL`];
/// - the pool and bcrypt gauges of `/metrics`;
/// - the prober of the database circuit (see [`circuit`]);
/// - free heap memory handed back to the system every [`allocator::TRIM_INTERVAL`];
/// - the event hub's poller (new events to every open stream, every `EVENT_POLL_INTERVAL`)
///   and the purge of events older than `EVENT_RETENTION`, at once and every
///   [`jobs::JOB_INTERVAL`].
fn spawn_background(
    settings: &Settings,
    state: &AppState,
    billing_jobs: BillingJobs,
    database: &Database,
) -> Vec<AbortOnDrop> {
    let auth = state.auth.clone();
    let revocations = every(
        settings.auth.revocation_sync_interval,
        FirstRun::Now,
        move || {
            let auth = auth.clone();
            async move {
                match auth.sync_revocations().await {
                    Ok(held) => tracing::trace!(held, "access-token revocations reloaded"),
                    Err(error) => {
                        tracing::warn!(%error, "reloading access-token revocations failed");
                    }
                }
            }
        },
    );
    let files = state.files.clone();
    let reconciler = every(
        settings.storage.reconcile_interval,
        FirstRun::AfterOneInterval,
        move || {
            let files = files.clone();
            async move {
                if let Err(error) = files.reconcile(RECONCILE_MIN_AGE).await {
                    tracing::warn!(%error, "reconciling file storage failed");
                }
            }
        },
    );
    let clock = Arc::clone(&state.clock);
    let billing_jobs = every(settings.billing.jobs_interval, FirstRun::Now, move || {
        let jobs = billing_jobs.clone();
        let now = clock.now();
        async move {
            if let Err(error) = jobs.run_jobs(now).await {
                tracing::warn!(%error, "billing jobs failed");
            }
        }
    });
    let gauges = Some(AbortOnDrop(spawn_gauges(database.clone())));
    let prober = Some(circuit::spawn_prober(
        database.clone(),
        state.circuit.clone(),
    ));
    let trim = every(
        allocator::TRIM_INTERVAL,
        FirstRun::AfterOneInterval,
        || async {
            // Off the runtime's threads: the walk locks each arena in turn.
            match tokio::task::spawn_blocking(allocator::release_free_memory).await {
                Ok(released) => tracing::trace!(released, "free heap memory returned"),
                Err(error) => tracing::warn!(%error, "returning free heap memory failed"),
            }
        },
    );
    let idempotency = jobs::spawn(database.idempotency());
    let hub = state.events.clone();
    let poller = Some(AbortOnDrop(tokio::spawn(
        async move { hub.run_poller().await },
    )));
    let purge = jobs::spawn_event_purge(
        state.events.outbox().clone(),
        Arc::clone(&state.clock),
        settings.events.retention,
    );
    [
        revocations,
        reconciler,
        billing_jobs,
        idempotency,
        poller,
        purge,
        gauges,
        prober,
        trim,
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// Everything the HTTP layer needs: the `services` (from [`services`]), with the
/// readiness checks of `database` and `blobs` and the HTTP settings.
#[must_use]
pub fn app_state(
    settings: &Settings,
    database: &Database,
    blobs: Arc<dyn BlobStore>,
    services: Services,
) -> AppState {
    let circuit = Circuit::default();
    let readiness: Vec<(String, Arc<dyn ReadinessCheck>)> = vec![
        (
            "database".to_owned(),
            Arc::new(DatabaseReadiness(database.clone(), circuit.clone())),
        ),
        ("storage".to_owned(), Arc::new(StorageReadiness(blobs))),
    ];
    AppState::new(
        services,
        database.idempotency(),
        readiness,
        circuit,
        http_settings(settings),
    )
}

/// The browser session cookies, their CSRF tokens derived from `JWT_SECRET` (and, during a
/// rotation, still accepted under `JWT_PREVIOUS_SECRET`).
fn cookie_settings(settings: &Settings) -> plinth_api::CookieSettings {
    let cookies = plinth_api::CookieSettings::new(
        settings.server.cookie_secure,
        settings.server.cookie_same_site,
        settings.server.cookie_domain.clone(),
        settings.auth.access_token_ttl,
        settings.auth.refresh_token_ttl,
        plinth_security::csrf_key(&settings.auth.jwt_secret),
    );
    match &settings.auth.jwt_previous_secret {
        Some(previous) => cookies.with_previous_csrf_key(plinth_security::csrf_key(previous)),
        None => cookies,
    }
}

/// The HTTP layer's view of the settings. The JSON body limit keeps the API's default.
#[must_use]
pub fn http_settings(settings: &Settings) -> HttpSettings {
    HttpSettings {
        max_upload_bytes: settings.storage.max_upload_bytes,
        public_url: settings.server.public_url.clone(),
        trusted_proxies: settings.server.trusted_proxies.clone(),
        cors_origins: settings.server.cors_origins.clone(),
        shutdown_grace: settings.server.shutdown_grace,
        version: env!("CARGO_PKG_VERSION").to_owned(),
        rate_limit_enabled: settings.rate_limit.enabled,
        rate_limit_auth: settings.rate_limit.auth,
        rate_limit_api: settings.rate_limit.api,
        hsts: settings.environment == crate::settings::Environment::Production,
        cookies: cookie_settings(settings),
        ..HttpSettings::default()
    }
}
