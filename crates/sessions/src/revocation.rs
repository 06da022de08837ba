//! Access-token revocation without a database query per request.
//!
//! Access tokens are verified by signature alone. To stop a revoked session, a suspended or
//! deleted user, or a changed role before its tokens expire, every revocation is also written as
//! a [`TokenRevocation`] row (in the transaction that revokes), and each replica keeps the rows
//! of the last access-token lifetime in a [`RevocationList`] that it reloads every
//! `REVOCATION_SYNC_INTERVAL` (one query per interval per replica, whatever the traffic).
//! Checking a token is a lookup in that in-memory list. So a revoked token stops working on
//! every replica within one sync interval plus the time of one query: that is the bound.

use std::collections::HashMap;
use std::sync::{PoisonError, RwLock};

use plinth_kernel::{OrgId, Timestamp, UserId};

use crate::{AccessClaims, SessionId};

/// One revocation: every access token of `session_id`, or of the whole user when `session_id`
/// is `None`, issued at or before `at`, no longer works; with `org_id`, only the user's tokens
/// that act for that organization.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TokenRevocation {
    /// Whose tokens.
    pub user_id: UserId,
    /// One session, or `None` for all of the user's tokens (suspension, deletion, role change,
    /// sign-out everywhere).
    pub session_id: Option<SessionId>,
    /// Only the user's tokens acting for this organization (their membership there changed or
    /// ended); `None` for tokens whatever they act for.
    pub org_id: Option<OrgId>,
    /// When it was revoked.
    pub at: Timestamp,
}

#[derive(Debug, Default)]
struct Lists {
    sessions: HashMap<SessionId, Timestamp>,
    users: HashMap<UserId, Timestamp>,
    memberships: HashMap<(UserId, OrgId), Timestamp>,
    loaded: usize,
}

/// The revocations of the last access-token lifetime, as this replica last loaded them.
#[derive(Debug, Default)]
pub struct RevocationList {
    lists: RwLock<Lists>,
}

impl RevocationList {
    /// An empty list (nothing revoked).
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Replaces the list with `revocations` (the latest per session and per user wins).
    pub fn replace(&self, revocations: &[TokenRevocation]) {
        let mut lists = Lists {
            loaded: revocations.len(),
            ..Lists::default()
        };
        for r in revocations {
            let slot = match (r.session_id, r.org_id) {
                (Some(session), _) => lists.sessions.entry(session).or_insert(r.at),
                (None, Some(org)) => lists.memberships.entry((r.user_id, org)).or_insert(r.at),
                (None, None) => lists.users.entry(r.user_id).or_insert(r.at),
            };
            *slot = (*slot).max(r.at);
        }
        *self.lists.write().unwrap_or_else(PoisonError::into_inner) = lists;
    }

    /// How many revocations the last load held.
    #[must_use]
    pub fn len(&self) -> usize {
        self.lists
            .read()
            .unwrap_or_else(PoisonError::into_inner)
            .loaded
    }

    /// Whether the last load held none.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Whether `claims` were revoked: their session was, or their user's tokens (or, for a
    /// token acting for an organization, the user's tokens for that organization) were at or
    /// after the second they were issued in (a token minted in the very second of such a
    /// revocation is refused too; its holder refreshes again a second later).
    #[must_use]
    pub fn is_revoked(&self, claims: &AccessClaims) -> bool {
        let lists = self.lists.read().unwrap_or_else(PoisonError::into_inner);
        if lists.sessions.contains_key(&claims.sid) {
            return true;
        }
        let issued_by = |at: &Timestamp| claims.iat <= at.timestamp();
        lists.users.get(&claims.sub).is_some_and(issued_by)
            || claims.org.is_some_and(|org| {
                lists
                    .memberships
                    .get(&(claims.sub, org))
                    .is_some_and(issued_by)
            })
    }
}

#[cfg(test)]
mod tests {
    use chrono::{Duration, TimeZone, Utc};

    use super::*;

    fn claims(sub: UserId, sid: SessionId, iat: i64) -> AccessClaims {
        AccessClaims {
            sub,
            sid,
            role: "user".into(),
            perms: Vec::new(),
            org: None,
            org_perms: Vec::new(),
            iat,
            exp: iat + 900,
            jti: "j".into(),
        }
    }

    #[test]
    fn a_revoked_session_or_an_earlier_user_wide_revocation_refuses_the_token() {
        let list = RevocationList::new();
        let (ada, bob) = (UserId::new(), UserId::new());
        let (s1, s2) = (SessionId::new(), SessionId::new());
        let at = Utc.with_ymd_and_hms(2026, 11, 29, 12, 0, 0).unwrap();
        assert!(!list.is_revoked(&claims(ada, s1, at.timestamp())));
        list.replace(&[
            TokenRevocation {
                user_id: ada,
                session_id: Some(s1),
                org_id: None,
                at,
            },
            TokenRevocation {
                user_id: bob,
                session_id: None,
                org_id: None,
                at,
            },
        ]);
        assert_eq!(list.len(), 2);
        assert!(list.is_revoked(&claims(ada, s1, at.timestamp())));
        assert!(
            !list.is_revoked(&claims(ada, s2, at.timestamp())),
            "ada's other session is fine"
        );
        assert!(list.is_revoked(&claims(bob, s2, at.timestamp() - 60)));
        assert!(list.is_revoked(&claims(bob, s2, at.timestamp())));
        assert!(
            !list.is_revoked(&claims(bob, s2, (at + Duration::seconds(1)).timestamp())),
            "a token issued after the revocation works"
        );
        list.replace(&[]);
        assert!(list.is_empty());
        assert!(!list.is_revoked(&claims(ada, s1, at.timestamp())));
    }

    #[test]
    fn a_membership_revocation_refuses_only_the_tokens_acting_for_that_organization() {
        let list = RevocationList::new();
        let (ada, bob) = (UserId::new(), UserId::new());
        let (acme, globex) = (OrgId::new(), OrgId::new());
        let at = Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59).unwrap();
        let acting = |sub, org: Option<OrgId>, iat| AccessClaims {
            org,
            org_perms: vec!["org_files:read".into()],
            ..claims(sub, SessionId::new(), iat)
        };
        list.replace(&[TokenRevocation {
            user_id: ada,
            session_id: None,
            org_id: Some(acme),
            at,
        }]);
        assert!(list.is_revoked(&acting(ada, Some(acme), at.timestamp() - 300)));
        assert!(list.is_revoked(&acting(ada, Some(acme), at.timestamp())));
        assert!(
            !list.is_revoked(&acting(ada, Some(acme), at.timestamp() + 1)),
            "a token minted after the change (the next year, here) carries the new standing"
        );
        assert!(
            !list.is_revoked(&acting(ada, None, at.timestamp() - 300)),
            "her own, personal tokens keep working"
        );
        assert!(
            !list.is_revoked(&acting(ada, Some(globex), at.timestamp() - 300)),
            "her tokens for another organization keep working"
        );
        assert!(
            !list.is_revoked(&acting(bob, Some(acme), at.timestamp() - 300)),
            "another member's tokens keep working"
        );
    }
}
