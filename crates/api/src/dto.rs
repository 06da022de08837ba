//! HTTP body types, separate from the domain types: responses convert with `From`, requests
//! with `try_into_domain()` / `into_domain()`. All JSON is snake_case.

pub(crate) mod announcement;
pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod billing;
pub(crate) mod event;
pub(crate) mod export;
pub(crate) mod file;
pub(crate) mod invoice;
pub(crate) mod mfa;
pub(crate) mod oauth;
pub(crate) mod org;
pub(crate) mod page;
pub(crate) mod passkey;
pub(crate) mod passwordless;
pub(crate) mod plan_changes;
pub(crate) mod recovery;
pub(crate) mod role;
pub(crate) mod service;
pub(crate) mod share;
pub(crate) mod stats;
pub(crate) mod subscription;
pub(crate) mod user;
pub(crate) mod well_known;

/// A field that may be absent (`None`), `null` (`Some(None)`) or a value: use with
/// `#[serde(default, deserialize_with = "nullable")]` on an `Option<Option<T>>`.
pub(crate) fn nullable<'de, D, T>(d: D) -> Result<Option<Option<T>>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    <Option<T> as serde::Deserialize>::deserialize(d).map(Some)
}
