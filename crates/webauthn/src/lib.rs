//! Passkeys over [`webauthn_rs`]: [`WebauthnCeremonies`] implements the sessions domain's
//! [`PasskeyCeremonies`] port. The relying party (its id, name and the origins a ceremony may
//! come from) is fixed at construction from configuration.
//!
//! Registration asks for a **discoverable** credential (`residentKey: "required"`) with user
//! verification, so the same passkey also signs in without an address being typed. Ceremony
//! state is returned serialised, to be stored by the caller (never kept in this process).

use base64::Engine as _;
use plinth_sessions::{
    CeremonyPurpose, CeremonyStart, Passkey, PasskeyCeremonies, PasskeyError, PasskeyUser,
    PresentedCredential, RegisteredCredential,
};
use webauthn_rs::prelude::{
    CredentialID, DiscoverableAuthentication, DiscoverableKey, PasskeyAuthentication,
    PasskeyRegistration, PublicKeyCredential, RegisterPublicKeyCredential, Url, Webauthn,
    WebauthnBuilder,
};

#[cfg(any(test, feature = "testing"))]
pub mod testing;

/// The relying party, from configuration (`PASSKEY_RP_ID`, `PASSKEY_ORIGINS`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelyingParty {
    /// The RP id: a registrable domain every origin is on (`example.com`, `localhost`).
    pub id: String,
    /// What authenticators show ("Plinth").
    pub name: String,
    /// The exact origins (`https://app.example.com`) ceremonies may come from.
    pub origins: Vec<String>,
}

/// Why a [`RelyingParty`] cannot be used.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct ConfigError(String);

/// The WebAuthn ceremonies of one relying party.
#[derive(Debug)]
pub struct WebauthnCeremonies {
    webauthn: Webauthn,
}

impl WebauthnCeremonies {
    /// The ceremonies of `rp`.
    ///
    /// # Errors
    /// [`ConfigError`] when there is no origin, an origin is not a URL, or an origin's host is
    /// not the RP id or a subdomain of it.
    pub fn new(rp: &RelyingParty) -> Result<Self, ConfigError> {
        let origins = rp
            .origins
            .iter()
            .map(|o| Url::parse(o).map_err(|e| ConfigError(format!("`{o}` is not a URL: {e}"))))
            .collect::<Result<Vec<_>, _>>()?;
        let Some((first, rest)) = origins.split_first() else {
            return Err(ConfigError("no origin is allowed".to_owned()));
        };
        for origin in &origins {
            let on_rp = origin
                .domain()
                .is_some_and(|d| d == rp.id || d.ends_with(&format!(".{}", rp.id)));
            if !on_rp {
                return Err(ConfigError(format!(
                    "the origin `{origin}` is not on the relying party id `{}`",
                    rp.id
                )));
            }
        }
        let mut builder = WebauthnBuilder::new(&rp.id, first)
            .map_err(|e| ConfigError(format!("relying party: {e}")))?
            .rp_name(&rp.name);
        for origin in rest {
            builder = builder.append_allowed_origin(origin);
        }
        let webauthn = builder
            .build()
            .map_err(|e| ConfigError(format!("relying party: {e}")))?;
        Ok(Self { webauthn })
    }
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

fn internal(what: &str, e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Internal(format!("{what}: {e}"))
}

fn rejected(e: impl std::fmt::Display) -> PasskeyError {
    PasskeyError::Rejected(e.to_string())
}

fn stored_credential(passkey: &Passkey) -> Result<webauthn_rs::prelude::Passkey, PasskeyError> {
    serde_json::from_str(&passkey.credential).map_err(|e| internal("stored passkey", e))
}

fn assertion(response: &serde_json::Value) -> Result<PublicKeyCredential, PasskeyError> {
    serde_json::from_value(response.clone()).map_err(rejected)
}

impl PasskeyCeremonies for WebauthnCeremonies {
    fn start_registration(
        &self,
        user: &PasskeyUser,
        existing: &[Passkey],
    ) -> Result<CeremonyStart, PasskeyError> {
        let exclude = existing
            .iter()
            .map(|p| stored_credential(p).map(|c| c.cred_id().clone()))
            .collect::<Result<Vec<CredentialID>, _>>()?;
        let (ccr, state) = self
            .webauthn
            .start_passkey_registration(
                user.handle,
                &user.name,
                &user.display_name,
                (!exclude.is_empty()).then_some(exclude),
            )
            .map_err(|e| internal("registration", e))?;
        let mut options = serde_json::to_value(&ccr).map_err(|e| internal("options", e))?;
        // A discoverable credential: the passkey signs in without an address being typed.
        if let Some(selection) = options
            .pointer_mut("/publicKey/authenticatorSelection")
            .and_then(serde_json::Value::as_object_mut)
        {
            selection.insert("residentKey".to_owned(), "required".into());
            selection.insert("requireResidentKey".to_owned(), true.into());
        }
        Ok(CeremonyStart {
            options,
            state: serde_json::to_string(&state).map_err(|e| internal("state", e))?,
        })
    }

    fn finish_registration(
        &self,
        state: &str,
        response: &serde_json::Value,
    ) -> Result<RegisteredCredential, PasskeyError> {
        let state: PasskeyRegistration =
            serde_json::from_str(state).map_err(|e| internal("state", e))?;
        let answer: RegisterPublicKeyCredential =
            serde_json::from_value(response.clone()).map_err(rejected)?;
        let passkey = self
            .webauthn
            .finish_passkey_registration(&answer, &state)
            .map_err(rejected)?;
        Ok(RegisteredCredential {
            credential_id: b64(passkey.cred_id().as_ref()),
            credential: serde_json::to_string(&passkey).map_err(|e| internal("passkey", e))?,
        })
    }

    fn start_sign_in(&self) -> Result<CeremonyStart, PasskeyError> {
        let (rcr, state) = self
            .webauthn
            .start_discoverable_authentication()
            .map_err(|e| internal("sign-in", e))?;
        let mut options = serde_json::to_value(&rcr).map_err(|e| internal("options", e))?;
        // The client chooses: a button (no mediation) or autofill (`mediation: "conditional"`).
        if let Some(object) = options.as_object_mut() {
            object.remove("mediation");
        }
        Ok(CeremonyStart {
            options,
            state: serde_json::to_string(&state).map_err(|e| internal("state", e))?,
        })
    }

    fn start_second_factor(&self, passkeys: &[Passkey]) -> Result<CeremonyStart, PasskeyError> {
        let credentials = passkeys
            .iter()
            .map(stored_credential)
            .collect::<Result<Vec<_>, _>>()?;
        let (rcr, state) = self
            .webauthn
            .start_passkey_authentication(&credentials)
            .map_err(|e| internal("second factor", e))?;
        Ok(CeremonyStart {
            options: serde_json::to_value(&rcr).map_err(|e| internal("options", e))?,
            state: serde_json::to_string(&state).map_err(|e| internal("state", e))?,
        })
    }

    fn presented(&self, response: &serde_json::Value) -> Result<PresentedCredential, PasskeyError> {
        let answer = assertion(response)?;
        let user_handle = answer
            .get_user_unique_id()
            .map(|h| uuid::Uuid::from_slice(h).map_err(rejected))
            .transpose()?;
        Ok(PresentedCredential {
            credential_id: b64(answer.get_credential_id()),
            user_handle,
        })
    }

    fn finish_assertion(
        &self,
        purpose: CeremonyPurpose,
        state: &str,
        response: &serde_json::Value,
        passkey: &Passkey,
    ) -> Result<Option<String>, PasskeyError> {
        let answer = assertion(response)?;
        let mut stored = stored_credential(passkey)?;
        if answer.get_credential_id() != stored.cred_id().as_ref() {
            return Err(PasskeyError::Rejected(
                "the assertion is not from this passkey".to_owned(),
            ));
        }
        let result = match purpose {
            CeremonyPurpose::SignIn => {
                let state: DiscoverableAuthentication =
                    serde_json::from_str(state).map_err(|e| internal("state", e))?;
                self.webauthn.finish_discoverable_authentication(
                    &answer,
                    state,
                    &[DiscoverableKey::from(&stored)],
                )
            }
            CeremonyPurpose::SecondFactor => {
                let state: PasskeyAuthentication =
                    serde_json::from_str(state).map_err(|e| internal("state", e))?;
                self.webauthn.finish_passkey_authentication(&answer, &state)
            }
            CeremonyPurpose::Register => {
                return Err(PasskeyError::Internal(
                    "a registration ceremony cannot verify an assertion".to_owned(),
                ));
            }
        }
        .map_err(rejected)?;
        if !result.user_verified() {
            return Err(PasskeyError::Rejected(
                "the authenticator did not verify its user".to_owned(),
            ));
        }
        match stored.update_credential(&result) {
            Some(true) => Ok(Some(
                serde_json::to_string(&stored).map_err(|e| internal("passkey", e))?,
            )),
            _ => Ok(None),
        }
    }
}

#[cfg(test)]
mod tests;
