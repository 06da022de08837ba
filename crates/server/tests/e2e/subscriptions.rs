//! Subscriptions and `Idempotency-Key` on the real app and database (SQLite, or PostgreSQL
//! with `TEST_DATABASE_URL`): concurrent requests with one key run once across the pool.

use plinth_billing::PlanId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, store_plan};

async fn post(app: &TestApp, token: &str, key: &str, plan: PlanId) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/billing/subscription"))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .json(&json!({ "plan_id": plan }))
        .send()
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_subscribes_with_one_key_run_once_and_replay() {
    let app = spawn_app().await;
    let plan = store_plan(&app, "E2E").await;
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    let user: plinth_kernel::UserId = pair["user"]["id"].as_str().unwrap().parse().unwrap();

    let responses =
        futures::future::join_all((0..6).map(|_| post(&app, token, "e2e-key", plan))).await;
    let mut originals = Vec::new();
    for res in responses {
        let replayed = res.headers().contains_key("idempotent-replayed");
        match (res.status(), replayed) {
            (StatusCode::CREATED, false) => originals.push(res.json::<Value>().await.unwrap()),
            (StatusCode::CREATED, true) | (StatusCode::CONFLICT, false) => {}
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(originals.len(), 1, "exactly one request ran");

    let again = post(&app, token, "e2e-key", plan).await;
    assert_eq!(again.status(), StatusCode::CREATED);
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(again.json::<Value>().await.unwrap(), originals[0]);

    let live = app
        .database
        .subscriptions()
        .live_subscription(user.into())
        .await
        .unwrap();
    assert_eq!(
        live.unwrap().id.to_string(),
        originals[0]["id"].as_str().unwrap()
    );
    let res = app.get_auth("/api/v1/billing/subscription", token).await;
    assert_eq!(res.json::<Value>().await.unwrap(), originals[0]);
}
