//! Download helpers: conditional requests, byte ranges, `Content-Disposition`, and the
//! streamed answer shared by the authenticated and the signed download.

use std::fmt::Write as _;
use std::future::Future;

use actix_web::http::header::{
    ACCEPT_RANGES, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_RANGE, CONTENT_TYPE, ETAG,
    HeaderMap, HeaderValue, IF_NONE_MATCH, IF_RANGE, RANGE, X_CONTENT_TYPE_OPTIONS,
};
use actix_web::{HttpRequest, HttpResponse};
use plinth_files::{ByteRange, ByteStream, FileError, FileObject};

use crate::ApiError;

/// Answers a download of `file` (already authorised, at the version to send): 304 when
/// `If-None-Match` names its ETag, 416 for a range past its end; otherwise `open` streams the
/// content of that version (or the range) and the answer is 200 or 206.
pub(super) async fn stream_file<F, Fut>(
    req: &HttpRequest,
    file: &FileObject,
    open: F,
) -> Result<HttpResponse, ApiError>
where
    F: FnOnce(Option<ByteRange>) -> Fut,
    Fut: Future<Output = Result<(FileObject, ByteStream), FileError>>,
{
    let etag = format!("\"{}\"", file.sha256);
    let headers = req.headers();
    if etag_matches(headers, &file.sha256) {
        return Ok(HttpResponse::NotModified()
            .insert_header((ETAG, etag))
            .insert_header((CACHE_CONTROL, "private, no-cache"))
            .finish());
    }
    let range = match requested_range(headers, file.size, &file.sha256) {
        RangeRequest::Full => None,
        RangeRequest::Partial(range) => Some(range),
        RangeRequest::Unsatisfiable => {
            return Err(ApiError::RangeNotSatisfiable { size: file.size });
        }
    };
    let (file, stream) = open(range).await?;
    let content_type = HeaderValue::from_str(&file.content_type)
        .unwrap_or(HeaderValue::from_static("application/octet-stream"));
    let mut res = match range {
        Some(ByteRange { start, end }) => {
            let mut res = HttpResponse::PartialContent();
            res.insert_header((CONTENT_RANGE, format!("bytes {start}-{end}/{}", file.size)));
            res
        }
        None => HttpResponse::Ok(),
    };
    let length = range.map_or(file.size, |r| r.end - r.start + 1);
    Ok(res
        .insert_header((CONTENT_TYPE, content_type))
        .insert_header((ETAG, format!("\"{}\"", file.sha256)))
        .insert_header((ACCEPT_RANGES, "bytes"))
        .insert_header((CONTENT_DISPOSITION, content_disposition(&file.name)))
        .insert_header((X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((CACHE_CONTROL, "private, no-cache"))
        .body(actix_web::body::SizedStream::new(length, stream)))
}

/// What the `Range` header asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum RangeRequest {
    /// No (usable) range: send everything with 200.
    Full,
    /// One satisfiable range: 206.
    Partial(ByteRange),
    /// A range starting past the end: 416.
    Unsatisfiable,
}

/// Whether `If-None-Match` names the current ETag (`"<sha256>"`, weak or strong, or `*`).
fn etag_matches(headers: &HeaderMap, sha256: &str) -> bool {
    headers
        .get_all(IF_NONE_MATCH)
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(str::trim)
        .any(|tag| tag == "*" || tag.trim_start_matches("W/").trim_matches('"') == sha256)
}

/// The range to serve for a file of `size` bytes. Per RFC 9110 a malformed `Range`, a
/// multi-range request or a stale `If-Range` is ignored (the whole file is sent).
fn requested_range(headers: &HeaderMap, size: u64, sha256: &str) -> RangeRequest {
    let Some(raw) = headers.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return RangeRequest::Full;
    };
    if let Some(if_range) = headers.get(IF_RANGE).and_then(|v| v.to_str().ok())
        && (if_range.starts_with("W/") || if_range.trim().trim_matches('"') != sha256)
    {
        return RangeRequest::Full;
    }
    parse_range(raw, size)
}

fn parse_range(raw: &str, size: u64) -> RangeRequest {
    let Some((unit, spec)) = raw.trim().split_once('=') else {
        return RangeRequest::Full;
    };
    if !unit.trim().eq_ignore_ascii_case("bytes") || spec.contains(',') {
        return RangeRequest::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeRequest::Full;
    };
    let number = |s: &str| {
        if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
            None
        } else {
            s.parse::<u64>().ok()
        }
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            None => RangeRequest::Full,
            Some(0) => RangeRequest::Unsatisfiable,
            Some(_) if size == 0 => RangeRequest::Unsatisfiable,
            Some(n) => RangeRequest::Partial(ByteRange {
                start: size.saturating_sub(n),
                end: size - 1,
            }),
        },
        (start, "") => match number(start) {
            None => RangeRequest::Full,
            Some(start) if start >= size => RangeRequest::Unsatisfiable,
            Some(start) => RangeRequest::Partial(ByteRange {
                start,
                end: size - 1,
            }),
        },
        (start, end) => match (number(start), number(end)) {
            (Some(start), Some(end)) if start <= end => {
                if start >= size {
                    RangeRequest::Unsatisfiable
                } else {
                    RangeRequest::Partial(ByteRange {
                        start,
                        end: end.min(size - 1),
                    })
                }
            }
            _ => RangeRequest::Full,
        },
    }
}

/// `attachment; filename="<ascii-safe>"; filename*=UTF-8''<percent-encoded>` (RFC 6266).
fn content_disposition(name: &str) -> String {
    let ascii: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && c != '"' && c != '\\' {
                c
            } else {
                '_'
            }
        })
        .collect();
    let mut encoded = String::with_capacity(name.len() * 3);
    for b in name.bytes() {
        if b.is_ascii_alphanumeric() || b"!#$&+-.^_`|~".contains(&b) {
            encoded.push(char::from(b));
        } else {
            let _ = write!(encoded, "%{b:02X}");
        }
    }
    format!("attachment; filename=\"{ascii}\"; filename*=UTF-8''{encoded}")
}

#[cfg(test)]
mod tests {
    use actix_web::http::header::HeaderValue;

    use super::*;

    fn range(raw: &str, size: u64) -> RangeRequest {
        parse_range(raw, size)
    }

    fn part(start: u64, end: u64) -> RangeRequest {
        RangeRequest::Partial(ByteRange { start, end })
    }

    #[test]
    fn ranges_follow_rfc_9110() {
        assert_eq!(range("bytes=0-4", 10), part(0, 4));
        assert_eq!(range("bytes=5-", 10), part(5, 9));
        assert_eq!(range("bytes=-3", 10), part(7, 9));
        assert_eq!(range("bytes=-30", 10), part(0, 9));
        assert_eq!(range("bytes=8-100", 10), part(8, 9));
        assert_eq!(range("bytes=10-", 10), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=10-12", 10), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=-0", 10), RangeRequest::Unsatisfiable);
        assert_eq!(range("bytes=0-", 0), RangeRequest::Unsatisfiable);
    }

    #[test]
    fn malformed_or_multiple_ranges_are_ignored() {
        for raw in [
            "bytes=4-2",
            "bytes=a-b",
            "items=0-1",
            "bytes=0-1,3-4",
            "bytes",
            "bytes=+1-2",
        ] {
            assert_eq!(range(raw, 10), RangeRequest::Full, "{raw}");
        }
    }

    #[test]
    fn stale_if_range_sends_everything() {
        let mut headers = HeaderMap::new();
        headers.insert(RANGE, HeaderValue::from_static("bytes=0-1"));
        headers.insert(IF_RANGE, HeaderValue::from_static("\"other\""));
        assert_eq!(requested_range(&headers, 10, "abc"), RangeRequest::Full);
        headers.insert(IF_RANGE, HeaderValue::from_static("\"abc\""));
        assert_eq!(requested_range(&headers, 10, "abc"), part(0, 1));
    }

    #[test]
    fn if_none_match_accepts_lists_weak_tags_and_star() {
        let mut headers = HeaderMap::new();
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("\"x\", W/\"abc\""));
        assert!(etag_matches(&headers, "abc"));
        assert!(!etag_matches(&headers, "abd"));
        headers.insert(IF_NONE_MATCH, HeaderValue::from_static("*"));
        assert!(etag_matches(&headers, "anything"));
    }

    #[test]
    fn disposition_is_safe_for_any_name() {
        assert_eq!(
            content_disposition("résumé \"final\".pdf"),
            "attachment; filename=\"r_sum_ _final_.pdf\"; filename*=UTF-8''r%C3%A9sum%C3%A9%20%22final%22.pdf"
        );
        assert!(!content_disposition("a\r\nb").contains('\n'));
    }
}
