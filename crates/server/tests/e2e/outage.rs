//! Database outages, through a loopback TCP proxy in front of PostgreSQL: one that cuts every
//! connection and closes new ones (the database restarted or crashed), and one that swallows
//! them (a network partition: nothing answers, nothing is refused). In both, `/ready` turns 503
//! within two seconds, API calls that need the database answer 503 problem+json within a few
//! seconds instead of hanging, and once the database is reachable again both recover without a
//! restart. Needs `TEST_DATABASE_URL` (CI sets it).

use std::time::{Duration, Instant};

use plinth_server::{Application, Environment, Settings};
use plinth_store::testing::{ScratchPostgres, postgres_server};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;

use crate::helpers::{PASSWORD, client, unique_email};

/// What the proxy does with connections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Link {
    /// Forwards them.
    Up,
    /// Cuts the open ones and closes new ones at once.
    Cut,
    /// Holds the open ones and new ones without forwarding a byte.
    Stalled,
    /// Cuts the open ones and stops listening, so new ones are refused (the database server
    /// is stopped).
    Refused,
}

/// A loopback TCP proxy to `upstream`.
struct Proxy {
    port: u16,
    link: watch::Sender<Link>,
    task: tokio::task::JoinHandle<()>,
}

/// How long a stalled connection is held (longer than any test waits).
const STALL: Duration = Duration::from_secs(120);

impl Proxy {
    async fn start(upstream: String) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let (link, state) = watch::channel(Link::Up);
        let mut control = state.clone();
        let task = tokio::spawn(async move {
            let mut listener = Some(listener);
            loop {
                let Some(open) = &listener else {
                    // Refused: nothing listens until the link is up again.
                    let _ = control.wait_for(|link| *link != Link::Refused).await;
                    listener = Some(TcpListener::bind(("127.0.0.1", port)).await.unwrap());
                    continue;
                };
                let accepted = tokio::select! {
                    accepted = open.accept() => accepted,
                    _ = control.wait_for(|link| *link == Link::Refused) => {
                        listener = None;
                        continue;
                    }
                };
                let Ok((mut inbound, _)) = accepted else {
                    return;
                };
                let now = *state.borrow();
                match now {
                    Link::Cut | Link::Refused => continue, // dropped: closed at once
                    Link::Stalled => {
                        tokio::spawn(async move {
                            tokio::time::sleep(STALL).await;
                            drop(inbound);
                        });
                        continue;
                    }
                    Link::Up => {}
                }
                let (mut state, upstream) = (state.clone(), upstream.clone());
                tokio::spawn(async move {
                    let Ok(mut outbound) = TcpStream::connect(&upstream).await else {
                        return;
                    };
                    let stalled = tokio::select! {
                        _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound) => false,
                        down = state.wait_for(|link| *link != Link::Up) => {
                            down.is_ok_and(|link| *link == Link::Stalled)
                        }
                    };
                    if stalled {
                        tokio::time::sleep(STALL).await;
                    }
                });
            }
        });
        Self { port, link, task }
    }

    fn set(&self, link: Link) {
        self.link.send_replace(link);
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn timed(req: reqwest::RequestBuilder) -> (StatusCode, Value, Duration) {
    let started = Instant::now();
    let res = req.send().await.unwrap();
    let status = res.status();
    let body = res.json().await.unwrap_or(Value::Null);
    (status, body, started.elapsed())
}

/// An application whose database is reached through a [`Proxy`], a signed-up user's access
/// token, and what must live as long as they do.
struct Behind {
    proxy: Proxy,
    base: String,
    token: String,
    circuit: plinth_api::Circuit,
    _dir: tempfile::TempDir,
    _scratch: ScratchPostgres,
}

/// [`Behind`] on a scratch PostgreSQL database, or `None` without `TEST_DATABASE_URL`.
async fn behind_a_proxy() -> Option<Behind> {
    let Some(server) = postgres_server() else {
        eprintln!("skipped: the outage tests need TEST_DATABASE_URL");
        return None;
    };
    let scratch = ScratchPostgres::create(&server).await.unwrap();
    let direct = url::Url::parse(scratch.url()).unwrap();
    let upstream = format!(
        "{}:{}",
        direct.host_str().unwrap(),
        direct.port().unwrap_or(5432)
    );
    let proxy = Proxy::start(upstream).await;
    let mut proxied = direct.clone();
    proxied.set_host(Some("127.0.0.1")).unwrap();
    proxied.set_port(Some(proxy.port)).unwrap();

    let dir = tempfile::tempdir().unwrap();
    let mut settings = Settings::builtin(Environment::Test).unwrap();
    settings.server.host = "127.0.0.1".to_owned();
    settings.server.port = 0;
    settings.database.url = SecretString::from(proxied.to_string());
    settings.storage.url = format!("file://{}", dir.path().join("files").display());
    let app = Application::build(settings).await.unwrap();
    let base = format!("http://127.0.0.1:{}", app.port());
    let circuit = app.circuit().clone();
    tokio::spawn(app.run_until_stopped());

    let res = client()
        .post(format!("{base}/api/v1/auth/register"))
        .json(&json!({ "email": unique_email(), "password": PASSWORD, "name": "Outage" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    let token = res.json::<Value>().await.unwrap()["access_token"]
        .as_str()
        .unwrap()
        .to_owned();
    Some(Behind {
        proxy,
        base,
        token,
        circuit,
        _dir: dir,
        _scratch: scratch,
    })
}

#[tokio::test]
async fn a_database_outage_is_503_quickly_and_heals_without_a_restart() {
    let Some(app) = behind_a_proxy().await else {
        return;
    };
    let (proxy, base, token) = (&app.proxy, &app.base, &app.token);
    let http = client();
    let files = || http.get(format!("{base}/api/v1/files")).bearer_auth(token);
    let ready = || http.get(format!("{base}/ready"));
    assert_eq!(timed(ready()).await.0, StatusCode::OK);
    assert_eq!(timed(files()).await.0, StatusCode::OK);

    for outage in [Link::Cut, Link::Stalled] {
        proxy.set(outage);
        let (status, body, took) = timed(ready()).await;
        assert_eq!(
            status,
            StatusCode::SERVICE_UNAVAILABLE,
            "{outage:?}: {body}"
        );
        assert_eq!(body["checks"]["database"]["status"], "error", "{body}");
        assert_eq!(body["checks"]["storage"]["status"], "ok", "{body}");
        assert!(
            took < Duration::from_secs(2),
            "{outage:?}: /ready took {took:?}"
        );
        for (name, req) in [
            ("GET /files", files()),
            (
                "POST /auth/login",
                http.post(format!("{base}/api/v1/auth/login"))
                    .json(&json!({ "email": "nobody@example.com", "password": PASSWORD })),
            ),
        ] {
            let (status, body, took) = timed(req).await;
            assert_eq!(
                status,
                StatusCode::SERVICE_UNAVAILABLE,
                "{outage:?} {name}: {body}"
            );
            assert_eq!(body["code"], "unavailable", "{outage:?} {name}: {body}");
            assert!(
                took < Duration::from_secs(5),
                "{outage:?}: {name} took {took:?}"
            );
        }

        proxy.set(Link::Up);
        let deadline = Instant::now() + Duration::from_secs(15);
        while timed(ready()).await.0 != StatusCode::OK {
            assert!(
                Instant::now() < deadline,
                "{outage:?}: /ready did not recover in 15 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let (status, body, _) = timed(files()).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{outage:?}: API calls work again: {body}"
        );
    }
}

/// Waits up to `within` for the circuit to be `open` (or closed).
async fn circuit_becomes(circuit: &plinth_api::Circuit, open: bool, within: Duration) {
    let deadline = Instant::now() + within;
    while circuit.is_open() != open {
        assert!(
            Instant::now() < deadline,
            "the circuit did not become {} within {within:?}",
            if open { "open" } else { "closed" }
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

/// A stopped PostgreSQL refuses connections at once, but the pool retries a refused connect
/// until its acquire timeout: without the circuit every API call waited that long for its 503.
/// A call still waiting after half a second has the database probed beside the pool, which
/// opens the circuit; from then
/// on API calls answer 503 (with `Retry-After: 1`) without waiting for the pool, and once the
/// database listens again the probe closes the circuit and calls work, with no restart.
#[tokio::test]
async fn a_refusing_database_opens_the_circuit_so_503s_come_at_once_then_it_closes() {
    let Some(app) = behind_a_proxy().await else {
        return;
    };
    let (base, token) = (&app.base, &app.token);
    let http = client();
    let files = || http.get(format!("{base}/api/v1/files")).bearer_auth(token);
    let login = || {
        http.post(format!("{base}/api/v1/auth/login"))
            .json(&json!({ "email": "nobody@example.com", "password": PASSWORD }))
    };
    assert_eq!(timed(files()).await.0, StatusCode::OK);
    assert!(!app.circuit.is_open());

    app.proxy.set(Link::Refused);
    let first = tokio::spawn(timed(files()));
    // The first call waits in the pool, which retries the refused connect until its acquire
    // timeout; running longer than `SUSPECT_AFTER` has the database probed, which opens the
    // circuit before that call gets its own 503.
    circuit_becomes(&app.circuit, true, Duration::from_secs(5)).await;
    assert!(
        !first.is_finished(),
        "the circuit opened only after the first call's 503: calls wait for the pool until \
         one of them has failed"
    );
    let (status, body, _) = first.await.unwrap();
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");

    for (name, req) in [("GET /files", files()), ("POST /auth/login", login())] {
        let started = Instant::now();
        let res = req.send().await.unwrap();
        let took = started.elapsed();
        assert_eq!(res.status(), StatusCode::SERVICE_UNAVAILABLE, "{name}");
        assert!(
            took < plinth_store::ACQUIRE_TIMEOUT,
            "{name} waited {took:?}, as long as the pool's acquire timeout"
        );
        assert_eq!(res.headers()["retry-after"], "1", "{name}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["code"], "unavailable", "{name}: {body}");
    }
    let ready: Value = http
        .get(format!("{base}/ready"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ready["checks"]["database"]["status"], "error", "{ready}");
    let health = http.get(format!("{base}/health")).send().await.unwrap();
    assert_eq!(
        health.status(),
        StatusCode::OK,
        "the process itself is fine"
    );

    app.proxy.set(Link::Up);
    circuit_becomes(&app.circuit, false, Duration::from_secs(15)).await;
    let (status, body, _) = timed(files()).await;
    assert_eq!(status, StatusCode::OK, "API calls work again: {body}");
}
