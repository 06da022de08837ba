//! `/api/v1/billing/invoices`: the caller's own issued invoices, their PDFs, and paying them.

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use actix_web::{HttpResponse, get, post, web};
use plinth_billing::InvoiceId;

use crate::dto::invoice::{InvoiceBody, InvoicePageBody, InvoicePaymentBody, InvoicePdfBody};
use crate::dto::page::PageQuery;
use crate::middleware::idempotency::IdempotencyKeyHeader;
use crate::openapi::responses::{
    BadRequest, Internal, KeyReused, NotFound, OrgBillingForbidden, PayConflict, PaymentRefused,
    PaymentUnavailable, Unauthenticated, Unavailable,
};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, ClientMeta};

/// The caller's invoices (drafts are not issued yet and never listed).
#[utoipa::path(
    tag = "billing",
    operation_id = "list_my_invoices",
    summary = "List my invoices",
    description = "The caller's issued invoices (`open`, `paid`, `void`, `uncollectible`), newest first, \
        paginated with `limit` and `cursor`. Drafts are not shown until they are finalised. With a token acting for an organization (`POST /auth/org`): the organization's invoices, which needs `org_billing:read` there (403 without; beyond the contract); an organization's invoice is never one of its members' own.",
    security(("bearer" = [])),
    params(PageQuery),
    responses(
        (status = 200, description = "A page of invoices.", body = InvoicePageBody),
        BadRequest, Unauthenticated, OrgBillingForbidden, Internal, Unavailable
    )
)]
#[get("/invoices")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_my_invoices(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<PageQuery>,
) -> Result<HttpResponse, ApiError> {
    let page = query.try_into_domain()?;
    let page = state
        .invoices
        .customer_invoices_for(&user.caller(), page)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoicePageBody {
            items: page.items.into_iter().map(InvoiceBody::from).collect(),
            next_cursor: page.next_cursor.map(|c| c.encode()),
        }))
}

/// One of the caller's invoices.
#[utoipa::path(
    tag = "billing",
    operation_id = "get_my_invoice",
    summary = "Get one of my invoices",
    description = "An issued invoice of the caller. Another user's invoice, a draft and an unknown id \
        are all 404. With a token acting for an organization (`POST /auth/org`): the organization's invoices, which needs `org_billing:read` there (403 without; beyond the contract); an organization's invoice is never one of its members' own.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice.", body = InvoiceBody),
        Unauthenticated, OrgBillingForbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/invoices/{id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_my_invoice(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .invoices
        .customer_invoice_for(&user.caller(), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoiceBody::from(record)))
}

/// One of the caller's invoices as an A4 PDF.
#[utoipa::path(
    tag = "billing",
    operation_id = "get_my_invoice_pdf",
    summary = "Download one of my invoices as PDF",
    description = "The invoice as a branded A4 PDF (number, dates, parties, lines, totals). Only issued \
        invoices exist for their customer, so a draft is a 404 like another user's invoice. With a token acting for an organization (`POST /auth/org`): the organization's invoices, which needs `org_billing:read` there (403 without; beyond the contract); an organization's invoice is never one of its members' own.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The PDF.", body = InvoicePdfBody, content_type = "application/pdf",
            headers(("Content-Disposition" = String, description = "`inline; filename=\"INV-2026-000042.pdf\"`"))),
        Unauthenticated, OrgBillingForbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/invoices/{id}/pdf")]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_my_invoice_pdf(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let record = state
        .invoices
        .customer_invoice_for(&user.caller(), id)
        .await?;
    // Issued invoices always have a number; the id is a fallback that cannot need quoting.
    let name = record
        .invoice
        .number()
        .map_or_else(|| id.to_string(), |n| n.to_string());
    let (content_type, bytes) = state.invoices.render(record).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("inline; filename=\"{name}.pdf\""),
        ))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .body(bytes))
}

/// Starts paying one of the caller's open invoices with Stripe.
#[utoipa::path(
    tag = "billing",
    operation_id = "pay_my_invoice",
    summary = "Pay one of my invoices",
    description = "Starts the Stripe payment of an `open` invoice of the caller and returns what \
        Stripe.js needs to confirm it (`stripe.confirmPayment({ clientSecret })`, or \
        `confirmCardPayment`). The first call creates a Stripe payment intent for the invoice's \
        total (with a fixed idempotency key per invoice) and records its id on the invoice, audited \
        as `billing.payment_started`; every later call returns that same payment intent (its \
        current `client_secret` and `status`), so an invoice is never charged twice. The invoice \
        becomes `paid` when Stripe's `payment_intent.succeeded` webhook arrives (see \
        `POST /billing/webhooks/stripe`), not when this call returns. \n\n\
        Another user's invoice, a draft and an unknown id are 404; a `paid`, `void` or \
        `uncollectible` invoice is 409 `conflict`. Without `STRIPE_API_KEY` on the server (payments \
        switched off) an invoice of the caller's gets 409 `payments_not_configured` (an unknown one \
        is still 404). When the configured Stripe cannot be reached, times out or fails, the \
        answer is 503 with `Retry-After`; when Stripe \
        refuses the request it is 502 `payment_refused` with Stripe's message. \
        Honours `Idempotency-Key`. With a token acting for an organization (`POST /auth/org`): one of the \
        organization's invoices, which needs `org_billing:write` there (403 without; beyond the contract).",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The payment to confirm with Stripe.js.", body = InvoicePaymentBody),
        BadRequest, Unauthenticated, OrgBillingForbidden, NotFound, PayConflict, KeyReused, Internal, PaymentRefused,
        PaymentUnavailable
    )
)]
#[post(
    "/invoices/{id}/pay",
    wrap = "actix_web::middleware::from_fn(crate::middleware::idempotency::idempotent)"
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn pay_my_invoice(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let payment = state
        .payments
        .start_invoice_payment_for(&user.caller(), id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoicePaymentBody::from(payment)))
}
