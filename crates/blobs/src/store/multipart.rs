//! [`PartWriter`]: a multipart upload fed chunk by chunk, aborted whenever it does not complete.
//!
//! object_store's own `WriteMultipart` aborts when the final completion fails, but not when a
//! part fails inside its `finish` (the last part, or one still in flight), nor when it is
//! dropped: S3 would keep those parts, unseen and billed, until a lifecycle rule removes them.
//! This writer owns the upload until it completes, and every way out that is not a completion
//! aborts it.

use bytes::Bytes;
use object_store::{MultipartUpload, PutPayloadMut};
use tokio::task::JoinSet;

/// Sends `part_size` parts, at most `in_flight` at once, to an upload it aborts unless
/// [`PartWriter::finish`] completes it.
pub(super) struct PartWriter {
    /// `None` once completed or aborted.
    upload: Option<Box<dyn MultipartUpload>>,
    buffer: PutPayloadMut,
    sending: JoinSet<object_store::Result<()>>,
    part_size: usize,
    in_flight: usize,
    /// For the log line of a failed abort.
    key: String,
}

impl PartWriter {
    pub(super) fn new(
        upload: Box<dyn MultipartUpload>,
        part_size: usize,
        in_flight: usize,
        key: &str,
    ) -> Self {
        Self {
            upload: Some(upload),
            buffer: PutPayloadMut::new(),
            sending: JoinSet::new(),
            part_size: part_size.max(1),
            in_flight: in_flight.max(1),
            key: key.to_owned(),
        }
    }

    /// Adds `bytes`, sending each part as it fills; waits while `in_flight` parts are sending,
    /// so an upload holds at most about `(in_flight + 1) × part_size` bytes.
    ///
    /// # Errors
    /// A part that failed to send (the caller then aborts).
    pub(super) async fn write(&mut self, mut bytes: Bytes) -> object_store::Result<()> {
        while !bytes.is_empty() {
            let room = self.part_size - self.buffer.content_length();
            if bytes.len() < room {
                self.buffer.push(bytes);
                return Ok(());
            }
            self.buffer.push(bytes.split_to(room));
            self.send_part().await?;
        }
        Ok(())
    }

    /// Sends what is buffered, waits for every part and completes the upload; aborts it when
    /// any of that fails.
    ///
    /// # Errors
    /// The failure, after the abort.
    pub(super) async fn finish(mut self) -> object_store::Result<()> {
        let completed = self.complete().await;
        if completed.is_err() {
            self.abort_now().await;
        }
        completed
    }

    /// Stops sending and aborts the upload.
    pub(super) async fn abort(mut self) {
        self.abort_now().await;
    }

    async fn send_part(&mut self) -> object_store::Result<()> {
        self.wait_until_sending(self.in_flight - 1).await?;
        let part = std::mem::take(&mut self.buffer).freeze();
        let upload = self.upload.as_mut().ok_or_else(closed)?;
        self.sending.spawn(upload.put_part(part));
        Ok(())
    }

    async fn wait_until_sending(&mut self, at_most: usize) -> object_store::Result<()> {
        while self.sending.len() > at_most {
            match self.sending.join_next().await {
                Some(Ok(sent)) => sent?,
                Some(Err(source)) => return Err(object_store::Error::JoinError { source }),
                None => break,
            }
        }
        Ok(())
    }

    async fn complete(&mut self) -> object_store::Result<()> {
        if !self.buffer.is_empty() {
            self.send_part().await?;
        }
        self.wait_until_sending(0).await?;
        let upload = self.upload.as_mut().ok_or_else(closed)?;
        upload.complete().await?;
        self.upload = None;
        Ok(())
    }

    async fn abort_now(&mut self) {
        self.sending.shutdown().await;
        if let Some(mut upload) = self.upload.take()
            && let Err(error) = upload.abort().await
        {
            tracing::warn!(key = self.key, %error, "could not abort a multipart upload");
        }
    }
}

/// Dropped unfinished (the request was cancelled: the client went away): the parts still
/// sending stop with the `JoinSet`, and the upload is aborted on the runtime.
impl Drop for PartWriter {
    fn drop(&mut self) {
        let Some(mut upload) = self.upload.take() else {
            return;
        };
        let key = std::mem::take(&mut self.key);
        match tokio::runtime::Handle::try_current() {
            Ok(runtime) => {
                runtime.spawn(async move {
                    if let Err(error) = upload.abort().await {
                        tracing::warn!(key, %error, "could not abort a multipart upload");
                    }
                });
            }
            Err(_) => {
                tracing::warn!(
                    key,
                    "multipart upload dropped outside a runtime; not aborted"
                );
            }
        }
    }
}

/// A part or completion asked of an upload already completed or aborted (a bug, never a
/// store outage).
fn closed() -> object_store::Error {
    object_store::Error::NotSupported {
        source: "the multipart upload is already completed or aborted".into(),
    }
}
