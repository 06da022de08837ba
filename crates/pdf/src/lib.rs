//! [`PdfInvoiceRenderer`]: the [`InvoiceRenderer`] adapter that draws an A4 invoice with
//! `pdf-writer` and the PDF built-in Helvetica fonts (nothing to download or embed).
//!
//! The page: a branded header band, seller and customer, number, issue and due dates and
//! status, the lines (descriptions wrapped, more pages when needed, the table header repeated),
//! then subtotal, discount, tax and total, and a footer with the money rules and page
//! numbers. A draft is marked `DRAFT` (and a void invoice `VOID`) in large letters.
//!
//! Geometry is in `f32` points, as PDF wants; amounts are never floats: they are formatted
//! from integer minor units by [`Money`].

mod text;

use chrono::Utc;
use pdf_writer::{Content, Finish as _, Name, Pdf, Rect, Ref, Str, TextStr};
use plinth_billing::{InvoiceRecord, InvoiceRenderer, InvoiceStatus, RenderError};
use plinth_kernel::{Money, Timestamp};

pub use text::{width, win_ansi, wrap};

const PAGE_WIDTH: f32 = 595.28;
const PAGE_HEIGHT: f32 = 841.89;
const LEFT: f32 = 50.0;
const RIGHT: f32 = PAGE_WIDTH - 50.0;
/// Lowest a table row may reach before the next page starts.
const BOTTOM: f32 = 90.0;
const REGULAR: Name<'static> = Name(b"F1");
const BOLD: Name<'static> = Name(b"F2");
/// The brand colour (a deep blue).
const BRAND: (f32, f32, f32) = (0.11, 0.23, 0.42);
const GREY: (f32, f32, f32) = (0.40, 0.40, 0.40);
const INK: (f32, f32, f32) = (0.10, 0.10, 0.10);

/// Columns of the line table: description (left edge), then right edges of the figures.
const COL_QTY: f32 = 345.0;
const COL_UNIT: f32 = 445.0;
const DESCRIPTION_WIDTH: f32 = 245.0;

/// Renders invoices as A4 PDFs branded with a seller name.
#[derive(Debug, Clone)]
pub struct PdfInvoiceRenderer {
    brand: String,
    seller_lines: Vec<String>,
}

impl Default for PdfInvoiceRenderer {
    fn default() -> Self {
        Self::new("Plinth", Vec::new())
    }
}

impl PdfInvoiceRenderer {
    /// A renderer printing `brand` in the header and as the seller, followed by
    /// `seller_lines` (address, tax number…).
    #[must_use]
    pub fn new(brand: &str, seller_lines: Vec<String>) -> Self {
        Self {
            brand: brand.to_owned(),
            seller_lines,
        }
    }
}

impl InvoiceRenderer for PdfInvoiceRenderer {
    fn content_type(&self) -> &'static str {
        "application/pdf"
    }

    fn render(&self, invoice: &InvoiceRecord) -> Result<Vec<u8>, RenderError> {
        Ok(Document::new(self, invoice).finish())
    }
}

/// Pages being drawn.
struct Document<'a> {
    renderer: &'a PdfInvoiceRenderer,
    record: &'a InvoiceRecord,
    pages: Vec<Content>,
    page: Content,
    y: f32,
}

fn date(at: Option<Timestamp>) -> String {
    at.map_or_else(
        || "-".to_owned(),
        |t| t.with_timezone(&Utc).format("%Y-%m-%d").to_string(),
    )
}

fn title(status: InvoiceStatus) -> &'static str {
    match status {
        InvoiceStatus::Draft => "Draft",
        InvoiceStatus::Open => "Open",
        InvoiceStatus::Paid => "Paid",
        InvoiceStatus::Void => "Void",
        InvoiceStatus::Uncollectible => "Uncollectible",
    }
}

impl<'a> Document<'a> {
    fn new(renderer: &'a PdfInvoiceRenderer, record: &'a InvoiceRecord) -> Self {
        let mut doc = Self {
            renderer,
            record,
            pages: Vec::new(),
            page: Content::new(),
            y: 0.0,
        };
        doc.first_page_header();
        doc.lines();
        doc.totals();
        doc
    }

    fn money(&self, amount: i64) -> String {
        Money::new(amount, self.record.invoice.currency()).to_string()
    }

    fn text(&mut self, x: f32, y: f32, bold: bool, size: f32, colour: (f32, f32, f32), s: &str) {
        let font = if bold { BOLD } else { REGULAR };
        let bytes = win_ansi(s);
        self.page
            .set_fill_rgb(colour.0, colour.1, colour.2)
            .begin_text()
            .set_font(font, size)
            .next_line(x, y)
            .show(Str(&bytes))
            .end_text();
    }

    fn text_right(
        &mut self,
        right: f32,
        y: f32,
        bold: bool,
        size: f32,
        colour: (f32, f32, f32),
        s: &str,
    ) {
        // Bold figures are as wide as regular ones in Helvetica; letters differ a little.
        let w = width(s, size) * if bold { 1.05 } else { 1.0 };
        self.text(right - w, y, bold, size, colour, s);
    }

    fn fill(&mut self, x: f32, y: f32, w: f32, h: f32, colour: (f32, f32, f32)) {
        self.page
            .set_fill_rgb(colour.0, colour.1, colour.2)
            .rect(x, y, w, h)
            .fill_nonzero();
    }

    fn rule(&mut self, y: f32, from: f32, to: f32) {
        self.page
            .set_stroke_rgb(0.8, 0.8, 0.8)
            .set_line_width(0.6)
            .move_to(from, y)
            .line_to(to, y)
            .stroke();
    }

    fn first_page_header(&mut self) {
        let record = self.record;
        let inv = &record.invoice;
        let top = PAGE_HEIGHT - 90.0;
        self.fill(0.0, top, PAGE_WIDTH, 90.0, BRAND);
        let brand = self.renderer.brand.clone();
        self.text(LEFT, top + 36.0, true, 28.0, (1.0, 1.0, 1.0), &brand);
        let heading = match inv.status() {
            InvoiceStatus::Draft => "DRAFT INVOICE",
            _ => "INVOICE",
        };
        self.text_right(RIGHT, top + 50.0, true, 16.0, (1.0, 1.0, 1.0), heading);
        let number = inv
            .number()
            .map_or_else(|| "Not yet numbered".to_owned(), |n| n.to_string());
        self.text_right(RIGHT, top + 28.0, false, 12.0, (1.0, 1.0, 1.0), &number);

        let mark = match inv.status() {
            InvoiceStatus::Draft => Some("DRAFT - not a valid invoice"),
            InvoiceStatus::Void => Some("VOID"),
            _ => None,
        };
        if let Some(mark) = mark {
            self.text(LEFT, top - 40.0, true, 26.0, (0.80, 0.15, 0.15), mark);
        }

        // Parties.
        let y = top - if mark.is_some() { 85.0 } else { 45.0 };
        self.text(LEFT, y, true, 9.0, GREY, "FROM");
        self.text(LEFT, y - 15.0, true, 11.0, INK, &brand);
        let mut sy = y - 29.0;
        for line in self.renderer.seller_lines.clone() {
            self.text(LEFT, sy, false, 10.0, INK, &line);
            sy -= 13.0;
        }
        let x = 320.0;
        self.text(x, y, true, 9.0, GREY, "BILLED TO");
        match &record.customer {
            Some(c) => {
                let (name, email) = (c.name.clone(), c.email.clone());
                self.text(x, y - 15.0, true, 11.0, INK, &name);
                self.text(x, y - 29.0, false, 10.0, INK, &email);
            }
            None => {
                self.text(
                    x,
                    y - 15.0,
                    false,
                    10.0,
                    GREY,
                    "Set when the invoice is issued",
                );
            }
        }

        // Facts: number, dates, status.
        let y = y - 70.0;
        let facts = [
            ("INVOICE NUMBER", number),
            ("ISSUE DATE", date(record.issued_at)),
            ("DUE DATE", date(record.due_at)),
            ("STATUS", title(inv.status()).to_owned()),
        ];
        for (i, (label, value)) in facts.iter().enumerate() {
            #[allow(clippy::cast_precision_loss)]
            let x = LEFT + 125.0 * i as f32;
            self.text(x, y, true, 9.0, GREY, label);
            self.text(x, y - 15.0, true, 11.0, INK, value);
        }
        self.y = y - 45.0;
        self.table_header();
    }

    fn table_header(&mut self) {
        let y = self.y;
        self.fill(
            LEFT - 6.0,
            y - 6.0,
            RIGHT - LEFT + 12.0,
            20.0,
            (0.93, 0.94, 0.96),
        );
        self.text(LEFT, y, true, 9.0, INK, "DESCRIPTION");
        self.text_right(COL_QTY, y, true, 9.0, INK, "QTY");
        self.text_right(COL_UNIT, y, true, 9.0, INK, "UNIT PRICE");
        self.text_right(RIGHT, y, true, 9.0, INK, "AMOUNT");
        self.y = y - 22.0;
    }

    fn new_page(&mut self) {
        let done = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(done);
        let number = self
            .record
            .invoice
            .number()
            .map_or_else(|| "draft".to_owned(), |n| n.to_string());
        let heading = format!("{} - invoice {number} (continued)", self.renderer.brand);
        self.text(LEFT, PAGE_HEIGHT - 60.0, true, 12.0, BRAND, &heading);
        self.y = PAGE_HEIGHT - 100.0;
        self.table_header();
    }

    fn lines(&mut self) {
        let lines = self.record.invoice.lines().to_vec();
        for line in &lines {
            let wrapped = wrap(&line.description, 10.0, DESCRIPTION_WIDTH);
            #[allow(clippy::cast_precision_loss)]
            let height = 13.0 * wrapped.len() as f32 + 6.0;
            if self.y - height < BOTTOM {
                self.new_page();
            }
            let y = self.y;
            for (i, part) in wrapped.iter().enumerate() {
                #[allow(clippy::cast_precision_loss)]
                let dy = 13.0 * i as f32;
                self.text(LEFT, y - dy, false, 10.0, INK, part);
            }
            let unit = self.money(line.unit_amount);
            let amount = self.money(line.amount);
            self.text_right(COL_QTY, y, false, 10.0, INK, &line.quantity.to_string());
            self.text_right(COL_UNIT, y, false, 10.0, INK, &unit);
            self.text_right(RIGHT, y, false, 10.0, INK, &amount);
            self.rule(y - height + 9.0, LEFT - 6.0, RIGHT + 6.0);
            self.y = y - height;
        }
    }

    fn totals(&mut self) {
        let inv = &self.record.invoice;
        let t = inv.totals();
        let discount_label = format!(
            "Discount ({}%)",
            plinth_billing::invoice::bps_to_percent(inv.discount_bps())
        );
        let tax_label = format!(
            "Tax ({}%)",
            plinth_billing::invoice::bps_to_percent(inv.tax_rate_bps())
        );
        let rows = [
            ("Subtotal".to_owned(), self.money(t.subtotal)),
            (discount_label, self.money(-t.discount)),
            (tax_label, self.money(t.tax)),
        ];
        if self.y - 110.0 < BOTTOM {
            self.new_page();
        }
        let mut y = self.y - 10.0;
        for (label, value) in rows {
            self.text_right(COL_UNIT, y, false, 10.0, GREY, &label);
            self.text_right(RIGHT, y, false, 10.0, INK, &value);
            y -= 16.0;
        }
        y -= 8.0;
        self.fill(
            COL_UNIT - 90.0,
            y - 8.0,
            RIGHT - COL_UNIT + 96.0,
            24.0,
            BRAND,
        );
        let total = self.money(t.total);
        self.text_right(COL_UNIT, y, true, 12.0, (1.0, 1.0, 1.0), "Total due");
        self.text_right(RIGHT, y, true, 12.0, (1.0, 1.0, 1.0), &total);
        y -= 30.0;
        if let Some(paid) = self.record.paid_at {
            let note = format!("Paid on {}", date(Some(paid)));
            self.text_right(RIGHT, y, true, 11.0, (0.10, 0.50, 0.20), &note);
        } else if let Some(due) = self.record.due_at
            && inv.status() == InvoiceStatus::Open
        {
            let note = format!("Please pay by {}", date(Some(due)));
            self.text_right(RIGHT, y, false, 10.0, INK, &note);
        }
        self.y = y;
    }

    fn finish(mut self) -> Vec<u8> {
        let last = std::mem::replace(&mut self.page, Content::new());
        self.pages.push(last);
        let count = self.pages.len();
        let currency = self.record.invoice.currency().code().to_owned();
        let footer = format!(
            "{} - amounts in {currency}; tax is computed per line after its share of the discount and rounded half-even.",
            self.renderer.brand
        );
        let mut pdf = Pdf::new();
        let catalog = Ref::new(1);
        let tree = Ref::new(2);
        let regular = Ref::new(3);
        let bold = Ref::new(4);
        let info = Ref::new(5);
        let first_page = 6;
        let page_ids: Vec<Ref> = (0..count)
            .map(|i| Ref::new(first_page + 2 * i32::try_from(i).unwrap_or(0)))
            .collect();
        pdf.catalog(catalog).pages(tree);
        pdf.pages(tree)
            .kids(page_ids.iter().copied())
            .count(i32::try_from(count).unwrap_or(i32::MAX));
        pdf.type1_font(regular)
            .base_font(Name(b"Helvetica"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        pdf.type1_font(bold)
            .base_font(Name(b"Helvetica-Bold"))
            .encoding_predefined(Name(b"WinAnsiEncoding"));
        let doc_title = self.record.invoice.number().map_or_else(
            || format!("{} draft invoice", self.renderer.brand),
            |n| format!("{} invoice {n}", self.renderer.brand),
        );
        pdf.document_info(info)
            .title(TextStr(&doc_title))
            .producer(TextStr("Plinth"));
        let pages = std::mem::take(&mut self.pages);
        for (i, content) in pages.into_iter().enumerate() {
            self.page = Content::new();
            let page_no = format!("Page {} of {count}", i + 1);
            self.text(LEFT, 40.0, false, 7.5, GREY, &footer);
            self.text_right(RIGHT, 28.0, false, 7.5, GREY, &page_no);
            let footer_ops = std::mem::replace(&mut self.page, Content::new()).finish();
            let mut bytes = content.finish().into_vec();
            bytes.push(b'\n');
            bytes.extend_from_slice(&footer_ops);
            let id = page_ids[i];
            let content_id = Ref::new(id.get() + 1);
            let mut page = pdf.page(id);
            page.media_box(Rect::new(0.0, 0.0, PAGE_WIDTH, PAGE_HEIGHT))
                .parent(tree)
                .contents(content_id);
            page.resources()
                .fonts()
                .pair(REGULAR, regular)
                .pair(BOLD, bold);
            page.finish();
            pdf.stream(content_id, &bytes);
        }
        pdf.finish()
    }
}

#[cfg(test)]
mod tests;
