//! The mail the domain sends and its errors; the [`crate::Mailer`] port that sends it is in
//! `ports.rs`.
//!
//! The domain says **which** message goes to whom, in which language and with which values;
//! the words live in templates an operator can override (`config/mail/`, rendered by the
//! adapters in `plinth-mail`). Tests use `testing::MemoryMailer`, which keeps the messages
//! as the domain built them.

use std::fmt;

use plinth_kernel::Email;

/// Which message: names its templates (`<locale>/<name>.txt` and `<locale>/<name>.html`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MailKind {
    /// A password reset link (`link`, `minutes`).
    PasswordReset,
    /// An email verification link (`link`, `hours`).
    EmailVerification,
    /// A passwordless sign-in link and code (`link`, `code`, `minutes`).
    PasswordlessSignIn,
    /// A passwordless sign-up link and code for an address without an account.
    PasswordlessSignUp,
    /// An invitation to an organization (`organization`, `role`, `expires`, `link`).
    OrgInvitation,
    /// A sign-in from a device the account had not used (`time`, `ip`, `device`, `method`).
    NewSignIn,
    /// The password changed or was reset (`time`, `ip`, `how`).
    PasswordChanged,
    /// To the new address of an email change: confirm it (`link`, `hours`, `old_email`).
    EmailChangeRequested,
    /// To the old address: an email change was asked for, or done (`new_email`, `done`).
    EmailChanged,
    /// Two-factor authentication was turned on (`time`, `ip`).
    MfaEnabled,
    /// Two-factor authentication was turned off (`time`, `ip`).
    MfaDisabled,
    /// A passkey was added (`passkey`, `time`, `ip`).
    PasskeyAdded,
    /// A passkey was removed (`passkey`, `time`, `ip`).
    PasskeyRemoved,
    /// A sign-in provider identity was linked (`provider`, `time`, `ip`).
    IdentityLinked,
}

impl MailKind {
    /// Every kind, for adapters that check their templates at start-up.
    pub const ALL: [Self; 14] = [
        Self::PasswordReset,
        Self::EmailVerification,
        Self::PasswordlessSignIn,
        Self::PasswordlessSignUp,
        Self::OrgInvitation,
        Self::NewSignIn,
        Self::PasswordChanged,
        Self::EmailChangeRequested,
        Self::EmailChanged,
        Self::MfaEnabled,
        Self::MfaDisabled,
        Self::PasskeyAdded,
        Self::PasskeyRemoved,
        Self::IdentityLinked,
    ];

    /// The template name (file stem).
    #[must_use]
    pub const fn name(self) -> &'static str {
        match self {
            Self::PasswordReset => "password_reset",
            Self::EmailVerification => "email_verification",
            Self::PasswordlessSignIn => "passwordless_sign_in",
            Self::PasswordlessSignUp => "passwordless_sign_up",
            Self::OrgInvitation => "org_invitation",
            Self::NewSignIn => "new_sign_in",
            Self::PasswordChanged => "password_changed",
            Self::EmailChangeRequested => "email_change_requested",
            Self::EmailChanged => "email_changed",
            Self::MfaEnabled => "mfa_enabled",
            Self::MfaDisabled => "mfa_disabled",
            Self::PasskeyAdded => "passkey_added",
            Self::PasskeyRemoved => "passkey_removed",
            Self::IdentityLinked => "identity_linked",
        }
    }
}

impl fmt::Display for MailKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One message to one recipient, before it is put into words.
///
/// `link` and `values` may carry a one-time token or code, so both are redacted in `Debug`.
#[derive(Clone, PartialEq)]
pub struct OutgoingMail {
    /// Recipient.
    pub to: Email,
    /// Which message.
    pub kind: MailKind,
    /// The recipient's language (a BCP 47 tag); `None` for the deployment's default.
    pub locale: Option<String>,
    /// What the template fills in (`name`, `code`, `time`, …), by name.
    pub values: serde_json::Map<String, serde_json::Value>,
    /// The action link the message carries (reset, verification), if any; also `link` in
    /// the template's values.
    pub link: Option<String>,
}

impl OutgoingMail {
    /// A message of `kind` to `to` with no values yet.
    #[must_use]
    pub fn new(to: Email, kind: MailKind) -> Self {
        Self {
            to,
            kind,
            locale: None,
            values: serde_json::Map::new(),
            link: None,
        }
    }

    /// In the language `locale` (none: the default).
    #[must_use]
    pub fn locale(mut self, locale: Option<impl Into<String>>) -> Self {
        self.locale = locale.map(Into::into);
        self
    }

    /// Sets the template value `key`.
    #[must_use]
    pub fn value(mut self, key: &str, value: impl Into<serde_json::Value>) -> Self {
        self.values.insert(key.to_owned(), value.into());
        self
    }

    /// Carries the action link `link`.
    #[must_use]
    pub fn link(mut self, link: impl Into<String>) -> Self {
        self.link = Some(link.into());
        self
    }

    /// The template value `key` as text, if set.
    #[must_use]
    pub fn text(&self, key: &str) -> Option<&str> {
        self.values.get(key).and_then(serde_json::Value::as_str)
    }
}

impl fmt::Debug for OutgoingMail {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingMail")
            .field("to", &self.to)
            .field("kind", &self.kind)
            .field("locale", &self.locale)
            .field("values", &"<redacted>")
            .field("link", &self.link.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Why a message was not handed over for delivery.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MailError {
    /// The message cannot be built (bad address or header, or a template that fails).
    #[error("mail message is invalid: {0}")]
    InvalidMessage(String),
    /// The transport failed (connection, TLS, authentication, refusal, disk).
    #[error("mail delivery failed: {0}")]
    Delivery(String),
}
