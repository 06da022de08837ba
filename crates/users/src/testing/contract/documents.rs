//! The app-data document: stored, versioned, written only over the version the writer saw.

use chrono::SubsecRound;
use plinth_kernel::UnitOfWork;

use super::{insert, sample};
use crate::{AppData, UserStorage};

pub(super) async fn app_data_is_written_only_over_the_expected_version(
    repo: &dyn UserStorage,
    uow: &dyn UnitOfWork,
) {
    let user = sample("documents");
    insert(repo, uow, &[&user]).await;
    assert_eq!(
        repo.app_data(user.id).await.expect("read"),
        None,
        "none yet"
    );
    let now = chrono::Utc::now().trunc_subsecs(6);
    let first = AppData::new(user.id, r#"{"theme":"dark"}"#.into(), now);
    let second = AppData::new(user.id, r#"{"theme":"light"}"#.into(), now);

    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.put_app_data(tx.as_mut(), &first, None)
            .await
            .expect("put"),
        "the first document is stored"
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        repo.app_data(user.id).await.expect("read"),
        Some(first.clone())
    );

    let mut tx = uow.begin().await.expect("begin");
    assert!(
        !repo
            .put_app_data(tx.as_mut(), &second, None)
            .await
            .expect("put"),
        "expecting no document when one exists writes nothing"
    );
    assert!(
        !repo
            .put_app_data(tx.as_mut(), &second, Some(&second.etag))
            .await
            .expect("put"),
        "a stale version writes nothing"
    );
    drop(tx);
    assert_eq!(
        repo.app_data(user.id).await.expect("read"),
        Some(first.clone())
    );

    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.put_app_data(tx.as_mut(), &second, Some(&first.etag))
            .await
            .expect("put"),
        "the current version is replaced"
    );
    drop(tx);
    assert_eq!(
        repo.app_data(user.id).await.expect("read"),
        Some(first.clone()),
        "a dropped transaction changes nothing"
    );
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.put_app_data(tx.as_mut(), &second, Some(&first.etag))
            .await
            .expect("put")
    );
    tx.commit().await.expect("commit");
    assert_eq!(repo.app_data(user.id).await.expect("read"), Some(second));
}
