//! The `/ready` checks: the database and the blob store.

use std::sync::Arc;

use plinth_api::ReadinessCheck;
use plinth_files::BlobStore;
use plinth_store::Database;

/// `database`: one round trip to the database.
pub struct DatabaseReadiness(pub Database);

#[async_trait::async_trait]
impl ReadinessCheck for DatabaseReadiness {
    async fn check(&self) -> Result<(), String> {
        self.0.ping().await.map_err(|e| {
            tracing::warn!(error = %e, "database readiness check failed");
            "database is not reachable".to_owned()
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
