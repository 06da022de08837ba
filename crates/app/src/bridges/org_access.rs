//! Acting for an organization, across two domains: the sessions domain mints access tokens
//! that carry a user's organization permissions ([`OrgMemberships`] answers where they stand),
//! and the organizations domain ends those tokens when a membership changes
//! ([`SessionRevocations`] writes the revocation the sessions domain enforces). The billing
//! domain asks the same question before an organization's subscription changes.

use std::sync::Arc;

use plinth_kernel::{ActingFor, OrgId, RepoError, Timestamp, Transaction, UserId};
use plinth_orgs::{OrgError, OrgTokenRevoker, OrganizationService};
use plinth_sessions::{OrgAccess, OrgStanding, SessionStorage};

/// Memberships read through the organization service.
#[derive(Clone)]
pub struct OrgMemberships(pub OrganizationService);

#[async_trait::async_trait]
impl OrgAccess for OrgMemberships {
    async fn standing(&self, user: UserId, org: OrgId) -> Result<OrgStanding, RepoError> {
        match self.0.standing(user, org).await {
            Ok(None) => Ok(OrgStanding::NotMember),
            Ok(Some((membership, _))) if membership.organization.suspended_at.is_some() => {
                Ok(OrgStanding::Suspended)
            }
            Ok(Some((_, role))) => Ok(OrgStanding::Member(ActingFor {
                org_id: org,
                permissions: role.permissions.into_iter().collect(),
            })),
            Err(OrgError::Repo(e)) => Err(e),
            Err(other) => Err(RepoError::internal(other.to_string())),
        }
    }
}

/// Where members stand, for an organization's billing (the same answer a token acting for
/// the organization would carry; `None` for a non-member or a suspended organization).
#[async_trait::async_trait]
impl plinth_billing::BillingMembers for OrgMemberships {
    async fn standing(&self, user: UserId, org: OrgId) -> Result<Option<ActingFor>, RepoError> {
        Ok(match OrgAccess::standing(self, user, org).await? {
            OrgStanding::Member(acting) => Some(acting),
            OrgStanding::NotMember | OrgStanding::Suspended => None,
        })
    }
}

/// Where a user stands, for the realtime streams' visibility checks (a suspended
/// organization's members hold no permission there but still see what any member sees).
#[async_trait::async_trait]
impl plinth_events::MemberPermissions for OrgMemberships {
    async fn permissions(
        &self,
        user: UserId,
        org: OrgId,
    ) -> Result<Option<Vec<String>>, RepoError> {
        Ok(match OrgAccess::standing(self, user, org).await? {
            OrgStanding::Member(acting) => Some(acting.permissions.into_iter().collect()),
            OrgStanding::Suspended => Some(Vec::new()),
            OrgStanding::NotMember => None,
        })
    }
}

/// Organization token revocations written to the sessions domain's revocation rows.
#[derive(Clone)]
pub struct SessionRevocations(pub Arc<dyn SessionStorage>);

#[async_trait::async_trait]
impl OrgTokenRevoker for SessionRevocations {
    async fn revoke(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        users: &[UserId],
        at: Timestamp,
    ) -> Result<(), RepoError> {
        for user in users {
            self.0.revoke_org_tokens(tx, *user, org, at).await?;
        }
        Ok(())
    }
}
