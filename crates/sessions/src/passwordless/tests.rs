use chrono::{Duration, TimeZone as _, Utc};
use plinth_kernel::{Email, Timestamp};

use super::*;

fn at(minute: u32) -> Timestamp {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, minute, 0).unwrap()
}

fn key(byte: u8) -> PasswordlessCodeKey {
    PasswordlessCodeKey::new([byte; 32])
}

fn request(key: &PasswordlessCodeKey) -> (OneTimeToken, PasswordlessCode, PasswordlessRequest) {
    let email = Email::parse("ada@example.com").unwrap();
    PasswordlessRequest::issue(email, None, key, at(0), Duration::minutes(15)).unwrap()
}

#[test]
fn codes_are_six_digits_and_vary() {
    let codes: std::collections::BTreeSet<String> = (0..50)
        .map(|_| PasswordlessCode::generate().unwrap().expose().to_owned())
        .collect();
    assert!(
        codes
            .iter()
            .all(|c| c.len() == 6 && c.bytes().all(|b| b.is_ascii_digit()))
    );
    assert!(
        codes.len() > 40,
        "50 random codes are (nearly) all different"
    );
}

#[test]
fn a_typed_code_may_have_spaces_or_a_hyphen_but_nothing_else() {
    for typed in ["123456", " 123 456 ", "123-456"] {
        assert_eq!(
            PasswordlessCode::from_client(typed).map(|c| c.expose().to_owned()),
            Some("123456".to_owned()),
            "{typed:?}"
        );
    }
    for typed in ["12345", "1234567", "12345a", "", "１２３４５６"] {
        assert!(PasswordlessCode::from_client(typed).is_none(), "{typed:?}");
    }
}

#[test]
fn the_code_matches_only_its_own_request_under_the_same_key() {
    let key_a = key(1);
    let (_, code, first) = request(&key_a);
    let (_, _, second) = request(&key_a);
    assert!(key_a.matches(&first, &code));
    assert!(!key(2).matches(&first, &code), "another key");
    let mut same_code_other_request = second.clone();
    same_code_other_request.code_hash = key_a.hash(second.id, &code);
    assert_ne!(
        same_code_other_request.code_hash, first.code_hash,
        "the hash is bound to the request, so equal codes hash apart"
    );
    let wrong = PasswordlessCode::from_client(if code.expose() == "000000" {
        "000001"
    } else {
        "000000"
    })
    .unwrap();
    assert!(!key_a.matches(&first, &wrong));
}

#[test]
fn the_stored_record_holds_neither_secret() {
    let (link, code, record) = request(&key(1));
    let stored = format!("{record:?}");
    assert!(!stored.contains(link.expose()));
    assert_eq!(record.link_hash, link.hash());
    assert_ne!(record.code_hash.0, code.expose());
    assert_eq!(record.code_hash.0.len(), 64, "HMAC-SHA256 in hex");
    assert_eq!(format!("{code:?}"), "PasswordlessCode(<redacted>)");
    assert_eq!(format!("{:?}", key(1)), "PasswordlessCodeKey(<redacted>)");
}

#[test]
fn a_request_is_open_until_it_expires_is_used_or_its_code_is_guessed_at_too_often() {
    let (_, _, mut record) = request(&key(1));
    assert_eq!(record.expires_at, at(15));
    assert!(record.is_open(at(14)) && record.code_is_open(at(14)));
    assert!(!record.is_open(at(15)), "expired at its expiry");
    record.wrong_codes = MAX_WRONG_CODES - 1;
    assert!(record.code_is_open(at(1)));
    record.wrong_codes = MAX_WRONG_CODES;
    assert!(
        !record.code_is_open(at(1)),
        "too many wrong codes: the code is dead"
    );
    assert!(record.is_open(at(1)), "…but the link still works");
    record.used_at = Some(at(2));
    assert!(!record.is_open(at(3)));
}

#[test]
fn the_link_opens_the_passwordless_page() {
    let (link, _, _) = request(&key(1));
    assert_eq!(
        passwordless_link("https://app.example.com/", &link),
        format!(
            "https://app.example.com/passwordless?token={}",
            link.expose()
        )
    );
}
