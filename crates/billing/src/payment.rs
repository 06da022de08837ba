//! Payments: the [`PaymentGateway`] port (how an invoice gets paid), the webhook ports
//! ([`WebhookVerifier`], [`PaymentEventInbox`]) and the provider events they carry
//! ([`ProviderEvent`]).
//!
//! Stripe is the provider today: its adapter for signatures lives in `plinth-security`, its
//! inbox table in `plinth-store`. The domain sees only these ports.

mod event;
mod ports;

pub use event::{EventOutcome, INVOICE_METADATA_KEY, ProviderEvent, ReceivedPayment};
pub use ports::{
    GatewayError, InboxEntry, ManualGateway, PaymentEventInbox, PaymentGateway, PaymentMethod,
    PaymentRequest, PaymentStart, SignatureError, WebhookVerifier,
};
