use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::*;

const ISSUER: &str = "https://plinth.example";
const AUDIENCE: &str = "plinth-api";

fn keys(kid: &str, secret: &str) -> JwtKeys {
    JwtKeys {
        current: (kid.into(), SecretString::from(secret)),
        previous: vec![],
    }
}

fn signer(kid: &str, secret: &str) -> JwtSigner {
    JwtSigner::new(keys(kid, secret), ISSUER.into(), AUDIENCE.into())
}

fn claims_expiring_in(seconds: i64) -> AccessClaims {
    let now = chrono::Utc::now().timestamp();
    AccessClaims {
        sub: UserId::new(),
        sid: SessionId::new(),
        role: "admin".into(),
        perms: vec!["users:read".into(), "audit:read".into()],
        org: None,
        org_perms: Vec::new(),
        iat: now - 900 + seconds,
        exp: now + seconds,
        jti: uuid::Uuid::now_v7().to_string(),
    }
}

fn payload(token: &str) -> serde_json::Value {
    let part = token.split('.').nth(1).unwrap();
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

fn invalid(signer: &JwtSigner, token: &str) -> bool {
    matches!(signer.verify(token), Err(TokenError::Invalid))
}

const SECRET: &str = "0123456789abcdef0123456789abcdef-current";

#[test]
fn round_trips_and_carries_every_contract_claim() {
    let s = signer("k1", SECRET);
    let claims = claims_expiring_in(900);
    let token = s.sign(&claims).unwrap();
    assert_eq!(s.verify(&token).unwrap(), claims);

    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(
        header.kid.as_deref(),
        Some("k1"),
        "the header carries the kid"
    );
    assert_eq!(header.alg, Algorithm::HS256);

    let body = payload(&token);
    for claim in [
        "iss", "aud", "sub", "sid", "role", "perms", "iat", "exp", "jti",
    ] {
        assert!(
            body.get(claim).is_some(),
            "claim {claim} missing from {body}"
        );
    }
    assert_eq!(body["iss"], ISSUER);
    assert_eq!(body["aud"], AUDIENCE);
    assert_eq!(body["sub"], claims.sub.to_string());
    assert_eq!(
        body["perms"],
        serde_json::json!(["users:read", "audit:read"])
    );
    assert!(
        body.get("org").is_none() && body.get("org_perms").is_none(),
        "a token acting for nobody names no organization: {body}"
    );
}

#[test]
fn a_token_acting_for_an_organization_carries_it_and_the_permissions_there() {
    let s = signer("k1", SECRET);
    let org = plinth_kernel::OrgId::new();
    let claims = AccessClaims {
        org: Some(org),
        org_perms: vec!["org_files:read".into(), "members:read".into()],
        ..claims_expiring_in(900)
    };
    let token = s.sign(&claims).unwrap();
    assert_eq!(s.verify(&token).unwrap(), claims);
    let body = payload(&token);
    assert_eq!(body["org"], org.to_string());
    assert_eq!(
        body["org_perms"],
        serde_json::json!(["org_files:read", "members:read"])
    );
}

#[test]
fn a_tampered_payload_is_invalid() {
    let s = signer("k1", SECRET);
    let token = s.sign(&claims_expiring_in(900)).unwrap();
    let mut body = payload(&token);
    body["role"] = "super_admin".into();
    body["perms"] = serde_json::json!(["roles:write"]);
    let parts: Vec<&str> = token.split('.').collect();
    let forged = format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(body.to_string()),
        parts[2]
    );
    assert!(invalid(&s, &forged));
    assert!(invalid(&s, &format!("{token}x")), "a tampered signature");
    assert!(invalid(&s, "not.a.jwt"));
    assert!(invalid(&s, ""));
}

#[test]
fn a_token_signed_with_another_key_is_invalid() {
    let token = signer("k1", "another-secret-that-is-long-enough-xx")
        .sign(&claims_expiring_in(900))
        .unwrap();
    assert!(invalid(&signer("k1", SECRET), &token));
}

#[test]
fn wrong_issuer_or_audience_is_invalid() {
    let token = signer("k1", SECRET).sign(&claims_expiring_in(900)).unwrap();
    let other_issuer = JwtSigner::new(
        keys("k1", SECRET),
        "https://evil.example".into(),
        AUDIENCE.into(),
    );
    assert!(invalid(&other_issuer, &token));
    let other_audience = JwtSigner::new(keys("k1", SECRET), ISSUER.into(), "another-app".into());
    assert!(invalid(&other_audience, &token));
}

#[test]
fn expiry_is_checked_with_at_most_five_seconds_of_leeway() {
    let s = signer("k1", SECRET);
    assert!(
        invalid(&s, &s.sign(&claims_expiring_in(-10)).unwrap()),
        "expired 10 s ago"
    );
    assert!(
        s.verify(&s.sign(&claims_expiring_in(-2)).unwrap()).is_ok(),
        "2 s of clock skew is tolerated"
    );
}

#[test]
fn unknown_or_missing_kid_is_invalid() {
    let token = signer("k1", SECRET).sign(&claims_expiring_in(900)).unwrap();
    assert!(
        invalid(&signer("k2", SECRET), &token),
        "same key bytes, unknown kid"
    );

    let wire = {
        let c = claims_expiring_in(900);
        serde_json::json!({
            "iss": ISSUER, "aud": AUDIENCE, "sub": c.sub, "sid": c.sid, "role": c.role,
            "perms": c.perms, "iat": c.iat, "exp": c.exp, "jti": c.jti
        })
    };
    let key = EncodingKey::from_secret(SECRET.as_bytes());
    let no_kid = jsonwebtoken::encode(&Header::new(Algorithm::HS256), &wire, &key).unwrap();
    assert!(invalid(&signer("k1", SECRET), &no_kid), "no kid header");
    let mut hs512 = Header::new(Algorithm::HS512);
    hs512.kid = Some("k1".into());
    let other_alg = jsonwebtoken::encode(&hs512, &wire, &key).unwrap();
    assert!(
        invalid(&signer("k1", SECRET), &other_alg),
        "only HS256 is accepted"
    );
    let mut missing_iat = wire.clone();
    missing_iat.as_object_mut().unwrap().remove("iat");
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some("k1".into());
    let token = jsonwebtoken::encode(&header, &missing_iat, &key).unwrap();
    assert!(invalid(&signer("k1", SECRET), &token), "iat is required");
}

#[test]
fn tokens_signed_with_a_previous_key_verify_after_rotation() {
    let old = signer("k1", SECRET);
    let old_token = old.sign(&claims_expiring_in(900)).unwrap();
    let rotated = JwtSigner::new(
        JwtKeys {
            current: (
                "k2".into(),
                SecretString::from("a-brand-new-secret-of-at-least-32-bytes"),
            ),
            previous: vec![("k1".into(), SecretString::from(SECRET))],
        },
        ISSUER.into(),
        AUDIENCE.into(),
    );
    assert!(
        rotated.verify(&old_token).is_ok(),
        "the previous key still verifies"
    );
    let new_token = rotated.sign(&claims_expiring_in(900)).unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref(),
        Some("k2"),
        "new tokens use the current key"
    );
    assert!(
        invalid(&old, &new_token),
        "a signer that does not know k2 refuses it"
    );
}

#[test]
fn debug_shows_no_key_material() {
    let s = signer("k1", SECRET);
    let k = keys("k1", SECRET);
    for text in [format!("{s:?}"), format!("{k:?}")] {
        assert!(!text.contains(SECRET), "{text}");
        assert!(text.contains("k1"), "{text}");
    }
}

fn ed(secret: &str, previous: &[&str]) -> JwtSigner {
    let previous: Vec<SecretString> = previous.iter().map(|p| SecretString::from(*p)).collect();
    JwtSigner::ed25519(
        &SecretString::from(secret),
        &previous,
        ISSUER.into(),
        AUDIENCE.into(),
    )
}

const OTHER_SECRET: &str = "fedcba9876543210fedcba9876543210-next-one";

#[test]
fn ed25519_tokens_verify_with_the_published_public_key_alone() {
    let s = ed(SECRET, &[]);
    let claims = claims_expiring_in(900);
    let token = s.sign(&claims).unwrap();
    assert_eq!(s.verify(&token).unwrap(), claims);

    let header = jsonwebtoken::decode_header(&token).unwrap();
    assert_eq!(header.alg, Algorithm::EdDSA);
    let keys = s.verification_keys();
    assert_eq!(keys.len(), 1);
    assert_eq!(header.kid.as_deref(), Some(keys[0].kid.as_str()));
    assert_eq!(
        (keys[0].algorithm.as_str(), keys[0].curve.as_str()),
        ("EdDSA", "Ed25519")
    );
    // RFC 7638: the thumbprint of the canonical JWK.
    let canonical = format!(r#"{{"crv":"Ed25519","kty":"OKP","x":"{}"}}"#, keys[0].x);
    assert_eq!(
        keys[0].kid,
        URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(canonical.as_bytes()))
    );

    // Another service, with nothing but the JWK.
    let public = DecodingKey::from_ed_components(&keys[0].x).unwrap();
    let mut validation = Validation::new(Algorithm::EdDSA);
    validation.set_issuer(&[ISSUER]);
    validation.set_audience(&[AUDIENCE]);
    let data = jsonwebtoken::decode::<serde_json::Value>(&token, &public, &validation).unwrap();
    assert_eq!(data.claims["sub"], claims.sub.to_string());
    assert_eq!(data.claims["sid"], claims.sid.to_string());
}

#[test]
fn every_replica_and_every_restart_derives_the_same_ed25519_key() {
    let a = ed(SECRET, &[]);
    let b = ed(SECRET, &[]);
    assert_eq!(a.verification_keys(), b.verification_keys());
    let token = a.sign(&claims_expiring_in(900)).unwrap();
    assert!(
        b.verify(&token).is_ok(),
        "a token of one replica verifies on another"
    );
    assert_ne!(
        a.verification_keys(),
        ed(OTHER_SECRET, &[]).verification_keys(),
        "another secret, another key"
    );
    assert!(
        !format!("{a:?}").contains(SECRET),
        "the secret is not in the Debug output"
    );
}

#[test]
fn an_ed25519_key_rotation_overlaps_then_retires_the_old_key() {
    // Before: JWT_SECRET = old.
    let before = ed(SECRET, &[]);
    let old_token = before.sign(&claims_expiring_in(900)).unwrap();
    let old_kid = before.verification_keys()[0].kid.clone();

    // During: JWT_SECRET = new, JWT_PREVIOUS_SECRET = old, for one access-token lifetime.
    let during = ed(OTHER_SECRET, &[SECRET]);
    let keys = during.verification_keys();
    assert_eq!(keys.len(), 2, "both keys are published");
    assert_ne!(keys[0].kid, old_kid, "the new key signs");
    assert_eq!(keys[1].kid, old_kid, "the old one still verifies");
    assert!(
        during.verify(&old_token).is_ok(),
        "tokens already out keep working"
    );
    let new_token = during.sign(&claims_expiring_in(900)).unwrap();
    assert_eq!(
        jsonwebtoken::decode_header(&new_token)
            .unwrap()
            .kid
            .as_deref(),
        Some(keys[0].kid.as_str())
    );
    assert!(
        invalid(&before, &new_token),
        "a replica not yet rotated refuses the new key"
    );

    // After: JWT_PREVIOUS_SECRET removed.
    let after = ed(OTHER_SECRET, &[]);
    assert_eq!(after.verification_keys().len(), 1);
    assert!(
        invalid(&after, &old_token),
        "the retired key no longer verifies"
    );
    assert!(after.verify(&new_token).is_ok());
}

#[test]
fn an_ed25519_signer_refuses_hs256_none_and_tampered_tokens() {
    let s = ed(SECRET, &[]);
    let kid = s.verification_keys()[0].kid.clone();
    // HS256 "signed" with the public key as the HMAC secret, under the right kid: the classic
    // algorithm-confusion forgery.
    let mut header = Header::new(Algorithm::HS256);
    header.kid = Some(kid.clone());
    let x = URL_SAFE_NO_PAD.decode(&s.verification_keys()[0].x).unwrap();
    let claims = claims_expiring_in(900);
    let body = serde_json::json!({
        "iss": ISSUER, "aud": AUDIENCE, "sub": claims.sub, "sid": claims.sid, "role": "admin",
        "perms": ["users:write"], "iat": claims.iat, "exp": claims.exp, "jti": claims.jti,
    });
    let forged = jsonwebtoken::encode(&header, &body, &EncodingKey::from_secret(&x)).unwrap();
    assert!(
        invalid(&s, &forged),
        "HS256 is never accepted by an EdDSA signer"
    );
    let none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(format!(r#"{{"alg":"none","kid":"{kid}"}}"#)),
        URL_SAFE_NO_PAD.encode(body.to_string())
    );
    assert!(invalid(&s, &none));
    let token = s.sign(&claims).unwrap();
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    parts[1] = URL_SAFE_NO_PAD.encode(body.to_string());
    assert!(
        invalid(&s, &parts.join(".")),
        "a changed payload breaks the signature"
    );
    assert!(
        invalid(&s, &signer("k1", SECRET).sign(&claims).unwrap()),
        "an HS256 token of the same secret is refused"
    );
}

#[test]
fn a_verified_token_is_remembered_only_until_it_expires_and_only_for_its_exact_bytes() {
    let cache = VerifiedTokens::default();
    let mut claims = claims_expiring_in(900);
    claims.exp = 1_000;
    cache.put("token-a", &claims);
    assert_eq!(
        cache.get("token-a", 1_004),
        Some(claims.clone()),
        "within the leeway"
    );
    assert_eq!(
        cache.get("token-a", 1_005),
        None,
        "expired, whatever the cache holds"
    );
    assert_eq!(
        cache.get("token-a ", 900),
        None,
        "another string is another token"
    );
    for i in 0..VERIFIED_CAPACITY {
        cache.put(&format!("t{i}"), &claims);
    }
    assert!(
        cache.0.read().unwrap().len() <= VERIFIED_CAPACITY,
        "the memory stays bounded"
    );
}

#[test]
fn a_tampered_token_is_refused_even_after_the_genuine_one_was_remembered() {
    let s = ed(SECRET, &[]);
    let claims = claims_expiring_in(900);
    let token = s.sign(&claims).unwrap();
    assert!(s.verify(&token).is_ok());
    assert!(s.verify(&token).is_ok(), "the second time from memory");
    let mut parts: Vec<String> = token.split('.').map(str::to_owned).collect();
    let mut body = payload(&token);
    body["role"] = "super_admin".into();
    parts[1] = URL_SAFE_NO_PAD.encode(body.to_string());
    assert!(invalid(&s, &parts.join(".")));
}
