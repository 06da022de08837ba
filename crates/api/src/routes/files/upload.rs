//! The multipart upload bridge, shared by file uploads and avatars.
//!
//! actix-multipart's `Field` is `!Send`, while [`plinth_files::FileService::upload`] takes a
//! `Send` [`ByteStream`]. The handler forwards the field's chunks into a bounded channel (a few
//! chunks of back-pressure, never the whole file) whose receiving end is the service's body,
//! and drives both halves concurrently on the worker's thread.

use std::future::Future;
use std::io;

use actix_multipart::{Field, Multipart, MultipartError};
use actix_web::HttpRequest;
use actix_web::error::PayloadError;
use actix_web::http::header::CONTENT_LENGTH;
use bytes::Bytes;
use futures::StreamExt as _;
use futures::future::{Either, select};
use plinth_files::{ByteStream, FileId, FileObject, UploadInput, Viewer};
use plinth_kernel::RequestMeta;
use tokio::sync::mpsc;

use crate::{ApiError, AppState};

/// Room for the multipart boundaries and part headers around the file itself.
pub(super) const MULTIPART_OVERHEAD: u64 = 16 * 1024;

/// Chunks buffered between the request and the blob store.
const CHANNEL_CHUNKS: usize = 8;

/// Reads the multipart body and streams its `file` part to the file service: a new file of
/// `caller` (or of the organization their token acts for), or (with `version_of`) a new
/// version of that file, added by that viewer (its owner or an `edit` sharee).
pub(super) async fn receive(
    state: &AppState,
    caller: &plinth_kernel::Caller,
    meta: &RequestMeta,
    req: &HttpRequest,
    multipart: Multipart,
    version_of: Option<(Viewer, FileId)>,
) -> Result<FileObject, ApiError> {
    let limit = state.http.max_upload_bytes;
    receive_part(req, multipart, limit, |file_name, body| async move {
        let file_name = file_name
            .ok_or_else(|| ApiError::field("file", "the `file` part must carry a filename"))?;
        let input = UploadInput { file_name, body };
        let stored = match version_of {
            None => state.files.upload(caller, input, meta).await,
            Some((viewer, id)) => {
                state
                    .files
                    .upload_version_for(&viewer, id, input, meta)
                    .await
            }
        };
        Ok(stored?)
    })
    .await
}

/// Finds the part named `file` of a multipart body and hands its file name (if it has one)
/// and its content, streamed, to `consume`, while the request keeps feeding it. A declared
/// `Content-Length` past `limit` (plus room for the multipart framing) is refused with 413
/// before anything is read; `consume` enforces `limit` on the content itself.
pub(crate) async fn receive_part<T, F, Fut>(
    req: &HttpRequest,
    mut multipart: Multipart,
    limit: u64,
    consume: F,
) -> Result<T, ApiError>
where
    F: FnOnce(Option<String>, ByteStream) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let declared = req
        .headers()
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|len| len > limit.saturating_add(MULTIPART_OVERHEAD)) {
        return Err(too_large(limit));
    }
    let mut skipped: u64 = 0;
    while let Some(field) = multipart.next().await {
        let mut field = field.map_err(multipart_error)?;
        if field.name() == Some("file") {
            let file_name = file_name(&field);
            return stream_part(field, |body| consume(file_name, body)).await;
        }
        // Other parts are not used; read past them, but not without bound.
        while let Some(chunk) = field.next().await {
            skipped += chunk.map_err(multipart_error)?.len() as u64;
            if skipped > MULTIPART_OVERHEAD {
                return Err(ApiError::PayloadTooLarge(
                    "Parts other than `file` are larger than allowed.".to_owned(),
                ));
            }
        }
    }
    Err(ApiError::field("file", "a part named `file` is required"))
}

/// The client's file name: `filename*` (UTF-8) if present, else `filename`.
fn file_name(field: &Field) -> Option<String> {
    let cd = field.content_disposition()?;
    let extended = cd
        .get_filename_ext()
        .filter(|ext| matches!(ext.charset, actix_web::http::header::Charset::Ext(ref c) if c.eq_ignore_ascii_case("utf-8")))
        .and_then(|ext| String::from_utf8(ext.value.clone()).ok());
    extended
        .or_else(|| cd.get_filename().map(str::to_owned))
        .filter(|n| !n.trim().is_empty())
}

/// Runs `consume` on a stream fed from `field` through a bounded channel, reading the field
/// only as fast as `consume` takes it, and not at all once `consume` has finished.
async fn stream_part<T, F, Fut>(field: Field, consume: F) -> Result<T, ApiError>
where
    F: FnOnce(ByteStream) -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let (tx, rx) = mpsc::channel::<Result<Bytes, io::Error>>(CHANNEL_CHUNKS);
    let body: ByteStream = Box::pin(futures::stream::unfold(rx, |mut rx| async move {
        rx.recv().await.map(|item| (item, rx))
    }));
    let consume = consume(body);
    let forward = forward(field, tx);
    futures::pin_mut!(consume, forward);
    match select(consume, forward).await {
        // The service finished first (stored, or refused mid-stream): stop reading.
        Either::Left((result, _)) => result,
        // The request body ended (or failed, which the service sees as an error item).
        Either::Right(((), consume)) => consume.await,
    }
}

/// Copies the field's chunks into the channel until the body ends, the service stops
/// listening, or the body fails (the failure is passed on so the service discards the upload).
async fn forward(mut field: Field, tx: mpsc::Sender<Result<Bytes, io::Error>>) {
    while let Some(chunk) = field.next().await {
        let item = chunk.map_err(|e| io::Error::other(format!("upload body failed: {e}")));
        let failed = item.is_err();
        if tx.send(item).await.is_err() || failed {
            return;
        }
    }
}

fn too_large(limit: u64) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "The file is larger than the limit of {limit} bytes."
    ))
}

fn multipart_error(e: MultipartError) -> ApiError {
    match e {
        MultipartError::Payload(PayloadError::Overflow) => {
            ApiError::PayloadTooLarge("The upload is larger than allowed.".to_owned())
        }
        MultipartError::ContentTypeMissing
        | MultipartError::ContentTypeParse
        | MultipartError::ContentTypeIncompatible => ApiError::BadRequest(
            "The body must be `multipart/form-data` with a part named `file`.".to_owned(),
        ),
        other => ApiError::BadRequest(format!("The multipart body is malformed: {other}.")),
    }
}
