//! Mail adapters for the [`plinth_sessions::Mailer`] port: [`SmtpMailer`] (lettre, from
//! `SMTP_URL`) and [`OutboxMailer`] (development: files in `data/outbox/` plus a log line).

use std::path::Path;
use std::sync::Arc;

use plinth_sessions::Mailer;

mod outbox;
mod smtp;

pub use outbox::OutboxMailer;
pub use smtp::{SmtpConfigError, SmtpMailer, SmtpSecurity};

/// The sender used when none is configured.
pub const DEFAULT_FROM: &str = "Plinth <no-reply@localhost>";

/// The mailer for a deployment: SMTP when `smtp_url` is set, else the outbox folder, whose
/// log lines name each message's link only when `log_links` (never in production).
///
/// # Errors
/// [`SmtpConfigError`] when `smtp_url` or `from` cannot be used.
pub fn mailer_from_settings(
    smtp_url: Option<&str>,
    outbox_dir: &Path,
    from: &str,
    log_links: bool,
) -> Result<Arc<dyn Mailer>, SmtpConfigError> {
    Ok(match smtp_url {
        Some(url) => Arc::new(SmtpMailer::from_url(url, from)?),
        None if log_links => Arc::new(OutboxMailer::new(outbox_dir, from)?),
        None => Arc::new(OutboxMailer::new(outbox_dir, from)?.without_logged_links()),
    })
}
