//! [`FakePasswordHasher`].

use std::fmt::Write as _;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use crate::{HashError, Password, PasswordHash, PasswordHasher};

const PREFIX: &str = "fake$";

/// A fast [`PasswordHasher`] for tests: stores `fake$` followed by the hex of the password's
/// bytes reversed. Not a secret-keeping scheme, but never the plain text, and `verify` compares
/// the whole password. Counts verifications (including dummy ones) so tests can check that an
/// unknown email costs the same work as a wrong password. Clones share the counter.
#[derive(Clone, Debug, Default)]
pub struct FakePasswordHasher {
    verifications: Arc<AtomicUsize>,
}

impl FakePasswordHasher {
    /// A new hasher with its counter at zero.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// How many times `verify` or `verify_dummy` ran.
    #[must_use]
    pub fn verifications(&self) -> usize {
        self.verifications.load(Ordering::SeqCst)
    }

    fn encode(raw: &str) -> String {
        raw.bytes().rev().fold(String::from(PREFIX), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    }
}

#[async_trait::async_trait]
impl PasswordHasher for FakePasswordHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        Ok(PasswordHash(Self::encode(password.expose())))
    }

    async fn verify(&self, candidate: &str, hash: &PasswordHash) -> Result<bool, HashError> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        if !hash.0.starts_with(PREFIX) {
            return Err(HashError("stored hash is not a fake$ hash".into()));
        }
        Ok(Self::encode(candidate) == hash.0)
    }

    async fn verify_dummy(&self, candidate: &str) -> Result<(), HashError> {
        self.verifications.fetch_add(1, Ordering::SeqCst);
        let _ = Self::encode(candidate) == Self::encode("dummy password");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PasswordPolicy;

    #[tokio::test]
    async fn verifies_the_whole_password_and_hides_the_plain_text() {
        let h = FakePasswordHasher::new();
        let raw = format!("{}tail-A", "correct horse battery staple ".repeat(4));
        let pw = Password::new(raw.clone(), &PasswordPolicy::default(), &[]).unwrap();
        let hash = h.hash(&pw).await.unwrap();
        assert!(!hash.0.contains(&raw));
        assert!(h.verify(&raw, &hash).await.unwrap());
        assert!(
            !h.verify(&raw.replace("tail-A", "tail-B"), &hash)
                .await
                .unwrap()
        );
        assert!(
            h.verify("x", &PasswordHash("$2b$12$nope".into()))
                .await
                .is_err()
        );
        h.verify_dummy("whatever").await.unwrap();
        assert_eq!(h.verifications(), 4);
    }
}
