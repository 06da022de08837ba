//! A minimal Server-Sent Events reader over a `reqwest` response, for `GET /api/v1/events`.

use std::collections::VecDeque;
use std::time::Duration;

use futures::StreamExt as _;
use serde_json::Value;

/// One SSE message (comment-only blocks have no fields but `comments`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SseFrame {
    pub id: Option<String>,
    pub event: Option<String>,
    pub data: Option<String>,
    pub comments: Vec<String>,
}

impl SseFrame {
    /// The `data:` as JSON.
    pub fn json(&self) -> Value {
        serde_json::from_str(self.data.as_deref().unwrap_or("null")).unwrap()
    }

    /// The `id:` as a number.
    pub fn position(&self) -> u64 {
        self.id.as_deref().unwrap().parse().unwrap()
    }
}

/// An open event stream.
pub struct SseStream {
    body: futures::stream::BoxStream<'static, reqwest::Result<bytes::Bytes>>,
    buffer: String,
    frames: VecDeque<SseFrame>,
}

impl SseStream {
    /// Reads `res` (a 200 `text/event-stream`) as a stream of messages.
    pub fn new(res: reqwest::Response) -> Self {
        assert_eq!(res.status(), 200, "the stream opens");
        let content_type = res.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(
            content_type.starts_with("text/event-stream"),
            "content type {content_type}"
        );
        Self {
            body: res.bytes_stream().boxed(),
            buffer: String::new(),
            frames: VecDeque::new(),
        }
    }

    /// The next message (of any kind), within `wait`; `None` when none came or the stream
    /// ended.
    pub async fn next_frame(&mut self, wait: Duration) -> Option<SseFrame> {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            if let Some(frame) = self.frames.pop_front() {
                return Some(frame);
            }
            let chunk = tokio::time::timeout_at(deadline, self.body.next())
                .await
                .ok()??;
            self.buffer.push_str(&String::from_utf8_lossy(&chunk.ok()?));
            while let Some(end) = self.buffer.find("\n\n") {
                let block: String = self.buffer.drain(..end + 2).collect();
                self.frames.push_back(parse(&block));
            }
        }
    }

    /// The next message with an `event:` (skipping the first frame and heartbeats), within
    /// two seconds.
    pub async fn next_event(&mut self) -> Option<SseFrame> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            let frame = self.next_frame(left).await?;
            if frame.event.is_some() {
                return Some(frame);
            }
        }
    }

    /// The next event, which must come.
    pub async fn expect_event(&mut self) -> SseFrame {
        self.next_event()
            .await
            .expect("an event within two seconds")
    }

    /// Whether no event (heartbeats aside) comes for `wait`.
    pub async fn quiet_for(&mut self, wait: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + wait;
        loop {
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return true;
            }
            match self.next_frame(left).await {
                None => return true,
                Some(frame) if frame.event.is_some() => {
                    panic!("unexpected event: {frame:?}")
                }
                Some(_) => {}
            }
        }
    }
}

fn parse(block: &str) -> SseFrame {
    let mut frame = SseFrame::default();
    for line in block.lines() {
        if let Some(comment) = line.strip_prefix(':') {
            frame.comments.push(comment.trim().to_owned());
            continue;
        }
        let (field, value) = line.split_once(':').unwrap_or((line, ""));
        let value = value.strip_prefix(' ').unwrap_or(value).to_owned();
        match field {
            "id" => frame.id = Some(value),
            "event" => frame.event = Some(value),
            "data" => {
                frame.data = Some(match frame.data.take() {
                    Some(before) => format!("{before}\n{value}"),
                    None => value,
                });
            }
            _ => {}
        }
    }
    frame
}
