//! Security notices: what is mailed to the account's address when a way into it changes, and
//! when a sign-in comes from a device the account had not used.

use chrono::Duration;
use plinth_kernel::{Email, RequestMeta};

use super::mfa::{EMAIL, current_code, with_totp};
use super::{Harness, PASSWORD, meta};
use crate::{MailKind, OutgoingMail};

fn from_phone() -> RequestMeta {
    RequestMeta {
        ip: Some("203.0.113.9".into()),
        user_agent: Some("Phone Browser/2.0".into()),
        request_id: None,
    }
}

/// The notices of `kind` mailed to `email`, oldest first.
fn notices(h: &Harness, email: &str, kind: MailKind) -> Vec<OutgoingMail> {
    let to = Email::parse(email).unwrap();
    h.mailer
        .sent()
        .into_iter()
        .filter(|m| m.to == to && m.kind == kind)
        .collect()
}

#[tokio::test]
async fn a_sign_in_from_an_unseen_device_is_told_once_and_a_known_one_never() {
    let h = Harness::new();
    h.register(EMAIL).await;
    // The device it signed up on is known: signing in from it again says nothing.
    h.auth.login(EMAIL, PASSWORD, &meta()).await.unwrap();
    assert!(notices(&h, EMAIL, MailKind::NewSignIn).is_empty());

    h.clock.set("2026-12-31T23:58:30Z".parse().unwrap());
    h.auth.login(EMAIL, PASSWORD, &from_phone()).await.unwrap();
    let sent = notices(&h, EMAIL, MailKind::NewSignIn);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].text("time"), Some("2026-12-31 23:58 UTC"));
    assert_eq!(sent[0].text("ip"), Some("203.0.113.9"));
    assert_eq!(sent[0].text("device"), Some("Phone Browser/2.0"));
    assert_eq!(sent[0].text("name"), Some("Ada Lovelace"));
    assert_eq!(sent[0].link, None, "a notice carries no action link");

    // The phone is known now, across the year boundary too.
    h.clock.advance(Duration::days(2));
    h.auth.login(EMAIL, PASSWORD, &from_phone()).await.unwrap();
    assert_eq!(notices(&h, EMAIL, MailKind::NewSignIn).len(), 1);
    // A failed sign-in from another device is no sign-in.
    let stranger = RequestMeta {
        user_agent: Some("Stranger/1.0".into()),
        ..from_phone()
    };
    assert!(
        h.auth
            .login(EMAIL, "wrong password", &stranger)
            .await
            .is_err()
    );
    assert_eq!(notices(&h, EMAIL, MailKind::NewSignIn).len(), 1);
}

#[tokio::test]
async fn a_password_change_and_a_reset_are_told_with_how() {
    let h = Harness::new();
    let pair = h.register(EMAIL).await;
    let principal = h.auth.authenticate(&pair.access_token).unwrap();
    h.auth
        .change_password(
            &principal,
            PASSWORD,
            "a brand new passphrase 1".into(),
            &from_phone(),
        )
        .await
        .unwrap();
    h.forgot(EMAIL).await;
    let token = h.mailed_token(EMAIL, "/reset-password");
    h.auth
        .reset_password(&token, "another new passphrase 2".into(), &meta())
        .await
        .unwrap();
    let sent = notices(&h, EMAIL, MailKind::PasswordChanged);
    let how: Vec<_> = sent.iter().map(|m| m.text("how")).collect();
    assert_eq!(how, [Some("changed"), Some("reset")]);
    assert_eq!(sent[0].text("ip"), Some("203.0.113.9"));
    // A refused change tells nothing.
    let principal = h
        .auth
        .authenticate(
            &h.auth
                .login(EMAIL, "another new passphrase 2", &meta())
                .await
                .unwrap()
                .tokens()
                .unwrap()
                .access_token,
        )
        .unwrap();
    assert!(
        h.auth
            .change_password(
                &principal,
                "not it",
                "whatever passphrase 3".into(),
                &meta()
            )
            .await
            .is_err()
    );
    assert_eq!(notices(&h, EMAIL, MailKind::PasswordChanged).len(), 2);
}

#[tokio::test]
async fn two_factor_on_and_off_are_told() {
    let h = Harness::new();
    let (principal, secret, _) = with_totp(&h).await;
    assert_eq!(notices(&h, EMAIL, MailKind::MfaEnabled).len(), 1);
    assert!(notices(&h, EMAIL, MailKind::MfaDisabled).is_empty());
    h.clock.advance(Duration::seconds(30));
    h.auth
        .disable_totp(&principal, PASSWORD, &current_code(&h, &secret), &meta())
        .await
        .unwrap();
    assert_eq!(notices(&h, EMAIL, MailKind::MfaDisabled).len(), 1);
}
