//! Acting for an organization: the switch, what the tokens carry, refresh, and the end of a
//! membership reaching the tokens.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};

use chrono::TimeZone as _;
use plinth_audit::AuditAction;
use plinth_kernel::{ActingFor, OrgId, RepoError, UnitOfWork as _, UserId};

use super::{Harness, meta};
use crate::{
    AuthError, AuthService, OrgAccess, OrgStanding, RevocationRepository as _,
    SessionRepository as _,
};

/// Memberships as a test sets them; everyone else is no member.
#[derive(Clone, Default)]
struct Memberships(Arc<Mutex<HashMap<(UserId, OrgId), OrgStanding>>>);

impl Memberships {
    fn set(&self, user: UserId, org: OrgId, standing: OrgStanding) {
        self.0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert((user, org), standing);
    }
}

#[async_trait::async_trait]
impl OrgAccess for Memberships {
    async fn standing(&self, user: UserId, org: OrgId) -> Result<OrgStanding, RepoError> {
        Ok(self
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(&(user, org))
            .cloned()
            .unwrap_or(OrgStanding::NotMember))
    }
}

fn member(org: OrgId, perms: &[&str]) -> OrgStanding {
    OrgStanding::Member(ActingFor {
        org_id: org,
        permissions: perms.iter().map(|p| (*p).to_owned()).collect(),
    })
}

fn auth(h: &Harness, memberships: &Memberships) -> AuthService {
    h.auth
        .clone()
        .with_org_access(Arc::new(memberships.clone()))
}

#[tokio::test]
async fn a_member_acts_for_the_organization_and_refreshes_keep_it() {
    let h = Harness::new();
    // Across a year boundary: the switch on New Year's Eve, the refresh in the new year.
    h.clock.set(
        chrono::Utc
            .with_ymd_and_hms(2026, 12, 31, 23, 59, 30)
            .unwrap(),
    );
    let memberships = Memberships::default();
    let auth = auth(&h, &memberships);
    let pair = h.register("ada@example.com").await;
    let ada = auth.authenticate(&pair.access_token).unwrap();
    assert_eq!(ada.org, None, "a sign-in acts for the user");
    assert_eq!(pair.org_id, None);
    let acme = OrgId::new();
    memberships.set(
        ada.user_id,
        acme,
        member(acme, &["members:read", "org_files:read"]),
    );

    let grant = auth.act_for(&ada, Some(acme), &meta()).await.unwrap();
    let acting = auth.authenticate(&grant.access_token).unwrap();
    let expected = ActingFor {
        org_id: acme,
        permissions: vec!["members:read".into(), "org_files:read".into()],
    };
    assert_eq!(acting.org, Some(expected.clone()));
    assert_eq!(acting.caller().org(), Some(&expected));
    assert_eq!(acting.perms, ada.perms, "global permissions unchanged");
    assert_eq!(grant.org, Some(expected.clone()));
    let entries = h.audited(AuditAction::OrgSelected).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0].org_id,
        Some(acme.as_uuid()),
        "filed under the organization"
    );
    assert_eq!(entries[0].details["org_id"], acme.to_string());
    assert!(entries[0].details["previous_org_id"].is_null());

    h.clock.advance(chrono::Duration::minutes(1));
    let refreshed = auth.refresh(&pair.refresh_token, &meta()).await.unwrap();
    assert_eq!(
        refreshed.org_id,
        Some(acme),
        "the refresh keeps acting for it"
    );
    assert_eq!(
        auth.authenticate(&refreshed.access_token).unwrap().org,
        Some(expected)
    );

    let back = auth.act_for(&acting, None, &meta()).await.unwrap();
    assert_eq!(back.org, None);
    assert_eq!(auth.authenticate(&back.access_token).unwrap().org, None);
    let again = auth
        .refresh(&refreshed.refresh_token, &meta())
        .await
        .unwrap();
    assert_eq!(
        again.org_id, None,
        "and acting for oneself again sticks too"
    );
}

#[tokio::test]
async fn outsiders_and_suspended_organizations_are_refused_and_nothing_changes() {
    let h = Harness::new();
    let memberships = Memberships::default();
    let auth = auth(&h, &memberships);
    let pair = h.register("ada@example.com").await;
    let ada = auth.authenticate(&pair.access_token).unwrap();
    let (theirs, frozen) = (OrgId::new(), OrgId::new());
    memberships.set(ada.user_id, frozen, OrgStanding::Suspended);
    assert!(matches!(
        auth.act_for(&ada, Some(theirs), &meta()).await,
        Err(AuthError::OrgNotFound)
    ));
    assert!(matches!(
        auth.act_for(&ada, Some(frozen), &meta()).await,
        Err(AuthError::OrgSuspended)
    ));
    assert!(h.audited(AuditAction::OrgSelected).await.is_empty());
    let session = h.sessions.session(ada.session_id).await.unwrap().unwrap();
    assert_eq!(session.org_id, None, "the session is unchanged");
}

#[tokio::test]
async fn a_stale_token_of_an_ended_session_cannot_switch() {
    let h = Harness::new();
    let memberships = Memberships::default();
    let auth = auth(&h, &memberships);
    let pair = h.register("ada@example.com").await;
    let ada = auth.authenticate(&pair.access_token).unwrap();
    let acme = OrgId::new();
    memberships.set(ada.user_id, acme, member(acme, &["org_files:read"]));
    auth.logout(&ada, &meta()).await.unwrap();
    assert!(matches!(
        auth.act_for(&ada, Some(acme), &meta()).await,
        Err(AuthError::InvalidToken)
    ));
}

#[tokio::test]
async fn the_end_of_a_membership_ends_the_tokens_acting_for_it_and_the_next_refresh_drops_it() {
    let h = Harness::new();
    let memberships = Memberships::default();
    let auth = auth(&h, &memberships);
    let pair = h.register("ada@example.com").await;
    let ada = auth.authenticate(&pair.access_token).unwrap();
    let acme = OrgId::new();
    memberships.set(ada.user_id, acme, member(acme, &["org_files:read"]));
    let grant = auth.act_for(&ada, Some(acme), &meta()).await.unwrap();

    // The organizations domain removes her: the standing changes and, in the same
    // transaction, her tokens for the organization are revoked.
    h.clock.advance(chrono::Duration::seconds(30));
    memberships.set(ada.user_id, acme, OrgStanding::NotMember);
    let mut tx = h.uow.begin().await.unwrap();
    h.sessions
        .revoke_org_tokens(
            tx.as_mut(),
            ada.user_id,
            acme,
            plinth_kernel::Clock::now(&h.clock),
        )
        .await
        .unwrap();
    tx.commit().await.unwrap();
    assert!(
        auth.authenticate(&grant.access_token).is_ok(),
        "until the next sync the signature alone decides"
    );
    auth.sync_revocations().await.unwrap();
    assert!(matches!(
        auth.authenticate(&grant.access_token),
        Err(AuthError::InvalidToken)
    ));
    assert!(
        auth.authenticate(&pair.access_token).is_ok(),
        "her own token, acting for nobody, still works"
    );

    h.clock.advance(chrono::Duration::seconds(1));
    let refreshed = auth.refresh(&pair.refresh_token, &meta()).await.unwrap();
    assert_eq!(refreshed.org_id, None, "the refresh acts for her again");
    let principal = auth.authenticate(&refreshed.access_token).unwrap();
    assert_eq!(principal.org, None);
    let session = h.sessions.session(ada.session_id).await.unwrap().unwrap();
    assert_eq!(session.org_id, None, "the session forgot the organization");

    // Readmitted later, she chooses again; nothing carried over.
    memberships.set(ada.user_id, acme, member(acme, &["org_files:read"]));
    let again = auth
        .refresh(&refreshed.refresh_token, &meta())
        .await
        .unwrap();
    assert_eq!(again.org_id, None);
}
