//! The Plinth kernel: the vocabulary every domain crate shares.
//!
//! Typed identifiers ([`typed_id!`]), [`Email`], [`Money`], the [`Clock`] port, cursor
//! pagination ([`Page`], [`PageRequest`]), request metadata for audit entries ([`RequestMeta`]),
//! the storage error every repository port returns ([`RepoError`]) and the [`UnitOfWork`] port
//! that lets a service commit a change and its audit entry together. No I/O happens here.

mod caller;
mod clock;
mod email;
pub mod idempotency;
mod ids;
mod money;
mod page;
mod repo_error;
mod request;
mod uow;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use caller::{ActingFor, Caller, Forbidden, Permission};
pub use clock::{Clock, SystemClock};
pub use email::{Email, EmailError};
pub use idempotency::{ClaimOutcome, IdempotencyClaim, IdempotencyStore, StoredResponse};
pub use money::{Currency, Money, MoneyError};
pub use page::{Cursor, Page, PageRequest, PageRequestError};
pub use repo_error::RepoError;
pub use request::RequestMeta;
pub use uow::{Transaction, UnitOfWork};

/// Re-exported so that [`typed_id!`] works in crates that do not depend on `uuid` themselves.
pub use uuid;

typed_id!(
    /// Identifies a user account. Lives in the kernel because every domain refers to users.
    UserId
);

typed_id!(
    /// Identifies an organization. Lives in the kernel because files, billing and access
    /// tokens refer to organizations without depending on the organizations domain.
    OrgId
);

/// Whose a thing is: an account's own, or an organization's. Files and subscriptions (with
/// their invoices and entitlements) belong to one or the other.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Owner {
    /// A user's own.
    User(UserId),
    /// An organization's (whichever of its members made it).
    Org(OrgId),
}

impl std::fmt::Display for Owner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::User(id) => write!(f, "user {id}"),
            Self::Org(id) => write!(f, "organization {id}"),
        }
    }
}

impl From<UserId> for Owner {
    fn from(user: UserId) -> Self {
        Self::User(user)
    }
}

impl From<OrgId> for Owner {
    fn from(org: OrgId) -> Self {
        Self::Org(org)
    }
}

/// Timestamps are UTC everywhere.
pub type Timestamp = chrono::DateTime<chrono::Utc>;
