//! [`serve`]: the actix-web server with its middleware, extractor configuration and routes.

use std::collections::HashSet;
use std::future::ready;
use std::net::TcpListener;
use std::sync::Arc;

use actix_cors::Cors;
use actix_http::error::DispatchError;
use actix_http::{HttpService, KeepAlive};
use actix_server::Server;
use actix_service::{IntoServiceFactory as _, ServiceFactoryExt as _, fn_service, map_config};
use actix_web::body::MessageBody;
use actix_web::dev::{AppConfig, ServiceFactory, ServiceRequest, ServiceResponse};
use actix_web::error::{JsonPayloadError, PathError, QueryPayloadError};
use actix_web::http::{Method, header};
use actix_web::middleware::{Condition, from_fn};
use actix_web::rt::net::TcpStream;
use actix_web::{App, HttpRequest, web};
use utoipa_actix_web::AppExt as _;

use crate::docs;
use crate::middleware::circuit;
use crate::middleware::home_runtime::{self, HomeRuntime};
use crate::middleware::observe::{self, ResponseObserver};
use crate::middleware::rate_limit::{self, Limiters};
use crate::middleware::{request_id, security_headers};
use crate::routes::{OpenApiDocument, RouteTable};
use crate::{ApiError, AppState, HttpSettings, metrics, openapi_json};

/// How long a client may take to send a request's head (line and headers).
pub(crate) const REQUEST_HEAD_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(5);

/// How long a connection waits for the client to close after a response that ends it
/// (`HttpServer`'s default).
const CLIENT_DISCONNECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(1);

/// Starts serving `state` on `listener`. The returned [`Server`] must be awaited (or
/// spawned); it stops gracefully on SIGTERM, giving in-flight requests
/// `state.http.shutdown_grace` to finish. Workers default to the number of CPU cores.
///
/// # Errors
/// When the listener cannot be used.
pub fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    serve_observed(listener, state, None)
}

/// [`serve`], handing every JSON answer to `observer` when there is one (the HTTP tests check
/// each against the OpenAPI document).
///
/// # Errors
/// When the listener cannot be used.
pub fn serve_observed(
    listener: TcpListener,
    state: AppState,
    observer: Option<Arc<dyn ResponseObserver>>,
) -> std::io::Result<Server> {
    let grace = state.http.shutdown_grace;
    let grace_secs = grace.as_secs() + u64::from(grace.subsec_nanos() > 0);
    let local_addr = listener.local_addr()?;
    let stamp = security_headers::header_lines(state.http.hsts);
    let document = web::Data::new(OpenApiDocument(openapi_json()));
    let home = tokio::runtime::Handle::try_current()
        .ok()
        .map(|handle| web::Data::new(HomeRuntime(handle)));
    let edge = Edge {
        routes: web::Data::new(RouteTable::from_document(&crate::openapi::document())),
        limiters: Limiters::from_settings(&state.http).map(web::Data::new),
        observer: observer.map(observe::data),
        home,
    };
    let state = web::Data::new(state);
    // What `HttpServer` builds, with one step more: each connection is wrapped so the answers
    // actix's dispatcher writes itself (400, 408, 431) carry the security headers too.
    let builder = actix_server::Server::build();
    // Tells each connection when a graceful stop begins, so idle keep-alive connections close
    // at once instead of holding the stop until their keep-alive runs out.
    let stopping = builder.graceful_shutdown_signal();
    let server = builder
        .shutdown_timeout(grace_secs)
        // The caller owns signal handling (SIGINT and SIGTERM both drain in-flight requests);
        // actix's own handlers would make SIGINT a fast stop.
        .disable_signals()
        .listen("plinth", listener, move || {
            let app = build_app(state.clone(), document.clone(), edge.clone())
                .into_factory()
                .map_err(|err| err.error_response());
            let stopping = stopping.clone();
            let http = HttpService::build()
                .graceful_shutdown_signal(move || {
                    let stopping = stopping.clone();
                    let connection = ARRIVING.take();
                    async move {
                        stopping.notified().await;
                        drain_after_arrival(connection).await;
                    }
                })
                .keep_alive(KeepAlive::default())
                // A client has this long to send its request head (slow-loris defence: 408,
                // closed).
                .client_request_timeout(REQUEST_HEAD_TIMEOUT)
                .client_disconnect_timeout(CLIENT_DISCONNECT_TIMEOUT)
                .local_addr(local_addr)
                // The request-id middleware tells the connection when the application answers.
                .on_connect_ext(|io: &security_headers::Stamped<TcpStream>, data| {
                    data.insert(io.connection());
                    // Handed to this connection's shutdown signal, which actix asks for
                    // next, in the same call that builds the connection's dispatcher.
                    ARRIVING.set(Some(io.connection()));
                })
                .h1(map_config(app, |()| AppConfig::default()));
            let stamp = stamp.clone();
            fn_service(move |io: TcpStream| {
                // Answers go out as soon as they are written: without this, the head and a
                // small streamed body leave as two writes and the second waits for the client's
                // delayed ACK (Nagle's algorithm), ~40 ms per small download.
                if let Err(e) = io.set_nodelay(true) {
                    tracing::debug!(error = %e, "could not set TCP_NODELAY");
                }
                let peer = io.peer_addr().ok();
                ready(Ok::<_, DispatchError>((
                    security_headers::Stamped::new(io, stamp.clone()),
                    peer,
                )))
            })
            .and_then(http)
        })?
        .run();
    Ok(server)
}

thread_local! {
    /// The connection being set up on this worker thread, between its `on_connect_ext` and
    /// its shutdown signal (both run in one synchronous call of actix's HTTP/1 service).
    static ARRIVING: std::cell::Cell<Option<Arc<security_headers::Connection>>> =
        const { std::cell::Cell::new(None) };
}

/// The rest of a connection's shutdown signal once the server stops: told to drain, actix
/// finishes the answer under way (sent with `connection: close`) but drops a request whose
/// bytes arrived and whose answer has not started, and the client gets no answer. So the
/// signal waits until no request is arriving: an idle keep-alive connection closes at once, a
/// request being answered finishes (with `connection: close`), and one on its way in is
/// answered, then the connection closes. The head timeout (and at worst `SHUTDOWN_GRACE`)
/// bounds the wait.
async fn drain_after_arrival(connection: Option<Arc<security_headers::Connection>>) {
    if let Some(connection) = connection {
        connection.started().await;
    }
}

/// What every worker shares beyond the state: the method table of the routes (for 405), the
/// rate limiters (one budget per client across workers) and the runtime requests run on.
#[derive(Clone)]
struct Edge {
    routes: web::Data<RouteTable>,
    limiters: Option<web::Data<Limiters>>,
    observer: Option<observe::Observer>,
    home: Option<web::Data<HomeRuntime>>,
}

/// One worker's application: routes from [`crate::routes::configure`] (the same registration
/// the OpenAPI document is built from), Swagger UI, the problem+json extractor errors, and
/// the middleware, from the outside in: the response observer (when there is one), the home
/// runtime, request id and security headers, metrics, CORS, rate limits, the database circuit.
fn build_app(
    state: web::Data<AppState>,
    document: web::Data<OpenApiDocument>,
    edge: Edge,
) -> App<
    impl ServiceFactory<
        ServiceRequest,
        Config = (),
        Response = ServiceResponse<impl MessageBody>,
        Error = actix_web::Error,
        InitError = (),
    >,
> {
    let cors = cors(&state.http);
    let json = json_config(&state.http);
    let (app, _) = App::new()
        .into_utoipa_app()
        .configure(crate::routes::configure)
        .split_for_parts();
    let app = match edge.limiters {
        Some(limiters) => app.app_data(limiters),
        None => app,
    };
    // Only a test server observes its answers: production skips the middleware entirely.
    let observed = edge.observer.is_some();
    let app = match edge.observer {
        Some(observer) => app.app_data(observer),
        None => app,
    };
    let app = match edge.home {
        Some(home) => app.app_data(home),
        None => app,
    };
    app.app_data(state)
        .app_data(document)
        .app_data(edge.routes)
        .app_data(json)
        .app_data(web::QueryConfig::default().error_handler(query_error))
        .app_data(web::PathConfig::default().error_handler(path_error))
        .service(docs::index_page())
        .service(docs::swagger_ui())
        .default_service(web::to(crate::routes::unknown_route))
        .wrap(from_fn(circuit::middleware))
        .wrap(from_fn(rate_limit::middleware))
        .wrap(cors)
        .wrap(from_fn(metrics::middleware))
        .wrap(from_fn(request_id::middleware))
        .wrap(from_fn(home_runtime::middleware))
        .wrap(Condition::new(observed, from_fn(observe::middleware)))
}

fn json_config(settings: &HttpSettings) -> web::JsonConfig {
    web::JsonConfig::default()
        .limit(settings.max_json_bytes)
        .content_type_required(true)
        .content_type(|mime| {
            mime.type_() == mime::APPLICATION
                && (mime.subtype() == mime::JSON || mime.suffix() == Some(mime::JSON))
        })
        .error_handler(json_error)
}

/// Maps JSON body failures: syntax → 400, wrong or missing content type → 400, well-formed
/// but wrong fields → 422 naming the field when serde tells it, too large → 413.
fn json_error(err: JsonPayloadError, _req: &HttpRequest) -> actix_web::Error {
    let api = match err {
        JsonPayloadError::OverflowKnownLength { limit, .. }
        | JsonPayloadError::Overflow { limit } => ApiError::PayloadTooLarge(format!(
            "The JSON body is larger than the limit of {limit} bytes."
        )),
        JsonPayloadError::ContentType => ApiError::BadRequest(
            "The body must be JSON, sent with `Content-Type: application/json`.".to_owned(),
        ),
        JsonPayloadError::Deserialize(e) if e.is_data() => {
            let (field, message) = serde_field(&e.to_string());
            ApiError::field(&field, message)
        }
        JsonPayloadError::Deserialize(e) => ApiError::BadRequest(format!(
            "The body is not valid JSON (line {}, column {}).",
            e.line(),
            e.column()
        )),
        JsonPayloadError::Payload(actix_web::error::PayloadError::Overflow) => {
            ApiError::PayloadTooLarge("The JSON body is larger than the limit.".to_owned())
        }
        other => ApiError::BadRequest(format!("The body could not be read: {other}.")),
    };
    api.into()
}

/// The field named by a serde data error, and a message without serde's position suffix.
pub(crate) fn serde_field(raw: &str) -> (String, String) {
    let message = raw.split(" at line ").next().unwrap_or(raw).to_owned();
    let quoted = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(str::to_owned)
    };
    if let Some(field) = quoted("missing field `") {
        return (field, "is required".to_owned());
    }
    if let Some(field) = quoted("unknown field `") {
        return (field, "is not an accepted field".to_owned());
    }
    ("body".to_owned(), message)
}

fn query_error(err: QueryPayloadError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::BadRequest(format!("Invalid query parameters: {err}.")).into()
}

/// Path parameters are ids: one that does not parse names nothing, so it is a 404.
fn path_error(_err: PathError, _req: &HttpRequest) -> actix_web::Error {
    ApiError::NotFound("There is no such resource.".to_owned()).into()
}

fn cors(settings: &HttpSettings) -> Cors {
    let any = settings.cors_origins.iter().any(|o| o.trim() == "*");
    let origins: HashSet<String> = settings
        .cors_origins
        .iter()
        .map(|o| o.trim().trim_end_matches('/').to_owned())
        .filter(|o| !o.is_empty())
        .collect();
    // Credentials (the session cookies) only for listed origins: with `*` any page could read
    // a signed-in answer.
    let cors = if any {
        Cors::default().allow_any_origin()
    } else {
        Cors::default()
            .allowed_origin_fn(move |origin, _| {
                origin
                    .to_str()
                    .is_ok_and(|o| origins.contains(o.trim_end_matches('/')))
            })
            .supports_credentials()
    };
    cors.allowed_methods([
        Method::GET,
        Method::POST,
        Method::PUT,
        Method::PATCH,
        Method::DELETE,
    ])
    .allowed_headers([
        header::AUTHORIZATION,
        header::CONTENT_TYPE,
        header::IF_MATCH,
        header::IF_NONE_MATCH,
        header::RANGE,
        header::HeaderName::from_static(request_id::REQUEST_ID_HEADER),
        header::HeaderName::from_static("idempotency-key"),
        header::HeaderName::from_static(crate::cookies::CSRF_HEADER),
    ])
    .expose_headers([
        header::CONTENT_DISPOSITION,
        header::CONTENT_RANGE,
        header::ETAG,
        header::LOCATION,
        header::WWW_AUTHENTICATE,
        header::HeaderName::from_static(request_id::REQUEST_ID_HEADER),
        header::HeaderName::from_static(crate::cookies::CSRF_HEADER),
    ])
    .max_age(3600)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serde_messages_name_the_field() {
        assert_eq!(
            serde_field("missing field `email` at line 1 column 2").0,
            "email"
        );
        assert_eq!(
            serde_field("unknown field `role`, expected `name` at line 1 column 9").0,
            "role"
        );
        let (field, msg) =
            serde_field("invalid type: integer `5`, expected a string at line 1 column 3");
        assert_eq!(field, "body");
        assert_eq!(msg, "invalid type: integer `5`, expected a string");
    }
}
