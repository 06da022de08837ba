//! What the store promises beyond the port contracts: SQLite set-up, secrets kept out of
//! errors, error mapping, foreign keys, LIKE escaping and corrupt rows. SQLite always,
//! PostgreSQL when `TEST_DATABASE_URL` is set.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;

use common::{TestDb, create_user, postgres, sample_user, sqlite};
use plinth_kernel::testing::MemoryUnitOfWork;
use plinth_kernel::{PageRequest, RepoError, UnitOfWork};
use plinth_sessions::{RefreshToken, RefreshTokenRecord, Session, SessionId};
use plinth_store::{Database, StoreError};
use plinth_users::{DisplayName, UserFilter};
use sea_orm::{ConnectionTrait, Statement};

async fn pragma(db: &Database, name: &str) -> String {
    let row = db
        .connection()
        .query_one_raw(Statement::from_string(
            db.backend(),
            format!("PRAGMA {name}"),
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0)
        .map(|v| v.to_string())
        .or_else(|_| row.try_get_by_index::<String>(0))
        .unwrap()
}

#[tokio::test]
async fn sqlite_creates_missing_folders_and_opens_durably() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("deep/er/plinth.db");
    let db = Database::connect(&format!("sqlite://{}", file.display()), 3)
        .await
        .expect("connect");
    assert!(file.exists(), "the file and its folders are created");
    assert_eq!(pragma(&db, "journal_mode").await, "wal");
    assert_eq!(pragma(&db, "foreign_keys").await, "1");
    assert_eq!(pragma(&db, "synchronous").await, "2", "FULL");
    assert_eq!(pragma(&db, "busy_timeout").await, "5000");
    db.ping().await.expect("ping");
}

#[tokio::test]
async fn connection_errors_never_show_the_password() {
    let err = Database::connect("postgres://plinth:hunter2-Secret@127.0.0.1:1/plinth", 1)
        .await
        .unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(matches!(err, StoreError::Connect { .. }), "{text}");
    assert!(!text.contains("hunter2-Secret"), "{text}");
    assert!(
        text.contains("postgres://plinth:***@127.0.0.1:1/plinth"),
        "names the server: {text}"
    );
    let err = Database::connect("mysql://root:hunter2-Secret@db/x", 1)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::InvalidUrl { .. }));
    assert!(!format!("{err} {err:?}").contains("hunter2-Secret"));
    let t = sqlite().await;
    let debug = format!("{:?}", t.db);
    assert!(
        debug.starts_with("Database") && debug.contains("sqlite://") && debug.contains("plinth.db"),
        "Debug names the database: {debug}"
    );
}

async fn closed_database_is_unavailable(t: TestDb) {
    t.db.ping().await.expect("ping");
    let users = t.db.users();
    t.db.close().await.unwrap();
    assert!(
        t.db.ping().await.is_err(),
        "{}: ping fails once closed",
        t.label
    );
    let read = users.by_id(plinth_kernel::UserId::new()).await;
    assert!(
        matches!(read, Err(RepoError::Unavailable(_))),
        "{}: {read:?}",
        t.label
    );
    let begin = t.db.unit_of_work().begin().await;
    assert!(
        matches!(begin, Err(RepoError::Unavailable(_))),
        "{}: begin on a closed pool",
        t.label
    );
}

async fn foreign_transactions_are_refused(t: TestDb) {
    let memory = MemoryUnitOfWork::new();
    let mut tx = memory.begin().await.unwrap();
    let result = t.db.users().insert(tx.as_mut(), &sample_user()).await;
    assert!(
        matches!(result, Err(RepoError::Internal(_))),
        "{}: {result:?}",
        t.label
    );
}

async fn deleting_a_user_cascades(t: TestDb) {
    let user = create_user(&t.db).await;
    let now = chrono::Utc::now();
    let session = Session {
        id: SessionId::new(),
        user_id: user,
        created_at: now,
        last_used_at: now,
        expires_at: now + chrono::Duration::days(1),
        revoked_at: None,
        ip: None,
        user_agent: None,
        org_id: None,
    };
    let token = RefreshToken::generate().unwrap();
    let record = RefreshTokenRecord {
        hash: token.hash(),
        session_id: session.id,
        issued_at: now,
        expires_at: session.expires_at,
        spent_at: None,
        replaced_by: None,
    };
    let uow = t.db.unit_of_work();
    let mut tx = uow.begin().await.unwrap();
    t.db.sessions()
        .insert_session(tx.as_mut(), &session)
        .await
        .unwrap();
    t.db.sessions()
        .insert_refresh(tx.as_mut(), &record)
        .await
        .unwrap();
    let dup = t.db.sessions().insert_refresh(tx.as_mut(), &record).await;
    match dup {
        Err(RepoError::Duplicate { constraint }) => {
            assert_eq!(constraint, "refresh_tokens.hash", "{}", t.label)
        }
        other => panic!("{}: {other:?}", t.label),
    }
    drop(tx);
    let mut tx = uow.begin().await.unwrap();
    t.db.sessions()
        .insert_session(tx.as_mut(), &session)
        .await
        .unwrap();
    t.db.sessions()
        .insert_refresh(tx.as_mut(), &record)
        .await
        .unwrap();
    tx.commit().await.unwrap();

    let orphan = Session {
        id: SessionId::new(),
        user_id: plinth_kernel::UserId::new(),
        ..session.clone()
    };
    let mut tx = uow.begin().await.unwrap();
    let refused = t.db.sessions().insert_session(tx.as_mut(), &orphan).await;
    assert!(
        matches!(refused, Err(RepoError::NotFound)),
        "{}: foreign keys are enforced, and a missing parent is NotFound (a 404, not a 500): {refused:?}",
        t.label
    );
    drop(tx);

    let mut tx = uow.begin().await.unwrap();
    t.db.users().delete(tx.as_mut(), user).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(
        t.db.sessions().session(session.id).await.unwrap(),
        None,
        "{}: sessions go with the user",
        t.label
    );
    assert_eq!(
        t.db.sessions().refresh_by_hash(&record.hash).await.unwrap(),
        None,
        "{}: and their tokens",
        t.label
    );
}

async fn like_wildcards_are_literal(t: TestDb) {
    let tag = uuid::Uuid::now_v7().simple().to_string();
    let uow = t.db.unit_of_work();
    let mut literal = sample_user();
    literal.name = DisplayName::parse(&format!("{tag} 100%_Sure!")).unwrap();
    let mut lookalike = sample_user();
    lookalike.name = DisplayName::parse(&format!("{tag} 1000xSure")).unwrap();
    let mut tx = uow.begin().await.unwrap();
    t.db.users().insert(tx.as_mut(), &literal).await.unwrap();
    t.db.users().insert(tx.as_mut(), &lookalike).await.unwrap();
    tx.commit().await.unwrap();
    for q in ["0%_s", "%_SURE!", "100%"] {
        let filter = UserFilter {
            q: Some(q.into()),
            ..UserFilter::default()
        };
        let found: Vec<_> =
            t.db.users()
                .list(&filter, PageRequest::first(100))
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|u| u.id)
                .collect();
        assert_eq!(
            found,
            vec![literal.id],
            "{}: q={q:?} matches literally",
            t.label
        );
    }
}

async fn corrupt_rows_are_internal_errors(t: TestDb) {
    let user = create_user(&t.db).await;
    let sql = |s: &str| Statement::from_string(t.db.backend(), s.to_owned());
    t.db.connection()
        .execute_raw(sql("UPDATE users SET status = 'frozen'"))
        .await
        .unwrap();
    let read = t.db.users().by_id(user).await;
    assert!(
        matches!(read, Err(RepoError::Internal(_))),
        "{}: unknown status: {read:?}",
        t.label
    );
    let listed =
        t.db.users()
            .list(&UserFilter::default(), PageRequest::first(10))
            .await;
    assert!(
        matches!(listed, Err(RepoError::Internal(_))),
        "{}: {listed:?}",
        t.label
    );
}

async fn all(t: TestDb, second: TestDb, third: TestDb, fourth: TestDb, fifth: TestDb) {
    foreign_transactions_are_refused(t).await;
    deleting_a_user_cascades(second).await;
    like_wildcards_are_literal(third).await;
    corrupt_rows_are_internal_errors(fourth).await;
    closed_database_is_unavailable(fifth).await;
}

#[tokio::test]
async fn sqlite_adapter_behaviour() {
    all(
        sqlite().await,
        sqlite().await,
        sqlite().await,
        sqlite().await,
        sqlite().await,
    )
    .await;
}

#[tokio::test]
async fn postgres_adapter_behaviour() {
    let dbs = [
        postgres().await,
        postgres().await,
        postgres().await,
        postgres().await,
        postgres().await,
    ];
    let [Some(a), Some(b), Some(c), Some(d), Some(e)] = dbs else {
        return;
    };
    all(a, b, c, d, e).await;
}

#[tokio::test]
async fn a_shared_unit_of_work_is_usable_from_many_tasks() {
    let t = sqlite().await;
    let uow: Arc<dyn UnitOfWork> = t.db.unit_of_work();
    let tasks: Vec<_> = (0..6)
        .map(|_| {
            let (uow, users) = (Arc::clone(&uow), t.db.users());
            tokio::spawn(async move {
                let mut tx = uow.begin().await?;
                users.insert(tx.as_mut(), &sample_user()).await?;
                tx.commit().await
            })
        })
        .collect();
    for task in tasks {
        task.await
            .unwrap()
            .expect("concurrent writers queue instead of failing");
    }
}
