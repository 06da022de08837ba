//! Keys derived from `JWT_SECRET` that are not a signer of their own: the `kid` naming a JWT key,
//! the key refresh-token successors are derived with and the key browser sessions' CSRF tokens
//! are derived with. (The URL-signing and TOTP-sealing
//! keys are derived by [`crate::HmacUrlSigner`] and [`crate::SecretBox`] themselves, with HKDF.)

use secrecy::{ExposeSecret, SecretString};
use sha2::{Digest, Sha256};

/// The `kid` of the key derived from `secret`: the first 8 hex digits of
/// SHA-256(`"plinth-jwt-kid:" + secret`). Changing `JWT_SECRET` changes the `kid`, so tokens
/// signed with the old secret are refused as "unknown key" rather than as a bad signature. The
/// truncated hash tells nothing useful about a secret of 32 random bytes, and a weak secret is
/// already exposed to offline guessing by any token's signature.
#[must_use]
pub fn jwt_key_id(secret: &SecretString) -> String {
    let digest = Sha256::new()
        .chain_update(b"plinth-jwt-kid:")
        .chain_update(secret.expose_secret())
        .finalize();
    hex::encode(&digest[..4])
}

/// The key refresh-token successors are derived from: SHA-256(`"plinth-refresh-successor-key:"
/// + secret`), so every replica derives the same successor and the key is not the JWT key.
#[must_use]
pub fn refresh_successor_key(secret: &SecretString) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"plinth-refresh-successor-key:")
        .chain_update(secret.expose_secret())
        .finalize()
        .into()
}

/// The key a browser session's CSRF token is derived with (the token is
/// HMAC-SHA256(key, session id)): SHA-256(`"plinth-csrf-key:" + secret`), the same on every
/// replica and not the JWT key.
#[must_use]
pub fn csrf_key(secret: &SecretString) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"plinth-csrf-key:")
        .chain_update(secret.expose_secret())
        .finalize()
        .into()
}

/// The key passwordless sign-in codes are hashed with (HMAC-SHA256 of the code, bound to its
/// request): SHA-256(`"plinth-passwordless-code-key:" + secret`), the same on every replica
/// and not the JWT key. A six-digit code hashed without a key could be found from its hash by
/// trying all million; without this key, a stolen table tells nothing.
#[must_use]
pub fn passwordless_code_key(secret: &SecretString) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"plinth-passwordless-code-key:")
        .chain_update(secret.expose_secret())
        .finalize()
        .into()
}

/// The key social sign-in derives each flow's PKCE verifier with (HMAC-SHA256 of the flow's
/// `state`), so the verifier is never stored and every replica derives the same one.
#[must_use]
pub fn oauth_flow_key(secret: &SecretString) -> [u8; 32] {
    Sha256::new()
        .chain_update(b"plinth-oauth-flow-key:")
        .chain_update(secret.expose_secret())
        .finalize()
        .into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_derivation_is_stable_labelled_and_distinct() {
        let secret = SecretString::from("a-secret-of-at-least-32-bytes-for-tests");
        let other = SecretString::from("another-secret-of-at-least-32-bytes-here");
        assert_eq!(jwt_key_id(&secret), jwt_key_id(&secret), "stable");
        assert_eq!(jwt_key_id(&secret).len(), 8);
        assert_ne!(jwt_key_id(&secret), jwt_key_id(&other));
        let key = refresh_successor_key(&secret);
        assert_eq!(key, refresh_successor_key(&secret));
        assert_ne!(key, refresh_successor_key(&other));
        let plain: [u8; 32] = Sha256::digest(secret.expose_secret().as_bytes()).into();
        assert_ne!(key, plain, "labelled, not the secret's plain hash");
        let csrf = csrf_key(&secret);
        assert_eq!(csrf, csrf_key(&secret));
        assert_ne!(csrf, csrf_key(&other));
        assert_ne!(csrf, key, "each derivation has its own label");
        let code = passwordless_code_key(&secret);
        assert_eq!(code, passwordless_code_key(&secret));
        assert_ne!(code, passwordless_code_key(&other));
        assert!(
            code != key && code != csrf && code != plain,
            "its own label"
        );
    }
}
