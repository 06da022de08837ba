//! [`UserViewers`]: the accounts behind the file service's callers and signed URLs, and where
//! they stand in an organization.

use plinth_files::{Viewer, ViewerDirectory};
use plinth_kernel::{ActingFor, OrgId, RepoError, UserId};
use plinth_sessions::{OrgAccess as _, OrgStanding};
use plinth_users::{User, UserError, UserService, UserStatus};

use super::OrgMemberships;

/// The file service's view of an account: its id, its address and whether that is verified.
#[must_use]
pub fn viewer_of(account: User) -> Viewer {
    Viewer::new(account.id, account.email, account.email_verified)
}

/// Accounts read through the user service and memberships through the organization service,
/// for the file service's [`ViewerDirectory`] port (who a caller is; whether the account that
/// made a signed link may still use it): a deleted or suspended account is `None`, and so is
/// the standing of a non-member or in a suspended organization.
#[derive(Clone)]
pub struct UserViewers {
    /// Accounts.
    pub users: UserService,
    /// Memberships.
    pub orgs: OrgMemberships,
}

#[async_trait::async_trait]
impl ViewerDirectory for UserViewers {
    async fn active_viewer(&self, id: UserId) -> Result<Option<Viewer>, RepoError> {
        match self.users.get(id).await {
            Ok(account) if account.status == UserStatus::Active => Ok(Some(viewer_of(account))),
            Ok(_) | Err(UserError::NotFound) => Ok(None),
            Err(UserError::Repo(e)) => Err(e),
            Err(other) => Err(RepoError::internal(other.to_string())),
        }
    }

    async fn acting_for(&self, id: UserId, org: OrgId) -> Result<Option<ActingFor>, RepoError> {
        Ok(match self.orgs.standing(id, org).await? {
            OrgStanding::Member(acting) => Some(acting),
            OrgStanding::NotMember | OrgStanding::Suspended => None,
        })
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_file_permissions_are_the_organizations_own() {
        // The files domain names the two permissions without depending on `plinth-orgs`.
        assert_eq!(
            plinth_files::ORG_FILES_READ,
            plinth_orgs::OrgPermission::FILES_READ
        );
        assert_eq!(
            plinth_files::ORG_FILES_WRITE,
            plinth_orgs::OrgPermission::FILES_WRITE
        );
    }
}
