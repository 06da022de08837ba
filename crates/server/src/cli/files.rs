//! `plinth files reconcile [--min-age 1h]`: removes stored blobs that belong to no file.

use anyhow::Context;
use plinth_store::Database;
use secrecy::ExposeSecret;

use crate::settings::Settings;
use crate::startup::services;

/// Runs one reconciliation of `STORAGE_URL` against `DATABASE_URL` and prints its report as
/// JSON on standard output.
///
/// # Errors
/// The database or the store is unreachable, or fails midway (run it again: it is idempotent).
pub(super) async fn reconcile(
    settings: &Settings,
    min_age: std::time::Duration,
) -> anyhow::Result<()> {
    let min_age = chrono::Duration::from_std(min_age).context("--min-age is too long")?;
    let database = Database::connect(
        settings.database.url.expose_secret(),
        settings.database.pool_max,
    )
    .await?;
    let blobs = plinth_blobs::open_store(&settings.storage.url)?;
    let files = services(settings, &database, blobs)?.files;
    let report = files
        .reconcile(min_age)
        .await
        .context("reconciling file storage failed")?;
    super::print_line(&serde_json::to_string(&report)?)?;
    database.close().await?;
    Ok(())
}
