//! Everything the file service reads from the first bytes of content, in one place: checks of
//! an upload against its declared extension (what `infer` recognises must be a type whose
//! usual extensions include the declared one, and text types must be UTF-8 without NUL bytes,
//! checked over the whole stream, chunk by chunk), the MIME type stored for an upload, and the
//! image type of an avatar.

use crate::FileError;

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

/// The MIME type of content starting with `head`: for a text extension whose content is
/// text, the text type of that extension (so an HTML-looking `.txt` stays `text/plain`); else
/// what `infer` recognises; else `text/plain` when the bytes are UTF-8 text without NUL bytes;
/// else `application/octet-stream`.
pub(crate) fn content_type(head: &[u8], extension: &str) -> String {
    if is_text_extension(extension) && looks_like_text(head) {
        return text_type(extension).to_owned();
    }
    if let Some(kind) = infer::get(head) {
        return kind.mime_type().to_owned();
    }
    if looks_like_text(head) {
        return "text/plain".to_owned();
    }
    "application/octet-stream".to_owned()
}

fn text_type(extension: &str) -> &'static str {
    match extension {
        "csv" => "text/csv",
        "tsv" => "text/tab-separated-values",
        "md" => "text/markdown",
        "json" => "application/json",
        _ => "text/plain",
    }
}

/// UTF-8 without NUL bytes; a multi-byte character cut off by the end of the sniffed window
/// does not count against it.
fn looks_like_text(head: &[u8]) -> bool {
    if head.contains(&0) {
        return false;
    }
    match std::str::from_utf8(head) {
        Ok(_) => true,
        Err(e) => e.error_len().is_none() && head.len() >= super::upload::SNIFF_BYTES,
    }
}

/// Whether `head` starts with the whole signature of the image type `mime`. `infer` is
/// lenient for some (three bytes `GIF` make a GIF to it, so `GIF? no, text` would pass); an
/// avatar must carry the format's full magic.
fn has_full_signature(mime: &str, head: &[u8]) -> bool {
    match mime {
        "image/png" => head.starts_with(b"\x89PNG\r\n\x1a\n"),
        "image/jpeg" => head.starts_with(b"\xff\xd8\xff"),
        "image/gif" => head.starts_with(b"GIF87a") || head.starts_with(b"GIF89a"),
        "image/webp" => {
            head.starts_with(b"RIFF")
                && head.get(8..12) == Some(b"WEBP")
                && head.get(12..15) == Some(b"VP8")
        }
        _ => false,
    }
}

/// The allowed image type of content starting with `head`, or what it was detected as.
pub(crate) fn image_type(head: &[u8]) -> Result<(&'static str, &'static str), FileError> {
    let detected = infer::get(head).map(|kind| kind.mime_type());
    if let Some(found) = detected
        .and_then(|mime| super::avatar::AVATAR_TYPES.iter().find(|(m, _)| *m == mime))
        .filter(|(mime, _)| has_full_signature(mime, head))
    {
        return Ok(*found);
    }
    let detected = match detected {
        Some(mime) if super::avatar::AVATAR_TYPES.iter().any(|(m, _)| *m == mime) => {
            format!("not {mime}: its signature is incomplete")
        }
        Some(mime) => mime.to_owned(),
        None if head.is_empty() => "empty".to_owned(),
        None if std::str::from_utf8(head).is_ok() => "text/plain".to_owned(),
        None => "application/octet-stream".to_owned(),
    };
    Err(FileError::NotAnImage { detected })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sniffs_from_bytes_not_names() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(content_type(png, "png"), "image/png");
        assert_eq!(content_type(b"%PDF-1.7\n", "pdf"), "application/pdf");
        assert_eq!(
            content_type(b"<html><script>x</script>", "txt"),
            "text/plain",
            "text under a text extension is served as that text type"
        );
        assert_eq!(content_type("héllo\n".as_bytes(), "txt"), "text/plain");
        assert_eq!(content_type(b"a,b\n1,2\n", "csv"), "text/csv");
        assert_eq!(
            content_type(b"\xff\xfe\x00\x01binary", "txt"),
            "application/octet-stream"
        );
        assert_eq!(
            content_type(b"text\0with nul", "txt"),
            "application/octet-stream"
        );
    }

    #[test]
    fn a_character_cut_at_the_sniff_window_is_still_text() {
        let mut head = "a"
            .repeat(super::super::upload::SNIFF_BYTES - 1)
            .into_bytes();
        head.push("é".as_bytes()[0]);
        assert_eq!(content_type(&head, "txt"), "text/plain");
    }

    #[test]
    fn image_types_are_sniffed_and_others_named() {
        let png = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
        assert_eq!(image_type(png).unwrap(), ("image/png", "png"));
        assert_eq!(
            image_type(b"\xff\xd8\xff\xe0\0\x10JFIF\0").unwrap(),
            ("image/jpeg", "jpg")
        );
        assert_eq!(
            image_type(b"GIF89a\x01\0\x01\0").unwrap(),
            ("image/gif", "gif")
        );
        assert_eq!(
            image_type(b"RIFF\x1a\0\0\0WEBPVP8L\x0d\0\0\0").unwrap(),
            ("image/webp", "webp")
        );
        let named = |head: &[u8]| match image_type(head) {
            Err(FileError::NotAnImage { detected }) => detected,
            other => panic!("{other:?}"),
        };
        assert_eq!(named(b"hello, I am a png"), "text/plain");
        assert_eq!(named(b"%PDF-1.7\n"), "application/pdf");
        assert_eq!(
            named(b"<svg xmlns=\"http://www.w3.org/2000/svg\"/>"),
            "text/plain"
        );
        assert_eq!(named(b""), "empty");
        assert_eq!(named(b"\x01\x02\xff"), "application/octet-stream");
        // Lenient `infer` signatures are not enough.
        assert_eq!(
            named(b"GIF? no, just text"),
            "not image/gif: its signature is incomplete"
        );
        assert_eq!(
            named(b"\x89PNG but not really"),
            "not image/png: its signature is incomplete"
        );
        assert_eq!(
            named(b"RIFF\x1a\0\0\0WEBPxxxx"),
            "not image/webp: its signature is incomplete"
        );
    }

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
