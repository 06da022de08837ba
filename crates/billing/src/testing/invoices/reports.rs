//! The [`InvoiceReportRepository`] of [`MemoryInvoiceRepository`]: listings, revenue sums and
//! the overdue scan.

use std::collections::BTreeMap;

use plinth_kernel::{Currency, Money, Owner, Page, PageRequest, RepoError, Timestamp};

use super::MemoryInvoiceRepository;
use crate::invoice::{
    InvoiceFilter, InvoiceId, InvoiceRecord, InvoiceReportRepository, InvoiceStatus, RevenueBucket,
};

/// Newest first, after the cursor, one more than the page for `Page::from_rows`.
fn page_of(mut rows: Vec<InvoiceRecord>, page: PageRequest) -> Page<InvoiceRecord> {
    rows.sort_by_key(|r| std::cmp::Reverse(r.id));
    if let Some(cursor) = page.cursor() {
        rows.retain(|r| r.id.as_uuid() < cursor.last_id());
    }
    rows.truncate(page.limit() as usize + 1);
    Page::from_rows(rows, page, |r| r.id.as_uuid())
}

#[async_trait::async_trait]
impl InvoiceReportRepository for MemoryInvoiceRepository {
    async fn invoices(
        &self,
        filter: &InvoiceFilter,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, RepoError> {
        let rows = self
            .lock()
            .invoices
            .values()
            .filter(|r| filter.user_id.is_none_or(|u| r.user_id == u))
            .filter(|r| filter.status.is_none_or(|s| r.status() == s))
            .cloned()
            .collect();
        Ok(page_of(rows, page))
    }

    async fn issued_invoices_of(
        &self,
        owner: Owner,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, RepoError> {
        let rows = self
            .lock()
            .invoices
            .values()
            .filter(|r| r.owner() == owner && r.status() != InvoiceStatus::Draft)
            .cloned()
            .collect();
        Ok(page_of(rows, page))
    }

    async fn totals_by_currency(&self, bucket: RevenueBucket) -> Result<Vec<Money>, RepoError> {
        let mut sums: BTreeMap<String, (Currency, i64)> = BTreeMap::new();
        let state = self.lock();
        for r in state.invoices.values() {
            let status = r.status();
            let counts = match bucket {
                RevenueBucket::PaidSince(since) => {
                    status == InvoiceStatus::Paid && r.paid_at.is_some_and(|at| at >= since)
                }
                RevenueBucket::OpenDueFrom(now) => {
                    status == InvoiceStatus::Open && r.due_at.is_some_and(|at| at >= now)
                }
                RevenueBucket::OpenDueBefore(now) => {
                    status == InvoiceStatus::Open && r.due_at.is_some_and(|at| at < now)
                }
            };
            if counts {
                let currency = r.invoice.currency();
                let entry = sums
                    .entry(currency.code().to_owned())
                    .or_insert((currency, 0));
                entry.1 = entry
                    .1
                    .checked_add(r.invoice.totals().total)
                    .ok_or_else(|| RepoError::internal("revenue overflows i64"))?;
            }
        }
        Ok(sums
            .into_values()
            .map(|(currency, amount)| Money::new(amount, currency))
            .collect())
    }

    async fn open_due_before(
        &self,
        before: Timestamp,
        limit: u64,
    ) -> Result<Vec<InvoiceId>, RepoError> {
        let mut due: Vec<(Timestamp, InvoiceId)> = self
            .lock()
            .invoices
            .values()
            .filter(|r| r.status() == InvoiceStatus::Open)
            .filter_map(|r| r.due_at.filter(|at| *at < before).map(|at| (at, r.id)))
            .collect();
        due.sort();
        Ok(due
            .into_iter()
            .take(usize::try_from(limit).unwrap_or(usize::MAX))
            .map(|(_, id)| id)
            .collect())
    }
}
