//! Every port contract suite against PostgreSQL when `TEST_DATABASE_URL` is set: a fresh
//! `plinth_test_<uuid>` database per test, dropped afterwards. Skipped (with one line) otherwise.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{SqlAuditTamper, create_user, postgres};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_repository_contract() {
    let Some(t) = postgres().await else { return };
    plinth_users::testing::contract::user_repository(t.db.users(), t.db.unit_of_work()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn announcement_repository_contract() {
    let Some(t) = postgres().await else { return };
    let author = create_user(&t.db).await;
    plinth_users::testing::announcement_contract::announcement_repository(
        t.db.announcements(),
        t.db.unit_of_work(),
        author,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn role_repository_contract() {
    let Some(t) = postgres().await else { return };
    plinth_users::testing::contract::role_repository(
        t.db.roles(),
        t.db.users(),
        t.db.unit_of_work(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn session_repository_contract() {
    let Some(t) = postgres().await else { return };
    let user = create_user(&t.db).await;
    plinth_sessions::testing::contract::session_repository(
        t.db.sessions(),
        t.db.unit_of_work(),
        user,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn identity_repository_contract() {
    let Some(t) = postgres().await else { return };
    let (user, other) = (create_user(&t.db).await, create_user(&t.db).await);
    plinth_sessions::testing::contract::identity_repository(
        t.db.identities(),
        t.db.unit_of_work(),
        user,
        other,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn passkey_repository_contract() {
    let Some(t) = postgres().await else { return };
    let (user, other) = (create_user(&t.db).await, create_user(&t.db).await);
    plinth_sessions::testing::contract::passkey_repository(
        t.db.passkeys(),
        t.db.unit_of_work(),
        user,
        other,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn audit_log_contract() {
    let Some(t) = postgres().await else { return };
    let tamper = SqlAuditTamper(t.db.connection().clone());
    plinth_audit::testing::contract::audit_log(t.db.audit(), t.db.unit_of_work(), &tamper).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn event_outbox_contract() {
    let Some(t) = postgres().await else { return };
    plinth_events::testing::contract::event_outbox(t.db.events(), t.db.unit_of_work()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_repository_contract() {
    let Some(t) = postgres().await else { return };
    let owners = [create_user(&t.db).await, create_user(&t.db).await];
    plinth_files::testing::contract::file_repository(t.db.files(), t.db.unit_of_work(), owners)
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn billing_repository_contract() {
    let Some(t) = postgres().await else { return };
    plinth_billing::testing::contract::billing_repository(t.db.billing(), t.db.unit_of_work())
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_repository_contract() {
    let Some(t) = postgres().await else { return };
    let users = [create_user(&t.db).await, create_user(&t.db).await];
    plinth_billing::testing::invoice_contract::invoice_repository(
        t.db.invoices(),
        t.db.unit_of_work(),
        users,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn subscription_repository_contract() {
    let Some(t) = postgres().await else { return };
    let users = [
        create_user(&t.db).await,
        create_user(&t.db).await,
        create_user(&t.db).await,
    ];
    plinth_billing::testing::subscription_contract::subscription_repository(
        t.db.subscriptions(),
        t.db.billing(),
        t.db.unit_of_work(),
        users,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn period_invoice_contract() {
    let Some(t) = postgres().await else { return };
    let users = [create_user(&t.db).await, create_user(&t.db).await];
    plinth_billing::testing::period_invoice_contract::period_invoices(
        t.db.subscriptions(),
        t.db.invoices(),
        t.db.billing(),
        t.db.unit_of_work(),
        users,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn idempotency_store_contract() {
    let Some(t) = postgres().await else { return };
    plinth_kernel::testing::idempotency::idempotency_store(t.db.idempotency(), 16).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invoice_revenue_contract() {
    let Some(t) = postgres().await else { return };
    let user = create_user(&t.db).await;
    plinth_billing::testing::payment_contract::invoice_revenue(
        t.db.invoices(),
        t.db.unit_of_work(),
        user,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn provider_payment_id_contract() {
    let Some(t) = postgres().await else { return };
    let user = create_user(&t.db).await;
    plinth_billing::testing::payment_contract::provider_payment_id(
        t.db.invoices(),
        t.db.unit_of_work(),
        user,
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn payment_event_inbox_contract() {
    let Some(t) = postgres().await else { return };
    plinth_billing::testing::payment_contract::payment_event_inbox(
        t.db.payment_events(),
        t.db.unit_of_work(),
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn org_storage_contract() {
    let Some(t) = postgres().await else { return };
    let users = [
        common::create_account(&t.db).await,
        common::create_account(&t.db).await,
        common::create_account(&t.db).await,
    ];
    plinth_orgs::testing::contract::org_storage(t.db.orgs(), t.db.unit_of_work(), users).await;
}
