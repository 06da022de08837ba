//! Password recovery end to end: the reset link is read from the outbox the server writes
//! (no `SMTP_URL`), and the new password signs in.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::helpers::{PASSWORD, TestApp, outbox_links, spawn_app};

#[tokio::test]
async fn a_reset_link_from_the_outbox_sets_a_new_password() {
    let app = spawn_app().await;
    let (email, _pair) = app.register_user().await;
    let outbox = app.storage_dir.parent().unwrap().join("outbox");
    assert!(
        outbox_links(&outbox)
            .iter()
            .any(|l| l.contains("/verify-email?token=")),
        "sign-up wrote a verification mail to {}",
        outbox.display()
    );

    let res = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({ "email": email }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(5);
    let link = loop {
        if let Some(link) = outbox_links(&outbox)
            .into_iter()
            .find(|l| l.contains("/reset-password?token="))
        {
            break link;
        }
        assert!(Instant::now() < deadline, "no reset mail in the outbox");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        link.starts_with("http://127.0.0.1:8080/reset-password?token="),
        "{link}"
    );
    let token = link.split_once("?token=").unwrap().1;

    let new_password = "a completely different passphrase 7";
    let reset = json!({ "token": token, "new_password": new_password });
    let res = app
        .post_json("/api/v1/auth/password/reset", &reset, None, None)
        .await;
    assert_eq!(res.status(), 204);
    let res = app
        .post_json("/api/v1/auth/password/reset", &reset, None, None)
        .await;
    assert_eq!(res.status(), 422, "the link works once");
    for (password, status) in [(PASSWORD, 401), (new_password, 200)] {
        let res = app
            .post_json(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": password }),
                None,
                None,
            )
            .await;
        assert_eq!(res.status(), status, "login with the {status} password");
    }
}

/// Asks for a reset of `email` and waits until the outbox holds `n` reset links; returns them.
async fn ask_for_reset(app: &TestApp, email: &str, outbox: &Path, n: usize) -> Vec<String> {
    let res = app
        .post_json(
            "/api/v1/auth/password/forgot",
            &json!({ "email": email }),
            None,
            None,
        )
        .await;
    assert_eq!(res.status(), 202);
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let links: Vec<String> = outbox_links(outbox)
            .into_iter()
            .filter(|l| l.contains("/reset-password?token="))
            .collect();
        if links.len() >= n {
            return links;
        }
        assert!(
            Instant::now() < deadline,
            "only {} reset mails",
            links.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn reset_with(app: &TestApp, link: &str, password: &str) -> reqwest::Response {
    let token = link.split_once("?token=").unwrap().1;
    app.post_json(
        "/api/v1/auth/password/reset",
        &json!({ "token": token, "new_password": password }),
        None,
        None,
    )
    .await
}

#[tokio::test]
async fn a_reset_or_a_password_change_spends_every_older_reset_link() {
    let app = spawn_app().await;
    let (email, _pair) = app.register_user().await;
    let outbox = app.storage_dir.parent().unwrap().join("outbox");
    ask_for_reset(&app, &email, &outbox, 1).await;
    let links = ask_for_reset(&app, &email, &outbox, 2).await;
    let (first, second) = (links[0].clone(), links[1].clone());
    assert_ne!(first, second);

    let reset_password = "a completely different passphrase 7";
    assert_eq!(reset_with(&app, &first, reset_password).await.status(), 204);
    let res = reset_with(&app, &second, "yet another passphrase entirely 8").await;
    assert_eq!(
        res.status(),
        422,
        "the second link died with the first reset"
    );
    let problem: Value = res.json().await.unwrap();
    assert!(problem["errors"]["token"].is_array(), "{problem}");

    let third = ask_for_reset(&app, &email, &outbox, 3)
        .await
        .into_iter()
        .find(|l| *l != first && *l != second)
        .unwrap();
    let pair = app.login(&email, reset_password).await;
    let changed = "the changed passphrase is this one 9";
    let res = app
        .post_json(
            "/api/v1/auth/password/change",
            &json!({ "current_password": reset_password, "new_password": changed }),
            pair["access_token"].as_str(),
            None,
        )
        .await;
    assert_eq!(res.status(), 204);
    let res = reset_with(&app, &third, "an attacker's chosen passphrase 10").await;
    assert_eq!(res.status(), 422, "a password change spends the link");
    app.login(&email, changed).await;
}
