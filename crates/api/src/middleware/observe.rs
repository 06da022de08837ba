//! A hook for conformance checks: [`crate::serve_observed`] hands every JSON answer, complete,
//! with the route it answers, to a [`ResponseObserver`] (the HTTP tests validate each against
//! the OpenAPI document). [`crate::serve`] has none, and then answers pass untouched.

use std::sync::Arc;

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::CONTENT_TYPE;
use actix_web::middleware::Next;
use actix_web::web;

/// One complete JSON answer.
#[derive(Debug)]
pub struct ObservedResponse<'a> {
    /// The request method (`GET`, `POST`…).
    pub method: &'a str,
    /// The pattern of the route that answered (`/api/v1/files/{id}`), as in the OpenAPI
    /// document; `None` when no route matched (404, 405).
    pub route: Option<&'a str>,
    /// The status code.
    pub status: u16,
    /// The `Content-Type` header, without parameters.
    pub content_type: &'a str,
    /// The body, as sent.
    pub body: &'a [u8],
}

/// Sees every JSON answer of a server started with [`crate::serve_observed`].
pub trait ResponseObserver: Send + Sync + 'static {
    /// Called once per JSON answer, before it is sent.
    fn observe(&self, response: &ObservedResponse<'_>);
}

/// The observer as application data.
pub(crate) type Observer = web::Data<dyn ResponseObserver>;

/// `observer` as application data.
pub(crate) fn data(observer: Arc<dyn ResponseObserver>) -> Observer {
    web::Data::from(observer)
}

/// The middleware (the outermost, so it sees answers as clients do): without an observer it
/// passes answers through; with one it buffers each JSON body, shows it, and sends it on.
pub(crate) async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let observer = req.app_data::<Observer>().cloned();
    let res = next.call(req).await?.map_into_boxed_body();
    let Some(observer) = observer else {
        return Ok(res);
    };
    let content_type = res
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|v| v.trim().to_owned())
        .unwrap_or_default();
    if !content_type.ends_with("json") {
        return Ok(res);
    }
    let (req, res) = res.into_parts();
    let (head, body) = res.into_parts();
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.to_string()))?;
    let route = req.match_pattern();
    observer.observe(&ObservedResponse {
        method: req.method().as_str(),
        route: route.as_deref(),
        status: head.status().as_u16(),
        content_type: &content_type,
        body: &body,
    });
    Ok(ServiceResponse::new(
        req,
        head.set_body(body).map_into_boxed_body(),
    ))
}
