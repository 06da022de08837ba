//! Runs every request's own work inside the runtime that started the server (its "home"), not
//! the actix worker's.
//!
//! Each actix worker has a runtime of its own, and a graceful stop ends them one by one: a
//! worker stops, and its runtime with it, as soon as its own connections are done. Anything a
//! request creates while it runs is tied to the runtime current at that moment: a database
//! connection opened for the pool, a timer, a spawned or blocking task. A pooled connection
//! opened by one worker and used by another failed ("A Tokio 1.x context was found, but it is
//! being shutdown") once the first worker had stopped, so a request still draining on another
//! worker got a 503. Inside this middleware the home runtime is current: what requests open is
//! shared through a runtime that outlives every worker (it runs until the server future ends).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::middleware::Next;
use actix_web::web;
use tokio::runtime::Handle;

/// The runtime requests run their I/O, timers and tasks on (the one [`crate::serve`] was
/// called from).
#[derive(Debug, Clone)]
pub(crate) struct HomeRuntime(pub(crate) Handle);

/// Polls the rest of the chain with the home runtime entered (wrap it outermost); without a
/// [`HomeRuntime`] in the app data the request runs as it is.
pub(crate) async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let home = req
        .app_data::<web::Data<HomeRuntime>>()
        .map(|h| h.0.clone());
    let rest = Box::pin(async move { next.call(req).await });
    match home {
        Some(handle) => Entered { handle, rest }.await,
        None => rest.await,
    }
}

/// `rest`, polled with `handle` entered.
struct Entered<F> {
    handle: Handle,
    rest: Pin<Box<F>>,
}

impl<F: Future> Future for Entered<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        let this = &mut *self;
        let _entered = this.handle.enter();
        this.rest.as_mut().poll(cx)
    }
}
