//! The canonical byte form of an audit entry: the input of the hash chain.

use chrono::SubsecRound;

use super::AuditEvent;

/// Version tag at the start of every canonical form, so the format can evolve without two
/// versions ever producing the same bytes.
const FORMAT_TAG: &[u8] = b"plinth.audit.v1";

impl AuditEvent {
    /// A deterministic serialisation of every field of the entry: the input of the hash chain
    /// (issue #3), where each entry's hash will be `SHA-256(previous hash ‖ canonical_bytes)`.
    ///
    /// The layout is a version tag, then each field in declaration order (`id`, `at`,
    /// `actor_id`, `action`, `target_type`, `target_id`, `ip`, `user_agent`, `request_id`,
    /// `details`), each written as `0x00` when absent or `0x01`, a big-endian `u64` byte length
    /// and the UTF-8 bytes when present, so no two different entries share a form. Ids are
    /// hyphenated lower-case UUIDs; `at` is RFC 3339 UTC truncated to microseconds (what
    /// PostgreSQL keeps, so an entry read back from any store hashes the same); the action is its
    /// dotted name; `details` is canonical JSON (object keys sorted, no whitespace), so key order
    /// in storage does not matter. An entry filed under an organization has an eleventh field,
    /// `org_id`, written the same way; one without has none, so every entry written before the
    /// field existed keeps its bytes (and its hash), and since the ten fields before it are
    /// length-prefixed, no entry with it shares a form with one without.
    #[must_use]
    pub fn canonical_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(256);
        out.extend_from_slice(FORMAT_TAG);
        let at = self
            .at
            .trunc_subsecs(6)
            .format("%Y-%m-%dT%H:%M:%S%.6fZ")
            .to_string();
        let mut details = String::new();
        write_canonical_json(&self.details, &mut details);
        let id = self.id.to_string();
        let actor = self.actor_id.map(|a| a.to_string());
        let fields: [Option<&str>; 10] = [
            Some(&id),
            Some(&at),
            actor.as_deref(),
            Some(self.action.as_str()),
            self.target_type.as_deref(),
            self.target_id.as_deref(),
            self.ip.as_deref(),
            self.user_agent.as_deref(),
            self.request_id.as_deref(),
            Some(&details),
        ];
        let org = self.org_id.map(|o| o.to_string());
        for field in fields.into_iter().chain(org.as_deref().map(Some)) {
            match field {
                None => out.push(0),
                Some(s) => {
                    out.push(1);
                    out.extend_from_slice(&(s.len() as u64).to_be_bytes());
                    out.extend_from_slice(s.as_bytes());
                }
            }
        }
        out
    }
}

/// Writes `value` as JSON with object keys in byte order and no whitespace.
fn write_canonical_json(value: &serde_json::Value, out: &mut String) {
    use serde_json::Value;
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&Value::String(s.clone()).to_string()),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical_json(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                if let Some(v) = map.get(key) {
                    write_canonical_json(v, out);
                }
            }
            out.push('}');
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone};
    use plinth_kernel::RequestMeta;

    use crate::{AuditAction, AuditEvent, AuditEventId};

    fn full() -> AuditEvent {
        let meta = RequestMeta {
            ip: Some("198.51.100.4".into()),
            user_agent: Some("curl/8".into()),
            request_id: Some("req-1".into()),
        };
        let at = chrono::Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).unwrap()
            + Duration::microseconds(123_456);
        AuditEvent::new(AuditAction::LoginFailed, at, &meta)
            .actor(uuid::Uuid::now_v7())
            .target("user", "u-1")
            .details(serde_json::json!({ "reason": "unknown_email", "n": 1 }))
    }

    #[test]
    fn is_deterministic_and_ignores_key_order() {
        let e = full();
        assert_eq!(e.canonical_bytes(), e.clone().canonical_bytes());
        let mut a = serde_json::Map::new();
        a.insert("z".into(), 1.into());
        a.insert("a".into(), serde_json::json!({ "y": true, "b": null }));
        let mut b = serde_json::Map::new();
        b.insert("a".into(), serde_json::json!({ "b": null, "y": true }));
        b.insert("z".into(), 1.into());
        let ea = e.clone().details(a.into());
        let eb = e.details(b.into());
        assert_eq!(ea.canonical_bytes(), eb.canonical_bytes());
    }

    type Mutation = Box<dyn Fn(&mut AuditEvent)>;

    #[test]
    fn changes_when_any_field_changes() {
        let base = full();
        let base_bytes = base.canonical_bytes();
        let mutations: Vec<(&str, Mutation)> = vec![
            ("id", Box::new(|e| e.id = AuditEventId::new())),
            ("at", Box::new(|e| e.at += Duration::microseconds(1))),
            (
                "actor_id changed",
                Box::new(|e| e.actor_id = Some(uuid::Uuid::now_v7())),
            ),
            ("actor_id removed", Box::new(|e| e.actor_id = None)),
            (
                "action",
                Box::new(|e| e.action = AuditAction::LoginSucceeded),
            ),
            (
                "target_type",
                Box::new(|e| e.target_type = Some("session".into())),
            ),
            ("target_type removed", Box::new(|e| e.target_type = None)),
            ("target_id", Box::new(|e| e.target_id = Some("u-2".into()))),
            ("ip", Box::new(|e| e.ip = Some("198.51.100.5".into()))),
            ("ip removed", Box::new(|e| e.ip = None)),
            ("ip empty", Box::new(|e| e.ip = Some(String::new()))),
            (
                "user_agent",
                Box::new(|e| e.user_agent = Some("curl/9".into())),
            ),
            (
                "request_id",
                Box::new(|e| e.request_id = Some("req-2".into())),
            ),
            ("details value", Box::new(|e| e.details["n"] = 2.into())),
            ("details key", Box::new(|e| e.details["extra"] = "x".into())),
            ("details type", Box::new(|e| e.details["n"] = "1".into())),
            (
                "org_id added",
                Box::new(|e| e.org_id = Some(uuid::Uuid::now_v7())),
            ),
        ];
        for (what, mutate) in mutations {
            let mut e = base.clone();
            mutate(&mut e);
            assert_ne!(
                e.canonical_bytes(),
                base_bytes,
                "changing {what} must change the canonical bytes"
            );
        }
    }

    #[test]
    fn an_entry_without_an_organization_keeps_the_ten_field_form() {
        let e = full();
        let mut expected = b"plinth.audit.v1".to_vec();
        let id = e.id.to_string();
        let actor = e.actor_id.map(|a| a.to_string());
        let fields: [Option<&str>; 10] = [
            Some(&id),
            Some("2026-03-01T12:00:00.123456Z"),
            actor.as_deref(),
            Some("auth.login_failed"),
            Some("user"),
            Some("u-1"),
            Some("198.51.100.4"),
            Some("curl/8"),
            Some("req-1"),
            Some(r#"{"n":1,"reason":"unknown_email"}"#),
        ];
        for field in fields {
            match field {
                None => expected.push(0),
                Some(s) => {
                    expected.push(1);
                    expected.extend_from_slice(&(s.len() as u64).to_be_bytes());
                    expected.extend_from_slice(s.as_bytes());
                }
            }
        }
        assert_eq!(
            e.canonical_bytes(),
            expected,
            "the bytes of every earlier entry"
        );
        let org = uuid::Uuid::now_v7();
        let filed = e.org(org).canonical_bytes();
        assert!(filed.starts_with(&expected) && filed.len() > expected.len());
        assert!(filed.ends_with(org.to_string().as_bytes()));
    }

    #[test]
    fn field_boundaries_cannot_be_shifted() {
        let mut a = full();
        a.ip = Some("ab".into());
        a.user_agent = Some("c".into());
        let mut b = a.clone();
        b.ip = Some("a".into());
        b.user_agent = Some("bc".into());
        assert_ne!(a.canonical_bytes(), b.canonical_bytes());
    }

    #[test]
    fn time_is_kept_to_the_microsecond() {
        let e = full();
        let mut finer = e.clone();
        finer.at += Duration::nanoseconds(999);
        assert_eq!(
            e.canonical_bytes(),
            finer.canonical_bytes(),
            "below a microsecond is not stored by PostgreSQL"
        );
    }
}
