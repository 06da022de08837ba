//! The contract every [`SessionStorage`] adapter must satisfy (one suite per seam port).
//!
//! Run [`session_repository`] from an adapter's tests with an existing user; it panics with a
//! message on the first broken promise. It tolerates a store holding other sessions, even of the
//! same user (it only asserts about the rows it wrote). Timestamps are truncated to
//! microseconds, the precision PostgreSQL keeps.

// A test suite: panicking with a message is how it reports a failure.
#![allow(clippy::expect_used, clippy::unwrap_used)]

mod identity_rows;
mod lockout_rows;
mod one_time_rows;
mod passkey_rows;
mod passwordless_rows;
mod refresh_rows;
mod revocation_rows;
mod session_rows;
mod totp_rows;

use std::sync::Arc;

use chrono::{Duration, SubsecRound};
use plinth_kernel::{Timestamp, UnitOfWork, UserId};

use crate::{RefreshToken, RefreshTokenRecord, Session, SessionId, SessionStorage};

/// Runs every check of the contract against `repo`, whose writes join transactions from `uow`.
/// `user_id` must be an existing user (sessions reference users).
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn session_repository(
    repo: Arc<dyn SessionStorage>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
) {
    session_rows::insert_and_get_session(&*repo, &*uow, user_id).await;
    session_rows::touch_updates_last_used(&*repo, &*uow, user_id).await;
    session_rows::the_organization_a_session_acts_for_is_kept(&*repo, &*uow, user_id).await;
    session_rows::revoke_keeps_the_first_time(&*repo, &*uow, user_id).await;
    session_rows::live_sessions_and_revoke_all(&*repo, &*uow, user_id).await;
    session_rows::count_live_counts_only_live_sessions(&*repo, &*uow, user_id).await;
    refresh_rows::refresh_tokens_store_and_spend_once(&*repo, &*uow, user_id).await;
    refresh_rows::concurrent_spends_have_one_winner(Arc::clone(&repo), Arc::clone(&uow), user_id)
        .await;
    refresh_rows::dropped_transaction_rolls_back(&*repo, &*uow, user_id).await;
    lockout_rows::lockout_is_stored_and_rolled_back(&*repo, &*uow, user_id).await;
    lockout_rows::concurrent_failures_are_all_counted(Arc::clone(&repo), Arc::clone(&uow), user_id)
        .await;
    lockout_rows::concurrent_failures_stop_counting_at_the_lock(
        Arc::clone(&repo),
        Arc::clone(&uow),
        user_id,
    )
    .await;
    one_time_rows::one_time_tokens_store_and_consume_once(&*repo, &*uow, user_id).await;
    one_time_rows::one_time_writes_roll_back(&*repo, &*uow, user_id).await;
    one_time_rows::concurrent_consumes_have_one_winner(
        Arc::clone(&repo),
        Arc::clone(&uow),
        user_id,
    )
    .await;
    one_time_rows::issued_since_counts_per_purpose(&*repo, &*uow, user_id).await;
    one_time_rows::spend_all_spends_every_unused_token_of_the_purpose(&*repo, &*uow, user_id).await;
    passwordless_rows::passwordless_requests_store_list_count_and_end_once(&*repo, &*uow, user_id)
        .await;
    passwordless_rows::passwordless_writes_roll_back(&*repo, &*uow, user_id).await;
    passwordless_rows::concurrent_passwordless_writers_queue(
        Arc::clone(&repo),
        Arc::clone(&uow),
        user_id,
    )
    .await;
    revocation_rows::revocations_are_recorded_with_the_revoking_write(&*repo, &*uow, user_id).await;
    totp_rows::totp_factor_is_stored_replaced_and_deleted(&*repo, &*uow, user_id).await;
    totp_rows::concurrent_redemptions_have_one_winner(Arc::clone(&repo), Arc::clone(&uow), user_id)
        .await;
}

/// Runs every check of the [`crate::IdentityRepository`] contract against `repo`, whose writes
/// join transactions from `uow`. `user_id` and `other_id` must be two existing users.
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn identity_repository(
    repo: Arc<dyn crate::IdentityRepository>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
    other_id: UserId,
) {
    identity_rows::flows_are_spent_finished_and_redeemed_once(&*repo, &*uow, user_id).await;
    identity_rows::concurrent_spends_have_one_winner(Arc::clone(&repo), Arc::clone(&uow)).await;
    identity_rows::identities_are_unique_listed_and_unlinked(&*repo, &*uow, user_id, other_id)
        .await;
}

/// Runs every check of the [`crate::PasskeyRepository`] contract against `repo`, whose writes
/// join transactions from `uow`. `user_id` and `other_id` must be two existing users.
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn passkey_repository(
    repo: Arc<dyn crate::PasskeyRepository>,
    uow: Arc<dyn UnitOfWork>,
    user_id: UserId,
    other_id: UserId,
) {
    passkey_rows::ceremonies_are_spent_once_for_their_purpose(&*repo, &*uow, user_id).await;
    passkey_rows::concurrent_spends_have_one_winner(Arc::clone(&repo), Arc::clone(&uow)).await;
    passkey_rows::passkeys_are_unique_listed_renamed_and_removed(&*repo, &*uow, user_id, other_id)
        .await;
}

fn now() -> Timestamp {
    chrono::Utc::now().trunc_subsecs(6)
}

fn session(user_id: UserId, created_at: Timestamp) -> Session {
    Session {
        id: SessionId::new(),
        user_id,
        created_at,
        last_used_at: created_at,
        expires_at: created_at + Duration::days(30),
        revoked_at: None,
        ip: Some("2001:db8::7".into()),
        user_agent: Some("Contract/1.0 (\u{fc}nicode)".into()),
        org_id: None,
    }
}

fn record(session: &Session) -> (RefreshToken, RefreshTokenRecord) {
    let token = RefreshToken::generate().expect("random source");
    let record = RefreshTokenRecord {
        hash: token.hash(),
        session_id: session.id,
        issued_at: session.created_at,
        expires_at: session.expires_at,
        spent_at: None,
        replaced_by: None,
    };
    (token, record)
}

async fn insert(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    sessions: &[&Session],
    records: &[&RefreshTokenRecord],
) {
    let mut tx = uow.begin().await.expect("begin");
    for s in sessions {
        repo.insert_session(tx.as_mut(), s)
            .await
            .expect("insert_session");
    }
    for r in records {
        repo.insert_refresh(tx.as_mut(), r)
            .await
            .expect("insert_refresh");
    }
    tx.commit().await.expect("commit");
}

async fn get(repo: &dyn SessionStorage, id: SessionId) -> Option<Session> {
    repo.session(id).await.expect("session")
}

async fn revoke_everything(repo: &dyn SessionStorage, uow: &dyn UnitOfWork, user_id: UserId) {
    let mut tx = uow.begin().await.expect("begin");
    repo.revoke_all(tx.as_mut(), user_id, now())
        .await
        .expect("revoke_all");
    tx.commit().await.expect("commit");
}
