//! [`StripeSignatureVerifier`]: checks the `Stripe-Signature` header of a webhook, the
//! [`plinth_billing::payment::WebhookVerifier`] adapter.
//!
//! Stripe sends `t=<unix seconds>,v1=<hex>[,v1=<hex>…]` (several `v1` while a secret is
//! being rolled, plus other schemes such as `v0` that are ignored). The signed payload is
//! `"{t}.{raw body}"`, and each `v1` is its HMAC-SHA256 under the whole `whsec_…` string's
//! bytes. The body is accepted when any `v1` matches (compared in constant time by
//! `Mac::verify_slice`) and `t` is within the tolerance of now (300 s by default), which
//! stops replays of an old delivery. Neither the secret nor a signature is ever logged.

use hmac::{Hmac, Mac};
use plinth_billing::payment::{SignatureError, WebhookVerifier};
use plinth_kernel::Timestamp;
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

/// How far the signature's timestamp may be from now, as Stripe's own libraries default.
pub const DEFAULT_TOLERANCE_SECS: i64 = 300;

/// Verifies Stripe webhook signatures with the endpoint's signing secret.
pub struct StripeSignatureVerifier {
    secret: SecretString,
    tolerance_secs: i64,
}

impl std::fmt::Debug for StripeSignatureVerifier {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeSignatureVerifier")
            .field("tolerance_secs", &self.tolerance_secs)
            .finish_non_exhaustive()
    }
}

impl StripeSignatureVerifier {
    /// A verifier for `secret` (`STRIPE_WEBHOOK_SECRET`, `whsec_…`) with the 300 s tolerance.
    #[must_use]
    pub const fn new(secret: SecretString) -> Self {
        Self {
            secret,
            tolerance_secs: DEFAULT_TOLERANCE_SECS,
        }
    }

    /// The `Stripe-Signature` header value Stripe would send for `body` at unix time `t`
    /// (for tests and local tooling).
    #[must_use]
    pub fn sign(&self, t: i64, body: &[u8]) -> String {
        format!(
            "t={t},v1={}",
            hex::encode(self.mac(t, body).finalize().into_bytes())
        )
    }

    fn mac(&self, t: i64, body: &[u8]) -> Hmac<Sha256> {
        // HMAC accepts keys of any length; this cannot fail.
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.secret.expose_secret().as_bytes())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        mac.update(t.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        mac
    }
}

impl WebhookVerifier for StripeSignatureVerifier {
    fn verify(
        &self,
        header: Option<&str>,
        body: &[u8],
        now: Timestamp,
    ) -> Result<(), SignatureError> {
        let header = header.ok_or(SignatureError::Missing)?;
        let mut timestamp = None;
        let mut signatures = Vec::new();
        for part in header.split(',') {
            let Some((key, value)) = part.trim().split_once('=') else {
                return Err(SignatureError::Malformed);
            };
            match key {
                "t" => {
                    timestamp = Some(
                        value
                            .parse::<i64>()
                            .map_err(|_| SignatureError::Malformed)?,
                    )
                }
                // A value that is not hex cannot match; skip it like an unknown scheme.
                "v1" => signatures.extend(hex::decode(value).ok()),
                _ => {}
            }
        }
        let t = timestamp.ok_or(SignatureError::Malformed)?;
        if signatures.is_empty() {
            return Err(SignatureError::Malformed);
        }
        let mac = self.mac(t, body);
        let matched = signatures.iter().fold(false, |any, sig| {
            mac.clone().verify_slice(sig).is_ok() | any
        });
        if !matched {
            return Err(SignatureError::Mismatch);
        }
        if (now.timestamp() - t).abs() > self.tolerance_secs {
            return Err(SignatureError::Expired);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
