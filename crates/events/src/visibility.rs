//! [`Visibility`]: whether a user may see an event, asked when it is delivered.

use std::collections::HashMap;

use plinth_kernel::{OrgId, RepoError, UserId};

use crate::{DomainEvent, MemberAudience, MemberPermissions};

/// Answers "may `viewer` see this event?" for one delivery: each organization's standing is
/// read once (the first time an event of it is checked) and remembered until this value is
/// dropped, so make a new one per delivery to see membership changes.
pub struct Visibility<'a> {
    viewer: UserId,
    access: &'a dyn MemberPermissions,
    standings: HashMap<OrgId, Option<Vec<String>>>,
}

impl<'a> Visibility<'a> {
    /// Checks for `viewer`, asking `access` where they stand.
    #[must_use]
    pub fn new(viewer: UserId, access: &'a dyn MemberPermissions) -> Self {
        Self {
            viewer,
            access,
            standings: HashMap::new(),
        }
    }

    /// Whether the viewer is in `event`'s audience now.
    ///
    /// # Errors
    /// [`RepoError`] when their standing cannot be read.
    pub async fn can_see(&mut self, event: &DomainEvent) -> Result<bool, RepoError> {
        let audience = &event.audience;
        if audience.everyone || audience.user == Some(self.viewer) {
            return Ok(true);
        }
        let (Some(members), Some(org)) = (&audience.members, event.org_id) else {
            return Ok(false);
        };
        let permissions = match self.standings.get(&org) {
            Some(known) => known,
            None => {
                let read = self.access.permissions(self.viewer, org).await?;
                self.standings.entry(org).or_insert(read)
            }
        };
        Ok(match (permissions, members) {
            (None, _) => false,
            (Some(_), MemberAudience::Any) => true,
            (Some(held), MemberAudience::WithPermission(p)) => held.iter().any(|h| h == p),
        })
    }
}
