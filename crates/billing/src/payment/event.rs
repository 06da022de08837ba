//! A payment provider's webhook event, reduced to what billing acts on.

use crate::{InvoiceId, SubscriptionId, SubscriptionStatus};

/// The metadata key under which a payment (Stripe invoice or payment intent) carries the id
/// of the Plinth invoice it pays.
pub const INVOICE_METADATA_KEY: &str = "plinth_invoice_id";

/// The metadata key under which a Stripe subscription carries the id of the Plinth
/// subscription it mirrors.
pub const SUBSCRIPTION_METADATA_KEY: &str = "plinth_subscription_id";

/// The parts of a webhook event billing reads: `id`, `type`,
/// `data.object.metadata.plinth_invoice_id` / `plinth_subscription_id` and
/// `data.object.status`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProviderEvent {
    /// The provider's event id (`evt_…`), unique per event and repeated on redelivery.
    pub id: String,
    /// The event type, e.g. `invoice.paid`.
    pub kind: String,
    /// The raw metadata value naming our invoice, when present.
    pub invoice_ref: Option<String>,
    /// The raw metadata value naming our subscription, when present.
    pub subscription_ref: Option<String>,
    /// `data.object.status` (a Stripe subscription's status), when present.
    pub object_status: Option<String>,
    /// What a payment event says was paid (see [`ReceivedPayment`]).
    pub paid: ReceivedPayment,
}

/// What a payment event reports, each part as the provider sent it (absent when it did not):
/// for `payment_intent.succeeded` the intent's `id`, `amount_received` and `currency`; for
/// `invoice.paid` the Stripe invoice's `payment_intent`, `amount_paid` and `currency`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceivedPayment {
    /// The provider's payment id (`pi_…`).
    pub provider_payment_id: Option<String>,
    /// Minor units received.
    pub amount: Option<i64>,
    /// ISO 4217 code, upper-cased (Stripe sends lower case).
    pub currency: Option<String>,
}

impl ProviderEvent {
    /// Parses an event from its JSON body.
    ///
    /// # Errors
    /// A message naming what is missing when the body is not a JSON object with a non-empty
    /// string `id` (at most 255 bytes) and `type`.
    pub fn parse(body: &[u8]) -> Result<Self, String> {
        let value: serde_json::Value =
            serde_json::from_slice(body).map_err(|e| format!("the body is not JSON: {e}"))?;
        let text = |key: &str| {
            value
                .get(key)
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.is_empty() && s.len() <= 255)
                .map(str::to_owned)
                .ok_or_else(|| format!("the event has no valid `{key}`"))
        };
        let id = text("id")?;
        let kind = text("type")?;
        let metadata = |key: &str| {
            value
                .pointer("/data/object/metadata")
                .and_then(|m| m.get(key))
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned)
        };
        let object = |key: &str| value.pointer("/data/object").and_then(|o| o.get(key));
        let (id_key, amount_key) = if kind == "invoice.paid" {
            ("payment_intent", "amount_paid")
        } else {
            ("id", "amount_received")
        };
        let paid = ReceivedPayment {
            // An expanded `payment_intent` is an object carrying its `id`.
            provider_payment_id: object(id_key)
                .and_then(|v| v.as_str().or_else(|| v.get("id")?.as_str()))
                .map(str::to_owned),
            amount: object(amount_key).and_then(serde_json::Value::as_i64),
            currency: object("currency")
                .and_then(serde_json::Value::as_str)
                .map(str::to_ascii_uppercase),
        };
        Ok(Self {
            paid,
            invoice_ref: metadata(INVOICE_METADATA_KEY),
            subscription_ref: metadata(SUBSCRIPTION_METADATA_KEY),
            object_status: value
                .pointer("/data/object/status")
                .and_then(serde_json::Value::as_str)
                .map(str::to_owned),
            id,
            kind,
        })
    }

    /// Whether this event type reports a change of a Stripe subscription
    /// (`customer.subscription.updated`, `customer.subscription.deleted`).
    #[must_use]
    pub fn is_subscription_change(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "customer.subscription.updated" | "customer.subscription.deleted"
        )
    }

    /// The subscription named in the metadata, when it is a valid id.
    #[must_use]
    pub fn subscription_id(&self) -> Option<SubscriptionId> {
        self.subscription_ref
            .as_deref()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map(SubscriptionId::from)
    }

    /// The status a subscription event asks for: `canceled` for `.deleted`; for `.updated`
    /// Stripe's `active`, `past_due`, `unpaid`, `canceled` or `trialing` (the same names as
    /// ours). `None` for any other status (`incomplete`, `paused`…) or event.
    #[must_use]
    pub fn subscription_status(&self) -> Option<SubscriptionStatus> {
        match self.kind.as_str() {
            "customer.subscription.deleted" => Some(SubscriptionStatus::Canceled),
            "customer.subscription.updated" => self
                .object_status
                .as_deref()
                .and_then(SubscriptionStatus::parse),
            _ => None,
        }
    }

    /// Whether this event type says money arrived (`invoice.paid`,
    /// `payment_intent.succeeded`).
    #[must_use]
    pub fn is_payment(&self) -> bool {
        matches!(
            self.kind.as_str(),
            "invoice.paid" | "payment_intent.succeeded"
        )
    }

    /// The invoice named in the metadata, when it is a valid id.
    #[must_use]
    pub fn invoice_id(&self) -> Option<InvoiceId> {
        self.invoice_ref
            .as_deref()
            .and_then(|s| uuid::Uuid::parse_str(s).ok())
            .map(InvoiceId::from)
    }
}

/// What receiving an event did; stored in the inbox as `outcome`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventOutcome {
    /// The invoice went from `open` to `paid`.
    Applied,
    /// The invoice was not open any more (already paid, void…), or the subscription already
    /// had the status (or had ended): nothing changed.
    AlreadySettled,
    /// A payment event naming no invoice of ours, or a subscription event naming no
    /// subscription of ours or a status we do not map: recorded only.
    Ignored,
    /// A payment event naming an invoice of ours whose amount, currency or payment id do not
    /// match it: recorded and audited (`billing.payment_mismatch`), not applied.
    PaymentMismatch,
    /// An event type billing does not act on (yet): recorded only.
    Unhandled,
    /// The event id was already in the inbox: nothing was done again.
    Duplicate,
}

impl EventOutcome {
    /// Stored name: `applied`, `already_settled`, `ignored`, `payment_mismatch`, `unhandled`,
    /// `duplicate`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Applied => "applied",
            Self::AlreadySettled => "already_settled",
            Self::Ignored => "ignored",
            Self::PaymentMismatch => "payment_mismatch",
            Self::Unhandled => "unhandled",
            Self::Duplicate => "duplicate",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_id_type_and_the_invoice_metadata() {
        let id = InvoiceId::new();
        let body = serde_json::json!({
            "id": "evt_1", "type": "invoice.paid",
            "data": { "object": { "metadata": { "plinth_invoice_id": id.to_string() } } }
        });
        let event = ProviderEvent::parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(event.id, "evt_1");
        assert!(event.is_payment());
        assert_eq!(event.invoice_id(), Some(id));
    }

    #[test]
    fn reads_what_a_payment_event_says_was_paid() {
        let intent = serde_json::json!({
            "id": "evt_1", "type": "payment_intent.succeeded",
            "data": { "object": { "id": "pi_1", "amount": 5, "amount_received": 1_490,
                "currency": "eur", "metadata": {} } }
        });
        let event = ProviderEvent::parse(intent.to_string().as_bytes()).unwrap();
        assert_eq!(
            event.paid,
            ReceivedPayment {
                provider_payment_id: Some("pi_1".into()),
                amount: Some(1_490),
                currency: Some("EUR".into()),
            }
        );
        let invoice = serde_json::json!({
            "id": "evt_2", "type": "invoice.paid",
            "data": { "object": { "id": "in_1", "amount_paid": 700, "currency": "usd",
                "payment_intent": { "id": "pi_2" } } }
        });
        let event = ProviderEvent::parse(invoice.to_string().as_bytes()).unwrap();
        assert_eq!(event.paid.provider_payment_id.as_deref(), Some("pi_2"));
        assert_eq!(event.paid.amount, Some(700));
        let bare = ProviderEvent::parse(br#"{"id":"evt","type":"invoice.paid"}"#).unwrap();
        assert_eq!(bare.paid, ReceivedPayment::default());
    }

    #[test]
    fn refuses_bodies_without_id_or_type() {
        assert!(ProviderEvent::parse(b"not json").is_err());
        assert!(ProviderEvent::parse(br#"{"type":"invoice.paid"}"#).is_err());
        assert!(ProviderEvent::parse(br#"{"id":"","type":"x"}"#).is_err());
        let other = ProviderEvent::parse(br#"{"id":"evt","type":"customer.created"}"#).unwrap();
        assert!(!other.is_payment());
        assert_eq!(other.invoice_id(), None);
    }
}
