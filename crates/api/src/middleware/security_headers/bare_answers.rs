//! The answers actix's HTTP/1 dispatcher writes on its own, before any middleware runs: 400
//! for a malformed request head, 408 for a head not sent in time, 431 for a head too large.
//! Each is an empty-bodied head and the last thing written on its connection. The connection
//! is wrapped in [`Stamped`], which recognises such a head on its way out and adds the
//! security headers that every answer of the application already carries.
//!
//! A write is looked at only where it must begin with a response head: the first write of the
//! connection, or a write after request bytes arrived while no answer of the application was
//! being prepared ([`Connection`], kept up to date by the request-id middleware). Any other
//! write may be a slice of a body (a stored file may well contain a bare 400 head) and goes out
//! untouched. What is left out: a client that pipelines a broken request behind a good one can
//! get the bare answer in the same write as the good one's end (browsers do not pipeline), and
//! a body slice that is byte for byte a bare head, written while such a client pipelines, would
//! be stamped. The application's own 400s already carry `x-content-type-options` and are never
//! rewritten.

use std::io;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::task::{Context, Poll, ready};

use bytes::Bytes;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

/// The longest head the dispatcher writes for these answers (status line, `content-length`,
/// `connection`, `date`) is about 120 bytes.
const MAX_BARE_HEAD: usize = 512;

/// What the application tells a connection's [`Stamped`] (through the request-id middleware,
/// which finds it in the connection data): whether one of its answers is being prepared.
#[derive(Debug, Default)]
pub(crate) struct Connection {
    /// Requests the application is answering.
    answering: AtomicUsize,
    /// Request bytes arrived while it answered none: the dispatcher may answer them itself.
    heard: AtomicBool,
    /// Wakes a graceful stop waiting for the arriving request to start (see
    /// [`Connection::started`]).
    start: tokio::sync::Notify,
}

impl Connection {
    /// The application starts answering a request: until it is done, writes are its own.
    /// The returned guard says it is done when dropped, on every path.
    pub(crate) fn answering(self: &Arc<Self>) -> Answering {
        self.answering.fetch_add(1, Ordering::Relaxed);
        self.heard.store(false, Ordering::Relaxed);
        self.start.notify_waiters();
        Answering(Arc::clone(self))
    }

    /// Returns once no request is arriving ([`Connection::request_arriving`]): at once, or
    /// when the application starts answering the one that was.
    pub(crate) async fn started(&self) {
        loop {
            let start = self.start.notified();
            tokio::pin!(start);
            start.as_mut().enable();
            if !self.request_arriving() {
                return;
            }
            start.await;
        }
    }

    fn heard_bytes(&self) {
        if self.answering.load(Ordering::Relaxed) == 0 {
            self.heard.store(true, Ordering::Relaxed);
        }
    }

    /// Whether the next write, if a bare error head, is the dispatcher's answer.
    fn dispatcher_may_answer(&self) -> bool {
        self.request_arriving()
    }

    /// Whether request bytes arrived that no answer of the application has started on yet: a
    /// request on its way in (its head still arriving or being decoded). A graceful stop
    /// waits for it to start before telling the connection to drain, which would drop it.
    pub(crate) fn request_arriving(&self) -> bool {
        self.answering.load(Ordering::Relaxed) == 0 && self.heard.load(Ordering::Relaxed)
    }
}

/// Held while the application answers a request (see [`Connection::answering`]).
#[derive(Debug)]
pub(crate) struct Answering(Arc<Connection>);

impl Drop for Answering {
    fn drop(&mut self) {
        self.0.answering.fetch_sub(1, Ordering::Relaxed);
        self.0.heard.store(false, Ordering::Relaxed);
    }
}

/// A connection whose dispatcher-made answers get `lines` (the security headers, each ending
/// in CRLF) before their blank line.
pub(crate) struct Stamped<T> {
    io: T,
    lines: Bytes,
    connection: Arc<Connection>,
    /// Nothing has been written yet: the next write starts with a response head.
    fresh: bool,
    /// A rewritten head not yet fully written, and how much of it went out.
    unsent: Vec<u8>,
    sent: usize,
}

impl<T> Stamped<T> {
    /// What the application tells this connection (inserted into the connection data).
    pub(crate) fn connection(&self) -> Arc<Connection> {
        Arc::clone(&self.connection)
    }

    pub(crate) fn new(io: T, lines: Bytes) -> Self {
        Self {
            io,
            lines,
            connection: Arc::default(),
            fresh: true,
            unsent: Vec::new(),
            sent: 0,
        }
    }
}

/// The security header lines for the bare answers: the API's own set (they answer no page).
pub(crate) fn header_lines(hsts: bool) -> Bytes {
    let mut lines = format!(
        "x-content-type-options: nosniff\r\nx-frame-options: DENY\r\n\
         referrer-policy: no-referrer\r\ncontent-security-policy: {}\r\n\
         cache-control: no-store\r\n",
        super::API_CSP
    );
    if hsts {
        lines.push_str(&format!("strict-transport-security: {}\r\n", super::HSTS));
    }
    Bytes::from(lines)
}

/// Where the header lines go (just before the final CRLF) when `buf` is exactly one bare
/// dispatcher answer: a 400, 408 or 431 head with `content-length: 0`, no security headers
/// and nothing after its blank line.
fn insertion_point(buf: &[u8]) -> Option<usize> {
    if buf.len() > MAX_BARE_HEAD || !buf.ends_with(b"\r\n\r\n") {
        return None;
    }
    let status = buf
        .strip_prefix(b"HTTP/1.1 ")
        .or_else(|| buf.strip_prefix(b"HTTP/1.0 "))?;
    if ![&b"400 "[..], b"408 ", b"431 "]
        .iter()
        .any(|code| status.starts_with(code))
    {
        return None;
    }
    let head = buf[..buf.len() - 2].to_ascii_lowercase();
    let has = |needle: &[u8]| head.windows(needle.len()).any(|w| w == needle);
    if has(b"\r\n\r\n") || !has(b"\r\ncontent-length: 0\r\n") || has(b"x-content-type-options") {
        return None;
    }
    Some(buf.len() - 2)
}

impl<T: AsyncWrite + Unpin> Stamped<T> {
    /// Writes what is left of a rewritten head.
    fn drain(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        while self.sent < self.unsent.len() {
            let n = ready!(Pin::new(&mut self.io).poll_write(cx, &self.unsent[self.sent..]))?;
            if n == 0 {
                return Poll::Ready(Err(io::ErrorKind::WriteZero.into()));
            }
            self.sent += n;
        }
        self.unsent.clear();
        self.sent = 0;
        Poll::Ready(Ok(()))
    }
}

impl<T: AsyncRead + Unpin> AsyncRead for Stamped<T> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let before = buf.filled().len();
        let read = ready!(Pin::new(&mut this.io).poll_read(cx, buf));
        if buf.filled().len() > before {
            this.connection.heard_bytes();
        }
        Poll::Ready(read)
    }
}

impl<T: AsyncWrite + Unpin> AsyncWrite for Stamped<T> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<io::Result<usize>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        let at_head = this.fresh || this.connection.dispatcher_may_answer();
        this.fresh &= buf.is_empty();
        let Some(at) = insertion_point(buf).filter(|_| at_head) else {
            return Pin::new(&mut this.io).poll_write(cx, buf);
        };
        this.unsent.reserve(buf.len() + this.lines.len());
        this.unsent.extend_from_slice(&buf[..at]);
        this.unsent.extend_from_slice(&this.lines);
        this.unsent.extend_from_slice(&buf[at..]);
        // The head counts as written once queued; the rest goes out before the next write,
        // flush or shutdown (the dispatcher flushes after writing).
        if let Poll::Ready(Err(e)) = this.drain(cx) {
            return Poll::Ready(Err(e));
        }
        Poll::Ready(Ok(buf.len()))
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        Pin::new(&mut this.io).poll_flush(cx)
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        ready!(this.drain(cx))?;
        Pin::new(&mut this.io).poll_shutdown(cx)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::AsyncWriteExt as _;

    const BARE_431: &[u8] =
        b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n\
        connection: close\r\ndate: Mon, 30 Nov 2026 00:00:00 GMT\r\n\r\n";

    #[test]
    fn only_a_whole_bare_error_head_is_recognised() {
        assert_eq!(insertion_point(BARE_431), Some(BARE_431.len() - 2));
        let timeout = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\n\r\n";
        assert!(insertion_point(timeout).is_some());
        // Not an error the dispatcher makes, a stamped head, a head with a body after it,
        // a head with a body length, and a partial head are all left alone.
        for other in [
            &b"HTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n"[..],
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\nX-Content-Type-Options: nosniff\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\nHTTP/1.1 400 Bad Request\r\ncontent-length: 0\r\n\r\n",
            b"HTTP/1.1 400 Bad Request\r\ncontent-length: 12\r\n\r\n",
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-length: 0\r\n",
        ] {
            assert_eq!(insertion_point(other), None, "{}", String::from_utf8_lossy(other));
        }
    }

    #[test]
    fn the_bare_answers_get_what_every_api_answer_gets() {
        for hsts in [false, true] {
            let mut api = actix_web::http::header::HeaderMap::new();
            super::super::apply(&mut api, "/api/v1/me", hsts);
            let lines = String::from_utf8(header_lines(hsts).to_vec()).unwrap();
            let mut expected: Vec<String> = api
                .iter()
                .map(|(name, value)| format!("{name}: {}", value.to_str().unwrap()))
                .collect();
            let mut written: Vec<String> =
                lines.split_terminator("\r\n").map(str::to_owned).collect();
            expected.sort();
            written.sort();
            assert_eq!(written, expected);
        }
    }

    #[tokio::test]
    async fn a_first_bare_answer_leaves_with_the_security_headers() {
        let mut out = Stamped::new(Vec::new(), header_lines(true));
        out.write_all(BARE_431).await.unwrap();
        out.flush().await.unwrap();
        let written = String::from_utf8(out.io).unwrap();
        assert!(written.starts_with("HTTP/1.1 431 Request Header Fields Too Large\r\n"));
        assert!(written.ends_with(&format!(
            "\r\nx-content-type-options: nosniff\r\nx-frame-options: DENY\r\n\
             referrer-policy: no-referrer\r\ncontent-security-policy: frame-ancestors 'none'\r\n\
             cache-control: no-store\r\nstrict-transport-security: {}\r\n\r\n",
            super::super::HSTS
        )));
        assert!(written.contains("\r\ncontent-length: 0\r\n"));
    }

    #[tokio::test]
    async fn later_writes_go_out_untouched_even_when_they_look_like_a_bare_answer() {
        // A body chunk is any bytes: a stored file may hold exactly a bare 400 head.
        let mut out = Stamped::new(Vec::new(), header_lines(false));
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 112\r\n\r\n";
        out.write_all(ok).await.unwrap();
        out.write_all(BARE_431).await.unwrap();
        out.flush().await.unwrap();
        assert_eq!(out.io, [&ok[..], BARE_431].concat());
    }

    #[tokio::test]
    async fn after_an_answer_only_bytes_heard_while_none_is_prepared_open_a_head() {
        let (near, far) = tokio::io::duplex(1024);
        let (mut far_read, mut far_write) = tokio::io::split(far);
        let mut out = Stamped::new(near, header_lines(false));
        let connection = out.connection();
        let ok = b"HTTP/1.1 200 OK\r\ncontent-length: 112\r\n\r\n";
        let mut request = [0; 64];

        // A request arrives and the application answers it; its body goes out as written.
        far_write
            .write_all(b"GET / HTTP/1.1\r\n\r\n")
            .await
            .unwrap();
        let _ = tokio::io::AsyncReadExt::read(&mut out, &mut request)
            .await
            .unwrap();
        let answering = connection.answering();
        out.write_all(ok).await.unwrap();
        drop(answering);
        out.write_all(BARE_431).await.unwrap();
        // More request bytes, then the dispatcher's own answer: stamped.
        far_write
            .write_all(b"GET / HTTP/1.1\r\nbroken\r\n\r\n")
            .await
            .unwrap();
        let _ = tokio::io::AsyncReadExt::read(&mut out, &mut request)
            .await
            .unwrap();
        out.write_all(BARE_431).await.unwrap();
        out.shutdown().await.unwrap();

        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut far_read, &mut got)
            .await
            .unwrap();
        let stamped = [
            &BARE_431[..BARE_431.len() - 2],
            &header_lines(false),
            b"\r\n",
        ]
        .concat();
        assert_eq!(got, [&ok[..], BARE_431, &stamped].concat());
    }

    #[tokio::test]
    async fn a_slow_peer_still_gets_the_whole_stamped_head() {
        // A pipe of 7 bytes: every write is partial, the rest goes out on flush.
        let (near, mut far) = tokio::io::duplex(7);
        let writer = tokio::spawn(async move {
            let mut out = Stamped::new(near, header_lines(false));
            out.write_all(BARE_431).await.unwrap();
            out.shutdown().await.unwrap();
        });
        let mut got = Vec::new();
        tokio::io::AsyncReadExt::read_to_end(&mut far, &mut got)
            .await
            .unwrap();
        writer.await.unwrap();
        let expected = [
            &BARE_431[..BARE_431.len() - 2],
            &header_lines(false),
            b"\r\n",
        ]
        .concat();
        assert_eq!(got, expected);
    }
}
