//! The contract of [`IdentityRepository`]: social sign-in flows (spent once, finished, their
//! code redeemed once) and linked identities (unique per provider and subject).

use std::sync::Arc;

use chrono::Duration;
use plinth_kernel::{RepoError, UnitOfWork, UserId};

use super::now;
use crate::{
    FlowOutcome, IdentityRepository, NonceHash, OAuthFlow, OAuthFlowId, OneTimeToken, UserIdentity,
    UserIdentityId,
};

fn flow(link: Option<UserId>, ttl: Duration) -> OAuthFlow {
    let at = now();
    OAuthFlow {
        id: OAuthFlowId::new(),
        provider: "acme".into(),
        state_hash: OneTimeToken::generate().expect("random").hash(),
        nonce_hash: NonceHash::of("nonce"),
        redirect_to: "https://app.example.com/after?x=1".into(),
        link_user_id: link,
        browser_hash: Some(OneTimeToken::generate().expect("random").hash()),
        created_at: at,
        expires_at: at + ttl,
        used_at: None,
        code_hash: None,
        outcome: None,
        exchanged_at: None,
    }
}

fn identity(user_id: UserId, subject: &str) -> UserIdentity {
    UserIdentity {
        id: UserIdentityId::new(),
        user_id,
        provider: "acme".into(),
        subject: subject.into(),
        email: Some("ada@example.com".into()),
        created_at: now(),
        signup_password_hash: Some("$2b$04$unknown".into()),
    }
}

async fn insert_flow(repo: &dyn IdentityRepository, uow: &dyn UnitOfWork, flow: &OAuthFlow) {
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_flow(tx.as_mut(), flow)
        .await
        .expect("insert_flow");
    tx.commit().await.expect("commit");
}

async fn spend(
    repo: &dyn IdentityRepository,
    uow: &dyn UnitOfWork,
    flow: &OAuthFlow,
) -> Option<OAuthFlow> {
    let mut tx = uow.begin().await.expect("begin");
    let spent = repo
        .spend_flow(tx.as_mut(), &flow.state_hash, now())
        .await
        .expect("spend_flow");
    tx.commit().await.expect("commit");
    spent
}

/// A flow is spent once, not after its expiry; a finished flow's code is redeemed once and
/// carries its outcome.
pub(super) async fn flows_are_spent_finished_and_redeemed_once(
    repo: &dyn IdentityRepository,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    let open = flow(Some(user_id), Duration::minutes(10));
    insert_flow(repo, uow, &open).await;
    let mut tx = uow.begin().await.expect("begin");
    let again = repo.insert_flow(tx.as_mut(), &open).await;
    assert!(
        matches!(again, Err(RepoError::Duplicate { .. })),
        "a state stored twice is a Duplicate: {again:?}"
    );
    drop(tx);
    let spent = spend(repo, uow, &open)
        .await
        .expect("an open flow is spent");
    assert_eq!(spent.id, open.id);
    assert_eq!(spent.link_user_id, Some(user_id));
    assert_eq!(spent.redirect_to, open.redirect_to);
    assert_eq!(spent.nonce_hash, open.nonce_hash);
    assert_eq!(spent.browser_hash, open.browser_hash);
    assert!(spent.used_at.is_some());
    assert!(spend(repo, uow, &open).await.is_none(), "spent once only");

    let expired = flow(None, Duration::seconds(-1));
    insert_flow(repo, uow, &expired).await;
    assert!(
        spend(repo, uow, &expired).await.is_none(),
        "an expired flow is not spent"
    );

    for outcome in [
        FlowOutcome::SignIn(user_id),
        FlowOutcome::Refused("oauth_account_exists".into()),
    ] {
        let finished = flow(None, Duration::minutes(10));
        insert_flow(repo, uow, &finished).await;
        let code = OneTimeToken::generate().expect("random");
        let mut tx = uow.begin().await.expect("begin");
        repo.finish_flow(
            tx.as_mut(),
            finished.id,
            &code.hash(),
            &outcome,
            now() + Duration::minutes(2),
        )
        .await
        .expect("finish_flow");
        tx.commit().await.expect("commit");
        let mut tx = uow.begin().await.expect("begin");
        let redeemed = repo
            .redeem_code(tx.as_mut(), &code.hash(), now())
            .await
            .expect("redeem_code");
        let twice = repo
            .redeem_code(tx.as_mut(), &code.hash(), now())
            .await
            .expect("redeem_code");
        tx.commit().await.expect("commit");
        let redeemed = redeemed.expect("a finished flow's code is redeemed");
        assert_eq!(redeemed.outcome, Some(outcome));
        assert!(redeemed.exchanged_at.is_some());
        assert!(twice.is_none(), "a code is redeemed once");
        let next = flow(None, Duration::minutes(10));
        insert_flow(repo, uow, &next).await;
        let mut tx = uow.begin().await.expect("begin");
        let late = OneTimeToken::generate().expect("random");
        repo.finish_flow(
            tx.as_mut(),
            next.id,
            &late.hash(),
            &FlowOutcome::SignIn(user_id),
            now() - Duration::seconds(1),
        )
        .await
        .expect("finish_flow");
        let expired = repo
            .redeem_code(tx.as_mut(), &late.hash(), now())
            .await
            .expect("redeem_code");
        assert!(expired.is_none(), "an expired code is not redeemed");
        tx.commit().await.expect("commit");
    }

    // Pruning deletes flows that expired before the cut-off, and only those.
    let old = flow(None, Duration::days(-2));
    insert_flow(repo, uow, &old).await;
    let fresh = flow(None, Duration::minutes(10));
    insert_flow(repo, uow, &fresh).await;
    let mut tx = uow.begin().await.expect("begin");
    let pruned = repo
        .prune_flows(tx.as_mut(), now() - Duration::days(1))
        .await
        .expect("prune_flows");
    tx.commit().await.expect("commit");
    assert!(pruned >= 1, "the old flow is pruned");
    assert!(
        spend(repo, uow, &fresh).await.is_some(),
        "a fresh flow is kept"
    );
    let mut tx = uow.begin().await.expect("begin");
    let none = repo
        .prune_flows(tx.as_mut(), now() - Duration::days(1))
        .await
        .expect("prune_flows");
    assert_eq!(none, 0, "nothing older is left");
    drop(tx);

    let mut tx = uow.begin().await.expect("begin");
    let missing = repo
        .finish_flow(
            tx.as_mut(),
            OAuthFlowId::new(),
            &OneTimeToken::generate().expect("random").hash(),
            &FlowOutcome::SignIn(user_id),
            now(),
        )
        .await;
    assert!(
        matches!(missing, Err(RepoError::NotFound)),
        "finishing an unknown flow is NotFound: {missing:?}"
    );
}

/// Of concurrent callbacks with one state, exactly one spends the flow.
pub(super) async fn concurrent_spends_have_one_winner(
    repo: Arc<dyn IdentityRepository>,
    uow: Arc<dyn UnitOfWork>,
) {
    let open = flow(None, Duration::minutes(10));
    insert_flow(&*repo, &*uow, &open).await;
    let mut tasks = Vec::new();
    for _ in 0..6 {
        let (repo, uow, open) = (Arc::clone(&repo), Arc::clone(&uow), open.clone());
        tasks.push(tokio::spawn(async move {
            spend(&*repo, &*uow, &open).await.is_some()
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
        "exactly one concurrent callback spends the flow"
    );
}

/// Identities are unique per provider and subject, listed per user oldest first, unlinked only
/// by their user, and a dropped transaction stores nothing.
pub(super) async fn identities_are_unique_listed_and_unlinked(
    repo: &dyn IdentityRepository,
    uow: &dyn UnitOfWork,
    user_id: UserId,
    other_id: UserId,
) {
    let subject = format!("subject-{}", uuid::Uuid::now_v7().simple());
    let first = identity(user_id, &subject);
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_identity(tx.as_mut(), &first)
        .await
        .expect("insert_identity");
    tx.commit().await.expect("commit");
    let found = repo
        .identity("acme", &subject)
        .await
        .expect("identity")
        .expect("the linked identity is found");
    assert_eq!(found.id, first.id);
    assert_eq!(found.user_id, user_id);
    assert_eq!(found.email.as_deref(), Some("ada@example.com"));
    assert_eq!(found.signup_password_hash, first.signup_password_hash);
    assert!(
        repo.identity("other", &subject)
            .await
            .expect("identity")
            .is_none(),
        "per provider"
    );

    let mut tx = uow.begin().await.expect("begin");
    let taken = repo
        .insert_identity(tx.as_mut(), &identity(other_id, &subject))
        .await;
    assert!(
        matches!(taken, Err(RepoError::Duplicate { .. })),
        "(provider, subject) is unique across accounts: {taken:?}"
    );
    drop(tx);

    let second = UserIdentity {
        created_at: first.created_at + Duration::seconds(1),
        ..identity(user_id, &format!("{subject}-2"))
    };
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_identity(tx.as_mut(), &second)
        .await
        .expect("insert_identity");
    drop(tx);
    assert_eq!(
        repo.identities_of(user_id).await.expect("list").len(),
        1,
        "a dropped transaction stores nothing"
    );
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_identity(tx.as_mut(), &second)
        .await
        .expect("insert_identity");
    tx.commit().await.expect("commit");
    let ids: Vec<_> = repo
        .identities_of(user_id)
        .await
        .expect("list")
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, [first.id, second.id], "oldest first");

    let mut tx = uow.begin().await.expect("begin");
    assert!(
        !repo
            .delete_identity(tx.as_mut(), other_id, first.id)
            .await
            .expect("delete"),
        "another user's identity is not deleted"
    );
    assert!(
        repo.delete_identity(tx.as_mut(), user_id, first.id)
            .await
            .expect("delete")
    );
    tx.commit().await.expect("commit");
    let ids: Vec<_> = repo
        .identities_of(user_id)
        .await
        .expect("list")
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids, [second.id]);
}
