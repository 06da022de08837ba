use std::collections::HashSet;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::Duration;
use plinth_kernel::UserId;
use sha2::{Digest, Sha256};

use super::*;

fn now() -> Timestamp {
    "2026-03-01T12:00:00Z".parse().unwrap()
}

#[test]
fn secrets_are_256_random_bits_in_base64url() {
    let mut seen = HashSet::new();
    for _ in 0..200 {
        let t = OneTimeToken::generate().unwrap();
        assert_eq!(t.expose().len(), 43);
        assert_eq!(URL_SAFE_NO_PAD.decode(t.expose()).unwrap().len(), 32);
        assert!(seen.insert(t.expose().to_owned()), "tokens must not repeat");
    }
}

#[test]
fn hash_is_sha256_hex_of_the_secret_and_matches_what_the_client_sends_back() {
    let t = OneTimeToken::generate().unwrap();
    let expected = hex::encode(Sha256::digest(t.expose().as_bytes()));
    assert_eq!(t.hash().0, expected);
    assert_eq!(
        OneTimeToken::from_client(&format!(" {} ", t.expose())).hash(),
        t.hash()
    );
    assert_ne!(OneTimeToken::generate().unwrap().hash(), t.hash());
}

#[test]
fn debug_never_shows_the_secret() {
    let t = OneTimeToken::generate().unwrap();
    assert!(!format!("{t:?}").contains(t.expose()));
}

#[test]
fn issue_stores_only_the_hash_with_purpose_and_expiry() {
    let user = UserId::new();
    let (token, record) = OneTimeTokenRecord::issue(
        user,
        OneTimePurpose::PasswordReset,
        now(),
        Duration::minutes(30),
    )
    .unwrap();
    assert_eq!(record.hash, token.hash());
    assert_ne!(record.hash.0, token.expose());
    assert_eq!(record.user_id, user);
    assert_eq!(record.expires_at, now() + Duration::minutes(30));
    assert_eq!(record.used_at, None);
    assert!(!format!("{record:?}").contains(token.expose()));
}

#[test]
fn check_enforces_purpose_single_use_and_expiry() {
    let (_, mut record) = OneTimeTokenRecord::issue(
        UserId::new(),
        OneTimePurpose::EmailVerification,
        now(),
        Duration::hours(48),
    )
    .unwrap();
    assert_eq!(
        record.check(OneTimePurpose::EmailVerification, now()),
        Ok(())
    );
    assert_eq!(
        record.check(OneTimePurpose::PasswordReset, now()),
        Err(OneTimeTokenError::WrongPurpose)
    );
    let just_before = now() + Duration::hours(48) - Duration::seconds(1);
    assert_eq!(
        record.check(OneTimePurpose::EmailVerification, just_before),
        Ok(())
    );
    assert_eq!(
        record.check(
            OneTimePurpose::EmailVerification,
            now() + Duration::hours(48)
        ),
        Err(OneTimeTokenError::Expired)
    );
    record.used_at = Some(now());
    assert_eq!(
        record.check(OneTimePurpose::EmailVerification, now()),
        Err(OneTimeTokenError::AlreadyUsed)
    );
}

#[test]
fn purposes_round_trip_and_build_links() {
    for p in [
        OneTimePurpose::PasswordReset,
        OneTimePurpose::EmailVerification,
        OneTimePurpose::MfaChallenge,
        OneTimePurpose::EmailChange,
    ] {
        assert_eq!(OneTimePurpose::parse(p.as_str()), Some(p));
        assert_eq!(serde_json::to_value(p).unwrap(), p.as_str());
    }
    assert_eq!(OneTimePurpose::parse("other"), None);
    assert!(OneTimePurpose::PasswordReset.default_ttl() <= Duration::hours(1));
    let t = OneTimeToken::from_client("abc_DEF-123");
    assert_eq!(
        OneTimePurpose::PasswordReset.link("https://app.example.com/", &t),
        "https://app.example.com/reset-password?token=abc_DEF-123"
    );
    assert_eq!(
        OneTimePurpose::EmailVerification.link("http://127.0.0.1:8080", &t),
        "http://127.0.0.1:8080/verify-email?token=abc_DEF-123"
    );
}

#[test]
fn an_email_change_token_carries_its_address_under_its_hash() {
    let email = plinth_kernel::Email::parse("ada@new.example").unwrap();
    let token = OneTimeToken::carrying(&email).unwrap();
    assert_eq!(token.carried_email(), Some(email));
    let (secret, _) = token.expose().split_once('.').unwrap();
    assert_eq!(URL_SAFE_NO_PAD.decode(secret).unwrap().len(), 32);
    // Swapping the address gives another hash: no stored record matches it.
    let swapped = OneTimeToken::from_client(&format!(
        "{secret}.{}",
        URL_SAFE_NO_PAD.encode("mallory@evil.example")
    ));
    assert_eq!(
        swapped.carried_email().unwrap().as_str(),
        "mallory@evil.example"
    );
    assert_ne!(swapped.hash(), token.hash());
    assert_eq!(
        OneTimeToken::from_client("no-address").carried_email(),
        None
    );
    assert_eq!(OneTimeToken::from_client("x.%%%").carried_email(), None);
    assert_eq!(
        OneTimePurpose::EmailChange.link("https://app.example", &token),
        format!(
            "https://app.example/confirm-email-change?token={}",
            token.expose()
        )
    );
}
