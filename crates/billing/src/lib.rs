//! The billing domain, one service per subdomain, each beside its models and built with every
//! port it needs:
//! - plans with prices and features: [`PlanService`] (`plan`);
//! - subscriptions, renewals and entitlements: [`SubscriptionService`] ([`subscription`]);
//! - invoices and their money maths: [`InvoiceService`] ([`invoice`]);
//! - payments and the Stripe webhook: [`PaymentService`] ([`payment`]);
//! - the scheduled work spanning subscriptions and invoices: [`BillingJobs`];
//! - whose billing a caller reaches, their own or their organization's: [`billing_owner`].
//!
//! Money is integer minor units ([`plinth_kernel::Money`]); no float anywhere.

mod account;
mod error;
pub mod invoice;
mod jobs;
pub mod payment;
mod plan;
mod ports;
pub mod subscription;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use account::{ORG_BILLING_READ, ORG_BILLING_WRITE, acting_owner, billing_owner};
pub use error::BillingError;
pub use invoice::{
    CustomerDirectory, CustomerSnapshot, Invoice, InvoiceChanges, InvoiceError, InvoiceFilter,
    InvoiceId, InvoiceLine, InvoiceNumber, InvoiceRecord, InvoiceRenderer, InvoiceReportRepository,
    InvoiceRepository, InvoiceService, InvoiceStatus, InvoiceStorage, InvoiceTotals, LineInput,
    NewInvoice, NewInvoiceLine, RenderError, RevenueBucket, TransitionError,
};
pub use jobs::{BillingJobs, JobReport, UNCOLLECTIBLE_AFTER_DAYS};
pub use payment::{GatewaySetup, InvoicePayment, PaymentService, Revenue, WebhookSetup};
pub use plan::{FeatureValue, Interval, NewPlan, Plan, PlanChanges, PlanId, PlanService};
pub use ports::BillingRepository;
pub use subscription::{
    BillingMembers, BillingPeriod, InvoiceOutcome, PERIOD_INVOICE_DUE_DAYS, PendingItem,
    PendingItemId, PendingItemRepository, PeriodInvoiceRepository, PeriodInvoicer, PeriodReason,
    PlanPrice, PlanPriceRepository, RenewalReport, STORAGE_BYTES, SubscribeOutcome, Subscription,
    SubscriptionError, SubscriptionId, SubscriptionInvoicer, SubscriptionRepository,
    SubscriptionService, SubscriptionStatus, SubscriptionStorage,
};
pub use subscription::{MAX_SEATS, SEATS, times};
