//! Mail adapters for the [`plinth_sessions::Mailer`] port: [`TemplatedMailer`] puts each message
//! into words with [`MailTemplates`] (shipped in `config/mail/`, overridable by an operator) and
//! hands it to a [`Transport`]: [`SmtpMailer`] (lettre, from `SMTP_URL`) or [`OutboxMailer`]
//! (development: files in `data/outbox/` plus a log line).

use std::path::Path;
use std::sync::Arc;

use plinth_sessions::{MailError, Mailer, OutgoingMail};

mod outbox;
mod smtp;
mod templates;

pub use outbox::OutboxMailer;
pub use smtp::{SmtpConfigError, SmtpMailer, SmtpSecurity};
pub use templates::{DEFAULT_LOCALE, MailTemplates, RenderedMail, TemplateError};

/// The sender used when none is configured.
pub const DEFAULT_FROM: &str = "Plinth <no-reply@localhost>";

/// Delivers a message already put into words.
#[async_trait::async_trait]
pub trait Transport: Send + Sync {
    /// Hands `message` over for delivery.
    ///
    /// # Errors
    /// [`MailError::InvalidMessage`] when the message cannot be built,
    /// [`MailError::Delivery`] when the transport fails.
    async fn deliver(&self, message: &RenderedMail) -> Result<(), MailError>;
}

/// The [`Mailer`] of a deployment: renders with its templates, delivers with its transport.
#[derive(Clone)]
pub struct TemplatedMailer {
    templates: Arc<MailTemplates>,
    transport: Arc<dyn Transport>,
}

impl std::fmt::Debug for TemplatedMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TemplatedMailer")
            .field("templates", &self.templates)
            .finish_non_exhaustive()
    }
}

impl TemplatedMailer {
    /// Renders with `templates`, delivers through `transport`.
    #[must_use]
    pub fn new(templates: Arc<MailTemplates>, transport: Arc<dyn Transport>) -> Self {
        Self {
            templates,
            transport,
        }
    }
}

#[async_trait::async_trait]
impl Mailer for TemplatedMailer {
    async fn send(&self, message: &OutgoingMail) -> Result<(), MailError> {
        let rendered = self.templates.render(message)?;
        self.transport.deliver(&rendered).await
    }
}

/// The mailer for a deployment: SMTP when `smtp_url` is set, else the outbox folder, whose
/// log lines name each message's link only when `log_links` (never in production); messages
/// are written with `templates`.
///
/// # Errors
/// [`SmtpConfigError`] when `smtp_url` or `from` cannot be used.
pub fn mailer_from_settings(
    smtp_url: Option<&str>,
    outbox_dir: &Path,
    from: &str,
    log_links: bool,
    templates: Arc<MailTemplates>,
) -> Result<Arc<dyn Mailer>, SmtpConfigError> {
    let transport: Arc<dyn Transport> = match smtp_url {
        Some(url) => Arc::new(SmtpMailer::from_url(url, from)?),
        None if log_links => Arc::new(OutboxMailer::new(outbox_dir, from)?),
        None => Arc::new(OutboxMailer::new(outbox_dir, from)?.without_logged_links()),
    };
    Ok(Arc::new(TemplatedMailer::new(templates, transport)))
}
