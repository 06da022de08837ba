//! Social sign-in providers (`OAUTH_*`): the Google, Microsoft, Apple and GitHub presets, each
//! on when its client id is set, and one generic OpenID Connect provider (`OAUTH_OIDC_*`).

use plinth_oidc::ProviderConfig;

use super::SettingsError;
use super::reader::Reader;

/// A preset: its client id key, its client secret key, and how it is built.
type Preset = (
    &'static str,
    &'static str,
    fn(&Reader<'_>, &str, secrecy::SecretString) -> Result<ProviderConfig, SettingsError>,
);

const PRESETS: [Preset; 4] = [
    (
        "OAUTH_GOOGLE_CLIENT_ID",
        "OAUTH_GOOGLE_CLIENT_SECRET",
        |_, id, secret| Ok(ProviderConfig::google(id, secret)),
    ),
    (
        "OAUTH_MICROSOFT_CLIENT_ID",
        "OAUTH_MICROSOFT_CLIENT_SECRET",
        |r, id, secret| {
            let tenant = r.required("OAUTH_MICROSOFT_TENANT")?;
            let tenant = tenant.trim();
            let valid = !tenant.is_empty()
                && tenant
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.');
            if !valid || matches!(tenant, "common" | "organizations" | "consumers") {
                return Err(r.invalid(
                    "OAUTH_MICROSOFT_TENANT",
                    false,
                    "expected a tenant id (a GUID, or 9188040d-6c67-4c5b-b112-36a304b66dad for \
                     personal accounts): the multi-tenant endpoints issue tokens whose issuer \
                     cannot be checked",
                ));
            }
            Ok(ProviderConfig::microsoft(tenant, id, secret))
        },
    ),
    (
        "OAUTH_APPLE_CLIENT_ID",
        "OAUTH_APPLE_CLIENT_SECRET",
        |_, id, secret| Ok(ProviderConfig::apple(id, secret)),
    ),
    (
        "OAUTH_GITHUB_CLIENT_ID",
        "OAUTH_GITHUB_CLIENT_SECRET",
        |_, id, secret| Ok(ProviderConfig::github(id, secret)),
    ),
];

/// The configured providers, presets first (Google, Microsoft, Apple, GitHub), then the
/// generic OpenID Connect provider.
pub(super) fn providers(r: &Reader<'_>) -> Result<Vec<ProviderConfig>, SettingsError> {
    let mut providers = Vec::new();
    for (id_key, secret_key, build) in PRESETS {
        let Some(id) = r.text(id_key)?.filter(|s| !s.trim().is_empty()) else {
            continue;
        };
        let secret = r
            .secret(secret_key)?
            .ok_or(SettingsError::Missing { key: secret_key })?;
        providers.push(build(r, id.trim(), secret)?);
    }
    if let Some(generic) = oidc(r)? {
        if providers.iter().any(|p| p.name == generic.name) {
            return Err(r.invalid(
                "OAUTH_OIDC_NAME",
                false,
                "a preset provider already has this name",
            ));
        }
        providers.push(generic);
    }
    Ok(providers)
}

/// `OAUTH_OIDC_ISSUER`, `_CLIENT_ID`, `_CLIENT_SECRET`, and optionally `_NAME` (default
/// `oidc`), `_DISPLAY_NAME` (default `Single sign-on`), `_SCOPES` (default `openid email
/// profile`).
fn oidc(r: &Reader<'_>) -> Result<Option<ProviderConfig>, SettingsError> {
    let Some(issuer) = r
        .text("OAUTH_OIDC_ISSUER")?
        .filter(|s| !s.trim().is_empty())
    else {
        return Ok(None);
    };
    let issuer = issuer.trim().to_owned();
    let parsed = url::Url::parse(&issuer)
        .map_err(|e| r.invalid("OAUTH_OIDC_ISSUER", false, format!("not a URL: {e}")))?;
    if !matches!(parsed.scheme(), "http" | "https") || !parsed.has_host() {
        return Err(r.invalid(
            "OAUTH_OIDC_ISSUER",
            false,
            "expected an http:// or https:// URL",
        ));
    }
    let client_id = r.required("OAUTH_OIDC_CLIENT_ID")?;
    let secret = r
        .secret("OAUTH_OIDC_CLIENT_SECRET")?
        .ok_or(SettingsError::Missing {
            key: "OAUTH_OIDC_CLIENT_SECRET",
        })?;
    let name = r
        .text("OAUTH_OIDC_NAME")?
        .map_or_else(|| "oidc".to_owned(), |s| s.trim().to_owned());
    let slug = !name.is_empty()
        && name.len() <= 40
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
    if !slug {
        return Err(r.invalid(
            "OAUTH_OIDC_NAME",
            false,
            "expected 1 to 40 lower-case letters, digits or `-`",
        ));
    }
    let display_name = r
        .text("OAUTH_OIDC_DISPLAY_NAME")?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Single sign-on".to_owned());
    let mut scopes = r.list("OAUTH_OIDC_SCOPES")?;
    if scopes.is_empty() {
        scopes = ["openid", "email", "profile"].map(str::to_owned).to_vec();
    }
    Ok(Some(ProviderConfig::oidc(
        &name,
        &display_name,
        &issuer,
        client_id.trim(),
        secret,
        scopes,
    )))
}
