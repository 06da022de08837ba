//! The log of the real binary (`LOG_FORMAT=json`, production settings, `RUST_LOG=debug`):
//! one JSON line per request with its route template, status, latency, request id and user
//! id, and no password, token, secret or `Authorization` header anywhere in it.

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{PASSWORD, client, fresh_database_url, start_binary_with, unique_email};

/// The token in the first outbox mail whose link contains `kind`, waiting up to 5 s.
async fn outbox_token(dir: &Path, kind: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let found = std::fs::read_dir(dir).ok().and_then(|entries| {
            entries
                .filter_map(|e| std::fs::read_to_string(e.ok()?.path()).ok())
                .filter_map(|text| {
                    text.lines()
                        .find_map(|l| l.strip_prefix("X-Plinth-Link: ").map(str::to_owned))
                })
                .find(|link| link.contains(kind))
        });
        if let Some(link) = found {
            return link.split_once("?token=").unwrap().1.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no {kind} mail in {}",
            dir.display()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

fn tokens(pair: &Value) -> [String; 2] {
    ["access_token", "refresh_token"].map(|k| pair[k].as_str().unwrap().to_owned())
}

#[tokio::test]
async fn the_log_has_one_line_per_request_and_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _db) = fresh_database_url(dir.path()).await;
    let storage = dir.path().join("files");
    let jwt_secret = format!(
        "{}{}",
        uuid::Uuid::now_v7().simple(),
        uuid::Uuid::now_v7().simple()
    );
    let log_path = dir.path().join("plinth.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let env = [
        ("APP_ENV", "production"),
        ("JWT_SECRET", jwt_secret.as_str()),
        ("BCRYPT_COST", "4"),
        ("RATE_LIMIT_ENABLED", "false"),
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "debug"),
    ];
    let mut server = start_binary_with(dir.path(), &database_url, &storage, &env, log.into()).await;
    let (http, base) = (client(), format!("{}/api/v1", server.address));
    let post = |path: &str, body: Value, token: Option<&str>| {
        let mut req = http.post(format!("{base}{path}")).json(&body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        req.send()
    };

    let mut secrets = vec![jwt_secret.clone(), PASSWORD.to_owned()];
    let email = unique_email();
    let res = post(
        "/auth/register",
        json!({ "email": email, "password": PASSWORD, "name": "Logged" }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let pair: Value = res.json().await.unwrap();
    let user_id = pair["user"]["id"].as_str().unwrap().to_owned();
    secrets.extend(tokens(&pair));
    let outbox = dir.path().join("outbox");
    secrets.push(outbox_token(&outbox, "/verify-email").await);

    let wrong = "a wrong guess that must stay secret";
    let res = post(
        "/auth/login",
        json!({ "email": email, "password": wrong }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);
    secrets.push(wrong.to_owned());
    let res = post(
        "/auth/login",
        json!({ "email": email, "password": PASSWORD }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let [access, refresh] = tokens(&res.json().await.unwrap());
    secrets.extend([access.clone(), refresh.clone()]);

    let res = http
        .get(format!("{base}/me"))
        .bearer_auth(&access)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let forged = format!("{access}x");
    let res = http
        .get(format!("{base}/me"))
        .bearer_auth(&forged)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::UNAUTHORIZED);

    let res = post("/auth/refresh", json!({ "refresh_token": refresh }), None)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    let [access, refresh] = tokens(&res.json().await.unwrap());
    secrets.extend([access.clone(), refresh]);

    let changed = "a changed passphrase that is secret 1";
    let res = post(
        "/auth/password/change",
        json!({ "current_password": PASSWORD, "new_password": changed }),
        Some(&access),
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    secrets.push(changed.to_owned());

    let res = post("/auth/password/forgot", json!({ "email": email }), None)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let reset_token = outbox_token(&outbox, "/reset-password").await;
    let reset = "a reset passphrase that is secret 2";
    let res = post(
        "/auth/password/reset",
        json!({ "token": reset_token, "new_password": reset }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::NO_CONTENT);
    secrets.extend([reset_token, reset.to_owned()]);

    let res = post("/auth/passwordless", json!({ "email": email }), None)
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::ACCEPTED);
    let (link_token, code) = crate::passwordless::outbox_passwordless(&outbox, &email, &[]).await;
    let res = post(
        "/auth/passwordless/verify",
        json!({ "email": email, "code": code }),
        None,
    )
    .await
    .unwrap();
    assert_eq!(res.status(), StatusCode::OK);
    secrets.extend(tokens(&res.json().await.unwrap()));
    // A six-digit code could occur by chance inside other digits: look for it as a value.
    secrets.extend([link_token, format!("\"{code}\""), format!("={code}")]);

    // Stop gracefully so every line is flushed.
    let pid = server.child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while server.child.try_wait().unwrap().is_none() {
        assert!(Instant::now() < deadline, "plinth did not stop");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = std::fs::read_to_string(&log_path).unwrap();

    let lines: Vec<Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}")))
        .collect();
    let completed: Vec<&Value> = lines
        .iter()
        .filter(|l| l["fields"]["message"] == "request completed")
        .collect();
    assert!(completed.len() >= 10, "one line per request: {text}");
    let me = completed
        .iter()
        .find(|l| l["fields"]["route"] == "/api/v1/me" && l["fields"]["status"] == 200)
        .unwrap_or_else(|| panic!("no line for GET /api/v1/me: {text}"));
    assert_eq!(me["fields"]["user_id"], user_id.as_str());
    assert!(me["fields"]["latency_ms"].is_u64());
    assert_eq!(me["span"]["method"], "GET");
    assert!(me["span"]["request_id"].is_string());
    let forged_line = completed
        .iter()
        .find(|l| l["fields"]["route"] == "/api/v1/me" && l["fields"]["status"] == 401)
        .unwrap();
    assert!(forged_line["fields"]["user_id"].is_null());

    for secret in &secrets {
        assert!(!text.contains(secret.as_str()), "{secret:?} is in the log");
        // A token's signature, or a password's longest word, alone.
        for part in secret.split(['.', ' ']).filter(|p| p.len() >= 16) {
            assert!(!text.contains(part), "part of {secret:?} is in the log");
        }
    }
    let lower = text.to_lowercase();
    assert!(!lower.contains("authorization"), "a header name in the log");
    assert!(!lower.contains("bearer ey"), "a bearer token in the log");
}
