//! `spawn_app()`, the per-test database, and helpers for driving the API and the binary.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use plinth_server::settings::ENV_KEYS;
use plinth_server::{Application, Environment, Settings};
use plinth_store::Database;
use plinth_store::testing::{ScratchPostgres, postgres_server};
use reqwest::StatusCode;
use secrecy::SecretString;
use serde_json::{Value, json};

/// The `User-Agent` every test client sends (audit entries record it).
pub const USER_AGENT: &str = "plinth-e2e/1.0";

/// A password the policy accepts.
pub const PASSWORD: &str = "correct horse battery staple 42";

/// The repository's config folder, for the binary.
pub fn config_dir() -> String {
    format!("{}/../../config", env!("CARGO_MANIFEST_DIR"))
}

/// A fresh, empty database: a SQLite file in `dir`, or a new PostgreSQL database on the
/// `TEST_DATABASE_URL` server. Returns its URL and the guard that drops the PostgreSQL
/// database when the test is over.
pub async fn fresh_database_url(dir: &Path) -> (String, Option<ScratchPostgres>) {
    let Some(server) = postgres_server() else {
        eprintln!("e2e backend: sqlite");
        return (
            format!("sqlite://{}?mode=rwc", dir.join("plinth.db").display()),
            None,
        );
    };
    let scratch = ScratchPostgres::create(&server)
        .await
        .expect("create a test database on TEST_DATABASE_URL");
    eprintln!("e2e backend: postgres (database {})", scratch.name());
    (scratch.url().to_owned(), Some(scratch))
}

/// A unique email.
pub fn unique_email() -> String {
    format!("user-{}@example.com", uuid::Uuid::now_v7().simple())
}

/// A client that sends [`USER_AGENT`] and does not follow redirects.
pub fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .redirect(reqwest::redirect::Policy::none())
        .timeout(Duration::from_secs(60))
        .build()
        .unwrap()
}

/// A server running in this process.
pub struct TestApp {
    /// `http://127.0.0.1:<port>`.
    pub address: String,
    /// The client to use.
    pub client: reqwest::Client,
    /// The app's database, to check what was stored.
    pub database: Database,
    /// Its URL (for running the binary against the same database).
    pub database_url: String,
    /// The storage folder.
    pub storage_dir: PathBuf,
    _dir: tempfile::TempDir,
    _scratch: Option<ScratchPostgres>,
}

/// Starts the app on a free port with the `test` settings, a fresh database and a fresh
/// storage folder.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// [`spawn_app`] with settings changed by `configure` before the app is built.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Settings)) -> TestApp {
    let dir = tempfile::tempdir().unwrap();
    let (database_url, scratch) = fresh_database_url(dir.path()).await;
    let storage_dir = dir.path().join("files");
    let mut settings = Settings::builtin(Environment::Test).unwrap();
    settings.server.host = "127.0.0.1".to_owned();
    settings.server.port = 0;
    settings.database.url = SecretString::from(database_url.clone());
    settings.storage.url = format!("file://{}", storage_dir.display());
    settings.server.shutdown_grace = Duration::from_secs(1);
    configure(&mut settings);
    if std::env::var_os("TEST_LOG").is_some() {
        // Standard error is written directly: the guard holds no writer thread.
        let _ = plinth_server::telemetry::init(
            &settings.log,
            plinth_server::telemetry::LogTarget::Stderr,
        )
        .unwrap();
    }
    let app = Application::build(settings).await.expect("build the app");
    let address = format!("http://127.0.0.1:{}", app.port());
    let database = app.database().clone();
    tokio::spawn(app.run_until_stopped());
    TestApp {
        address,
        client: client(),
        database,
        database_url,
        storage_dir,
        _dir: dir,
        _scratch: scratch,
    }
}

impl TestApp {
    /// `address + path`.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// POSTs JSON, with an optional bearer token and request id.
    pub async fn post_json(
        &self,
        path: &str,
        body: &Value,
        token: Option<&str>,
        request_id: Option<&str>,
    ) -> reqwest::Response {
        let mut req = self.client.post(self.url(path)).json(body);
        if let Some(token) = token {
            req = req.bearer_auth(token);
        }
        if let Some(id) = request_id {
            req = req.header("x-request-id", id);
        }
        req.send().await.unwrap()
    }

    /// GETs with a bearer token.
    pub async fn get_auth(&self, path: &str, token: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(token)
            .send()
            .await
            .unwrap()
    }

    /// Registers a new account and returns `(email, token pair)`.
    pub async fn register_user(&self) -> (String, Value) {
        let email = unique_email();
        let res = self
            .post_json(
                "/api/v1/auth/register",
                &json!({ "email": email, "password": PASSWORD, "name": "Test User" }),
                None,
                None,
            )
            .await;
        assert_eq!(res.status(), StatusCode::CREATED);
        (email, res.json().await.unwrap())
    }

    /// Logs in and returns the token pair.
    pub async fn login(&self, email: &str, password: &str) -> Value {
        let res = self
            .post_json(
                "/api/v1/auth/login",
                &json!({ "email": email, "password": password }),
                None,
                None,
            )
            .await;
        assert_eq!(res.status(), StatusCode::OK, "login of {email}");
        res.json().await.unwrap()
    }
}

/// Uploads `bytes` as `name` and returns the `File` body.
pub async fn upload(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    name: &str,
    bytes: Vec<u8>,
) -> Value {
    let part = reqwest::multipart::Part::bytes(bytes)
        .file_name(name.to_owned())
        .mime_str("text/plain")
        .unwrap();
    let form = reqwest::multipart::Form::new().part("file", part);
    let res = client
        .post(format!("{base}/api/v1/files"))
        .bearer_auth(token)
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), StatusCode::CREATED);
    res.json().await.unwrap()
}

/// Some text content of `len` bytes that is not all one byte.
pub fn text_content(len: usize) -> Vec<u8> {
    let line = format!(
        "plinth e2e {} the quick brown fox jumps over the lazy dog\n",
        uuid::Uuid::now_v7()
    );
    line.bytes().cycle().take(len).collect()
}

/// The built `plinth` binary with a clean environment: none of the settings variables leak
/// in from the test process, the config folder is the repository's and `APP_ENV=test`.
pub fn plinth(cwd: &Path) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_plinth"));
    for key in ENV_KEYS {
        cmd.env_remove(key);
    }
    cmd.env("APP_ENV", "test")
        .env("PLINTH_CONFIG_DIR", config_dir())
        .env("RUST_LOG", "warn")
        .current_dir(cwd);
    cmd
}

/// Runs `cmd` to its end, asserts that it succeeded (showing its stderr when not) and returns
/// its stdout.
pub fn run_ok(cmd: &mut Command) -> Vec<u8> {
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A port that was free a moment ago.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A `plinth serve` child process, killed when dropped.
pub struct Server {
    /// The process.
    pub child: Child,
    /// `http://127.0.0.1:<port>`.
    pub address: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Starts the binary serving `database_url` and `storage_dir` on a free port and waits until
/// `/health` answers.
pub async fn start_binary(cwd: &Path, database_url: &str, storage_dir: &Path) -> Server {
    start_binary_with(cwd, database_url, storage_dir, &[], Stdio::null()).await
}

/// [`start_binary`] with extra environment variables (applied last) and `stdout` (the log).
pub async fn start_binary_with(
    cwd: &Path,
    database_url: &str,
    storage_dir: &Path,
    env: &[(&str, &str)],
    stdout: Stdio,
) -> Server {
    let port = free_port();
    let mut cmd = plinth(cwd);
    cmd.arg("serve")
        .env("HOST", "127.0.0.1")
        .env("PORT", port.to_string())
        .env("DATABASE_URL", database_url)
        .env("STORAGE_URL", format!("file://{}", storage_dir.display()))
        .env("SHUTDOWN_GRACE", "5s");
    for (key, value) in env {
        cmd.env(key, value);
    }
    let child = cmd
        .stdin(Stdio::null())
        .stdout(stdout)
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut server = Server {
        child,
        address: format!("http://127.0.0.1:{port}"),
    };
    wait_healthy(&mut server).await;
    server
}

async fn wait_healthy(server: &mut Server) {
    let client = client();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        if let Some(status) = server.child.try_wait().unwrap() {
            panic!("plinth exited before serving: {status}");
        }
        if let Ok(res) = client
            .get(format!("{}/health", server.address))
            .send()
            .await
            && res.status() == StatusCode::OK
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "plinth did not answer /health within 60 s"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Every `X-Plinth-Link` header in the outbox folder `dir`.
pub fn outbox_links(dir: &Path) -> Vec<String> {
    outbox_mails(dir)
        .iter()
        .filter_map(|text| {
            text.lines()
                .find_map(|l| l.strip_prefix("X-Plinth-Link: ").map(str::to_owned))
        })
        .collect()
}

/// The link containing `fragment` of a mail to `to` in the outbox folder `dir`, if any.
pub fn outbox_link_to(dir: &Path, to: &str, fragment: &str) -> Option<String> {
    outbox_mails(dir).iter().find_map(|text| {
        let mut lines = text.lines();
        let addressed = text.lines().any(|l| l == format!("To: {to}"));
        let link = lines.find_map(|l| l.strip_prefix("X-Plinth-Link: "))?;
        (addressed && link.contains(fragment)).then(|| link.to_owned())
    })
}

/// The text of every mail in the outbox folder `dir` (its headers and plain-text part; the
/// HTML part beside it is left out).
fn outbox_mails(dir: &Path) -> Vec<String> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// Stores an active monthly plan named `name` at 12.00 EUR (no admin needed) and returns its
/// id.
pub async fn store_plan(app: &TestApp, name: &str) -> plinth_billing::PlanId {
    use plinth_billing::{Interval, Plan, PlanId};
    use plinth_kernel::{Currency, Money};
    let now =
        chrono::DateTime::from_timestamp_micros(chrono::Utc::now().timestamp_micros()).unwrap();
    let plan = Plan {
        id: PlanId::new(),
        code: format!("e2e-{}", uuid::Uuid::now_v7().simple()),
        name: name.into(),
        active: true,
        price: Money::new(1_200, Currency::parse("EUR").unwrap()),
        interval: Interval::Month,
        trial_days: 0,
        features: std::collections::BTreeMap::new(),
        created_at: now,
        updated_at: now,
    };
    let uow = app.database.unit_of_work();
    let mut tx = uow.begin().await.unwrap();
    app.database
        .billing()
        .insert_plan(tx.as_mut(), &plan)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    plan.id
}
