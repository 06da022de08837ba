//! `/api/v1/billing`: the public plan catalogue, the caller's subscription, entitlements and
//! invoices, and Stripe's webhook.

mod subscription;

use actix_web::{HttpResponse, get, web};
use utoipa_actix_web::service_config::ServiceConfig;

use crate::dto::billing::{PlanBody, PlanListBody};
use crate::openapi::responses::{Internal, Unavailable};
use crate::{ApiError, AppState};

mod invoices;
mod webhooks;

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(list_plans)
        .service(invoices::list_my_invoices)
        .service(invoices::get_my_invoice)
        .service(invoices::get_my_invoice_pdf)
        .service(invoices::pay_my_invoice)
        .service(subscription::get_subscription)
        .service(subscription::subscribe)
        .service(subscription::cancel_subscription)
        .service(subscription::get_entitlements)
        .service(webhooks::stripe_webhook);
}

/// Active plans with prices and features; no sign-in needed.
#[utoipa::path(
    tag = "billing",
    operation_id = "list_plans",
    summary = "List plans",
    description = "Every active plan with its price and features, cheapest first. Public.",
    responses(
        (status = 200, description = "The active plans.", body = PlanListBody),
        Internal, Unavailable
    )
)]
#[get("/plans")]
pub(crate) async fn list_plans(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let plans = state.plans.list_active_plans().await?;
    Ok(HttpResponse::Ok().json(PlanListBody {
        items: plans.into_iter().map(PlanBody::from).collect(),
    }))
}
