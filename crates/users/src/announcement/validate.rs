//! Parsing an announcement as submitted: every rule checked at once, every broken one named.

use chrono::SubsecRound;
use plinth_kernel::{Timestamp, UserId};

use super::{Announcement, AnnouncementError, AnnouncementId};

/// The longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// The longest body, in characters.
pub const MAX_BODY_CHARS: usize = 5_000;

/// An announcement as submitted, not yet checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnouncementInput {
    /// Raw title.
    pub title: String,
    /// Raw body.
    pub body: String,
    /// Optional start of the window.
    pub starts_at: Option<Timestamp>,
    /// Optional end of the window.
    pub ends_at: Option<Timestamp>,
}

impl AnnouncementInput {
    /// The announcement `created_by` posts at `now`, or every rule it breaks: a title of
    /// 1–[`MAX_TITLE_CHARS`] characters on one line, a body of 1–[`MAX_BODY_CHARS`] characters
    /// without control characters other than line breaks and tabs, `ends_at` later than
    /// `starts_at` and than `now`. Text is trimmed; times are kept to the microsecond (what
    /// every store keeps), so what is returned is what is read back later.
    ///
    /// # Errors
    /// [`AnnouncementError::Invalid`] naming each broken rule's field.
    pub fn parse(
        self,
        created_by: UserId,
        now: Timestamp,
    ) -> Result<Announcement, AnnouncementError> {
        let mut errors = Vec::new();
        let title = self.title.trim().to_owned();
        let body = self.body.trim().to_owned();
        if let Err(message) = check_text(&title, MAX_TITLE_CHARS, false) {
            errors.push(("title", format!("title {message}")));
        }
        if let Err(message) = check_text(&body, MAX_BODY_CHARS, true) {
            errors.push(("body", format!("body {message}")));
        }
        let now = now.trunc_subsecs(6);
        let starts_at = self.starts_at.map(|t| t.trunc_subsecs(6));
        let ends_at = self.ends_at.map(|t| t.trunc_subsecs(6));
        if let Some(ends) = ends_at {
            if starts_at.is_some_and(|starts| ends <= starts) {
                errors.push(("ends_at", "ends_at must be later than starts_at".to_owned()));
            } else if ends <= now {
                errors.push((
                    "ends_at",
                    "ends_at must be in the future: the announcement would never be shown"
                        .to_owned(),
                ));
            }
        }
        if !errors.is_empty() {
            return Err(AnnouncementError::Invalid(errors));
        }
        Ok(Announcement {
            id: AnnouncementId::new(),
            title,
            body,
            starts_at,
            ends_at,
            created_by,
            created_at: now,
        })
    }
}

/// `Ok` when `text` is 1–`max` characters of plain text (line breaks and tabs only if
/// `multiline`); otherwise the rest of a sentence saying what is wrong.
fn check_text(text: &str, max: usize, multiline: bool) -> Result<(), String> {
    let chars = text.chars().count();
    if chars == 0 {
        return Err("must not be empty".to_owned());
    }
    if chars > max {
        return Err(format!("must be at most {max} characters (got {chars})"));
    }
    let allowed = |c: char| multiline && matches!(c, '\n' | '\r' | '\t');
    if text.chars().any(|c| c.is_control() && !allowed(c)) {
        return Err(if multiline {
            "must be plain text: no control characters other than line breaks and tabs".to_owned()
        } else {
            "must be one line of plain text: no line breaks or control characters".to_owned()
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn input(title: &str, body: &str) -> AnnouncementInput {
        AnnouncementInput {
            title: title.into(),
            body: body.into(),
            starts_at: None,
            ends_at: None,
        }
    }

    fn fields(result: Result<Announcement, AnnouncementError>) -> Vec<&'static str> {
        match result {
            Err(AnnouncementError::Invalid(errors)) => errors.into_iter().map(|(f, _)| f).collect(),
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn a_valid_input_is_trimmed_and_kept_to_the_microsecond() {
        let now = chrono::Utc::now();
        let by = UserId::new();
        let a = AnnouncementInput {
            starts_at: Some(now + Duration::nanoseconds(1_500)),
            ends_at: Some(now + Duration::days(1)),
            ..input(
                "  Maintenance tonight ",
                "We upgrade\nthe database.\t(1 h)\n",
            )
        }
        .parse(by, now)
        .unwrap();
        assert_eq!(a.title, "Maintenance tonight");
        assert_eq!(a.body, "We upgrade\nthe database.\t(1 h)");
        assert_eq!(a.created_by, by);
        assert_eq!(a.created_at, now.trunc_subsecs(6));
        assert_eq!(a.starts_at.unwrap().timestamp_subsec_nanos() % 1_000, 0);
    }

    #[test]
    fn every_broken_rule_is_named() {
        let now = chrono::Utc::now();
        let by = UserId::new();
        assert_eq!(fields(input("  ", "").parse(by, now)), ["title", "body"]);
        let long = "x".repeat(MAX_TITLE_CHARS + 1);
        assert_eq!(fields(input(&long, "ok").parse(by, now)), ["title"]);
        assert!(
            input(&"é".repeat(MAX_TITLE_CHARS), "ok")
                .parse(by, now)
                .is_ok(),
            "characters, not bytes"
        );
        let long = "x".repeat(MAX_BODY_CHARS + 1);
        assert_eq!(fields(input("ok", &long).parse(by, now)), ["body"]);
        assert_eq!(fields(input("two\nlines", "ok").parse(by, now)), ["title"]);
        assert_eq!(fields(input("ok", "bell\u{7}").parse(by, now)), ["body"]);
        let backwards = AnnouncementInput {
            starts_at: Some(now + Duration::hours(2)),
            ends_at: Some(now + Duration::hours(1)),
            ..input("ok", "ok")
        };
        assert_eq!(fields(backwards.parse(by, now)), ["ends_at"]);
        let empty_window = AnnouncementInput {
            starts_at: Some(now + Duration::hours(1)),
            ends_at: Some(now + Duration::hours(1)),
            ..input("ok", "ok")
        };
        assert_eq!(fields(empty_window.parse(by, now)), ["ends_at"]);
        let over = AnnouncementInput {
            ends_at: Some(now - Duration::seconds(1)),
            ..input("ok", "ok")
        };
        assert_eq!(fields(over.parse(by, now)), ["ends_at"]);
        let started_earlier = AnnouncementInput {
            starts_at: Some(now - Duration::days(1)),
            ends_at: Some(now + Duration::days(1)),
            ..input("ok", "ok")
        };
        assert!(
            started_earlier.parse(by, now).is_ok(),
            "a window already open is fine"
        );
    }
}
