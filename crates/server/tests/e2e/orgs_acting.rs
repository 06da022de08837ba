//! Acting for an organization on the real store and signer, with two replicas on one database
//! (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): the claims another service reads with the
//! JWKS alone, and a removal on one replica ending the member's organization token on the
//! other within `REVOCATION_SYNC_INTERVAL`.

use std::time::{Duration, Instant};

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, start_binary_with};
use crate::orgs::{Account, account, add_member, create};

/// The claims of `token`, checked with nothing but the app's published key set.
async fn verified_claims(app: &TestApp, token: &str) -> Value {
    let jwks: Value = app
        .client
        .get(app.url("/.well-known/jwks.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let key = DecodingKey::from_ed_components(jwks["keys"][0]["x"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_audience(&["plinth"]);
    jsonwebtoken::decode::<Value>(token, &key, &validation)
        .unwrap()
        .claims
}

#[tokio::test]
async fn a_removal_on_one_replica_ends_the_organization_token_on_the_other() {
    let a = spawn_app().await;
    let b = start_binary_with(
        a.storage_dir.parent().unwrap(),
        &a.database_url,
        &a.storage_dir,
        &[("REVOCATION_SYNC_INTERVAL", "1s")],
        std::process::Stdio::null(),
    )
    .await;
    let ada = account(&a).await;
    let (_, pair) = a.register_user().await;
    let bob = Account {
        token: pair["access_token"].as_str().unwrap().to_owned(),
        id: plinth_kernel::UserId::from_uuid(pair["user"]["id"].as_str().unwrap().parse().unwrap()),
    };
    let org = create(&a, &ada, "Northwind Dental").await;
    add_member(&a, &org, &bob, "member").await;

    let res = a
        .post_json(
            "/api/v1/auth/org",
            &json!({ "org_id": org }),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let acting = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let claims = verified_claims(&a, &acting).await;
    assert_eq!(claims["org"], org.as_str());
    let perms = claims["org_perms"].as_array().unwrap();
    assert!(
        perms.contains(&json!("org_files:read")) && !perms.contains(&json!("members:write")),
        "a member's organization permissions: {claims}"
    );
    assert_eq!(claims["sub"], bob.id.to_string());

    let me_on_b = |token: String| {
        let (client, url) = (a.client.clone(), format!("{}/api/v1/me", b.address));
        async move {
            client
                .get(url)
                .bearer_auth(token)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(me_on_b(acting.clone()).await, StatusCode::OK);

    // Revocations have one-second granularity: the removal comes a second after the token.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = a
        .client
        .delete(a.url(&format!("/api/v1/orgs/{org}/members/{}", bob.id)))
        .bearer_auth(&ada.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let removed = Instant::now();
    let deadline = removed + Duration::from_secs(10);
    while me_on_b(acting.clone()).await != StatusCode::UNAUTHORIZED {
        assert!(
            Instant::now() < deadline,
            "replica B still accepts the organization token 10 s after the removal"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    eprintln!(
        "organization token refused by the other replica after {:?}",
        removed.elapsed()
    );
    assert_eq!(
        me_on_b(bob.token.clone()).await,
        StatusCode::OK,
        "his own token, acting for nobody, still works on B"
    );

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let res = a
        .client
        .post(format!("{}/api/v1/auth/refresh", b.address))
        .json(&json!({ "refresh_token": pair["refresh_token"] }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let refreshed: Value = res.json().await.unwrap();
    assert_eq!(
        refreshed["org_id"],
        Value::Null,
        "B's refresh drops the organization"
    );
    let claims = verified_claims(&a, refreshed["access_token"].as_str().unwrap()).await;
    assert!(claims.get("org").is_none(), "{claims}");
}
