//! Tokens other services can verify: the key set and the discovery document of a running app,
//! and an access token checked with nothing but them (on SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`).

use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::Value;

use crate::helpers::{TestApp, spawn_app, spawn_app_with};

async fn get_json(app: &TestApp, path: &str) -> Value {
    let res = app.client.get(app.url(path)).send().await.unwrap();
    assert_eq!(res.status(), StatusCode::OK, "{path}");
    assert_eq!(res.headers()["cache-control"], "public, max-age=300");
    res.json().await.unwrap()
}

#[tokio::test]
async fn an_access_token_verifies_with_the_published_key_alone() {
    let app = spawn_app().await;
    let discovery = get_json(&app, "/.well-known/openid-configuration").await;
    let issuer = discovery["issuer"].as_str().unwrap().to_owned();
    assert_eq!(
        discovery["jwks_uri"],
        format!("{issuer}/.well-known/jwks.json")
    );
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["EdDSA"])
    );
    let jwks = get_json(&app, "/.well-known/jwks.json").await;
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    let key = &keys[0];
    assert_eq!(
        (&key["kty"], &key["crv"], &key["alg"], &key["use"]),
        (
            &Value::from("OKP"),
            &Value::from("Ed25519"),
            &Value::from("EdDSA"),
            &Value::from("sig")
        )
    );

    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    let header = jsonwebtoken::decode_header(token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    assert_eq!(header.kid.as_deref(), key["kid"].as_str());
    let public = DecodingKey::from_ed_components(key["x"].as_str().unwrap()).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[issuer.as_str()]);
    validation.set_audience(&["plinth"]);
    let claims = jsonwebtoken::decode::<Value>(token, &public, &validation)
        .unwrap()
        .claims;
    assert_eq!(claims["sub"], pair["user"]["id"]);

    // A restart (or another replica) with the same JWT_SECRET publishes the same key.
    let again = spawn_app().await;
    assert_eq!(get_json(&again, "/.well-known/jwks.json").await, jwks);
}

#[tokio::test]
async fn a_rotation_publishes_both_keys_and_hs256_publishes_none() {
    let before = spawn_app().await;
    let old = get_json(&before, "/.well-known/jwks.json").await["keys"][0].clone();
    let rotating = spawn_app_with(|s| {
        let old_secret = s.auth.jwt_secret.clone();
        s.auth.jwt_secret =
            SecretString::from("a-new-jwt-secret-for-the-rotation-drill-0123456789");
        s.auth.jwt_previous_secret = Some(old_secret);
    })
    .await;
    let keys = get_json(&rotating, "/.well-known/jwks.json").await["keys"].clone();
    assert_eq!(keys.as_array().unwrap().len(), 2, "{keys}");
    assert_ne!(
        keys[0]["kid"], old["kid"],
        "the new key signs and comes first"
    );
    assert_eq!(keys[1], old, "the old key still verifies");

    let hmac = spawn_app_with(|s| {
        s.auth.jwt_algorithm = plinth_server::settings::JwtAlgorithm::Hs256;
    })
    .await;
    let jwks = get_json(&hmac, "/.well-known/jwks.json").await;
    assert_eq!(jwks["keys"], serde_json::json!([]));
    let discovery = get_json(&hmac, "/.well-known/openid-configuration").await;
    assert_eq!(
        discovery["id_token_signing_alg_values_supported"],
        serde_json::json!(["HS256"])
    );
    let (_, pair) = hmac.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(token).unwrap().alg,
        Algorithm::HS256
    );
    let me = hmac.get_auth("/api/v1/me", token).await;
    assert_eq!(me.status(), StatusCode::OK);
}
