//! Security headers stamped on every response, errors and 404s included (by the request-id
//! middleware, which sees every answer, even those of failed middleware; the few answers
//! actix's HTTP/1 dispatcher writes itself get them from [`Stamped`]).

use actix_web::http::header::{
    CACHE_CONTROL, CONTENT_SECURITY_POLICY, HeaderMap, HeaderValue, REFERRER_POLICY,
    STRICT_TRANSPORT_SECURITY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS,
};

mod bare_answers;
pub(crate) use bare_answers::{Connection, Stamped, header_lines};

/// The CSP of everything but the documentation: nothing may frame an API answer.
pub(crate) const API_CSP: &str = "frame-ancestors 'none'";

/// The CSP of `/docs/…`: what the bundled Swagger UI needs to work offline and nothing more.
/// Its `index.html` loads only its own scripts (no inline script), React sets inline styles,
/// and `swagger-ui.css` embeds `data:` images; the document is fetched from this origin.
pub(crate) const DOCS_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
     img-src 'self' data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Two years, subdomains included.
pub(crate) const HSTS: &str = "max-age=63072000; includeSubDomains";

/// Adds the security headers for a response to a request on `path`. A `Cache-Control` or
/// `Content-Security-Policy` a route chose itself (file downloads) is kept.
pub(crate) fn apply(headers: &mut HeaderMap, path: &str, hsts: bool) {
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !headers.contains_key(CONTENT_SECURITY_POLICY) {
        let csp = if is_docs(path) { DOCS_CSP } else { API_CSP };
        headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(csp));
    }
    if is_api(path) && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if hsts {
        headers.insert(STRICT_TRANSPORT_SECURITY, HeaderValue::from_static(HSTS));
    }
}

fn is_docs(path: &str) -> bool {
    path == "/docs" || path.starts_with("/docs/")
}

fn is_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn docs_get_their_own_policy_and_api_answers_are_not_stored() {
        let mut docs = HeaderMap::new();
        apply(&mut docs, "/docs/index.css", false);
        assert_eq!(docs.get(CONTENT_SECURITY_POLICY).unwrap(), DOCS_CSP);
        assert!(!docs.contains_key(CACHE_CONTROL));
        assert!(!docs.contains_key(STRICT_TRANSPORT_SECURITY));

        let mut api = HeaderMap::new();
        api.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-cache"));
        apply(&mut api, "/api/v1/files/1/content", true);
        assert_eq!(api.get(CONTENT_SECURITY_POLICY).unwrap(), API_CSP);
        assert_eq!(api.get(CACHE_CONTROL).unwrap(), "private, no-cache");
        assert_eq!(api.get(STRICT_TRANSPORT_SECURITY).unwrap(), HSTS);

        let mut other = HeaderMap::new();
        apply(&mut other, "/apiary", false);
        assert!(!other.contains_key(CACHE_CONTROL));
        assert_eq!(other.get(X_FRAME_OPTIONS).unwrap(), "DENY");
    }
}
