//! Password recovery end to end: the reset link is read from the outbox the server writes
//! (no `SMTP_URL`), and the new password signs in.

use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{PASSWORD, spawn_app};

/// Every `X-Plinth-Link` header in the outbox folder `dir`.
fn outbox_links(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| std::fs::read_to_string(e.unwrap().path()).ok())
        .filter_map(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("X-Plinth-Link: ").map(str::to_owned))
        })
        .collect()
}

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
