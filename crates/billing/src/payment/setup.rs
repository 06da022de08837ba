//! Whether this server collects payments and receives the provider's webhooks: explicit
//! values handed to [`crate::PaymentService::new`], so a server without Stripe says so where
//! it is wired instead of leaving a port out.

use std::sync::Arc;

use super::{PaymentGateway, WebhookVerifier};
use crate::BillingError;

/// The gateway that collects invoice payments, or none.
#[derive(Clone)]
pub enum GatewaySetup {
    /// Payments are started through this gateway (`STRIPE_API_KEY` set: Stripe).
    Configured(Arc<dyn PaymentGateway>),
    /// No gateway (`STRIPE_API_KEY` unset): starting a payment answers
    /// [`BillingError::PaymentsNotConfigured`] (HTTP 409 `payments_not_configured`).
    NotConfigured,
}

impl GatewaySetup {
    /// The gateway.
    ///
    /// # Errors
    /// [`BillingError::PaymentsNotConfigured`] when there is none.
    pub(crate) fn gateway(&self) -> Result<&dyn PaymentGateway, BillingError> {
        match self {
            Self::Configured(gateway) => Ok(gateway.as_ref()),
            Self::NotConfigured => Err(BillingError::PaymentsNotConfigured),
        }
    }
}

/// What checks the signature of the provider's webhooks, or nothing.
#[derive(Clone)]
pub enum WebhookSetup {
    /// Webhooks are verified with this (`STRIPE_WEBHOOK_SECRET` set: Stripe's signature).
    Configured(Arc<dyn WebhookVerifier>),
    /// No verifier (`STRIPE_WEBHOOK_SECRET` unset): every webhook is refused with
    /// [`BillingError::WebhookNotConfigured`] (HTTP 409 `payments_not_configured`) and
    /// nothing is recorded.
    NotConfigured,
}

impl WebhookSetup {
    /// The verifier.
    ///
    /// # Errors
    /// [`BillingError::WebhookNotConfigured`] when there is none.
    pub(crate) fn verifier(&self) -> Result<&dyn WebhookVerifier, BillingError> {
        match self {
            Self::Configured(verifier) => Ok(verifier.as_ref()),
            Self::NotConfigured => Err(BillingError::WebhookNotConfigured),
        }
    }
}
