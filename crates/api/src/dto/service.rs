//! Bodies of the service endpoints (`/health`, `/ready`).

use std::collections::BTreeMap;

/// `GET /health`.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({ "status": "ok", "version": "0.1.0" }))]
pub(crate) struct Health {
    /// Always `ok` when the process answers.
    pub status: String,
    /// The running version.
    pub version: String,
}

/// One dependency's state.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
pub(crate) struct CheckStatus {
    /// `ok` or `error`.
    #[schema(example = "ok")]
    pub status: String,
    /// A short reason when `error`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// `GET /ready`: `ok` only when every dependency answered within two seconds.
#[derive(Debug, Clone, serde::Serialize, serde::Deserialize, utoipa::ToSchema)]
#[schema(example = json!({
    "status": "ok",
    "checks": { "database": { "status": "ok" }, "storage": { "status": "ok" } }
}))]
pub(crate) struct Readiness {
    /// `ok` or `error`.
    pub status: String,
    /// Per-dependency results.
    pub checks: BTreeMap<String, CheckStatus>,
}
