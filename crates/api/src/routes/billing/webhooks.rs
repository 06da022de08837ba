//! `POST /api/v1/billing/webhooks/stripe`: Stripe's signed events.

use actix_web::{HttpRequest, HttpResponse, post, web};
use futures::StreamExt as _;
use plinth_billing::payment::EventOutcome;

use crate::openapi::responses::{
    BadWebhookSignature, Internal, PayloadTooLarge, WebhookNotConfigured, WebhookUnavailable,
};
use crate::{ApiError, AppState, ClientMeta};

/// The name of Stripe's signature header.
const STRIPE_SIGNATURE: &str = "Stripe-Signature";

/// What the webhook answers Stripe.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = WebhookAck, example = json!({ "received": true, "outcome": "applied" }))]
pub(crate) struct WebhookAckBody {
    /// Always `true`: the event is recorded (or was already).
    pub received: bool,
    /// `applied` (an open invoice became paid, or a subscription took Stripe's status),
    /// `already_settled` (the invoice was not open, or the subscription already had that
    /// status or had ended), `ignored` (a payment naming no invoice of ours, or a subscription
    /// event naming no subscription of ours or a status Plinth does not map),
    /// `payment_mismatch` (a payment of one of our invoices whose amount, currency or payment
    /// intent differ from the invoice's: recorded and audited, not applied), `unhandled` (a
    /// type Plinth does not act on), or `duplicate` (this event id was received before;
    /// nothing was done again).
    pub outcome: String,
}

/// Receives a Stripe webhook event.
#[utoipa::path(
    tag = "billing",
    operation_id = "stripe_webhook",
    summary = "Receive a Stripe event",
    description = "Stripe's webhook endpoint; not for other clients. The `Stripe-Signature` header \
        (`t=<unix seconds>,v1=<hex>…`) is verified over the raw body with `STRIPE_WEBHOOK_SECRET`: \
        any `v1` may match, and `t` must be within 300 s of now. Each event id is recorded once; \
        a redelivered event answers 200 with `outcome: duplicate` and changes nothing. \
        `invoice.paid` and `payment_intent.succeeded` whose `data.object.metadata.plinth_invoice_id` \
        names an open invoice mark it paid (audited `billing.invoice_paid`, method `stripe`) only \
        when what was paid is the invoice: the amount (`amount_received` of a payment intent, \
        `amount_paid` of a Stripe invoice) equals its total, the `currency` its currency, and the \
        payment intent (the intent's `id`, the Stripe invoice's `payment_intent`) the one recorded \
        when its payment was started (`POST /billing/invoices/{id}/pay`). Otherwise the invoice is \
        left as it is and the event is recorded with outcome `payment_mismatch` and audited as \
        `billing.payment_mismatch` with the expected and received values; the answer is still 200, \
        since a redelivery would never match and Stripe would retry for days. \
        `customer.subscription.updated` / `customer.subscription.deleted` whose \
        `data.object.metadata.plinth_subscription_id` names a live subscription set its status \
        (`deleted` → `canceled`; `updated` → Stripe's `data.object.status` when it is `active`, \
        `past_due`, `unpaid`, `canceled` or `trialing`), audited `billing.subscription_changed`. Other \
        events are recorded and acknowledged. Without `STRIPE_WEBHOOK_SECRET` (payments switched off) \
        the route answers 409 `payments_not_configured` and records nothing; 503 only means the \
        database is down.",
    params(
        ("Stripe-Signature" = String, Header,
            description = "Stripe's signature: `t=<unix seconds>,v1=<hex HMAC-SHA256 of \"{t}.{raw body}\">`, \
                possibly several `v1`.",
            example = "t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd")
    ),
    request_body(
        content = Object,
        content_type = "application/json",
        description = "The Stripe event exactly as Stripe sent it (the signature covers these raw bytes).",
        example = json!({
            "id": "evt_1Q2w3E4r5T6y7U8i",
            "type": "invoice.paid",
            "data": { "object": {
                "id": "in_1Q2w3E4r5T6y7U8i",
                "metadata": { "plinth_invoice_id": "01937a3c-5e2f-7b1a-9c4d-2f8e6a1b3c5d" }
            } }
        })
    ),
    responses(
        (status = 200, description = "The event is recorded (and applied once).", body = WebhookAckBody),
        BadWebhookSignature, WebhookNotConfigured, PayloadTooLarge, Internal, WebhookUnavailable
    )
)]
#[post("/webhooks/stripe")]
#[tracing::instrument(skip_all)]
pub(crate) async fn stripe_webhook(
    state: web::Data<AppState>,
    req: HttpRequest,
    meta: ClientMeta,
    mut payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let limit = state.http.max_json_bytes;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk =
            chunk.map_err(|_| ApiError::BadRequest("The body could not be read.".to_owned()))?;
        if body.len() + chunk.len() > limit {
            return Err(ApiError::PayloadTooLarge(format!(
                "The event is larger than the limit of {limit} bytes."
            )));
        }
        body.extend_from_slice(&chunk);
    }
    let signature = req
        .headers()
        .get(STRIPE_SIGNATURE)
        .map(|v| v.to_str().unwrap_or_default());
    let outcome = state
        .payments
        .receive_stripe_event(signature, &body, &meta.0)
        .await?;
    if outcome == EventOutcome::Duplicate {
        tracing::info!("Stripe event already received");
    }
    Ok(HttpResponse::Ok().json(WebhookAckBody {
        received: true,
        outcome: outcome.as_str().to_owned(),
    }))
}
