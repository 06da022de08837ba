//! `plinth billing run-jobs`: the scheduled billing work, once, by hand or from cron.

use anyhow::Context;
use plinth_store::Database;
use secrecy::ExposeSecret;

use crate::settings::Settings;
use crate::startup::services;

/// Runs the billing jobs once against `DATABASE_URL` and prints the report as JSON on
/// standard output, e.g. `{"renewed":3,"canceled":0,"invoiced":3,"renewals_failed":0,
/// "past_due":1,"unpaid":0,"uncollectible":0}`.
///
/// # Errors
/// The database is unreachable or fails midway (run it again: it is idempotent).
pub(super) async fn run_jobs(settings: &Settings) -> anyhow::Result<()> {
    let database = Database::connect(
        settings.database.url.expose_secret(),
        settings.database.pool_max,
    )
    .await?;
    let blobs = plinth_blobs::open_store(&settings.storage.url)?;
    let services = services(settings, &database, blobs)?;
    let report = services
        .billing_jobs
        .run_jobs(services.clock.now())
        .await
        .context("billing jobs failed")?;
    super::print_line(&serde_json::to_string(&report)?)?;
    database.close().await?;
    Ok(())
}
