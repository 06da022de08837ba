//! Invoices over HTTP: admin drafts and transitions, the customer's view and PDF.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::{Clock as _, PageRequest};
use serde_json::{Value, json};

use crate::helpers::{TestApp, assert_problem, error_fields, spawn_app};

fn draft_for(user_id: &str) -> Value {
    json!({
        "user_id": user_id,
        "currency": "USD",
        "lines": [
            { "description": "Pro plan, March", "quantity": 1, "unit_amount": 14900 },
            { "description": "Extra seats", "quantity": 3, "unit_amount": 1999 }
        ],
        "discount_percent": 10,
        "tax_rate_bps": 825,
        "due_in_days": 14
    })
}

/// A customer (id, token) and an admin token.
async fn parties(app: &TestApp) -> (String, String, String) {
    let pair = app.register("customer@example.com").await;
    let id = pair["user"]["id"].as_str().unwrap().to_owned();
    let token = pair["access_token"].as_str().unwrap().to_owned();
    (id, token, app.admin_token().await)
}

async fn create(app: &TestApp, admin: &str, body: &Value) -> Value {
    let res = app
        .post_json("/api/v1/admin/invoices", body, Some(admin))
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

async fn transition(app: &TestApp, admin: &str, id: &str, action: &str) -> reqwest::Response {
    app.post_json(
        &format!("/api/v1/admin/invoices/{id}/{action}"),
        &json!({}),
        Some(admin),
    )
    .await
}

#[tokio::test]
async fn a_draft_is_finalised_paid_and_shown_to_its_customer() {
    let app = spawn_app().await;
    let (customer_id, customer, admin) = parties(&app).await;

    let draft = create(&app, &admin, &draft_for(&customer_id)).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["status"], "draft");
    assert_eq!(draft["number"], Value::Null);
    assert_eq!(draft["customer"], Value::Null);
    assert_eq!(draft["currency"], "USD");
    // 14 900 + 5 997 = 20 897; 10 % = 2 090 (half-even); tax 1 106 + 445.
    assert_eq!(
        [
            &draft["subtotal"],
            &draft["discount"],
            &draft["tax"],
            &draft["total"]
        ],
        [&json!(20_897), &json!(2_090), &json!(1_551), &json!(20_358)]
    );
    assert_eq!(draft["lines"][1]["amount"], 5_997);
    assert_eq!(draft["lines"][1]["discount"], 600);

    // Not issued yet: the customer sees nothing.
    let mine: Value = app
        .get("/api/v1/billing/invoices", Some(&customer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"], json!([]));
    let path = format!("/api/v1/billing/invoices/{id}");
    assert_problem(app.get(&path, Some(&customer)).await, 404, "not_found").await;

    // Paying a draft is a conflict.
    let body = assert_problem(
        transition(&app, &admin, &id, "mark-paid").await,
        409,
        "conflict",
    )
    .await;
    assert_eq!(
        body["detail"],
        "Only an open invoice can be marked paid; this one is draft."
    );

    let res = transition(&app, &admin, &id, "finalize").await;
    assert_eq!(res.status(), 200);
    let open: Value = res.json().await.unwrap();
    let year = app.clock.now().format("%Y").to_string();
    assert_eq!(open["number"], format!("INV-{year}-000001"));
    assert_eq!(open["status"], "open");
    assert_eq!(open["total"], 20_358, "totals are frozen as priced");
    assert_eq!(open["customer"]["email"], "customer@example.com");
    assert!(open["issued_at"].is_string() && open["due_at"].is_string());

    let mine: Value = app
        .get("/api/v1/billing/invoices", Some(&customer))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(mine["items"][0]["number"], open["number"]);
    assert_eq!(mine["next_cursor"], Value::Null);
    let got: Value = app.get(&path, Some(&customer)).await.json().await.unwrap();
    assert_eq!(got, open);

    let pdf = app.get(&format!("{path}/pdf"), Some(&customer)).await;
    assert_eq!(pdf.status(), 200);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    assert!(
        pdf.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains(&format!("INV-{year}-000001.pdf"))
    );
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let number = format!("INV-{year}-000001");
    assert!(bytes.windows(number.len()).any(|w| w == number.as_bytes()));

    let res = transition(&app, &admin, &id, "mark-paid").await;
    assert_eq!(res.status(), 200);
    let paid: Value = res.json().await.unwrap();
    assert_eq!(paid["status"], "paid");
    assert!(paid["paid_at"].is_string());
    for action in ["void", "finalize", "mark-paid"] {
        let body =
            assert_problem(transition(&app, &admin, &id, action).await, 409, "conflict").await;
        assert!(
            body["detail"]
                .as_str()
                .unwrap()
                .ends_with("this one is paid."),
            "{body}"
        );
    }
    let after: Value = app.get(&path, Some(&customer)).await.json().await.unwrap();
    assert_eq!(after, paid, "refused transitions change nothing");

    let actions: Vec<AuditAction> = app
        .audit_log
        .list(&AuditFilter::default(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .filter(|a| a.as_str().starts_with("billing.invoice"))
        .collect();
    assert_eq!(
        actions,
        vec![
            AuditAction::InvoicePaid,
            AuditAction::InvoiceFinalized,
            AuditAction::InvoiceCreated
        ]
    );
}

#[tokio::test]
async fn void_then_numbers_keep_counting_and_others_see_404() {
    let app = spawn_app().await;
    let (customer_id, customer, admin) = parties(&app).await;
    let stranger = app.token("stranger@example.com").await;

    let first = create(&app, &admin, &draft_for(&customer_id)).await;
    let first = first["id"].as_str().unwrap();
    assert_eq!(
        transition(&app, &admin, first, "finalize").await.status(),
        200
    );
    let res = transition(&app, &admin, first, "void").await;
    assert_eq!(res.status(), 200);
    let void: Value = res.json().await.unwrap();
    assert_eq!(void["status"], "void");
    assert!(void["voided_at"].is_string());

    let second = create(&app, &admin, &draft_for(&customer_id)).await;
    let second = second["id"].as_str().unwrap();
    let open: Value = transition(&app, &admin, second, "finalize")
        .await
        .json()
        .await
        .unwrap();
    assert!(open["number"].as_str().unwrap().ends_with("-000002"));

    for path in [
        format!("/api/v1/billing/invoices/{second}"),
        format!("/api/v1/billing/invoices/{second}/pdf"),
    ] {
        assert_problem(app.get(&path, Some(&stranger)).await, 404, "not_found").await;
        assert_eq!(app.get(&path, Some(&customer)).await.status(), 200);
        assert_problem(app.get(&path, None).await, 401, "unauthenticated").await;
    }
    let theirs: Value = app
        .get("/api/v1/billing/invoices", Some(&stranger))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(theirs["items"], json!([]));

    let unknown = "01939e4a-0000-7000-8000-00000000beef";
    for action in ["finalize", "void", "mark-paid"] {
        assert_problem(
            transition(&app, &admin, unknown, action).await,
            404,
            "not_found",
        )
        .await;
    }
    assert_problem(
        transition(&app, &customer, second, "void").await,
        403,
        "forbidden",
    )
    .await;

    // The admin list filters by status and user, newest first, paginated.
    let open_only: Value = app
        .get("/api/v1/admin/invoices?status=open", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open_only["items"].as_array().unwrap().len(), 1);
    assert_eq!(open_only["items"][0]["id"], second);
    let page: Value = app
        .get(
            &format!("/api/v1/admin/invoices?user_id={customer_id}&limit=1"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(page["items"][0]["id"], second);
    let cursor = page["next_cursor"].as_str().unwrap();
    let next: Value = app
        .get(
            &format!("/api/v1/admin/invoices?user_id={customer_id}&limit=1&cursor={cursor}"),
            Some(&admin),
        )
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(next["items"][0]["id"], first);
    assert_eq!(next["next_cursor"], Value::Null);

    // Admins may preview a draft; it says DRAFT.
    let draft = create(&app, &admin, &draft_for(&customer_id)).await;
    let pdf = app
        .get(
            &format!(
                "/api/v1/admin/invoices/{}/pdf",
                draft["id"].as_str().unwrap()
            ),
            Some(&admin),
        )
        .await;
    assert_eq!(pdf.status(), 200);
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.windows(5).any(|w| w == b"DRAFT"));
}

#[tokio::test]
async fn bad_drafts_are_422_naming_each_field_and_store_nothing() {
    let app = spawn_app().await;
    let (customer_id, _, admin) = parties(&app).await;

    let mut body = draft_for("01939e4a-0000-7000-8000-00000000beef");
    body["lines"] = json!([
        { "description": "  ", "quantity": 0, "unit_amount": -1 },
        { "description": "x".repeat(501), "quantity": 1, "unit_amount": 5 }
    ]);
    body["tax_rate_bps"] = json!(10_001);
    let problem = assert_problem(
        app.post_json("/api/v1/admin/invoices", &body, Some(&admin))
            .await,
        422,
        "validation_failed",
    )
    .await;
    let fields = error_fields(&problem);
    assert_eq!(
        fields,
        vec![
            "lines[0].description",
            "lines[0].quantity",
            "lines[0].unit_amount",
            "lines[1].description",
            "tax_rate_bps",
            "user_id"
        ]
    );

    for (patch, field) in [
        (json!({ "currency": "usd" }), "currency"),
        (json!({ "currency": "XYZ" }), "currency"),
        (json!({ "discount_percent": 101 }), "discount_percent"),
        (json!({ "discount_bps": 500 }), "discount_bps"),
        (json!({ "lines": [] }), "lines"),
        (json!({ "due_in_days": 400 }), "due_in_days"),
    ] {
        let mut body = draft_for(&customer_id);
        for (k, v) in patch.as_object().unwrap() {
            body[k] = v.clone();
        }
        let problem = assert_problem(
            app.post_json("/api/v1/admin/invoices", &body, Some(&admin))
                .await,
            422,
            "validation_failed",
        )
        .await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let all: Value = app
        .get("/api/v1/admin/invoices", Some(&admin))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(all["items"], json!([]), "nothing was stored");
    // Floats are not money.
    let mut body = draft_for(&customer_id);
    body["lines"][0]["unit_amount"] = json!(149.0);
    let res = app
        .post_json("/api/v1/admin/invoices", &body, Some(&admin))
        .await;
    assert!(
        res.status() == 400 || res.status() == 422,
        "{}",
        res.status()
    );
}

async fn patch(app: &TestApp, admin: &str, id: &str, body: &Value) -> reqwest::Response {
    app.patch_json(&format!("/api/v1/admin/invoices/{id}"), body, admin)
        .await
}

async fn admin_get(app: &TestApp, admin: &str, id: &str) -> reqwest::Response {
    app.get(&format!("/api/v1/admin/invoices/{id}"), Some(admin))
        .await
}

async fn invoice_actions(app: &TestApp) -> Vec<(AuditAction, Value)> {
    app.audit_log
        .list(&AuditFilter::default(), PageRequest::first(100))
        .await
        .unwrap()
        .items
        .into_iter()
        .filter(|e| e.action.as_str().starts_with("billing.invoice"))
        .map(|e| (e.action, e.details))
        .collect()
}

#[tokio::test]
async fn editing_a_draft_reprices_it_in_its_currency_and_is_audited() {
    let app = spawn_app().await;
    let (customer_id, _, admin) = parties(&app).await;
    let mut body = draft_for(&customer_id);
    body["currency"] = json!("KWD");
    body["lines"] = json!([{ "description": "Setup", "quantity": 1, "unit_amount": 10_000 }]);
    body["discount_percent"] = Value::Null;
    body["tax_rate_bps"] = json!(0);
    let draft = create(&app, &admin, &body).await;
    let id = draft["id"].as_str().unwrap().to_owned();
    assert_eq!(draft["total"], 10_000);

    // Fils (3 decimals): 3 × 1.234 + 0.005 = 3.707 KWD; 10 % = 370.7 → 371 fils, spread
    // 370 + 1 (largest remainder); tax 8.25 % of 3 332 = 274.89 → 275, of 4 = 0.33 → 0.
    let res = patch(
        &app,
        &admin,
        &id,
        &json!({
            "lines": [
                { "description": "Consulting", "quantity": 3, "unit_amount": 1_234 },
                { "description": "Courier", "quantity": 1, "unit_amount": 5 }
            ],
            "discount_percent": 10,
            "tax_rate_bps": 825,
            "due_in_days": 7
        }),
    )
    .await;
    assert_eq!(res.status(), 200);
    let edited: Value = res.json().await.unwrap();
    assert_eq!(edited["status"], "draft");
    assert_eq!(edited["number"], Value::Null);
    assert_eq!(edited["currency"], "KWD");
    assert_eq!(edited["created_at"], draft["created_at"]);
    assert_eq!(edited["lines"].as_array().unwrap().len(), 2);
    assert_eq!(
        [
            &edited["lines"][0]["discount"],
            &edited["lines"][1]["discount"],
            &edited["lines"][0]["tax"],
            &edited["lines"][1]["tax"]
        ],
        [&json!(370), &json!(1), &json!(275), &json!(0)]
    );
    assert_eq!(
        [
            &edited["subtotal"],
            &edited["discount"],
            &edited["tax"],
            &edited["total"]
        ],
        [&json!(3_707), &json!(371), &json!(275), &json!(3_611)]
    );
    assert_eq!(
        (&edited["discount_bps"], &edited["due_in_days"]),
        (&json!(1000), &json!(7))
    );
    let stored: Value = admin_get(&app, &admin, &id).await.json().await.unwrap();
    assert_eq!(stored["lines"], edited["lines"]);
    assert_eq!(stored["total"], 3_611);

    // `null` removes the discount; absent fields keep their value.
    let cleared: Value = patch(&app, &admin, &id, &json!({ "discount_percent": null }))
        .await
        .json()
        .await
        .unwrap();
    // 3 702 × 8.25 % = 305.415 → 305; 5 × 8.25 % = 0.4125 → 0.
    assert_eq!(
        [
            &cleared["discount_bps"],
            &cleared["discount"],
            &cleared["tax"],
            &cleared["total"]
        ],
        [&json!(0), &json!(0), &json!(305), &json!(4_012)]
    );
    assert_eq!(cleared["lines"][0]["description"], "Consulting");
    assert_eq!(cleared["due_in_days"], 7);
    let untaxed: Value = patch(&app, &admin, &id, &json!({ "tax_rate_bps": null }))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(
        (&untaxed["tax_rate_bps"], &untaxed["total"]),
        (&json!(0), &json!(3_707))
    );

    // Finalising freezes the edited draft, with the edited payment term.
    let open: Value = transition(&app, &admin, &id, "finalize")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(open["total"], 3_707);
    let issued: chrono::DateTime<chrono::Utc> =
        open["issued_at"].as_str().unwrap().parse().unwrap();
    let due: chrono::DateTime<chrono::Utc> = open["due_at"].as_str().unwrap().parse().unwrap();
    assert_eq!(due - issued, chrono::Duration::days(7));

    let audited = invoice_actions(&app).await;
    let updates: Vec<&Value> = audited
        .iter()
        .filter(|(a, _)| *a == AuditAction::InvoiceUpdated)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(updates.len(), 3);
    // Newest first.
    assert_eq!(updates[0]["fields"], json!(["tax_rate_bps"]));
    assert_eq!(updates[1]["fields"], json!(["discount_bps"]));
    assert_eq!(
        updates[2]["fields"],
        json!(["lines", "discount_bps", "tax_rate_bps", "due_in_days"])
    );
    assert_eq!(
        (&updates[2]["previous_total"], &updates[2]["total"]),
        (&json!(10_000), &json!(3_611))
    );
}

#[tokio::test]
async fn only_drafts_are_edited_or_deleted() {
    let app = spawn_app().await;
    let (customer_id, customer, admin) = parties(&app).await;
    let open = create(&app, &admin, &draft_for(&customer_id)).await;
    let open_id = open["id"].as_str().unwrap().to_owned();
    let open: Value = transition(&app, &admin, &open_id, "finalize")
        .await
        .json()
        .await
        .unwrap();
    assert!(open["number"].as_str().unwrap().ends_with("-000001"));

    // An open invoice: 409, and nothing changes.
    let edit = json!({ "lines": [{ "description": "Cheaper", "quantity": 1, "unit_amount": 1 }] });
    let body = assert_problem(patch(&app, &admin, &open_id, &edit).await, 409, "conflict").await;
    assert_eq!(
        body["detail"],
        "Only a draft invoice can be changed or deleted; this one is open."
    );
    let path = format!("/api/v1/admin/invoices/{open_id}");
    assert_problem(app.delete(&path, &admin).await, 409, "conflict").await;
    let after: Value = admin_get(&app, &admin, &open_id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(after, open, "amounts unchanged, not deleted");

    // Permission and existence.
    let draft = create(&app, &admin, &draft_for(&customer_id)).await;
    let draft_id = draft["id"].as_str().unwrap().to_owned();
    let draft_path = format!("/api/v1/admin/invoices/{draft_id}");
    assert_problem(
        patch(&app, &customer, &draft_id, &json!({ "due_in_days": 1 })).await,
        403,
        "forbidden",
    )
    .await;
    assert_problem(app.delete(&draft_path, &customer).await, 403, "forbidden").await;
    let unknown = "01939e4a-0000-7000-8000-00000000beef";
    assert_problem(
        patch(&app, &admin, unknown, &json!({ "due_in_days": 1 })).await,
        404,
        "not_found",
    )
    .await;
    assert_problem(
        app.delete(&format!("/api/v1/admin/invoices/{unknown}"), &admin)
            .await,
        404,
        "not_found",
    )
    .await;
    let unchanged: Value = admin_get(&app, &admin, &draft_id)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(unchanged, draft, "refused requests change nothing");

    // A draft is deleted, audited, and numbering carries on without a gap.
    let res = app.delete(&draft_path, &admin).await;
    assert_eq!(res.status(), 204);
    assert_problem(admin_get(&app, &admin, &draft_id).await, 404, "not_found").await;
    assert_problem(app.delete(&draft_path, &admin).await, 404, "not_found").await;
    let deleted: Vec<Value> = invoice_actions(&app)
        .await
        .into_iter()
        .filter(|(a, _)| *a == AuditAction::InvoiceDeleted)
        .map(|(_, d)| d)
        .collect();
    assert_eq!(deleted.len(), 1);
    assert_eq!(deleted[0]["total"], draft["total"]);
    let next = create(&app, &admin, &draft_for(&customer_id)).await;
    let next: Value = transition(&app, &admin, next["id"].as_str().unwrap(), "finalize")
        .await
        .json()
        .await
        .unwrap();
    assert!(next["number"].as_str().unwrap().ends_with("-000002"));
}

#[tokio::test]
async fn bad_edits_are_422_naming_each_field_and_change_nothing() {
    let app = spawn_app().await;
    let (customer_id, _, admin) = parties(&app).await;
    let draft = create(&app, &admin, &draft_for(&customer_id)).await;
    let id = draft["id"].as_str().unwrap().to_owned();

    let problem = assert_problem(
        patch(
            &app,
            &admin,
            &id,
            &json!({
                "lines": [
                    { "description": " ", "quantity": 0, "unit_amount": -1 },
                    { "description": "ok", "quantity": 1, "unit_amount": 1 }
                ],
                "discount_bps": 10_001,
                "tax_rate_bps": 10_001,
                "due_in_days": 366
            }),
        )
        .await,
        422,
        "validation_failed",
    )
    .await;
    let fields = error_fields(&problem);
    assert_eq!(
        fields,
        vec![
            "discount_bps",
            "due_in_days",
            "lines[0].description",
            "lines[0].quantity",
            "lines[0].unit_amount",
            "tax_rate_bps"
        ]
    );
    for (body, field) in [
        (json!({}), "body"),
        (json!({ "currency": "EUR" }), "currency"),
        (json!({ "user_id": customer_id }), "user_id"),
        (json!({ "lines": [] }), "lines"),
        (json!({ "discount_percent": 101 }), "discount_percent"),
        (
            json!({ "discount_percent": 5, "discount_bps": 500 }),
            "discount_bps",
        ),
    ] {
        let problem = assert_problem(
            patch(&app, &admin, &id, &body).await,
            422,
            "validation_failed",
        )
        .await;
        assert!(problem["errors"][field].is_array(), "{field}: {problem}");
    }
    let after: Value = admin_get(&app, &admin, &id).await.json().await.unwrap();
    assert_eq!(after, draft, "nothing changed");
    assert!(
        !invoice_actions(&app)
            .await
            .iter()
            .any(|(a, _)| *a == AuditAction::InvoiceUpdated)
    );
}
