#![allow(clippy::unwrap_used, clippy::expect_used)]

use plinth_billing::{
    CustomerSnapshot, Invoice, InvoiceId, InvoiceNumber, InvoiceRecord, LineInput,
};
use plinth_kernel::{Currency, Money, UserId};

use super::*;

fn at(s: &str) -> Timestamp {
    chrono::DateTime::parse_from_rfc3339(s).unwrap().to_utc()
}

fn record(lines: usize, finalised: bool) -> InvoiceRecord {
    let eur = Currency::parse("EUR").unwrap();
    let mut invoice = Invoice::draft(eur);
    let descriptions = [
        "Pro plan, March 2026",
        "Extra seats (3 × 12 months) for the design team – including onboarding and priority support, billed annually",
        "Café consulting: 2 h",
    ];
    for i in 0..lines {
        invoice
            .add_line(LineInput {
                description: descriptions[i % descriptions.len()].into(),
                quantity: i64::try_from(i % 4 + 1).unwrap(),
                unit_amount: Money::new(14_900 + 100 * i64::try_from(i).unwrap(), eur),
            })
            .unwrap();
    }
    invoice.set_discount_bps(1000).unwrap();
    invoice.set_tax_rate_bps(2000).unwrap();
    let mut r = InvoiceRecord {
        id: InvoiceId::new(),
        user_id: UserId::new(),
        org_id: None,
        invoice,
        due_in_days: 14,
        customer: None,
        due_at: None,
        issued_at: None,
        paid_at: None,
        voided_at: None,
        created_at: at("2026-03-01T09:00:00Z"),
        updated_at: at("2026-03-01T09:00:00Z"),
        provider_payment_id: None,
    };
    if finalised {
        r.invoice
            .finalize(InvoiceNumber::new(2026, 42).unwrap())
            .unwrap();
        r.customer = Some(CustomerSnapshot {
            email: "ada@example.com".into(),
            name: "Ada Lovelace".into(),
        });
        r.issued_at = Some(at("2026-03-02T10:00:00Z"));
        r.due_at = Some(at("2026-03-16T10:00:00Z"));
    }
    r
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

fn pages(pdf: &[u8]) -> usize {
    let all = pdf.windows(11).filter(|w| w == b"/Type /Page").count();
    let trees = pdf.windows(12).filter(|w| w == b"/Type /Pages").count();
    all - trees
}

/// Writes the document where `PLINTH_PDF_SAMPLE_DIR` says, to look at it.
fn keep(name: &str, pdf: &[u8]) {
    if let Ok(dir) = std::env::var("PLINTH_PDF_SAMPLE_DIR") {
        std::fs::write(std::path::Path::new(&dir).join(name), pdf).unwrap();
    }
}

#[test]
fn an_issued_invoice_is_a_one_page_pdf_with_its_number_customer_and_totals() {
    let r = record(3, true);
    let renderer = PdfInvoiceRenderer::default();
    assert_eq!(renderer.content_type(), "application/pdf");
    let pdf = renderer.render(&r).unwrap();
    keep("invoice.pdf", &pdf);
    assert!(pdf.starts_with(b"%PDF-"));
    assert!(pdf.trim_ascii_end().ends_with(b"%%EOF"));
    assert_eq!(pages(&pdf), 1);
    for needle in [
        b"INV-2026-000042".as_slice(),
        b"Plinth",
        b"Ada Lovelace",
        b"ada@example.com",
        b"2026-03-16",
        b"/Helvetica-Bold",
        // "Café" in WinAnsi (é = E9); pdf-writer writes non-ASCII strings in hex.
        b"436166E9",
    ] {
        assert!(
            contains(&pdf, needle),
            "{:?} missing",
            String::from_utf8_lossy(needle)
        );
    }
    let total = Money::new(r.invoice.totals().total, r.invoice.currency()).to_string();
    assert!(contains(&pdf, total.as_bytes()), "total {total} missing");
    assert!(!contains(&pdf, b"DRAFT"));
}

#[test]
fn a_draft_says_so_and_a_long_invoice_runs_onto_more_pages() {
    let draft = PdfInvoiceRenderer::default()
        .render(&record(2, false))
        .unwrap();
    keep("draft.pdf", &draft);
    assert!(contains(&draft, b"DRAFT"));
    assert!(contains(&draft, b"Not yet numbered"));
    let long = PdfInvoiceRenderer::new("Acme", vec!["1 Main Street".into()])
        .render(&record(100, true))
        .unwrap();
    keep("long.pdf", &long);
    assert!(pages(&long) >= 3, "{} pages", pages(&long));
    assert!(contains(&long, b"Page 3 of"));
    assert!(contains(&long, b"(continued)"));
    assert!(contains(&long, b"1 Main Street"));
}
