//! Access-token revocations: recorded by every revoking write, in its transaction, readable
//! by time and prunable.

use chrono::Duration;
use plinth_kernel::{OrgId, UnitOfWork, UserId};

use super::{now, session};
use crate::{SessionStorage, TokenRevocation};

pub(super) async fn revocations_are_recorded_with_the_revoking_write(
    repo: &dyn SessionStorage,
    uow: &dyn UnitOfWork,
    user_id: UserId,
) {
    // Later than anything another check wrote, so only this check's rows are seen.
    let start = now() + Duration::days(400);
    let s = session(user_id, start);
    let org_id = OrgId::new();
    let mut tx = uow.begin().await.expect("begin");
    repo.insert_session(tx.as_mut(), &s).await.expect("insert");
    tx.commit().await.expect("commit");

    let at = start + Duration::seconds(1);
    let mut tx = uow.begin().await.expect("begin");
    repo.revoke_session(tx.as_mut(), s.id, at)
        .await
        .expect("revoke");
    drop(tx);
    assert!(
        repo.revocations_since(start)
            .await
            .expect("read")
            .is_empty(),
        "a rolled-back revocation leaves no trace"
    );

    let mut tx = uow.begin().await.expect("begin");
    repo.revoke_session(tx.as_mut(), s.id, at)
        .await
        .expect("revoke");
    tx.commit().await.expect("commit");
    let later = at + Duration::seconds(1);
    let mut tx = uow.begin().await.expect("begin");
    repo.revoke_all(tx.as_mut(), user_id, later)
        .await
        .expect("revoke all");
    repo.revoke_user_tokens(tx.as_mut(), user_id, later + Duration::seconds(1))
        .await
        .expect("revoke tokens");
    repo.revoke_org_tokens(tx.as_mut(), user_id, org_id, later + Duration::seconds(2))
        .await
        .expect("revoke the tokens acting for an organization");
    tx.commit().await.expect("commit");

    let found = repo.revocations_since(start).await.expect("read");
    assert_eq!(
        found,
        vec![
            TokenRevocation {
                user_id,
                session_id: Some(s.id),
                org_id: None,
                at,
            },
            TokenRevocation {
                user_id,
                session_id: None,
                org_id: None,
                at: later,
            },
            TokenRevocation {
                user_id,
                session_id: None,
                org_id: None,
                at: later + Duration::seconds(1),
            },
            TokenRevocation {
                user_id,
                session_id: None,
                org_id: Some(org_id),
                at: later + Duration::seconds(2),
            },
        ],
        "oldest first, one per revoking write"
    );
    assert_eq!(
        repo.revocations_since(at).await.expect("read").len(),
        3,
        "strictly after `since`"
    );

    assert!(
        repo.prune_revocations(later).await.expect("prune") >= 1,
        "the oldest goes"
    );
    assert_eq!(repo.revocations_since(start).await.expect("read").len(), 3);
    repo.prune_revocations(later + Duration::days(1))
        .await
        .expect("prune");
    assert!(
        repo.revocations_since(start)
            .await
            .expect("read")
            .is_empty()
    );
}
