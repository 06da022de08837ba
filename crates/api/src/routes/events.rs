//! `GET /api/v1/events`: the caller's realtime events as Server-Sent Events.

use actix_web::{HttpRequest, HttpResponse, get, web};
use bytes::Bytes;
use futures::SinkExt as _;
use plinth_events::{EventId, EventStream, StreamItem};
use utoipa_actix_web::service_config::ServiceConfig;

use super::NO_STORE;
use crate::dto::event::{EventBody, ReloadBody};
use crate::openapi::responses::{Internal, Unauthenticated, Unavailable};
use crate::{ApiError, AppState, AuthUser};

pub(super) fn configure(cfg: &mut ServiceConfig) {
    cfg.service(stream_events);
}

/// How many frames may wait for a slow client before the stream stops reading events.
const FRAMES_BUFFERED: usize = 16;

/// The client's reconnection delay, sent in the first frame (milliseconds).
const RETRY_MS: u32 = 3000;

/// Where the caller resumes: after `?last_event_id=` or the `Last-Event-ID` header.
#[derive(Debug, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(crate) struct EventsQuery {
    /// Resume after this event (for clients that cannot send the `Last-Event-ID` header on
    /// their first connection; the header wins when both are sent).
    pub last_event_id: Option<String>,
}

/// Streams the caller's events.
#[utoipa::path(
    tag = "events",
    operation_id = "stream_events",
    summary = "Stream realtime events (SSE)",
    description = "A `text/event-stream` of the events the caller may see now: their own resources, their \
        organizations' per permission (checked at delivery, so a removed member stops receiving at once), and \
        announcements. Each message has `id:` (the event's position), `event:` (its type) and `data:` (an `Event` \
        as JSON). Reconnect with `Last-Event-ID` (browsers' `EventSource` does it) to resume without a gap; when \
        the events after it were purged by retention the stream starts with an `event: reload` message \
        (`data`: an `EventReload`): reload the state, then go on. Comment lines (`: heartbeat`) keep idle \
        connections open. The stream ends when the access token it was opened with expires or its \
        session is revoked: refresh, reconnect and resume. See `docs/events.md`.",
    security(("bearer" = [])),
    params(
        EventsQuery,
        ("Last-Event-ID" = Option<String>, Header, description = "The `id` of the last message received: the stream resumes after it."),
    ),
    responses(
        (status = 200, description = "The event stream (never ends on its own while the server runs). Each message's `data` is an `Event`, or an `EventReload` for `event: reload`.",
            content_type = "text/event-stream", body = EventBody),
        Unauthenticated, Internal, Unavailable
    )
)]
#[get("")]
#[tracing::instrument(skip_all)]
pub(crate) async fn stream_events(
    state: web::Data<AppState>,
    user: AuthUser,
    req: HttpRequest,
    query: web::Query<EventsQuery>,
) -> Result<HttpResponse, ApiError> {
    let header = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let last_seen = header
        .or_else(|| query.into_inner().last_event_id)
        .map(|raw| parse_position(&raw));
    let stream = state.events.open(user.0.user_id, last_seen).await?;
    // The credential the stream was opened with, checked again while it runs: a stream ends
    // when its access token expires or its session is revoked, like any other request would
    // be refused.
    let credential = Credential {
        token: presented_token(&req).unwrap_or_default(),
        auth: state.auth.clone(),
        checked_at: std::time::Instant::now(),
    };
    let (mut frames, body) =
        futures::channel::mpsc::channel::<Result<Bytes, std::convert::Infallible>>(FRAMES_BUFFERED);
    let first = Bytes::from(format!(
        ": connected\nretry: {RETRY_MS}\nid: {}\n\n",
        stream.position()
    ));
    // On the runtime the request runs on (see `home_runtime`): the stream outlives every
    // worker's own runtime during a graceful stop.
    tokio::spawn(async move {
        if frames.send(Ok(first)).await.is_ok() {
            pump(stream, frames, credential).await;
        }
    });
    Ok(HttpResponse::Ok()
        .content_type("text/event-stream")
        .insert_header(NO_STORE)
        // Proxies such as nginx must pass each message on at once.
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}

/// How often, at most, an open stream checks its access token again (a signature check and the
/// in-memory revocation list: no database query).
const RECHECK_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// The access token a stream was opened with.
struct Credential {
    token: String,
    auth: plinth_sessions::AuthService,
    checked_at: std::time::Instant,
}

impl Credential {
    /// Whether the token still authenticates (checked at most every [`RECHECK_EVERY`]).
    fn still_valid(&mut self) -> bool {
        if self.checked_at.elapsed() < RECHECK_EVERY {
            return true;
        }
        self.checked_at = std::time::Instant::now();
        self.auth.authenticate(&self.token).is_ok()
    }
}

/// The bearer token or the access cookie the request authenticated with.
fn presented_token(req: &HttpRequest) -> Option<String> {
    match req.headers().get(actix_web::http::header::AUTHORIZATION) {
        Some(header) => header
            .to_str()
            .ok()
            .and_then(|v| v.split_once(' '))
            .map(|(_, token)| token.trim().to_owned()),
        None => req
            .cookie(crate::cookies::ACCESS_COOKIE)
            .map(|c| c.value().to_owned()),
    }
}

/// A `Last-Event-ID` as a position; anything else is a position the server never issued,
/// which the hub answers with a reload.
fn parse_position(raw: &str) -> EventId {
    raw.trim().parse::<u64>().map_or(EventId(u64::MAX), EventId)
}

/// Writes `stream`'s items to `frames` until the client goes away, the hub closes, reading
/// fails (the client then reconnects and resumes), or the access token stops authenticating.
async fn pump(
    mut stream: EventStream,
    mut frames: futures::channel::mpsc::Sender<Result<Bytes, std::convert::Infallible>>,
    mut credential: Credential,
) {
    loop {
        let item = stream.next().await;
        if !credential.still_valid() {
            // Expired or revoked: the client signs in (or refreshes) and resumes.
            return;
        }
        let frame = match item {
            Ok(StreamItem::Event(event)) => {
                let body = EventBody::from(event.as_ref());
                match serde_json::to_string(&body) {
                    Ok(json) => format!(
                        "id: {}\nevent: {}\ndata: {json}\n\n",
                        body.id, body.event_type
                    ),
                    Err(error) => {
                        tracing::error!(%error, "an event could not be serialised");
                        return;
                    }
                }
            }
            Ok(StreamItem::Reload { resume_at }) => {
                match serde_json::to_string(&ReloadBody {
                    reason: "retention",
                }) {
                    Ok(data) => format!("id: {resume_at}\nevent: reload\ndata: {data}\n\n"),
                    Err(error) => {
                        tracing::error!(%error, "a reload message could not be serialised");
                        return;
                    }
                }
            }
            Ok(StreamItem::Heartbeat { position }) => format!(": heartbeat\nid: {position}\n\n"),
            Ok(StreamItem::Closed) => return,
            Err(error) => {
                tracing::warn!(%error, "an event stream failed; the client will resume");
                return;
            }
        };
        if frames.send(Ok(Bytes::from(frame))).await.is_err() {
            return;
        }
    }
}
