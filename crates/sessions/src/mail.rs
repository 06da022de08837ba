//! The mail the domain sends (recovery and verification messages) and its errors; the
//! [`crate::Mailer`] port that sends it is in `ports.rs`.
//!
//! Adapters live in `plinth-mail` (SMTP and a development outbox); tests use
//! `testing::MemoryMailer`.

use std::fmt;

use plinth_kernel::Email;

/// One plain-text message to one recipient.
///
/// `link` (and so `text_body`, which normally contains it) may carry a one-time token, so both
/// are redacted in `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingMail {
    /// Recipient.
    pub to: Email,
    /// Subject line.
    pub subject: String,
    /// Plain-text body.
    pub text_body: String,
    /// The action link the message carries (reset, verification), if any.
    pub link: Option<String>,
}

impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("to", &self.to)
            .field("subject", &self.subject)
            .field("text_body", &"<redacted>")
            .field("link", &self.link.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Why a message was not handed over for delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The message cannot be built (bad address or header).
    #[error("mail message is invalid: {0}")]
    InvalidMessage(String),
    /// The transport failed (connection, TLS, authentication, refusal, disk).
    #[error("mail delivery failed: {0}")]
    Delivery(String),
}
