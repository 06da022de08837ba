//! Security adapters: bcrypt password hashing ([`BcryptHasher`], a
//! [`plinth_users::PasswordHasher`]) and JWT access tokens ([`JwtSigner`], a
//! [`plinth_sessions::TokenSigner`]).
//!
//! These are the only places that touch `bcrypt` and `jsonwebtoken`; the domain crates see the
//! ports alone.

mod jwt;
mod password;

pub use jwt::{JwtKeys, JwtSigner};
pub use password::{BcryptHasher, PREHASH_KEY};
