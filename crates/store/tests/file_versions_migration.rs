//! The `file_versions` migration gives every existing file the row of its current version and
//! `download_count` starts existing files at 0, on SQLite and PostgreSQL; both go down and up
//! again cleanly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{TestDb, create_user, fresh_postgres, fresh_sqlite};
use migration::{Migrator, MigratorTrait};
use plinth_files::{BlobKey, FileId, FileObject, FileVersion};
use sea_orm::ConnectionTrait;
use sea_orm::sea_query::{Alias, Query};

async fn backfills_existing_files(t: TestDb) {
    let db = &t.db;
    Migrator::up(db.connection(), Some(5))
        .await
        .expect("the migrations before file_versions");
    let owner = create_user(db).await;
    let now =
        chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros()).unwrap();
    let id = FileId::new();
    let file = FileObject {
        id,
        owner_id: owner,
        org_id: None,
        name: "legacy.pdf".into(),
        content_type: "application/pdf".into(),
        size: 4_321,
        sha256: "ab".repeat(32),
        version: 4,
        storage_key: BlobKey(format!("files/{owner}/{id}/v4")),
        created_at: now - chrono::Duration::days(3),
        updated_at: now,
        download_count: 0,
        signed_url_generation: 0,
    };
    // The schema of that time (no later columns), so written without today's entity.
    let insert = Query::insert()
        .into_table(Alias::new("files"))
        .columns(
            [
                "id",
                "owner_id",
                "name",
                "content_type",
                "size",
                "sha256",
                "version",
                "storage_key",
                "created_at",
                "updated_at",
            ]
            .map(Alias::new),
        )
        .values_panic([
            id.as_uuid().into(),
            owner.as_uuid().into(),
            file.name.clone().into(),
            file.content_type.clone().into(),
            4_321_i64.into(),
            file.sha256.clone().into(),
            4.into(),
            file.storage_key.0.clone().into(),
            file.created_at.into(),
            file.updated_at.into(),
        ])
        .to_owned();
    db.connection()
        .execute_raw(db.backend().build(&insert))
        .await
        .expect("insert a file row");

    db.migrate_up().await.expect("file_versions up");
    assert_eq!(
        db.files().versions(id).await.unwrap(),
        vec![FileVersion::of_current(&file)],
        "{}: the current version is recorded",
        t.label
    );

    assert_eq!(
        db.files().by_id(id).await.unwrap(),
        Some(file.clone()),
        "{}: existing files start with a download count of 0",
        t.label
    );

    db.migrate_down().await.expect("download_count down");
    db.migrate_down().await.expect("file_versions down");
    db.migrate_up().await.expect("up again");
    assert_eq!(
        db.files().by_id(id).await.unwrap(),
        Some(file.clone()),
        "{}: down and up keep the files",
        t.label
    );
    assert_eq!(
        db.files().versions(id).await.unwrap().len(),
        1,
        "{}",
        t.label
    );
}

#[tokio::test]
async fn sqlite_backfills_existing_files() {
    backfills_existing_files(fresh_sqlite().await).await;
}

#[tokio::test]
async fn postgres_backfills_existing_files() {
    let Some(t) = fresh_postgres().await else {
        return;
    };
    backfills_existing_files(t).await;
}
