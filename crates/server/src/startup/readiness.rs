//! The `/ready` checks: the database and the blob store.

use std::sync::Arc;

use plinth_api::{Circuit, ReadinessCheck};
use plinth_files::BlobStore;
use plinth_store::Database;

/// `database`: one round trip to the database, or none while its circuit is open (the
/// database is known to be down); a failed check has the circuit's prober check it.
pub struct DatabaseReadiness(pub Database, pub Circuit);

#[async_trait::async_trait]
impl ReadinessCheck for DatabaseReadiness {
    async fn check(&self) -> Result<(), String> {
        let not_reachable = || "database is not reachable".to_owned();
        if self.1.is_open() {
            return Err(not_reachable());
        }
        self.0.ping().await.map_err(|e| {
            tracing::warn!(error = %e, "database readiness check failed");
            self.1.suspect();
            not_reachable()
        })
    }
}

/// `storage`: one round trip to the blob store.
pub struct StorageReadiness(pub Arc<dyn BlobStore>);

#[async_trait::async_trait]
impl ReadinessCheck for StorageReadiness {
    async fn check(&self) -> Result<(), String> {
        self.0.check().await.map_err(|e| {
            tracing::warn!(error = %e, "storage readiness check failed");
            "storage is not reachable".to_owned()
        })
    }
}
