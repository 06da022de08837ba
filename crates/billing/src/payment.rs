//! Payments: the [`PaymentGateway`] port (how an invoice gets paid), the webhook ports
//! ([`WebhookVerifier`], [`PaymentEventInbox`]) and the provider events they carry
//! ([`ProviderEvent`]); and [`PaymentService`], the payment use cases, wired with an explicit
//! [`GatewaySetup`] and [`WebhookSetup`] (each possibly `NotConfigured`).
//!
//! Stripe is the provider today: its adapter for signatures lives in `plinth-security`, its
//! inbox table in `plinth-store`. The domain sees only these ports.

mod event;
mod ports;
mod service;
mod setup;

pub use event::{EventOutcome, INVOICE_METADATA_KEY, ProviderEvent, ReceivedPayment};
pub use ports::{
    GatewayError, InboxEntry, ManualGateway, PaymentEventInbox, PaymentGateway, PaymentMethod,
    PaymentRequest, PaymentStart, SignatureError, WebhookVerifier,
};
pub use service::{InvoicePayment, PaymentService, Revenue};
pub use setup::{GatewaySetup, WebhookSetup};
