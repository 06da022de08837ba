//! Invoices through the real stack (SQLite, or PostgreSQL when `TEST_DATABASE_URL` is set):
//! draft, finalise, the customer's PDF, payment; the issued invoice outlives its customer's
//! account (deleted by an administrator) with the customer as it was at finalisation.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::admin_users::super_admin;
use crate::helpers::spawn_app;

#[tokio::test]
async fn an_invoice_is_issued_downloaded_paid_and_outlives_the_account() {
    let app = spawn_app().await;
    let root = super_admin(&app).await;
    let (email, pair) = app.register_user().await;
    let customer = pair["access_token"].as_str().unwrap();
    let customer_id = pair["user"]["id"].as_str().unwrap();

    let res = app
        .post_json(
            "/api/v1/admin/invoices",
            &json!({
                "user_id": customer_id,
                "currency": "KWD",
                "lines": [
                    { "description": "Consulting, 3 h", "quantity": 3, "unit_amount": 12_345 },
                    { "description": "Travel", "quantity": 1, "unit_amount": 5 }
                ],
                "discount_bps": 1250,
                "tax_rate_bps": 500
            }),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::CREATED);
    let draft: Value = res.json().await.unwrap();
    let id = draft["id"].as_str().unwrap();
    // 37 035 + 5 = 37 040 fils; 12.5 % = 4 630; shares 4 629.375 → 4 629 and 0.625 → 1;
    // tax 5 % of 32 406 = 1 620.3 → 1 620 and of 4 = 0.2 → 0.
    assert_eq!(
        [
            &draft["subtotal"],
            &draft["discount"],
            &draft["tax"],
            &draft["total"]
        ],
        [&json!(37_040), &json!(4_630), &json!(1_620), &json!(34_030)]
    );
    assert_eq!(draft["due_in_days"], 30, "the default payment term");

    let res = app
        .post_json(
            &format!("/api/v1/admin/invoices/{id}/finalize"),
            &json!({}),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let open: Value = res.json().await.unwrap();
    let number = open["number"].as_str().unwrap().to_owned();
    assert!(number.ends_with("-000001"), "{number}");
    assert_eq!(open["customer"]["email"], email.as_str());

    let pdf = app
        .get_auth(&format!("/api/v1/billing/invoices/{id}/pdf"), customer)
        .await;
    assert_eq!(pdf.status(), StatusCode::OK);
    assert_eq!(pdf.headers()["content-type"], "application/pdf");
    let bytes = pdf.bytes().await.unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    assert!(bytes.windows(number.len()).any(|w| w == number.as_bytes()));
    assert!(
        bytes.windows(9).any(|w| w == b"34.030 KW"),
        "three decimals"
    );

    // The account is deleted; the issued invoice stays, as issued.
    let gone = app
        .client
        .delete(app.url(&format!("/api/v1/admin/users/{customer_id}")))
        .bearer_auth(&root)
        .send()
        .await
        .unwrap();
    assert_eq!(gone.status(), StatusCode::NO_CONTENT);
    let res = app
        .post_json(
            &format!("/api/v1/admin/invoices/{id}/mark-paid"),
            &json!({}),
            Some(&root),
            None,
        )
        .await;
    assert_eq!(res.status(), StatusCode::OK);
    let paid: Value = res.json().await.unwrap();
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["number"], number.as_str());
    assert_eq!(paid["customer"]["email"], email.as_str());
    assert_eq!(paid["total"], 34_030);
}
