//! [`SoftAuthenticator`]: a software passkey authenticator for tests (feature `testing`).
//!
//! It does what a platform authenticator behind `navigator.credentials` does, in process:
//! creates P-256 credentials that it keeps (resident, with the user handle, like a passkey),
//! attests them with the `none` format, and signs assertions with user presence and user
//! verification, its signature counter going up by one each time. Its answers are the JSON a
//! browser's `PublicKeyCredential.toJSON()` gives, so a test posts them as a frontend would.
//! The options it reads are the ones the server sent; the origin is the page's (a test
//! chooses it, so it can also play a phishing page on another origin).
//!
//! Not for production: its keys live in memory and it verifies nobody.

// Test support: a malformed option is a broken test, reported by a panic.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::missing_panics_doc)]

use base64::Engine as _;
use p256::ecdsa::signature::Signer as _;
use p256::ecdsa::{DerSignature, SigningKey};
use serde_json::{Value, json};
use sha2::{Digest as _, Sha256};

const UP: u8 = 0x01;
const UV: u8 = 0x04;
const AT: u8 = 0x40;

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn unb64(s: &str) -> Vec<u8> {
    base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(s.trim_end_matches('='))
        .expect("base64url in the options")
}

fn random<const N: usize>() -> [u8; N] {
    let mut bytes = [0u8; N];
    getrandom::fill(&mut bytes).expect("random source");
    bytes
}

/// CBOR: the head of a byte string of `len` bytes.
fn cbor_bytes_head(len: usize) -> Vec<u8> {
    match len {
        0..=23 => vec![0x40 | u8::try_from(len).unwrap()],
        24..=255 => vec![0x58, u8::try_from(len).unwrap()],
        _ => {
            let [hi, lo] = u16::try_from(len).unwrap().to_be_bytes();
            vec![0x59, hi, lo]
        }
    }
}

/// CBOR: a text string of fewer than 24 bytes.
fn cbor_text(s: &str) -> Vec<u8> {
    let mut out = vec![0x60 | u8::try_from(s.len()).unwrap()];
    out.extend_from_slice(s.as_bytes());
    out
}

/// One credential the authenticator holds.
#[derive(Clone)]
pub struct SoftCredential {
    /// The credential id.
    pub id: Vec<u8>,
    /// The RP id it was created for.
    pub rp_id: String,
    /// The user handle it was created for.
    pub user_handle: Vec<u8>,
    key: SigningKey,
    /// The signature counter (the last value signed).
    pub counter: u32,
}

impl std::fmt::Debug for SoftCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftCredential")
            .field("id", &b64(&self.id))
            .field("rp_id", &self.rp_id)
            .finish_non_exhaustive()
    }
}

/// A software passkey authenticator (see the module documentation).
#[derive(Debug, Clone, Default)]
pub struct SoftAuthenticator {
    /// The credentials it holds, oldest first.
    pub credentials: Vec<SoftCredential>,
}

impl SoftAuthenticator {
    /// An authenticator holding nothing.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Answers `navigator.credentials.create(options)` on a page of `origin`: a new resident
    /// credential for the options' RP and user, as `PublicKeyCredential.toJSON()`.
    pub fn register(&mut self, options: &Value, origin: &str) -> Value {
        let public_key = &options["publicKey"];
        let rp_id = public_key["rp"]["id"].as_str().expect("rp.id").to_owned();
        let user_handle = unb64(public_key["user"]["id"].as_str().expect("user.id"));
        let challenge = public_key["challenge"].as_str().expect("challenge");
        let key = loop {
            if let Ok(key) = SigningKey::from_slice(&random::<32>()) {
                break key;
            }
        };
        let id = random::<16>().to_vec();
        let point = key.verifying_key().to_encoded_point(false);
        let mut cose = vec![0xa5, 0x01, 0x02, 0x03, 0x26, 0x20, 0x01, 0x21, 0x58, 0x20];
        cose.extend_from_slice(point.x().expect("x"));
        cose.extend_from_slice(&[0x22, 0x58, 0x20]);
        cose.extend_from_slice(point.y().expect("y"));
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(UP | UV | AT);
        auth_data.extend_from_slice(&0u32.to_be_bytes());
        auth_data.extend_from_slice(&[0u8; 16]);
        auth_data.extend_from_slice(&u16::try_from(id.len()).unwrap().to_be_bytes());
        auth_data.extend_from_slice(&id);
        auth_data.extend_from_slice(&cose);
        let mut attestation = vec![0xa3];
        attestation.extend(cbor_text("fmt"));
        attestation.extend(cbor_text("none"));
        attestation.extend(cbor_text("attStmt"));
        attestation.push(0xa0);
        attestation.extend(cbor_text("authData"));
        attestation.extend(cbor_bytes_head(auth_data.len()));
        attestation.extend(auth_data);
        let client_data = json!({
            "type": "webauthn.create",
            "challenge": challenge,
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string();
        self.credentials.push(SoftCredential {
            id: id.clone(),
            rp_id,
            user_handle,
            key,
            counter: 0,
        });
        json!({
            "id": b64(&id),
            "rawId": b64(&id),
            "type": "public-key",
            "response": {
                "attestationObject": b64(&attestation),
                "clientDataJSON": b64(client_data.as_bytes()),
                "transports": ["internal"],
            },
            "clientExtensionResults": {},
        })
    }

    /// Answers `navigator.credentials.get(options)` on a page of `origin` with the newest
    /// credential for the options' RP that the options allow (any, when they list none).
    pub fn sign(&mut self, options: &Value, origin: &str) -> Value {
        let public_key = &options["publicKey"];
        let rp_id = public_key["rpId"].as_str().expect("rpId");
        let allowed: Vec<Vec<u8>> = public_key["allowCredentials"]
            .as_array()
            .map(|list| {
                list.iter()
                    .map(|c| unb64(c["id"].as_str().expect("allowCredentials[].id")))
                    .collect()
            })
            .unwrap_or_default();
        let index = self
            .credentials
            .iter()
            .rposition(|c| c.rp_id == rp_id && (allowed.is_empty() || allowed.contains(&c.id)))
            .expect("the authenticator holds no credential the options allow");
        self.sign_with(index, options, origin)
    }

    /// Like [`SoftAuthenticator::sign`], with credential `index` whatever the options allow
    /// (a client that ignores them).
    pub fn sign_with(&mut self, index: usize, options: &Value, origin: &str) -> Value {
        let public_key = &options["publicKey"];
        let rp_id = public_key["rpId"].as_str().expect("rpId");
        let challenge = public_key["challenge"].as_str().expect("challenge");
        let credential = &mut self.credentials[index];
        credential.counter += 1;
        let mut auth_data = Sha256::digest(rp_id.as_bytes()).to_vec();
        auth_data.push(UP | UV);
        auth_data.extend_from_slice(&credential.counter.to_be_bytes());
        let client_data = json!({
            "type": "webauthn.get",
            "challenge": challenge,
            "origin": origin,
            "crossOrigin": false,
        })
        .to_string();
        let mut signed = auth_data.clone();
        signed.extend_from_slice(&Sha256::digest(client_data.as_bytes()));
        let signature: DerSignature = credential.key.sign(&signed);
        json!({
            "id": b64(&credential.id),
            "rawId": b64(&credential.id),
            "type": "public-key",
            "response": {
                "authenticatorData": b64(&auth_data),
                "clientDataJSON": b64(client_data.as_bytes()),
                "signature": b64(signature.as_bytes()),
                "userHandle": b64(&credential.user_handle),
            },
            "clientExtensionResults": {},
        })
    }
}
