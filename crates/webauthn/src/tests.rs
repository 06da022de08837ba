#![allow(clippy::unwrap_used, clippy::expect_used)]

use plinth_sessions::{
    CeremonyPurpose, Passkey, PasskeyCeremonies, PasskeyError, PasskeyId, PasskeyUser,
};

use super::testing::SoftAuthenticator;
use super::{RelyingParty, WebauthnCeremonies};

const ORIGIN: &str = "http://localhost:3000";

fn ceremonies() -> WebauthnCeremonies {
    WebauthnCeremonies::new(&RelyingParty {
        id: "localhost".to_owned(),
        name: "Plinth".to_owned(),
        origins: vec![ORIGIN.to_owned()],
    })
    .unwrap()
}

fn user() -> PasskeyUser {
    PasskeyUser {
        handle: uuid::Uuid::now_v7(),
        name: "ada@example.com".to_owned(),
        display_name: "Ada".to_owned(),
    }
}

fn registered(c: &WebauthnCeremonies, a: &mut SoftAuthenticator, who: &PasskeyUser) -> Passkey {
    let start = c.start_registration(who, &[]).unwrap();
    assert_eq!(
        start.options["publicKey"]["authenticatorSelection"]["residentKey"],
        "required"
    );
    let answer = a.register(&start.options, ORIGIN);
    let credential = c.finish_registration(&start.state, &answer).unwrap();
    Passkey {
        id: PasskeyId::new(),
        user_id: plinth_kernel::UserId::from_uuid(who.handle),
        credential_id: credential.credential_id,
        credential: credential.credential,
        name: "Laptop".to_owned(),
        created_at: chrono::Utc::now(),
        last_used_at: None,
    }
}

#[test]
fn a_registered_passkey_signs_in_discoverably_and_its_counter_moves() {
    let c = ceremonies();
    let mut a = SoftAuthenticator::new();
    let who = user();
    let passkey = registered(&c, &mut a, &who);
    let start = c.start_sign_in().unwrap();
    assert!(start.options.get("mediation").is_none());
    let answer = a.sign(&start.options, ORIGIN);
    let presented = c.presented(&answer).unwrap();
    assert_eq!(presented.credential_id, passkey.credential_id);
    assert_eq!(presented.user_handle, Some(who.handle));
    let updated = c
        .finish_assertion(CeremonyPurpose::SignIn, &start.state, &answer, &passkey)
        .unwrap();
    assert!(updated.is_some(), "the counter moved from 0 to 1");
}

#[test]
fn a_second_factor_checks_the_challenge_and_the_origin() {
    let c = ceremonies();
    let mut a = SoftAuthenticator::new();
    let passkey = registered(&c, &mut a, &user());
    let first = c
        .start_second_factor(std::slice::from_ref(&passkey))
        .unwrap();
    let answer = a.sign(&first.options, ORIGIN);
    let updated = c
        .finish_assertion(
            CeremonyPurpose::SecondFactor,
            &first.state,
            &answer,
            &passkey,
        )
        .unwrap()
        .unwrap();
    let passkey = Passkey {
        credential: updated,
        ..passkey
    };
    // The same assertion against a new challenge.
    let second = c
        .start_second_factor(std::slice::from_ref(&passkey))
        .unwrap();
    assert!(matches!(
        c.finish_assertion(
            CeremonyPurpose::SecondFactor,
            &second.state,
            &answer,
            &passkey
        ),
        Err(PasskeyError::Rejected(_))
    ));
    // A phishing page on another origin.
    let phished = a.sign(&second.options, "http://evil.localhost.test:3000");
    assert!(matches!(
        c.finish_assertion(
            CeremonyPurpose::SecondFactor,
            &second.state,
            &phished,
            &passkey
        ),
        Err(PasskeyError::Rejected(_))
    ));
}

#[test]
fn origins_off_the_relying_party_are_refused_at_start_up() {
    let err = WebauthnCeremonies::new(&RelyingParty {
        id: "example.com".to_owned(),
        name: "Plinth".to_owned(),
        origins: vec!["https://app.example.org".to_owned()],
    });
    assert!(err.is_err());
    assert!(
        WebauthnCeremonies::new(&RelyingParty {
            id: "example.com".to_owned(),
            name: "Plinth".to_owned(),
            origins: vec![
                "https://example.com".to_owned(),
                "https://app.example.com".to_owned()
            ],
        })
        .is_ok()
    );
}
