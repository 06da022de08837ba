//! Database URLs: which backend, SQLite path normalisation, and password redaction.

use std::path::PathBuf;

use crate::StoreError;

/// A database URL understood by this build.
#[derive(Clone)]
pub(crate) struct DatabaseUrl {
    /// The URL handed to the driver (may contain a password: never print it).
    pub(crate) url: String,
    /// The URL with any password replaced by `***`, for messages.
    pub(crate) redacted: String,
    /// Secrets that must never appear in a message (the password, raw and decoded).
    secrets: Vec<String>,
    /// The folder to create for a SQLite file, when it has one.
    pub(crate) sqlite_dir: Option<PathBuf>,
    /// Whether this is SQLite (else PostgreSQL).
    pub(crate) sqlite: bool,
}

impl DatabaseUrl {
    /// Parses `sqlite:…` and `postgres://…` / `postgresql://…` URLs. A SQLite URL without a
    /// `mode=` gets `mode=rwc` (create the file when missing).
    pub(crate) fn parse(raw: &str) -> Result<Self, StoreError> {
        let raw = raw.trim();
        let redacted = redact(raw);
        let invalid = |reason: &str| StoreError::InvalidUrl {
            url: redacted.clone(),
            reason: reason.to_owned(),
        };
        if let Some(rest) = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
        {
            let (path, query) = rest.split_once('?').unwrap_or((rest, ""));
            if path.is_empty() {
                return Err(invalid(
                    "the SQLite URL names no file; use sqlite://path/to/file.db",
                ));
            }
            let memory = path == ":memory:" || query.split('&').any(|p| p == "mode=memory");
            let query = if query.split('&').any(|p| p.starts_with("mode=")) {
                query.to_owned()
            } else if query.is_empty() {
                "mode=rwc".to_owned()
            } else {
                format!("{query}&mode=rwc")
            };
            let sqlite_dir = if memory {
                None
            } else {
                PathBuf::from(path)
                    .parent()
                    .filter(|p| !p.as_os_str().is_empty())
                    .map(PathBuf::from)
            };
            let url = format!("sqlite://{path}?{query}");
            return Ok(Self {
                redacted: url.clone(),
                url,
                secrets: Vec::new(),
                sqlite_dir,
                sqlite: true,
            });
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = url::Url::parse(raw).map_err(|e| invalid(&e.to_string()))?;
            let mut secrets = Vec::new();
            let passwords = parsed.password().map(str::to_owned).into_iter().chain(
                parsed
                    .query_pairs()
                    .filter(|(k, _)| k == "password")
                    .map(|(_, v)| v.into_owned()),
            );
            for password in passwords.filter(|p| !p.is_empty()) {
                secrets.push(percent_decode(&password));
                secrets.push(password);
            }
            return Ok(Self {
                url: raw.to_owned(),
                redacted,
                secrets,
                sqlite_dir: None,
                sqlite: false,
            });
        }
        Err(invalid(
            "unsupported scheme; use sqlite://path/to/file.db or postgres://user@host/db",
        ))
    }

    /// Removes every secret of this URL from a driver message.
    pub(crate) fn scrub(&self, message: &str) -> String {
        let mut out = message.to_owned();
        for secret in &self.secrets {
            out = out.replace(secret.as_str(), "***");
        }
        out.replace(&self.url, &self.redacted)
    }
}

/// Replaces the password of `scheme://user:password@host` and any `password=` query
/// parameter with `***`. Works on strings that are not valid URLs too.
pub(crate) fn redact(raw: &str) -> String {
    let Some(scheme_end) = raw.find("://").map(|i| i + 3) else {
        return redact_query(raw);
    };
    let after = &raw[scheme_end..];
    let authority_len = after.find(['/', '?', '#']).unwrap_or(after.len());
    let authority = &after[..authority_len];
    let out = match authority.rfind('@') {
        Some(at) => match authority[..at].find(':') {
            Some(colon) => format!(
                "{}{}:***{}",
                &raw[..scheme_end],
                &authority[..colon],
                &after[at..]
            ),
            None => raw.to_owned(),
        },
        None => raw.to_owned(),
    };
    redact_query(&out)
}

fn redact_query(raw: &str) -> String {
    let Some((base, query)) = raw.split_once('?') else {
        return raw.to_owned();
    };
    let query: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{base}?{}", query.join("&"))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_get_create_mode_and_a_folder() {
        let u = DatabaseUrl::parse("sqlite://data/plinth.db").unwrap();
        assert!(u.sqlite);
        assert_eq!(u.url, "sqlite://data/plinth.db?mode=rwc");
        assert_eq!(u.sqlite_dir, Some(PathBuf::from("data")));
        let u = DatabaseUrl::parse("sqlite:///var/lib/plinth/db.sqlite?mode=rwc").unwrap();
        assert_eq!(u.url, "sqlite:///var/lib/plinth/db.sqlite?mode=rwc");
        assert_eq!(u.sqlite_dir, Some(PathBuf::from("/var/lib/plinth")));
        let u = DatabaseUrl::parse("sqlite:plinth.db?cache=shared").unwrap();
        assert_eq!(u.url, "sqlite://plinth.db?cache=shared&mode=rwc");
        assert_eq!(u.sqlite_dir, None);
        assert_eq!(
            DatabaseUrl::parse("sqlite::memory:").unwrap().sqlite_dir,
            None
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
    }

    #[test]
    fn passwords_never_show() {
        let u =
            DatabaseUrl::parse("postgres://app:pa%40ss@db.internal:5432/plinth?sslmode=require")
                .unwrap();
        assert!(!u.sqlite);
        assert_eq!(
            u.redacted,
            "postgres://app:***@db.internal:5432/plinth?sslmode=require"
        );
        assert_eq!(
            u.scrub("auth failed for pa@ss and pa%40ss"),
            "auth failed for *** and ***"
        );
        let q = DatabaseUrl::parse("postgresql://app@h/db?password=hunter22").unwrap();
        assert_eq!(q.redacted, "postgresql://app@h/db?password=***");
        assert_eq!(q.scrub("x hunter22 y"), "x *** y");
        let err = DatabaseUrl::parse("mysql://root:topsecret@h/db")
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
        assert!(err.contains("unsupported scheme"), "{err}");
        let err = DatabaseUrl::parse("postgres://u:topsecret@[bad/db")
            .err()
            .unwrap()
            .to_string();
        assert!(!err.contains("topsecret"), "{err}");
    }
}
