//! What the service's administrators do with organizations (global permissions `orgs:read`
//! and `orgs:write`, checked here): list and search them, inspect one and its members, and
//! suspend or reinstate it.

use plinth_audit::AuditAction;
use plinth_kernel::{Caller, Page, PageRequest, Permission, RequestMeta};

use super::OrganizationService;
use crate::{MemberProfile, OrgError, OrgId, OrgOverview};

impl OrganizationService {
    /// Every organization whose name contains `q` (case-insensitively), newest first, with
    /// its member count (permission `orgs:read`).
    ///
    /// # Errors
    /// [`OrgError::Forbidden`]; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn admin_search(
        &self,
        caller: &Caller,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<OrgOverview>, OrgError> {
        caller.require(Permission::ORGS_READ)?;
        Ok(self.orgs.search(q, page).await?)
    }

    /// Organization `id` with its member count (permission `orgs:read`).
    ///
    /// # Errors
    /// [`OrgError::Forbidden`], [`OrgError::NotFound`]; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn admin_get(&self, caller: &Caller, id: OrgId) -> Result<OrgOverview, OrgError> {
        caller.require(Permission::ORGS_READ)?;
        self.orgs.overview(id).await?.ok_or(OrgError::NotFound)
    }

    /// The members of organization `id` (permission `orgs:read`).
    ///
    /// # Errors
    /// [`OrgError::Forbidden`], [`OrgError::NotFound`]; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn admin_members(
        &self,
        caller: &Caller,
        id: OrgId,
        page: PageRequest,
    ) -> Result<Page<MemberProfile>, OrgError> {
        caller.require(Permission::ORGS_READ)?;
        self.orgs.overview(id).await?.ok_or(OrgError::NotFound)?;
        Ok(self.orgs.members(id, page).await?)
    }

    /// Suspends organization `id` (`suspended`) or reinstates it (permission `orgs:write`;
    /// `admin.org_suspended` / `admin.org_reinstated`, once per change: setting the state it
    /// already has changes and audits nothing). While suspended its members can only see it
    /// and leave it.
    ///
    /// # Errors
    /// [`OrgError::Forbidden`], [`OrgError::NotFound`]; storage failure.
    #[tracing::instrument(skip(self, caller, meta), fields(actor = %caller.user_id))]
    pub async fn admin_set_suspended(
        &self,
        caller: &Caller,
        id: OrgId,
        suspended: bool,
        meta: &RequestMeta,
    ) -> Result<OrgOverview, OrgError> {
        caller.require(Permission::ORGS_WRITE)?;
        let mut tx = self.uow.begin().await?;
        let org = self
            .orgs
            .lock(tx.as_mut(), id)
            .await?
            .ok_or(OrgError::NotFound)?;
        if org.suspended_at.is_some() != suspended {
            let since = suspended.then(|| self.clock.now());
            self.orgs.set_suspended(tx.as_mut(), id, since).await?;
            if suspended {
                let members = self.orgs.member_ids(tx.as_mut(), id).await?;
                self.revoker
                    .revoke(tx.as_mut(), id, &members, self.clock.now())
                    .await?;
            }
            let action = if suspended {
                AuditAction::OrgSuspended
            } else {
                AuditAction::OrgReinstated
            };
            let event = self
                .event(action, caller, id, meta)
                .target("organization", id)
                .details(serde_json::json!({ "org_id": id, "name": org.name.as_str() }));
            self.audit.append(tx.as_mut(), &event).await?;
            tx.commit().await?;
        } else {
            // Nothing to change: end the transaction (and its lock) before reading.
            drop(tx);
        }
        self.orgs.overview(id).await?.ok_or(OrgError::NotFound)
    }
}

impl OrganizationService {
    /// The audit entries filed under organization `id`, newest first, narrowed by `filter`
    /// (permission `org_audit:read` there; its `org_id` is always `id`). Rows that do not read
    /// back as an entry are returned as such, as in the global listing. Nothing of another
    /// organization or of the rest of the trail is read.
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Forbidden`]; storage failure.
    #[tracing::instrument(skip(self, caller, filter), fields(caller = %caller.user_id))]
    pub async fn audit(
        &self,
        caller: &Caller,
        id: OrgId,
        filter: plinth_audit::AuditFilter,
        page: PageRequest,
    ) -> Result<Page<plinth_audit::StoredEntry>, OrgError> {
        super::require(
            &self.role_of(caller, id).await?,
            crate::OrgPermission::AUDIT_READ,
        )?;
        let filter = plinth_audit::AuditFilter {
            org_id: Some(id.as_uuid()),
            ..filter
        };
        Ok(self.audit.list_rows(&filter, page).await?)
    }
}

/// What checking an organization's audit entries found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrgAuditReport {
    /// Entries of the organization checked (all of them).
    pub checked: u64,
    /// The earliest of its entries that no longer matches its stored hash or does not read back
    /// as an entry; `None` when all match (or when that row's id is unreadable).
    pub first_bad: Option<plinth_audit::AuditEventId>,
    /// That entry's position in the trail.
    pub first_bad_seq: Option<u64>,
    /// Whether the whole trail verifies (an edit, deletion or reordering anywhere makes it
    /// `false`): one bit about the rest of the trail, never its rows.
    pub trail_intact: bool,
}

impl OrganizationService {
    /// Checks every audit entry filed under organization `id` against its stored hash, and
    /// whether the whole trail verifies (permission `org_audit:read` there). The
    /// organization's rows are the only rows returned or compared here; the trail check
    /// reports one bit.
    ///
    /// # Errors
    /// [`OrgError::NotFound`], [`OrgError::Forbidden`]; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn verify_audit(
        &self,
        caller: &Caller,
        id: OrgId,
    ) -> Result<OrgAuditReport, OrgError> {
        super::require(
            &self.role_of(caller, id).await?,
            crate::OrgPermission::AUDIT_READ,
        )?;
        let filter = plinth_audit::AuditFilter {
            org_id: Some(id.as_uuid()),
            ..plinth_audit::AuditFilter::default()
        };
        let mut report = OrgAuditReport {
            checked: 0,
            first_bad: None,
            first_bad_seq: None,
            trail_intact: false,
        };
        let mut page = PageRequest::first(100);
        loop {
            let rows = self.audit.list_rows(&filter, page).await?;
            for row in &rows.items {
                report.checked += 1;
                // Newest first: the last bad row met is the earliest one.
                if !row.is_intact() {
                    report.first_bad = row.id();
                    report.first_bad_seq = row.seq();
                }
            }
            let Some(cursor) = rows.next_cursor else {
                break;
            };
            page = PageRequest::new(Some(page.limit()), Some(&cursor.encode()))
                .map_err(|e| OrgError::Repo(plinth_kernel::RepoError::internal(e.to_string())))?;
        }
        report.trail_intact = self.audit.verify().await?.ok;
        Ok(report)
    }
}
