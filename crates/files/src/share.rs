//! Shares: a file's owner lets another person (by e-mail address) see, download or edit it.

use plinth_kernel::{ActingFor, Email, OrgId, Timestamp, UserId};

use crate::FileId;

/// What a share allows; each level includes the ones before it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SharePermission {
    /// The metadata (`GET /files/{id}`, the versions list).
    View,
    /// The metadata and the bytes.
    Download,
    /// The metadata, the bytes and new versions.
    Edit,
}

impl SharePermission {
    /// Every permission, weakest first.
    pub const ALL: &'static [Self] = &[Self::View, Self::Download, Self::Edit];

    /// The name used in the API and in storage: `view`, `download` or `edit`.
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::View => "view",
            Self::Download => "download",
            Self::Edit => "edit",
        }
    }

    /// Parses [`SharePermission::as_str`]'s names.
    #[must_use]
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|p| p.as_str() == s)
    }

    /// Whether this permission includes `needed`.
    #[must_use]
    pub fn allows(self, needed: Self) -> bool {
        self >= needed
    }
}

impl std::fmt::Display for SharePermission {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The organization permission to see and download an organization's files.
pub const ORG_FILES_READ: &str = "org_files:read";
/// The organization permission to upload, change, share and delete an organization's files.
pub const ORG_FILES_WRITE: &str = "org_files:write";

/// One share of a file, keyed by the grantee's normalised address (whether or not an account
/// with that address exists: a share to an address starts working for the account that
/// registers and verifies it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileShare {
    /// The shared file.
    pub file_id: FileId,
    /// Who it is shared with (normalised).
    pub grantee_email: Email,
    /// What they may do.
    pub permission: SharePermission,
    /// When it was first shared with them (a new permission keeps it).
    pub created_at: Timestamp,
}

/// One share of a file with a whole organization: its members reach the file while their
/// token acts for that organization and lets them read its files (`org_files:read`; `edit`
/// also takes `org_files:write`). Keyed by organization, whether or not it exists.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgShare {
    /// The shared file.
    pub file_id: FileId,
    /// The organization it is shared with.
    pub org_id: OrgId,
    /// What its members may do.
    pub permission: SharePermission,
    /// When it was first shared with it (a new permission keeps it).
    pub created_at: Timestamp,
}

/// The signed-in caller, as the access checks need them: their id (ownership), their
/// normalised address (shares) and whether that address is verified, and the organization
/// their token acts for (an organization's files).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    /// The user's id.
    pub id: UserId,
    /// The user's normalised e-mail address.
    pub email: Email,
    /// Whether the account proved it owns `email`. Shares to an address count only for an
    /// account whose address is verified: whoever registers an address without being able to
    /// read its mail (a squatter) receives nothing shared with it, before or after registering.
    pub email_verified: bool,
    /// The organization the caller's token acts for, with their organization permissions
    /// there (`org_files:read`, `org_files:write`); `None` when they act for themselves.
    pub acting: Option<ActingFor>,
}

/// What a viewer may do with an organization's files.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrgFileAccess {
    /// See and download them (`org_files:read`).
    Read,
    /// Everything an owner does: upload, new versions, share, delete (`org_files:write`).
    Write,
}

impl Viewer {
    /// A viewer for an account, acting for themselves.
    #[must_use]
    pub fn new(id: UserId, email: Email, email_verified: bool) -> Self {
        Self {
            id,
            email,
            email_verified,
            acting: None,
        }
    }

    /// The same viewer acting for `org` (their token says so).
    #[must_use]
    pub fn acting_for(mut self, org: Option<ActingFor>) -> Self {
        self.acting = org;
        self
    }

    /// What this viewer may do with the files of `org`: nothing unless their token acts for
    /// it; then what their organization permissions there allow.
    #[must_use]
    pub fn org_access(&self, org: OrgId) -> Option<OrgFileAccess> {
        let acting = self.acting.as_ref().filter(|a| a.org_id == org)?;
        if acting.can(ORG_FILES_WRITE) {
            Some(OrgFileAccess::Write)
        } else if acting.can(ORG_FILES_READ) {
            Some(OrgFileAccess::Read)
        } else {
            None
        }
    }

    /// What `share` lets this viewer do: nothing unless their token acts for its organization
    /// with `org_files:read` there; then its permission, with `edit` only for `org_files:write`
    /// (`download` otherwise).
    #[must_use]
    pub fn through_org_share(&self, share: &OrgShare) -> Option<SharePermission> {
        match self.org_access(share.org_id)? {
            OrgFileAccess::Write => Some(share.permission),
            OrgFileAccess::Read => Some(share.permission.min(SharePermission::Download)),
        }
    }

    /// The organization whose files this viewer may list (`org_files:read` or more where
    /// their token acts).
    #[must_use]
    pub fn readable_org(&self) -> Option<OrgId> {
        let org = self.acting.as_ref()?.org_id;
        self.org_access(org).map(|_| org)
    }

    /// Whether `share` counts for this viewer: it is to their address, and that address is
    /// verified.
    #[must_use]
    pub fn honours(&self, share: &FileShare) -> bool {
        self.email_verified && share.grantee_email == self.email
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permissions_are_ordered_and_round_trip() {
        for p in SharePermission::ALL {
            assert_eq!(SharePermission::parse(p.as_str()), Some(*p));
        }
        assert_eq!(SharePermission::parse("owner"), None);
        assert!(SharePermission::Edit.allows(SharePermission::Download));
        assert!(SharePermission::Download.allows(SharePermission::View));
        assert!(!SharePermission::View.allows(SharePermission::Download));
        assert!(!SharePermission::Download.allows(SharePermission::Edit));
    }
}
