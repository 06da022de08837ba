//! One repository per port. Writes run in the caller's transaction ([`crate::db_tx`]); reads
//! use the pool and see committed data only. Rows that cannot be turned back into domain
//! values (an unknown status, a bad currency) are reported as [`RepoError::Internal`], never
//! a panic.

mod announcements;
mod audit;
mod billing;
mod events;
mod files;
mod idempotency;
mod identities;
mod one_row;
mod orgs;
mod passkeys;
mod roles;
mod sessions;
mod users;

pub use announcements::SeaAnnouncementRepository;
pub use audit::{AUDIT_CHAIN_LOCK_KEY, SeaAuditLog};
pub use billing::{
    SeaBillingRepository, SeaCustomerDirectory, SeaInvoiceRepository, SeaPaymentEventInbox,
    SeaSubscriptionRepository,
};
pub use events::SeaEventOutbox;
pub use files::SeaFileRepository;
pub use idempotency::SeaIdempotencyStore;
pub use identities::SeaIdentityRepository;
pub use orgs::SeaOrgStorage;
pub use passkeys::SeaPasskeyRepository;
pub use roles::SeaRoleRepository;
pub use sessions::SeaSessionRepository;
pub use users::SeaUserRepository;

pub(crate) use one_row::OneRow;
use plinth_kernel::{PageRequest, RepoError};

/// The escape character of our `LIKE` patterns (a backslash would need dialect-specific quoting).
pub(crate) const LIKE_ESCAPE: char = '!';

/// A `LIKE` pattern matching `needle` anywhere, with `%`, `_` and the escape character escaped.
pub(crate) fn contains_pattern(needle: &str) -> String {
    let mut out = String::with_capacity(needle.len() + 2);
    out.push('%');
    for c in needle.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            out.push(LIKE_ESCAPE);
        }
        out.push(c);
    }
    out.push('%');
    out
}

/// `NotFound` when an update or delete changed no row (what the ports' "MUST return
/// NotFound" promises ask of a write by key).
pub(crate) fn found(rows_affected: u64) -> Result<(), RepoError> {
    if rows_affected == 0 {
        Err(RepoError::NotFound)
    } else {
        Ok(())
    }
}

/// A row that does not convert back into a domain value.
pub(crate) fn corrupt(what: impl std::fmt::Display) -> RepoError {
    RepoError::internal(format!("corrupt row: {what}"))
}

/// How many rows to fetch for a page: one more than asked, so that
/// [`plinth_kernel::Page::from_rows`] knows whether another page follows.
pub(crate) fn fetch_limit(page: PageRequest) -> u64 {
    u64::from(page.limit()) + 1
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn like_wildcards_are_escaped() {
        assert_eq!(contains_pattern("ab"), "%ab%");
        assert_eq!(contains_pattern("50%_off!"), "%50!%!_off!!%");
    }
}
