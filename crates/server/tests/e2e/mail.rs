//! Mail on the real server, on SQLite and PostgreSQL: the verification mail of a German
//! account comes out of the outbox in German, with its HTML part and the configured product
//! name, and an operator's template replaces the shipped one; an email change goes through
//! the outbox from request to confirmation.

use std::path::Path;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, outbox_link_to, spawn_app_with, unique_email};

/// The `.txt` and `.html` files of the mail to `to` of which the text contains `needle`.
fn outbox_mail(dir: &Path, to: &str, needle: &str) -> (String, String) {
    let mut paths: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    paths.sort();
    paths
        .iter()
        .rev()
        .find_map(|p| {
            let text = std::fs::read_to_string(p).ok()?;
            (text.contains(&format!("To: {to}\r\n")) && text.contains(needle)).then(|| {
                let html = std::fs::read_to_string(p.with_extension("html")).unwrap();
                (text, html)
            })
        })
        .unwrap_or_else(|| panic!("no mail to {to} containing {needle:?}"))
}

fn outbox(app: &TestApp) -> std::path::PathBuf {
    app.storage_dir.parent().unwrap().join("outbox")
}

async fn register(app: &TestApp, email: &str, locale: &str) -> Value {
    let res = app
        .post_json(
            "/api/v1/auth/register",
            &json!({ "email": email, "password": PASSWORD, "name": "Ada", "locale": locale }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

#[tokio::test]
async fn a_german_account_gets_german_mail_and_an_operators_template_wins() {
    let templates = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(templates.path().join("de")).unwrap();
    std::fs::write(
        templates.path().join("de/password_reset.txt"),
        "Subject: {{ product }}: Passwort neu setzen (Vorlage des Betreibers)\n\nHallo {{ name }}, {{ link }}\n",
    )
    .unwrap();
    let dir = templates.path().to_path_buf();
    let app = spawn_app_with(move |s| {
        s.mail.product_name = "Acme Cloud".to_owned();
        s.mail.templates_dir = dir;
    })
    .await;
    let email = unique_email();
    register(&app, &email, "de-AT").await;

    let (text, html) = outbox_mail(&outbox(&app), &email, "verify-email?token=");
    assert!(
        text.contains("Subject: Bestätigen Sie Ihre E-Mail-Adresse bei Acme Cloud\r\n"),
        "{text}"
    );
    assert!(text.contains("Hallo Ada,"), "{text}");
    assert!(html.contains("<html lang=\"de\">"), "{html}");
    assert!(html.contains("Adresse bestätigen"), "{html}");
    assert!(html.contains("Acme Cloud"), "{html}");

    let res = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({ "email": email }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    while outbox_link_to(&outbox(&app), &email, "/reset-password").is_none() {
        assert!(std::time::Instant::now() < deadline, "no reset mail");
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (text, html) = outbox_mail(&outbox(&app), &email, "reset-password?token=");
    assert!(
        text.contains("Subject: Acme Cloud: Passwort neu setzen (Vorlage des Betreibers)\r\n"),
        "{text}"
    );
    assert!(
        html.contains("Neues Passwort wählen"),
        "the shipped HTML part stays where the operator replaced only the text: {html}"
    );
}

#[tokio::test]
async fn an_email_change_goes_from_request_to_confirmation_through_the_outbox() {
    let app = spawn_app_with(|_| {}).await;
    let old = unique_email();
    let new = unique_email();
    let pair = register(&app, &old, "en").await;
    let token = pair["access_token"].as_str().unwrap();
    let res = app
        .post_json(
            "/api/v1/me/email",
            &json!({ "new_email": new, "password": PASSWORD }),
            Some(token),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let link = outbox_link_to(&outbox(&app), &new, "/confirm-email-change?token=")
        .expect("a confirmation link to the new address");
    let (notice, _) = outbox_mail(&outbox(&app), &old, &new);
    assert!(
        notice.contains("change of your Plinth email address"),
        "{notice}"
    );

    let confirm = link.split_once("?token=").unwrap().1;
    let res = app
        .post_json(
            "/api/v1/auth/email/change",
            &json!({ "token": confirm }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    let login = |email: String| {
        let app = &app;
        async move {
            app.post_json(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": PASSWORD }),
                None,
                None,
            )
            .await
            .status()
        }
    };
    assert_eq!(login(new.clone()).await, StatusCode::OK);
    assert_eq!(login(old.clone()).await, StatusCode::UNAUTHORIZED);
    let (done, _) = outbox_mail(&outbox(&app), &old, "is now");
    assert!(done.contains(&format!("address is now {new}")), "{done}");
}
