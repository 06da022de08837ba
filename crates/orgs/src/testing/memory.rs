//! [`MemoryOrgStorage`].

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use plinth_kernel::testing::MemoryTransaction;
use plinth_kernel::{Email, Page, PageRequest, RepoError, Timestamp, Transaction, UserId};

use crate::{
    BillingContact, Invitation, InvitationId, InvitationRepository, InvitationTokenHash, Member,
    MemberProfile, MemberRepository, Membership, OrgId, OrgName, OrgOverview, OrgRole, OrgRoleName,
    OrgRoleRepository, Organization, OrganizationRepository,
};

#[derive(Clone, Default)]
struct State {
    orgs: BTreeMap<OrgId, Organization>,
    members: BTreeMap<(OrgId, UserId), Member>,
    roles: BTreeMap<(OrgId, OrgRoleName), OrgRole>,
    invitations: BTreeMap<InvitationId, (Invitation, InvitationTokenHash)>,
    billing: BTreeMap<OrgId, BillingContact>,
}

/// Where the in-memory member list finds an account's address and name.
type ProfileLookup = Arc<dyn Fn(UserId) -> Option<(Email, String)> + Send + Sync>;

/// Organizations, members and custom roles in memory. Clones share the same rows. Member
/// listings show the address and name registered with [`MemoryOrgStorage::know_user`], or
/// found by the lookup given to [`MemoryOrgStorage::with_profiles`]; a member with neither is
/// left out, as the SQL adapter leaves out a member whose account is gone.
#[derive(Clone, Default)]
pub struct MemoryOrgStorage {
    state: Arc<Mutex<State>>,
    profiles: Arc<Mutex<HashMap<UserId, (Email, String)>>>,
    lookup: Option<ProfileLookup>,
}

impl MemoryOrgStorage {
    /// Empty storage.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Empty storage whose member lists read addresses and names through `lookup` (for
    /// example the in-memory user repository's).
    #[must_use]
    pub fn with_profiles(
        lookup: impl Fn(UserId) -> Option<(Email, String)> + Send + Sync + 'static,
    ) -> Self {
        Self {
            lookup: Some(Arc::new(lookup)),
            ..Self::default()
        }
    }

    /// The longest-standing owner of `org` (whom its invoices go to without a billing
    /// address), for adapters built over this storage in tests.
    #[must_use]
    pub fn first_owner(&self, org: OrgId) -> Option<UserId> {
        self.state()
            .members
            .iter()
            .filter(|((o, _), m)| *o == org && m.role.as_str() == "owner")
            .min_by_key(|(_, m)| (m.joined_at, m.user_id))
            .map(|(_, m)| m.user_id)
    }

    /// Registers an account's address and name for member listings (the SQL adapter reads
    /// them from `users`).
    pub fn know_user(&self, id: UserId, email: Email, name: &str) {
        self.profiles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(id, (email, name.to_owned()));
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Applies `change` to the rows; undone if `tx` is dropped uncommitted.
    fn write<T>(
        &self,
        tx: &mut dyn Transaction,
        change: impl FnOnce(&mut State) -> Result<T, RepoError>,
    ) -> Result<T, RepoError> {
        let tx = MemoryTransaction::from_dyn(tx)?;
        let mut state = self.state();
        let before = state.clone();
        let out = change(&mut state)?;
        let shared = Arc::clone(&self.state);
        tx.on_rollback(move || {
            *shared.lock().unwrap_or_else(PoisonError::into_inner) = before;
        });
        Ok(out)
    }
}

#[async_trait::async_trait]
impl OrganizationRepository for MemoryOrgStorage {
    async fn insert(
        &self,
        tx: &mut dyn Transaction,
        org: &Organization,
        owner: &Member,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            if s.orgs.contains_key(&org.id) {
                return Err(RepoError::Duplicate {
                    constraint: "organizations.id".into(),
                });
            }
            s.orgs.insert(org.id, org.clone());
            s.members.insert((org.id, owner.user_id), owner.clone());
            Ok(())
        })
    }

    async fn lock(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
    ) -> Result<Option<Organization>, RepoError> {
        // The memory transaction holds the one write lock already.
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.state().orgs.get(&id).cloned())
    }

    async fn rename(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        name: &OrgName,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            let org = s.orgs.get_mut(&id).ok_or(RepoError::NotFound)?;
            org.name = name.clone();
            org.updated_at = at;
            Ok(())
        })
    }

    async fn billing_contact(&self, id: OrgId) -> Result<Option<BillingContact>, RepoError> {
        let state = self.state();
        Ok(state
            .orgs
            .contains_key(&id)
            .then(|| state.billing.get(&id).cloned().unwrap_or_default()))
    }

    async fn set_billing_contact(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        contact: &BillingContact,
        at: Timestamp,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            let org = s.orgs.get_mut(&id).ok_or(RepoError::NotFound)?;
            org.updated_at = at;
            s.billing.insert(id, contact.clone());
            Ok(())
        })
    }

    async fn delete(&self, tx: &mut dyn Transaction, id: OrgId) -> Result<(), RepoError> {
        self.write(tx, |s| {
            s.orgs.remove(&id).ok_or(RepoError::NotFound)?;
            s.billing.remove(&id);
            s.members.retain(|(org, _), _| *org != id);
            s.roles.retain(|(org, _), _| *org != id);
            s.invitations.retain(|_, (i, _)| i.org_id != id);
            Ok(())
        })
    }

    async fn set_suspended(
        &self,
        tx: &mut dyn Transaction,
        id: OrgId,
        since: Option<Timestamp>,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            let org = s.orgs.get_mut(&id).ok_or(RepoError::NotFound)?;
            org.suspended_at = since;
            Ok(())
        })
    }

    async fn search(
        &self,
        q: Option<&str>,
        page: PageRequest,
    ) -> Result<Page<OrgOverview>, RepoError> {
        let before = page.cursor().map(|c| OrgId::from_uuid(c.last_id()));
        let needle = q
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_lowercase);
        let s = self.state();
        let rows: Vec<OrgOverview> = s
            .orgs
            .values()
            .rev()
            .filter(|o| before.is_none_or(|b| o.id < b))
            .filter(|o| {
                needle
                    .as_deref()
                    .is_none_or(|n| o.name.as_str().to_lowercase().contains(n))
            })
            .take(page.limit() as usize + 1)
            .map(|o| OrgOverview {
                organization: o.clone(),
                members: s.members.keys().filter(|(org, _)| *org == o.id).count() as u64,
            })
            .collect();
        Ok(Page::from_rows(rows, page, |o| o.organization.id.as_uuid()))
    }

    async fn overview(&self, id: OrgId) -> Result<Option<OrgOverview>, RepoError> {
        let s = self.state();
        Ok(s.orgs.get(&id).map(|o| OrgOverview {
            organization: o.clone(),
            members: s.members.keys().filter(|(org, _)| *org == id).count() as u64,
        }))
    }

    async fn membership(&self, id: OrgId, user: UserId) -> Result<Option<Membership>, RepoError> {
        let s = self.state();
        Ok(s.members.get(&(id, user)).and_then(|m| {
            s.orgs.get(&id).map(|org| Membership {
                organization: org.clone(),
                role: m.role.clone(),
            })
        }))
    }

    async fn memberships(
        &self,
        user: UserId,
        page: PageRequest,
    ) -> Result<Page<Membership>, RepoError> {
        let before = page.cursor().map(|c| OrgId::from_uuid(c.last_id()));
        let s = self.state();
        let mut rows: Vec<Membership> = s
            .members
            .iter()
            .filter(|((org, who), _)| *who == user && before.is_none_or(|b| *org < b))
            .filter_map(|((org, _), m)| {
                s.orgs.get(org).map(|o| Membership {
                    organization: o.clone(),
                    role: m.role.clone(),
                })
            })
            .collect();
        rows.sort_by_key(|m| std::cmp::Reverse(m.organization.id));
        rows.truncate(page.limit() as usize + 1);
        Ok(Page::from_rows(rows, page, |m| m.organization.id.as_uuid()))
    }
}

#[async_trait::async_trait]
impl MemberRepository for MemoryOrgStorage {
    async fn add_member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        member: &Member,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            if !s.orgs.contains_key(&org) {
                return Err(RepoError::NotFound);
            }
            if s.members.contains_key(&(org, member.user_id)) {
                return Err(RepoError::Duplicate {
                    constraint: "org_members.user_id".into(),
                });
            }
            s.members.insert((org, member.user_id), member.clone());
            Ok(())
        })
    }

    async fn member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
    ) -> Result<Option<Member>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.state().members.get(&(org, user)).cloned())
    }

    async fn owners(&self, tx: &mut dyn Transaction, org: OrgId) -> Result<Vec<UserId>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        let owner = OrgRole::owner().name;
        Ok(self
            .state()
            .members
            .iter()
            .filter(|((o, _), m)| *o == org && m.role == owner)
            .map(|((_, user), _)| *user)
            .collect())
    }

    async fn member_ids(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
    ) -> Result<Vec<UserId>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .members
            .keys()
            .filter(|(o, _)| *o == org)
            .map(|(_, user)| *user)
            .collect())
    }

    async fn holders(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        role: &OrgRoleName,
    ) -> Result<u64, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .members
            .iter()
            .filter(|((o, _), m)| *o == org && m.role == *role)
            .count() as u64)
    }

    async fn memberships_of(
        &self,
        tx: &mut dyn Transaction,
        user: UserId,
    ) -> Result<Vec<(OrgId, OrgRoleName)>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .members
            .iter()
            .filter(|((_, who), _)| *who == user)
            .map(|((org, _), m)| (*org, m.role.clone()))
            .collect())
    }

    async fn member_count(&self, tx: &mut dyn Transaction, org: OrgId) -> Result<u64, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .members
            .keys()
            .filter(|(o, _)| *o == org)
            .count() as u64)
    }

    async fn set_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
        role: &OrgRoleName,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            let member = s.members.get_mut(&(org, user)).ok_or(RepoError::NotFound)?;
            member.role = role.clone();
            Ok(())
        })
    }

    async fn remove_member(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        user: UserId,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            s.members
                .remove(&(org, user))
                .map(|_| ())
                .ok_or(RepoError::NotFound)
        })
    }

    async fn members(
        &self,
        org: OrgId,
        page: PageRequest,
    ) -> Result<Page<MemberProfile>, RepoError> {
        let after = page.cursor().map(|c| UserId::from_uuid(c.last_id()));
        let profiles = self
            .profiles
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone();
        let rows: Vec<MemberProfile> = self
            .state()
            .members
            .range((org, UserId::from_uuid(uuid::Uuid::nil()))..)
            .take_while(|((o, _), _)| *o == org)
            .filter(|((_, user), _)| after.is_none_or(|a| *user > a))
            .filter_map(|((_, user), m)| {
                let found = profiles
                    .get(user)
                    .cloned()
                    .or_else(|| self.lookup.as_ref().and_then(|lookup| lookup(*user)));
                found.map(|(email, name)| MemberProfile {
                    member: m.clone(),
                    email,
                    name,
                })
            })
            .take(page.limit() as usize + 1)
            .collect();
        Ok(Page::from_rows(rows, page, |m| m.member.user_id.as_uuid()))
    }
}

#[async_trait::async_trait]
impl OrgRoleRepository for MemoryOrgStorage {
    async fn insert_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        role: &OrgRole,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            if !s.orgs.contains_key(&org) {
                return Err(RepoError::NotFound);
            }
            let key = (org, role.name.clone());
            if s.roles.contains_key(&key) {
                return Err(RepoError::Duplicate {
                    constraint: "org_roles.name".into(),
                });
            }
            s.roles.insert(key, role.clone());
            Ok(())
        })
    }

    async fn custom_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        name: &OrgRoleName,
    ) -> Result<Option<OrgRole>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self.state().roles.get(&(org, name.clone())).cloned())
    }

    async fn custom_roles(&self, org: OrgId) -> Result<Vec<OrgRole>, RepoError> {
        Ok(self
            .state()
            .roles
            .iter()
            .filter(|((o, _), _)| *o == org)
            .map(|(_, role)| role.clone())
            .collect())
    }

    async fn delete_role(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        name: &OrgRoleName,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            s.roles
                .remove(&(org, name.clone()))
                .map(|_| ())
                .ok_or(RepoError::NotFound)
        })
    }
}

#[async_trait::async_trait]
impl InvitationRepository for MemoryOrgStorage {
    async fn insert_invitation(
        &self,
        tx: &mut dyn Transaction,
        invitation: &Invitation,
        token: &InvitationTokenHash,
    ) -> Result<(), RepoError> {
        self.write(tx, |s| {
            if !s.orgs.contains_key(&invitation.org_id) {
                return Err(RepoError::NotFound);
            }
            if s.invitations.contains_key(&invitation.id)
                || s.invitations.values().any(|(_, hash)| hash == token)
            {
                return Err(RepoError::Duplicate {
                    constraint: "org_invitations.token_hash".into(),
                });
            }
            s.invitations
                .insert(invitation.id, (invitation.clone(), token.clone()));
            Ok(())
        })
    }

    async fn invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
    ) -> Result<Option<Invitation>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .invitations
            .get(&id)
            .filter(|(i, _)| i.org_id == org)
            .map(|(i, _)| i.clone()))
    }

    async fn invitation_by_token(
        &self,
        tx: &mut dyn Transaction,
        token: &InvitationTokenHash,
    ) -> Result<Option<Invitation>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .invitations
            .values()
            .find(|(_, hash)| hash == token)
            .map(|(i, _)| i.clone()))
    }

    async fn invitation_to(
        &self,
        tx: &mut dyn Transaction,
        id: InvitationId,
        email: &Email,
    ) -> Result<Option<Invitation>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .invitations
            .get(&id)
            .filter(|(i, _)| i.email == *email)
            .map(|(i, _)| i.clone()))
    }

    async fn pending_for(
        &self,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<(Invitation, OrgName)>, RepoError> {
        let s = self.state();
        Ok(s.invitations
            .values()
            .rev()
            .map(|(i, _)| i)
            .filter(|i| i.email == *email && i.is_pending(now))
            .filter_map(|i| s.orgs.get(&i.org_id).map(|o| (i.clone(), o.name.clone())))
            .take(100)
            .collect())
    }

    async fn pending_to(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        email: &Email,
        now: Timestamp,
    ) -> Result<Vec<Invitation>, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .invitations
            .values()
            .map(|(i, _)| i)
            .filter(|i| i.org_id == org && i.email == *email && i.is_pending(now))
            .cloned()
            .collect())
    }

    async fn pending_invitations(
        &self,
        org: OrgId,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Invitation>, RepoError> {
        let before = page.cursor().map(|c| InvitationId::from_uuid(c.last_id()));
        let rows: Vec<Invitation> = self
            .state()
            .invitations
            .values()
            .rev()
            .map(|(i, _)| i)
            .filter(|i| i.org_id == org && i.is_pending(now))
            .filter(|i| before.is_none_or(|b| i.id < b))
            .take(page.limit() as usize + 1)
            .cloned()
            .collect();
        Ok(Page::from_rows(rows, page, |i| i.id.as_uuid()))
    }

    async fn invitations_sent_since(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        since: Timestamp,
    ) -> Result<u64, RepoError> {
        MemoryTransaction::from_dyn(tx)?;
        Ok(self
            .state()
            .invitations
            .values()
            .filter(|(i, _)| i.org_id == org && i.sent_at >= since)
            .count() as u64)
    }

    async fn renew_invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
        token: &InvitationTokenHash,
        at: Timestamp,
        expires_at: Timestamp,
    ) -> Result<bool, RepoError> {
        self.write(tx, |s| {
            Ok(match s.invitations.get_mut(&id) {
                Some((i, hash))
                    if i.org_id == org && i.accepted_at.is_none() && i.revoked_at.is_none() =>
                {
                    i.sent_at = at;
                    i.expires_at = expires_at;
                    *hash = token.clone();
                    true
                }
                _ => false,
            })
        })
    }

    async fn revoke_invitation(
        &self,
        tx: &mut dyn Transaction,
        org: OrgId,
        id: InvitationId,
        at: Timestamp,
    ) -> Result<bool, RepoError> {
        self.write(tx, |s| {
            Ok(match s.invitations.get_mut(&id) {
                Some((i, _))
                    if i.org_id == org && i.accepted_at.is_none() && i.revoked_at.is_none() =>
                {
                    i.revoked_at = Some(at);
                    true
                }
                _ => false,
            })
        })
    }

    async fn accept_invitation(
        &self,
        tx: &mut dyn Transaction,
        id: InvitationId,
        at: Timestamp,
    ) -> Result<bool, RepoError> {
        self.write(tx, |s| {
            Ok(match s.invitations.get_mut(&id) {
                Some((i, _)) if i.is_pending(at) => {
                    i.accepted_at = Some(at);
                    true
                }
                _ => false,
            })
        })
    }
}
