//! The prober behind the API's database [`Circuit`]: it checks the database when something
//! suspects it (a 503 answer, a failed `/ready` check), opens the circuit when the check fails
//! and, while it is open, checks every [`PROBE_INTERVAL`] and closes it once the database
//! answers. The state is the `db_circuit_open` gauge of `/metrics`.

use std::time::Duration;

use plinth_api::Circuit;
use plinth_api::metrics::gauge;
use plinth_store::Database;

use super::background::AbortOnDrop;

/// How often an open circuit re-checks the database, and the least time between two checks.
pub const PROBE_INTERVAL: Duration = Duration::from_secs(1);

/// Runs the prober until the guard drops.
pub(crate) fn spawn_prober(database: Database, circuit: Circuit) -> AbortOnDrop {
    let shown = gauge(
        "db_circuit_open",
        "1 while the database is known to be down and API calls answer 503 at once.",
    )
    .inspect_err(|e| tracing::error!(error = %e, "metric not registered"))
    .ok();
    AbortOnDrop(tokio::spawn(async move {
        loop {
            if !circuit.is_open() {
                circuit.suspected().await;
            }
            match database.probe().await {
                Ok(()) => {
                    if circuit.close() {
                        tracing::info!("the database answers again: API calls reach it again");
                    }
                }
                Err(error) => {
                    if circuit.open() {
                        tracing::warn!(
                            %error,
                            "the database is unreachable: API calls answer 503 at once until it answers"
                        );
                    }
                }
            }
            if let Some(shown) = &shown {
                shown.set(if circuit.is_open() { 1.0 } else { 0.0 });
            }
            tokio::time::sleep(PROBE_INTERVAL).await;
        }
    }))
}
