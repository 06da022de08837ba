//! [`SmtpMailer`]: delivery through an SMTP server with lettre.

use std::fmt;
use std::time::Duration;

use lettre::message::{Mailbox, MultiPart};
use lettre::transport::smtp::AsyncSmtpTransportBuilder;
use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};
use plinth_sessions::MailError;

use crate::{RenderedMail, Transport};

mod url_parts;

use url_parts::SmtpUrl;

/// Connection and per-command timeout.
const TIMEOUT: Duration = Duration::from_secs(10);

/// How the connection to the SMTP server is protected.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SmtpSecurity {
    /// `smtps://`: TLS from the first byte (default port 465).
    ImplicitTls,
    /// `smtp://` (the default, or `?tls=required`): STARTTLS, refusing servers without it (587).
    StartTlsRequired,
    /// `smtp://…?tls=opportunistic`: STARTTLS when offered, else plaintext.
    StartTlsOpportunistic,
    /// `smtp://…?tls=none`: plaintext, for a trusted local relay or a test server.
    None,
}

/// Why `SMTP_URL` (or the sender) cannot be used. Never contains the password.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SmtpConfigError {
    /// Not a URL at all.
    #[error("SMTP_URL is not a valid URL ({0})")]
    InvalidUrl(String),
    /// Not `smtp` or `smtps`.
    #[error("SMTP_URL must start with smtp:// or smtps://, not {0}://")]
    UnsupportedScheme(String),
    /// No host name.
    #[error("SMTP_URL has no host")]
    MissingHost,
    /// A `tls` value other than `required`, `opportunistic` or `none` (or one used with smtps).
    #[error(
        "SMTP_URL tls parameter must be required, opportunistic or none (smtp:// only), not {0:?}"
    )]
    UnsupportedTls(String),
    /// A query parameter other than `tls`.
    #[error("SMTP_URL has an unknown parameter {0:?} (only tls is understood)")]
    UnknownParameter(String),
    /// A password without a user, or credentials that are not percent-encoded UTF-8.
    #[error(
        "SMTP_URL credentials are malformed (expected smtp://user:password@host, percent-encoded)"
    )]
    MalformedCredentials,
    /// The sender is not a mailbox such as `Plinth <no-reply@example.com>`.
    #[error("the mail sender is not a valid mailbox")]
    InvalidFrom,
    /// The TLS backend refused the host name.
    #[error("SMTP TLS setup failed: {0}")]
    Tls(String),
}

/// Sends mail through an SMTP server (one connection per message), configured from `SMTP_URL`.
pub struct SmtpMailer {
    builder: AsyncSmtpTransportBuilder,
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
    host: String,
    port: u16,
    security: SmtpSecurity,
    authenticated: bool,
    /// Bound on one whole delivery (lettre's own timeout does not cover a server that never
    /// sends its greeting).
    timeout: Duration,
}

impl fmt::Debug for SmtpMailer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SmtpMailer")
            .field("host", &self.host)
            .field("port", &self.port)
            .field("security", &self.security)
            .field("authenticated", &self.authenticated)
            .field("from", &self.from.to_string())
            .finish_non_exhaustive()
    }
}

impl SmtpMailer {
    /// A mailer for `url` (`smtp://user:pass@host:port`, `smtps://…`, optional
    /// `?tls=required|opportunistic|none` for `smtp`) sending as `from`.
    ///
    /// # Errors
    /// [`SmtpConfigError`] describing the problem, without echoing the password.
    pub fn from_url(url: &str, from: &str) -> Result<Self, SmtpConfigError> {
        let from: Mailbox = from.parse().map_err(|_| SmtpConfigError::InvalidFrom)?;
        let parsed = SmtpUrl::parse(url)?;
        let tls_params = || {
            TlsParameters::new(parsed.host.clone()).map_err(|e| SmtpConfigError::Tls(e.to_string()))
        };
        let tls = match parsed.security {
            SmtpSecurity::ImplicitTls => Tls::Wrapper(tls_params()?),
            SmtpSecurity::StartTlsRequired => Tls::Required(tls_params()?),
            SmtpSecurity::StartTlsOpportunistic => Tls::Opportunistic(tls_params()?),
            SmtpSecurity::None => Tls::None,
        };
        let mut builder = AsyncSmtpTransport::<Tokio1Executor>::builder_dangerous(&parsed.host)
            .port(parsed.port)
            .tls(tls)
            .timeout(Some(TIMEOUT));
        let authenticated = parsed.credentials.is_some();
        if let Some((user, password)) = parsed.credentials {
            builder = builder.credentials(Credentials::new(user, password));
        }
        Ok(Self {
            transport: builder.clone().build(),
            builder,
            from,
            host: parsed.host,
            port: parsed.port,
            security: parsed.security,
            authenticated,
            timeout: TIMEOUT,
        })
    }

    /// The same mailer with another connection and per-command timeout (default 10 s).
    #[must_use]
    pub fn with_timeout(mut self, timeout: Duration) -> Self {
        self.transport = self.builder.clone().timeout(Some(timeout)).build();
        self.timeout = timeout;
        self
    }

    /// `host:port` of the server (for logs; no credentials).
    #[must_use]
    pub fn endpoint(&self) -> String {
        format!("{}:{}", self.host, self.port)
    }

    fn build(&self, message: &RenderedMail) -> Result<Message, MailError> {
        let to: Mailbox = message.to.as_str().parse().map_err(|_| {
            MailError::InvalidMessage("recipient is not a deliverable address".into())
        })?;
        Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(message.subject.replace(['\r', '\n'], " "))
            .multipart(MultiPart::alternative_plain_html(
                message.text.clone(),
                message.html.clone(),
            ))
            .map_err(|e| MailError::InvalidMessage(e.to_string()))
    }
}

#[async_trait::async_trait]
impl Transport for SmtpMailer {
    #[tracing::instrument(skip_all, fields(smtp = %self.endpoint()))]
    async fn deliver(&self, message: &RenderedMail) -> Result<(), MailError> {
        let email = self.build(message)?;
        tokio::time::timeout(self.timeout, self.transport.send(email))
            .await
            .map_err(|_| {
                MailError::Delivery(format!(
                    "SMTP server {}: no answer within {:?}",
                    self.endpoint(),
                    self.timeout
                ))
            })?
            .map_err(|e| MailError::Delivery(format!("SMTP server {}: {e}", self.endpoint())))?;
        tracing::info!(to = %message.to, kind = %message.kind, locale = %message.locale, "mail sent");
        Ok(())
    }
}
