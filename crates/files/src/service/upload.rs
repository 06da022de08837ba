//! The pieces of an upload: file-name sanitising, the metering stream wrapper (size limit,
//! SHA-256, first bytes for sniffing) and content-type sniffing.

use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};

use bytes::Bytes;
use futures::Stream;
use sha2::{Digest, Sha256};

use crate::service::sniff::{self, Utf8Check};
use crate::{ByteStream, FileError};

/// The longest stored file name, in characters.
pub(crate) const MAX_NAME_CHARS: usize = 255;
/// How many leading bytes are kept for content sniffing.
pub(crate) const SNIFF_BYTES: usize = 8 * 1024;
/// Extensions longer than this are not kept whole when a long name is shortened.
const MAX_KEPT_EXTENSION_CHARS: usize = 16;

/// Turns a client-supplied file name into a safe display name: only the last path component
/// (for both `/` and `\`), no control, bidirectional-override or quote characters, trimmed,
/// at most [`MAX_NAME_CHARS`] characters (keeping the extension when it has to shorten).
pub(crate) fn sanitise_file_name(raw: &str) -> Result<String, FileError> {
    let last = raw.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last.chars().filter(|c| !is_unwanted(*c)).collect();
    let trimmed = cleaned.trim();
    if trimmed.is_empty() || trimmed == "." || trimmed == ".." {
        return Err(FileError::InvalidUpload("file name is required".to_owned()));
    }
    if trimmed.chars().count() <= MAX_NAME_CHARS {
        return Ok(trimmed.to_owned());
    }
    let (stem, ext) = match trimmed.rsplit_once('.') {
        Some((stem, ext))
            if !stem.is_empty() && ext.chars().count() <= MAX_KEPT_EXTENSION_CHARS =>
        {
            (stem, Some(ext))
        }
        _ => (trimmed, None),
    };
    let ext_chars = ext.map_or(0, |e| e.chars().count() + 1);
    let stem: String = stem.chars().take(MAX_NAME_CHARS - ext_chars).collect();
    let stem = stem.trim_end();
    Ok(match ext {
        Some(ext) => format!("{stem}.{ext}"),
        None => stem.to_owned(),
    })
}

fn is_unwanted(c: char) -> bool {
    c.is_control()
        || matches!(c, '"' | '\'' | '`')
        // Bidirectional overrides and isolates: they let `evil\u{202E}txt.exe` pose as `.txt`.
        || matches!(c, '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        // Other invisible format characters (Arabic letter mark, zero-width space and joiners,
        // word joiner and invisible operators, byte-order mark, soft hyphen, Mongolian vowel
        // separator): a name must look like what it is.
        || matches!(c, '\u{061C}' | '\u{00AD}' | '\u{180E}' | '\u{200B}'..='\u{200D}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}')
}

/// The lower-case text after the last dot of a sanitised name (`""` when there is none).
pub(crate) fn extension_of(name: &str) -> String {
    name.rsplit_once('.')
        .map(|(_, ext)| ext.to_lowercase())
        .unwrap_or_default()
}

/// What the metering stream saw; shared between the stream (owned by the blob store while it
/// uploads) and the service.
pub(crate) struct UploadMeter {
    /// Bytes seen so far.
    pub(crate) bytes: u64,
    /// Running SHA-256 of the bytes seen.
    hasher: Sha256,
    /// The first up to [`SNIFF_BYTES`] bytes.
    pub(crate) head: Vec<u8>,
    /// Whether the limit was passed (the stream then failed).
    pub(crate) limit_hit: bool,
    /// Why the content was refused (the stream then failed): the extension and the MIME type
    /// the content was detected as.
    pub(crate) mismatch: Option<(String, String)>,
}

impl UploadMeter {
    /// The lower-case hex SHA-256 of everything seen.
    pub(crate) fn sha256_hex(&self) -> String {
        hex::encode(self.hasher.clone().finalize())
    }
}

/// Shared handle on an [`UploadMeter`].
pub(crate) type SharedMeter = Arc<Mutex<UploadMeter>>;

/// Wraps `body` so that it counts, hashes and keeps the head of what passes through, and fails
/// with an I/O error as soon as more than `limit` bytes have been seen, or as soon as the
/// content disagrees with `extension` (checked on the first [`SNIFF_BYTES`] bytes, or all of
/// them if fewer; text extensions also on every byte). After an error it ends, so nothing more
/// is pulled from the client.
pub(crate) fn metered(body: ByteStream, limit: u64, extension: &str) -> (ByteStream, SharedMeter) {
    let meter = Arc::new(Mutex::new(UploadMeter {
        bytes: 0,
        hasher: Sha256::new(),
        head: Vec::new(),
        limit_hit: false,
        mismatch: None,
    }));
    let stream = MeteredStream {
        inner: body,
        meter: Arc::clone(&meter),
        limit,
        extension: extension.to_owned(),
        head_checked: false,
        text: sniff::is_text_extension(extension).then(Utf8Check::default),
        done: false,
    };
    (Box::pin(stream), meter)
}

struct MeteredStream {
    inner: ByteStream,
    meter: SharedMeter,
    limit: u64,
    extension: String,
    head_checked: bool,
    /// Set for text extensions.
    text: Option<Utf8Check>,
    done: bool,
}

impl MeteredStream {
    /// Records a type mismatch and ends the stream with an error.
    fn refuse(&mut self, meter: &mut UploadMeter, detected: String) -> Option<std::io::Error> {
        self.done = true;
        let message = format!(
            "content detected as {detected} does not match the extension {:?}",
            self.extension
        );
        meter.mismatch = Some((self.extension.clone(), detected));
        Some(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            message,
        ))
    }

    /// Runs the head check once, when `complete` (enough bytes, or the end of the body).
    fn check_head(&mut self, meter: &mut UploadMeter, complete: bool) -> Option<std::io::Error> {
        if self.head_checked || !complete {
            return None;
        }
        self.head_checked = true;
        match sniff::check_head(&meter.head, &self.extension) {
            Ok(()) => None,
            Err(detected) => self.refuse(meter, detected),
        }
    }

    /// At the end of the body: the head check if not yet done, and a whole last character.
    fn finish(&mut self) -> Option<std::io::Error> {
        let meter = Arc::clone(&self.meter);
        let mut meter = meter.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(e) = self.check_head(&mut meter, true) {
            return Some(e);
        }
        if self.text.as_ref().is_some_and(|t| !t.finish()) {
            return self.refuse(&mut meter, "application/octet-stream".to_owned());
        }
        None
    }
}

impl Stream for MeteredStream {
    type Item = Result<Bytes, std::io::Error>;

    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Self::Item>> {
        if self.done {
            return Poll::Ready(None);
        }
        let item = match self.inner.as_mut().poll_next(cx) {
            Poll::Pending => return Poll::Pending,
            Poll::Ready(None) => {
                self.done = true;
                return Poll::Ready(self.finish().map(Err));
            }
            Poll::Ready(Some(Err(e))) => {
                self.done = true;
                return Poll::Ready(Some(Err(e)));
            }
            Poll::Ready(Some(Ok(chunk))) => chunk,
        };
        let limit = self.limit;
        let shared = Arc::clone(&self.meter);
        let mut meter = shared.lock().unwrap_or_else(PoisonError::into_inner);
        meter.bytes = meter.bytes.saturating_add(item.len() as u64);
        if meter.bytes > limit {
            meter.limit_hit = true;
            drop(meter);
            self.done = true;
            return Poll::Ready(Some(Err(std::io::Error::new(
                std::io::ErrorKind::FileTooLarge,
                format!("upload is larger than the limit of {limit} bytes"),
            ))));
        }
        meter.hasher.update(&item);
        let room = SNIFF_BYTES.saturating_sub(meter.head.len());
        if room > 0 {
            let take = room.min(item.len());
            meter.head.extend_from_slice(&item[..take]);
        }
        let complete = meter.head.len() >= SNIFF_BYTES;
        if let Some(e) = self.check_head(&mut meter, complete) {
            return Poll::Ready(Some(Err(e)));
        }
        if self.text.as_mut().is_some_and(|t| !t.feed(&item)) {
            let detected = infer::get(&meter.head)
                .map_or("application/octet-stream", |k| k.mime_type())
                .to_owned();
            let e = self.refuse(&mut meter, detected);
            return Poll::Ready(e.map(Err));
        }
        drop(meter);
        Poll::Ready(Some(Ok(item)))
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    #[test]
    fn keeps_only_the_last_path_component() {
        assert_eq!(
            sanitise_file_name("../../etc/passwd.txt").unwrap(),
            "passwd.txt"
        );
        assert_eq!(
            sanitise_file_name(r"C:\Users\bob\report.pdf").unwrap(),
            "report.pdf"
        );
        assert_eq!(sanitise_file_name(r"a/b\c/d\e.png").unwrap(), "e.png");
    }

    #[test]
    fn drops_controls_quotes_and_bidi_overrides_and_trims() {
        assert_eq!(
            sanitise_file_name("  \"my\u{0}\nfile'\u{202E}.txt\"  ").unwrap(),
            "myfile.txt"
        );
    }

    #[test]
    fn drops_invisible_format_characters() {
        assert_eq!(
            sanitise_file_name("in\u{200B}voice\u{FEFF}\u{061C}.p\u{200D}df\u{2060}\u{00AD}")
                .unwrap(),
            "invoice.pdf"
        );
    }

    #[test]
    fn refuses_names_that_end_up_empty() {
        for raw in ["", "   ", "dir/", "a\\", "\"\"", "\u{1}\u{2}", "..", "x/."] {
            assert!(
                matches!(sanitise_file_name(raw), Err(FileError::InvalidUpload(m)) if m == "file name is required"),
                "{raw:?} should be refused"
            );
        }
    }

    #[test]
    fn shortens_long_names_to_255_characters_keeping_the_extension() {
        let name = sanitise_file_name(&format!("{}.txt", "é".repeat(400))).unwrap();
        assert_eq!(name.chars().count(), 255);
        assert!(name.ends_with("é.txt"));
        let no_ext = sanitise_file_name(&"x".repeat(300)).unwrap();
        assert_eq!(no_ext.chars().count(), 255);
    }

    #[test]
    fn extension_is_lower_case_text_after_the_last_dot() {
        assert_eq!(extension_of("Photo.Final.JPG"), "jpg");
        assert_eq!(extension_of("README"), "");
        assert_eq!(extension_of("archive.tar.gz"), "gz");
    }

    #[tokio::test]
    async fn meter_counts_hashes_keeps_head_and_stops_after_the_limit() {
        let chunks: Vec<Result<Bytes, std::io::Error>> =
            (0..5).map(|_| Ok(Bytes::from(vec![7u8; 4096]))).collect();
        let (mut stream, meter) = metered(Box::pin(futures::stream::iter(chunks)), 10_000, "bin");
        assert!(stream.next().await.unwrap().is_ok());
        assert!(stream.next().await.unwrap().is_ok());
        let err = stream.next().await.unwrap().unwrap_err();
        assert_eq!(err.kind(), std::io::ErrorKind::FileTooLarge);
        assert!(
            stream.next().await.is_none(),
            "nothing is pulled after the limit"
        );
        let m = meter.lock().unwrap();
        assert!(m.limit_hit);
        assert_eq!(m.bytes, 3 * 4096);
        assert_eq!(m.head.len(), SNIFF_BYTES);
        assert_eq!(m.sha256_hex(), hex::encode(Sha256::digest(vec![7u8; 8192])));
    }
}
