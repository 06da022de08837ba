//! Content checks of an upload against its declared extension: what `infer` recognises must
//! be a type whose usual extensions include the declared one, and text types must be UTF-8
//! without NUL bytes (checked over the whole stream, chunk by chunk).

/// Extensions whose content must be UTF-8 text without NUL bytes.
const TEXT_EXTENSIONS: &[&str] = &["txt", "csv", "tsv", "md", "log", "json"];

/// What `infer` calls a type (its extension) → the extensions such content usually carries,
/// beyond that one. Office and OpenDocument files are zip archives, OLE containers hold the
/// legacy Office formats.
const ALIASES: &[(&str, &[&str])] = &[
    ("jpg", &["jpeg", "jpe", "jfif"]),
    ("tif", &["tiff"]),
    ("midi", &["mid"]),
    ("mpg", &["mpeg"]),
    ("aiff", &["aif"]),
    ("gz", &["tgz"]),
    ("heif", &["heic"]),
    ("html", &["htm"]),
    ("ogg", &["oga", "ogv"]),
    (
        "zip",
        &[
            "docx", "xlsx", "pptx", "odt", "ods", "odp", "epub", "jar", "apk",
        ],
    ),
    ("docx", &["zip"]),
    ("xlsx", &["zip"]),
    ("pptx", &["zip"]),
    ("odt", &["zip"]),
    ("ods", &["zip"]),
    ("odp", &["zip"]),
    ("epub", &["zip"]),
    ("msi", &["doc", "xls", "ppt", "msg"]),
    ("doc", &["msi"]),
    ("xls", &["msi"]),
    ("ppt", &["msi"]),
];

/// Types `infer` recognises that are text, so fine under a text extension.
const TEXTUAL_DETECTIONS: &[&str] = &["html", "xml", "sh", "pem"];

/// Whether content of `extension` must be UTF-8 text.
pub(crate) fn is_text_extension(extension: &str) -> bool {
    TEXT_EXTENSIONS.contains(&extension)
}

/// Whether content `infer` calls `detected` may carry the name extension `declared`.
fn agrees(detected: &str, declared: &str) -> bool {
    if detected == declared {
        return true;
    }
    if is_text_extension(declared) {
        return TEXTUAL_DETECTIONS.contains(&detected);
    }
    ALIASES
        .iter()
        .any(|(d, exts)| *d == detected && exts.contains(&declared))
}

/// Whether `infer` has a signature for files named `.extension` (so content it does not
/// recognise cannot be such a file). Text formats it sniffs loosely are left out.
fn has_signature(extension: &str) -> bool {
    if TEXTUAL_DETECTIONS.contains(&extension) || extension == "htm" || extension.is_empty() {
        return false;
    }
    infer::is_supported(extension)
        || ALIASES
            .iter()
            .any(|(d, exts)| exts.contains(&extension) && infer::is_supported(d))
}

/// Checks the first bytes of an upload against its declared `extension`. `Err` carries the
/// MIME type the content was detected as.
pub(crate) fn check_head(head: &[u8], extension: &str) -> Result<(), String> {
    match infer::get(head) {
        Some(kind) if agrees(kind.extension(), extension) => Ok(()),
        Some(kind) => Err(kind.mime_type().to_owned()),
        None if has_signature(extension) => Err(if std::str::from_utf8(head).is_ok() {
            "text/plain".to_owned()
        } else {
            "application/octet-stream".to_owned()
        }),
        None => Ok(()),
    }
}

/// A streaming UTF-8 (and no-NUL) validator: feed it every chunk, then [`Utf8Check::finish`].
#[derive(Debug, Default)]
pub(crate) struct Utf8Check {
    /// The start of a character cut by the end of the previous chunk.
    carry: Vec<u8>,
}

impl Utf8Check {
    /// Whether the bytes so far are (the start of) UTF-8 text without NUL bytes.
    pub(crate) fn feed(&mut self, mut chunk: &[u8]) -> bool {
        if chunk.contains(&0) {
            return false;
        }
        if let Some(&lead) = self.carry.first() {
            let width = match lead {
                0xC2..=0xDF => 2,
                0xE0..=0xEF => 3,
                _ => 4,
            };
            let take = (width - self.carry.len()).min(chunk.len());
            self.carry.extend_from_slice(&chunk[..take]);
            chunk = &chunk[take..];
            if self.carry.len() < width {
                return std::str::from_utf8(&self.carry)
                    .err()
                    .is_none_or(|e| e.error_len().is_none());
            }
            if std::str::from_utf8(&self.carry).is_err() {
                return false;
            }
            self.carry.clear();
        }
        match std::str::from_utf8(chunk) {
            Ok(_) => true,
            Err(e) if e.error_len().is_none() => {
                self.carry = chunk[e.valid_up_to()..].to_vec();
                true
            }
            Err(_) => false,
        }
    }

    /// Whether the text ended on a whole character.
    pub(crate) fn finish(&self) -> bool {
        self.carry.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR\0\0\0\x01\0\0\0\x01\x08\x06\0\0\0";
    const ELF: &[u8] = &[
        0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0x3e, 0, 1, 0, 0, 0, 0,
        0, 0, 0, 0, 0, 0, 0, 0x40, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x40,
        0,
    ];
    const PE: &[u8] = b"MZ\x90\0\x03\0\0\0\x04\0\0\0\xff\xff\0\0";
    const ZIP: &[u8] = b"PK\x03\x04\x14\0\0\0\x08\0";

    #[test]
    fn matching_and_aliased_types_pass() {
        assert_eq!(check_head(PNG, "png"), Ok(()));
        assert_eq!(check_head(b"\xff\xd8\xff\xe0\0\x10JFIF\0", "jpeg"), Ok(()));
        assert_eq!(check_head(b"%PDF-1.7\n", "pdf"), Ok(()));
        assert_eq!(check_head(ZIP, "zip"), Ok(()));
        assert_eq!(check_head(ZIP, "docx"), Ok(()), "office files are zips");
        assert_eq!(check_head(b"<?xml version=\"1.0\"?>", "txt"), Ok(()));
        assert_eq!(check_head(b"#!/bin/sh\necho hi\n", "txt"), Ok(()));
        assert_eq!(check_head(b"plain words", "txt"), Ok(()));
        assert_eq!(check_head(b"anything", "unknownext"), Ok(()));
    }

    #[test]
    fn disagreeing_types_are_named() {
        assert_eq!(check_head(PNG, "pdf").unwrap_err(), "image/png");
        assert_eq!(
            check_head(ELF, "txt").unwrap_err(),
            "application/x-executable"
        );
        assert_eq!(
            check_head(PE, "txt").unwrap_err(),
            "application/vnd.microsoft.portable-executable"
        );
        assert_eq!(check_head(ZIP, "png").unwrap_err(), "application/zip");
        assert_eq!(
            check_head(b"%PDF-1.4", "csv").unwrap_err(),
            "application/pdf"
        );
    }

    #[test]
    fn unrecognised_content_under_a_signed_extension_is_refused() {
        assert_eq!(check_head(b"just text", "png").unwrap_err(), "text/plain");
        assert_eq!(
            check_head(b"\x01\x02\x03\xff", "pdf").unwrap_err(),
            "application/octet-stream"
        );
        assert!(check_head(b"", "jpeg").is_err(), "an empty jpeg is no jpeg");
    }

    #[test]
    fn utf8_is_checked_across_chunk_boundaries() {
        let text = "naïve café → ok 🦀".as_bytes();
        for cut in 0..text.len() {
            let mut check = Utf8Check::default();
            assert!(check.feed(&text[..cut]), "cut at {cut}");
            assert!(check.feed(&text[cut..]), "cut at {cut}");
            assert!(check.finish(), "cut at {cut}");
        }
        let mut one_by_one = Utf8Check::default();
        assert!(text.iter().all(|b| one_by_one.feed(&[*b])));
        assert!(one_by_one.finish());
    }

    #[test]
    fn invalid_utf8_nul_and_a_truncated_end_fail() {
        assert!(!Utf8Check::default().feed(b"ab\0cd"));
        assert!(!Utf8Check::default().feed(b"ab\xffcd"));
        let mut split = Utf8Check::default();
        assert!(split.feed(b"ab\xc3"));
        assert!(!split.feed(b"\x28"), "a bad continuation after a cut");
        let mut truncated = Utf8Check::default();
        assert!(truncated.feed("é".as_bytes().get(..1).unwrap()));
        assert!(!truncated.finish());
    }
}
