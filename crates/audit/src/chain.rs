//! The hash chain that makes the audit trail tamper-evident.
//!
//! Every stored entry carries `prev_hash` (the `hash` of the entry before it in chain order, or
//! `None` for the first entry) and `hash = chain_hash(prev_hash, event)`. Editing an entry breaks
//! its own hash; deleting or reordering entries breaks the `prev_hash` link of the entry that now
//! follows. [`verify_chain`] (or [`ChainVerifier`], for streaming pages of a large table) reports
//! the first entry whose content or predecessor no longer matches.
//!
//! What a plain hash chain cannot show on its own: that the newest entries were cut off the end
//! (truncation), or that someone with write access recomputed every hash after an edit. Both need
//! an anchor kept elsewhere (for example the head hash and count exported periodically).

use sha2::{Digest, Sha256};

use crate::{AuditEvent, AuditEventId};

mod stored;

pub use stored::{
    ChainedEvent, StoredChainVerifier, StoredEntry, UnreadableEntry, VERIFY_PAGE_SIZE, verify_log,
};

/// Domain-separation tag at the start of every chain hash input.
const DOMAIN_TAG: &[u8] = b"plinth.audit.chain.v1";

/// The predecessor hash used for the first entry of a chain (64 zero hex digits).
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// The chain hash of `event` following `prev_hash` (`None` for the first entry): lower-case hex
/// SHA-256 over a domain tag, the length-prefixed predecessor hash (or [`GENESIS_HASH`]) and
/// [`AuditEvent::canonical_bytes`].
#[must_use]
pub fn chain_hash(prev_hash: Option<&str>, event: &AuditEvent) -> String {
    let prev = prev_hash.unwrap_or(GENESIS_HASH).as_bytes();
    let mut hasher = Sha256::new();
    hasher.update(DOMAIN_TAG);
    hasher.update((prev.len() as u64).to_be_bytes());
    hasher.update(prev);
    hasher.update(event.canonical_bytes());
    hex::encode(hasher.finalize())
}

/// The outcome of checking a chain (the body of `GET /admin/audit/verify`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ChainReport {
    /// Whether every entry checked is intact and linked to its predecessor.
    pub ok: bool,
    /// Entries examined; checking stops at the first bad one, which is counted.
    pub checked: u64,
    /// The first entry whose content or predecessor link no longer matches, or that does not
    /// read back as an entry; `None` when `ok`, or when that row's id itself is unreadable.
    pub first_bad: Option<AuditEventId>,
    /// The stored `seq` of that entry, when it reads as one. Set by [`StoredChainVerifier`]
    /// (a [`ChainVerifier`] does not know positions and leaves it `None`).
    pub first_bad_seq: Option<u64>,
}

/// Checks a chain entry by entry, so a large table can be verified page by page without being
/// held in memory. Feed entries in chain order with [`ChainVerifier::push`], then read
/// [`ChainVerifier::report`].
#[derive(Debug, Clone)]
pub struct ChainVerifier {
    expected_prev: Option<String>,
    checked: u64,
    first_bad: Option<AuditEventId>,
}

impl Default for ChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl ChainVerifier {
    /// A verifier for a chain starting at its first entry (whose `prev_hash` must be `None`).
    #[must_use]
    pub fn new() -> Self {
        Self::resuming_after(None)
    }

    /// A verifier for a segment whose first entry must follow the entry hashed `anchor`
    /// (`None`: the segment starts the chain).
    #[must_use]
    pub fn resuming_after(anchor: Option<String>) -> Self {
        Self {
            expected_prev: anchor,
            checked: 0,
            first_bad: None,
        }
    }

    /// Checks the next entry with its stored `prev_hash` and `hash`. Returns `false` once a bad
    /// entry has been found (this one or an earlier one); later entries are then ignored.
    pub fn push(
        &mut self,
        event: &AuditEvent,
        stored_prev: Option<&str>,
        stored_hash: &str,
    ) -> bool {
        if self.first_bad.is_some() {
            return false;
        }
        self.checked += 1;
        let linked = stored_prev == self.expected_prev.as_deref();
        let intact = chain_hash(self.expected_prev.as_deref(), event) == stored_hash;
        if linked && intact {
            self.expected_prev = Some(stored_hash.to_owned());
            true
        } else {
            self.first_bad = Some(event.id);
            false
        }
    }

    /// The hash the next entry must name as its predecessor (the last good entry's hash).
    #[must_use]
    pub fn head(&self) -> Option<&str> {
        self.expected_prev.as_deref()
    }

    /// The result so far.
    #[must_use]
    pub fn report(&self) -> ChainReport {
        ChainReport {
            ok: self.first_bad.is_none(),
            checked: self.checked,
            first_bad: self.first_bad,
            first_bad_seq: None,
        }
    }
}

/// Verifies a whole chain given in chain order as `(event, stored prev_hash, stored hash)`.
/// The first entry must have no predecessor; each later one must name the previous entry's
/// stored hash, and every entry's hash must match its content.
#[must_use]
pub fn verify_chain(events_in_chain_order: &[(AuditEvent, Option<String>, String)]) -> ChainReport {
    let mut verifier = ChainVerifier::new();
    for (event, prev, hash) in events_in_chain_order {
        if !verifier.push(event, prev.as_deref(), hash) {
            break;
        }
    }
    verifier.report()
}

#[cfg(test)]
mod tests;
