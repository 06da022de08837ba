//! [`FakeTokenSigner`].

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use plinth_kernel::{Clock, SystemClock};

use crate::{AccessClaims, TokenError, TokenSigner};

/// A [`TokenSigner`] for tests: each token is a fresh opaque string remembered with its claims,
/// so only tokens this signer issued verify, and only until their `exp` (no leeway) by the clock
/// it was given. A tampered token is simply unknown. Clones share the issued tokens.
#[derive(Clone)]
pub struct FakeTokenSigner {
    issued: Arc<Mutex<HashMap<String, AccessClaims>>>,
    clock: Arc<dyn Clock>,
}

impl FakeTokenSigner {
    /// A signer that checks expiry against the system clock.
    #[must_use]
    pub fn new() -> Self {
        Self::with_clock(Arc::new(SystemClock))
    }

    /// A signer that checks expiry against `clock` (for example a `ManualClock`).
    #[must_use]
    pub fn with_clock(clock: Arc<dyn Clock>) -> Self {
        Self {
            issued: Arc::default(),
            clock,
        }
    }
}

impl Default for FakeTokenSigner {
    fn default() -> Self {
        Self::new()
    }
}

impl TokenSigner for FakeTokenSigner {
    fn sign(&self, claims: &AccessClaims) -> Result<String, TokenError> {
        let token = format!("fake-access.{}", uuid::Uuid::now_v7().simple());
        self.issued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(token.clone(), claims.clone());
        Ok(token)
    }

    fn verify(&self, token: &str) -> Result<AccessClaims, TokenError> {
        let claims = self
            .issued
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(token)
            .cloned()
            .ok_or(TokenError::Invalid)?;
        if self.clock.now().timestamp() >= claims.exp {
            return Err(TokenError::Invalid);
        }
        Ok(claims)
    }
}

#[cfg(test)]
mod tests {
    use plinth_kernel::UserId;
    use plinth_kernel::testing::ManualClock;

    use super::*;
    use crate::SessionId;

    #[test]
    fn verifies_its_own_tokens_until_they_expire() {
        let clock = ManualClock::default();
        let signer = FakeTokenSigner::with_clock(Arc::new(clock.clone()));
        let now = clock.now().timestamp();
        let claims = AccessClaims {
            sub: UserId::new(),
            sid: SessionId::new(),
            role: "user".into(),
            perms: vec![],
            org: None,
            org_perms: vec![],
            iat: now,
            exp: now + 60,
            jti: "j".into(),
        };
        let token = signer.sign(&claims).unwrap();
        assert_eq!(signer.verify(&token).unwrap(), claims);
        assert!(matches!(
            signer.verify(&format!("{token}x")),
            Err(TokenError::Invalid)
        ));
        assert!(
            matches!(
                FakeTokenSigner::new().verify(&token),
                Err(TokenError::Invalid)
            ),
            "another signer's token"
        );
        clock.advance(chrono::Duration::seconds(60));
        assert!(
            matches!(signer.verify(&token), Err(TokenError::Invalid)),
            "expired"
        );
    }
}
