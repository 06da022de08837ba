//! The real binary: durability across `kill -9`, graceful SIGTERM, and refusing bad
//! configuration with one line on stderr.

use std::process::{Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::{
    PASSWORD, client, fresh_database_url, plinth, run_ok, start_binary, start_binary_with,
    text_content, unique_email, upload,
};

/// Asserts a failed start: non-zero exit, exactly one line on stderr containing every needle,
/// nothing on stdout.
fn assert_refused(out: &Output, needles: &[&str]) {
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success(), "expected failure, stderr: {stderr}");
    assert_eq!(out.status.code(), Some(1), "stderr: {stderr}");
    assert_eq!(stderr.lines().count(), 1, "exactly one line: {stderr}");
    for needle in needles {
        assert!(stderr.contains(needle), "{needle:?} not in {stderr}");
    }
    assert!(
        out.stdout.is_empty(),
        "stdout: {}",
        String::from_utf8_lossy(&out.stdout)
    );
}

#[tokio::test]
async fn kill_9_loses_no_user_and_no_file() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _db) = fresh_database_url(dir.path()).await;
    let storage = dir.path().join("files");
    let http = client();

    let mut first = start_binary(dir.path(), &database_url, &storage).await;
    let email = unique_email();
    let res = http
        .post(format!("{}/api/v1/auth/register", first.address))
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Durable" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let pair: serde_json::Value = res.json().await.unwrap();
    let content = text_content(64 * 1024);
    let file = upload(
        &http,
        &first.address,
        pair["access_token"].as_str().unwrap(),
        "durable.txt",
        content.clone(),
    )
    .await;
    let id = file["id"].as_str().unwrap().to_owned();

    first.child.kill().unwrap(); // SIGKILL on Unix: no chance to flush anything
    let status = first.child.wait().unwrap();
    assert!(!status.success(), "killed, not exited: {status}");
    drop(first);

    let second = start_binary(dir.path(), &database_url, &storage).await;
    let res = http
        .post(format!("{}/api/v1/auth/login", second.address))
        .json(&json!({ "email": email, "password": PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the user survived");
    let pair: serde_json::Value = res.json().await.unwrap();
    let res = http
        .get(format!("{}/api/v1/files/{id}/content", second.address))
        .bearer_auth(pair["access_token"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::OK, "the file survived");
    assert_eq!(res.bytes().await.unwrap().as_ref(), content.as_slice());
}

/// Sends `signal` while an upload is still streaming: the upload must complete (201) and the
/// process must then exit 0.
async fn signal_drains_in_flight_requests(signal: &str) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, _db) = fresh_database_url(dir.path()).await;
    let mut server = start_binary(dir.path(), &database_url, &dir.path().join("files")).await;
    let http = client();
    let res = http
        .post(format!("{}/api/v1/auth/register", server.address))
        .json(&json!({ "email": unique_email(), "password": PASSWORD, "name": "Drain" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = res.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // Ten 4 KiB chunks, 150 ms apart: the request is in flight for about 1.5 s.
    let chunks = futures::stream::unfold(0u32, |i| async move {
        if i == 10 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(150)).await;
        Some((Ok::<_, std::io::Error>(vec![b'a'; 4096]), i + 1))
    });
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(chunks))
        .file_name("slow.txt")
        .mime_str("text/plain")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let upload = http
        .post(format!("{}/api/v1/files", server.address))
        .bearer_auth(&token)
        .multipart(form)
        .send();
    let upload = tokio::spawn(upload);
    tokio::time::sleep(Duration::from_millis(400)).await;

    let signalled = send_signal(&server, signal);
    let res = upload
        .await
        .unwrap()
        .expect("the in-flight upload got an answer");
    assert_eq!(
        res.status(),
        StatusCode::CREATED,
        "in-flight request drained"
    );
    let file: serde_json::Value = res.json().await.unwrap();
    assert_eq!(file["size"], 40 * 1024);

    // start_binary sets SHUTDOWN_GRACE=5s; allow 2 s for closing the pool and exiting.
    let status = exit_within(
        &mut server,
        signalled + Duration::from_secs(7),
        &format!("SHUTDOWN_GRACE (5 s) + 2 s of {signal}"),
    )
    .await;
    assert_eq!(status.code(), Some(0), "graceful stop exits 0: {status}");
}

/// A server on a fresh database with `SHUTDOWN_GRACE` set to `grace`, and the folder and
/// database it needs kept alive.
async fn start_with_grace(grace: &str) -> (crate::helpers::Server, tempfile::TempDir, impl Sized) {
    let (server, dir, _url, db) = start_with(&[("SHUTDOWN_GRACE", grace)]).await;
    (server, dir, db)
}

/// A server on a fresh database with `env` set; its folder, database URL and database.
async fn start_with(
    env: &[(&str, &str)],
) -> (
    crate::helpers::Server,
    tempfile::TempDir,
    String,
    impl Sized + use<>,
) {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, db) = fresh_database_url(dir.path()).await;
    let server = start_binary_with(
        dir.path(),
        &database_url,
        &dir.path().join("files"),
        env,
        Stdio::null(),
    )
    .await;
    (server, dir, database_url, db)
}

/// Sends `signal` (`-TERM`, `-INT`) to the server; returns when it was sent.
fn send_signal(server: &crate::helpers::Server, signal: &str) -> Instant {
    let pid = server.child.id().to_string();
    let kill = Command::new("kill").args([signal, &pid]).status().unwrap();
    assert!(kill.success());
    Instant::now()
}

/// Waits for the server to exit, failing the test if it still runs at `deadline`.
async fn exit_within(
    server: &mut crate::helpers::Server,
    deadline: Instant,
    what: &str,
) -> std::process::ExitStatus {
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            return status;
        }
        assert!(
            Instant::now() < deadline,
            "plinth did not stop within {what}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn sigterm_drains_and_exits_0() {
    signal_drains_in_flight_requests("-TERM").await;
}

#[tokio::test]
async fn sigint_drains_and_exits_0() {
    signal_drains_in_flight_requests("-INT").await;
}

/// How many requests of the load the server has read, from `/metrics`: those in flight (less
/// the `/metrics` request asking) and those of the load's three routes already answered.
async fn requests_read(http: &reqwest::Client, address: &str) -> usize {
    let text = http
        .get(format!("{address}/metrics"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let sample = |line: &str| -> usize {
        line.rsplit_once(' ')
            .and_then(|(_, n)| n.trim().parse::<f64>().ok())
            .map_or(0, |n| n as usize)
    };
    let in_flight = text
        .lines()
        .find(|line| line.starts_with("http_requests_in_flight "))
        .map(sample)
        .unwrap_or_else(|| panic!("no http_requests_in_flight in /metrics: {text}"));
    let answered: usize = text
        .lines()
        .filter(|line| line.starts_with("http_requests_total{"))
        .filter(|line| {
            [
                r#"method="PATCH",route="/api/v1/me""#,
                r#"method="POST",route="/api/v1/auth/login""#,
                r#"method="POST",route="/api/v1/files""#,
            ]
            .iter()
            .any(|labels| line.contains(labels))
        })
        .map(sample)
        .sum();
    in_flight.saturating_sub(1) + answered
}

/// `first`, then `rest` after `pause`: a request body still arriving when SIGTERM comes.
/// `sending` counts the requests whose body has started to go out (their connection is open
/// and their head sent), so a test signals only once every request is in flight.
fn slow_body(
    first: Vec<u8>,
    pause: Duration,
    rest: Vec<u8>,
    sending: &Arc<AtomicUsize>,
) -> reqwest::Body {
    use futures::StreamExt as _;
    let sending = Arc::clone(sending);
    let chunks = futures::stream::iter([(first, Duration::ZERO), (rest, pause)]).then(
        move |(chunk, wait)| {
            if wait.is_zero() {
                sending.fetch_add(1, Ordering::SeqCst);
            }
            async move {
                tokio::time::sleep(wait).await;
                Ok::<_, std::io::Error>(chunk)
            }
        },
    );
    reqwest::Body::wrap_stream(chunks)
}

/// SIGTERM under load: sixty requests of three kinds are in flight when it comes — profile
/// changes and uploads whose bodies are still arriving, sign-ins queued for bcrypt — and each
/// gets its real answer (no 503, no cut connection), what they changed is stored, and the
/// process then exits 0. (A graceful stop used to end the workers' runtimes one by one while
/// requests on the others still used database connections opened on them: 503 "A Tokio 1.x
/// context was found, but it is being shutdown".)
#[tokio::test]
async fn sigterm_under_load_answers_every_request_in_flight() {
    use sea_orm::ConnectionTrait as _;
    const USERS: usize = 10;
    let (mut server, _dir, database_url, _db) =
        start_with(&[("SHUTDOWN_GRACE", "30s"), ("BCRYPT_COST", "10")]).await;
    let http = client();
    let mut users = Vec::new();
    for _ in 0..USERS {
        let email = unique_email();
        let res = http
            .post(format!("{}/api/v1/auth/register", server.address))
            .json(&json!({ "email": email, "password": PASSWORD, "name": "Loaded" }))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), StatusCode::CREATED);
        let token = res.json::<serde_json::Value>().await.unwrap()["access_token"]
            .as_str()
            .unwrap()
            .to_owned();
        users.push((email, token));
    }

    // A client of its own: every request of the load on a connection of its own.
    let load = client();
    let pause = Duration::from_millis(3000);
    let sending = Arc::new(AtomicUsize::new(0));
    let mut requests = Vec::new();
    for (i, (email, token)) in users.iter().enumerate() {
        for j in 0..2 {
            let name = format!("Drained {i}-{j}");
            let body = serde_json::to_vec(&json!({ "name": name })).unwrap();
            let (head, tail) = body.split_at(5);
            let patch = load
                .patch(format!("{}/api/v1/me", server.address))
                .bearer_auth(token)
                .header("content-type", "application/json")
                .body(slow_body(head.to_vec(), pause, tail.to_vec(), &sending));
            requests.push(("PATCH /me", StatusCode::OK, patch));
            let body =
                serde_json::to_vec(&json!({ "email": email, "password": PASSWORD })).unwrap();
            let (head, tail) = body.split_at(5);
            let login = load
                .post(format!("{}/api/v1/auth/login", server.address))
                .header("content-type", "application/json")
                .body(slow_body(head.to_vec(), pause, tail.to_vec(), &sending));
            requests.push(("POST /auth/login", StatusCode::OK, login));
            let part = reqwest::multipart::Part::stream(slow_body(
                vec![b'a'; 4096],
                pause,
                vec![b'b'; 4096],
                &sending,
            ))
            .file_name(format!("load-{i}-{j}.txt"))
            .mime_str("text/plain")
            .unwrap();
            let upload = load
                .post(format!("{}/api/v1/files", server.address))
                .bearer_auth(token)
                .multipart(reqwest::multipart::Form::new().part("file", part));
            requests.push(("POST /files", StatusCode::CREATED, upload));
        }
    }
    let sent = requests.len();
    let answers: Vec<_> = requests
        .into_iter()
        .map(|(what, expected, req)| {
            tokio::spawn(async move {
                let res = req.send().await;
                let res = match res {
                    Ok(res) => res,
                    Err(e) => return Err(format!("{what}: no answer: {e}")),
                };
                let status = res.status();
                let body = res.text().await.unwrap_or_default();
                if status == expected {
                    Ok(())
                } else {
                    Err(format!("{what}: {status} {body}"))
                }
            })
        })
        .collect();
    // Every request is under way when the signal comes: its connection is open and its body
    // has started (the rest follows 3 s later). Waiting for that, not for a fixed time, keeps
    // a loaded machine from signalling before some requests have even connected (a request
    // that never reached the server is not one "in flight").
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while sending.load(Ordering::SeqCst) < sent {
        assert!(
            std::time::Instant::now() < deadline,
            "only {} of {sent} requests started within 30 s",
            sending.load(Ordering::SeqCst)
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // And the server has read every request's head: a connection the kernel accepted but
    // the server had not yet taken when it stopped listening is refused, not "in flight" (a
    // load balancer stops routing to a replica before it is signalled). On a loaded machine
    // that can take a while after the bodies start, so ask the server (`/metrics` is itself
    // in flight as it answers).
    loop {
        let read = requests_read(&http, &server.address).await;
        if read >= sent {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the server read {read} of {sent} requests within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let signalled = send_signal(&server, "-TERM");

    let mut failures = Vec::new();
    for answer in answers {
        if let Err(failure) = answer.await.unwrap() {
            failures.push(failure);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {sent} requests in flight at SIGTERM failed: {failures:#?}",
        failures.len()
    );
    let status = exit_within(
        &mut server,
        signalled + Duration::from_secs(35),
        "SHUTDOWN_GRACE (30 s) + 5 s of SIGTERM",
    )
    .await;
    assert_eq!(status.code(), Some(0), "graceful stop exits 0: {status}");

    let db = plinth_store::Database::connect(&database_url, 1)
        .await
        .unwrap();
    assert_eq!(
        db.files().totals().await.unwrap().count,
        2 * USERS as u64,
        "every upload is stored"
    );
    let renamed = db
        .connection()
        .query_all_raw(sea_orm::Statement::from_string(
            db.backend(),
            "SELECT name FROM users WHERE name LIKE 'Drained %'",
        ))
        .await
        .unwrap();
    assert_eq!(renamed.len(), USERS, "every profile change is stored");
}

/// An idle keep-alive connection (a client's pool between requests) does not hold a graceful
/// stop: the server closes it at once instead of waiting out its keep-alive or the grace.
#[tokio::test]
async fn an_idle_keep_alive_connection_does_not_hold_the_shutdown() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut server, _dir, _db) = start_with_grace("30s").await;
    let address = server.address.trim_start_matches("http://").to_owned();
    let mut idle = tokio::net::TcpStream::connect(&address).await.unwrap();
    idle.write_all(b"GET /health HTTP/1.1\r\nHost: plinth\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0; 1024];
    let read = idle.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));

    let signalled = send_signal(&server, "-TERM");
    let status = exit_within(
        &mut server,
        signalled + Duration::from_secs(3),
        "3 s of SIGTERM with an idle keep-alive connection open",
    )
    .await;
    assert_eq!(status.code(), Some(0), "{status}");
}

/// A request on its way in when the stop comes (its head half sent on a keep-alive connection
/// a client's pool reuses) still gets its real answer, the connection then closes (the read
/// reaches its end) and the server exits 0. (Told to drain, actix dropped a request whose bytes had arrived but
/// whose answer had not started: the client saw the connection close with no answer.)
#[tokio::test]
async fn a_request_arriving_when_the_stop_comes_is_answered() {
    use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
    let (mut server, _dir, _db) = start_with_grace("30s").await;
    let address = server.address.trim_start_matches("http://").to_owned();
    let mut pooled = tokio::net::TcpStream::connect(&address).await.unwrap();
    pooled
        .write_all(b"GET /health HTTP/1.1\r\nHost: plinth\r\n\r\n")
        .await
        .unwrap();
    let mut answer = [0; 2048];
    let read = pooled.read(&mut answer).await.unwrap();
    assert!(answer[..read].starts_with(b"HTTP/1.1 200"));
    pooled
        .write_all(b"GET /health HTTP/1.1\r\nHost: plinth\r\n")
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;

    let signalled = send_signal(&server, "-TERM");
    // The stop has begun once new connections are refused; give it a moment more to reach
    // the pooled connection.
    let deadline = signalled + Duration::from_secs(5);
    while tokio::net::TcpStream::connect(&address).await.is_ok() {
        assert!(
            Instant::now() < deadline,
            "still accepting 5 s after SIGTERM"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    pooled.write_all(b"\r\n").await.unwrap();
    let mut received = Vec::new();
    let outcome =
        tokio::time::timeout(Duration::from_secs(5), pooled.read_to_end(&mut received)).await;
    let received = String::from_utf8_lossy(&received).to_ascii_lowercase();
    assert!(
        matches!(outcome, Ok(Ok(_))) && received.starts_with("http/1.1 200"),
        "the request on its way in got no answer: {outcome:?} {received:?}"
    );
    let status = exit_within(
        &mut server,
        signalled + Duration::from_secs(8),
        "8 s of SIGTERM once its last request was answered",
    )
    .await;
    assert_eq!(status.code(), Some(0), "{status}");
}

/// A request slower than `SHUTDOWN_GRACE` does not hold the process: it exits 0 once the grace
/// period is over, and the request is cut.
#[tokio::test]
async fn a_request_outliving_the_grace_period_does_not_hold_the_shutdown() {
    let (mut server, _dir, _db) = start_with_grace("1s").await;
    let http = client();
    let res = http
        .post(format!("{}/api/v1/auth/register", server.address))
        .json(&json!({ "email": unique_email(), "password": PASSWORD, "name": "Slow" }))
        .send()
        .await
        .unwrap();
    let token = res.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    // Twenty chunks, 500 ms apart: about 10 s in flight, far past the 1 s grace.
    let chunks = futures::stream::unfold(0u32, |i| async move {
        if i == 20 {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        Some((Ok::<_, std::io::Error>(vec![b'a'; 1024]), i + 1))
    });
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(chunks))
        .file_name("slow.txt")
        .mime_str("text/plain")
        .unwrap();
    let upload = http
        .post(format!("{}/api/v1/files", server.address))
        .bearer_auth(&token)
        .multipart(reqwest::multipart::Form::new().part("file", part))
        .send();
    let upload = tokio::spawn(upload);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let signalled = send_signal(&server, "-TERM");
    let status = exit_within(
        &mut server,
        signalled + Duration::from_secs(4),
        "4 s of SIGTERM with SHUTDOWN_GRACE=1s",
    )
    .await;
    assert_eq!(status.code(), Some(0), "{status}");
    let cut = upload.await.unwrap();
    assert!(
        cut.is_err() || cut.is_ok_and(|res| res.status() != StatusCode::CREATED),
        "the slow upload cannot have completed"
    );
}

fn run_refused(env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = plinth(dir.path());
    cmd.arg("serve")
        .env("PORT", "0")
        .env(
            "DATABASE_URL",
            format!("sqlite://{}/db.sqlite?mode=rwc", dir.path().display()),
        )
        .env(
            "STORAGE_URL",
            format!("file://{}/files", dir.path().display()),
        )
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

#[test]
fn production_refuses_to_start_without_a_strong_jwt_secret() {
    let prod = ("APP_ENV", "production");
    assert_refused(
        &run_refused(&[prod]),
        &["production", "JWT_SECRET is not set"],
    );
    assert_refused(
        &run_refused(&[prod, ("JWT_SECRET", "tooshort")]),
        &["JWT_SECRET", "shorter than 32 bytes"],
    );
    for secret in plinth_server::settings::shipped_secrets() {
        let out = run_refused(&[prod, ("JWT_SECRET", &secret)]);
        assert_refused(&out, &["JWT_SECRET", "published"]);
        assert!(
            !String::from_utf8_lossy(&out.stderr).contains(&secret),
            "the secret is not echoed"
        );
    }
}

#[test]
fn no_environment_listens_publicly_on_a_shipped_secret() {
    for env in ["development", "test"] {
        let out = run_refused(&[("APP_ENV", env), ("HOST", "0.0.0.0")]);
        assert_refused(
            &out,
            &["refusing to listen on 0.0.0.0", "JWT_SECRET", "published"],
        );
        for secret in plinth_server::settings::shipped_secrets() {
            assert!(
                !String::from_utf8_lossy(&out.stderr).contains(&secret),
                "the secret is not echoed"
            );
        }
    }
}

#[test]
fn unknown_app_env_is_refused() {
    assert_refused(
        &run_refused(&[("APP_ENV", "staging")]),
        &["APP_ENV", "staging", "development, test, production"],
    );
}

#[test]
fn unparsable_urls_and_an_unreachable_database_are_refused() {
    assert_refused(
        &run_refused(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]),
        &["DATABASE_URL"],
    );
    let out = run_refused(&[("DATABASE_URL", "mysql://root:hunter2@db/x")]);
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
    assert_refused(
        &run_refused(&[("STORAGE_URL", "ftp://files")]),
        &["STORAGE_URL"],
    );
    assert_refused(&run_refused(&[("PUBLIC_URL", "nope")]), &["PUBLIC_URL"]);
    assert_refused(
        &run_refused(&[(
            "DATABASE_URL",
            "postgres://plinth:hunter2@127.0.0.1:1/plinth",
        )]),
        &["database"],
    );
}

#[test]
fn usage_errors_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = plinth(dir.path())
        .args(["migrate", "sideways"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let out = plinth(dir.path())
        .args(["admin", "create", "--email", "a@example.com"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "--name is required");
}

#[tokio::test]
async fn migrate_status_lists_each_migration_and_up_down_change_it() {
    let dir = tempfile::tempdir().unwrap();
    let (url, _db) = fresh_database_url(dir.path()).await;
    let status = |dir: &std::path::Path| {
        String::from_utf8(run_ok(
            plinth(dir)
                .args(["migrate", "status"])
                .env("DATABASE_URL", &url),
        ))
        .unwrap()
    };
    let before = status(dir.path());
    assert!(!before.is_empty());
    assert!(
        before.lines().all(|l| l.starts_with("pending m")),
        "{before}"
    );
    run_ok(
        plinth(dir.path())
            .args(["migrate", "up"])
            .env("DATABASE_URL", &url),
    );
    let after = status(dir.path());
    assert_eq!(after.lines().count(), before.lines().count());
    assert!(after.lines().all(|l| l.starts_with("applied m")), "{after}");
    run_ok(
        plinth(dir.path())
            .args(["migrate", "down"])
            .env("DATABASE_URL", &url),
    );
    let last = status(dir.path());
    assert!(
        last.lines().last().unwrap().starts_with("pending"),
        "{last}"
    );
    assert_eq!(
        last.lines().filter(|l| l.starts_with("applied")).count(),
        after.lines().count() - 1
    );
}

#[tokio::test]
async fn kill_9_mid_upload_leaves_no_file_and_the_reconciler_removes_the_partial_upload() {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, db) = fresh_database_url(dir.path()).await;
    let storage = dir.path().join("files");
    let mut server = start_binary(dir.path(), &database_url, &storage).await;
    let http = client();
    let res = http
        .post(format!("{}/api/v1/auth/register", server.address))
        .json(&json!({ "email": unique_email(), "password": PASSWORD, "name": "Crash" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = res.json::<serde_json::Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();

    // 6 MiB at once (more than one 5 MiB part reaches the disk), then a trickle that never ends.
    let chunks = futures::stream::unfold(0u32, |i| async move {
        if i > 0 {
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
        let size = if i == 0 { 6 * 1024 * 1024 } else { 1024 };
        Some((Ok::<_, std::io::Error>(vec![b'a'; size]), i + 1))
    });
    let part = reqwest::multipart::Part::stream(reqwest::Body::wrap_stream(chunks))
        .file_name("crash.txt")
        .mime_str("text/plain")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let upload = tokio::spawn(
        http.post(format!("{}/api/v1/files", server.address))
            .bearer_auth(&token)
            .multipart(form)
            .send(),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while files_under(&storage).is_empty() {
        assert!(
            Instant::now() < deadline,
            "the upload never reached the disk"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    server.child.kill().unwrap(); // SIGKILL: no cleanup runs
    server.child.wait().unwrap();
    upload.abort();
    drop(server);

    let left = files_under(&storage);
    assert!(!left.is_empty(), "the crash left a partial upload behind");
    let rows = plinth_store::Database::connect(&database_url, 1)
        .await
        .unwrap()
        .files()
        .totals()
        .await
        .unwrap();
    assert_eq!(
        rows.count, 0,
        "no file row for an upload that never finished"
    );

    let out = run_ok(
        plinth(dir.path())
            .args(["files", "reconcile", "--min-age", "0s"])
            .env("DATABASE_URL", &database_url)
            .env("STORAGE_URL", format!("file://{}", storage.display())),
    );
    let report: serde_json::Value = serde_json::from_slice(&out).unwrap();
    assert_eq!(report["partial_uploads_removed"], 1, "{report}");
    assert_eq!(files_under(&storage), Vec::<std::path::PathBuf>::new());
    drop(db);
}

/// Every regular file under `dir`, recursively (none when it does not exist).
fn files_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    let mut todo = vec![dir.to_path_buf()];
    while let Some(d) = todo.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                todo.push(path);
            } else {
                out.push(path);
            }
        }
    }
    out
}
