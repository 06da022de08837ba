//! Passkeys (`PASSKEY_RP_ID`, `PASSKEY_ORIGINS`, `PASSKEY_RP_NAME`): the WebAuthn relying party.
//!
//! By default the relying-party id is `PUBLIC_URL`'s host (`localhost` when that host is an IP
//! address, which WebAuthn does not accept), and the allowed origins are `PUBLIC_URL`'s and every
//! `CORS_ORIGINS` entry on that host or a subdomain of it. With no such origin, passkeys are off
//! (their routes answer 404) unless `PASSKEY_RP_ID` is set, which then must have one.

use plinth_webauthn::RelyingParty;

use super::reader::Reader;
use super::{ServerSettings, SettingsError};

/// Whether `origin`'s host is `rp_id` or one of its subdomains.
fn on_rp(origin: &url::Url, rp_id: &str) -> bool {
    origin
        .domain()
        .is_some_and(|d| d == rp_id || d.ends_with(&format!(".{rp_id}")))
}

fn origin(s: &str) -> Option<url::Url> {
    let url = url::Url::parse(s.trim()).ok()?;
    if !matches!(url.scheme(), "http" | "https") || !url.has_host() {
        return None;
    }
    url::Url::parse(&url.origin().ascii_serialization()).ok()
}

pub(super) fn relying_party(
    r: &Reader<'_>,
    server: &ServerSettings,
) -> Result<Option<RelyingParty>, SettingsError> {
    let explicit = r
        .text("PASSKEY_RP_ID")?
        .map(|s| s.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|s| !s.is_empty());
    if let Some(id) = &explicit {
        let valid = id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'.')
            && !id.starts_with('.');
        if !valid {
            return Err(r.invalid(
                "PASSKEY_RP_ID",
                false,
                "expected a domain such as example.com (no scheme, port or path)",
            ));
        }
    }
    let public = origin(&server.public_url);
    let rp_id = match (&explicit, &public) {
        (Some(id), _) => id.clone(),
        (None, Some(url)) => url.domain().unwrap_or("localhost").to_owned(),
        (None, None) => return Ok(None),
    };
    let configured = r.list("PASSKEY_ORIGINS")?;
    let origins: Vec<url::Url> = if configured.is_empty() {
        let mut candidates: Vec<url::Url> = public.clone().into_iter().collect();
        candidates.extend(server.cors_origins.iter().filter_map(|o| origin(o)));
        let mut found: Vec<url::Url> = Vec::new();
        for candidate in candidates {
            if on_rp(&candidate, &rp_id) && !found.contains(&candidate) {
                found.push(candidate);
            }
        }
        found
    } else {
        configured
            .iter()
            .map(|o| match origin(o) {
                Some(url) if on_rp(&url, &rp_id) => Ok(url),
                _ => Err(r.invalid(
                    "PASSKEY_ORIGINS",
                    false,
                    format!("`{o}` is not an origin on the relying party id `{rp_id}`"),
                )),
            })
            .collect::<Result<_, _>>()?
    };
    if origins.is_empty() {
        return match explicit {
            Some(_) => Err(r.invalid(
                "PASSKEY_RP_ID",
                false,
                "no allowed origin is on this id: set PASSKEY_ORIGINS",
            )),
            None => Ok(None),
        };
    }
    let name = r
        .text("PASSKEY_RP_NAME")?
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "Plinth".to_owned());
    Ok(Some(RelyingParty {
        id: rp_id,
        name,
        origins: origins
            .iter()
            .map(|o| o.origin().ascii_serialization())
            .collect(),
    }))
}
