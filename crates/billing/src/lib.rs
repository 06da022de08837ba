//! The billing domain: plans with prices and features, [`BillingService`], and the
//! invoice money maths ([`invoice`]).
//! Money is integer minor units ([`plinth_kernel::Money`]); no float anywhere.

mod error;
pub mod invoice;
pub mod payment;
mod plan;
mod ports;
mod service;
pub mod subscription;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use error::BillingError;
pub use invoice::{
    CustomerDirectory, CustomerSnapshot, Invoice, InvoiceError, InvoiceFilter, InvoiceId,
    InvoiceLine, InvoiceNumber, InvoiceRecord, InvoiceRenderer, InvoiceRepository, InvoiceStatus,
    InvoiceTotals, LineInput, RenderError, RevenueBucket, TransitionError,
};
pub use plan::{FeatureValue, Interval, NewPlan, Plan, PlanId};
pub use ports::BillingRepository;
pub use service::{
    BillingService, InvoiceChanges, InvoicePayment, Invoicing, JobReport, NewInvoice,
    NewInvoiceLine, Payments, PlanChanges, RenewalReport, Revenue, STORAGE_BYTES, SubscribeOutcome,
};
pub use subscription::{
    BillingPeriod, InvoiceOutcome, PendingItem, PendingItemId, PeriodInvoicer, PeriodReason,
    PlanPrice, Subscription, SubscriptionError, SubscriptionId, SubscriptionInvoicer,
    SubscriptionRepository, SubscriptionStatus,
};
