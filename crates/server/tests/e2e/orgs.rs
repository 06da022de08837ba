//! Organizations on the real store (SQLite, or PostgreSQL with `TEST_DATABASE_URL`): the
//! tenant filter of the SQL adapter seen through HTTP, and membership changes racing each
//! other. Members are added straight to the store (invitations come with their own tests).

use plinth_kernel::UserId;
use plinth_orgs::{Member, OrgId, OrgRoleName};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{TestApp, outbox_link_to, spawn_app};

/// A signed-in account: access token and id.
pub(crate) struct Account {
    pub(crate) token: String,
    pub(crate) id: UserId,
}

/// A new account, signed in.
pub(crate) async fn account(app: &TestApp) -> Account {
    let (_, pair) = app.register_user().await;
    let token = pair["access_token"].as_str().unwrap().to_owned();
    let me: Value = app
        .get_auth("/api/v1/me", &token)
        .await
        .json()
        .await
        .unwrap();
    Account {
        token,
        id: UserId::from_uuid(me["id"].as_str().unwrap().parse().unwrap()),
    }
}

/// A new account whose address is verified (through the mailed link), signed in.
pub(crate) async fn verified_account(app: &TestApp) -> Account {
    let (email, pair) = app.register_user().await;
    let verify = mailed_token(app, &email, "/verify-email?token=").await;
    let res = app
        .post_json(
            "/api/v1/auth/email/verify",
            &json!({ "token": verify }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    Account {
        token: pair["access_token"].as_str().unwrap().to_owned(),
        id: UserId::from_uuid(pair["user"]["id"].as_str().unwrap().parse().unwrap()),
    }
}

/// An access token of `who` acting for `org` (`POST /auth/org`).
pub(crate) async fn acting_token(app: &TestApp, who: &Account, org: &str) -> String {
    let res = app
        .post_json(
            "/api/v1/auth/org",
            &json!({ "org_id": org }),
            Some(&who.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// A new organization owned by `owner`; its id.
pub(crate) async fn create(app: &TestApp, owner: &Account, name: &str) -> String {
    let res = app
        .post_json(
            "/api/v1/orgs",
            &json!({ "name": name }),
            Some(&owner.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json::<Value>().await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned()
}

/// Adds `who` to `org` with `role`, straight in the store.
pub(crate) async fn add_member(app: &TestApp, org: &str, who: &Account, role: &str) {
    let uow = app.database.unit_of_work();
    let mut tx = uow.begin().await.unwrap();
    app.database
        .orgs()
        .add_member(
            tx.as_mut(),
            OrgId::from_uuid(org.parse().unwrap()),
            &Member {
                user_id: who.id,
                role: OrgRoleName::parse(role).unwrap(),
                joined_at: chrono::Utc::now(),
            },
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn role_in(app: &TestApp, org: &str, who: &Account) -> Option<String> {
    let res = app
        .get_auth(&format!("/api/v1/orgs/{org}"), &who.token)
        .await;
    match res.status() {
        StatusCode::OK => Some(
            res.json::<Value>().await.unwrap()["role"]
                .as_str()
                .unwrap()
                .to_owned(),
        ),
        StatusCode::NOT_FOUND => None,
        other => panic!("GET /orgs/{org}: {other}"),
    }
}

async fn patch_role(
    app: &TestApp,
    org: &str,
    who: &Account,
    target: &Account,
    role: &str,
) -> StatusCode {
    app.client
        .patch(app.url(&format!("/api/v1/orgs/{org}/members/{}", target.id)))
        .bearer_auth(&who.token)
        .json(&json!({ "role": role }))
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn each_member_sees_only_their_own_organizations() {
    let app = spawn_app().await;
    let (ada, bob) = (account(&app).await, account(&app).await);
    let a = create(&app, &ada, "Agency").await;
    let b = create(&app, &bob, "Client B").await;
    add_member(&app, &a, &bob, "member").await;
    let mine: Value = app
        .get_auth("/api/v1/orgs", &ada.token)
        .await
        .json()
        .await
        .unwrap();
    let ids: Vec<&str> = mine["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [a.as_str()]);
    let bobs: Value = app
        .get_auth("/api/v1/orgs?limit=1", &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(bobs["items"][0]["id"], b.as_str(), "newest first");
    assert_eq!(role_in(&app, &b, &ada).await, None, "Ada is no member of B");
    let res = app
        .get_auth(&format!("/api/v1/orgs/{b}/members"), &ada.token)
        .await;
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/orgs/{b}")))
        .bearer_auth(&ada.token)
        .json(&json!({ "name": "Taken over" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NOT_FOUND);
    let seen: Value = app
        .get_auth(&format!("/api/v1/orgs/{b}"), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(seen["name"], "Client B", "B unchanged");
    let members: Value = app
        .get_auth(&format!("/api/v1/orgs/{a}/members"), &bob.token)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(members["items"].as_array().unwrap().len(), 2);

    // Deleting A takes its memberships with it, and nothing of B.
    let res = app
        .client
        .delete(app.url(&format!("/api/v1/orgs/{a}")))
        .bearer_auth(&ada.token)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    assert_eq!(role_in(&app, &a, &bob).await, None);
    assert_eq!(role_in(&app, &b, &bob).await.as_deref(), Some("owner"));
}

#[tokio::test]
async fn owners_demoting_each_other_at_once_leave_exactly_one_owner() {
    let app = spawn_app().await;
    for round in 0..5 {
        let (ada, bob) = (account(&app).await, account(&app).await);
        let org = create(&app, &ada, &format!("Race {round}")).await;
        add_member(&app, &org, &bob, "owner").await;
        let (a, b) = tokio::join!(
            patch_role(&app, &org, &ada, &bob, "admin"),
            patch_role(&app, &org, &bob, &ada, "admin"),
        );
        let mut statuses = [a, b];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::OK, StatusCode::FORBIDDEN],
            "round {round}: one demotion wins; the loser, an admin by then, may not act on an owner"
        );
        let owners = [
            role_in(&app, &org, &ada).await,
            role_in(&app, &org, &bob).await,
        ]
        .into_iter()
        .filter(|r| r.as_deref() == Some("owner"))
        .count();
        assert_eq!(owners, 1, "round {round}");
    }
}

/// The token of the link containing `fragment` mailed to `to`, waiting briefly for the mail.
pub(crate) async fn mailed_token(app: &TestApp, to: &str, fragment: &str) -> String {
    let outbox = app.storage_dir.parent().unwrap().join("outbox");
    for _ in 0..100 {
        if let Some(link) = outbox_link_to(&outbox, to, fragment) {
            return link.split_once("token=").unwrap().1.to_owned();
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no {fragment} mail to {to} in {}", outbox.display());
}

#[tokio::test]
async fn an_invitation_is_accepted_once_even_when_two_requests_race() {
    let app = spawn_app().await;
    let ada = account(&app).await;
    let org = create(&app, &ada, "Agency").await;
    let guest = format!("guest-{}@example.com", uuid::Uuid::now_v7().simple());
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{org}/invitations"),
            &json!({ "email": guest, "role": "member" }),
            Some(&ada.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = mailed_token(&app, &guest, "/accept-invitation?token=").await;

    // The guest signs up with the invited address and verifies it.
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": guest, "password": crate::helpers::PASSWORD, "name": "Guest" }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let access = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    let verify = mailed_token(&app, &guest, "/verify-email?token=").await;
    let res = app
        .post_json(
            "/api/v1/auth/email/verify",
            &json!({ "token": verify }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);

    let accept = || {
        let (app, access, token) = (&app, access.clone(), token.clone());
        async move {
            app.post_json(
                "/api/v1/invitations/accept",
                &json!({ "token": token }),
                Some(&access),
                None,
            )
            .await
            .status()
        }
    };
    let (a, b, c) = tokio::join!(accept(), accept(), accept());
    let mut statuses = [a, b, c];
    statuses.sort();
    assert_eq!(
        statuses[0],
        StatusCode::OK,
        "one acceptance wins: {statuses:?}"
    );
    assert!(
        statuses[1..]
            .iter()
            .all(|s| *s == StatusCode::NOT_FOUND || *s == StatusCode::CONFLICT),
        "the others find it spent or the member already there: {statuses:?}"
    );
    let members: Value = app
        .get_auth(&format!("/api/v1/orgs/{org}/members"), &ada.token)
        .await
        .json()
        .await
        .unwrap();
    let guests = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|m| m["email"] == guest.as_str())
        .count();
    assert_eq!(guests, 1, "{members}");
}

#[tokio::test]
async fn an_entry_moved_to_another_organization_behind_the_servers_back_is_caught() {
    use sea_orm::ConnectionTrait as _;
    let app = spawn_app().await;
    let (ada, bob) = (account(&app).await, account(&app).await);
    let a = create(&app, &ada, "Agency").await;
    let b = create(&app, &bob, "Client B").await;
    let res = app
        .client
        .patch(app.url(&format!("/api/v1/orgs/{a}")))
        .bearer_auth(&ada.token)
        .json(&json!({ "name": "Agency Renamed" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let res = app
        .post_json(
            &format!("/api/v1/orgs/{b}/invitations"),
            &json!({ "email": "guest@example.com", "role": "member" }),
            Some(&bob.token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let verify = |org: String, token: String| {
        let app = &app;
        async move {
            let res = app
                .get_auth(&format!("/api/v1/orgs/{org}/audit/verify"), &token)
                .await;
            assert_eq!(res.status(), StatusCode::OK);
            res.json::<Value>().await.unwrap()
        }
    };
    assert_eq!(verify(b.clone(), bob.token.clone()).await["ok"], true);
    // A's rename is filed under B by someone with database access.
    app.database
        .connection()
        .execute_unprepared(
            "UPDATE audit_events SET org_id = (SELECT org_id FROM audit_events \
             WHERE action = 'org.invitation_sent') WHERE action = 'org.renamed'",
        )
        .await
        .unwrap();
    let of_b = verify(b.clone(), bob.token.clone()).await;
    assert_eq!(of_b["ok"], false, "{of_b}");
    assert!(
        of_b["first_bad"].is_string(),
        "the moved entry is named: {of_b}"
    );
    let listed: Value = app
        .get_auth(
            &format!("/api/v1/orgs/{b}/audit?action=org.renamed"),
            &bob.token,
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(listed["items"][0]["id"], of_b["first_bad"]);
    let of_a = verify(a.clone(), ada.token.clone()).await;
    assert_eq!(
        of_a["first_bad"],
        Value::Null,
        "A's remaining entries are intact: {of_a}"
    );
    assert_eq!(
        of_a["trail_intact"], false,
        "the trail as a whole does not verify: {of_a}"
    );
}
