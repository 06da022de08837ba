//! The role matrix's table: every admin operation's permission, what each built-in role and
//! the test's custom role hold, and a well-formed body per operation. Shared by the in-memory
//! matrix (`crates/api/tests/api/role_matrix.rs`) and the one on the real stores (SQLite and
//! PostgreSQL: `crates/server/tests/e2e/role_matrix.rs`, which includes this file by path), so
//! the two can never disagree.

use serde_json::{Value, json};

/// `(method, path, permission)` of every admin operation.
const PERMISSIONS: &[(&str, &str, &str)] = &[
    ("get", "/api/v1/admin/users", "users:read"),
    ("get", "/api/v1/admin/users/{id}", "users:read"),
    ("patch", "/api/v1/admin/users/{id}", "users:write"),
    ("delete", "/api/v1/admin/users/{id}", "users:write"),
    ("get", "/api/v1/admin/audit", "audit:read"),
    ("get", "/api/v1/admin/audit/verify", "audit:read"),
    ("get", "/api/v1/admin/stats", "stats:read"),
    ("post", "/api/v1/admin/plans", "billing:write"),
    ("post", "/api/v1/admin/invoices", "billing:write"),
    ("get", "/api/v1/admin/invoices", "billing:write"),
    ("get", "/api/v1/admin/invoices/{id}", "billing:write"),
    ("patch", "/api/v1/admin/invoices/{id}", "billing:write"),
    ("delete", "/api/v1/admin/invoices/{id}", "billing:write"),
    ("get", "/api/v1/admin/invoices/{id}/pdf", "billing:write"),
    (
        "post",
        "/api/v1/admin/invoices/{id}/finalize",
        "billing:write",
    ),
    ("post", "/api/v1/admin/invoices/{id}/void", "billing:write"),
    (
        "post",
        "/api/v1/admin/invoices/{id}/mark-paid",
        "billing:write",
    ),
    ("patch", "/api/v1/admin/plans/{id}", "billing:write"),
    ("post", "/api/v1/admin/announcements", "announcements:write"),
    ("get", "/api/v1/admin/announcements", "announcements:write"),
    ("get", "/api/v1/admin/roles", "roles:write"),
    ("post", "/api/v1/admin/roles", "roles:write"),
    ("get", "/api/v1/admin/orgs", "orgs:read"),
    ("get", "/api/v1/admin/orgs/{org_id}", "orgs:read"),
    ("get", "/api/v1/admin/orgs/{org_id}/members", "orgs:read"),
    ("patch", "/api/v1/admin/orgs/{org_id}", "orgs:write"),
];

/// `(method, path)` of operations outside `/api/v1/admin` that any signed-in caller may use,
/// whatever their role: 401 without credentials, never 401 or 403 with them.
const SIGNED_IN: &[(&str, &str)] = &[
    ("get", "/api/v1/announcements"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/me/identities"),
    ("get", "/api/v1/me/passkeys"),
];

/// What the contract gives `admin`: every `*:read`, `users:write`, `billing:write`,
/// `announcements:write`; and, with the organizations (beyond the contract), `orgs:write`.
pub(crate) const ADMIN: &[&str] = &[
    "users:read",
    "audit:read",
    "stats:read",
    "orgs:read",
    "users:write",
    "billing:write",
    "announcements:write",
    "orgs:write",
];

/// `super_admin`: everything, `roles:write` included.
pub(crate) const SUPER_ADMIN: &[&str] = &[
    "users:read",
    "audit:read",
    "stats:read",
    "users:write",
    "billing:write",
    "announcements:write",
    "orgs:read",
    "orgs:write",
    "roles:write",
];

/// The custom role of this test.
pub(crate) const AUDITOR: &[&str] = &["audit:read"];

/// A well-formed body, so that a refusal cannot come from body parsing instead of the check.
fn body_for(method: &str, path: &str) -> Option<Value> {
    match (method, path) {
        ("post", "/api/v1/admin/plans") => Some(json!({
            "code": "matrix",
            "name": "Matrix",
            "active": true,
            "price": { "amount": 500, "currency": "USD" },
            "interval": "month",
            "trial_days": 0,
            "features": {}
        })),
        ("post", "/api/v1/admin/invoices") => Some(json!({
            "user_id": "01939e4a-0000-7000-8000-00000000beef",
            "currency": "USD",
            "lines": [{ "description": "Matrix", "quantity": 1, "unit_amount": 100 }]
        })),
        ("post", "/api/v1/admin/announcements") => Some(json!({
            "title": "Matrix",
            "body": "Posted by the role matrix."
        })),
        ("post", "/api/v1/admin/roles") => Some(json!({ "name": "matrix", "permissions": [] })),
        ("patch", "/api/v1/admin/invoices/{id}") => Some(json!({ "tax_rate_bps": 0 })),
        ("patch", "/api/v1/admin/orgs/{org_id}") => Some(json!({ "suspended": false })),
        ("patch", _) => Some(json!({ "name": "Renamed By Matrix" })),
        _ => None,
    }
}

/// `(method, path)` of every operation under `/api/v1/admin` in the document.
fn admin_operations() -> Vec<(String, String)> {
    let doc: Value = serde_json::from_str(&plinth_api::openapi_json()).unwrap();
    let mut ops = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        if !path.starts_with("/api/v1/admin") {
            continue;
        }
        for method in item.as_object().unwrap().keys() {
            if ["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                ops.push((method.clone(), path.clone()));
            }
        }
    }
    ops
}

/// Whether `status` is what a caller should get: 401 anonymously, 403 signed in without the
/// permission, and neither (nor a 5xx) with it.
fn as_expected(signed_in: bool, granted: bool, status: u16) -> bool {
    match (signed_in, granted) {
        (false, _) => status == 401,
        (true, false) => status == 403,
        (true, true) => status != 401 && status != 403 && status < 500,
    }
}

/// `method path` against the server at `base` with `token`, its well-formed body, and an id
/// nobody has in every parameter (operations on one resource answer 404 once allowed).
async fn call(
    client: &reqwest::Client,
    base: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
) -> u16 {
    let url = format!(
        "{base}{}",
        path.replace("{id}", "01939e4a-0000-7000-8000-00000000beef")
            .replace("{org_id}", "01939e4a-0000-7000-8000-00000000beef")
    );
    let verb = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
    let mut req = client.request(verb, url);
    if let Some(token) = token {
        req = req.bearer_auth(token);
    }
    if let Some(body) = body_for(&method.to_lowercase(), path) {
        req = req.json(&body);
    }
    req.send().await.unwrap().status().as_u16()
}

/// A caller of the matrix: its name, its access token (`None`: anonymous) and the
/// permissions its role holds.
pub(crate) type MatrixCaller<'a> = (&'a str, Option<String>, &'a [&'a str]);

/// Every admin operation of the document × `callers` against the server at `base`, and the
/// signed-in operations: what did not answer as the table says (empty when all did).
pub(crate) async fn failures(
    client: &reqwest::Client,
    base: &str,
    callers: &[MatrixCaller<'_>],
) -> Vec<String> {
    let ops = admin_operations();
    assert!(ops.len() >= PERMISSIONS.len(), "{ops:?}");
    let mut failures = Vec::new();
    for (method, path) in &ops {
        let Some((_, _, permission)) = PERMISSIONS
            .iter()
            .find(|(m, p, _)| m == method && p == path)
        else {
            failures.push(format!(
                "{method} {path}: not in PERMISSIONS; list its permission"
            ));
            continue;
        };
        for (role, token, perms) in callers {
            let status = call(client, base, method, path, token.as_deref()).await;
            if !as_expected(token.is_some(), perms.contains(permission), status) {
                failures.push(format!(
                    "{method} {path} as {role} (needs {permission}): got {status}"
                ));
            }
        }
    }
    for (method, path) in SIGNED_IN {
        for (role, token, _) in callers {
            let status = call(client, base, method, path, token.as_deref()).await;
            let ok = if token.is_some() {
                status == 200
            } else {
                status == 401
            };
            if !ok {
                failures.push(format!(
                    "{method} {path} as {role} (signed in): got {status}"
                ));
            }
        }
    }
    failures
}
