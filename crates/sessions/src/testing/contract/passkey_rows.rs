//! The contract of [`PasskeyRepository`]: WebAuthn ceremonies (spent once, for their own
//! purpose, never after expiry, pruned) and passkeys (unique per credential id, changed and
//! removed only by their owner).

use std::sync::Arc;

use chrono::Duration;
use plinth_kernel::{RepoError, UnitOfWork, UserId};

use super::now;
use crate::{
    CeremonyPurpose, OneTimeToken, Passkey, PasskeyCeremony, PasskeyCeremonyId, PasskeyId,
    PasskeyName, PasskeyRepository,
};

fn ceremony(purpose: CeremonyPurpose, user: Option<UserId>, ttl: Duration) -> PasskeyCeremony {
    let at = now();
    PasskeyCeremony {
        id: PasskeyCeremonyId::new(),
        token_hash: OneTimeToken::generate().expect("random").hash(),
        purpose,
        user_id: user,
        state: r#"{"challenge":"c2FsdA"}"#.into(),
        created_at: at,
        expires_at: at + ttl,
        used_at: None,
    }
}

fn passkey(user_id: UserId, credential_id: &str) -> Passkey {
    Passkey {
        id: PasskeyId::new(),
        user_id,
        credential_id: credential_id.into(),
        credential: r#"{"cred":"opaque"}"#.into(),
        name: "Laptop (Ünïcode)".into(),
        created_at: now(),
        last_used_at: None,
    }
}

async fn insert_ceremony(repo: &dyn PasskeyRepository, uow: &dyn UnitOfWork, c: &PasskeyCeremony) {
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_ceremony(tx.as_mut(), c)
        .await
        .expect("insert_ceremony");
    tx.commit().await.expect("commit");
}

async fn spend(
    repo: &dyn PasskeyRepository,
    uow: &dyn UnitOfWork,
    c: &PasskeyCeremony,
    purpose: CeremonyPurpose,
) -> Option<PasskeyCeremony> {
    let mut tx = uow.begin().await.expect("begin");
    let spent = repo
        .spend_ceremony(tx.as_mut(), &c.token_hash, purpose, now())
        .await
        .expect("spend_ceremony");
    tx.commit().await.expect("commit");
    spent
}

/// A ceremony is spent once, only for its purpose, never after its expiry, and not when the
/// spending transaction rolls back; expired ones are pruned.
pub(super) async fn ceremonies_are_spent_once_for_their_purpose(
    repo: &dyn PasskeyRepository,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let open = ceremony(
        CeremonyPurpose::Register,
        Some(user_id),
        Duration::minutes(5),
    );
    insert_ceremony(repo, uow, &open).await;
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        matches!(
            repo.insert_ceremony(tx.as_mut(), &open).await,
            Err(RepoError::Duplicate { .. })
        ),
        "a token hash is stored once"
    );
    drop(tx);
    assert!(
        spend(repo, uow, &open, CeremonyPurpose::SignIn)
            .await
            .is_none(),
        "a ceremony is not spent for another purpose"
    );
    let mut tx = uow.begin().await.expect("begin");
    let rolled = repo
        .spend_ceremony(
            tx.as_mut(),
            &open.token_hash,
            CeremonyPurpose::Register,
            now(),
        )
        .await
        .expect("spend_ceremony");
    assert!(rolled.is_some());
    drop(tx);
    let spent = spend(repo, uow, &open, CeremonyPurpose::Register)
        .await
        .expect("a rolled-back spend leaves the ceremony open");
    assert_eq!(spent.id, open.id);
    assert_eq!(spent.user_id, Some(user_id));
    assert_eq!(spent.state, open.state);
    assert!(spent.used_at.is_some(), "the spend is recorded");
    assert!(
        spend(repo, uow, &open, CeremonyPurpose::Register)
            .await
            .is_none(),
        "a ceremony is spent once"
    );

    let expired = ceremony(CeremonyPurpose::SignIn, None, Duration::seconds(-1));
    insert_ceremony(repo, uow, &expired).await;
    assert!(
        spend(repo, uow, &expired, CeremonyPurpose::SignIn)
            .await
            .is_none(),
        "an expired ceremony is not spent"
    );
    let mut tx = uow.begin().await.expect("begin");
    let pruned = repo
        .prune_ceremonies(tx.as_mut(), now())
        .await
        .expect("prune_ceremonies");
    tx.commit().await.expect("commit");
    assert!(pruned >= 1, "expired ceremonies are pruned");
}

/// Of many concurrent finishes of one ceremony, exactly one spends it.
pub(super) async fn concurrent_spends_have_one_winner(
    repo: Arc<dyn PasskeyRepository>,
    uow: Arc<dyn UnitOfWork>,
) {
    let open = ceremony(CeremonyPurpose::SignIn, None, Duration::minutes(5));
    insert_ceremony(&*repo, &*uow, &open).await;
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let (repo, uow, open) = (Arc::clone(&repo), Arc::clone(&uow), open.clone());
        tasks.push(tokio::spawn(async move {
            spend(&*repo, &*uow, &open, CeremonyPurpose::SignIn)
                .await
                .is_some()
        }));
    }
    let mut winners = 0;
    for task in tasks {
        if task.await.expect("task") {
            winners += 1;
        }
    }
    assert_eq!(
        winners, 1,
        "exactly one concurrent finish spends a ceremony"
    );
}

/// Passkeys are unique per credential id, listed per owner oldest first, found by credential
/// id, and renamed or removed only by their owner.
pub(super) async fn passkeys_are_unique_listed_renamed_and_removed(
    repo: &dyn PasskeyRepository,
    uow: &dyn UnitOfWork,
    user_id: UserId,
    other_id: UserId,
) {
    let suffix = OneTimeToken::generate().expect("random").hash().0;
    let first = passkey(user_id, &format!("cred-a-{suffix}"));
    let mut second = passkey(user_id, &format!("cred-b-{suffix}"));
    second.created_at = first.created_at + Duration::seconds(1);
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_passkey(tx.as_mut(), &first)
        .await
        .expect("insert");
    repo.insert_passkey(tx.as_mut(), &second)
        .await
        .expect("insert");
    tx.commit().await.expect("commit");

    let mut tx = uow.begin().await.expect("begin");
    let taken = passkey(other_id, &first.credential_id);
    assert!(
        matches!(
            repo.insert_passkey(tx.as_mut(), &taken).await,
            Err(RepoError::Duplicate { .. })
        ),
        "a credential id is registered once, whoever asks"
    );
    drop(tx);

    let mine = repo.passkeys_of(user_id).await.expect("passkeys_of");
    assert_eq!(mine, vec![first.clone(), second.clone()], "oldest first");
    assert!(
        repo.passkeys_of(other_id)
            .await
            .expect("passkeys_of")
            .is_empty()
    );
    assert_eq!(
        repo.passkey_by_credential(&second.credential_id)
            .await
            .expect("by credential"),
        Some(second.clone())
    );
    assert_eq!(
        repo.passkey_by_credential("no-such-credential")
            .await
            .expect("by credential"),
        None
    );

    let used_at = now();
    let mut tx = uow.begin().await.expect("begin");
    repo.record_passkey_use(tx.as_mut(), first.id, Some(r#"{"cred":"moved"}"#), used_at)
        .await
        .expect("record use");
    repo.record_passkey_use(tx.as_mut(), second.id, None, used_at)
        .await
        .expect("record use");
    assert!(matches!(
        repo.record_passkey_use(tx.as_mut(), PasskeyId::new(), None, used_at)
            .await,
        Err(RepoError::NotFound)
    ));
    let name = PasskeyName::parse("Phone").expect("name");
    assert!(
        !repo
            .rename_passkey(tx.as_mut(), other_id, first.id, &name)
            .await
            .expect("rename"),
        "another user cannot rename it"
    );
    assert!(
        repo.rename_passkey(tx.as_mut(), user_id, first.id, &name)
            .await
            .expect("rename")
    );
    assert!(
        !repo
            .delete_passkey(tx.as_mut(), other_id, second.id)
            .await
            .expect("delete"),
        "another user cannot remove it"
    );
    tx.commit().await.expect("commit");
    let mine = repo.passkeys_of(user_id).await.expect("passkeys_of");
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].name, "Phone");
    assert_eq!(mine[0].credential, r#"{"cred":"moved"}"#);
    assert_eq!(mine[0].last_used_at, Some(used_at));
    assert_eq!(mine[1].credential, second.credential, "kept when not given");
    assert_eq!(mine[1].last_used_at, Some(used_at));

    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.delete_passkey(tx.as_mut(), user_id, second.id)
            .await
            .expect("delete")
    );
    drop(tx);
    assert_eq!(
        repo.passkeys_of(user_id).await.expect("passkeys_of").len(),
        2,
        "a removal rolls back with its transaction"
    );
    let mut tx = uow.begin().await.expect("begin");
    assert!(
        repo.delete_passkey(tx.as_mut(), user_id, second.id)
            .await
            .expect("delete")
    );
    tx.commit().await.expect("commit");
    assert_eq!(
        repo.passkeys_of(user_id).await.expect("passkeys_of"),
        vec![mine[0].clone()]
    );
}
