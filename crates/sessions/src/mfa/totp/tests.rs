use chrono::{DateTime, Duration, TimeZone, Utc};
use plinth_kernel::{Email, UserId};

use super::*;
use crate::testing::FakeSealer;

const RFC_KEY: &[u8] = b"12345678901234567890";

fn at(unix: i64) -> DateTime<Utc> {
    Utc.timestamp_opt(unix, 0).unwrap()
}

#[test]
fn rfc_6238_appendix_b_sha1_vectors() {
    let vectors = [
        (59, "94287082"),
        (1_111_111_109, "07081804"),
        (1_111_111_111, "14050471"),
        (1_234_567_890, "89005924"),
        (2_000_000_000, "69279037"),
        (20_000_000_000, "65353130"),
    ];
    let secret = TotpSecret::from_bytes(RFC_KEY).unwrap();
    for (unix, expected) in vectors {
        let step = totp_step(at(unix)).unwrap();
        assert_eq!(hotp(RFC_KEY, step, 8), expected, "T = {unix}");
        // The six-digit code is the last six digits of the eight-digit one.
        assert_eq!(secret.code_at_step(step), expected[2..], "T = {unix}");
        assert_eq!(secret.verify(&expected[2..], at(unix)), Some(step));
    }
}

#[test]
fn rfc_4226_appendix_d_hotp_vectors() {
    let expected = [
        "755224", "287082", "359152", "969429", "338314", "254676", "287922", "162583", "399871",
        "520489",
    ];
    for (counter, code) in expected.iter().enumerate() {
        assert_eq!(hotp(RFC_KEY, counter as u64, 6), *code);
    }
}

#[test]
fn accepts_one_step_of_drift_either_way_and_no_more() {
    let secret = TotpSecret::generate().unwrap();
    let now = at(1_700_000_015);
    let step = totp_step(now).unwrap();
    for (offset, accepted) in [
        (-2_i64, false),
        (-1, true),
        (0, true),
        (1, true),
        (2, false),
    ] {
        let s = step.checked_add_signed(offset).unwrap();
        let code = secret.code_at_step(s);
        let result = secret.verify(&code, now);
        if accepted {
            assert_eq!(result, Some(s), "offset {offset}");
        } else if result.is_some() {
            // Only an accidental collision with a neighbouring step's code could match.
            assert_ne!(result, Some(s), "offset {offset}");
        }
    }
}

#[test]
fn a_used_step_cannot_be_replayed() {
    let secret = TotpSecret::generate().unwrap();
    let now = at(1_700_000_000);
    let code = secret.code_at_step(totp_step(now).unwrap());
    let used = secret.verify_fresh(&code, now, None).unwrap();
    assert_eq!(secret.verify_fresh(&code, now, Some(used)), None);
    assert_eq!(
        secret.verify_fresh(&code, now + Duration::seconds(20), Some(used)),
        None
    );
    let next = secret.code_at_step(used + 1);
    assert_eq!(
        secret.verify_fresh(&next, now + Duration::seconds(30), Some(used)),
        Some(used + 1)
    );
    let previous = secret.code_at_step(used - 1);
    assert_eq!(
        secret.verify_fresh(&previous, now, Some(used)),
        None,
        "older steps are spent too"
    );
}

#[test]
fn malformed_codes_fail() {
    let secret = TotpSecret::from_bytes(RFC_KEY).unwrap();
    let now = at(59);
    assert_eq!(
        secret.verify("287 082", now),
        totp_step(now),
        "spaces are ignored"
    );
    for bad in [
        "",
        "28708",
        "2870820",
        "28708a",
        "-28708",
        "２８７０８２",
        "94287082",
    ] {
        assert_eq!(secret.verify(bad, now), None, "{bad:?}");
    }
    assert_eq!(secret.verify("287082", at(-100)), None, "before 1970");
}

#[test]
fn a_code_for_another_secret_fails() {
    let a = TotpSecret::generate().unwrap();
    let b = TotpSecret::generate().unwrap();
    assert_ne!(a, b);
    let now = at(1_700_000_000);
    let step = totp_step(now).unwrap();
    let code = a.code_at_step(step);
    let others = [
        b.code_at_step(step - 1),
        b.code_at_step(step),
        b.code_at_step(step + 1),
    ];
    if !others.contains(&code) {
        assert_eq!(b.verify(&code, now), None);
    }
}

#[test]
fn generated_secrets_are_160_bits_and_round_trip_through_base32() {
    let s = TotpSecret::generate().unwrap();
    assert_eq!(s.as_bytes().len(), 20);
    let b32 = s.to_base32();
    assert_eq!(b32.len(), 32);
    assert!(
        b32.bytes()
            .all(|c| c.is_ascii_uppercase() || (b'2'..=b'7').contains(&c))
    );
    assert_eq!(TotpSecret::from_base32(&b32.to_lowercase()).unwrap(), s);
    assert_eq!(
        TotpSecret::from_base32("MZXW6"),
        Err(TotpError::MalformedSecret),
        "too short"
    );
    assert_eq!(
        TotpSecret::from_base32("not base32!"),
        Err(TotpError::MalformedSecret)
    );
}

#[test]
fn otpauth_url_has_the_contract_shape() {
    let secret = TotpSecret::from_bytes(RFC_KEY).unwrap();
    let email = Email::parse("Alice+mfa@Example.com").unwrap();
    assert_eq!(
        secret.otpauth_url(&email),
        "otpauth://totp/Plinth:alice%2Bmfa%40example.com?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ\
         &issuer=Plinth&algorithm=SHA1&digits=6&period=30"
    );
}

#[test]
fn debug_never_shows_the_secret() {
    let s = TotpSecret::generate().unwrap();
    let shown = format!("{s:?}");
    assert!(!shown.contains(&s.to_base32()));
    assert!(shown.contains("redacted"));
}

#[test]
fn sealed_secrets_open_only_for_their_user() {
    let sealer = FakeSealer::new();
    let secret = TotpSecret::generate().unwrap();
    let alice = UserId::new();
    let sealed = secret.seal(&sealer, alice).unwrap();
    assert!(!sealed.contains(&secret.to_base32()));
    assert_eq!(TotpSecret::open(&sealer, &sealed, alice).unwrap(), secret);
    assert!(matches!(
        TotpSecret::open(&sealer, &sealed, UserId::new()),
        Err(TotpError::Seal(SealError::Tampered))
    ));
}
