//! Passwordless sign-in: one mail with a link and a code, either one ends the request, replay
//! and expiry, wrong codes under the lockout, no enumeration, the per-address cap, sign-up,
//! MFA as a second step. The clock is a manual one: expiry is reached by moving it.

use chrono::Duration;
use plinth_audit::AuditAction;
use plinth_kernel::Email;
use plinth_users::UserStatus;

use super::mfa::{current_code, with_totp};
use super::{Harness, meta};
use crate::passwordless::MAX_WRONG_CODES;
use crate::{AuthError, LoginOutcome, PasswordlessCodeKey, PasswordlessPolicy, TokenPair};

const EMAIL: &str = "ada@example.com";

/// The link token and the code of the last passwordless mail to `email`.
fn mailed(h: &Harness, email: &str) -> (String, String) {
    let to = Email::parse(email).unwrap();
    let mail = h
        .mailer
        .sent()
        .into_iter()
        .rev()
        .find(|m| {
            m.to == to
                && m.link
                    .as_deref()
                    .is_some_and(|l| l.contains("/passwordless?"))
        })
        .expect("a passwordless mail");
    let link = mail.link.clone().unwrap();
    assert!(
        link.starts_with("https://app.example/passwordless?token="),
        "{link}"
    );
    assert_eq!(
        mail.text("link"),
        Some(link.as_str()),
        "the body carries the link"
    );
    let code = mail.text("code").expect("the code").to_owned();
    assert!(
        code.len() == 6 && code.bytes().all(|b| b.is_ascii_digit()),
        "{code}"
    );
    (link.split_once("?token=").unwrap().1.to_owned(), code)
}

fn passwordless_mails(h: &Harness, email: &str) -> usize {
    let to = Email::parse(email).unwrap();
    h.mailer
        .sent()
        .iter()
        .filter(|m| {
            m.to == to
                && m.link
                    .as_deref()
                    .is_some_and(|l| l.contains("/passwordless?"))
        })
        .count()
}

async fn start(h: &Harness, email: &str) {
    h.auth.start_passwordless(email, &meta());
    h.settle().await;
}

fn tokens(outcome: Result<LoginOutcome, AuthError>) -> TokenPair {
    match outcome {
        Ok(LoginOutcome::Tokens(pair)) => *pair,
        other => panic!("expected tokens, got {other:?}"),
    }
}

fn rejected(outcome: Result<LoginOutcome, AuthError>) {
    assert!(
        matches!(outcome, Err(AuthError::PasswordlessRejected)),
        "expected a refusal, got {outcome:?}"
    );
}

/// A code that is not `code`.
fn other_than(code: &str) -> String {
    if code == "000000" { "000001" } else { "000000" }.to_owned()
}

fn with_signup(h: &mut Harness) {
    h.auth = h.auth.clone().with_passwordless(PasswordlessPolicy {
        signup: true,
        ..PasswordlessPolicy::new(PasswordlessCodeKey::new([3; 32]))
    });
}

#[tokio::test]
async fn the_link_signs_in_once_and_burns_the_code() {
    let h = Harness::new();
    let user = h.register(EMAIL).await.user;
    start(&h, EMAIL).await;
    let (link, code) = mailed(&h, EMAIL);

    let pair = tokens(h.auth.passwordless_with_link(&link, &meta()).await);
    assert_eq!(pair.user.id, user.id);
    assert!(h.auth.authenticate(&pair.access_token).is_ok());
    rejected(h.auth.passwordless_with_link(&link, &meta()).await);
    rejected(h.auth.passwordless_with_code(EMAIL, &code, &meta()).await);

    let requested = h.audited(AuditAction::PasswordlessRequested).await;
    assert_eq!(requested.len(), 1);
    assert_eq!(requested[0].details["outcome"], "mailed");
    assert_eq!(requested[0].actor_id, Some(user.id.as_uuid()));
    let succeeded = h.audited(AuditAction::LoginSucceeded).await;
    assert_eq!(succeeded.len(), 1);
    assert_eq!(succeeded[0].details["method"], "passwordless_link");
    let failed = h.audited(AuditAction::LoginFailed).await;
    assert_eq!(failed.len(), 2, "the replay and the burnt code are audited");
    let text = format!("{requested:?}{succeeded:?}{failed:?}");
    assert!(
        !text.contains(&link) && !text.contains(&code),
        "no secret in the audit trail"
    );
}

#[tokio::test]
async fn the_code_signs_in_once_and_burns_the_link() {
    let h = Harness::new();
    h.register(EMAIL).await;
    start(&h, EMAIL).await;
    let (link, code) = mailed(&h, EMAIL);

    let typed = format!(" {} {} ", &code[..3], &code[3..]);
    let pair = tokens(
        h.auth
            .passwordless_with_code("ADA@example.com", &typed, &meta())
            .await,
    );
    assert_eq!(pair.user.email.as_str(), EMAIL);
    rejected(h.auth.passwordless_with_code(EMAIL, &code, &meta()).await);
    rejected(h.auth.passwordless_with_link(&link, &meta()).await);
    let succeeded = h.audited(AuditAction::LoginSucceeded).await;
    assert_eq!(succeeded[0].details["method"], "passwordless_code");
}

#[tokio::test]
async fn redeeming_one_request_ends_the_others_of_the_address() {
    let h = Harness::new();
    h.register(EMAIL).await;
    start(&h, EMAIL).await;
    let (old_link, old_code) = mailed(&h, EMAIL);
    start(&h, EMAIL).await;
    let (_, new_code) = mailed(&h, EMAIL);
    tokens(
        h.auth
            .passwordless_with_code(EMAIL, &new_code, &meta())
            .await,
    );
    rejected(h.auth.passwordless_with_link(&old_link, &meta()).await);
    rejected(
        h.auth
            .passwordless_with_code(EMAIL, &old_code, &meta())
            .await,
    );
}

#[tokio::test]
async fn link_and_code_expire_after_the_configured_lifetime() {
    let mut h = Harness::new();
    h.auth = h.auth.clone().with_passwordless(PasswordlessPolicy {
        ttl: Duration::minutes(5),
        ..PasswordlessPolicy::new(PasswordlessCodeKey::new([9; 32]))
    });
    h.register(EMAIL).await;
    start(&h, EMAIL).await;
    let (link, code) = mailed(&h, EMAIL);
    assert!(
        h.mailer.last().unwrap().values["minutes"] == 5,
        "the mail says how long"
    );
    h.clock.advance(Duration::minutes(5));
    rejected(h.auth.passwordless_with_link(&link, &meta()).await);
    rejected(h.auth.passwordless_with_code(EMAIL, &code, &meta()).await);

    start(&h, EMAIL).await;
    let (link, _) = mailed(&h, EMAIL);
    h.clock.advance(Duration::minutes(5) - Duration::seconds(1));
    tokens(h.auth.passwordless_with_link(&link, &meta()).await);
}

#[tokio::test]
async fn wrong_codes_count_towards_the_lockout_and_kill_the_code_but_not_the_link() {
    let h = Harness::new();
    let mut user = h.register(EMAIL).await.user;
    user.email_verified = true;
    h.save(&user).await;
    start(&h, EMAIL).await;
    let (link, code) = mailed(&h, EMAIL);
    let wrong = other_than(&code);
    for _ in 1..MAX_WRONG_CODES {
        rejected(h.auth.passwordless_with_code(EMAIL, &wrong, &meta()).await);
    }
    let last = h.auth.passwordless_with_code(EMAIL, &wrong, &meta()).await;
    assert!(
        matches!(last, Err(AuthError::Locked(_))),
        "the fifth wrong code locks the account: {last:?}"
    );
    let right = h.auth.passwordless_with_code(EMAIL, &code, &meta()).await;
    assert!(
        matches!(right, Err(AuthError::Locked(_))),
        "while locked, even the right code is refused unchecked: {right:?}"
    );
    let password = h.auth.login(EMAIL, super::PASSWORD, &meta()).await;
    assert!(
        matches!(password, Err(AuthError::Locked(_))),
        "one lockout for both"
    );
    let failed = h.audited(AuditAction::LoginFailed).await;
    let wrong_codes = failed
        .iter()
        .filter(|e| e.details["reason"] == "wrong_code")
        .count();
    assert_eq!(wrong_codes as u32, MAX_WRONG_CODES);
    assert!(failed.iter().all(|e| e.actor_id == Some(user.id.as_uuid())));
    assert_eq!(h.audited(AuditAction::Locked).await.len(), 1);

    h.clock.advance(Duration::minutes(2));
    let dead = h.auth.passwordless_with_code(EMAIL, &code, &meta()).await;
    assert!(
        matches!(dead, Err(AuthError::Locked(_))),
        "after the lock, the right code is dead: it counts as wrong and locks again: {dead:?}"
    );
    let pair = tokens(h.auth.passwordless_with_link(&link, &meta()).await);
    assert_eq!(
        pair.user.id, user.id,
        "the link still works, and clears the streak"
    );
    assert!(h.auth.login(EMAIL, super::PASSWORD, &meta()).await.is_ok());
}

#[tokio::test]
async fn an_unknown_address_gets_no_mail_and_the_same_answers() {
    let h = Harness::new();
    h.register(EMAIL).await;
    start(&h, "nobody@example.com").await;
    assert_eq!(passwordless_mails(&h, "nobody@example.com"), 0);
    let requested = h.audited(AuditAction::PasswordlessRequested).await;
    assert_eq!(requested[0].details["outcome"], "no_account");
    assert_eq!(requested[0].actor_id, None);
    let unknown = h
        .auth
        .passwordless_with_code("nobody@example.com", "123456", &meta())
        .await
        .unwrap_err();
    let known = h
        .auth
        .passwordless_with_code(EMAIL, "123456", &meta())
        .await
        .unwrap_err();
    assert_eq!(unknown.to_string(), known.to_string());
    assert!(
        h.user("nobody@example.com").await.is_none(),
        "no account made"
    );
}

#[tokio::test]
async fn an_address_gets_at_most_three_mails_an_hour() {
    let h = Harness::new();
    h.register(EMAIL).await;
    for _ in 0..5 {
        start(&h, EMAIL).await;
    }
    assert_eq!(passwordless_mails(&h, EMAIL), 3);
    let outcomes: Vec<_> = h
        .audited(AuditAction::PasswordlessRequested)
        .await
        .iter()
        .map(|e| e.details["outcome"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(outcomes.iter().filter(|o| *o == "capped").count(), 2);
    h.clock.advance(Duration::hours(1) + Duration::seconds(1));
    start(&h, EMAIL).await;
    assert_eq!(passwordless_mails(&h, EMAIL), 4, "a new hour, a new mail");
}

#[tokio::test]
async fn with_signup_on_an_unknown_address_gets_a_verified_account() {
    let mut h = Harness::new();
    with_signup(&mut h);
    let email = "new@example.com";
    start(&h, email).await;
    let (link, code) = mailed(&h, email);
    assert_eq!(
        h.mailer.last().unwrap().kind,
        crate::MailKind::PasswordlessSignUp
    );
    assert!(
        h.user(email).await.is_none(),
        "no account before redemption"
    );

    let pair = tokens(h.auth.passwordless_with_code(email, &code, &meta()).await);
    assert_eq!(pair.user.email.as_str(), email);
    assert!(pair.user.email_verified, "the address is proven");
    assert_eq!(pair.user.name.as_str(), "new");
    rejected(h.auth.passwordless_with_link(&link, &meta()).await);
    let registered = h.audited(AuditAction::Registered).await;
    assert_eq!(registered.len(), 1);
    assert_eq!(registered[0].details["method"], "passwordless");
    let login = h.auth.login(email, "", &meta()).await;
    assert!(
        matches!(login, Err(AuthError::InvalidCredentials)),
        "no password works for it"
    );

    start(&h, email).await;
    assert_eq!(
        h.mailer.last().unwrap().kind,
        crate::MailKind::PasswordlessSignIn
    );
}

#[tokio::test]
async fn a_signup_link_stops_working_when_signup_is_turned_off() {
    let mut h = Harness::new();
    with_signup(&mut h);
    start(&h, "new@example.com").await;
    let (link, _) = mailed(&h, "new@example.com");
    h.auth = h
        .auth
        .clone()
        .with_passwordless(PasswordlessPolicy::new(PasswordlessCodeKey::new([3; 32])));
    rejected(h.auth.passwordless_with_link(&link, &meta()).await);
    assert!(h.user("new@example.com").await.is_none());
}

#[tokio::test]
async fn an_account_with_totp_gets_the_mfa_challenge() {
    let h = Harness::new();
    let (_, secret, _) = with_totp(&h).await;
    start(&h, super::mfa::EMAIL).await;
    let (link, _) = mailed(&h, super::mfa::EMAIL);
    let challenge = match h.auth.passwordless_with_link(&link, &meta()).await {
        Ok(LoginOutcome::MfaRequired(challenge)) => challenge,
        other => panic!("a first factor alone must not sign in: {other:?}"),
    };
    h.clock.advance(Duration::seconds(30));
    let pair = h
        .auth
        .complete_mfa(
            challenge.mfa_token.expose(),
            &current_code(&h, &secret),
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(pair.user.email.as_str(), super::mfa::EMAIL);
}

#[tokio::test]
async fn a_suspended_account_is_refused_after_the_right_code() {
    let h = Harness::new();
    let mut user = h.register(EMAIL).await.user;
    start(&h, EMAIL).await;
    let (link, _) = mailed(&h, EMAIL);
    user.status = UserStatus::Suspended;
    h.save(&user).await;
    let outcome = h.auth.passwordless_with_link(&link, &meta()).await;
    assert!(
        matches!(outcome, Err(AuthError::AccountSuspended)),
        "{outcome:?}"
    );
}

#[tokio::test]
async fn a_passwordless_sign_in_verifies_the_address() {
    let h = Harness::new();
    h.register(EMAIL).await;
    assert!(!h.user(EMAIL).await.unwrap().email_verified);
    start(&h, EMAIL).await;
    let (link, _) = mailed(&h, EMAIL);
    let pair = tokens(h.auth.passwordless_with_link(&link, &meta()).await);
    assert!(pair.user.email_verified);
    assert!(h.user(EMAIL).await.unwrap().email_verified);
    assert_eq!(h.audited(AuditAction::EmailVerified).await.len(), 1);
}

#[tokio::test]
async fn whoever_registered_an_unproven_address_loses_the_password_and_sessions() {
    let h = Harness::new();
    // Someone registers the address first, with a password of their choosing…
    let squatter = h.register(EMAIL).await;
    // …then the owner of the mailbox signs in by mail.
    start(&h, EMAIL).await;
    let (link, _) = mailed(&h, EMAIL);
    let owner = tokens(h.auth.passwordless_with_link(&link, &meta()).await);
    let login = h.auth.login(EMAIL, super::PASSWORD, &meta()).await;
    assert!(
        matches!(login, Err(AuthError::InvalidCredentials)),
        "the unproven password no longer works: {login:?}"
    );
    let refresh = h.auth.refresh(&squatter.refresh_token, &meta()).await;
    assert!(refresh.is_err(), "the squatter's session ended");
    assert!(h.auth.refresh(&owner.refresh_token, &meta()).await.is_ok());
    let verified = h.audited(AuditAction::EmailVerified).await;
    assert_eq!(verified[0].details["password_cleared"], true);
    assert_eq!(verified[0].details["revoked_sessions"], 1);

    // A verified account keeps its password.
    start(&h, EMAIL).await;
    let (link, _) = mailed(&h, EMAIL);
    tokens(h.auth.passwordless_with_link(&link, &meta()).await);
    assert_eq!(h.audited(AuditAction::EmailVerified).await.len(), 1);
}
