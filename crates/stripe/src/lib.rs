//! The Stripe adapter of [`plinth_billing::payment::PaymentGateway`]: [`StripeGateway`].
//!
//! It creates a customer and a payment intent for an invoice through Stripe's REST API
//! (form-encoded requests, JSON answers), and retrieves a payment intent created earlier. Every call has a connect timeout and a total timeout,
//! and a fixed `Idempotency-Key` derived from our ids (`plinth-customer-<user id>`,
//! `plinth-payment-<invoice id>`): Stripe answers a repeated key with the first result, so a
//! retry after a timeout never charges twice. The API key is never logged.

use std::time::Duration;

use plinth_billing::payment::{
    GatewayError, INVOICE_METADATA_KEY, PaymentGateway, PaymentMethod, PaymentRequest, PaymentStart,
};
use plinth_billing::{CustomerSnapshot, InvoiceId};
use plinth_kernel::UserId;
use secrecy::{ExposeSecret, SecretString};

/// Stripe's API.
pub const DEFAULT_API_BASE: &str = "https://api.stripe.com";

/// How to reach Stripe.
#[derive(Debug, Clone)]
pub struct StripeConfig {
    /// The secret API key (`sk_live_…`, `sk_test_…`).
    pub api_key: SecretString,
    /// [`DEFAULT_API_BASE`], or a fake in tests.
    pub api_base: String,
    /// Longest wait for the TCP + TLS connection.
    pub connect_timeout: Duration,
    /// Longest wait for a whole call, connection included.
    pub timeout: Duration,
}

impl StripeConfig {
    /// Stripe's API with `api_key`, 5 s to connect and 20 s per call.
    #[must_use]
    pub fn new(api_key: SecretString) -> Self {
        Self {
            api_key,
            api_base: DEFAULT_API_BASE.to_owned(),
            connect_timeout: Duration::from_secs(5),
            timeout: Duration::from_secs(20),
        }
    }
}

/// Creates Stripe customers and payment intents.
pub struct StripeGateway {
    http: reqwest::Client,
    config: StripeConfig,
}

impl std::fmt::Debug for StripeGateway {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StripeGateway")
            .field("api_base", &self.config.api_base)
            .finish_non_exhaustive()
    }
}

#[derive(serde::Deserialize)]
struct Created {
    id: String,
    #[serde(default)]
    client_secret: Option<String>,
    #[serde(default)]
    status: Option<String>,
}

#[derive(serde::Deserialize)]
struct ErrorBody {
    error: ErrorDetail,
}

#[derive(serde::Deserialize)]
struct ErrorDetail {
    #[serde(default)]
    message: Option<String>,
}

/// The idempotency key of the customer of `user`.
#[must_use]
pub fn customer_key(user: UserId) -> String {
    format!("plinth-customer-{user}")
}

/// The idempotency key of the payment of `invoice`: one payment intent per invoice, ever.
#[must_use]
pub fn payment_key(invoice: InvoiceId) -> String {
    format!("plinth-payment-{invoice}")
}

impl StripeGateway {
    /// A gateway with `config`'s timeouts.
    ///
    /// # Errors
    /// [`GatewayError::Unavailable`] when the HTTP client cannot be built (no TLS roots).
    pub fn new(config: StripeConfig) -> Result<Self, GatewayError> {
        let http = reqwest::Client::builder()
            .connect_timeout(config.connect_timeout)
            .timeout(config.timeout)
            .user_agent(concat!("plinth/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(|e| GatewayError::Unavailable(format!("HTTP client: {e}")))?;
        Ok(Self { http, config })
    }

    /// Creates (or, on a repeated call, finds again) the Stripe customer of `user`: its id.
    ///
    /// # Errors
    /// [`GatewayError`].
    pub async fn create_customer(
        &self,
        user: UserId,
        customer: &CustomerSnapshot,
    ) -> Result<String, GatewayError> {
        let form = [
            ("email", customer.email.clone()),
            ("name", customer.name.clone()),
            ("metadata[plinth_user_id]", user.to_string()),
        ];
        Ok(self
            .post("/v1/customers", &customer_key(user), &form)
            .await?
            .id)
    }

    /// Creates the payment intent of `request` (with `customer` when given): its id and
    /// client secret.
    ///
    /// # Errors
    /// [`GatewayError`].
    pub async fn create_payment_intent(
        &self,
        request: &PaymentRequest,
        customer: Option<&str>,
    ) -> Result<PaymentIntent, GatewayError> {
        let metadata_key = format!("metadata[{INVOICE_METADATA_KEY}]");
        let mut form = vec![
            ("amount", request.amount.amount.to_string()),
            (
                "currency",
                request.amount.currency.code().to_ascii_lowercase(),
            ),
            (metadata_key.as_str(), request.invoice_id.to_string()),
            ("automatic_payment_methods[enabled]", "true".to_owned()),
        ];
        if let Some(customer) = customer {
            form.push(("customer", customer.to_owned()));
        }
        let created = self
            .post(
                "/v1/payment_intents",
                &payment_key(request.invoice_id),
                &form,
            )
            .await?;
        Ok(PaymentIntent {
            id: created.id,
            client_secret: created.client_secret,
            status: created.status,
        })
    }

    /// Retrieves the payment intent `id` (`GET /v1/payment_intents/{id}`): its client secret
    /// and current status.
    ///
    /// # Errors
    /// [`GatewayError`]; `Refused` for an id that is not a payment intent id or that Stripe
    /// does not know.
    pub async fn retrieve_payment_intent(&self, id: &str) -> Result<PaymentIntent, GatewayError> {
        // Stripe ids are `pi_` + letters and digits; anything else is never put in a URL.
        if !id.starts_with("pi_") || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(GatewayError::Refused(format!(
                "not a Stripe payment intent id: {id:?}"
            )));
        }
        let path = format!("/v1/payment_intents/{id}");
        let url = format!("{}{path}", self.config.api_base.trim_end_matches('/'));
        let request = self
            .http
            .get(&url)
            .bearer_auth(self.config.api_key.expose_secret());
        let found = self.call(&path, request).await?;
        Ok(PaymentIntent {
            id: found.id,
            client_secret: found.client_secret,
            status: found.status,
        })
    }

    async fn post(
        &self,
        path: &str,
        idempotency_key: &str,
        form: &[(&str, String)],
    ) -> Result<Created, GatewayError> {
        let url = format!("{}{path}", self.config.api_base.trim_end_matches('/'));
        let request = self
            .http
            .post(&url)
            .bearer_auth(self.config.api_key.expose_secret())
            .header("Idempotency-Key", idempotency_key)
            .form(form);
        self.call(path, request).await
    }

    /// Sends `request` and reads Stripe's answer: the object on success, else a
    /// [`GatewayError`] carrying Stripe's message (never the API key).
    async fn call(
        &self,
        path: &str,
        request: reqwest::RequestBuilder,
    ) -> Result<Created, GatewayError> {
        let response = request.send().await.map_err(|e| unavailable(path, &e))?;
        let status = response.status();
        let body = response.bytes().await.map_err(|e| unavailable(path, &e))?;
        if status.is_success() {
            return serde_json::from_slice(&body).map_err(|e| {
                GatewayError::Unavailable(format!("Stripe {path}: unexpected answer: {e}"))
            });
        }
        let message = if status == reqwest::StatusCode::UNAUTHORIZED {
            // Stripe's message repeats part of the key; say only what is wrong.
            "the API key was refused".to_owned()
        } else {
            serde_json::from_slice::<ErrorBody>(&body)
                .ok()
                .and_then(|b| b.error.message)
                .map_or_else(
                    || format!("HTTP {status}"),
                    |m| m.replace(self.config.api_key.expose_secret(), "[redacted]"),
                )
        };
        tracing::warn!(%status, path, "Stripe refused a call");
        if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
            Err(GatewayError::Unavailable(format!(
                "Stripe {path}: {message}"
            )))
        } else {
            Err(GatewayError::Refused(format!("Stripe {path}: {message}")))
        }
    }
}

/// A payment intent, created or retrieved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentIntent {
    /// `pi_…`.
    pub id: String,
    /// What the client-side SDK confirms the payment with.
    pub client_secret: Option<String>,
    /// Stripe's status (`requires_payment_method`, `processing`, `succeeded`, `canceled`…).
    pub status: Option<String>,
}

fn unavailable(path: &str, e: &reqwest::Error) -> GatewayError {
    let why = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "connection failed"
    } else {
        "request failed"
    };
    tracing::warn!(path, why, "Stripe is unavailable");
    GatewayError::Unavailable(format!("Stripe {path}: {why}"))
}

#[async_trait::async_trait]
impl PaymentGateway for StripeGateway {
    fn method(&self) -> PaymentMethod {
        PaymentMethod::Stripe
    }

    /// Creates the customer (when the request names one), then the payment intent; both
    /// idempotent, so calling again for the same invoice returns the same payment intent.
    async fn start_payment(&self, request: &PaymentRequest) -> Result<PaymentStart, GatewayError> {
        let customer = match &request.customer {
            Some(snapshot) => Some(self.create_customer(request.user_id, snapshot).await?),
            None => None,
        };
        let intent = self
            .create_payment_intent(request, customer.as_deref())
            .await?;
        Ok(PaymentStart {
            provider_payment_id: Some(intent.id),
            provider_customer_id: customer,
            client_secret: intent.client_secret,
            status: intent.status,
        })
    }

    /// Retrieves the payment intent (no idempotency key: a read).
    async fn payment(&self, provider_payment_id: &str) -> Result<PaymentStart, GatewayError> {
        let intent = self.retrieve_payment_intent(provider_payment_id).await?;
        Ok(PaymentStart {
            provider_payment_id: Some(intent.id),
            provider_customer_id: None,
            client_secret: intent.client_secret,
            status: intent.status,
        })
    }
}
