use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use plinth_kernel::Email;
use plinth_mail::{RenderedMail, SmtpMailer, SmtpSecurity, Transport};
use plinth_sessions::{MailError, MailKind};

use super::logs;
use super::smtp_server::{self, Script};

const PASSWORD: &str = "p4ss-w0rd-never-shown";
const LINK: &str =
    "https://app.example.com/verify-email?token=Zm9vYmFy_-0123456789abcdefghijklmnopqrstuv";

fn verification_mail() -> RenderedMail {
    RenderedMail {
        to: Email::parse("bob@example.com").unwrap(),
        subject: "Confirm your email address".into(),
        text: format!("Welcome to Plinth.\n\nConfirm your address:\n{LINK}\n"),
        html: format!("<p>Welcome to Plinth.</p><p><a href=\"{LINK}\">Confirm</a></p>"),
        link: Some(LINK.into()),
        kind: MailKind::EmailVerification,
        locale: "en".into(),
    }
}

fn url(addr: std::net::SocketAddr, tls: &str) -> String {
    format!("smtp://mailer%40example.com:{PASSWORD}@{addr}?tls={tls}")
}

fn assert_no_secret(text: &str) {
    let b64 = STANDARD.encode(format!("\0mailer@example.com\0{PASSWORD}"));
    assert!(!text.contains(PASSWORD), "password leaked: {text}");
    assert!(!text.contains(&b64), "encoded credentials leaked: {text}");
}

/// The body of a captured message as a mail client shows it (its parts' quoted-printable
/// decoded).
fn decoded_body(data: &str) -> String {
    let (_, body) = data.split_once("\n\n").expect("headers and body");
    let joined = body.replace("=\n", "");
    let bytes = joined.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let hex = joined
            .get(i + 1..i + 3)
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        if bytes[i] == b'='
            && let Some(byte) = hex
        {
            out.push(byte);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

#[tokio::test]
async fn delivers_subject_recipient_and_link_through_smtp() {
    let (addr, server) = smtp_server::start(Script::default()).await;
    let mailer = SmtpMailer::from_url(&url(addr, "none"), "Plinth <no-reply@example.com>").unwrap();
    let (logs, _guard) = logs::capture();

    mailer.deliver(&verification_mail()).await.unwrap();
    let session = server.await.unwrap();

    assert!(session.commands[0].to_ascii_uppercase().starts_with("EHLO"));
    let auth = session.auth.expect("authenticated");
    let creds = auth.rsplit(' ').next().unwrap();
    assert_eq!(
        STANDARD.decode(creds).unwrap(),
        format!("\0mailer@example.com\0{PASSWORD}").as_bytes()
    );
    assert!(
        session
            .mail_from
            .unwrap()
            .contains("<no-reply@example.com>")
    );
    assert_eq!(session.rcpt_to.len(), 1);
    assert!(session.rcpt_to[0].contains("<bob@example.com>"));
    let data = session.data.expect("DATA sent");
    assert!(
        data.contains("Subject: Confirm your email address"),
        "{data}"
    );
    assert!(data.contains("To: bob@example.com"), "{data}");
    assert!(
        data.contains("From: Plinth <no-reply@example.com>"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: multipart/alternative"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/plain; charset=utf-8"),
        "{data}"
    );
    assert!(
        data.contains("Content-Type: text/html; charset=utf-8"),
        "{data}"
    );
    let body = decoded_body(&data);
    assert!(
        body.contains(&format!("Confirm your address:\n{LINK}")),
        "the link arrives intact in the text part once decoded: {body}"
    );
    assert!(
        body.contains(&format!("<a href=\"{LINK}\">")),
        "and in the HTML part: {body}"
    );
    assert!(session.quit, "the client says QUIT");

    let logged = logs.text();
    assert!(logged.contains("mail sent"), "{logged}");
    assert_no_secret(&logged);
    assert!(
        !logged.contains("token="),
        "SMTP delivery does not log the link: {logged}"
    );
}

#[tokio::test]
async fn refused_credentials_are_an_error_that_does_not_echo_them() {
    let script = Script {
        auth_reply: "535 5.7.8 Authentication credentials invalid",
        ..Script::default()
    };
    let (addr, server) = smtp_server::start(script).await;
    let mailer = SmtpMailer::from_url(&url(addr, "none"), "no-reply@example.com").unwrap();
    let (logs, _guard) = logs::capture();

    let err = mailer.deliver(&verification_mail()).await.unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(matches!(err, MailError::Delivery(_)), "{shown}");
    assert!(
        shown.contains(&addr.to_string()),
        "says which server: {shown}"
    );
    assert_no_secret(&shown);
    assert_no_secret(&logs.text());
    let session = server.await.unwrap();
    assert!(session.data.is_none(), "nothing delivered");
}

#[tokio::test]
async fn starttls_is_required_by_default_and_never_downgraded() {
    let (addr, server) = smtp_server::start(Script::default()).await;
    let mailer = SmtpMailer::from_url(
        &format!("smtp://u:{PASSWORD}@{addr}"),
        "no-reply@example.com",
    )
    .unwrap();
    assert!(format!("{mailer:?}").contains("StartTlsRequired"));

    let err = mailer.deliver(&verification_mail()).await.unwrap_err();
    assert_no_secret(&format!("{err} {err:?}"));
    let session = server.await.unwrap();
    assert!(
        session.auth.is_none(),
        "credentials never cross a plaintext connection"
    );
    assert!(session.data.is_none());
}

#[tokio::test]
async fn an_unreachable_server_is_a_delivery_error() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let mailer = SmtpMailer::from_url(&url(addr, "none"), "no-reply@example.com").unwrap();
    let err = mailer.deliver(&verification_mail()).await.unwrap_err();
    assert!(matches!(err, MailError::Delivery(_)));
    assert_no_secret(&format!("{err} {err:?}"));
}

#[tokio::test]
async fn a_silent_server_times_out() {
    let (addr, _server) = smtp_server::start(Script {
        silent: true,
        ..Script::default()
    })
    .await;
    let mailer = SmtpMailer::from_url(&url(addr, "none"), "no-reply@example.com")
        .unwrap()
        .with_timeout(std::time::Duration::from_millis(300));
    let started = std::time::Instant::now();
    let err = mailer.deliver(&verification_mail()).await.unwrap_err();
    let waited = started.elapsed();
    assert!(matches!(err, MailError::Delivery(_)), "{err}");
    assert!(
        waited >= std::time::Duration::from_millis(250),
        "{waited:?}"
    );
    assert!(waited < std::time::Duration::from_secs(5), "{waited:?}");
}

#[test]
fn debug_shows_the_endpoint_but_not_the_credentials() {
    let mailer = SmtpMailer::from_url(
        &format!("smtps://mailer:{PASSWORD}@mail.example.com"),
        "no-reply@example.com",
    )
    .unwrap();
    let shown = format!("{mailer:?}");
    assert!(
        shown.contains("mail.example.com") && shown.contains("465"),
        "{shown}"
    );
    assert!(
        shown.contains(&format!("{:?}", SmtpSecurity::ImplicitTls)),
        "{shown}"
    );
    assert_no_secret(&shown);
    assert!(!shown.contains("mailer:"), "{shown}");
}

#[test]
fn bad_urls_are_refused_without_echoing_the_password() {
    for bad in [
        format!("smtp://u:{PASSWORD}@host?tls=sometimes"),
        format!("imap://u:{PASSWORD}@host"),
        format!("smtp://u:{PASSWORD}@host:70000"),
    ] {
        let err = SmtpMailer::from_url(&bad, "no-reply@example.com").unwrap_err();
        assert_no_secret(&format!("{err} {err:?}"));
    }
}
