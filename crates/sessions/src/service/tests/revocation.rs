//! Access tokens stop working once revocations are synced, without a query per request.

use plinth_kernel::Clock as _;

use super::{Harness, PASSWORD, meta};
use crate::AuthError;

#[tokio::test]
async fn a_logged_out_sessions_access_token_fails_after_the_next_sync() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    let other = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    h.auth.logout(&principal, &meta()).await.unwrap();
    assert!(
        h.auth.authenticate(&pair.access_token).is_ok(),
        "until the next sync the signature alone decides"
    );
    assert_eq!(h.auth.sync_revocations().await.unwrap(), 1);
    assert!(matches!(
        h.auth.authenticate(&pair.access_token),
        Err(AuthError::InvalidToken)
    ));
    assert!(
        h.auth.authenticate(&other.access_token).is_ok(),
        "the user's other session is untouched"
    );
}

#[tokio::test]
async fn logout_everywhere_ends_every_access_token_but_not_later_sign_ins() {
    let h = Harness::new();
    let first = h.register("ada@example.com").await;
    let principal = h.auth.authenticate(&first.access_token).unwrap();
    h.auth.logout_all(&principal, &meta()).await.unwrap();
    h.auth.sync_revocations().await.unwrap();
    assert!(h.auth.authenticate(&first.access_token).is_err());

    h.clock.advance(chrono::Duration::seconds(1));
    let later = h
        .auth
        .login("ada@example.com", PASSWORD, &meta())
        .await
        .unwrap()
        .tokens()
        .unwrap();
    h.auth.sync_revocations().await.unwrap();
    assert!(
        h.auth.authenticate(&later.access_token).is_ok(),
        "a token issued after the revocation works"
    );
}

#[tokio::test]
async fn revocations_older_than_an_access_token_are_forgotten() {
    let h = Harness::new();
    let pair = h.register("ada@example.com").await;
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    h.auth.logout(&principal, &meta()).await.unwrap();
    assert_eq!(h.auth.sync_revocations().await.unwrap(), 1);
    h.clock.advance(chrono::Duration::minutes(16));
    assert_eq!(h.auth.sync_revocations().await.unwrap(), 0);
    let stored = crate::RevocationRepository::revocations_since(
        &*h.sessions,
        h.clock.now() - chrono::Duration::days(1),
    )
    .await
    .unwrap();
    assert!(stored.is_empty(), "pruned from storage too");
}
