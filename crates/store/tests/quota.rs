//! The storage quota on real databases: uploads of one owner racing for the last room, from
//! two pools (two replicas), store only what fits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{TestDb, create_user, postgres, sqlite};
use plinth_files::testing::{FixedQuota, MemoryBlobStore};
use plinth_files::{
    DEFAULT_MAX_AVATAR_BYTES, FileError, FileLimits, FilePolicy, FilePorts, FileService,
    UploadInput,
};
use plinth_kernel::{RequestMeta, SystemClock};
use plinth_store::Database;

fn files(db: &Database, blobs: &MemoryBlobStore) -> FileService {
    FileService::new(
        FilePorts {
            quota: Arc::new(FixedQuota(100)),
            ..FilePorts::with_fakes(
                db.files(),
                Arc::new(blobs.clone()),
                db.audit(),
                db.unit_of_work(),
                Arc::new(SystemClock),
            )
        },
        FilePolicy {
            limits: FileLimits {
                max_upload_bytes: 1_000,
                allowed_extensions: BTreeSet::from(["txt".to_owned()]),
            },
            public_url: "https://files.example".to_owned(),
            max_avatar_bytes: DEFAULT_MAX_AVATAR_BYTES,
        },
    )
}

fn input(n: usize) -> UploadInput {
    let body = futures::stream::once(async move { Ok(bytes::Bytes::from(vec![b'q'; n])) });
    UploadInput {
        file_name: "q.txt".into(),
        body: Box::pin(body),
    }
}

async fn racing_uploads_store_only_what_fits(t: TestDb) {
    let owner = create_user(&t.db).await;
    let blobs = MemoryBlobStore::new();
    let replica = t.second_connection().await;
    let services = [files(&t.db, &blobs), files(&replica, &blobs)];
    let uploads = (0..6).map(|i| {
        let service = services[i % 2].clone();
        async move {
            service
                .upload(owner, input(60), &RequestMeta::default())
                .await
        }
    });
    let results = futures::future::join_all(uploads).await;
    let stored = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(stored, 1, "{}: {results:?}", t.label);
    assert!(
        results
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, FileError::QuotaExceeded { limit: 100, .. })),
        "{}: {results:?}",
        t.label
    );
    assert_eq!(t.db.files().stored_bytes(owner).await.unwrap(), 60);
    assert_eq!(
        blobs.keys().len(),
        1,
        "{}: refused blobs are removed",
        t.label
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_racing_uploads_store_only_what_fits() {
    racing_uploads_store_only_what_fits(sqlite().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_racing_uploads_store_only_what_fits() {
    let Some(t) = postgres().await else { return };
    racing_uploads_store_only_what_fits(t).await;
}
