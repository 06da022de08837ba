//! A loopback S3-compatible server for the tests: `TEST_S3_ENDPOINT` when set, otherwise
//! moto's server mode (`moto_server`, from `pip install 'moto[server]'`) started on a free
//! port and killed when the handle is dropped.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use plinth_blobs::{S3Options, s3_store};
use plinth_files::BlobStore;

/// Printed by every S3 test that cannot find a server.
pub const SKIPPED: &str =
    "moto_server not found: S3 contract test skipped (pip install 'moto[server]')";

/// Credentials moto accepts (it checks nothing); a real server gets them from its own setup.
const KEY_ID: &str = "plinth-test";
const SECRET: &str = "plinth-test-secret";
const REGION: &str = "us-east-1";

/// A running S3-compatible server.
pub struct S3Server {
    /// `http://127.0.0.1:<port>`.
    pub endpoint: String,
    child: Option<Child>,
    http: reqwest::Client,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

/// The server for one test, or `None` (after printing [`SKIPPED`]) when there is none.
/// With `TEST_S3_REQUIRED` set, a missing server fails the test instead, so CI cannot
/// skip the suite silently.
pub async fn s3_server() -> Option<S3Server> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    if let Some(endpoint) = std::env::var("TEST_S3_ENDPOINT")
        .ok()
        .filter(|e| !e.trim().is_empty())
    {
        return Some(S3Server {
            endpoint: endpoint.trim().trim_end_matches('/').to_owned(),
            child: None,
            http,
        });
    }
    let Some(program) = find_on_path("moto_server") else {
        assert!(
            std::env::var_os("TEST_S3_REQUIRED").is_none(),
            "TEST_S3_REQUIRED is set but neither TEST_S3_ENDPOINT nor moto_server is available"
        );
        println!("{SKIPPED}");
        return None;
    };
    // A port taken between choosing and binding makes moto exit: try another one.
    let mut last_failure = String::new();
    for _ in 0..3 {
        match start_moto(&program, &http).await {
            Ok(server) => return Some(server),
            Err(failure) => last_failure = failure,
        }
    }
    panic!("moto_server did not start: {last_failure}");
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|file| {
            std::fs::metadata(file)
                .is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// A loopback port nobody listens on (the OS just handed it out and it was released).
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    listener.local_addr().unwrap().port()
}

async fn start_moto(program: &PathBuf, http: &reqwest::Client) -> Result<S3Server, String> {
    let port = free_port();
    let log = tempfile::NamedTempFile::new().unwrap();
    let child = Command::new(program)
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(log.reopen().unwrap())
        .spawn()
        .map_err(|e| format!("cannot run {}: {e}", program.display()))?;
    let mut server = S3Server {
        endpoint: format!("http://127.0.0.1:{port}"),
        child: Some(child),
        http: http.clone(),
    };
    let started = Instant::now();
    // Generous: two cores shared with a compiler in CI.
    while started.elapsed() < Duration::from_secs(60) {
        if let Some(status) = server.child.as_mut().unwrap().try_wait().unwrap() {
            server.child = None;
            let log = std::fs::read_to_string(log.path()).unwrap_or_default();
            return Err(format!("exited with {status}: {log}"));
        }
        let probe = http
            .get(&server.endpoint)
            .timeout(Duration::from_secs(2))
            .send()
            .await;
        if probe.is_ok_and(|r| r.status().is_success()) {
            return Ok(server);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Err("no answer within 60 s".to_owned())
}

impl S3Server {
    /// Creates a fresh, empty bucket (moto accepts an unsigned `PUT /<bucket>`).
    pub async fn create_bucket(&self) -> String {
        let bucket = format!("plinth-test-{}", uuid::Uuid::now_v7().simple());
        let response = self
            .http
            .put(format!("{}/{bucket}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "creating bucket {bucket}: {}",
            response.status()
        );
        bucket
    }

    /// Options reaching `bucket` under `prefix` on this server, without any `AWS_*` variable.
    pub fn options(&self, bucket: &str, prefix: &str) -> S3Options {
        S3Options {
            prefix: prefix.to_owned(),
            endpoint: Some(self.endpoint.clone()),
            region: Some(REGION.to_owned()),
            access_key_id: Some(KEY_ID.to_owned()),
            secret_access_key: Some(SECRET.into()),
            allow_http: true,
            ..S3Options::new(bucket)
        }
    }

    /// The blob store for `bucket` under `prefix`.
    pub fn store(&self, bucket: &str, prefix: &str) -> Arc<dyn BlobStore> {
        s3_store(self.options(bucket, prefix)).unwrap()
    }

    /// Every object key in `bucket` that starts with `prefix`, read from the server itself.
    pub async fn keys(&self, bucket: &str, prefix: &str) -> Vec<String> {
        let body = self
            .get_text(&format!("{bucket}?list-type=2&prefix={prefix}"))
            .await;
        assert!(
            !body.contains("<IsTruncated>true</IsTruncated>"),
            "more than one page of objects"
        );
        elements(&body, "Key")
    }

    /// The keys of the multipart uploads started in `bucket` and neither completed nor
    /// aborted (S3 keeps, and bills, their parts until then).
    pub async fn pending_uploads(&self, bucket: &str) -> Vec<String> {
        let body = self.get_text(&format!("{bucket}?uploads")).await;
        assert!(
            body.contains("ListMultipartUploadsResult"),
            "unexpected answer: {body}"
        );
        elements(&body, "Key")
    }

    async fn get_text(&self, path_and_query: &str) -> String {
        let response = self
            .http
            .get(format!("{}/{path_and_query}", self.endpoint))
            .send()
            .await
            .unwrap();
        assert!(
            response.status().is_success(),
            "{path_and_query}: {}",
            response.status()
        );
        response.text().await.unwrap()
    }
}

/// The text of every `<name>…</name>` element (enough for S3's flat listings).
fn elements(xml: &str, name: &str) -> Vec<String> {
    let (open, close) = (format!("<{name}>"), format!("</{name}>"));
    xml.split(&open)
        .skip(1)
        .filter_map(|rest| rest.split_once(&close).map(|(text, _)| text.to_owned()))
        .collect()
}
