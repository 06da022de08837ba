//! Invoice bodies.

use chrono::{DateTime, Utc};
use plinth_billing::{
    InvoiceChanges, InvoiceFilter, InvoiceRecord, InvoiceStatus, NewInvoice, NewInvoiceLine,
};
use plinth_kernel::{Currency, PageRequest, UserId};
use uuid::Uuid;
use validator::Validate;

use super::nullable;
use crate::{ApiError, FieldErrors};

/// Where an invoice is in its life.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize, utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
#[schema(as = InvoiceStatus)]
pub(crate) enum InvoiceStatusBody {
    /// Being prepared; no number; not visible to the customer.
    Draft,
    /// Finalised: numbered, amounts frozen, awaiting payment.
    Open,
    /// Paid.
    Paid,
    /// Cancelled after finalisation.
    Void,
    /// Given up on as a debt.
    Uncollectible,
}

impl From<InvoiceStatus> for InvoiceStatusBody {
    fn from(s: InvoiceStatus) -> Self {
        match s {
            InvoiceStatus::Draft => Self::Draft,
            InvoiceStatus::Open => Self::Open,
            InvoiceStatus::Paid => Self::Paid,
            InvoiceStatus::Void => Self::Void,
            InvoiceStatus::Uncollectible => Self::Uncollectible,
        }
    }
}

impl From<InvoiceStatusBody> for InvoiceStatus {
    fn from(s: InvoiceStatusBody) -> Self {
        match s {
            InvoiceStatusBody::Draft => Self::Draft,
            InvoiceStatusBody::Open => Self::Open,
            InvoiceStatusBody::Paid => Self::Paid,
            InvoiceStatusBody::Void => Self::Void,
            InvoiceStatusBody::Uncollectible => Self::Uncollectible,
        }
    }
}

/// One line: `amount = quantity × unit_amount`; `discount` is the line's share of the
/// invoice discount, `tax` the tax on `amount − discount` rounded half-even. Integer minor
/// units of the invoice's currency.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = InvoiceLine)]
pub(crate) struct InvoiceLineBody {
    /// What is billed.
    pub description: String,
    /// How many (≥ 1).
    pub quantity: i64,
    /// Price of one, minor units.
    pub unit_amount: i64,
    /// `quantity × unit_amount`, minor units.
    pub amount: i64,
    /// This line's share of the discount, minor units.
    pub discount: i64,
    /// Tax on `amount − discount`, minor units.
    pub tax: i64,
}

/// Who the invoice was issued to, as at finalisation.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = InvoiceCustomer)]
pub(crate) struct InvoiceCustomerBody {
    /// Email at finalisation.
    pub email: String,
    /// Name at finalisation.
    pub name: String,
}

/// An invoice. Every amount is an integer of minor units of `currency` (cents for USD, yen
/// for JPY, fils for KWD); `total = subtotal − discount + tax`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = Invoice, example = json!({
    "id": "0190f5c5-0000-7000-8000-0000000000aa",
    "user_id": "0190f5c5-0000-7000-8000-000000000001",
    "org_id": null,
    "number": "INV-2026-000042",
    "status": "open",
    "currency": "USD",
    "lines": [
        { "description": "Pro plan, March", "quantity": 1, "unit_amount": 14900, "amount": 14900, "discount": 1490, "tax": 1106 }
    ],
    "discount_bps": 1000,
    "tax_rate_bps": 825,
    "subtotal": 14900,
    "discount": 1490,
    "tax": 1106,
    "total": 14516,
    "due_in_days": 14,
    "customer": { "email": "ada@example.com", "name": "Ada Lovelace" },
    "due_at": "2026-03-15T09:30:00Z",
    "issued_at": "2026-03-01T09:30:00Z",
    "paid_at": null,
    "voided_at": null,
    "created_at": "2026-03-01T09:00:00Z",
    "updated_at": "2026-03-01T09:30:00Z"
}))]
pub(crate) struct InvoiceBody {
    /// UUIDv7.
    pub id: Uuid,
    /// The customer's account; for an organization's invoice, the member answerable for the
    /// subscription it bills.
    pub user_id: Uuid,
    /// The organization the invoice is addressed to; `null` for the account's own (beyond
    /// the contract).
    #[serde(default)]
    pub org_id: Option<Uuid>,
    /// `INV-YYYY-NNNNNN`, assigned at finalisation; `null` for a draft.
    pub number: Option<String>,
    /// `draft`, `open`, `paid`, `void` or `uncollectible`.
    pub status: InvoiceStatusBody,
    /// Upper-case ISO 4217 code.
    #[schema(pattern = r"^[A-Z]{3}$")]
    pub currency: String,
    /// The lines, in order.
    pub lines: Vec<InvoiceLineBody>,
    /// Discount in basis points of the subtotal (1000 = 10 %).
    pub discount_bps: u32,
    /// Tax rate in basis points (825 = 8.25 %).
    pub tax_rate_bps: u32,
    /// Sum of the line amounts.
    pub subtotal: i64,
    /// The discount.
    pub discount: i64,
    /// Sum of the line taxes.
    pub tax: i64,
    /// What is owed.
    pub total: i64,
    /// Days from finalisation until due.
    pub due_in_days: u32,
    /// The customer as at finalisation; `null` for a draft.
    pub customer: Option<InvoiceCustomerBody>,
    /// When payment is due (set at finalisation).
    pub due_at: Option<DateTime<Utc>>,
    /// When it was finalised.
    pub issued_at: Option<DateTime<Utc>>,
    /// When it was paid.
    pub paid_at: Option<DateTime<Utc>>,
    /// When it was voided.
    pub voided_at: Option<DateTime<Utc>>,
    /// Creation time.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

impl From<InvoiceRecord> for InvoiceBody {
    fn from(r: InvoiceRecord) -> Self {
        let inv = &r.invoice;
        let t = inv.totals();
        Self {
            id: r.id.as_uuid(),
            user_id: r.user_id.as_uuid(),
            org_id: r.org_id.map(|o| o.as_uuid()),
            number: inv.number().map(|n| n.to_string()),
            status: inv.status().into(),
            currency: inv.currency().code().to_owned(),
            lines: inv
                .lines()
                .iter()
                .map(|l| InvoiceLineBody {
                    description: l.description.clone(),
                    quantity: l.quantity,
                    unit_amount: l.unit_amount,
                    amount: l.amount,
                    discount: l.discount,
                    tax: l.tax,
                })
                .collect(),
            discount_bps: inv.discount_bps(),
            tax_rate_bps: inv.tax_rate_bps(),
            subtotal: t.subtotal,
            discount: t.discount,
            tax: t.tax,
            total: t.total,
            due_in_days: r.due_in_days,
            customer: r.customer.map(|c| InvoiceCustomerBody {
                email: c.email,
                name: c.name,
            }),
            due_at: r.due_at,
            issued_at: r.issued_at,
            paid_at: r.paid_at,
            voided_at: r.voided_at,
            created_at: r.created_at,
            updated_at: r.updated_at,
        }
    }
}

/// A page of invoices, newest first.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = InvoicePage)]
pub(crate) struct InvoicePageBody {
    /// The invoices.
    pub items: Vec<InvoiceBody>,
    /// Pass as `cursor` for the next page; `null` on the last.
    pub next_cursor: Option<String>,
}

/// A line of a new invoice.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = NewInvoiceLine)]
pub(crate) struct NewInvoiceLineRequest {
    /// What is billed, 1–500 characters after trimming.
    #[schema(min_length = 1, max_length = 500)]
    pub description: String,
    /// How many, at least 1.
    #[schema(minimum = 1)]
    pub quantity: i64,
    /// Price of one in minor units of the invoice's currency, at least 0.
    #[schema(minimum = 0)]
    pub unit_amount: i64,
}

/// `POST /admin/invoices`: a draft for a user.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema, Validate)]
#[serde(deny_unknown_fields)]
#[schema(as = NewInvoice, example = json!({
    "user_id": "0190f5c5-0000-7000-8000-000000000001",
    "currency": "USD",
    "lines": [
        { "description": "Pro plan, March", "quantity": 1, "unit_amount": 14900 },
        { "description": "Extra seats", "quantity": 3, "unit_amount": 1999 }
    ],
    "discount_percent": 10,
    "tax_rate_bps": 825,
    "due_in_days": 14
}))]
pub(crate) struct NewInvoiceRequest {
    /// The customer's account.
    pub user_id: Uuid,
    /// Upper-case ISO 4217 code of every amount.
    #[schema(pattern = r"^[A-Z]{3}$")]
    pub currency: String,
    /// 1–100 lines.
    pub lines: Vec<NewInvoiceLineRequest>,
    /// Whole-percent discount of the subtotal, 0–100 (default 0). For fractions use
    /// `discount_bps`; give one or the other.
    #[validate(range(max = 100, message = "discount_percent must be between 0 and 100"))]
    #[schema(maximum = 100)]
    pub discount_percent: Option<u32>,
    /// Discount in basis points of the subtotal, 0–10000 (1250 = 12.5 %).
    #[schema(maximum = 10000)]
    pub discount_bps: Option<u32>,
    /// Tax rate in basis points, 0–10000 (default 0; 825 = 8.25 %).
    #[serde(default)]
    #[schema(maximum = 10000)]
    pub tax_rate_bps: u32,
    /// Days from finalisation until payment is due, 0–365 (default 30).
    #[serde(default = "thirty")]
    #[schema(maximum = 365)]
    pub due_in_days: u32,
}

const fn thirty() -> u32 {
    30
}

impl NewInvoiceRequest {
    /// The domain input. An unknown currency or both discount fields are 422s; everything
    /// else is checked (all at once) by the service.
    pub(crate) fn try_into_domain(self) -> Result<NewInvoice, ApiError> {
        let mut errors = FieldErrors::new();
        let currency = Currency::parse(&self.currency)
            .map_err(|e| errors.insert("currency".to_owned(), vec![e.to_string()]))
            .ok();
        let discount_bps = match (self.discount_percent, self.discount_bps) {
            (Some(_), Some(_)) => {
                errors.insert(
                    "discount_bps".to_owned(),
                    vec!["give discount_percent or discount_bps, not both".to_owned()],
                );
                0
            }
            (Some(percent), None) => percent.saturating_mul(100),
            (None, bps) => bps.unwrap_or(0),
        };
        let Some(currency) = currency.filter(|_| errors.is_empty()) else {
            return Err(ApiError::validation(errors));
        };
        Ok(NewInvoice {
            user_id: UserId::from_uuid(self.user_id),
            currency,
            lines: self
                .lines
                .into_iter()
                .map(|l| NewInvoiceLine {
                    description: l.description,
                    quantity: l.quantity,
                    unit_amount: l.unit_amount,
                })
                .collect(),
            discount_bps,
            tax_rate_bps: self.tax_rate_bps,
            due_in_days: self.due_in_days,
        })
    }
}

/// `PATCH /admin/invoices/{id}`: any of a draft's lines, discount, tax rate and payment term.
#[derive(Debug, Clone, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = InvoiceChanges, example = json!({
    "lines": [
        { "description": "Pro plan, March", "quantity": 1, "unit_amount": 14900 },
        { "description": "Extra seats", "quantity": 5, "unit_amount": 1999 }
    ],
    "discount_percent": null,
    "tax_rate_bps": 2000
}))]
pub(crate) struct UpdateInvoiceRequest {
    /// 1–100 lines replacing every current line.
    pub lines: Option<Vec<NewInvoiceLineRequest>>,
    /// Whole-percent discount of the subtotal, 0–100; `null` removes the discount. Give this
    /// or `discount_bps`, not both.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, maximum = 100)]
    pub discount_percent: Option<Option<u32>>,
    /// Discount in basis points of the subtotal, 0–10000; `null` removes the discount.
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, maximum = 10000)]
    pub discount_bps: Option<Option<u32>>,
    /// Tax rate in basis points, 0–10000; `null` removes the tax (0).
    #[serde(default, deserialize_with = "nullable")]
    #[schema(value_type = Option<u32>, maximum = 10000)]
    pub tax_rate_bps: Option<Option<u32>>,
    /// Days from finalisation until payment is due, 0–365.
    #[schema(maximum = 365)]
    pub due_in_days: Option<u32>,
}

impl UpdateInvoiceRequest {
    /// The domain changes. A `discount_percent` over 100 or both discount fields with values
    /// are 422s; everything else is checked (all at once) by the service.
    pub(crate) fn try_into_domain(self) -> Result<InvoiceChanges, ApiError> {
        let mut errors = FieldErrors::new();
        let discount_bps = match (self.discount_percent, self.discount_bps) {
            (None, None) => None,
            (Some(Some(_)), Some(Some(_))) => {
                errors.insert(
                    "discount_bps".to_owned(),
                    vec!["give discount_percent or discount_bps, not both".to_owned()],
                );
                None
            }
            (Some(Some(percent)), _) => {
                if percent > 100 {
                    errors.insert(
                        "discount_percent".to_owned(),
                        vec!["discount_percent must be between 0 and 100".to_owned()],
                    );
                }
                Some(percent.saturating_mul(100))
            }
            (_, Some(Some(bps))) => Some(bps),
            // Only nulls: no discount.
            _ => Some(0),
        };
        if !errors.is_empty() {
            return Err(ApiError::validation(errors));
        }
        Ok(InvoiceChanges {
            lines: self.lines.map(|lines| {
                lines
                    .into_iter()
                    .map(|l| NewInvoiceLine {
                        description: l.description,
                        quantity: l.quantity,
                        unit_amount: l.unit_amount,
                    })
                    .collect()
            }),
            discount_bps,
            tax_rate_bps: self.tax_rate_bps.map(|t| t.unwrap_or(0)),
            due_in_days: self.due_in_days,
        })
    }
}

/// `?user_id=&status=&limit=&cursor=` of the admin invoice list.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct InvoiceListQuery {
    /// Only this customer's invoices.
    pub user_id: Option<Uuid>,
    /// Only invoices in this status.
    pub status: Option<InvoiceStatusBody>,
    /// Items per page, 1–100 (default 20).
    #[param(minimum = 1, maximum = 100, example = 20)]
    pub limit: Option<u32>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl InvoiceListQuery {
    /// The filter and the page; a bad limit or cursor is a 400.
    pub(crate) fn try_into_domain(self) -> Result<(InvoiceFilter, PageRequest), ApiError> {
        let page = PageRequest::new(self.limit, self.cursor.as_deref())?;
        Ok((
            InvoiceFilter {
                user_id: self.user_id.map(UserId::from_uuid),
                status: self.status.map(Into::into),
            },
            page,
        ))
    }
}

/// The bytes of an invoice PDF.
#[derive(utoipa::ToSchema)]
#[schema(as = InvoicePdf, value_type = String, format = Binary)]
#[allow(dead_code)]
pub(crate) struct InvoicePdfBody(Vec<u8>);

/// A started (or found again) payment of an invoice: what Stripe.js confirms it with.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(as = InvoicePayment, example = json!({
    "invoice_id": "01937a3c-5e2f-7b1a-9c4d-2f8e6a1b3c5d",
    "provider": "stripe",
    "payment_intent_id": "pi_3Q2w3E4r5T6y7U8i",
    "client_secret": "pi_3Q2w3E4r5T6y7U8i_secret_Zx9Yw8Vu7",
    "status": "requires_payment_method",
    "amount": { "amount": 14900, "currency": "USD" }
}))]
pub(crate) struct InvoicePaymentBody {
    /// The invoice being paid.
    pub invoice_id: Uuid,
    /// The payment provider: `stripe`.
    pub provider: String,
    /// Stripe's payment intent id (`pi_…`): the same on every call for this invoice.
    pub payment_intent_id: String,
    /// What Stripe.js `confirmPayment` takes. Keep it in the browser session; do not log it.
    pub client_secret: String,
    /// Stripe's status of the payment intent (`requires_payment_method`, `processing`,
    /// `succeeded`, `canceled`…), when Stripe said.
    pub status: Option<String>,
    /// The invoice's total, integer minor units.
    pub amount: crate::dto::billing::MoneyBody,
}

impl From<plinth_billing::InvoicePayment> for InvoicePaymentBody {
    fn from(p: plinth_billing::InvoicePayment) -> Self {
        Self {
            invoice_id: p.invoice_id.as_uuid(),
            provider: p.method.as_str().to_owned(),
            payment_intent_id: p.provider_payment_id,
            client_secret: p.client_secret,
            status: p.status,
            amount: p.amount.into(),
        }
    }
}
