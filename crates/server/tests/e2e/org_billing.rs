//! An organization's billing on the real store (SQLite, or PostgreSQL with
//! `TEST_DATABASE_URL`): first subscriptions racing each other, and a deletion racing a
//! subscribe, never leave two live subscriptions or one for an organization that is gone.

use plinth_kernel::Owner;
use plinth_orgs::OrgId;
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, spawn_app, store_plan};
use crate::orgs::{Account, account, acting_token, add_member, create};

async fn subscribe(app: &TestApp, token: &str, plan: &str, seats: u32) -> StatusCode {
    app.post_json(
        "/api/v1/billing/subscription",
        &json!({ "plan_id": plan, "seats": seats }),
        Some(token),
        None,
    )
    .await
    .status()
}

async fn org_with_admins(app: &TestApp) -> (Account, String, Vec<String>) {
    let owner = account(app).await;
    let org = create(app, &owner, "Racing").await;
    let mut tokens = vec![acting_token(app, &owner, &org).await];
    for _ in 0..3 {
        let admin = account(app).await;
        add_member(app, &org, &admin, "admin").await;
        tokens.push(acting_token(app, &admin, &org).await);
    }
    (owner, org, tokens)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_first_subscriptions_make_one_subscription_and_one_invoice() {
    let app = spawn_app().await;
    let plan = store_plan(&app, "Team").await.to_string();
    let (_, org, tokens) = org_with_admins(&app).await;
    let statuses = futures::future::join_all(
        tokens
            .iter()
            .enumerate()
            .map(|(i, t)| subscribe(&app, t, &plan, 2 + u32::try_from(i).unwrap())),
    )
    .await;
    assert_eq!(
        statuses
            .iter()
            .filter(|s| **s == StatusCode::CREATED)
            .count(),
        1,
        "{statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| [StatusCode::CREATED, StatusCode::OK].contains(s)),
        "the others changed the one subscription: {statuses:?}"
    );
    let invoices: Value = app
        .get_auth("/api/v1/billing/invoices", &tokens[0])
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        invoices["items"].as_array().unwrap().len(),
        1,
        "one first period, invoiced once: {invoices}"
    );
    let org_id = OrgId::from_uuid(org.parse().unwrap());
    let live = app
        .database
        .subscriptions()
        .live_subscription(Owner::Org(org_id))
        .await
        .unwrap()
        .unwrap();
    assert!((2..=5).contains(&live.quantity));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_deletion_racing_a_subscribe_leaves_no_live_subscription_behind() {
    let app = spawn_app().await;
    let plan = store_plan(&app, "Team").await.to_string();
    for _ in 0..3 {
        let (owner, org, tokens) = org_with_admins(&app).await;
        let delete = async {
            app.client
                .delete(app.url(&format!("/api/v1/orgs/{org}")))
                .bearer_auth(&owner.token)
                .send()
                .await
                .unwrap()
                .status()
        };
        let (deleted, subscribed) = tokio::join!(delete, subscribe(&app, &tokens[1], &plan, 3));
        assert_eq!(deleted, StatusCode::NO_CONTENT);
        assert!(
            [StatusCode::CREATED, StatusCode::UNAUTHORIZED].contains(&subscribed),
            "the subscribe came first (and was ended by the deletion) or saw it: {subscribed}"
        );
        let org_id = OrgId::from_uuid(org.parse().unwrap());
        assert_eq!(
            app.database
                .subscriptions()
                .live_subscription(Owner::Org(org_id))
                .await
                .unwrap(),
            None,
            "no live subscription for an organization that is gone"
        );
    }
}
