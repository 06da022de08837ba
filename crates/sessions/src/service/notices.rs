//! Security notices: a mail to the account's address whenever something changes how it can be
//! signed in to — a sign-in from a device it had not used, a password change or reset, an
//! email change, two-factor authentication on or off, a passkey added or removed, a sign-in
//! provider linked. Sent after the change commits; a mail failure never fails the change (it is
//! logged and counted like every mail). The notice says when, from which IP address and from
//! which browser, so its reader can tell whether it was them.

use plinth_kernel::{RequestMeta, Timestamp};
use plinth_users::User;

use super::AuthService;
use super::recovery_mail::letter;
use crate::{MailKind, OutgoingMail};

/// The longest user agent a notice quotes, in characters.
const DEVICE_CHARS: usize = 200;

/// A notice of `kind` to `user` about a change at `now` by the request `meta`.
pub(super) fn notice(
    user: &User,
    kind: MailKind,
    now: Timestamp,
    meta: &RequestMeta,
) -> OutgoingMail {
    let mut mail = letter(user, kind).value("time", now.format("%Y-%m-%d %H:%M UTC").to_string());
    if let Some(ip) = &meta.ip {
        mail = mail.value("ip", ip.as_str());
    }
    if let Some(agent) = &meta.user_agent {
        let device: String = agent
            .chars()
            .filter(|c| !c.is_control())
            .take(DEVICE_CHARS)
            .collect();
        mail = mail.value("device", device);
    }
    mail
}

impl AuthService {
    /// Mails `user` the notice of `kind` (with `extra` values). Never fails.
    pub(super) async fn notify(
        &self,
        user: &User,
        kind: MailKind,
        now: Timestamp,
        meta: &RequestMeta,
        extra: impl FnOnce(OutgoingMail) -> OutgoingMail,
    ) {
        let mail = extra(notice(user, kind, now, meta));
        self.send_mail(&mail, user.id).await;
    }
}
