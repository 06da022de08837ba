//! The invoice state machine: `draft → open → paid | void | uncollectible`.

use std::fmt;

/// Where an invoice is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InvoiceStatus {
    /// Being prepared: lines, discount and tax can still change; no number yet.
    Draft,
    /// Finalised: numbered, amounts frozen, awaiting payment.
    Open,
    /// Paid in full (final).
    Paid,
    /// Cancelled after finalisation; kept for the record (final).
    Void,
    /// Given up on as a debt (final).
    Uncollectible,
}

impl InvoiceStatus {
    /// Every status, in life order.
    pub const ALL: [Self; 5] = [
        Self::Draft,
        Self::Open,
        Self::Paid,
        Self::Void,
        Self::Uncollectible,
    ];

    /// Stored and serialised name (`draft`, `open`, `paid`, `void`, `uncollectible`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "draft",
            Self::Open => "open",
            Self::Paid => "paid",
            Self::Void => "void",
            Self::Uncollectible => "uncollectible",
        }
    }

    /// Parses a stored name.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|status| status.as_str() == s)
    }

    /// Whether the machine allows going from `self` to `to`: only `draft → open` (finalise)
    /// and `open → paid | void | uncollectible`.
    #[must_use]
    pub const fn can_become(self, to: Self) -> bool {
        matches!(
            (self, to),
            (Self::Draft, Self::Open) | (Self::Open, Self::Paid | Self::Void | Self::Uncollectible)
        )
    }

    /// `to`, when [`Self::can_become`] allows it.
    ///
    /// # Errors
    /// [`TransitionError`] for any other move, including staying in place.
    pub const fn transition(self, to: Self) -> Result<Self, TransitionError> {
        if self.can_become(to) {
            Ok(to)
        } else {
            Err(TransitionError { from: self, to })
        }
    }
}

impl fmt::Display for InvoiceStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A move the invoice state machine does not allow (HTTP 409).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("an invoice cannot go from {from} to {to}")]
pub struct TransitionError {
    /// The invoice's status.
    pub from: InvoiceStatus,
    /// The status asked for.
    pub to: InvoiceStatus,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for status in InvoiceStatus::ALL {
            assert_eq!(InvoiceStatus::parse(status.as_str()), Some(status));
            assert_eq!(
                serde_json::to_string(&status).unwrap(),
                format!("\"{status}\"")
            );
        }
        assert_eq!(InvoiceStatus::parse("Paid"), None);
        assert_eq!(InvoiceStatus::parse("finalized"), None);
    }

    #[test]
    fn exactly_four_moves_are_allowed() {
        use InvoiceStatus::{Draft, Open, Paid, Uncollectible, Void};
        let allowed = [
            (Draft, Open),
            (Open, Paid),
            (Open, Void),
            (Open, Uncollectible),
        ];
        for from in InvoiceStatus::ALL {
            for to in InvoiceStatus::ALL {
                let result = from.transition(to);
                if allowed.contains(&(from, to)) {
                    assert_eq!(result, Ok(to));
                } else {
                    assert_eq!(result, Err(TransitionError { from, to }), "{from} → {to}");
                }
            }
        }
        assert_eq!(
            Paid.transition(Void).unwrap_err().to_string(),
            "an invoice cannot go from paid to void"
        );
    }
}
