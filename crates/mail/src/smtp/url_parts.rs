//! Parsing `SMTP_URL` without ever echoing its password.

use super::{SmtpConfigError, SmtpSecurity};

/// The parts of an `SMTP_URL`.
pub(super) struct SmtpUrl {
    pub(super) host: String,
    pub(super) port: u16,
    pub(super) security: SmtpSecurity,
    /// Decoded `(user, password)`.
    pub(super) credentials: Option<(String, String)>,
}

impl SmtpUrl {
    pub(super) fn parse(raw: &str) -> Result<Self, SmtpConfigError> {
        // `url::ParseError` messages describe the problem without quoting the input.
        let url =
            url::Url::parse(raw.trim()).map_err(|e| SmtpConfigError::InvalidUrl(e.to_string()))?;
        let scheme = url.scheme().to_owned();
        let mut tls: Option<String> = None;
        for (key, value) in url.query_pairs() {
            if key == "tls" {
                tls = Some(value.into_owned());
            } else {
                return Err(SmtpConfigError::UnknownParameter(key.into_owned()));
            }
        }
        let security = match (scheme.as_str(), tls.as_deref()) {
            ("smtps", None) => SmtpSecurity::ImplicitTls,
            ("smtp", None | Some("required")) => SmtpSecurity::StartTlsRequired,
            ("smtp", Some("opportunistic")) => SmtpSecurity::StartTlsOpportunistic,
            ("smtp", Some("none")) => SmtpSecurity::None,
            ("smtp" | "smtps", Some(other)) => {
                return Err(SmtpConfigError::UnsupportedTls(other.to_owned()));
            }
            (other, _) => return Err(SmtpConfigError::UnsupportedScheme(other.to_owned())),
        };
        let host = url
            .host_str()
            .filter(|h| !h.is_empty())
            .ok_or(SmtpConfigError::MissingHost)?
            .trim_start_matches('[')
            .trim_end_matches(']')
            .to_owned();
        let port = url.port().unwrap_or(match security {
            SmtpSecurity::ImplicitTls => 465,
            _ => 587,
        });
        let credentials = match (url.username(), url.password()) {
            ("", None) => None,
            ("", Some(_)) => return Err(SmtpConfigError::MalformedCredentials),
            (user, password) => Some((
                percent_decode(user)?,
                percent_decode(password.unwrap_or(""))?,
            )),
        };
        Ok(Self {
            host,
            port,
            security,
            credentials,
        })
    }
}

/// Decodes `%XX` escapes into UTF-8.
fn percent_decode(s: &str) -> Result<String, SmtpConfigError> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = bytes
                .get(i + 1..i + 3)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or(SmtpConfigError::MalformedCredentials)?;
            out.push(hex);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| SmtpConfigError::MalformedCredentials)
}

#[cfg(test)]
mod tests {
    use super::*;

    const PASSWORD: &str = "hunter2-s3cret";

    #[test]
    fn full_urls_are_understood() {
        let u = SmtpUrl::parse(&format!(
            "smtp://mailer%40corp:{PASSWORD}%21@mail.example.com:2525"
        ))
        .unwrap();
        assert_eq!(u.host, "mail.example.com");
        assert_eq!(u.port, 2525);
        assert_eq!(u.security, SmtpSecurity::StartTlsRequired);
        assert_eq!(
            u.credentials,
            Some(("mailer@corp".into(), format!("{PASSWORD}!")))
        );

        let u = SmtpUrl::parse("smtps://u:p@mail.example.com").unwrap();
        assert_eq!((u.port, u.security), (465, SmtpSecurity::ImplicitTls));
        let u = SmtpUrl::parse("smtp://mail.example.com").unwrap();
        assert_eq!((u.port, u.credentials), (587, None));
        let u = SmtpUrl::parse("smtp://127.0.0.1:1025?tls=none").unwrap();
        assert_eq!(u.security, SmtpSecurity::None);
        let u = SmtpUrl::parse("smtp://[::1]:25?tls=opportunistic").unwrap();
        assert_eq!(
            (u.host.as_str(), u.security),
            ("::1", SmtpSecurity::StartTlsOpportunistic)
        );
    }

    #[test]
    fn errors_are_clear_and_never_echo_the_password() {
        let cases = [
            (format!("http://u:{PASSWORD}@host"), "smtp:// or smtps://"),
            (
                format!("smtp://u:{PASSWORD}@host?tls=maybe"),
                "tls parameter",
            ),
            (
                format!("smtps://u:{PASSWORD}@host?tls=none"),
                "tls parameter",
            ),
            (
                format!("smtp://u:{PASSWORD}@host?password={PASSWORD}"),
                "unknown parameter",
            ),
            (
                format!("smtp://:{PASSWORD}@host"),
                "credentials are malformed",
            ),
            (
                format!("smtp://u:{PASSWORD}%ZZ@host"),
                "credentials are malformed",
            ),
            (
                format!("smtp://u:{PASSWORD}%FF@host"),
                "credentials are malformed",
            ),
            (format!("smtp://u:{PASSWORD}@host:99999"), "not a valid URL"),
            (format!("u:{PASSWORD}@host"), "smtp:// or smtps://"),
            (format!("smtp://u:{PASSWORD}@"), "not a valid URL"),
        ];
        for (url, expected) in cases {
            let err = SmtpUrl::parse(&url)
                .err()
                .unwrap_or_else(|| panic!("accepted {url}"));
            let shown = format!("{err} {err:?}");
            assert!(shown.contains(expected), "{url}: {shown}");
            assert!(!shown.contains(PASSWORD), "{url}: {shown}");
        }
    }
}
