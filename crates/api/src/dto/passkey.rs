//! Passkey (WebAuthn) bodies. Ceremony tokens and challenge tokens are secrets: the types
//! holding them do not implement `Debug`.

use validator::{Validate, ValidationError};

/// A WebAuthn answer must be a JSON object (`PublicKeyCredential.toJSON()`).
fn an_object(value: &serde_json::Value) -> Result<(), ValidationError> {
    if value.is_object() {
        Ok(())
    } else {
        Err(ValidationError::new("object")
            .with_message("credential must be the JSON of the authenticator's answer".into()))
    }
}

/// A started ceremony: the options to pass to the browser and the token to finish with.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = PasskeyOptions, example = json!({
    "ceremony_token": "Zk3q8w0Xc1vB7nM2aL5sD9fG4hJ6kP0oI3uY8tR1eW2",
    "options": { "publicKey": {
        "challenge": "pBZq3dJ0F1i7xE3pO8cQ2w",
        "rpId": "example.com",
        "allowCredentials": [],
        "userVerification": "required",
        "timeout": 300000
    } },
    "expires_in": 300
}))]
pub(crate) struct PasskeyOptionsBody {
    /// Present it, once, with the authenticator's answer (valid `expires_in` seconds).
    pub ceremony_token: String,
    /// The WebAuthn options, binary fields as base64url: for registration
    /// `{ "publicKey": PublicKeyCredentialCreationOptions }` for `navigator.credentials.create()`,
    /// otherwise `{ "publicKey": PublicKeyCredentialRequestOptions }` for
    /// `navigator.credentials.get()` (the JSON `PublicKeyCredential.parseCreationOptionsFromJSON`
    /// and `parseRequestOptionsFromJSON` take).
    #[schema(value_type = Object)]
    pub options: serde_json::Value,
    /// Seconds until the ceremony expires.
    pub expires_in: i64,
}

impl From<plinth_sessions::PasskeyOptions> for PasskeyOptionsBody {
    fn from(o: plinth_sessions::PasskeyOptions) -> Self {
        Self {
            ceremony_token: o.ceremony_token.expose().to_owned(),
            options: o.options,
            expires_in: o.expires_in,
        }
    }
}

/// `POST /me/passkeys/options`: how the caller proves it is them before adding a passkey.
#[derive(Clone, Default, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = StartPasskeyRegistrationRequest, example = json!({ "password": "correct horse battery staple" }))]
pub(crate) struct StartPasskeyRegistrationRequest {
    /// The account's password. Needed unless the session signed in within the last 10
    /// minutes (an account without a password signs in again instead).
    #[validate(length(max = 1024, message = "password must be at most 1024 characters"))]
    #[schema(max_length = 1024)]
    pub password: Option<String>,
}

/// `POST /me/passkeys`: the authenticator's answer to the registration options.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = RegisterPasskeyRequest, example = json!({
    "ceremony_token": "Zk3q8w0Xc1vB7nM2aL5sD9fG4hJ6kP0oI3uY8tR1eW2",
    "name": "MacBook Touch ID",
    "credential": {
        "id": "3q2-7w", "rawId": "3q2-7w", "type": "public-key",
        "response": { "attestationObject": "o2NmbXRkbm9uZQ…", "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uY3JlYXRlIn0" },
        "clientExtensionResults": {}
    }
}))]
pub(crate) struct RegisterPasskeyRequest {
    /// The `ceremony_token` of `POST /me/passkeys/options`.
    #[validate(length(
        min = 1,
        max = 200,
        message = "ceremony_token must be between 1 and 200 characters"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub ceremony_token: String,
    /// What to call it (1 to 64 characters; "Passkey" when absent).
    #[schema(min_length = 1, max_length = 64)]
    pub name: Option<String>,
    /// `PublicKeyCredential.toJSON()` of what `navigator.credentials.create()` returned.
    #[validate(custom(function = "an_object"))]
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// `POST /auth/passkeys/sign-in`: the authenticator's answer to the sign-in options.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = PasskeySignInRequest, example = json!({
    "ceremony_token": "Zk3q8w0Xc1vB7nM2aL5sD9fG4hJ6kP0oI3uY8tR1eW2",
    "credential": {
        "id": "3q2-7w", "rawId": "3q2-7w", "type": "public-key",
        "response": {
            "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
            "signature": "MEUCIQ…",
            "userHandle": "AZD1w51OfsqhsD8dLkxbag"
        },
        "clientExtensionResults": {}
    }
}))]
pub(crate) struct PasskeySignInRequest {
    /// The `ceremony_token` of the options.
    #[validate(length(
        min = 1,
        max = 200,
        message = "ceremony_token must be between 1 and 200 characters"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub ceremony_token: String,
    /// `PublicKeyCredential.toJSON()` of what `navigator.credentials.get()` returned.
    #[validate(custom(function = "an_object"))]
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// `POST /auth/mfa/passkey/options`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = MfaPasskeyOptionsRequest, example = json!({ "mfa_token": "9fQ2xk0Lr7Vb3nM5aZ8sD1gH4jK6pO0iU2yT7rE3wQ1" }))]
pub(crate) struct MfaPasskeyOptionsRequest {
    /// The `mfa_token` of `POST /auth/login`.
    #[validate(length(
        min = 1,
        max = 200,
        message = "mfa_token must be between 1 and 200 characters"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub mfa_token: String,
}

/// `POST /auth/mfa/passkey`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = MfaPasskeyRequest, example = json!({
    "mfa_token": "9fQ2xk0Lr7Vb3nM5aZ8sD1gH4jK6pO0iU2yT7rE3wQ1",
    "ceremony_token": "Zk3q8w0Xc1vB7nM2aL5sD9fG4hJ6kP0oI3uY8tR1eW2",
    "credential": {
        "id": "3q2-7w", "rawId": "3q2-7w", "type": "public-key",
        "response": {
            "authenticatorData": "SZYN5YgOjGh0NBcPZHZgW4_krrmihjLHmVzzuoMdl2MFAAAAAQ",
            "clientDataJSON": "eyJ0eXBlIjoid2ViYXV0aG4uZ2V0In0",
            "signature": "MEUCIQ…"
        },
        "clientExtensionResults": {}
    }
}))]
pub(crate) struct MfaPasskeyRequest {
    /// The `mfa_token` of `POST /auth/login`.
    #[validate(length(
        min = 1,
        max = 200,
        message = "mfa_token must be between 1 and 200 characters"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub mfa_token: String,
    /// The `ceremony_token` of `POST /auth/mfa/passkey/options`.
    #[validate(length(
        min = 1,
        max = 200,
        message = "ceremony_token must be between 1 and 200 characters"
    ))]
    #[schema(min_length = 1, max_length = 200)]
    pub ceremony_token: String,
    /// `PublicKeyCredential.toJSON()` of what `navigator.credentials.get()` returned.
    #[validate(custom(function = "an_object"))]
    #[schema(value_type = Object)]
    pub credential: serde_json::Value,
}

/// One of the caller's passkeys.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Passkey, example = json!({
    "id": "0190f5c3-9d4e-7cc2-a1b0-3f1d2e4c5b71",
    "name": "MacBook Touch ID",
    "created_at": "2026-01-15T09:30:00Z",
    "last_used_at": "2026-02-01T08:00:00Z"
}))]
pub(crate) struct PasskeyBody {
    /// Id (to rename or remove it).
    pub id: uuid::Uuid,
    /// The name its user gave it.
    pub name: String,
    /// When it was registered.
    pub created_at: chrono::DateTime<chrono::Utc>,
    /// When it last signed in or answered a challenge (`null`: never).
    pub last_used_at: Option<chrono::DateTime<chrono::Utc>>,
}

impl From<plinth_sessions::Passkey> for PasskeyBody {
    fn from(p: plinth_sessions::Passkey) -> Self {
        Self {
            id: p.id.as_uuid(),
            name: p.name,
            created_at: p.created_at,
            last_used_at: p.last_used_at,
        }
    }
}

/// The caller's passkeys, oldest first.
#[derive(Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = PasskeyList)]
pub(crate) struct PasskeyListBody {
    /// Registered passkeys.
    pub items: Vec<PasskeyBody>,
}

/// `PATCH /me/passkeys/{id}`.
#[derive(Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = RenamePasskeyRequest, example = json!({ "name": "Work laptop" }))]
pub(crate) struct RenamePasskeyRequest {
    /// The new name (1 to 64 characters).
    #[schema(min_length = 1, max_length = 64)]
    pub name: String,
}
