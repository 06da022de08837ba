//! [`TextInvoiceRenderer`].

use crate::invoice::{InvoiceRecord, InvoiceRenderer, RenderError};

/// Renders an invoice as a few lines of plain text (`text/plain`), for tests.
#[derive(Clone, Copy, Default)]
pub struct TextInvoiceRenderer;

impl InvoiceRenderer for TextInvoiceRenderer {
    fn content_type(&self) -> &'static str {
        "text/plain; charset=utf-8"
    }

    fn render(&self, invoice: &InvoiceRecord) -> Result<Vec<u8>, RenderError> {
        let number = invoice
            .invoice
            .number()
            .map_or_else(|| "DRAFT".to_owned(), |n| n.to_string());
        Ok(format!(
            "Invoice {number}\nStatus {}\nTotal {}\n",
            invoice.status(),
            invoice.invoice.total()
        )
        .into_bytes())
    }
}
