//! Two replicas on one database: a session ended on one stops working on the other within
//! `REVOCATION_SYNC_INTERVAL`, with no database query per request.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use crate::helpers::{spawn_app, start_binary_with};

#[tokio::test]
async fn a_logout_on_one_replica_ends_the_access_token_on_another_within_the_sync_interval() {
    let a = spawn_app().await;
    let b = start_binary_with(
        a.storage_dir.parent().unwrap(),
        &a.database_url,
        &a.storage_dir,
        &[("REVOCATION_SYNC_INTERVAL", "1s")],
        std::process::Stdio::null(),
    )
    .await;
    let (_, pair) = a.register_user().await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let me = |address: String| {
        let token = token.clone();
        let client = a.client.clone();
        async move {
            client
                .get(format!("{address}/api/v1/me"))
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        me(b.address.clone()).await,
        StatusCode::OK,
        "replica B accepts it"
    );

    let res = a
        .client
        .post(a.url("/api/v1/auth/logout"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let ended = Instant::now();
    let deadline = ended + Duration::from_secs(10);
    loop {
        if me(b.address.clone()).await == StatusCode::UNAUTHORIZED {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "replica B still accepts the token 10 s after the logout"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let took = ended.elapsed();
    // The bound is one sync interval (1 s) plus one query; the 10 s deadline above leaves a
    // loaded CI machine slack. The figure is reported, not asserted.
    eprintln!("revoked access token refused by the other replica after {took:?}");
}
