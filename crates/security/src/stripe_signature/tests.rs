#![allow(clippy::unwrap_used)]

use chrono::TimeZone as _;

use super::*;

const SECRET: &str = "whsec_test_6f1c2a0d9e8b7a6f5e4d3c2b1a0f9e8d";
const BODY: &[u8] = br#"{"id":"evt_1","type":"invoice.paid"}"#;

fn verifier(secret: &str) -> StripeSignatureVerifier {
    StripeSignatureVerifier::new(SecretString::from(secret))
}

fn at(t: i64) -> Timestamp {
    chrono::Utc.timestamp_opt(t, 0).unwrap()
}

#[test]
fn matches_an_independently_computed_signature() {
    // HMAC-SHA256(key = whole secret string, "1700000000." + body), computed with
    // `printf '%s' '1700000000.{"id":"evt_1","type":"invoice.paid"}' |
    //  openssl dgst -sha256 -hmac 'whsec_test_6f1c2a0d9e8b7a6f5e4d3c2b1a0f9e8d'`.
    let expected = include_str!("expected_v1.txt").trim();
    let header = verifier(SECRET).sign(1_700_000_000, BODY);
    assert_eq!(header, format!("t=1700000000,v1={expected}"));
    assert_eq!(
        verifier(SECRET).verify(Some(&header), BODY, at(1_700_000_000)),
        Ok(())
    );
}

#[test]
fn accepts_any_matching_v1_among_several_and_ignores_other_schemes() {
    let v = verifier(SECRET);
    let good = v.sign(1_700_000_000, BODY);
    let good_sig = good.split_once(",v1=").unwrap().1;
    let other = verifier("whsec_old").sign(1_700_000_000, BODY);
    let old_sig = other.split_once(",v1=").unwrap().1;
    let header = format!("t=1700000000,v1={old_sig},v0=abc,v1=zz,v1={good_sig}");
    assert_eq!(v.verify(Some(&header), BODY, at(1_700_000_100)), Ok(()));
    let header = format!("t=1700000000,v1={old_sig}");
    assert_eq!(
        v.verify(Some(&header), BODY, at(1_700_000_100)),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn refuses_tampered_bodies_wrong_secrets_and_old_or_future_timestamps() {
    let v = verifier(SECRET);
    let header = v.sign(1_700_000_000, BODY);
    let now = at(1_700_000_000);
    assert_eq!(
        v.verify(
            Some(&header),
            br#"{"id":"evt_2","type":"invoice.paid"}"#,
            now
        ),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(
        verifier("whsec_other").verify(Some(&header), BODY, now),
        Err(SignatureError::Mismatch)
    );
    assert_eq!(v.verify(Some(&header), BODY, at(1_700_000_300)), Ok(()));
    assert_eq!(v.verify(Some(&header), BODY, at(1_699_999_700)), Ok(()));
    assert_eq!(
        v.verify(Some(&header), BODY, at(1_700_000_301)),
        Err(SignatureError::Expired)
    );
    assert_eq!(
        v.verify(Some(&header), BODY, at(1_699_999_699)),
        Err(SignatureError::Expired)
    );
    // Changing t breaks the signature too (it is part of the signed payload).
    let moved = header.replacen("t=1700000000", "t=1700000001", 1);
    assert_eq!(
        v.verify(Some(&moved), BODY, now),
        Err(SignatureError::Mismatch)
    );
}

#[test]
fn refuses_missing_and_malformed_headers() {
    let v = verifier(SECRET);
    let now = at(1_700_000_000);
    assert_eq!(v.verify(None, BODY, now), Err(SignatureError::Missing));
    for bad in [
        "",
        "garbage",
        "t=abc,v1=00",
        "v1=00",
        "t=1700000000",
        "t=1700000000,v0=00",
    ] {
        assert_eq!(
            v.verify(Some(bad), BODY, now),
            Err(SignatureError::Malformed),
            "{bad:?}"
        );
    }
    assert!(
        !format!("{v:?}").contains("whsec"),
        "Debug hides the secret"
    );
}
