//! Ports of invoicing: storage, one port per seam ([`InvoiceRepository`] for one invoice at a
//! time, [`InvoiceReportRepository`] for reads across many; together [`InvoiceStorage`]), who
//! the customers are ([`CustomerDirectory`]) and the printable document ([`InvoiceRenderer`]).

use plinth_kernel::{Money, Owner, Page, PageRequest, RepoError, Timestamp, Transaction};

use crate::invoice::{CustomerSnapshot, InvoiceFilter, InvoiceId, InvoiceRecord, InvoiceStatus};

/// Which invoices [`InvoiceReportRepository::totals_by_currency`] adds up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RevenueBucket {
    /// `paid` with `paid_at` at or after the instant.
    PaidSince(Timestamp),
    /// `open` with `due_at` at or after the instant (not overdue yet).
    OpenDueFrom(Timestamp),
    /// `open` with `due_at` before the instant (overdue).
    OpenDueBefore(Timestamp),
}

/// Storage of invoices one at a time (rows with their lines, status and draft changes, reads
/// and locks by id) and of the per-year number counters.
#[async_trait::async_trait]
pub trait InvoiceRepository: Send + Sync {
    /// Inserts an invoice with its lines.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "invoices.id"` when the id
    /// exists, and with `"invoices.number"` when the number is taken.
    async fn insert_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: &InvoiceRecord,
    ) -> Result<(), RepoError>;

    /// Writes the invoice's status, number, customer, dates and `updated_at` — only if it is
    /// still in status `from` (a compare-and-set, so two concurrent transitions cannot both
    /// succeed). Lines and amounts are never rewritten: only insertion and
    /// [`Self::update_draft`] write them.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when no invoice with this id is in status `from`,
    /// and [`RepoError::Duplicate`] with `constraint == "invoices.number"` when the number is
    /// taken.
    async fn update_invoice(
        &self,
        tx: &mut dyn Transaction,
        invoice: &InvoiceRecord,
        from: InvoiceStatus,
    ) -> Result<(), RepoError>;

    /// Records the payment provider's id of the payment started for invoice `id` — only if
    /// the invoice is `open` and has none yet (a compare-and-set: the first payment started
    /// is the one kept). Writes nothing else: amounts and lines stay frozen.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when there is no open invoice with this id
    /// without a provider payment id.
    async fn set_provider_payment_id(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
        provider_payment_id: &str,
    ) -> Result<(), RepoError>;

    /// Replaces a draft's lines, rates, amounts, `due_in_days` and `updated_at` with those of
    /// `invoice` — only if it is still a draft (a compare-and-set: a draft finalised or
    /// deleted meanwhile is left alone, and a finalisation waiting for this one sees either
    /// all of the old lines and amounts or all of the new ones). Its customer, currency,
    /// status, number and dates are not written.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when no invoice with this id is a draft.
    async fn update_draft(
        &self,
        tx: &mut dyn Transaction,
        invoice: &InvoiceRecord,
    ) -> Result<(), RepoError>;

    /// Deletes a draft and its lines — only if it is still a draft (a finalised invoice is
    /// never deleted).
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when no invoice with this id is a draft.
    async fn delete_draft(&self, tx: &mut dyn Transaction, id: InvoiceId) -> Result<(), RepoError>;

    /// Takes the next number of `year`'s sequence (1 for the first) by incrementing the
    /// year's counter inside `tx`: the counter row stays locked until `tx` ends, a rollback
    /// gives the number back, so numbers are gapless and never handed out twice, even across
    /// replicas.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn next_invoice_number(
        &self,
        tx: &mut dyn Transaction,
        year: i32,
    ) -> Result<u32, RepoError>;

    /// Finds an invoice with its lines.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn invoice(&self, id: InvoiceId) -> Result<Option<InvoiceRecord>, RepoError>;

    /// [`Self::invoice`] read through `tx`: what `tx` will commit, its own writes included. A
    /// SQL adapter MUST override it (see [`CustomerDirectory::customer_in`]).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn invoice_in(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
    ) -> Result<Option<InvoiceRecord>, RepoError> {
        let _ = tx;
        self.invoice(id).await
    }

    /// [`Self::invoice_in`], with the invoice row locked against concurrent writers until
    /// `tx` ends (a row lock on SQL), so that a read-modify-write of a draft never overwrites
    /// an edit committed meanwhile.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only.
    async fn lock_invoice(
        &self,
        tx: &mut dyn Transaction,
        id: InvoiceId,
    ) -> Result<Option<InvoiceRecord>, RepoError>;
}

/// Reads across many invoices: the administrators' and the customer's listings, the revenue
/// sums and the overdue job's scan. Committed data only.
#[async_trait::async_trait]
pub trait InvoiceReportRepository: Send + Sync {
    /// Invoices matching `filter`, newest first (by id), one page at a time.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn invoices(
        &self,
        filter: &InvoiceFilter,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, RepoError>;

    /// One customer's invoices other than drafts, newest first: what the customer sees (a
    /// user's own invoices, never an organization's they answer for; or an organization's).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn issued_invoices_of(
        &self,
        owner: Owner,
        page: PageRequest,
    ) -> Result<Page<InvoiceRecord>, RepoError>;

    /// The sum of `total` of the invoices in `bucket`, one [`Money`] per currency that has
    /// any, ordered by currency code. Integer addition in the database, no float.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn totals_by_currency(&self, bucket: RevenueBucket) -> Result<Vec<Money>, RepoError>;

    /// Up to `limit` ids of `open` invoices whose `due_at` is before `before`, oldest due
    /// first (for the overdue job).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn open_due_before(
        &self,
        before: Timestamp,
        limit: u64,
    ) -> Result<Vec<InvoiceId>, RepoError>;
}

/// Every storage port of invoicing, one per seam, as one object: what `InvoiceService` is
/// built from. Implemented for any type that implements both (the SQL and in-memory adapters
/// do).
pub trait InvoiceStorage: InvoiceRepository + InvoiceReportRepository {}

impl<T> InvoiceStorage for T where T: InvoiceRepository + InvoiceReportRepository {}

/// Who a customer is, for the customer block of an invoice.
#[async_trait::async_trait]
pub trait CustomerDirectory: Send + Sync {
    /// The customer's email and name, or `None` when there is no such account or
    /// organization. An organization's are its billing contact: its `billing_name` (else its
    /// name) and `billing_email` (else the address of its longest-standing owner).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn customer(&self, owner: Owner) -> Result<Option<CustomerSnapshot>, RepoError>;

    /// [`Self::customer`] read through `tx`. A SQL adapter MUST override it: reading through
    /// the pool while `tx` holds a connection can exhaust the pool when many such
    /// transactions run at once (each waits for a second connection none will give back).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn customer_in(
        &self,
        tx: &mut dyn Transaction,
        owner: Owner,
    ) -> Result<Option<CustomerSnapshot>, RepoError> {
        let _ = tx;
        self.customer(owner).await
    }
}

/// Turns an invoice into a printable document.
pub trait InvoiceRenderer: Send + Sync {
    /// The document's media type, e.g. `application/pdf`.
    fn content_type(&self) -> &'static str;

    /// Renders `invoice` (a draft is marked as such on the page).
    ///
    /// # Errors
    /// [`RenderError`] when the document cannot be produced.
    fn render(&self, invoice: &InvoiceRecord) -> Result<Vec<u8>, RenderError>;
}

/// A document could not be rendered (HTTP 500).
#[derive(Debug, thiserror::Error)]
#[error("invoice rendering failed: {0}")]
pub struct RenderError(pub String);
