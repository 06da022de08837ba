//! In-memory [`Mailer`]s for tests.

use std::sync::{Mutex, PoisonError};

use plinth_kernel::Email;

use crate::{MailError, Mailer, OutgoingMail};

/// Records every message instead of sending it.
#[derive(Debug, Default)]
pub struct MemoryMailer {
    sent: Mutex<Vec<OutgoingMail>>,
}

impl MemoryMailer {
    /// An empty mailbox.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Every message sent so far, oldest first.
    #[must_use]
    pub fn sent(&self) -> Vec<OutgoingMail> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }

    /// The most recent message.
    #[must_use]
    pub fn last(&self) -> Option<OutgoingMail> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .last()
            .cloned()
    }

    /// The link of the most recent message.
    #[must_use]
    pub fn last_link(&self) -> Option<String> {
        self.last().and_then(|m| m.link)
    }

    /// The link of the most recent message sent to `to`.
    #[must_use]
    pub fn last_link_to(&self, to: &Email) -> Option<String> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .iter()
            .rev()
            .find(|m| &m.to == to)
            .and_then(|m| m.link.clone())
    }

    /// How many messages were sent.
    #[must_use]
    pub fn count(&self) -> usize {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .len()
    }
}

#[async_trait::async_trait]
impl Mailer for MemoryMailer {
    async fn send(&self, message: &OutgoingMail) -> Result<(), MailError> {
        self.sent
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(message.clone());
        Ok(())
    }
}

/// Refuses every message with [`MailError::Delivery`], to prove callers cope with a mail outage.
#[derive(Debug, Default, Clone, Copy)]
pub struct FailingMailer;

#[async_trait::async_trait]
impl Mailer for FailingMailer {
    async fn send(&self, _message: &OutgoingMail) -> Result<(), MailError> {
        Err(MailError::Delivery(
            "mail server unavailable (FailingMailer)".into(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mail(to: &str, link: Option<&str>) -> OutgoingMail {
        let mail = OutgoingMail::new(Email::parse(to).unwrap(), crate::MailKind::PasswordReset);
        match link {
            Some(link) => mail.link(link),
            None => mail,
        }
    }

    #[tokio::test]
    async fn memory_mailer_records_messages_and_their_links() {
        let mailer = MemoryMailer::new();
        assert_eq!(mailer.last_link(), None);
        mailer
            .send(&mail("a@example.com", Some("https://x/a?token=1")))
            .await
            .unwrap();
        mailer
            .send(&mail("b@example.com", Some("https://x/b?token=2")))
            .await
            .unwrap();
        mailer.send(&mail("a@example.com", None)).await.unwrap();
        assert_eq!(mailer.count(), 3);
        assert_eq!(mailer.last_link(), None);
        let a = Email::parse("a@example.com").unwrap();
        let b = Email::parse("b@example.com").unwrap();
        assert_eq!(
            mailer.last_link_to(&b).as_deref(),
            Some("https://x/b?token=2")
        );
        assert_eq!(
            mailer.last_link_to(&a),
            None,
            "the latest mail to a has no link"
        );
        assert_eq!(mailer.sent()[0].kind, crate::MailKind::PasswordReset);
    }

    #[tokio::test]
    async fn failing_mailer_fails() {
        let err = FailingMailer
            .send(&mail("a@example.com", None))
            .await
            .unwrap_err();
        assert!(matches!(err, MailError::Delivery(_)));
    }

    #[test]
    fn debug_hides_the_link_and_the_values() {
        let m = mail("a@example.com", Some("https://x/reset?token=s3cr3t-token"))
            .value("code", "918273");
        let shown = format!("{m:?}");
        assert!(!shown.contains("s3cr3t-token"), "{shown}");
        assert!(!shown.contains("918273"), "{shown}");
        assert!(shown.contains("a@example.com") && shown.contains("PasswordReset"));
    }
}
