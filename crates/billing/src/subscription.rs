//! Subscriptions as domain values: who pays which plan at which price, the current period,
//! trials, scheduled changes, proration and the pending invoice items they leave behind; and
//! [`SubscriptionService`], their use cases (subscribe, cancel, renew, entitlements).
//!
//! The price a customer subscribed at is stored on the subscription itself, so editing a
//! plan's price (a new price version) never changes what an existing subscriber pays; the
//! new price applies when they next change plan.
//!
//! Periods use calendar arithmetic from a billing anchor: a monthly subscription anchored on
//! 31 January renews on 28 (or 29) February, then 31 March, never drifting to the 28th.

mod error;
mod invoicer;
mod ports;
mod proration;
mod service;

use chrono::{Datelike, Months};
use plinth_kernel::{Money, OrgId, Owner, Timestamp, UserId};

pub use error::SubscriptionError;
pub use invoicer::{PERIOD_INVOICE_DUE_DAYS, SubscriptionInvoicer};
pub use ports::{
    BillingMembers, BillingPeriod, InvoiceOutcome, NoInvoices, PendingItemRepository,
    PeriodInvoiceRepository, PeriodInvoicer, PeriodReason, PlanPriceRepository,
    SubscriptionRepository, SubscriptionStorage,
};
pub use proration::prorate;
pub use service::{
    MAX_SEATS, RenewalReport, SEATS, STORAGE_BYTES, SubscribeOutcome, SubscriptionService,
};

use crate::{Interval, PlanId};

plinth_kernel::typed_id!(
    /// Identifies a subscription.
    SubscriptionId
);

plinth_kernel::typed_id!(
    /// Identifies a pending invoice item.
    PendingItemId
);

/// Where a subscription stands. Every status but `canceled` is *live*: a user has at most
/// one live subscription.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SubscriptionStatus {
    /// In a free trial until `trial_end`.
    Trialing,
    /// Paid up.
    Active,
    /// A period invoice is overdue (the plan's features stay on during the grace).
    PastDue,
    /// Ended (at the end of a period after a cancellation).
    Canceled,
    /// A period invoice was written off (`uncollectible`); default entitlements only.
    Unpaid,
}

impl SubscriptionStatus {
    /// Every status.
    pub const ALL: [Self; 5] = [
        Self::Trialing,
        Self::Active,
        Self::PastDue,
        Self::Canceled,
        Self::Unpaid,
    ];

    /// Stored name.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Trialing => "trialing",
            Self::Active => "active",
            Self::PastDue => "past_due",
            Self::Canceled => "canceled",
            Self::Unpaid => "unpaid",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|x| x.as_str() == s)
    }

    /// Whether it still counts as the user's subscription (anything but `canceled`).
    #[must_use]
    pub const fn is_live(self) -> bool {
        !matches!(self, Self::Canceled)
    }

    /// Whether it grants the plan's features: `trialing`, `active`, and `past_due` (the grace
    /// while an overdue invoice may still be paid). `unpaid` (an invoice was written off)
    /// and `canceled` fall back to the default entitlements.
    #[must_use]
    pub const fn grants_features(self) -> bool {
        matches!(self, Self::Trialing | Self::Active | Self::PastDue)
    }
}

/// A subscription to a plan: an account's own, or an organization's.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// Id.
    pub id: SubscriptionId,
    /// The subscriber; for an organization's subscription, the member answerable for it (who
    /// subscribed, or whom it was handed to when they left).
    pub user_id: UserId,
    /// The organization whose subscription it is (`None`: the account's own).
    pub org_id: Option<OrgId>,
    /// Seats paid for: each period costs `price × quantity`. Always 1 for an account's own.
    pub quantity: u32,
    /// The current plan.
    pub plan_id: PlanId,
    /// The price per interval this subscription pays: the plan's price when it was chosen.
    pub price: Money,
    /// The interval of that price.
    pub interval: Interval,
    /// Status.
    pub status: SubscriptionStatus,
    /// Start of the current period (the trial, while trialing).
    pub current_period_start: Timestamp,
    /// End of the current period; renewal happens then.
    pub current_period_end: Timestamp,
    /// The instant paid periods are counted from (see [`period_end_after`]).
    pub billing_anchor: Timestamp,
    /// End of the free trial, if there was one.
    pub trial_end: Option<Timestamp>,
    /// Ends at the end of the current period instead of renewing.
    pub cancel_at_period_end: bool,
    /// A cheaper plan taking over at the end of the current period.
    pub scheduled_plan_id: Option<PlanId>,
    /// When it ended.
    pub canceled_at: Option<Timestamp>,
    /// Creation time.
    pub created_at: Timestamp,
    /// Last change.
    pub updated_at: Timestamp,
}

impl Subscription {
    /// Whose subscription it is.
    #[must_use]
    pub const fn owner(&self) -> Owner {
        match self.org_id {
            Some(org) => Owner::Org(org),
            None => Owner::User(self.user_id),
        }
    }

    /// What one period costs: `price × quantity`.
    ///
    /// # Errors
    /// [`plinth_kernel::MoneyError::Overflow`] when it does not fit.
    pub fn period_price(&self) -> Result<Money, plinth_kernel::MoneyError> {
        times(self.price, self.quantity)
    }
}

/// `price × quantity`, checked.
///
/// # Errors
/// [`plinth_kernel::MoneyError::Overflow`] when it does not fit.
pub fn times(price: Money, quantity: u32) -> Result<Money, plinth_kernel::MoneyError> {
    price
        .amount
        .checked_mul(i64::from(quantity))
        .map(|amount| Money::new(amount, price.currency))
        .ok_or(plinth_kernel::MoneyError::Overflow)
}

/// One price a plan has had. Version 1 is the price the plan was created with; each price
/// (or interval) change adds the next version. Subscriptions keep the price they chose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanPrice {
    /// The plan.
    pub plan_id: PlanId,
    /// 1, 2, …
    pub version: u32,
    /// The price from this version on.
    pub price: Money,
    /// Its interval.
    pub interval: Interval,
    /// When it took effect.
    pub created_at: Timestamp,
}

/// An amount to appear on the subscriber's next invoice (a proration charge, or a credit when
/// negative). Integer minor units.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingItem {
    /// Id.
    pub id: PendingItemId,
    /// The subscription it belongs to.
    pub subscription_id: SubscriptionId,
    /// Who pays it.
    pub user_id: UserId,
    /// Invoice line text.
    pub description: String,
    /// Amount (negative for a credit).
    pub amount: Money,
    /// When it was recorded.
    pub created_at: Timestamp,
    /// When an invoice took it, if one did.
    pub invoiced_at: Option<Timestamp>,
}

impl Interval {
    /// Calendar months in one interval.
    #[must_use]
    pub const fn months(self) -> u32 {
        match self {
            Self::Month => 1,
            Self::Year => 12,
        }
    }
}

/// The first `anchor + n × interval` (n ≥ 1, calendar months, clamped to the month's last day
/// the way `chrono::Months` does) strictly after `after`; `None` past the calendar's end.
#[must_use]
pub fn period_end_after(
    anchor: Timestamp,
    interval: Interval,
    after: Timestamp,
) -> Option<Timestamp> {
    let step = interval.months();
    let months_between =
        (after.year() - anchor.year()) * 12 + after.month() as i32 - anchor.month() as i32;
    // Start a little before the answer and walk forward.
    let mut n = u32::try_from(months_between.max(0)).ok()? / step;
    n = n.saturating_sub(1).max(1);
    for _ in 0..4 {
        let end = anchor.checked_add_months(Months::new(n.checked_mul(step)?))?;
        if end > after {
            return Some(end);
        }
        n = n.checked_add(1)?;
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> Timestamp {
        chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
    }

    #[test]
    fn monthly_periods_follow_the_calendar_without_drifting() {
        let anchor = at("2026-01-31T10:00:00Z");
        let feb = period_end_after(anchor, Interval::Month, anchor).unwrap();
        assert_eq!(feb, at("2026-02-28T10:00:00Z"));
        let mar = period_end_after(anchor, Interval::Month, feb).unwrap();
        assert_eq!(mar, at("2026-03-31T10:00:00Z"), "back to the 31st");
        let apr = period_end_after(anchor, Interval::Month, mar).unwrap();
        assert_eq!(apr, at("2026-04-30T10:00:00Z"));
    }

    #[test]
    fn yearly_periods_and_leap_days() {
        let anchor = at("2028-02-29T00:00:00Z");
        let next = period_end_after(anchor, Interval::Year, anchor).unwrap();
        assert_eq!(next, at("2029-02-28T00:00:00Z"));
        let after = period_end_after(anchor, Interval::Year, next).unwrap();
        assert_eq!(after, at("2030-02-28T00:00:00Z"));
        let leap = period_end_after(anchor, Interval::Year, at("2031-06-01T00:00:00Z")).unwrap();
        assert_eq!(leap, at("2032-02-29T00:00:00Z"));
    }

    #[test]
    fn an_instant_before_the_anchor_gives_the_first_period() {
        let anchor = at("2026-05-15T00:00:00Z");
        assert_eq!(
            period_end_after(anchor, Interval::Month, at("2026-01-01T00:00:00Z")).unwrap(),
            at("2026-06-15T00:00:00Z")
        );
    }

    #[test]
    fn statuses_round_trip_and_only_canceled_is_dead() {
        for s in SubscriptionStatus::ALL {
            assert_eq!(SubscriptionStatus::parse(s.as_str()), Some(s));
            assert_eq!(s.is_live(), s != SubscriptionStatus::Canceled);
        }
        assert!(SubscriptionStatus::Trialing.grants_features());
        assert!(
            SubscriptionStatus::PastDue.grants_features(),
            "the grace period"
        );
        assert!(!SubscriptionStatus::Unpaid.grants_features());
        assert!(!SubscriptionStatus::Canceled.grants_features());
        assert_eq!(SubscriptionStatus::parse("cancelled"), None);
    }
}
