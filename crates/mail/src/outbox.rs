//! [`OutboxMailer`]: development mail that lands in a folder and the log.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use lettre::message::Mailbox;
use plinth_kernel::{Clock, SystemClock};
use plinth_sessions::MailError;
use tokio::io::AsyncWriteExt;

use crate::{RenderedMail, SmtpConfigError, Transport};

/// Writes each message as a readable text file named `<timestamp>-<uuid>.txt` (headers and the
/// plain-text part) and its HTML part beside it as `<timestamp>-<uuid>.html`, into a folder
/// (created when missing), and logs one `info` line with the recipient, subject and link, so a
/// developer can follow reset and verification links without a mail server. Files are readable by
/// their owner only on Unix, since links carry one-time tokens.
pub struct OutboxMailer {
    dir: PathBuf,
    from: String,
    clock: Arc<dyn Clock>,
    /// Whether the log line names the message's link (development only: links carry tokens).
    log_links: bool,
}

impl std::fmt::Debug for OutboxMailer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OutboxMailer")
            .field("dir", &self.dir)
            .field("from", &self.from)
            .finish_non_exhaustive()
    }
}

impl OutboxMailer {
    /// A mailer writing into `dir` with sender `from` (for example `Plinth <no-reply@localhost>`).
    ///
    /// # Errors
    /// [`SmtpConfigError::InvalidFrom`] when `from` is not a mailbox.
    pub fn new(dir: impl Into<PathBuf>, from: &str) -> Result<Self, SmtpConfigError> {
        let from: Mailbox = from.parse().map_err(|_| SmtpConfigError::InvalidFrom)?;
        Ok(Self {
            dir: dir.into(),
            from: from.to_string(),
            clock: Arc::new(SystemClock),
            log_links: true,
        })
    }

    /// The same mailer without the link in its log line (production: a link carries a
    /// one-time token, and secrets never reach the log). The file still holds it.
    #[must_use]
    pub fn without_logged_links(mut self) -> Self {
        self.log_links = false;
        self
    }

    /// The same mailer reading the time (for file names and `Date`) from `clock`.
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The folder written to.
    #[must_use]
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn render(&self, message: &RenderedMail, now: chrono::DateTime<chrono::Utc>) -> String {
        let one_line = |s: &str| s.replace(['\r', '\n'], " ");
        let mut out = String::new();
        out.push_str(&format!("Date: {}\r\n", now.to_rfc2822()));
        out.push_str(&format!("From: {}\r\n", self.from));
        out.push_str(&format!("To: {}\r\n", message.to));
        out.push_str(&format!("Subject: {}\r\n", one_line(&message.subject)));
        if let Some(link) = &message.link {
            out.push_str(&format!("X-Plinth-Link: {}\r\n", one_line(link)));
        }
        out.push_str("MIME-Version: 1.0\r\n");
        out.push_str("Content-Type: text/plain; charset=utf-8\r\n");
        out.push_str("Content-Transfer-Encoding: 8bit\r\n\r\n");
        out.push_str(&message.text.replace("\r\n", "\n").replace('\n', "\r\n"));
        if !out.ends_with("\r\n") {
            out.push_str("\r\n");
        }
        out
    }
}

#[async_trait::async_trait]
impl Transport for OutboxMailer {
    #[tracing::instrument(skip_all)]
    async fn deliver(&self, message: &RenderedMail) -> Result<(), MailError> {
        let now = self.clock.now();
        let stem = format!(
            "{}-{}",
            now.format("%Y%m%dT%H%M%S%.6fZ"),
            uuid::Uuid::now_v7()
        );
        let path = self.dir.join(format!("{stem}.txt"));
        let io_error = |what: &str, e: std::io::Error| {
            MailError::Delivery(format!("{what} {}: {e}", self.dir.display()))
        };
        tokio::fs::create_dir_all(&self.dir)
            .await
            .map_err(|e| io_error("cannot create the outbox folder", e))?;
        // The HTML part first: a reader that sees the `.txt` finds its `.html` beside it.
        write_new(&self.dir.join(format!("{stem}.html")), &message.html)
            .await
            .map_err(|e| io_error("cannot write to the outbox folder", e))?;
        write_new(&path, &self.render(message, now))
            .await
            .map_err(|e| io_error("cannot write to the outbox folder", e))?;
        tracing::info!(
            to = %message.to,
            subject = %message.subject,
            link = if self.log_links {
                message.link.as_deref().unwrap_or("-")
            } else {
                "(not logged; see the file)"
            },
            file = %path.display(),
            "mail written to the outbox"
        );
        Ok(())
    }
}

/// Writes `contents` to a new file at `path`, readable by its owner only on Unix (a link in it
/// may carry a one-time token).
async fn write_new(path: &Path, contents: &str) -> std::io::Result<()> {
    let mut options = tokio::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    options.mode(0o600);
    let mut file = options.open(path).await?;
    file.write_all(contents.as_bytes()).await?;
    file.flush().await
}
