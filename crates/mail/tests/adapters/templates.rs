//! The shipped templates in both shipped languages, an operator's overrides, the language
//! fallback, escaping, and the guard that keeps codes and links out of subjects.

use std::sync::Arc;

use plinth_kernel::Email;
use plinth_mail::{MailTemplates, OutboxMailer, TemplatedMailer};
use plinth_sessions::{MailError, MailKind, Mailer, OutgoingMail};

const LINK: &str = "https://app.example.com/reset-password?token=Zm9v-YmFy_123";

fn mail(kind: MailKind, locale: Option<&str>) -> OutgoingMail {
    OutgoingMail::new(Email::parse("ada@example.com").unwrap(), kind)
        .locale(locale)
        .value("name", "Ada")
        .value("link", LINK)
        .value("code", "428913")
        .value("minutes", 15)
        .value("hours", 24)
        .value("time", "2026-12-31 23:59 UTC")
        .value("ip", "203.0.113.7")
        .value("device", "Firefox on Linux")
        .value("organization", "Acme")
        .value("role", "admin")
        .value("expires", "2027-01-07 12:00 UTC")
        .value("email", "ada@example.com")
        .value("new_email", "ada@new.example")
        .value("old_email", "ada@example.com")
        .value("provider", "GitHub")
        .value("passkey", "Laptop")
        .link(LINK)
}

fn shipped() -> MailTemplates {
    MailTemplates::shipped("Acme Cloud", "https://app.example.com")
}

#[test]
fn every_message_has_a_subject_a_text_and_an_html_part_in_english_and_german() {
    let templates = shipped();
    assert_eq!(templates.locales(), ["de", "en"]);
    for kind in MailKind::ALL {
        let en = templates.render(&mail(kind, None)).unwrap();
        let de = templates.render(&mail(kind, Some("de"))).unwrap();
        assert_eq!((en.locale.as_str(), de.locale.as_str()), ("en", "de"));
        for rendered in [&en, &de] {
            assert!(!rendered.subject.is_empty() && !rendered.subject.contains('\n'));
            assert!(
                rendered.text.contains("Acme Cloud") || rendered.subject.contains("Acme Cloud"),
                "{kind}: the product name comes from configuration"
            );
            assert!(!rendered.text.contains("{{"), "{kind}: {}", rendered.text);
            assert!(rendered.html.starts_with("<!doctype html>"), "{kind}");
            assert!(rendered.html.contains("Acme Cloud"), "{kind}");
            assert_eq!(rendered.link.as_deref(), Some(LINK));
        }
        assert_ne!(en.subject, de.subject, "{kind} is translated");
        assert_ne!(en.text, de.text, "{kind} is translated");
        assert!(de.html.contains("<html lang=\"de\">"), "{kind}");
    }
}

#[test]
fn action_mails_carry_their_link_and_code_in_both_parts() {
    let templates = shipped();
    for kind in [
        MailKind::PasswordReset,
        MailKind::EmailVerification,
        MailKind::PasswordlessSignIn,
        MailKind::PasswordlessSignUp,
        MailKind::OrgInvitation,
        MailKind::EmailChangeRequested,
    ] {
        let rendered = templates.render(&mail(kind, None)).unwrap();
        assert!(rendered.text.contains(LINK), "{kind}: {}", rendered.text);
        assert!(
            rendered.html.contains(&format!("href=\"{LINK}\"")),
            "{kind}: {}",
            rendered.html
        );
    }
    let code = templates
        .render(&mail(MailKind::PasswordlessSignIn, Some("de")))
        .unwrap();
    assert!(code.text.contains("    428913\n"), "{}", code.text);
    assert!(!code.subject.contains("428913"));
    let notice = templates.render(&mail(MailKind::NewSignIn, None)).unwrap();
    assert!(
        notice.text.contains("IP address: 203.0.113.7"),
        "{}",
        notice.text
    );
    assert!(
        notice.text.contains("Device: Firefox on Linux"),
        "{}",
        notice.text
    );
}

#[test]
fn a_language_without_templates_falls_back_to_its_primary_language_then_english() {
    let templates = shipped();
    let lang = |locale| {
        templates
            .render(&mail(MailKind::PasswordReset, Some(locale)))
            .unwrap()
            .locale
    };
    assert_eq!(lang("de-AT"), "de");
    assert_eq!(lang("pt-BR"), "en");
    assert_eq!(
        lang("../../etc"),
        "en",
        "a tag that is no tag is not a path"
    );
}

#[test]
fn values_are_escaped_in_html_and_kept_verbatim_in_text() {
    let templates = shipped();
    let message = mail(MailKind::PasswordChanged, None).value("name", "<b>Ada</b> & co");
    let rendered = templates.render(&message).unwrap();
    assert!(
        rendered.text.contains("Hello <b>Ada</b> & co,"),
        "{}",
        rendered.text
    );
    assert!(
        rendered
            .html
            .contains("Hello &lt;b&gt;Ada&lt;/b&gt; &amp; co,"),
        "{}",
        rendered.html
    );
    let quoted = mail(MailKind::PasswordReset, None).value("link", "x\" onclick=\"alert(1)");
    let rendered = templates.render(&quoted).unwrap();
    assert!(
        rendered
            .html
            .contains("href=\"x&quot; onclick=&quot;alert(1)\""),
        "a value cannot leave its attribute: {}",
        rendered.html
    );
}

#[test]
fn an_operators_folder_replaces_a_file_and_adds_a_language() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("en")).unwrap();
    std::fs::create_dir_all(dir.path().join("fr")).unwrap();
    std::fs::write(
        dir.path().join("en/password_reset.txt"),
        "Subject: {{ product }}: new password\n\nHi {{ name }}, go to {{ link }}\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("fr/password_reset.txt"),
        "Subject: Nouveau mot de passe\n\nBonjour {{ name }}, {{ link }}\n",
    )
    .unwrap();
    let templates =
        MailTemplates::load(dir.path(), "Acme Cloud", "https://app.example.com").unwrap();
    assert_eq!(templates.locales(), ["de", "en", "fr"]);
    let en = templates
        .render(&mail(MailKind::PasswordReset, None))
        .unwrap();
    assert_eq!(en.subject, "Acme Cloud: new password");
    assert_eq!(en.text, format!("Hi Ada, go to {LINK}\n"));
    assert!(
        en.html.contains("Choose a new password"),
        "the shipped HTML part stays"
    );
    let fr = templates
        .render(&mail(MailKind::PasswordReset, Some("fr-CA")))
        .unwrap();
    assert_eq!(
        (fr.locale.as_str(), fr.subject.as_str()),
        ("fr", "Nouveau mot de passe")
    );
    // French has no other template: those messages are in English.
    let other = templates
        .render(&mail(MailKind::MfaEnabled, Some("fr")))
        .unwrap();
    assert_eq!(other.locale, "en");
    // A missing folder is no error: the shipped templates serve.
    let missing = dir.path().join("nowhere");
    assert!(MailTemplates::load(&missing, "Acme", "https://a.example").is_ok());
}

#[test]
fn a_broken_override_stops_the_start_up_naming_its_file() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("de")).unwrap();
    std::fs::write(
        dir.path().join("de/mfa_enabled.html"),
        "{% extends \"layout.html\" %}{% block content %}{{ name }{% endblock %}",
    )
    .unwrap();
    let err = MailTemplates::load(dir.path(), "Acme", "https://a.example").unwrap_err();
    assert!(err.to_string().contains("de/mfa_enabled.html"), "{err}");

    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("en")).unwrap();
    std::fs::write(dir.path().join("en/mfa_disabled.txt"), "No subject here\n").unwrap();
    let err = MailTemplates::load(dir.path(), "Acme", "https://a.example").unwrap_err();
    assert!(err.to_string().contains("mfa_disabled"), "{err}");
}

#[test]
fn a_template_that_puts_a_code_or_link_in_the_subject_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dir.path().join("en")).unwrap();
    std::fs::write(
        dir.path().join("en/passwordless_sign_in.txt"),
        "Subject: Your code is {{ code }}\n\n{{ link }}\n",
    )
    .unwrap();
    let templates = MailTemplates::load(dir.path(), "Acme", "https://a.example").unwrap();
    let err = templates
        .render(&mail(MailKind::PasswordlessSignIn, None))
        .unwrap_err();
    assert!(matches!(err, MailError::InvalidMessage(_)), "{err:?}");
    assert!(!format!("{err}").contains("428913"), "{err}");
}

#[tokio::test]
async fn the_mailer_writes_the_rendered_message_in_the_recipients_language() {
    let dir = tempfile::tempdir().unwrap();
    let outbox = OutboxMailer::new(dir.path(), "Acme Cloud <no-reply@example.com>").unwrap();
    let mailer = TemplatedMailer::new(Arc::new(shipped()), Arc::new(outbox));
    mailer
        .send(&mail(MailKind::PasswordReset, Some("de")))
        .await
        .unwrap();
    let mut files: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    let text = std::fs::read_to_string(&files[1]).unwrap();
    assert!(
        text.contains("Subject: Ihr Acme Cloud-Passwort zurücksetzen\r\n"),
        "{text}"
    );
    assert!(text.contains("Hallo Ada,"), "{text}");
    assert!(text.contains(LINK), "{text}");
    let html = std::fs::read_to_string(&files[0]).unwrap();
    assert!(html.contains("Neues Passwort wählen"), "{html}");
}
