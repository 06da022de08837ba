//! Who asked, from where: recorded on every audit entry.

/// Metadata about the request that caused a change. Every field is optional because changes
/// can also come from the CLI or a background job.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RequestMeta {
    /// The client IP address as the API determined it (peer, or trusted proxy header).
    pub ip: Option<String>,
    /// The `User-Agent` header, truncated by the API to a sane length.
    pub user_agent: Option<String>,
    /// The request id echoed in `X-Request-Id`.
    pub request_id: Option<String>,
}

impl RequestMeta {
    /// Metadata for changes made from the command line.
    #[must_use]
    pub fn cli() -> Self {
        Self {
            ip: None,
            user_agent: Some("plinth-cli".to_owned()),
            request_id: None,
        }
    }
}
