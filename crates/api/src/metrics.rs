//! Prometheus metrics for `GET /metrics`: `http_requests_total` and
//! `http_request_duration_seconds`, labelled by method, route template (never the raw path;
//! `unmatched` when no route matched) and status, and `http_requests_in_flight`; plus [`gauge`]
//! and [`counter`], hooks for the embedding program (database pool use, queue depths,
//! failures…). One registry per process.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use prometheus::{
    Encoder as _, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry,
};

/// The route label of a request no route matched.
pub(crate) const UNMATCHED: &str = "unmatched";

const LABELS: [&str; 3] = ["method", "route", "status"];

struct Metrics {
    registry: Registry,
    http: Option<HttpMetrics>,
    gauges: Mutex<HashMap<String, prometheus::Gauge>>,
    counters: Mutex<HashMap<String, prometheus::IntCounter>>,
}

struct HttpMetrics {
    requests: IntCounterVec,
    duration: HistogramVec,
    in_flight: IntGauge,
}

impl HttpMetrics {
    fn register(registry: &Registry) -> prometheus::Result<Self> {
        let requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests answered."),
            &LABELS,
        )?;
        let duration = HistogramVec::new(
            HistogramOpts::new(
                "http_request_duration_seconds",
                "Time from receiving a request to its response head, in seconds.",
            ),
            &LABELS,
        )?;
        let in_flight = IntGauge::new(
            "http_requests_in_flight",
            "Requests whose head has been read and whose response head is not yet written.",
        )?;
        registry.register(Box::new(requests.clone()))?;
        registry.register(Box::new(duration.clone()))?;
        registry.register(Box::new(in_flight.clone()))?;
        Ok(Self {
            requests,
            duration,
            in_flight,
        })
    }
}

fn metrics() -> &'static Metrics {
    static METRICS: OnceLock<Metrics> = OnceLock::new();
    METRICS.get_or_init(|| {
        let registry = Registry::new();
        let http = HttpMetrics::register(&registry)
            .inspect_err(|e| tracing::error!(error = %e, "HTTP metrics could not be registered"))
            .ok();
        Metrics {
            registry,
            http,
            gauges: Mutex::new(HashMap::new()),
            counters: Mutex::new(HashMap::new()),
        }
    })
}

/// A gauge shown by `GET /metrics`, set by whoever holds it (cheap to clone; every clone is
/// the same gauge).
#[derive(Debug, Clone)]
pub struct Gauge(prometheus::Gauge);

impl Gauge {
    /// Sets the value.
    pub fn set(&self, value: f64) {
        self.0.set(value);
    }

    /// Adds `delta` (which may be negative).
    pub fn add(&self, delta: f64) {
        self.0.add(delta);
    }

    /// The current value.
    #[must_use]
    pub fn get(&self) -> f64 {
        self.0.get()
    }
}

/// Why a gauge could not be registered.
#[derive(Debug, thiserror::Error)]
#[error("gauge {name:?} could not be registered: {reason}")]
pub struct MetricsError {
    name: String,
    reason: String,
}

/// The gauge called `name` (for example `db_pool_connections_in_use`), registered with `help`
/// the first time; later calls with the same name return the same gauge.
///
/// # Errors
/// When `name` is not a valid Prometheus metric name or is already used by another metric.
pub fn gauge(name: &str, help: &str) -> Result<Gauge, MetricsError> {
    let err = |reason: String| MetricsError {
        name: name.to_owned(),
        reason,
    };
    let metrics = metrics();
    let mut gauges = metrics
        .gauges
        .lock()
        .map_err(|_| err("the gauge table is poisoned".to_owned()))?;
    if let Some(existing) = gauges.get(name) {
        return Ok(Gauge(existing.clone()));
    }
    let gauge = prometheus::Gauge::new(name, help).map_err(|e| err(e.to_string()))?;
    metrics
        .registry
        .register(Box::new(gauge.clone()))
        .map_err(|e| err(e.to_string()))?;
    gauges.insert(name.to_owned(), gauge.clone());
    Ok(Gauge(gauge))
}

/// A counter shown by `GET /metrics` (only ever goes up; cheap to clone; every clone is the
/// same counter).
#[derive(Debug, Clone)]
pub struct Counter(prometheus::IntCounter);

impl Counter {
    /// Adds one.
    pub fn inc(&self) {
        self.0.inc();
    }

    /// Adds `n`.
    pub fn inc_by(&self, n: u64) {
        self.0.inc_by(n);
    }

    /// The current value.
    #[must_use]
    pub fn get(&self) -> u64 {
        self.0.get()
    }
}

/// The counter called `name` (for example `audit_append_failures_total`), registered with
/// `help` the first time; later calls with the same name return the same counter.
///
/// # Errors
/// When `name` is not a valid Prometheus metric name or is already used by another metric.
pub fn counter(name: &str, help: &str) -> Result<Counter, MetricsError> {
    let err = |reason: String| MetricsError {
        name: name.to_owned(),
        reason,
    };
    let metrics = metrics();
    let mut counters = metrics
        .counters
        .lock()
        .map_err(|_| err("the counter table is poisoned".to_owned()))?;
    if let Some(existing) = counters.get(name) {
        return Ok(Counter(existing.clone()));
    }
    let counter = prometheus::IntCounter::new(name, help).map_err(|e| err(e.to_string()))?;
    metrics
        .registry
        .register(Box::new(counter.clone()))
        .map_err(|e| err(e.to_string()))?;
    counters.insert(name.to_owned(), counter.clone());
    Ok(Counter(counter))
}

/// The exposition in the Prometheus text format.
pub fn render() -> String {
    let mut out = Vec::new();
    if let Err(e) = prometheus::TextEncoder::new().encode(&metrics().registry.gather(), &mut out) {
        tracing::error!(error = %e, "metrics could not be encoded");
    }
    String::from_utf8(out).unwrap_or_default()
}

/// The content type of [`render`]'s output.
pub(crate) const CONTENT_TYPE: &str = prometheus::TEXT_FORMAT;

/// Counts and times every request, and counts those under way (wrap it inside the request-id
/// middleware).
pub(crate) async fn middleware(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let method = method_label(req.method());
    let started = Instant::now();
    // Counted down on drop too, so a request whose client went away is not counted forever.
    let _in_flight = InFlight::enter();
    let result = next.call(req).await;
    let (route, status) = match &result {
        Ok(res) => (res.request().match_pattern(), res.status()),
        Err(e) => (None, e.as_response_error().status_code()),
    };
    record(
        method,
        route.as_deref().unwrap_or(UNMATCHED),
        status,
        started.elapsed().as_secs_f64(),
    );
    result
}

/// One request in `http_requests_in_flight` while it lives.
struct InFlight(Option<IntGauge>);

impl InFlight {
    fn enter() -> Self {
        let gauge = metrics().http.as_ref().map(|http| http.in_flight.clone());
        if let Some(gauge) = &gauge {
            gauge.inc();
        }
        Self(gauge)
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if let Some(gauge) = &self.0 {
            gauge.dec();
        }
    }
}

fn record(method: &str, route: &str, status: StatusCode, seconds: f64) {
    let Some(http) = &metrics().http else { return };
    let status = status.as_str();
    let labels = [method, route, status];
    http.requests.with_label_values(&labels).inc();
    http.duration.with_label_values(&labels).observe(seconds);
}

/// Standard methods by name; anything else as `other`, so clients cannot grow the label set.
fn method_label(method: &Method) -> &'static str {
    match method.as_str() {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        "HEAD" => "HEAD",
        "OPTIONS" => "OPTIONS",
        "TRACE" => "TRACE",
        _ => "other",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gauges_are_shared_by_name_and_exposed() {
        let g = gauge("plinth_test_gauge", "A test gauge.").unwrap();
        g.set(3.0);
        gauge("plinth_test_gauge", "again").unwrap().add(1.5);
        assert!((g.get() - 4.5).abs() < f64::EPSILON);
        assert!(render().contains("plinth_test_gauge 4.5"));
        assert!(gauge("not a name", "bad").is_err());
        assert_eq!(method_label(&Method::from_bytes(b"BREW").unwrap()), "other");
        let c = counter("plinth_test_failures_total", "A test counter.").unwrap();
        c.inc();
        counter("plinth_test_failures_total", "again")
            .unwrap()
            .inc();
        assert_eq!(c.get(), 2);
        assert!(render().contains("plinth_test_failures_total 2"));
        assert!(counter("plinth_test_gauge", "taken by a gauge").is_err());
    }

    #[test]
    fn a_request_is_in_flight_until_its_guard_drops() {
        let in_flight = || {
            let text = render();
            text.lines()
                .find_map(|l| l.strip_prefix("http_requests_in_flight "))
                .map(|n| n.trim().to_owned())
        };
        let first = InFlight::enter();
        let second = InFlight::enter();
        assert_eq!(in_flight().as_deref(), Some("2"));
        drop(first);
        assert_eq!(in_flight().as_deref(), Some("1"));
        drop(second);
        assert_eq!(in_flight().as_deref(), Some("0"));
    }
}
