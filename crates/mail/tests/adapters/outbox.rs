use std::sync::Arc;

use plinth_kernel::Email;
use plinth_kernel::testing::ManualClock;
use plinth_mail::{
    MailTemplates, OutboxMailer, RenderedMail, SmtpConfigError, Transport, mailer_from_settings,
};
use plinth_sessions::MailKind;

use super::logs;

fn reset_mail(link: &str) -> RenderedMail {
    RenderedMail {
        to: Email::parse("alice@example.com").unwrap(),
        subject: "Reset your Plinth password".into(),
        text: format!(
            "Hello Alice,\n\nTo choose a new password, open:\n{link}\n\nÇa expire bientôt."
        ),
        html: format!("<p>Hello Alice,</p><p><a href=\"{link}\">Choose a new password</a></p>"),
        link: Some(link.into()),
        kind: MailKind::PasswordReset,
        locale: "en".into(),
    }
}

fn templates() -> Arc<MailTemplates> {
    Arc::new(MailTemplates::shipped("Plinth", "http://127.0.0.1:8080"))
}

fn files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn writes_a_readable_file_with_the_link_and_logs_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data").join("outbox");
    let clock = ManualClock::new("2026-03-01T12:34:56.789Z".parse().unwrap());
    let mailer = OutboxMailer::new(&dir, "Plinth <no-reply@localhost>")
        .unwrap()
        .with_clock(Arc::new(clock));
    let link = "http://127.0.0.1:8080/reset-password?token=AbC-dEf_123";
    let (logs, _guard) = logs::capture();

    mailer.deliver(&reset_mail(link)).await.unwrap();

    let written = files(&dir);
    assert_eq!(
        written.len(),
        2,
        "the folder is created and holds one message: its text and its HTML part"
    );
    let html = std::fs::read_to_string(&written[0]).unwrap();
    assert!(written[0].extension().unwrap() == "html", "{written:?}");
    assert!(html.contains(&format!("<a href=\"{link}\">")), "{html}");
    let written = &written[1..];
    let name = written[0].file_name().unwrap().to_str().unwrap().to_owned();
    assert!(name.starts_with("20260301T123456.789000Z-"), "{name}");
    assert!(name.ends_with(".txt"), "{name}");
    let uuid_part = &name["20260301T123456.789000Z-".len()..name.len() - 4];
    assert!(uuid::Uuid::parse_str(uuid_part).is_ok(), "{name}");

    let text = std::fs::read_to_string(&written[0]).unwrap();
    assert!(text.contains("To: alice@example.com\r\n"), "{text}");
    assert!(
        text.contains("From: Plinth <no-reply@localhost>\r\n"),
        "{text}"
    );
    assert!(
        text.contains("Subject: Reset your Plinth password\r\n"),
        "{text}"
    );
    assert!(
        text.contains(&format!("X-Plinth-Link: {link}\r\n")),
        "{text}"
    );
    assert!(
        text.contains("Date: Sun, 1 Mar 2026 12:34:56 +0000\r\n"),
        "{text}"
    );
    assert!(text.contains(&format!(
        "\r\n\r\nHello Alice,\r\n\r\nTo choose a new password, open:\r\n{link}\r\n"
    )));
    assert!(
        text.contains("Ça expire bientôt."),
        "UTF-8 body kept readable"
    );

    let logged = logs.text();
    let line = logged
        .lines()
        .find(|l| l.contains("mail written to the outbox"))
        .unwrap_or_else(|| panic!("{logged}"));
    assert!(line.contains("INFO"), "{line}");
    assert!(line.contains("alice@example.com") && line.contains("Reset your Plinth password"));
    assert!(line.contains(link), "{line}");
    assert!(
        !logged.contains("Hello Alice"),
        "the body is not logged: {logged}"
    );

    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&written[0]).unwrap().permissions().mode();
        assert_eq!(
            mode & 0o077,
            0,
            "only the owner may read a file holding a token"
        );
    }
}

#[tokio::test]
async fn each_message_gets_its_own_file_even_in_the_same_instant() {
    let tmp = tempfile::tempdir().unwrap();
    let clock = ManualClock::new("2026-03-01T12:00:00Z".parse().unwrap());
    let mailer = OutboxMailer::new(tmp.path(), "no-reply@localhost")
        .unwrap()
        .with_clock(Arc::new(clock));
    for i in 0..3 {
        mailer
            .deliver(&reset_mail(&format!("http://x/reset-password?token=t{i}")))
            .await
            .unwrap();
    }
    let written = files(tmp.path());
    assert_eq!(written.len(), 6, "three messages, each with its HTML part");
    let all: String = written
        .iter()
        .map(|p| std::fs::read_to_string(p).unwrap())
        .collect();
    for i in 0..3 {
        assert!(all.contains(&format!("token=t{i}")));
    }
}

#[tokio::test]
async fn header_injection_through_the_subject_is_neutralised() {
    let tmp = tempfile::tempdir().unwrap();
    let mailer = OutboxMailer::new(tmp.path(), "no-reply@localhost").unwrap();
    let mut mail = reset_mail("http://x/reset-password?token=t");
    mail.subject = "Hi\r\nBcc: victim@example.com".into();
    mailer.deliver(&mail).await.unwrap();
    let text = std::fs::read_to_string(&files(tmp.path())[1]).unwrap();
    assert!(
        text.contains("Subject: Hi  Bcc: victim@example.com\r\n"),
        "{text}"
    );
    assert!(!text.contains("\r\nBcc:"), "{text}");
}

#[tokio::test]
async fn an_unwritable_folder_is_a_delivery_error() {
    let tmp = tempfile::tempdir().unwrap();
    let blocker = tmp.path().join("not-a-dir");
    std::fs::write(&blocker, "x").unwrap();
    let mailer = OutboxMailer::new(blocker.join("outbox"), "no-reply@localhost").unwrap();
    let err = mailer
        .deliver(&reset_mail("http://x/r?token=SECRET-TOKEN"))
        .await
        .unwrap_err();
    let shown = format!("{err} {err:?}");
    assert!(shown.contains("outbox"), "{shown}");
    assert!(!shown.contains("SECRET-TOKEN"), "{shown}");
}

#[test]
fn settings_pick_the_outbox_without_smtp_url_and_check_the_sender() {
    let tmp = tempfile::tempdir().unwrap();
    let from = plinth_mail::DEFAULT_FROM;
    assert!(mailer_from_settings(None, tmp.path(), from, true, templates()).is_ok());
    assert!(
        mailer_from_settings(
            Some("smtp://mail.example.com"),
            tmp.path(),
            from,
            false,
            templates()
        )
        .is_ok()
    );
    assert_eq!(
        mailer_from_settings(None, tmp.path(), "not a mailbox", true, templates()).err(),
        Some(SmtpConfigError::InvalidFrom)
    );
}

#[tokio::test]
async fn without_logged_links_the_log_never_names_the_link() {
    let tmp = tempfile::tempdir().unwrap();
    let mailer = OutboxMailer::new(tmp.path(), "Plinth <no-reply@localhost>")
        .unwrap()
        .without_logged_links();
    let link = "http://127.0.0.1:8080/reset-password?token=PRODUCTION-SECRET";
    let (logs, _guard) = logs::capture();
    mailer.deliver(&reset_mail(link)).await.unwrap();
    let logged = logs.text();
    assert!(logged.contains("mail written to the outbox"), "{logged}");
    assert!(!logged.contains("PRODUCTION-SECRET"), "{logged}");
    let text = std::fs::read_to_string(&files(tmp.path())[1]).unwrap();
    assert!(text.contains(link), "the file still holds the link");
}
