//! The storage quota on real databases: uploads of one owner (a user, or an organization whose
//! members upload at once) racing for the last room, from two pools (two replicas), store only
//! what fits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{TestDb, create_user, postgres, sqlite};
use plinth_files::testing::{FixedQuota, MemoryBlobStore};
use plinth_files::{
    DEFAULT_MAX_AVATAR_BYTES, FileError, FileLimits, FilePolicy, FilePorts, FileService, Owner,
    UploadInput,
};
use plinth_kernel::{ActingFor, Caller, OrgId, RequestMeta, SystemClock, UserId};
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

/// An organization with `owner` as its only member, stored.
async fn create_org(db: &Database, owner: UserId) -> OrgId {
    let now = chrono::Utc::now();
    let org = plinth_orgs::Organization {
        id: OrgId::new(),
        name: plinth_orgs::OrgName::parse("Quota Clinic").unwrap(),
        created_by: owner,
        created_at: now,
        updated_at: now,
        suspended_at: None,
    };
    let member = plinth_orgs::Member {
        user_id: owner,
        role: plinth_orgs::OrgRole::owner().name,
        joined_at: now,
    };
    let uow = common::uow(db);
    let mut tx = uow.begin().await.unwrap();
    db.orgs().insert(tx.as_mut(), &org, &member).await.unwrap();
    tx.commit().await.unwrap();
    org.id
}

async fn racing_uploads_store_only_what_fits(t: TestDb, org: bool) {
    let owner = create_user(&t.db).await;
    let colleague = create_user(&t.db).await;
    let (callers, quota_owner) = if org {
        let org = create_org(&t.db, owner).await;
        let acting = Some(ActingFor {
            org_id: org,
            permissions: vec![plinth_files::ORG_FILES_WRITE.to_owned()],
        });
        (
            [
                Caller::new(owner, Vec::new()).acting_for(acting.clone()),
                Caller::new(colleague, Vec::new()).acting_for(acting),
            ],
            Owner::Org(org),
        )
    } else {
        (
            [
                Caller::new(owner, Vec::new()),
                Caller::new(owner, Vec::new()),
            ],
            Owner::User(owner),
        )
    };
    let blobs = MemoryBlobStore::new();
    let replica = t.second_connection().await;
    let services = [files(&t.db, &blobs), files(&replica, &blobs)];
    let uploads = (0..6).map(|i| {
        let service = services[i % 2].clone();
        let caller = callers[i % 2].clone();
        async move {
            service
                .upload(&caller, input(60), &RequestMeta::default())
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
    assert_eq!(t.db.files().stored_bytes(quota_owner).await.unwrap(), 60);
    if org {
        assert_eq!(
            t.db.files().stored_bytes(Owner::User(owner)).await.unwrap(),
            0,
            "{}: an organization's files do not count towards its members' own quota",
            t.label
        );
    }
    assert_eq!(
        blobs.keys().len(),
        1,
        "{}: refused blobs are removed",
        t.label
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_racing_uploads_store_only_what_fits() {
    racing_uploads_store_only_what_fits(sqlite().await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_racing_uploads_of_an_organization_store_only_what_fits() {
    racing_uploads_store_only_what_fits(sqlite().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_racing_uploads_store_only_what_fits() {
    let Some(t) = postgres().await else { return };
    racing_uploads_store_only_what_fits(t, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn postgres_racing_uploads_of_an_organization_store_only_what_fits() {
    let Some(t) = postgres().await else { return };
    racing_uploads_store_only_what_fits(t, true).await;
}
