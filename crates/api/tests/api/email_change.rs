//! Changing the account's email address over HTTP: asked for with the password or from a
//! fresh sign-in, confirmed by the link mailed to the new address, told to the old one; and
//! the attacks: a swapped address in the token, a replayed or expired link, an address that
//! is taken (no enumeration), two accounts racing for one address, a stale session.

use plinth_kernel::Email;
use plinth_sessions::{MailKind, OutgoingMail};
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, assert_problem, spawn_app};

const CHANGE: &str = "/api/v1/me/email";
const CONFIRM: &str = "/api/v1/auth/email/change";

fn mails(app: &TestApp, to: &str, kind: MailKind) -> Vec<OutgoingMail> {
    let to = Email::parse(to).unwrap();
    app.mailer
        .sent()
        .into_iter()
        .filter(|m| m.to == to && m.kind == kind)
        .collect()
}

/// The token of the newest confirmation link mailed to `to`.
fn token_to(app: &TestApp, to: &str) -> String {
    let mail = mails(app, to, MailKind::EmailChangeRequested)
        .pop()
        .unwrap_or_else(|| panic!("no confirmation mail to {to}"));
    let link = mail.link.unwrap();
    assert!(link.contains("/confirm-email-change?token="), "{link}");
    link.split_once("?token=").unwrap().1.to_owned()
}

async fn me(app: &TestApp, token: &str) -> Value {
    app.get("/api/v1/me", Some(token))
        .await
        .json()
        .await
        .unwrap()
}

async fn login(app: &TestApp, email: &str) -> reqwest::Response {
    app.post_json(
        "/api/v1/auth/login",
        &json!({ "email": email, "password": PASSWORD }),
        None,
    )
    .await
}

#[tokio::test]
async fn the_new_address_confirms_the_change_and_the_old_one_is_told_twice() {
    let app = spawn_app().await;
    let token = app.token("ada@example.com").await;
    let res = app
        .post_json(
            CHANGE,
            &json!({ "new_email": " Ada@New.Example " }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 202);
    assert_eq!(res.json::<Value>().await.unwrap()["status"], "accepted");
    // Nothing changes until the new address confirms; the old one keeps signing in.
    assert_eq!(me(&app, &token).await["email"], "ada@example.com");
    assert_eq!(login(&app, "ada@example.com").await.status(), 200);
    let told = mails(&app, "ada@example.com", MailKind::EmailChanged);
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].text("new_email"), Some("ada@new.example"));
    assert_eq!(told[0].values["done"], false);

    let confirm = token_to(&app, "ada@new.example");
    let res = app
        .post_json(CONFIRM, &json!({ "token": confirm }), None)
        .await;
    assert_eq!(res.status(), 204);
    let user = me(&app, &token).await;
    assert_eq!(
        (user["email"].as_str(), user["email_verified"].as_bool()),
        (Some("ada@new.example"), Some(true))
    );
    assert_eq!(login(&app, "ada@new.example").await.status(), 200);
    assert_problem(login(&app, "ada@example.com").await, 401, "unauthenticated").await;
    let told = mails(&app, "ada@example.com", MailKind::EmailChanged);
    assert_eq!(told.len(), 2);
    assert_eq!(told[1].values["done"], true);

    // The link works once.
    let res = app
        .post_json(CONFIRM, &json!({ "token": confirm }), None)
        .await;
    let problem = assert_problem(res, 422, "validation_failed").await;
    assert!(problem["errors"]["token"].is_array(), "{problem}");
    // The trail has both steps, without the addresses.
    let admin = app.admin_token().await;
    let trail: Value = app
        .get(
            "/api/v1/admin/audit?action=auth.email_changed",
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(trail["items"].as_array().unwrap().len(), 1, "{trail}");
    assert!(!trail.to_string().contains("ada@new.example"), "{trail}");
}

#[tokio::test]
async fn a_swapped_address_an_expired_link_and_a_bad_token_change_nothing() {
    use base64::Engine as _;
    let app = spawn_app().await;
    let token = app.token("bob@example.com").await;
    app.post_json(
        CHANGE,
        &json!({ "new_email": "bob@new.example" }),
        Some(&token),
    )
    .await;
    let confirm = token_to(&app, "bob@new.example");
    let (secret, _) = confirm.split_once('.').unwrap();
    let swapped = format!(
        "{secret}.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("mallory@evil.example")
    );
    for bad in [swapped.as_str(), secret, "not-a-token", "x.y"] {
        let res = app.post_json(CONFIRM, &json!({ "token": bad }), None).await;
        assert_problem(res, 422, "validation_failed").await;
    }
    // 24 hours later (the app's clock), the real link is spent by time.
    app.clock.advance(chrono::Duration::hours(24));
    let res = app
        .post_json(CONFIRM, &json!({ "token": confirm }), None)
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let fresh = app.token("bob2@example.com").await;
    assert_eq!(me(&app, &fresh).await["email"], "bob2@example.com");
    assert_eq!(login(&app, "bob@example.com").await.status(), 200);
}

#[tokio::test]
async fn a_taken_address_gets_the_same_answer_and_no_mail_and_bad_input_is_refused() {
    let app = spawn_app().await;
    app.token("taken@example.com").await;
    let token = app.token("carol@example.com").await;
    let res = app
        .post_json(
            CHANGE,
            &json!({ "new_email": "taken@example.com" }),
            Some(&token),
        )
        .await;
    assert_eq!(res.status(), 202, "no enumeration");
    assert!(mails(&app, "taken@example.com", MailKind::EmailChangeRequested).is_empty());
    for (body, field) in [
        (json!({ "new_email": "carol@example.com" }), "new_email"),
        (json!({ "new_email": "not an address" }), "new_email"),
    ] {
        let res = app.post_json(CHANGE, &body, Some(&token)).await;
        let problem = assert_problem(res, 422, "validation_failed").await;
        assert!(problem["errors"][field].is_array(), "{problem}");
    }
    let res = app
        .post_json(
            CHANGE,
            &json!({ "new_email": "c@x.example", "extra": 1 }),
            Some(&token),
        )
        .await;
    assert_problem(res, 422, "validation_failed").await;
    let res = app
        .post_json(CHANGE, &json!({ "new_email": "c@x.example" }), None)
        .await;
    assert_problem(res, 401, "unauthenticated").await;
}

#[tokio::test]
async fn an_older_session_needs_the_password_and_a_wrong_one_is_counted() {
    let app = spawn_app().await;
    let token = app.token("dan@example.com").await;
    app.clock.advance(chrono::Duration::minutes(11));
    let body = json!({ "new_email": "dan@new.example" });
    assert_problem(
        app.post_json(CHANGE, &body, Some(&token)).await,
        403,
        "reauthentication_required",
    )
    .await;
    let wrong = json!({ "new_email": "dan@new.example", "password": "not the password" });
    let problem = assert_problem(
        app.post_json(CHANGE, &wrong, Some(&token)).await,
        422,
        "validation_failed",
    )
    .await;
    assert!(problem["errors"]["password"].is_array(), "{problem}");
    assert!(mails(&app, "dan@new.example", MailKind::EmailChangeRequested).is_empty());
    let right = json!({ "new_email": "dan@new.example", "password": PASSWORD });
    assert_eq!(
        app.post_json(CHANGE, &right, Some(&token)).await.status(),
        202
    );
    assert_eq!(
        mails(&app, "dan@new.example", MailKind::EmailChangeRequested).len(),
        1
    );
}

#[tokio::test]
async fn a_new_link_ends_the_earlier_one_and_two_accounts_racing_for_an_address_get_one_winner() {
    let app = spawn_app().await;
    let eve = app.token("eve@example.com").await;
    app.post_json(
        CHANGE,
        &json!({ "new_email": "eve@one.example" }),
        Some(&eve),
    )
    .await;
    let first = token_to(&app, "eve@one.example");
    app.post_json(
        CHANGE,
        &json!({ "new_email": "eve@two.example" }),
        Some(&eve),
    )
    .await;
    let res = app
        .post_json(CONFIRM, &json!({ "token": first }), None)
        .await;
    assert_problem(res, 422, "validation_failed").await;

    // Two accounts ask for the same free address; both links go out; the first to confirm
    // gets it and the other is told the address is taken, changing nothing.
    let fay = app.token("fay@example.com").await;
    let gus = app.token("gus@example.com").await;
    for t in [&fay, &gus] {
        let res = app
            .post_json(
                CHANGE,
                &json!({ "new_email": "shared@example.com" }),
                Some(t),
            )
            .await;
        assert_eq!(res.status(), 202);
    }
    let links: Vec<String> = mails(&app, "shared@example.com", MailKind::EmailChangeRequested)
        .into_iter()
        .map(|m| m.link.unwrap().split_once("?token=").unwrap().1.to_owned())
        .collect();
    assert_eq!(links.len(), 2);
    let (first, second) = (json!({ "token": links[0] }), json!({ "token": links[1] }));
    let (a, b) = tokio::join!(
        app.post_json(CONFIRM, &first, None),
        app.post_json(CONFIRM, &second, None),
    );
    let mut statuses = [a.status().as_u16(), b.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [204, 409]);
    let emails = [
        me(&app, &fay).await["email"].clone(),
        me(&app, &gus).await["email"].clone(),
    ];
    assert_eq!(
        emails.iter().filter(|e| *e == "shared@example.com").count(),
        1,
        "{emails:?}"
    );
}

#[tokio::test]
async fn the_confirmation_is_written_in_the_users_language() {
    let app = spawn_app().await;
    let token = app.token("hans@example.com").await;
    let res = app
        .client
        .patch(app.url("/api/v1/me"))
        .bearer_auth(&token)
        .json(&json!({ "locale": "de-AT" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    app.post_json(
        CHANGE,
        &json!({ "new_email": "hans@neu.example" }),
        Some(&token),
    )
    .await;
    let mail = mails(&app, "hans@neu.example", MailKind::EmailChangeRequested)
        .pop()
        .unwrap();
    assert_eq!(mail.locale.as_deref(), Some("de-AT"));
    let rendered = plinth_mail::MailTemplates::shipped("Plinth", &app.address)
        .render(&mail)
        .unwrap();
    assert_eq!(rendered.locale, "de");
    assert!(
        rendered.subject.contains("neue E-Mail-Adresse"),
        "{}",
        rendered.subject
    );
    assert!(
        rendered.text.contains("statt hans@example.com"),
        "{}",
        rendered.text
    );
}
