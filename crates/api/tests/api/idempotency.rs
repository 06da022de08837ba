//! `Idempotency-Key` on billing POSTs: replay, key reuse, in-progress and concurrency.

use plinth_kernel::{Clock as _, IdempotencyClaim, IdempotencyStore as _};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

use crate::helpers::{TestApp, assert_problem, spawn_app};
use crate::subscriptions::{create_plan, user};

const SUBSCRIPTION: &str = "/api/v1/billing/subscription";

async fn post_with_key(app: &TestApp, token: &str, key: &str, body: &Value) -> reqwest::Response {
    app.client
        .post(app.url(SUBSCRIPTION))
        .bearer_auth(token)
        .header("Idempotency-Key", key)
        .header("Content-Type", "application/json")
        .body(serde_json::to_vec(body).unwrap())
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_retry_gets_the_first_response_and_does_nothing_twice() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let basic = create_plan(&app, &admin, "basic", 1_000, 0, true).await;
    let (token, id) = user(&app, "retry@example.com").await;
    let body = json!({ "plan_id": basic });

    let first = post_with_key(&app, &token, "key-1", &body).await;
    assert_eq!(first.status(), 201);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();

    let again = post_with_key(&app, &token, "key-1", &body).await;
    assert_eq!(
        again.status(),
        201,
        "the stored status, not 200 for 'already subscribed'"
    );
    assert_eq!(again.headers().get("idempotent-replayed").unwrap(), "true");
    assert_eq!(
        again.headers().get("content-type").unwrap(),
        "application/json"
    );
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(app.subscriptions.all_of(id).len(), 1);

    // Without the key the same request runs again (and is a no-op change: 200).
    let plain = app.post_json(SUBSCRIPTION, &body, Some(&token)).await;
    assert_eq!(plain.status(), 200);

    // The same key with another body is refused, and changes nothing.
    let pro = create_plan(&app, &admin, "pro", 3_000, 0, true).await;
    let reused = post_with_key(&app, &token, "key-1", &json!({ "plan_id": pro })).await;
    assert_problem(reused, 422, "idempotency_key_reused").await;
    assert_eq!(app.subscriptions.all_of(id)[0].plan_id.to_string(), basic);

    // Another user's identical key is another key.
    let (other, _) = user(&app, "other@example.com").await;
    assert_eq!(
        post_with_key(&app, &other, "key-1", &body).await.status(),
        201
    );
}

#[tokio::test]
async fn errors_below_500_are_replayed_with_the_new_request_id() {
    let app = spawn_app().await;
    let (token, _) = user(&app, "err@example.com").await;
    let body = json!({ "plan_id": "01939e4a-0000-7000-8000-00000000beef" });
    let first = assert_problem(
        post_with_key(&app, &token, "bad-plan", &body).await,
        422,
        "validation_failed",
    )
    .await;
    let res = post_with_key(&app, &token, "bad-plan", &body).await;
    assert_eq!(res.headers().get("idempotent-replayed").unwrap(), "true");
    let again = assert_problem(res, 422, "validation_failed").await;
    assert_eq!(again["errors"], first["errors"]);
    assert_ne!(again["request_id"], first["request_id"]);
}

#[tokio::test]
async fn a_request_still_running_is_a_409() {
    let app = spawn_app().await;
    let (token, id) = user(&app, "slow@example.com").await;
    let body =
        serde_json::to_vec(&json!({ "plan_id": "01939e4a-0000-7000-8000-00000000beef" })).unwrap();
    // Another replica has claimed this key for the same request and not finished yet.
    let mut hash = Sha256::new();
    hash.update(b"POST\n/api/v1/billing/subscription\n");
    hash.update(&body);
    let now = app.clock.now();
    app.idempotency
        .claim(&IdempotencyClaim {
            scope: format!("user:{id}"),
            key: "busy".into(),
            fingerprint: hex::encode(hash.finalize()),
            now,
            expires_at: now + chrono::Duration::hours(24),
            stale_before: now - chrono::Duration::minutes(5),
        })
        .await
        .unwrap();
    let res = app
        .client
        .post(app.url(SUBSCRIPTION))
        .bearer_auth(&token)
        .header("Idempotency-Key", "busy")
        .header("Content-Type", "application/json")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_problem(res, 409, "idempotency_in_progress").await;
}

#[tokio::test]
async fn concurrent_requests_with_one_key_run_once() {
    let app = spawn_app().await;
    let admin = app.admin_token().await;
    let basic = create_plan(&app, &admin, "basic", 1_000, 0, true).await;
    let (token, id) = user(&app, "race@example.com").await;
    let body = json!({ "plan_id": basic });
    let calls = (0..8).map(|_| post_with_key(&app, &token, "race-key", &body));
    let responses = futures::future::join_all(calls).await;
    let mut originals = 0;
    for res in responses {
        let status = res.status().as_u16();
        let replayed = res.headers().contains_key("idempotent-replayed");
        match (status, replayed) {
            (201, false) => originals += 1,
            (201, true) => {}
            (409, false) => {
                assert_problem(res, 409, "idempotency_in_progress").await;
            }
            other => panic!("unexpected answer {other:?}"),
        }
    }
    assert_eq!(originals, 1, "exactly one request ran");
    assert_eq!(app.subscriptions.all_of(id).len(), 1);
}

#[tokio::test]
async fn malformed_keys_are_refused() {
    let app = spawn_app().await;
    let (token, id) = user(&app, "malformed@example.com").await;
    let body = json!({ "plan_id": "01939e4a-0000-7000-8000-00000000beef" });
    for key in ["", &"k".repeat(256), "with space"] {
        assert_problem(
            post_with_key(&app, &token, key, &body).await,
            400,
            "bad_request",
        )
        .await;
    }
    assert!(app.subscriptions.all_of(id).is_empty());
}

#[test]
fn every_billing_post_documents_the_idempotency_key() {
    let doc: Value = serde_json::from_str(&plinth_api::openapi_json()).unwrap();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().unwrap() {
        let billing = path.starts_with("/api/v1/billing/")
            || path.starts_with("/api/v1/admin/plans")
            || path.starts_with("/api/v1/admin/invoices");
        // Stripe deduplicates its webhooks by event id, not by this header.
        if !billing || path.contains("/webhooks/") {
            continue;
        }
        let Some(op) = item.get("post") else { continue };
        let header = op["parameters"]
            .as_array()
            .into_iter()
            .flatten()
            .find(|p| p["name"] == "Idempotency-Key");
        let header = header.unwrap_or_else(|| panic!("POST {path} lacks Idempotency-Key"));
        assert_eq!(header["in"], "header", "POST {path}");
        assert_eq!(header["required"], false, "POST {path}");
        for status in ["409", "422"] {
            assert!(
                op["responses"][status].is_object(),
                "POST {path} lacks {status}"
            );
        }
        checked += 1;
    }
    assert!(
        checked >= 2,
        "POST /billing/subscription and /admin/plans at least"
    );
}
