//! Chain entries as storage holds them, and checking a whole stored log page by page.
//!
//! Verification must survive whatever someone with write access to the database can store:
//! a row that does not read back as an entry (an unknown action, malformed JSON, a value of the
//! wrong type…) is a [`StoredEntry::Unreadable`], which is reported as the first bad entry
//! rather than failing the check.

use super::{ChainReport, GENESIS_HASH, chain_hash};
use crate::{AuditEvent, AuditEventId, AuditLog};
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

/// A stored row that does not read back as an entry. The application never writes one: it is
/// the trace of an edit made behind its back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnreadableEntry {
    /// The row's id, when it reads as one.
    pub id: Option<AuditEventId>,
    /// The row's `seq`, when it reads as a non-negative integer.
    pub seq: Option<u64>,
    /// Which column does not read back, and why (never the stored value).
    pub problem: String,
}

/// One stored row of the audit log: an entry, or a row that no longer reads back as one.
// Almost every row is an `Entry`, read in pages of at most 100: boxing it to shrink the rare
// `Unreadable` would cost an allocation per row for nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq)]
pub enum StoredEntry {
    /// A row that reads back as an entry (intact or not: verification decides).
    Entry(ChainedEvent),
    /// A row with a value no entry can have.
    Unreadable(UnreadableEntry),
}

impl StoredEntry {
    /// The row's id, when it reads as one.
    #[must_use]
    pub fn id(&self) -> Option<AuditEventId> {
        match self {
            Self::Entry(e) => Some(e.event.id),
            Self::Unreadable(u) => u.id,
        }
    }

    /// Whether the row, on its own, still matches its stored hash: it reads back as an entry
    /// and `hash == chain_hash(prev_hash, entry)`. This needs no other row, so one
    /// organization's entries can be checked without reading anyone else's; it cannot see a
    /// row deleted or the whole chain rewritten, which only [`verify_log`] does. A legacy row
    /// (no hash) cannot be vouched for: `false`.
    #[must_use]
    pub fn is_intact(&self) -> bool {
        match self {
            Self::Entry(row) => row.hash.as_deref().is_some_and(|hash| {
                super::chain_hash(row.prev_hash.as_deref(), &row.event) == hash
            }),
            Self::Unreadable(_) => false,
        }
    }

    /// The row's `seq`, when it reads as one.
    #[must_use]
    pub fn seq(&self) -> Option<u64> {
        match self {
            Self::Entry(e) => Some(e.seq),
            Self::Unreadable(u) => u.seq,
        }
    }

    /// The entry, unless the row is unreadable.
    #[must_use]
    pub fn into_event(self) -> Option<AuditEvent> {
        match self {
            Self::Entry(e) => Some(e.event),
            Self::Unreadable(_) => None,
        }
    }
}

impl From<ChainedEvent> for StoredEntry {
    fn from(e: ChainedEvent) -> Self {
        Self::Entry(e)
    }
}

/// Checks stored rows fed in `seq` order. A row is bad when it does not read back, when its
/// `seq` is not the next position (1, 2, 3… with no gap or repeat), when its content no longer
/// matches its hash, or when it does not name its predecessor's hash. Legacy entries (no hash,
/// written before the chain existed) are skipped and not counted while they form a prefix of
/// the log; once a chained entry has been seen, an entry without a hash is bad.
#[derive(Debug, Clone)]
pub struct StoredChainVerifier {
    /// The hash the next chained entry must name (`None`: the chain has not started).
    expected_prev: Option<String>,
    chained: bool,
    next_seq: u64,
    checked: u64,
    /// `(id, seq)` of the first bad row.
    first_bad: Option<(Option<AuditEventId>, Option<u64>)>,
}

impl Default for StoredChainVerifier {
    fn default() -> Self {
        Self::new()
    }
}

impl StoredChainVerifier {
    /// A verifier for a log read from its first entry.
    #[must_use]
    pub fn new() -> Self {
        Self {
            expected_prev: None,
            chained: false,
            next_seq: 1,
            checked: 0,
            first_bad: None,
        }
    }

    /// Checks the next stored row. Returns `false` once a bad row has been found (this one or
    /// an earlier one); later rows are then ignored.
    pub fn push(&mut self, row: &StoredEntry) -> bool {
        if self.first_bad.is_some() {
            return false;
        }
        let good = match row {
            StoredEntry::Entry(entry) if entry.seq == self.next_seq => self.links(entry),
            _ => false,
        };
        if good {
            self.next_seq += 1;
        } else {
            self.checked += 1;
            self.first_bad = Some((row.id(), row.seq()));
        }
        good
    }

    /// Whether `entry` (at the expected position) is a legacy entry still allowed, or a chained
    /// entry intact and linked to its predecessor; counts the chained entries that are.
    fn links(&mut self, entry: &ChainedEvent) -> bool {
        let Some(hash) = entry.hash.as_deref() else {
            // A legacy entry is fine before the chain starts; a hash removed later is not.
            return !self.chained;
        };
        self.chained = true;
        // The first chained entry names GENESIS; a missing predecessor never links.
        let prev = match entry.prev_hash.as_deref() {
            Some(GENESIS_HASH) => None,
            Some(p) => Some(p),
            None => return false,
        };
        let expected = self.expected_prev.as_deref();
        if prev != expected || chain_hash(expected, &entry.event) != hash {
            return false;
        }
        self.checked += 1;
        self.expected_prev = Some(hash.to_owned());
        true
    }

    /// The result so far.
    #[must_use]
    pub fn report(&self) -> ChainReport {
        let (first_bad, first_bad_seq) = self.first_bad.unwrap_or((None, None));
        ChainReport {
            ok: self.first_bad.is_none(),
            checked: self.checked,
            first_bad,
            first_bad_seq,
        }
    }
}

/// Reads `log`'s whole chain in `seq` order, [`VERIFY_PAGE_SIZE`] rows at a time, and checks
/// it with a [`StoredChainVerifier`], stopping at the first bad row.
///
/// # Errors
/// [`RepoError`] when a page cannot be read (never because of what a row holds).
pub async fn verify_log<L: AuditLog + ?Sized>(log: &L) -> Result<ChainReport, RepoError> {
    let mut verifier = StoredChainVerifier::new();
    let mut after = None;
    loop {
        let page = log.chain_page(after, VERIFY_PAGE_SIZE).await?;
        for row in &page {
            if !verifier.push(row) {
                return Ok(verifier.report());
            }
        }
        // Every row pushed was good, so each has a seq.
        match page.last().and_then(StoredEntry::seq) {
            Some(last) if page.len() >= VERIFY_PAGE_SIZE as usize => after = Some(last),
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
            if !v.push(&StoredEntry::Entry(r.clone())) {
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
                first_bad: None,
                first_bad_seq: None,
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

    fn check_rows(rows: &[StoredEntry]) -> ChainReport {
        let mut v = StoredChainVerifier::new();
        for r in rows {
            if !v.push(r) {
                break;
            }
        }
        v.report()
    }

    #[test]
    fn an_unreadable_row_is_the_first_bad_one() {
        let mut rows: Vec<StoredEntry> = chain_after_legacy(0, 4)
            .into_iter()
            .map(StoredEntry::Entry)
            .collect();
        let id = rows[2].id();
        rows[2] = StoredEntry::Unreadable(UnreadableEntry {
            id,
            seq: Some(3),
            problem: "`action` is not a known audit action".into(),
        });
        assert_eq!(
            check_rows(&rows),
            ChainReport {
                ok: false,
                checked: 3,
                first_bad: id,
                first_bad_seq: Some(3),
            }
        );
        rows[2] = StoredEntry::Unreadable(UnreadableEntry {
            id: None,
            seq: Some(3),
            problem: "`id` does not hold a valid value".into(),
        });
        let report = check_rows(&rows);
        assert_eq!(
            (report.ok, report.first_bad, report.first_bad_seq),
            (false, None, Some(3))
        );
    }

    #[test]
    fn a_gap_or_repeat_in_seq_is_bad_even_when_the_hashes_link() {
        let mut rows = chain_after_legacy(0, 4);
        rows[2].seq = 7;
        rows[3].seq = 8;
        let report = check(&rows);
        assert_eq!(
            (report.first_bad, report.first_bad_seq),
            (Some(rows[2].event.id), Some(7))
        );
        let mut rows = chain_after_legacy(0, 4);
        rows[3].seq = 3;
        assert_eq!(check(&rows).first_bad, Some(rows[3].event.id));
    }

    #[test]
    fn a_missing_prev_hash_never_links() {
        let mut rows = chain_after_legacy(0, 2);
        rows[0].prev_hash = None;
        assert_eq!(check(&rows).first_bad, Some(rows[0].event.id));
    }
}
