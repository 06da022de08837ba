//! The contract every [`OrgStorage`] adapter must satisfy. Run [`org_storage`] from an
//! adapter's tests with three existing accounts; it panics with a message on the first broken
//! promise. It tolerates a store that already holds organizations (fresh ids each run).
//!
//! Tenant filtering is the point: every read and write names an organization, and a member of
//! one organization sees and changes nothing of another, whatever ids they pass.

// A test suite: panicking with a message is how it reports a failure.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::sync::Arc;
use std::time::Duration;

use chrono::SubsecRound;
use plinth_kernel::{Email, PageRequest, RepoError, UnitOfWork, UserId};

use crate::{
    Invitation, InvitationId, InvitationTokenHash, Member, OrgId, OrgName, OrgRole, OrgRoleName,
    OrgStorage, Organization,
};

/// An existing account: its id, address and display name.
pub type Account = (UserId, Email, String);

/// Runs every check against `repo`, whose writes join transactions from `uow`; `users` are
/// three existing accounts.
///
/// # Panics
/// On the first broken promise, naming it.
pub async fn org_storage(repo: Arc<dyn OrgStorage>, uow: Arc<dyn UnitOfWork>, users: [Account; 3]) {
    let s = Suite { repo, uow, users };
    s.an_organization_is_read_only_through_a_membership().await;
    s.memberships_list_the_users_organizations_newest_first()
        .await;
    s.members_are_added_changed_and_removed_within_their_organization()
        .await;
    s.member_listing_shows_only_the_organizations_members()
        .await;
    s.custom_roles_belong_to_one_organization().await;
    s.rename_and_delete_name_an_existing_organization().await;
    s.delete_takes_members_and_roles_with_it().await;
    s.a_dropped_transaction_stores_nothing().await;
    s.lock_holds_off_other_writers_of_the_organization().await;
    s.invitations_are_found_by_token_and_change_state_once()
        .await;
    s.invitations_stay_within_their_organization().await;
    s.administrators_search_inspect_and_suspend().await;
}

struct Suite {
    repo: Arc<dyn OrgStorage>,
    uow: Arc<dyn UnitOfWork>,
    users: [Account; 3],
}

fn now() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now().trunc_subsecs(6)
}

fn role(name: &str) -> OrgRoleName {
    OrgRoleName::parse(name).unwrap()
}

fn member(user: UserId, role_name: &str) -> Member {
    Member {
        user_id: user,
        role: role(role_name),
        joined_at: now(),
    }
}

impl Suite {
    fn user(&self, i: usize) -> UserId {
        self.users[i].0
    }

    /// A new organization owned by user `owner`.
    async fn org(&self, owner: usize) -> Organization {
        let at = now();
        let org = Organization {
            id: OrgId::new(),
            name: OrgName::parse("Contract Org").unwrap(),
            created_by: self.user(owner),
            created_at: at,
            updated_at: at,
            suspended_at: None,
        };
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .insert(tx.as_mut(), &org, &member(self.user(owner), "owner"))
            .await
            .expect("insert");
        tx.commit().await.unwrap();
        org
    }

    async fn add(&self, org: OrgId, user: usize, role_name: &str) {
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .add_member(tx.as_mut(), org, &member(self.user(user), role_name))
            .await
            .expect("add_member");
        tx.commit().await.unwrap();
    }

    async fn role_of(&self, org: OrgId, user: usize) -> Option<String> {
        self.repo
            .membership(org, self.user(user))
            .await
            .unwrap()
            .map(|m| m.role.as_str().to_owned())
    }

    async fn an_organization_is_read_only_through_a_membership(&self) {
        let org = self.org(0).await;
        let seen = self.repo.membership(org.id, self.user(0)).await.unwrap();
        let seen = seen.expect("the owner sees their organization");
        assert_eq!(seen.organization, org, "stored as given");
        assert_eq!(seen.role.as_str(), "owner");
        assert!(
            self.repo
                .membership(org.id, self.user(1))
                .await
                .unwrap()
                .is_none(),
            "a non-member sees no organization"
        );
        assert!(
            self.repo
                .membership(OrgId::new(), self.user(0))
                .await
                .unwrap()
                .is_none(),
            "an unknown id reads as none"
        );
        let mut tx = self.uow.begin().await.unwrap();
        let err = self
            .repo
            .insert(tx.as_mut(), &org, &member(self.user(0), "owner"))
            .await
            .expect_err("an id is stored once");
        assert!(matches!(err, RepoError::Duplicate { .. }), "{err:?}");
    }

    async fn memberships_list_the_users_organizations_newest_first(&self) {
        let a = self.org(1).await;
        let b = self.org(2).await;
        let c = self.org(1).await;
        self.add(b.id, 1, "member").await;
        let first = self
            .repo
            .memberships(self.user(1), PageRequest::first(2))
            .await
            .unwrap();
        let ids: Vec<OrgId> = first.items.iter().map(|m| m.organization.id).collect();
        assert_eq!(ids, vec![c.id, b.id], "newest first, a page of two");
        assert_eq!(first.items[1].role.as_str(), "member");
        let cursor = first.next_cursor.expect("a next page").encode();
        let rest = self
            .repo
            .memberships(
                self.user(1),
                PageRequest::new(Some(2), Some(&cursor)).unwrap(),
            )
            .await
            .unwrap();
        let rest: Vec<OrgId> = rest.items.iter().map(|m| m.organization.id).collect();
        assert_eq!(rest.first(), Some(&a.id), "then the older ones");
        let theirs = self
            .repo
            .memberships(self.user(2), PageRequest::first(100))
            .await
            .unwrap();
        assert!(
            theirs
                .items
                .iter()
                .all(|m| m.organization.id != a.id && m.organization.id != c.id),
            "nobody sees organizations they do not belong to"
        );
    }

    async fn members_are_added_changed_and_removed_within_their_organization(&self) {
        let org = self.org(0).await;
        let other = self.org(0).await;
        self.add(org.id, 1, "member").await;
        let mut tx = self.uow.begin().await.unwrap();
        let err = self
            .repo
            .add_member(tx.as_mut(), org.id, &member(self.user(1), "admin"))
            .await
            .expect_err("a member is added once");
        assert!(
            matches!(&err, RepoError::Duplicate { constraint } if constraint == "org_members.user_id"),
            "{err:?}"
        );
        drop(tx);
        let mut tx = self.uow.begin().await.unwrap();
        let seen = self
            .repo
            .member(tx.as_mut(), org.id, self.user(1))
            .await
            .unwrap();
        assert_eq!(
            seen.map(|m| m.role.as_str().to_owned()).as_deref(),
            Some("member")
        );
        assert!(
            self.repo
                .member(tx.as_mut(), other.id, self.user(1))
                .await
                .unwrap()
                .is_none(),
            "a membership is of one organization"
        );
        assert_eq!(
            self.repo.owners(tx.as_mut(), org.id).await.unwrap(),
            vec![self.user(0)]
        );
        assert_eq!(
            self.repo.member_count(tx.as_mut(), org.id).await.unwrap(),
            2
        );
        let mut ids = self.repo.member_ids(tx.as_mut(), org.id).await.unwrap();
        ids.sort();
        let mut expected = vec![self.user(0), self.user(1)];
        expected.sort();
        assert_eq!(ids, expected, "every member of this organization, no other");
        assert_eq!(
            self.repo.member_ids(tx.as_mut(), other.id).await.unwrap(),
            vec![self.user(0)]
        );
        assert_eq!(
            self.repo.member_count(tx.as_mut(), other.id).await.unwrap(),
            1
        );
        let of_bob = self
            .repo
            .memberships_of(tx.as_mut(), self.user(1))
            .await
            .unwrap();
        assert!(
            of_bob.contains(&(org.id, role("member")))
                && !of_bob.iter().any(|(o, _)| *o == other.id),
            "every organization of the user, with its role, and no other: {of_bob:?}"
        );
        assert_eq!(
            self.repo
                .holders(tx.as_mut(), org.id, &role("member"))
                .await
                .unwrap(),
            1
        );
        // Through the wrong organization: not found, nothing changed.
        let err = self
            .repo
            .set_role(tx.as_mut(), other.id, self.user(1), &role("admin"))
            .await
            .expect_err("not a member there");
        assert!(matches!(err, RepoError::NotFound), "{err:?}");
        let err = self
            .repo
            .remove_member(tx.as_mut(), other.id, self.user(1))
            .await
            .expect_err("not a member there");
        assert!(matches!(err, RepoError::NotFound), "{err:?}");
        self.repo
            .set_role(tx.as_mut(), org.id, self.user(1), &role("owner"))
            .await
            .expect("set_role");
        let mut owners = self.repo.owners(tx.as_mut(), org.id).await.unwrap();
        owners.sort();
        let mut expected = vec![self.user(0), self.user(1)];
        expected.sort();
        assert_eq!(owners, expected, "read inside the transaction");
        tx.commit().await.unwrap();
        assert_eq!(self.role_of(org.id, 1).await.as_deref(), Some("owner"));
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .remove_member(tx.as_mut(), org.id, self.user(1))
            .await
            .expect("remove_member");
        tx.commit().await.unwrap();
        assert_eq!(self.role_of(org.id, 1).await, None, "removed");
        assert_eq!(self.role_of(org.id, 0).await.as_deref(), Some("owner"));
    }

    async fn member_listing_shows_only_the_organizations_members(&self) {
        let org = self.org(0).await;
        let other = self.org(2).await;
        self.add(org.id, 1, "member").await;
        self.add(other.id, 1, "admin").await;
        let page = self
            .repo
            .members(org.id, PageRequest::first(1))
            .await
            .unwrap();
        let mut seen: Vec<(UserId, String)> = page
            .items
            .iter()
            .map(|m| (m.member.user_id, m.member.role.as_str().to_owned()))
            .collect();
        let cursor = page
            .next_cursor
            .expect("two members, pages of one")
            .encode();
        let rest = self
            .repo
            .members(org.id, PageRequest::new(Some(1), Some(&cursor)).unwrap())
            .await
            .unwrap();
        assert!(rest.next_cursor.is_none(), "two members in all");
        seen.extend(
            rest.items
                .iter()
                .map(|m| (m.member.user_id, m.member.role.as_str().to_owned())),
        );
        let mut expected = vec![
            (self.user(0), "owner".to_owned()),
            (self.user(1), "member".to_owned()),
        ];
        expected.sort();
        assert_eq!(seen, expected, "by user id, this organization's roles only");
        let ada = rest
            .items
            .iter()
            .chain(page.items.iter())
            .find(|m| m.member.user_id == self.user(1))
            .unwrap();
        assert_eq!(
            (&ada.email, &ada.name),
            (&self.users[1].1, &self.users[1].2),
            "with the account's address and name"
        );
    }

    async fn custom_roles_belong_to_one_organization(&self) {
        let org = self.org(0).await;
        let other = self.org(0).await;
        let bookkeeper =
            OrgRole::custom("bookkeeper", &["org_billing:read", "members:read"]).unwrap();
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .insert_role(tx.as_mut(), org.id, &bookkeeper)
            .await
            .expect("insert_role");
        tx.commit().await.unwrap();
        // A failed statement ends a PostgreSQL transaction: the duplicate gets one of its own.
        let mut tx = self.uow.begin().await.unwrap();
        let err = self
            .repo
            .insert_role(tx.as_mut(), org.id, &bookkeeper)
            .await
            .expect_err("a name once per organization");
        assert!(
            matches!(&err, RepoError::Duplicate { constraint } if constraint == "org_roles.name"),
            "{err:?}"
        );
        drop(tx);
        let mut tx = self.uow.begin().await.unwrap();
        let narrow = OrgRole::custom("bookkeeper", &[]).unwrap();
        self.repo
            .insert_role(tx.as_mut(), other.id, &narrow)
            .await
            .expect("the same name in another organization");
        assert_eq!(
            self.repo
                .custom_role(tx.as_mut(), org.id, &bookkeeper.name)
                .await
                .unwrap(),
            Some(bookkeeper.clone()),
            "read back whole"
        );
        let err = self
            .repo
            .delete_role(tx.as_mut(), OrgId::new(), &bookkeeper.name)
            .await
            .expect_err("not through another organization");
        assert!(matches!(err, RepoError::NotFound), "{err:?}");
        tx.commit().await.unwrap();
        assert_eq!(
            self.repo.custom_roles(org.id).await.unwrap(),
            vec![bookkeeper.clone()]
        );
        assert_eq!(
            self.repo.custom_roles(other.id).await.unwrap(),
            vec![narrow]
        );
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .delete_role(tx.as_mut(), other.id, &bookkeeper.name)
            .await
            .expect("delete_role");
        tx.commit().await.unwrap();
        assert!(self.repo.custom_roles(other.id).await.unwrap().is_empty());
        assert_eq!(
            self.repo.custom_roles(org.id).await.unwrap(),
            vec![bookkeeper],
            "the other organization's role of that name stays"
        );
    }

    async fn rename_and_delete_name_an_existing_organization(&self) {
        let org = self.org(0).await;
        let renamed = OrgName::parse("Renamed Org").unwrap();
        let later = now() + chrono::Duration::seconds(5);
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .rename(tx.as_mut(), org.id, &renamed, later)
            .await
            .expect("rename");
        let err = self
            .repo
            .rename(tx.as_mut(), OrgId::new(), &renamed, later)
            .await
            .expect_err("unknown id");
        assert!(matches!(err, RepoError::NotFound), "{err:?}");
        let err = self
            .repo
            .delete(tx.as_mut(), OrgId::new())
            .await
            .expect_err("unknown id");
        assert!(matches!(err, RepoError::NotFound), "{err:?}");
        tx.commit().await.unwrap();
        let seen = self
            .repo
            .membership(org.id, self.user(0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            (seen.organization.name, seen.organization.updated_at),
            (renamed, later)
        );
    }

    async fn delete_takes_members_and_roles_with_it(&self) {
        let org = self.org(0).await;
        let kept = self.org(0).await;
        self.add(org.id, 1, "member").await;
        let mut tx = self.uow.begin().await.unwrap();
        let auditor = OrgRole::custom("auditor", &["org_audit:read"]).unwrap();
        self.repo
            .insert_role(tx.as_mut(), org.id, &auditor)
            .await
            .unwrap();
        self.repo.delete(tx.as_mut(), org.id).await.expect("delete");
        tx.commit().await.unwrap();
        assert!(
            self.repo
                .membership(org.id, self.user(0))
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            self.repo
                .members(org.id, PageRequest::first(10))
                .await
                .unwrap()
                .items
                .is_empty()
        );
        assert!(self.repo.custom_roles(org.id).await.unwrap().is_empty());
        assert!(
            self.repo
                .membership(kept.id, self.user(0))
                .await
                .unwrap()
                .is_some(),
            "only that organization"
        );
    }

    async fn a_dropped_transaction_stores_nothing(&self) {
        let org = self.org(0).await;
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .add_member(tx.as_mut(), org.id, &member(self.user(2), "admin"))
            .await
            .unwrap();
        self.repo
            .rename(
                tx.as_mut(),
                org.id,
                &OrgName::parse("Never").unwrap(),
                now(),
            )
            .await
            .unwrap();
        drop(tx);
        assert_eq!(self.role_of(org.id, 2).await, None);
        let seen = self
            .repo
            .membership(org.id, self.user(0))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(seen.organization.name, org.name);
    }

    async fn lock_holds_off_other_writers_of_the_organization(&self) {
        let org = self.org(0).await;
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .lock(tx.as_mut(), org.id)
            .await
            .unwrap()
            .expect("exists");
        assert!(
            self.repo
                .lock(tx.as_mut(), OrgId::new())
                .await
                .unwrap()
                .is_none()
        );
        let promoting = {
            let (repo, uow, user) = (Arc::clone(&self.repo), Arc::clone(&self.uow), self.user(1));
            tokio::spawn(async move {
                let mut tx = uow.begin().await.expect("begin");
                repo.lock(tx.as_mut(), org.id).await.expect("lock");
                // Whoever locks second sees the first one's member.
                let seen = repo
                    .member(tx.as_mut(), org.id, user)
                    .await
                    .expect("member");
                assert!(
                    seen.is_some(),
                    "the second locker reads the first one's change"
                );
                repo.set_role(tx.as_mut(), org.id, user, &role("admin"))
                    .await
                    .expect("set_role");
                tx.commit().await.expect("commit");
            })
        };
        // Room for the other writer to run, were it not held off.
        tokio::time::sleep(Duration::from_millis(100)).await;
        self.repo
            .add_member(tx.as_mut(), org.id, &member(self.user(1), "member"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        promoting
            .await
            .expect("the other writer finishes after the lock is released");
        assert_eq!(self.role_of(org.id, 1).await.as_deref(), Some("admin"));
    }

    /// A pending invitation of `org` to `address`, sent `now`, with token `token`.
    async fn invite(&self, org: OrgId, address: &str, token: &str) -> Invitation {
        let at = now();
        let invitation = Invitation {
            id: InvitationId::new(),
            org_id: org,
            email: Email::parse(address).unwrap(),
            role: role("member"),
            invited_by: self.user(0),
            sent_at: at,
            expires_at: at + chrono::Duration::days(7),
            accepted_at: None,
            revoked_at: None,
        };
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .insert_invitation(tx.as_mut(), &invitation, &InvitationTokenHash::of(token))
            .await
            .expect("insert_invitation");
        tx.commit().await.unwrap();
        invitation
    }

    async fn invitations_are_found_by_token_and_change_state_once(&self) {
        let org = self.org(0).await;
        let token = format!("token-{}", uuid::Uuid::now_v7());
        let invitation = self.invite(org.id, "guest@example.com", &token).await;
        let mut tx = self.uow.begin().await.unwrap();
        let found = self
            .repo
            .invitation_by_token(tx.as_mut(), &InvitationTokenHash::of(&token))
            .await
            .unwrap();
        assert_eq!(
            found.as_ref(),
            Some(&invitation),
            "read back whole by its token"
        );
        assert_eq!(
            self.repo
                .pending_to(tx.as_mut(), org.id, &invitation.email, now())
                .await
                .unwrap(),
            vec![invitation.clone()]
        );
        assert_eq!(
            self.repo
                .invitations_sent_since(tx.as_mut(), org.id, invitation.sent_at)
                .await
                .unwrap(),
            1
        );
        // Renewed: the old token finds nothing, the new one finds it with its new dates.
        let renewed_token = format!("renewed-{}", uuid::Uuid::now_v7());
        let later = invitation.sent_at + chrono::Duration::minutes(5);
        let expires = later + chrono::Duration::days(7);
        assert!(
            self.repo
                .renew_invitation(
                    tx.as_mut(),
                    org.id,
                    invitation.id,
                    &InvitationTokenHash::of(&renewed_token),
                    later,
                    expires,
                )
                .await
                .unwrap()
        );
        assert!(
            self.repo
                .invitation_by_token(tx.as_mut(), &InvitationTokenHash::of(&token))
                .await
                .unwrap()
                .is_none()
        );
        let renewed = self
            .repo
            .invitation_by_token(tx.as_mut(), &InvitationTokenHash::of(&renewed_token))
            .await
            .unwrap()
            .expect("found by the new token");
        assert_eq!((renewed.sent_at, renewed.expires_at), (later, expires));
        // Not accepted once expired; accepted once; then neither again, nor revoked.
        assert!(
            !self
                .repo
                .accept_invitation(tx.as_mut(), invitation.id, expires)
                .await
                .unwrap()
        );
        assert!(
            self.repo
                .accept_invitation(tx.as_mut(), invitation.id, later)
                .await
                .unwrap()
        );
        assert!(
            !self
                .repo
                .accept_invitation(tx.as_mut(), invitation.id, later)
                .await
                .unwrap()
        );
        assert!(
            !self
                .repo
                .revoke_invitation(tx.as_mut(), org.id, invitation.id, later)
                .await
                .unwrap()
        );
        assert!(
            self.repo
                .pending_to(tx.as_mut(), org.id, &invitation.email, later)
                .await
                .unwrap()
                .is_empty(),
            "accepted is not pending"
        );
        tx.commit().await.unwrap();
        let revocable = self
            .invite(
                org.id,
                "second@example.com",
                &format!("t-{}", uuid::Uuid::now_v7()),
            )
            .await;
        let mut tx = self.uow.begin().await.unwrap();
        assert!(
            self.repo
                .revoke_invitation(tx.as_mut(), org.id, revocable.id, now())
                .await
                .unwrap()
        );
        assert!(
            !self
                .repo
                .accept_invitation(tx.as_mut(), revocable.id, now())
                .await
                .unwrap()
        );
        tx.commit().await.unwrap();
        let page = self
            .repo
            .pending_invitations(org.id, now(), PageRequest::first(10))
            .await
            .unwrap();
        assert!(
            page.items.is_empty(),
            "neither accepted nor revoked ones are pending"
        );
    }

    async fn invitations_stay_within_their_organization(&self) {
        let org = self.org(0).await;
        let other = self.org(2).await;
        let first = self
            .invite(
                org.id,
                "one@example.com",
                &format!("a-{}", uuid::Uuid::now_v7()),
            )
            .await;
        let second = self
            .invite(
                org.id,
                "two@example.com",
                &format!("b-{}", uuid::Uuid::now_v7()),
            )
            .await;
        let theirs = self
            .invite(
                other.id,
                "one@example.com",
                &format!("c-{}", uuid::Uuid::now_v7()),
            )
            .await;
        let page = self
            .repo
            .pending_invitations(org.id, now(), PageRequest::first(1))
            .await
            .unwrap();
        assert_eq!(page.items, vec![second.clone()], "newest first");
        let cursor = page.next_cursor.expect("a second page").encode();
        let rest = self
            .repo
            .pending_invitations(
                org.id,
                now(),
                PageRequest::new(Some(1), Some(&cursor)).unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(rest.items, vec![first.clone()]);
        assert!(
            rest.next_cursor.is_none(),
            "the other organization's is not listed"
        );
        let mut tx = self.uow.begin().await.unwrap();
        assert!(
            self.repo
                .invitation(tx.as_mut(), other.id, first.id)
                .await
                .unwrap()
                .is_none()
        );
        assert!(
            !self
                .repo
                .revoke_invitation(tx.as_mut(), other.id, first.id, now())
                .await
                .unwrap(),
            "not through another organization"
        );
        assert!(
            !self
                .repo
                .renew_invitation(
                    tx.as_mut(),
                    other.id,
                    first.id,
                    &InvitationTokenHash::of("x"),
                    now(),
                    now()
                )
                .await
                .unwrap()
        );
        assert_eq!(
            self.repo
                .pending_to(tx.as_mut(), org.id, &first.email, now())
                .await
                .unwrap(),
            vec![first.clone()],
            "one address, one organization's"
        );
        assert_eq!(
            self.repo
                .invitation_to(tx.as_mut(), first.id, &first.email)
                .await
                .unwrap(),
            Some(first.clone()),
            "the invitee finds it by its id and their address"
        );
        assert!(
            self.repo
                .invitation_to(tx.as_mut(), first.id, &second.email)
                .await
                .unwrap()
                .is_none(),
            "never by another address"
        );
        tx.commit().await.unwrap();
        let offers = self.repo.pending_for(&first.email, now()).await.unwrap();
        let ids: Vec<(OrgId, &str)> = offers
            .iter()
            .map(|(i, name)| (i.org_id, name.as_str()))
            .collect();
        assert_eq!(
            ids,
            vec![(other.id, "Contract Org"), (org.id, "Contract Org")],
            "every organization's pending invitation to the address, newest first, with names"
        );
        let mut tx = self.uow.begin().await.unwrap();
        self.repo.delete(tx.as_mut(), other.id).await.unwrap();
        assert!(
            self.repo
                .invitation(tx.as_mut(), other.id, theirs.id)
                .await
                .unwrap()
                .is_none()
        );
        tx.commit().await.unwrap();
        let mut tx = self.uow.begin().await.unwrap();
        assert_eq!(
            self.repo
                .invitation(tx.as_mut(), org.id, first.id)
                .await
                .unwrap(),
            Some(first),
            "unchanged by it all"
        );
    }

    async fn administrators_search_inspect_and_suspend(&self) {
        let tag = uuid::Uuid::now_v7().simple().to_string();
        let mut tx = self.uow.begin().await.unwrap();
        let at = now();
        let named = Organization {
            id: OrgId::new(),
            name: OrgName::parse(&format!("Needle {tag} Dental")).unwrap(),
            created_by: self.user(0),
            created_at: at,
            updated_at: at,
            suspended_at: None,
        };
        self.repo
            .insert(tx.as_mut(), &named, &member(self.user(0), "owner"))
            .await
            .unwrap();
        tx.commit().await.unwrap();
        self.add(named.id, 1, "member").await;
        let _other = self.org(2).await;
        let found = self
            .repo
            .search(
                Some(&format!("needle {}", &tag.to_uppercase())),
                PageRequest::first(10),
            )
            .await
            .unwrap();
        assert_eq!(found.items.len(), 1, "case-insensitive, only the match");
        assert_eq!(found.items[0].organization, named);
        assert_eq!(found.items[0].members, 2);
        let wild = self
            .repo
            .search(Some("%"), PageRequest::first(10))
            .await
            .unwrap();
        assert!(wild.items.is_empty(), "`%` is a character, not a wildcard");
        let all = self.repo.search(None, PageRequest::first(1)).await.unwrap();
        assert_eq!(all.items.len(), 1);
        assert!(
            all.next_cursor.is_some(),
            "pages through every organization"
        );

        let since = now();
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .set_suspended(tx.as_mut(), named.id, Some(since))
            .await
            .unwrap();
        let err = self
            .repo
            .set_suspended(tx.as_mut(), OrgId::new(), None)
            .await
            .expect_err("unknown id");
        assert!(matches!(err, RepoError::NotFound), "{err:?}");
        tx.commit().await.unwrap();
        let seen = self.repo.overview(named.id).await.unwrap().unwrap();
        assert_eq!(seen.organization.suspended_at, Some(since));
        assert!(self.repo.overview(OrgId::new()).await.unwrap().is_none());
        let mut tx = self.uow.begin().await.unwrap();
        self.repo
            .set_suspended(tx.as_mut(), named.id, None)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let seen = self.repo.overview(named.id).await.unwrap().unwrap();
        assert_eq!(seen.organization.suspended_at, None);
    }
}
