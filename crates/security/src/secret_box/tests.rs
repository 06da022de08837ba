use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use plinth_kernel::UserId;
use plinth_sessions::{SealError, SecretSealer, TotpError, TotpSecret};
use secrecy::SecretString;

use super::{SecretBox, SecretBoxError};

fn secret(s: &str) -> SecretString {
    SecretString::from(s.to_owned())
}

fn key_a() -> SecretString {
    secret("a-configured-secret-of-at-least-32-bytes-A")
}

fn key_b() -> SecretString {
    secret("another-configured-secret-32-bytes-long--B")
}

/// Flips one bit of the decoded sealed bytes at `index` (negative: from the end).
fn flip(sealed: &str, index: isize) -> String {
    let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[4..]).unwrap();
    let i = if index < 0 {
        bytes.len() - index.unsigned_abs()
    } else {
        index as usize
    };
    bytes[i] ^= 0x01;
    format!("sb1.{}", URL_SAFE_NO_PAD.encode(bytes))
}

#[test]
fn round_trip() {
    let sb = SecretBox::new(&key_a()).unwrap();
    for plaintext in [&b""[..], b"x", b"twenty bytes of key!", &[0u8; 64][..]] {
        let sealed = sb.seal(plaintext, b"ctx").unwrap();
        assert!(sealed.starts_with("sb1."));
        assert_eq!(sb.open(&sealed, b"ctx").unwrap(), plaintext);
    }
}

#[test]
fn sealing_twice_gives_different_ciphertexts_that_both_open() {
    let sb = SecretBox::new(&key_a()).unwrap();
    let one = sb.seal(b"same secret", b"ctx").unwrap();
    let two = sb.seal(b"same secret", b"ctx").unwrap();
    assert_ne!(one, two, "a fresh nonce each time");
    assert!(!one.contains("same secret"));
    assert_eq!(
        sb.open(&one, b"ctx").unwrap(),
        sb.open(&two, b"ctx").unwrap()
    );
}

#[test]
fn any_tampering_is_an_error() {
    let sb = SecretBox::new(&key_a()).unwrap();
    let sealed = sb.seal(b"the totp key", b"ctx").unwrap();
    for (what, index) in [("nonce", 8), ("ciphertext", 21), ("tag", -1)] {
        assert_eq!(
            sb.open(&flip(&sealed, index), b"ctx"),
            Err(SealError::Tampered),
            "{what}"
        );
    }
    assert_eq!(
        sb.open(&flip(&sealed, 0), b"ctx"),
        Err(SealError::UnknownKey),
        "key id"
    );
    assert_eq!(
        sb.open(&sealed, b"other ctx"),
        Err(SealError::Tampered),
        "context"
    );
    let truncated = &sealed[..sealed.len() - 4];
    assert!(sb.open(truncated, b"ctx").is_err());
}

#[test]
fn malformed_values_are_refused() {
    let sb = SecretBox::new(&key_a()).unwrap();
    for bad in [
        "",
        "sb1.",
        "sb1.!!!",
        "sb2.AAAA",
        "plain text",
        "sb1.AAAAAAAA",
    ] {
        assert_eq!(sb.open(bad, b""), Err(SealError::Malformed), "{bad:?}");
    }
}

#[test]
fn the_wrong_key_cannot_open() {
    let a = SecretBox::new(&key_a()).unwrap();
    let b = SecretBox::new(&key_b()).unwrap();
    let sealed = a.seal(b"the totp key", b"ctx").unwrap();
    assert_eq!(b.open(&sealed, b"ctx"), Err(SealError::UnknownKey));

    // Even when the key id is forged to name b's key, authentication fails.
    let b_id = &URL_SAFE_NO_PAD
        .decode(&b.seal(b"", b"").unwrap()[4..])
        .unwrap()[..8];
    let mut bytes = URL_SAFE_NO_PAD.decode(&sealed[4..]).unwrap();
    bytes[..8].copy_from_slice(b_id);
    let forged = format!("sb1.{}", URL_SAFE_NO_PAD.encode(bytes));
    assert_eq!(b.open(&forged, b"ctx"), Err(SealError::Tampered));
}

#[test]
fn rotation_keeps_old_values_readable() {
    let old = SecretBox::new(&key_a()).unwrap();
    let sealed_old = old.seal(b"k", b"ctx").unwrap();
    let rotated = SecretBox::with_previous(&key_b(), &[key_a()]).unwrap();
    assert_eq!(rotated.open(&sealed_old, b"ctx").unwrap(), b"k");
    assert!(rotated.needs_reseal(&sealed_old));
    let resealed = rotated.reseal(&sealed_old, b"ctx").unwrap();
    assert!(!rotated.needs_reseal(&resealed));
    assert_eq!(old.open(&resealed, b"ctx"), Err(SealError::UnknownKey));
    assert_eq!(
        SecretBox::new(&key_b())
            .unwrap()
            .open(&resealed, b"ctx")
            .unwrap(),
        b"k"
    );
}

#[test]
fn needs_reseal_only_for_values_under_a_previous_key() {
    let old = SecretBox::new(&key_a()).unwrap();
    let rotated = SecretBox::with_previous(&key_b(), &[key_a()]).unwrap();
    let under_previous = old.seal(b"k", b"ctx").unwrap();
    let under_current = rotated.seal(b"k", b"ctx").unwrap();
    assert!(rotated.needs_reseal(&under_previous));
    assert!(!rotated.needs_reseal(&under_current));
    assert!(
        !old.needs_reseal(&under_previous),
        "a single-key box never asks"
    );

    // What cannot be opened is not offered for re-sealing: unknown key, malformed.
    let stranger = SecretBox::new(&secret("a-third-configured-secret-of-32-bytes-C"))
        .unwrap()
        .seal(b"k", b"ctx")
        .unwrap();
    assert!(!rotated.needs_reseal(&stranger));
    assert!(!rotated.needs_reseal("sb1.not-base64!"));
    assert!(!rotated.needs_reseal("plaintext"));
}

#[test]
fn short_secrets_are_refused_and_nothing_secret_is_shown() {
    assert_eq!(
        SecretBox::new(&secret("too-short")).unwrap_err(),
        SecretBoxError::WeakSecret
    );
    assert_eq!(
        SecretBox::with_previous(&key_a(), &[secret("short")]).unwrap_err(),
        SecretBoxError::WeakSecret
    );
    let shown = format!("{:?}", SecretBox::new(&key_a()).unwrap());
    assert!(!shown.contains("configured-secret"), "{shown}");
}

#[test]
fn totp_secrets_are_stored_sealed_and_bound_to_their_user() {
    let sb = SecretBox::new(&key_a()).unwrap();
    let totp = TotpSecret::generate().unwrap();
    let user = UserId::new();
    let sealed = totp.seal(&sb, user).unwrap();
    assert!(!sealed.contains(&totp.to_base32()));
    assert_eq!(TotpSecret::open(&sb, &sealed, user).unwrap(), totp);
    assert_eq!(
        TotpSecret::open(&sb, &sealed, UserId::new()),
        Err(TotpError::Seal(SealError::Tampered))
    );
}
