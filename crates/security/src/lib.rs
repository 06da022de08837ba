//! Security adapters: bcrypt password hashing ([`BcryptHasher`], a
//! [`plinth_users::PasswordHasher`]), JWT access tokens ([`JwtSigner`], a
//! [`plinth_sessions::TokenSigner`]) and AES-256-GCM sealing of secrets at rest ([`SecretBox`], a
//! [`plinth_sessions::SecretSealer`]), and Stripe webhook signatures ([`StripeSignatureVerifier`],
//! a [`plinth_billing::payment::WebhookVerifier`]).
//!
//! These are the only places that touch `bcrypt`, `jsonwebtoken` and `aes-gcm`; the domain crates see the
//! ports alone.

mod jwt;
mod keys;
mod password;
mod secret_box;
mod stripe_signature;
mod url_signer;

pub use jwt::{JwtKeys, JwtSigner};
pub use keys::{
    csrf_key, jwt_key_id, oauth_flow_key, passwordless_code_key, refresh_successor_key,
};
pub use password::{BcryptHasher, HashingLoad, PREHASH_KEY, hashing_load};
pub use secret_box::{MIN_SECRET_BYTES, SecretBox, SecretBoxError};
pub use stripe_signature::{DEFAULT_TOLERANCE_SECS, StripeSignatureVerifier};
pub use url_signer::{HmacUrlSigner, UrlSignerError};
