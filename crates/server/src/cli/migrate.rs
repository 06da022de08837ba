//! `plinth migrate up|down|status`.

use plinth_store::Database;
use secrecy::ExposeSecret;

use super::MigrateAction;
use crate::settings::Settings;

/// Runs one migration action against `DATABASE_URL`; `status` prints one line per migration,
/// `applied <name>` or `pending <name>`, oldest first.
///
/// # Errors
/// The database is unreachable or a migration fails.
pub(super) async fn run(settings: &Settings, action: MigrateAction) -> anyhow::Result<()> {
    let database = Database::connect(
        settings.database.url.expose_secret(),
        settings.database.pool_max,
    )
    .await?;
    match action {
        MigrateAction::Up => {
            database.migrate_up().await?;
            eprintln!("all migrations applied");
        }
        MigrateAction::Down => {
            database.migrate_down().await?;
            eprintln!("reverted the latest migration");
        }
        MigrateAction::Status => {
            for (name, applied) in database.migrate_status().await? {
                super::print_line(&format!(
                    "{} {name}",
                    if applied { "applied" } else { "pending" }
                ))?;
            }
        }
    }
    database.close().await?;
    Ok(())
}
