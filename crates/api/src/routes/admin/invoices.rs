//! `/api/v1/admin/invoices`: drafts (created, edited, deleted), finalisation and the other
//! transitions, and the list of every invoice (permission `billing:write` throughout).

use actix_web::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use actix_web::{HttpResponse, delete, get, patch, post, web};
use plinth_billing::InvoiceId;
use plinth_users::Permission;
use utoipa_actix_web::service_config::ServiceConfig;
use validator::Validate as _;

use crate::dto::invoice::{
    InvoiceBody, InvoiceListQuery, InvoicePageBody, InvoicePdfBody, NewInvoiceRequest,
    UpdateInvoiceRequest,
};
use crate::middleware::idempotency::IdempotencyKeyHeader;
use crate::openapi::responses::{
    BadRequest, Forbidden, IdempotencyInProgress, IdempotentConflict, IdempotentValidation,
    Internal, InvoiceNotDraft, NotFound, PayloadTooLarge, Unauthenticated, Unavailable, Validation,
};
use crate::routes::NO_STORE;
use crate::{ApiError, AppState, AuthUser, ClientMeta};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(create_invoice)
        .service(list_invoices)
        .service(get_invoice)
        .service(update_invoice)
        .service(delete_invoice)
        .service(get_invoice_pdf)
        .service(finalize_invoice)
        .service(void_invoice)
        .service(mark_invoice_paid);
}

/// Creates a draft invoice for a user (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_create_invoice",
    summary = "Create a draft invoice",
    description = "A draft for `user_id` with 1–100 lines (`quantity` ≥ 1, `unit_amount` ≥ 0 minor units, \
        `description` 1–500 characters), an optional discount (`discount_percent` 0–100 or `discount_bps` \
        0–10000) spread over the lines, and a tax rate in basis points applied per line after its \
        discount share, rounded half-even. The draft has no number (`number: null`) until finalised. \
        Every invalid field is reported at once (422, nothing stored); an unknown user is a 422 on \
        `user_id`. Audited as `billing.invoice_created`. Needs `billing:write`.",
    security(("bearer" = [])),
    params(IdempotencyKeyHeader),
    request_body = NewInvoiceRequest,
    responses(
        (status = 201, description = "The draft.", body = InvoiceBody),
        BadRequest, Unauthenticated, Forbidden, IdempotencyInProgress, PayloadTooLarge, IdempotentValidation, Internal, Unavailable
    )
)]
#[post(
    "/invoices",
    wrap = "actix_web::middleware::from_fn(crate::middleware::idempotency::idempotent)"
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn create_invoice(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    body: web::Json<NewInvoiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let caller = user.caller();
    caller.require(Permission::BILLING_WRITE)?;
    let body = body.into_inner();
    body.validate()?;
    let record = state
        .invoices
        .create_invoice(&caller, body.try_into_domain()?, &meta.0)
        .await?;
    Ok(HttpResponse::Created()
        .insert_header(NO_STORE)
        .json(InvoiceBody::from(record)))
}

/// Lists every invoice (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_list_invoices",
    summary = "List invoices",
    description = "Every invoice, drafts included, newest first, optionally only one user's (`user_id`) \
        or one status's (`status`). Paginated with `limit` and `cursor`. Needs `billing:write`.",
    security(("bearer" = [])),
    params(InvoiceListQuery),
    responses(
        (status = 200, description = "A page of invoices.", body = InvoicePageBody),
        BadRequest, Unauthenticated, Forbidden, Internal, Unavailable
    )
)]
#[get("/invoices")]
#[tracing::instrument(skip_all)]
pub(crate) async fn list_invoices(
    state: web::Data<AppState>,
    user: AuthUser,
    query: web::Query<InvoiceListQuery>,
) -> Result<HttpResponse, ApiError> {
    let caller = user.caller();
    caller.require(Permission::BILLING_WRITE)?;
    let (filter, page) = query.into_inner().try_into_domain()?;
    let page = state.invoices.list_invoices(&caller, &filter, page).await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoicePageBody {
            items: page.items.into_iter().map(InvoiceBody::from).collect(),
            next_cursor: page.next_cursor.map(|c| c.encode()),
        }))
}

/// Reads any invoice (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_invoice",
    summary = "Get an invoice",
    description = "Any invoice by id, drafts included. Needs `billing:write`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The invoice.", body = InvoiceBody),
        Unauthenticated, Forbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/invoices/{id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_invoice(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .invoices
        .invoice(&user.caller(), id.into_inner())
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoiceBody::from(record)))
}

/// Changes a draft (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_update_invoice",
    summary = "Edit a draft invoice",
    description = "Changes any of a draft's `lines` (the new list replaces every line), discount \
        (`discount_percent` 0–100 or `discount_bps` 0–10000; `null` removes it), tax rate (`tax_rate_bps`, \
        `null` for none) and payment term (`due_in_days`), with the rules of `admin_create_invoice`, and \
        re-prices it: half-even, tax per line after its discount share. Absent fields keep their value; an \
        empty body is a 422 on `body`. Every invalid field is reported at once (422, nothing changed). \
        Only a draft can change: any other status is a 409, also when a finalisation wins a race with \
        this edit. Audited as `billing.invoice_updated`. Needs `billing:write`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id")),
    request_body = UpdateInvoiceRequest,
    responses(
        (status = 200, description = "The re-priced draft.", body = InvoiceBody),
        BadRequest, Unauthenticated, Forbidden, NotFound, InvoiceNotDraft, PayloadTooLarge, Validation, Internal, Unavailable
    )
)]
#[patch("/invoices/{id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn update_invoice(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<InvoiceId>,
    body: web::Json<UpdateInvoiceRequest>,
) -> Result<HttpResponse, ApiError> {
    let caller = user.caller();
    caller.require(Permission::BILLING_WRITE)?;
    let changes = body.into_inner().try_into_domain()?;
    let record = state
        .invoices
        .update_invoice(&caller, id.into_inner(), changes, &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoiceBody::from(record)))
}

/// Deletes a draft (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_delete_invoice",
    summary = "Delete a draft invoice",
    description = "Deletes a draft and its lines. A finalised invoice is never deleted (void it instead): any \
        other status is a 409 and changes nothing. Drafts have no number, so numbering stays gapless. \
        Audited as `billing.invoice_deleted`. Needs `billing:write`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id")),
    responses(
        (status = 204, description = "Deleted."),
        Unauthenticated, Forbidden, NotFound, InvoiceNotDraft, Internal, Unavailable
    )
)]
#[delete("/invoices/{id}")]
#[tracing::instrument(skip_all)]
pub(crate) async fn delete_invoice(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    state
        .invoices
        .delete_invoice(&user.caller(), id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Any invoice as PDF, a draft marked DRAFT (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_get_invoice_pdf",
    summary = "Preview an invoice as PDF",
    description = "The invoice as an A4 PDF; a draft renders with a large `DRAFT - not a valid invoice` \
        mark and no number, to check it before finalising. Needs `billing:write`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id")),
    responses(
        (status = 200, description = "The PDF.", body = InvoicePdfBody, content_type = "application/pdf"),
        Unauthenticated, Forbidden, NotFound, Internal, Unavailable
    )
)]
#[get("/invoices/{id}/pdf")]
#[tracing::instrument(skip_all)]
pub(crate) async fn get_invoice_pdf(
    state: web::Data<AppState>,
    user: AuthUser,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    let record = state.invoices.invoice(&user.caller(), id).await?;
    let name = record
        .invoice
        .number()
        .map_or_else(|| format!("draft-{id}"), |n| n.to_string());
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

/// Finalises a draft (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_finalize_invoice",
    summary = "Finalise an invoice",
    description = "`draft → open`: assigns the next number of the year (`INV-YYYY-NNNNNN`, gapless, from \
        a counter updated in the same transaction), freezes lines and totals, snapshots the customer's \
        email and name, sets `issued_at` and `due_at`. Any other status is a 409 and changes nothing. \
        Audited as `billing.invoice_finalized`. Needs `billing:write`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The open invoice.", body = InvoiceBody),
        BadRequest, Unauthenticated, Forbidden, NotFound, IdempotentConflict, IdempotentValidation, Internal, Unavailable
    )
)]
#[post(
    "/invoices/{id}/finalize",
    wrap = "actix_web::middleware::from_fn(crate::middleware::idempotency::idempotent)"
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn finalize_invoice(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .invoices
        .finalize_invoice(&user.caller(), id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoiceBody::from(record)))
}

/// Voids an open invoice (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_void_invoice",
    summary = "Void an invoice",
    description = "`open → void`: the invoice is cancelled and kept for the record with its number. \
        Any other status is a 409 and changes nothing. Audited as `billing.invoice_voided`. \
        Needs `billing:write`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The void invoice.", body = InvoiceBody),
        BadRequest, Unauthenticated, Forbidden, NotFound, IdempotentConflict, IdempotentValidation, Internal, Unavailable
    )
)]
#[post(
    "/invoices/{id}/void",
    wrap = "actix_web::middleware::from_fn(crate::middleware::idempotency::idempotent)"
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn void_invoice(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .invoices
        .void_invoice(&user.caller(), id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoiceBody::from(record)))
}

/// Records payment of an open invoice (permission `billing:write`).
#[utoipa::path(
    tag = "admin",
    operation_id = "admin_mark_invoice_paid",
    summary = "Mark an invoice paid",
    description = "`open → paid` with `paid_at` now (payment received outside Plinth). Any other status \
        is a 409 and changes nothing. Audited as `billing.invoice_paid`. Needs `billing:write`.",
    security(("bearer" = [])),
    params(("id" = uuid::Uuid, Path, description = "Invoice id"), IdempotencyKeyHeader),
    responses(
        (status = 200, description = "The paid invoice.", body = InvoiceBody),
        BadRequest, Unauthenticated, Forbidden, NotFound, IdempotentConflict, IdempotentValidation, Internal, Unavailable
    )
)]
#[post(
    "/invoices/{id}/mark-paid",
    wrap = "actix_web::middleware::from_fn(crate::middleware::idempotency::idempotent)"
)]
#[tracing::instrument(skip_all)]
pub(crate) async fn mark_invoice_paid(
    state: web::Data<AppState>,
    user: AuthUser,
    meta: ClientMeta,
    id: web::Path<InvoiceId>,
) -> Result<HttpResponse, ApiError> {
    let record = state
        .invoices
        .mark_invoice_paid(&user.caller(), id.into_inner(), &meta.0)
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header(NO_STORE)
        .json(InvoiceBody::from(record)))
}
