//! Unit tests for loading and validating settings. No test touches the process environment:
//! variables are passed through `Settings::load_with`.

use std::collections::HashMap;
use std::time::Duration;

use secrecy::ExposeSecret;

use super::*;

/// A strong secret made for this test run, so that no value written in the repository is
/// ever accepted by production.
fn strong() -> &'static str {
    static SECRET: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SECRET.get_or_init(|| {
        format!(
            "{}{}",
            uuid::Uuid::now_v7().simple(),
            uuid::Uuid::now_v7().simple()
        )
    })
}

/// The repository's config folder.
fn repo_config() -> String {
    format!("{}/../../config", env!("CARGO_MANIFEST_DIR"))
}

/// Loads with exactly these variables (plus the repository config folder unless given).
fn load(vars: &[(&str, &str)]) -> Result<Settings, SettingsError> {
    let mut map: HashMap<String, String> = vars
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    map.entry("PLINTH_CONFIG_DIR".to_owned())
        .or_insert_with(repo_config);
    Settings::load_with(|k| map.get(k).cloned())
}

fn err(vars: &[(&str, &str)]) -> String {
    match load(vars) {
        Ok(s) => panic!("expected an error, got {s:?}"),
        Err(e) => {
            let line = e.to_string();
            assert!(!line.contains('\n'), "not one line: {line}");
            line
        }
    }
}

#[test]
fn defaults_match_the_contract_table() {
    let s = load(&[]).unwrap();
    assert_eq!(s.environment, Environment::Development);
    assert_eq!((s.server.host.as_str(), s.server.port), ("127.0.0.1", 8080));
    assert_eq!(s.bind_address(), "127.0.0.1:8080");
    assert_eq!(s.server.public_url, "http://127.0.0.1:8080");
    assert_eq!(
        s.database.url.expose_secret(),
        "sqlite://data/plinth.db?mode=rwc"
    );
    assert_eq!(s.database.pool_max, 10);
    assert_eq!(s.auth.access_token_ttl, Duration::from_secs(15 * 60));
    assert_eq!(s.auth.refresh_token_ttl, Duration::from_secs(30 * 86_400));
    assert_eq!(s.auth.session_idle_timeout, Duration::from_secs(7 * 86_400));
    assert_eq!(s.auth.refresh_reuse_grace, Duration::from_secs(10));
    assert_eq!(s.auth.bcrypt_cost, 12);
    assert_eq!(s.auth.password_min_length, 12);
    assert_eq!(
        (s.auth.lockout_threshold, s.auth.lockout_base),
        (5, Duration::from_secs(60))
    );
    assert_eq!(s.auth.revocation_sync_interval, Duration::from_secs(10));
    assert_eq!(s.storage.url, "file://data/files");
    assert_eq!(s.storage.max_upload_bytes, 10_485_760);
    assert_eq!(s.storage.max_avatar_bytes, 1_048_576);
    assert_eq!(s.storage.reconcile_interval, Duration::from_secs(3600));
    assert_eq!(s.storage.default_storage_bytes, 1_073_741_824);
    assert_eq!(
        s.storage.allowed_file_types.join(","),
        "jpg,jpeg,png,gif,webp,pdf,txt,csv,zip,doc,docx"
    );
    assert_eq!(s.server.cors_origins, ["http://localhost:3000"]);
    assert!(s.server.trusted_proxies.is_empty());
    assert_eq!(s.server.shutdown_grace, Duration::from_secs(30));
    assert!(s.mail.smtp_url.is_none());
    assert_eq!(s.mail.product_name, "Plinth");
    assert_eq!(
        s.mail.templates_dir,
        std::path::PathBuf::from("config/mail")
    );
    assert!(s.billing.stripe_webhook_secret.is_none());
    assert!(s.billing.stripe_api_key.is_none());
    assert_eq!(s.billing.stripe_api_base, "https://api.stripe.com");
    assert_eq!(
        s.billing.uncollectible_after,
        Duration::from_secs(30 * 86_400)
    );
    assert_eq!(s.billing.jobs_interval, Duration::from_secs(60));
    assert_eq!(s.billing.invoice_due_days, 30);
    assert_eq!(
        s.events,
        crate::settings::EventSettings {
            retention: Duration::from_secs(7 * 86_400),
            poll_interval: Duration::from_millis(250),
            heartbeat: Duration::from_secs(15),
        }
    );
    assert!(s.rate_limit.enabled);
    assert_eq!(
        s.rate_limit.auth,
        RateLimit::new(10, Duration::from_secs(60))
    );
    assert_eq!(
        s.rate_limit.api,
        RateLimit::new(600, Duration::from_secs(60))
    );
    assert_eq!(
        (s.log.format, s.log.filter.as_str()),
        (LogFormat::Pretty, "info")
    );
    assert!(s.auth.jwt_secret.expose_secret().len() >= 32);
}

#[test]
fn builtin_files_equal_the_repository_files() {
    for (name, text) in SHIPPED_CONFIG {
        let on_disk = std::fs::read_to_string(format!("{}/{name}", repo_config())).unwrap();
        assert_eq!(on_disk, text, "{name}");
    }
    // With no folder at all the built-in layers give the same result as the repository folder
    // (the tests run in crates/server, which has no config/ folder).
    let cwd_free = Settings::load_with(|k| (k == "APP_ENV").then(|| "test".to_owned()));
    let from_folder = load(&[("APP_ENV", "test")]).unwrap();
    let builtin = Settings::builtin(Environment::Test).unwrap();
    assert_eq!(
        format!("{:?}", cwd_free.unwrap()),
        format!("{from_folder:?}")
    );
    assert_eq!(format!("{builtin:?}"), format!("{from_folder:?}"));
}

#[test]
fn test_environment_is_fast_and_has_its_own_secret() {
    let test = load(&[("APP_ENV", "test")]).unwrap();
    let dev = load(&[("APP_ENV", "development")]).unwrap();
    assert_eq!(test.environment, Environment::Test);
    assert_eq!(test.auth.bcrypt_cost, 4);
    assert_ne!(
        test.auth.jwt_secret.expose_secret(),
        dev.auth.jwt_secret.expose_secret()
    );
}

#[test]
fn every_variable_overrides_its_key() {
    let cases: &[(&str, &str)] = &[
        ("HOST", "0.0.0.0"),
        ("PORT", "9090"),
        ("PUBLIC_URL", "https://api.example.com/"),
        ("DATABASE_URL", "postgres://plinth:pw@db:5432/plinth"),
        ("DATABASE_POOL_MAX", "3"),
        ("JWT_SECRET", strong()),
        ("ACCESS_TOKEN_TTL", "5m"),
        ("REFRESH_TOKEN_TTL", "7d"),
        ("SESSION_IDLE_TIMEOUT", "3d12h"),
        ("BCRYPT_COST", "10"),
        ("STORAGE_URL", "s3://bucket/prefix"),
        ("MAX_UPLOAD_BYTES", "1024"),
        ("MAX_AVATAR_BYTES", "2048"),
        ("ALLOWED_FILE_TYPES", " PDF, .png ,"),
        ("RECONCILE_INTERVAL", "15m"),
        ("DEFAULT_STORAGE_BYTES", "5000"),
        ("CORS_ORIGINS", "https://a.example,https://b.example"),
        ("COOKIE_SECURE", "true"),
        ("COOKIE_SAME_SITE", "strict"),
        ("COOKIE_DOMAIN", "example.com"),
        ("SMTP_URL", "smtps://u:p@mail.example:465"),
        ("PRODUCT_NAME", "Acme Cloud"),
        ("MAIL_TEMPLATES_DIR", "/etc/acme/mail"),
        (
            "JWT_PREVIOUS_SECRET",
            "previous-secret-of-plinth-0123456789abcdef",
        ),
        ("JWT_ALGORITHM", "hs256"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_abc"),
        ("STRIPE_API_KEY", "sk_test_abc"),
        ("STRIPE_API_BASE", "http://127.0.0.1:12111/"),
        ("BILLING_UNCOLLECTIBLE_AFTER", "45d"),
        ("BILLING_JOBS_INTERVAL", "10m"),
        ("INVOICE_DUE_DAYS", "45"),
        ("EVENT_RETENTION", "30d"),
        ("EVENT_POLL_INTERVAL", "100ms"),
        ("EVENT_HEARTBEAT", "30s"),
        ("REFRESH_REUSE_GRACE", "1h30m"),
        ("PASSWORD_MIN_LENGTH", "16"),
        ("LOCKOUT_THRESHOLD", "3"),
        ("LOCKOUT_BASE", "30s"),
        ("PASSWORDLESS_TTL", "10m"),
        ("PASSWORDLESS_SIGNUP", "true"),
        ("REVOCATION_SYNC_INTERVAL", "250ms"),
        ("PASSKEY_RP_ID", "Example.com"),
        (
            "PASSKEY_ORIGINS",
            "https://app.example.com, https://example.com/",
        ),
        ("PASSKEY_RP_NAME", "Acme"),
        ("OAUTH_GOOGLE_CLIENT_ID", "google-id"),
        ("OAUTH_GOOGLE_CLIENT_SECRET", "google-secret"),
        ("OAUTH_MICROSOFT_CLIENT_ID", "ms-id"),
        ("OAUTH_MICROSOFT_CLIENT_SECRET", "ms-secret"),
        (
            "OAUTH_MICROSOFT_TENANT",
            "9188040d-6c67-4c5b-b112-36a304b66dad",
        ),
        ("OAUTH_APPLE_CLIENT_ID", "com.example.web"),
        ("OAUTH_APPLE_CLIENT_SECRET", "apple-client-secret-jwt"),
        ("OAUTH_GITHUB_CLIENT_ID", "gh-id"),
        ("OAUTH_GITHUB_CLIENT_SECRET", "gh-secret"),
        ("OAUTH_OIDC_ISSUER", "https://sso.example.com/realms/acme"),
        ("OAUTH_OIDC_CLIENT_ID", "plinth"),
        ("OAUTH_OIDC_CLIENT_SECRET", "sso-secret"),
        ("OAUTH_OIDC_NAME", "acme-sso"),
        ("OAUTH_OIDC_DISPLAY_NAME", "Acme SSO"),
        ("OAUTH_OIDC_SCOPES", "openid, email, groups"),
        ("RATE_LIMIT_ENABLED", "false"),
        ("RATE_LIMIT_AUTH", "5/s"),
        ("RATE_LIMIT_API", "100/h"),
        ("TRUSTED_PROXIES", "10.0.0.0/8, 192.168.1.1"),
        ("SHUTDOWN_GRACE", "2s"),
        ("LOG_FORMAT", "json"),
        ("RUST_LOG", "plinth=debug,warn"),
    ];
    assert_eq!(
        cases.len(),
        ENV_KEYS.len(),
        "every documented variable is covered"
    );
    let s = load(cases).unwrap();
    assert_eq!(s.bind_address(), "0.0.0.0:9090");
    assert_eq!(s.server.public_url, "https://api.example.com");
    assert_eq!(
        s.database.url.expose_secret(),
        "postgres://plinth:pw@db:5432/plinth"
    );
    assert_eq!(s.database.pool_max, 3);
    assert_eq!(s.auth.jwt_secret.expose_secret(), strong());
    assert_eq!(
        s.auth
            .jwt_previous_secret
            .as_ref()
            .map(|p| p.expose_secret().to_owned()),
        Some("previous-secret-of-plinth-0123456789abcdef".to_owned())
    );
    assert_eq!(s.auth.jwt_algorithm, crate::settings::JwtAlgorithm::Hs256);
    assert_eq!(s.auth.access_token_ttl, Duration::from_secs(300));
    assert_eq!(s.auth.refresh_token_ttl, Duration::from_secs(7 * 86_400));
    assert_eq!(s.auth.session_idle_timeout, Duration::from_secs(84 * 3600));
    assert_eq!(s.auth.bcrypt_cost, 10);
    assert_eq!(s.auth.passwordless_ttl, Duration::from_secs(600));
    assert!(s.auth.passwordless_signup);
    assert_eq!(
        s.passkeys,
        Some(plinth_webauthn::RelyingParty {
            id: "example.com".to_owned(),
            name: "Acme".to_owned(),
            origins: vec![
                "https://app.example.com".to_owned(),
                "https://example.com".to_owned()
            ],
        })
    );
    assert_eq!(s.storage.url, "s3://bucket/prefix");
    assert_eq!(s.storage.max_upload_bytes, 1024);
    assert_eq!(s.storage.max_avatar_bytes, 2048);
    assert_eq!(s.storage.allowed_file_types, ["pdf", "png"]);
    assert_eq!(s.storage.reconcile_interval, Duration::from_secs(900));
    assert_eq!(s.storage.default_storage_bytes, 5000);
    assert_eq!(
        s.server.cors_origins,
        ["https://a.example", "https://b.example"]
    );
    assert!(s.server.cookie_secure);
    assert_eq!(
        s.server.cookie_same_site,
        plinth_api::CookieSameSite::Strict
    );
    assert_eq!(s.server.cookie_domain.as_deref(), Some("example.com"));
    assert_eq!(
        s.mail.smtp_url.unwrap().expose_secret(),
        "smtps://u:p@mail.example:465"
    );
    assert_eq!(s.mail.product_name, "Acme Cloud");
    assert_eq!(
        s.mail.templates_dir,
        std::path::PathBuf::from("/etc/acme/mail")
    );
    assert_eq!(
        s.billing.stripe_webhook_secret.unwrap().expose_secret(),
        "whsec_abc"
    );
    assert_eq!(
        s.billing.stripe_api_key.unwrap().expose_secret(),
        "sk_test_abc"
    );
    assert_eq!(s.billing.stripe_api_base, "http://127.0.0.1:12111");
    assert_eq!(
        s.billing.uncollectible_after,
        Duration::from_secs(45 * 86_400)
    );
    assert_eq!(s.billing.jobs_interval, Duration::from_secs(600));
    assert_eq!(s.billing.invoice_due_days, 45);
    assert_eq!(
        s.events,
        crate::settings::EventSettings {
            retention: Duration::from_secs(30 * 86_400),
            poll_interval: Duration::from_millis(100),
            heartbeat: Duration::from_secs(30),
        }
    );
    assert_eq!(s.auth.refresh_reuse_grace, Duration::from_secs(5400));
    assert_eq!(s.auth.password_min_length, 16);
    assert_eq!(
        (s.auth.lockout_threshold, s.auth.lockout_base),
        (3, Duration::from_secs(30))
    );
    assert_eq!(s.auth.revocation_sync_interval, Duration::from_millis(250));
    let names: Vec<&str> = s.oauth.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(
        names,
        ["google", "microsoft", "apple", "github", "acme-sso"]
    );
    assert_eq!(s.oauth[0].client_secret.expose_secret(), "google-secret");
    assert_eq!(
        s.oauth[1].kind,
        plinth_oidc::ProviderKind::Oidc {
            issuer: "https://login.microsoftonline.com/9188040d-6c67-4c5b-b112-36a304b66dad/v2.0"
                .to_owned()
        }
    );
    assert!(s.oauth[2].form_post, "Apple answers with a form post");
    assert_eq!(s.oauth[3].kind, plinth_oidc::ProviderKind::GitHub);
    assert_eq!(s.oauth[4].display_name, "Acme SSO");
    assert_eq!(s.oauth[4].scopes, ["openid", "email", "groups"]);
    assert!(
        !format!("{:?}", s.oauth).contains("sso-secret"),
        "client secrets never show in Debug"
    );
    assert!(!s.rate_limit.enabled);
    assert_eq!(s.rate_limit.auth, RateLimit::new(5, Duration::from_secs(1)));
    assert_eq!(
        s.rate_limit.api,
        RateLimit::new(100, Duration::from_secs(3600))
    );
    let nets: Vec<String> = s
        .server
        .trusted_proxies
        .iter()
        .map(ToString::to_string)
        .collect();
    assert_eq!(nets, ["10.0.0.0/8", "192.168.1.1/32"]);
    assert_eq!(s.server.shutdown_grace, Duration::from_secs(2));
    assert_eq!(
        (s.log.format, s.log.filter.as_str()),
        (LogFormat::Json, "plinth=debug,warn")
    );
}

#[test]
fn social_sign_in_is_off_by_default_and_refuses_incomplete_providers() {
    assert!(load(&[]).unwrap().oauth.is_empty());
    let missing = err(&[("OAUTH_GITHUB_CLIENT_ID", "gh-id")]);
    assert!(missing.contains("OAUTH_GITHUB_CLIENT_SECRET"), "{missing}");
    let multi = err(&[
        ("OAUTH_MICROSOFT_CLIENT_ID", "ms-id"),
        ("OAUTH_MICROSOFT_CLIENT_SECRET", "ms-secret"),
        ("OAUTH_MICROSOFT_TENANT", "common"),
    ]);
    assert!(multi.contains("OAUTH_MICROSOFT_TENANT"), "{multi}");
    let bad_name = err(&[
        ("OAUTH_OIDC_ISSUER", "https://sso.example.com"),
        ("OAUTH_OIDC_CLIENT_ID", "plinth"),
        ("OAUTH_OIDC_CLIENT_SECRET", "sso-secret"),
        ("OAUTH_OIDC_NAME", "Not A Slug"),
    ]);
    assert!(bad_name.contains("OAUTH_OIDC_NAME"), "{bad_name}");
    let bad_issuer = err(&[
        ("OAUTH_OIDC_ISSUER", "ftp://sso.example.com"),
        ("OAUTH_OIDC_CLIENT_ID", "plinth"),
        ("OAUTH_OIDC_CLIENT_SECRET", "sso-secret"),
    ]);
    assert!(bad_issuer.contains("OAUTH_OIDC_ISSUER"), "{bad_issuer}");
    let generic = load(&[
        ("OAUTH_OIDC_ISSUER", "https://sso.example.com"),
        ("OAUTH_OIDC_CLIENT_ID", "plinth"),
        ("OAUTH_OIDC_CLIENT_SECRET", "sso-secret"),
    ])
    .unwrap();
    assert_eq!(generic.oauth[0].name, "oidc");
    assert_eq!(generic.oauth[0].display_name, "Single sign-on");
    assert_eq!(generic.oauth[0].scopes, ["openid", "email", "profile"]);
}

#[test]
fn layers_apply_default_then_environment_file_then_variables() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("default.toml"),
        "PORT = 9000\nLOG_FORMAT = \"json\"\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("test.toml"),
        "PORT = 9100\nJWT_SECRET = \"a-test-secret-that-is-32-bytes-long!\"\n",
    )
    .unwrap();
    let path = dir.path().to_str().unwrap();
    let dir_vars = [("PLINTH_CONFIG_DIR", path), ("APP_ENV", "test")];
    let file_only = load(&dir_vars).unwrap();
    assert_eq!(
        file_only.server.port, 9100,
        "{{APP_ENV}}.toml beats default.toml"
    );
    assert_eq!(
        file_only.log.format,
        LogFormat::Json,
        "default.toml beats the built-in default"
    );
    assert_eq!(
        file_only.database.pool_max, 10,
        "keys no file sets keep the built-in default"
    );
    let with_env = load(&[dir_vars[0], dir_vars[1], ("PORT", "9200")]).unwrap();
    assert_eq!(with_env.server.port, 9200, "the variable beats every file");
    let dev = load(&[("PLINTH_CONFIG_DIR", path), ("JWT_SECRET", strong())]).unwrap();
    assert_eq!(
        dev.server.port, 9000,
        "no development.toml in the folder: default.toml applies"
    );
}

#[test]
fn empty_list_variables_mean_empty_lists() {
    let s = load(&[
        ("ALLOWED_FILE_TYPES", ""),
        ("CORS_ORIGINS", ""),
        ("TRUSTED_PROXIES", ""),
    ])
    .unwrap();
    assert!(s.storage.allowed_file_types.is_empty());
    assert!(s.server.cors_origins.is_empty());
    assert!(s.server.trusted_proxies.is_empty());
}

#[test]
fn cross_site_cookies_must_be_secure_and_name_their_domain() {
    let line = err(&[("COOKIE_SAME_SITE", "none"), ("COOKIE_SECURE", "false")]);
    assert!(
        line.contains("COOKIE_SAME_SITE") && line.contains("COOKIE_SECURE=true"),
        "{line}"
    );
    let s = load(&[
        ("COOKIE_SAME_SITE", "None"),
        ("COOKIE_SECURE", "true"),
        ("COOKIE_DOMAIN", ".Example.com"),
    ])
    .unwrap();
    assert_eq!(s.server.cookie_same_site, plinth_api::CookieSameSite::None);
    assert!(s.server.cookie_secure);
    assert_eq!(s.server.cookie_domain.as_deref(), Some("example.com"));
    let dev = load(&[]).unwrap();
    assert!(
        !dev.server.cookie_secure && dev.server.cookie_domain.is_none(),
        "plain http on a laptop: not Secure, this host only"
    );
    assert_eq!(dev.server.cookie_same_site, plinth_api::CookieSameSite::Lax);
}

#[test]
fn unknown_app_env_lists_the_valid_ones() {
    let line = err(&[("APP_ENV", "staging")]);
    assert!(
        line.contains("staging") && line.contains("development, test, production"),
        "{line}"
    );
}

#[test]
fn missing_config_dir_is_an_error() {
    let line = err(&[("PLINTH_CONFIG_DIR", "/nonexistent/plinth-config")]);
    assert!(line.contains("PLINTH_CONFIG_DIR"), "{line}");
}

#[test]
fn unknown_keys_in_a_file_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("default.toml"), "PROT = 8080\n").unwrap();
    let line = err(&[("PLINTH_CONFIG_DIR", dir.path().to_str().unwrap())]);
    assert!(
        line.contains("PROT") && line.contains("default.toml"),
        "{line}"
    );
}

#[test]
fn unparsable_values_name_the_setting_and_its_origin() {
    for (key, value, hint) in [
        ("DATABASE_URL", "mysql://x", "sqlite"),
        ("DATABASE_URL", "not a url", "sqlite"),
        ("STORAGE_URL", "ftp://x", "s3://"),
        ("STORAGE_URL", "nope", "URL"),
        ("PUBLIC_URL", "localhost:8080", "http"),
        ("ACCESS_TOKEN_TTL", "15 minutes", "duration"),
        ("SHUTDOWN_GRACE", "-1s", "duration"),
        ("REVOCATION_SYNC_INTERVAL", "2m", "at most 60s"),
        ("EVENT_RETENTION", "400d", "at most"),
        ("EVENT_RETENTION", "10m", "EVENT_RETENTION"),
        ("EVENT_POLL_INTERVAL", "2m", "at most"),
        ("EVENT_HEARTBEAT", "0s", "EVENT_HEARTBEAT"),
        (
            "REVOCATION_SYNC_INTERVAL",
            "10ms",
            "REVOCATION_SYNC_INTERVAL",
        ),
        ("PORT", "80a", "whole number"),
        ("PORT", "70000", "whole number"),
        ("MAX_UPLOAD_BYTES", "10MB", "whole number"),
        ("MAX_AVATAR_BYTES", "0", "whole number"),
        ("DATABASE_POOL_MAX", "0", "whole number"),
        ("TRUSTED_PROXIES", "10.0.0.0/33", "CIDR"),
        ("RATE_LIMIT_AUTH", "ten", "rate"),
        ("RATE_LIMIT_ENABLED", "maybe", "true or false"),
        ("LOG_FORMAT", "xml", "json"),
        ("CORS_ORIGINS", "example.com", "origin"),
        ("COOKIE_SAME_SITE", "sideways", "strict, lax or none"),
        ("JWT_ALGORITHM", "RS256", "EdDSA or HS256"),
        ("COOKIE_SECURE", "maybe", "true or false"),
        ("COOKIE_DOMAIN", "exa mple.com", "host name"),
        ("SMTP_URL", "http://x", "smtp"),
        ("STRIPE_WEBHOOK_SECRET", "sk_live_x", "whsec_"),
        ("STRIPE_API_KEY", "pk_live_x", "sk_"),
        ("STRIPE_API_BASE", "ftp://api.stripe.com", "https://"),
        ("STRIPE_API_BASE", "api.stripe.com", "URL"),
        ("INVOICE_DUE_DAYS", "366", "whole number from 0 to 365"),
        ("INVOICE_DUE_DAYS", "-1", "whole number from 0 to 365"),
        ("INVOICE_DUE_DAYS", "30d", "whole number from 0 to 365"),
    ] {
        let line = err(&[(key, value)]);
        assert!(line.contains(key), "{key}: {line}");
        assert!(line.contains(hint), "{key}: {line}");
        assert!(line.contains("environment variable"), "{key}: {line}");
    }
}

#[test]
fn session_idle_timeout_must_exceed_the_access_lifetime_and_not_the_absolute_one() {
    let line = err(&[("REFRESH_TOKEN_TTL", "1d")]);
    assert!(
        line.contains("SESSION_IDLE_TIMEOUT")
            && line.contains("\"7d\"")
            && line.contains("at most REFRESH_TOKEN_TTL (1d)")
            && line.contains("default.toml"),
        "the default 7d no longer fits a 1-day session: {line}"
    );
    let line = err(&[("SESSION_IDLE_TIMEOUT", "31d")]);
    assert!(
        line.contains("at most REFRESH_TOKEN_TTL (30d)") && line.contains("environment variable"),
        "{line}"
    );
    let line = err(&[("ACCESS_TOKEN_TTL", "1h"), ("SESSION_IDLE_TIMEOUT", "1h")]);
    assert!(
        line.contains("SESSION_IDLE_TIMEOUT") && line.contains("longer than ACCESS_TOKEN_TTL (1h)"),
        "{line}"
    );
    let line = err(&[("SESSION_IDLE_TIMEOUT", "7 days")]);
    assert!(line.contains("SESSION_IDLE_TIMEOUT"), "{line}");
    let s = load(&[
        ("REFRESH_TOKEN_TTL", "1d"),
        ("SESSION_IDLE_TIMEOUT", "1d"),
        ("ACCESS_TOKEN_TTL", "5m"),
    ])
    .unwrap();
    assert_eq!(s.auth.session_idle_timeout, Duration::from_secs(86_400));
    let s = load(&[("SESSION_IDLE_TIMEOUT", "16m")]).unwrap();
    assert_eq!(s.auth.session_idle_timeout, Duration::from_secs(960));
}

#[test]
fn bcrypt_cost_must_be_between_4_and_31() {
    for bad in ["3", "32", "0"] {
        let line = err(&[("BCRYPT_COST", bad)]);
        assert!(
            line.contains("BCRYPT_COST") && line.contains("4 to 31"),
            "{line}"
        );
    }
    for good in ["4", "31"] {
        assert_eq!(
            load(&[("BCRYPT_COST", good)])
                .unwrap()
                .auth
                .bcrypt_cost
                .to_string(),
            good
        );
    }
}

#[test]
fn production_refuses_a_missing_short_or_shipped_jwt_secret() {
    let prod = ("APP_ENV", "production");
    let line = err(&[prod]);
    assert!(
        line.contains("production") && line.contains("JWT_SECRET is not set"),
        "{line}"
    );
    let line = err(&[prod, ("JWT_SECRET", "")]);
    assert!(line.contains("JWT_SECRET is not set"), "{line}");
    let line = err(&[prod, ("JWT_SECRET", "short-secret")]);
    assert!(
        line.contains("shorter than 32 bytes") && !line.contains("short-secret"),
        "{line}"
    );
    let shipped = shipped_secrets();
    assert_eq!(
        shipped.len(),
        2,
        "development and test ship one secret each"
    );
    for secret in &shipped {
        let line = err(&[prod, ("JWT_SECRET", secret)]);
        assert!(
            line.contains("published") && !line.contains(secret.as_str()),
            "{line}"
        );
    }
    let line = err(&[prod, ("JWT_SECRET", &"x".repeat(48))]);
    assert!(line.contains("too little variety"), "{line}");
    let ok = load(&[prod, ("JWT_SECRET", strong())]).unwrap();
    assert_eq!(ok.environment, Environment::Production);
    assert_eq!(ok.log.format, LogFormat::Json);
}

#[test]
fn no_environment_listens_beyond_loopback_on_a_shipped_secret() {
    for env in ["development", "test"] {
        for host in ["0.0.0.0", "::", "[::]", "192.0.2.10", "api.example.com"] {
            let line = err(&[("APP_ENV", env), ("HOST", host)]);
            assert!(
                line.contains(&format!("refusing to listen on {host}"))
                    && line.contains("JWT_SECRET")
                    && line.contains("published"),
                "{env} on {host}: {line}"
            );
            for secret in shipped_secrets() {
                assert!(!line.contains(&secret), "{line}");
            }
        }
        for host in ["127.0.0.1", "127.0.0.2", "localhost", "::1", "[::1]"] {
            let s = load(&[("APP_ENV", env), ("HOST", host)]).unwrap();
            assert_eq!(s.server.host, host, "{env} keeps its secret on loopback");
        }
        let own = load(&[
            ("APP_ENV", env),
            ("HOST", "0.0.0.0"),
            ("JWT_SECRET", strong()),
        ]);
        assert!(own.is_ok(), "{env} with its own secret may listen publicly");
        for secret in shipped_secrets() {
            let line = err(&[
                ("APP_ENV", env),
                ("HOST", "0.0.0.0"),
                ("JWT_SECRET", strong()),
                ("JWT_PREVIOUS_SECRET", &secret),
            ]);
            assert!(
                line.contains("refusing to listen on 0.0.0.0")
                    && line.contains("JWT_PREVIOUS_SECRET"),
                "{line}"
            );
        }
    }
}

#[test]
fn short_secrets_are_refused_everywhere() {
    let line = err(&[("JWT_SECRET", "too-short")]);
    assert!(
        line.contains("JWT_SECRET") && line.contains("32 bytes") && !line.contains("too-short"),
        "{line}"
    );
}

#[test]
fn debug_and_errors_never_show_secrets() {
    let s = load(&[
        ("DATABASE_URL", "postgres://plinth:db-pass-123@db/plinth"),
        ("SMTP_URL", "smtp://mailer:smtp-pass-456@mail:25"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_stripe789"),
        ("STRIPE_API_KEY", "sk_live_apikey321"),
        ("JWT_SECRET", strong()),
    ])
    .unwrap();
    let debug = format!("{s:?}");
    for secret in [
        "db-pass-123",
        "smtp-pass-456",
        "stripe789",
        "apikey321",
        strong(),
    ] {
        assert!(!debug.contains(secret), "{secret} leaked in {debug}");
    }
    assert!(debug.contains("postgres://plinth:***@db/plinth"), "{debug}");
    let line = err(&[("DATABASE_URL", "mysql://root:db-pass-123@db/x")]);
    assert!(!line.contains("db-pass-123"), "{line}");
    let line = err(&[("SMTP_URL", "http://mailer:smtp-pass-456@mail")]);
    assert!(!line.contains("smtp-pass-456"), "{line}");
    let line = err(&[("STRIPE_API_KEY", "pk_live_apikey321")]);
    assert!(!line.contains("apikey321"), "{line}");
}

#[test]
fn invoice_due_days_accepts_0_to_365() {
    for days in [0_u32, 365] {
        let s = load(&[("INVOICE_DUE_DAYS", &days.to_string())]).unwrap();
        assert_eq!(s.billing.invoice_due_days, days);
    }
}

#[test]
fn passkeys_default_to_public_urls_host_and_the_cors_origins_on_it() {
    let s = load(&[]).unwrap();
    assert_eq!(
        s.passkeys,
        Some(plinth_webauthn::RelyingParty {
            id: "localhost".to_owned(),
            name: "Plinth".to_owned(),
            origins: vec!["http://localhost:3000".to_owned()],
        }),
        "an IP address is no RP id: localhost, with the default frontend origin"
    );
    let s = load(&[
        ("PUBLIC_URL", "https://api.example.com"),
        (
            "CORS_ORIGINS",
            "https://api.example.com,https://other.example.org",
        ),
    ])
    .unwrap();
    let rp = s.passkeys.unwrap();
    assert_eq!(rp.id, "api.example.com");
    assert_eq!(rp.origins, ["https://api.example.com"]);
    let s = load(&[("CORS_ORIGINS", "https://app.example.org")]).unwrap();
    assert_eq!(s.passkeys, None, "no origin on the id: passkeys are off");
}

#[test]
fn passkey_settings_that_cannot_work_stop_start_up() {
    for (key, value) in [
        ("PASSKEY_RP_ID", "https://example.com"),
        ("PASSKEY_ORIGINS", "https://evil.example.org"),
    ] {
        let line = load(&[("PASSKEY_RP_ID", "example.com"), (key, value)])
            .unwrap_err()
            .to_string();
        assert!(line.contains(key), "{line}");
    }
    let line = load(&[("PASSKEY_RP_ID", "example.com")])
        .unwrap_err()
        .to_string();
    assert!(line.contains("PASSKEY_RP_ID"), "{line}");
}
