//! Renewal invoices through the real stack and the real binary (SQLite, or PostgreSQL when
//! `TEST_DATABASE_URL` is set): `plinth billing run-jobs` renews a due subscription and the
//! subscriber sees the period's finalised invoice; a second run adds nothing.

use std::time::Duration;

use chrono::Months;
use plinth_kernel::UserId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app_with, store_plan};

/// Moves the user's subscription a month back, so that its period has just ended.
async fn age_subscription(app: &TestApp, user: UserId) {
    let repo = app.database.subscriptions();
    let uow = app.database.unit_of_work();
    let mut tx = uow.begin().await.unwrap();
    let mut sub = repo
        .lock_live_subscription(tx.as_mut(), user.into())
        .await
        .unwrap()
        .unwrap();
    let end = chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros())
        .unwrap()
        - chrono::Duration::minutes(1);
    let start = end.checked_sub_months(Months::new(1)).unwrap();
    sub.current_period_start = start;
    sub.current_period_end = end;
    sub.billing_anchor = start;
    repo.update_subscription(tx.as_mut(), &sub).await.unwrap();
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn billing_run_jobs_renews_a_due_subscription_and_invoices_it_once() {
    // The server's own job loop stays off, so only the command renews.
    let app = spawn_app_with(|s| s.billing.jobs_interval = Duration::ZERO).await;
    let plan = store_plan(&app, "Team").await;
    let (email, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap();
    let user: UserId = pair["user"]["id"].as_str().unwrap().parse().unwrap();
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan }),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let invoices = |app: &TestApp| {
        let app_client = app.client.clone();
        let url = app.url("/api/v1/billing/invoices");
        let token = token.to_owned();
        async move {
            let res = app_client.get(url).bearer_auth(token).send().await.unwrap();
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()["items"]
                .as_array()
                .unwrap()
                .clone()
        }
    };
    let first = invoices(&app).await;
    assert_eq!(first.len(), 1, "the first month is invoiced at once");
    assert_eq!(first[0]["total"], 1_200);
    assert_eq!(first[0]["customer"]["email"], email.as_str());

    age_subscription(&app, user).await;
    let dir = tempfile::tempdir().unwrap();
    let run = || run_jobs(&app, dir.path(), &[]);
    let report = run();
    assert_eq!(report["renewed"], 1, "{report}");
    assert_eq!(report["invoiced"], 1, "{report}");
    let after = invoices(&app).await;
    assert_eq!(after.len(), 2);
    let renewal = &after[0];
    // Each year has its own sequence, and the run numbers the renewal in the year it issues
    // it: a period aged to end in December renews in January as INV-{next year}-000001. Both
    // years come from what the server returns, so the test holds on any date.
    let year = |invoice: &Value| invoice["issued_at"].as_str().unwrap()[..4].to_owned();
    assert_eq!(
        first[0]["number"],
        format!("INV-{}-000001", year(&first[0]))
    );
    let seq = if year(renewal) == year(&first[0]) {
        2
    } else {
        1
    };
    assert_eq!(renewal["number"], format!("INV-{}-{seq:06}", year(renewal)));
    assert_eq!(renewal["status"], "open");
    assert_eq!(renewal["total"], 1_200);
    assert_eq!(renewal["currency"], "EUR");

    let again = run();
    assert_eq!(again["renewed"], 0, "{again}");
    assert_eq!(again["invoiced"], 0, "{again}");
    assert_eq!(invoices(&app).await.len(), 2, "a second run adds nothing");
}

/// Runs `plinth billing run-jobs` in `dir` on the app's database and storage, with `env`
/// added; asserts it succeeded and returns its JSON report.
fn run_jobs(app: &TestApp, dir: &std::path::Path, env: &[(&str, &str)]) -> Value {
    let out = crate::helpers::run_ok(
        crate::helpers::plinth(dir)
            .args(["billing", "run-jobs"])
            .env("DATABASE_URL", &app.database_url)
            .env(
                "STORAGE_URL",
                format!("file://{}", app.storage_dir.display()),
            )
            .envs(env.iter().copied()),
    );
    serde_json::from_slice(&out).unwrap()
}

/// Days between a listed invoice's `issued_at` and `due_at`.
fn payment_term(invoice: &Value) -> chrono::Duration {
    let at = |k: &str| {
        invoice[k]
            .as_str()
            .unwrap()
            .parse::<chrono::DateTime<chrono::Utc>>()
            .unwrap()
    };
    at("due_at") - at("issued_at")
}

#[tokio::test]
async fn period_invoices_are_due_invoice_due_days_after_issue() {
    let app = spawn_app_with(|s| {
        s.billing.jobs_interval = Duration::ZERO;
        s.billing.invoice_due_days = 12;
    })
    .await;
    let plan = store_plan(&app, "Team").await;
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let user: UserId = pair["user"]["id"].as_str().unwrap().parse().unwrap();
    let res = app
        .post_json(
            "/api/v1/billing/subscription",
            &json!({ "plan_id": plan }),
            Some(&token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let invoices = || async {
        let res = app
            .client
            .get(app.url("/api/v1/billing/invoices"))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        res.json::<Value>().await.unwrap()["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    let first = invoices().await;
    assert_eq!(first.len(), 1);
    assert_eq!(first[0]["due_in_days"], 12);
    assert_eq!(payment_term(&first[0]), chrono::Duration::days(12));

    // The binary reads the setting too: a renewal by `plinth billing run-jobs`.
    age_subscription(&app, user).await;
    let dir = tempfile::tempdir().unwrap();
    run_jobs(&app, dir.path(), &[("INVOICE_DUE_DAYS", "0")]);
    let after = invoices().await;
    assert_eq!(after.len(), 2);
    assert_eq!(after[0]["due_in_days"], 0);
    assert_eq!(payment_term(&after[0]), chrono::Duration::zero());
}
