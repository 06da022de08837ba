//! Chain entries as storage holds them, and checking a whole stored log page by page.

use super::{ChainReport, ChainVerifier, GENESIS_HASH, chain_hash};
use crate::{AuditEvent, AuditLog};
use plinth_kernel::RepoError;

/// How many entries [`verify_log`] reads per page.
pub const VERIFY_PAGE_SIZE: u32 = 500;

/// One stored entry with its place in the chain, as [`AuditLog::chain_page`] returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct ChainedEvent {
    /// Position in the chain: 1 for the first entry, then one more for each append, with no gaps.
    pub seq: u64,
    /// The entry.
    pub event: AuditEvent,
    /// The stored predecessor hash: [`GENESIS_HASH`] for the first chained entry, `None` only on
    /// legacy entries written before the chain existed.
    pub prev_hash: Option<String>,
    /// The stored hash; `None` only on legacy entries written before the chain existed.
    pub hash: Option<String>,
}

impl ChainedEvent {
    /// Links `event` after the entry hashed `prev` (`None`: it starts the chain) at `seq`,
    /// computing its hash. This is what every adapter stores on append.
    #[must_use]
    pub fn link(seq: u64, prev: Option<&str>, event: AuditEvent) -> Self {
        let hash = chain_hash(prev, &event);
        Self {
            seq,
            prev_hash: Some(prev.unwrap_or(GENESIS_HASH).to_owned()),
            hash: Some(hash),
            event,
        }
    }
}

/// Checks stored entries fed in `seq` order. Legacy entries (no hash, written before the chain
/// existed) are skipped and not counted while they form a prefix of the log; once a chained
/// entry has been seen, an entry without a hash is bad.
#[derive(Debug, Clone, Default)]
pub struct StoredChainVerifier {
    inner: ChainVerifier,
    chained: bool,
}

impl StoredChainVerifier {
    /// A verifier for a log read from its first entry.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Checks the next stored entry. Returns `false` once a bad entry has been found.
    pub fn push(&mut self, entry: &ChainedEvent) -> bool {
        let Some(hash) = entry.hash.as_deref() else {
            if self.chained {
                // A hash removed from a chained entry: `""` never matches, so it is reported.
                return self.inner.push(&entry.event, Some(""), "");
            }
            return true;
        };
        self.chained = true;
        // The first chained entry names GENESIS; a missing predecessor never links.
        let prev = match entry.prev_hash.as_deref() {
            Some(GENESIS_HASH) => None,
            Some(p) => Some(p),
            None => Some(""),
        };
        self.inner.push(&entry.event, prev, hash)
    }

    /// The result so far.
    #[must_use]
    pub fn report(&self) -> ChainReport {
        self.inner.report()
    }
}

/// Reads `log`'s whole chain in `seq` order, [`VERIFY_PAGE_SIZE`] entries at a time, and checks
/// it with a [`StoredChainVerifier`], stopping at the first bad entry.
///
/// # Errors
/// [`RepoError`] when a page cannot be read.
pub async fn verify_log<L: AuditLog + ?Sized>(log: &L) -> Result<ChainReport, RepoError> {
    let mut verifier = StoredChainVerifier::new();
    let mut after = None;
    loop {
        let page = log.chain_page(after, VERIFY_PAGE_SIZE).await?;
        for entry in &page {
            if !verifier.push(entry) {
                return Ok(verifier.report());
            }
        }
        match page.last() {
            Some(last) if page.len() >= VERIFY_PAGE_SIZE as usize => after = Some(last.seq),
            _ => return Ok(verifier.report()),
        }
    }
}

#[cfg(test)]
mod tests {
    use plinth_kernel::RequestMeta;

    use super::*;
    use crate::AuditAction;

    fn event(i: u64) -> AuditEvent {
        AuditEvent::new(
            AuditAction::Logout,
            chrono::Utc::now(),
            &RequestMeta::default(),
        )
        .details(serde_json::json!({ "i": i }))
    }

    fn legacy(seq: u64) -> ChainedEvent {
        ChainedEvent {
            seq,
            event: event(seq),
            prev_hash: None,
            hash: None,
        }
    }

    fn chain_after_legacy(legacy_rows: u64, chained: u64) -> Vec<ChainedEvent> {
        let mut rows: Vec<ChainedEvent> = (1..=legacy_rows).map(legacy).collect();
        let mut prev: Option<String> = None;
        for seq in legacy_rows + 1..=legacy_rows + chained {
            let e = ChainedEvent::link(seq, prev.as_deref(), event(seq));
            prev.clone_from(&e.hash);
            rows.push(e);
        }
        rows
    }

    fn check(rows: &[ChainedEvent]) -> ChainReport {
        let mut v = StoredChainVerifier::new();
        for r in rows {
            if !v.push(r) {
                break;
            }
        }
        v.report()
    }

    #[test]
    fn first_link_names_genesis() {
        let e = ChainedEvent::link(1, None, event(1));
        assert_eq!(e.prev_hash.as_deref(), Some(GENESIS_HASH));
        assert_eq!(e.hash, Some(chain_hash(None, &e.event)));
    }

    #[test]
    fn legacy_prefix_is_skipped_and_not_counted() {
        let rows = chain_after_legacy(2, 3);
        assert_eq!(
            check(&rows),
            ChainReport {
                ok: true,
                checked: 3,
                first_bad: None
            }
        );
    }

    #[test]
    fn a_hash_removed_after_the_chain_started_is_bad() {
        let mut rows = chain_after_legacy(1, 3);
        rows[2].hash = None;
        rows[2].prev_hash = None;
        assert_eq!(check(&rows).first_bad, Some(rows[2].event.id));
    }

    #[test]
    fn hiding_the_chain_start_as_legacy_breaks_the_next_link() {
        let mut rows = chain_after_legacy(0, 3);
        rows[0].hash = None;
        rows[0].prev_hash = None;
        assert_eq!(check(&rows).first_bad, Some(rows[1].event.id));
    }

    #[test]
    fn a_missing_prev_hash_never_links() {
        let mut rows = chain_after_legacy(0, 2);
        rows[0].prev_hash = None;
        assert_eq!(check(&rows).first_bad, Some(rows[0].event.id));
    }
}
