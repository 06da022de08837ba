//! The storage quota on real databases: uploads of one owner (a user, or an organization whose
//! members upload at once) racing for the last room, from two pools (two replicas), store only
//! what fits.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeSet;
use std::sync::Arc;

use common::{TestDb, create_user, postgres, sqlite};
use plinth_files::testing::{FixedQuota, MemoryBlobStore, MemoryViewers};
use plinth_files::{
    DEFAULT_MAX_AVATAR_BYTES, FileError, FileLimits, FilePolicy, FilePorts, FileService, Owner,
    UploadInput,
};
use plinth_kernel::{ActingFor, Caller, OrgId, RequestMeta, SystemClock, UserId};
use plinth_store::Database;

fn files(db: &Database, blobs: &MemoryBlobStore, viewers: &MemoryViewers) -> FileService {
    FileService::new(
        FilePorts {
            quota: Arc::new(FixedQuota(100)),
            viewers: Arc::new(viewers.clone()),
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

/// An organization with `owner` as its owner and `colleague` as a member, stored.
async fn create_org(db: &Database, owner: UserId, colleague: UserId) -> OrgId {
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
    let colleague = plinth_orgs::Member {
        user_id: colleague,
        role: plinth_orgs::OrgRoleName::parse("member").unwrap(),
        joined_at: now,
    };
    db.orgs()
        .add_member(tx.as_mut(), org.id, &colleague)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    org.id
}

/// `users` acting for `org` with `org_files:write`, as the token says and the directory
/// confirms.
fn acting(viewers: &MemoryViewers, org: OrgId, users: &[UserId]) -> Option<ActingFor> {
    let acting = ActingFor {
        org_id: org,
        permissions: vec![plinth_files::ORG_FILES_WRITE.to_owned()],
    };
    for user in users {
        viewers.set_standing(*user, org, Some(acting.clone()));
    }
    Some(acting)
}

async fn racing_uploads_store_only_what_fits(t: TestDb, org: bool) {
    let owner = create_user(&t.db).await;
    let colleague = create_user(&t.db).await;
    let viewers = MemoryViewers::new();
    let (callers, quota_owner) = if org {
        let org = create_org(&t.db, owner, colleague).await;
        let acting = acting(&viewers, org, &[owner, colleague]);
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
    let services = [
        files(&t.db, &blobs, &viewers),
        files(&replica, &blobs, &viewers),
    ];
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

/// An upload into an organization deleted since the caller's standing was checked (the check
/// is past; the token and the directory still say member) is refused and leaves nothing: the
/// organization's row is locked in the upload's transaction, and it is gone.
async fn an_upload_into_a_deleted_organization_is_refused(t: TestDb) {
    let owner = create_user(&t.db).await;
    let colleague = create_user(&t.db).await;
    let org = create_org(&t.db, owner, colleague).await;
    let viewers = MemoryViewers::new();
    let caller = Caller::new(owner, Vec::new()).acting_for(acting(&viewers, org, &[owner]));
    let uow = common::uow(&t.db);
    let mut tx = uow.begin().await.unwrap();
    t.db.orgs().delete(tx.as_mut(), org).await.unwrap();
    tx.commit().await.unwrap();
    let blobs = MemoryBlobStore::new();
    let result = files(&t.db, &blobs, &viewers)
        .upload(&caller, input(10), &RequestMeta::default())
        .await;
    assert!(
        matches!(result, Err(FileError::OrgStandingGone)),
        "{}: {result:?}",
        t.label
    );
    assert_eq!(t.db.files().stored_bytes(Owner::Org(org)).await.unwrap(), 0);
    assert!(blobs.keys().is_empty(), "{}: the blob is removed", t.label);
}

#[tokio::test]
async fn sqlite_an_upload_into_a_deleted_organization_is_refused() {
    an_upload_into_a_deleted_organization_is_refused(sqlite().await).await;
}

#[tokio::test]
async fn postgres_an_upload_into_a_deleted_organization_is_refused() {
    let Some(t) = postgres().await else { return };
    an_upload_into_a_deleted_organization_is_refused(t).await;
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
