#![allow(clippy::unwrap_used, clippy::panic)]

mod invitations;

use std::sync::Arc;

use plinth_audit::testing::{FailingAuditLog, MemoryAuditLog};
use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork, fixed_now};
use plinth_kernel::{Caller, Email, PageRequest, RequestMeta, UserId};

use super::{InvitationPolicy, OrgPorts, OrganizationService};
use crate::testing::{
    MemoryInvitationMailer, MemoryOrgStorage, MemoryTokenRevoker, MemoryVerifiedEmails,
};
use crate::{OrgError, OrgId, OrgPermission};

struct Harness {
    service: OrganizationService,
    storage: MemoryOrgStorage,
    audit: Arc<MemoryAuditLog>,
    mailer: MemoryInvitationMailer,
    emails: MemoryVerifiedEmails,
    revoker: MemoryTokenRevoker,
    clock: ManualClock,
    uow: Arc<MemoryUnitOfWork>,
}

fn harness_with(audit: Arc<dyn AuditLog>, memory: Arc<MemoryAuditLog>) -> Harness {
    let storage = MemoryOrgStorage::new();
    let (mailer, emails) = (MemoryInvitationMailer::new(), MemoryVerifiedEmails::new());
    let clock = ManualClock::new(fixed_now());
    let revoker = MemoryTokenRevoker::new();
    let uow = Arc::new(MemoryUnitOfWork::new());
    let service = OrganizationService::new(
        OrgPorts {
            orgs: Arc::new(storage.clone()),
            audit,
            uow: uow.clone(),
            clock: Arc::new(clock.clone()),
            mailer: Arc::new(mailer.clone()),
            emails: Arc::new(emails.clone()),
            revoker: Arc::new(revoker.clone()),
        },
        InvitationPolicy::new("https://app.example.com/"),
    );
    Harness {
        service,
        storage,
        audit: memory,
        mailer,
        emails,
        revoker,
        clock,
        uow,
    }
}

fn harness() -> Harness {
    let audit = Arc::new(MemoryAuditLog::new());
    harness_with(audit.clone(), audit)
}

/// A signed-in user with no global permission: organization rights come from membership.
fn user() -> Caller {
    Caller::new(UserId::new(), Vec::new())
}

fn meta() -> RequestMeta {
    RequestMeta::default()
}

impl Harness {
    /// An organization owned by `owner`, with `others` as members holding the given roles.
    async fn org(&self, owner: &Caller, others: &[(&Caller, &str)]) -> OrgId {
        let id = self
            .service
            .create(owner, "Acme Clinic", &meta())
            .await
            .unwrap()
            .organization
            .id;
        for (who, role) in others {
            let mut tx = plinth_kernel::UnitOfWork::begin(&MemoryUnitOfWork::new())
                .await
                .unwrap();
            crate::MemberRepository::add_member(
                &self.storage,
                tx.as_mut(),
                id,
                &crate::Member {
                    user_id: who.user_id,
                    role: crate::OrgRoleName::parse(role).unwrap(),
                    joined_at: fixed_now(),
                },
            )
            .await
            .unwrap();
            tx.commit().await.unwrap();
        }
        id
    }

    async fn role(&self, id: OrgId, who: &Caller) -> Option<String> {
        self.service
            .get(who, id)
            .await
            .ok()
            .map(|m| m.role.as_str().to_owned())
    }

    async fn actions(&self) -> Vec<AuditAction> {
        let mut actions: Vec<AuditAction> = self
            .audit
            .list(&AuditFilter::default(), PageRequest::first(100))
            .await
            .unwrap()
            .items
            .into_iter()
            .map(|e| e.action)
            .collect();
        actions.reverse();
        actions
    }
}

#[tokio::test]
async fn the_creator_owns_the_organization_and_outsiders_see_nothing() {
    let h = harness();
    let (ada, eve) = (user(), user());
    let created = h
        .service
        .create(&ada, "  Acme Clinic ", &meta())
        .await
        .unwrap();
    assert_eq!(created.organization.name.as_str(), "Acme Clinic");
    assert_eq!(created.role.as_str(), "owner");
    assert_eq!(created.organization.created_at, fixed_now());
    let id = created.organization.id;
    assert_eq!(h.role(id, &ada).await.as_deref(), Some("owner"));
    assert!(matches!(
        h.service.get(&eve, id).await,
        Err(OrgError::NotFound)
    ));
    assert!(matches!(
        h.service.rename(&eve, id, "Mine now", &meta()).await,
        Err(OrgError::NotFound)
    ));
    assert!(matches!(
        h.service.members(&eve, id, PageRequest::first(10)).await,
        Err(OrgError::NotFound)
    ));
    assert!(matches!(
        delete(&h, &eve, id).await,
        Err(OrgError::NotFound)
    ));
    let mine = h.service.mine(&ada, PageRequest::first(10)).await.unwrap();
    assert_eq!(mine.items.len(), 1);
    assert!(
        h.service
            .mine(&eve, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let entry = &h
        .audit
        .list(&AuditFilter::default(), PageRequest::first(1))
        .await
        .unwrap()
        .items[0];
    assert_eq!(entry.action, AuditAction::OrgCreated);
    assert_eq!(entry.actor_id, Some(ada.user_id.as_uuid()));
    assert_eq!(entry.details["org_id"], id.to_string());
}

#[tokio::test]
async fn a_bad_name_stores_nothing() {
    let h = harness();
    let ada = user();
    assert!(matches!(
        h.service.create(&ada, "   ", &meta()).await,
        Err(OrgError::Invalid { .. })
    ));
    assert!(
        h.service
            .mine(&ada, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    assert!(h.actions().await.is_empty());
}

#[tokio::test]
async fn renaming_needs_org_write_and_deleting_needs_an_owner() {
    let h = harness();
    let (ada, bob, cy) = (user(), user(), user());
    let id = h.org(&ada, &[(&bob, "admin"), (&cy, "member")]).await;
    match h.service.rename(&cy, id, "Cy's", &meta()).await {
        Err(OrgError::Forbidden(message)) => assert!(message.contains("org:write"), "{message}"),
        other => panic!("a member cannot rename: {other:?}"),
    }
    let renamed = h
        .service
        .rename(&bob, id, "Acme Health", &meta())
        .await
        .unwrap();
    assert_eq!(renamed.organization.name.as_str(), "Acme Health");
    assert_eq!(
        h.service
            .get(&cy, id)
            .await
            .unwrap()
            .organization
            .name
            .as_str(),
        "Acme Health"
    );
    assert!(matches!(
        delete(&h, &bob, id).await,
        Err(OrgError::Forbidden(_))
    ));
    delete(&h, &ada, id).await.unwrap();
    for who in [&ada, &bob, &cy] {
        assert!(matches!(
            h.service.get(who, id).await,
            Err(OrgError::NotFound)
        ));
    }
    assert_eq!(
        h.actions().await,
        [
            AuditAction::OrgCreated,
            AuditAction::OrgRenamed,
            AuditAction::OrgDeleted
        ]
    );
}

#[tokio::test]
async fn roles_change_only_downwards_and_never_ones_own() {
    let h = harness();
    let (ada, bob, cy, dee) = (user(), user(), user(), user());
    let id = h
        .org(&ada, &[(&bob, "admin"), (&cy, "member"), (&dee, "admin")])
        .await;
    // An admin promotes a member to admin? Not their own rank.
    assert!(matches!(
        h.service
            .change_role(&bob, id, cy.user_id, "admin", &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    // Nor acts on another admin.
    assert!(matches!(
        h.service
            .change_role(&bob, id, dee.user_id, "member", &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    // Nor on themselves.
    assert!(matches!(
        h.service
            .change_role(&bob, id, bob.user_id, "owner", &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    // A member cannot change anyone.
    assert!(matches!(
        h.service
            .change_role(&cy, id, dee.user_id, "member", &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    // An unknown role is bad input; a non-member target is not found.
    assert!(matches!(
        h.service
            .change_role(&ada, id, cy.user_id, "wizard", &meta())
            .await,
        Err(OrgError::Invalid { .. })
    ));
    assert!(matches!(
        h.service
            .change_role(&ada, id, UserId::new(), "member", &meta())
            .await,
        Err(OrgError::NotFound)
    ));
    // The owner may.
    let changed = h
        .service
        .change_role(&ada, id, cy.user_id, "admin", &meta())
        .await
        .unwrap();
    assert_eq!(changed.role.as_str(), "admin");
    assert_eq!(h.role(id, &cy).await.as_deref(), Some("admin"));
    assert_eq!(
        h.actions().await.last(),
        Some(&AuditAction::OrgMemberRoleChanged)
    );
}

#[tokio::test]
async fn the_last_owner_stays_until_ownership_is_handed_on() {
    let h = harness();
    let (ada, bob) = (user(), user());
    let id = h.org(&ada, &[(&bob, "admin")]).await;
    assert!(matches!(
        h.service
            .remove_member(&ada, id, ada.user_id, &meta())
            .await,
        Err(OrgError::LastOwner)
    ));
    assert!(matches!(
        h.service
            .transfer_ownership(&bob, id, bob.user_id, &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service
            .transfer_ownership(&ada, id, UserId::new(), &meta())
            .await,
        Err(OrgError::NotFound)
    ));
    h.service
        .transfer_ownership(&ada, id, bob.user_id, &meta())
        .await
        .unwrap();
    assert_eq!(h.role(id, &bob).await.as_deref(), Some("owner"));
    assert_eq!(h.role(id, &ada).await.as_deref(), Some("admin"));
    // Now Ada may leave.
    h.service
        .remove_member(&ada, id, ada.user_id, &meta())
        .await
        .unwrap();
    assert_eq!(h.role(id, &ada).await, None);
    let entry = &h
        .audit
        .list(&AuditFilter::default(), PageRequest::first(1))
        .await
        .unwrap()
        .items[0];
    assert_eq!(entry.action, AuditAction::OrgMemberRemoved);
    assert_eq!(entry.details["left"], true);
}

#[tokio::test]
async fn two_owners_demoting_each_other_at_once_leave_one_owner() {
    let h = harness();
    let (ada, bob) = (user(), user());
    let id = h.org(&ada, &[(&bob, "owner")]).await;
    let m = meta();
    let (a, b) = tokio::join!(
        h.service.change_role(&ada, id, bob.user_id, "admin", &m),
        h.service.change_role(&bob, id, ada.user_id, "admin", &m),
    );
    assert!(
        a.is_ok() != b.is_ok(),
        "exactly one demotion goes through: {a:?} {b:?}"
    );
    let owners = [h.role(id, &ada).await, h.role(id, &bob).await]
        .into_iter()
        .filter(|r| r.as_deref() == Some("owner"))
        .count();
    assert_eq!(owners, 1);
}

#[tokio::test]
async fn admins_remove_lower_ranks_and_members_remove_nobody() {
    let h = harness();
    let (ada, bob, cy) = (user(), user(), user());
    let id = h.org(&ada, &[(&bob, "admin"), (&cy, "member")]).await;
    assert!(matches!(
        h.service.remove_member(&cy, id, bob.user_id, &meta()).await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service
            .remove_member(&bob, id, ada.user_id, &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    h.service
        .remove_member(&bob, id, cy.user_id, &meta())
        .await
        .unwrap();
    assert_eq!(h.role(id, &cy).await, None);
    // The removed member's next request finds nothing.
    assert!(matches!(
        h.service.rename(&cy, id, "Revenge", &meta()).await,
        Err(OrgError::NotFound)
    ));
}

#[tokio::test]
async fn custom_roles_grant_only_what_their_creator_holds_and_go_only_when_unused() {
    let h = harness();
    let (ada, bob, cy) = (user(), user(), user());
    let id = h.org(&ada, &[(&bob, "admin"), (&cy, "member")]).await;
    assert!(matches!(
        h.service
            .create_role(
                &cy,
                id,
                "bookkeeper",
                &[OrgPermission::BILLING_READ],
                &meta()
            )
            .await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service
            .create_role(&bob, id, "spy", &["users:write"], &meta())
            .await,
        Err(OrgError::Invalid { .. })
    ));
    let role = h
        .service
        .create_role(
            &bob,
            id,
            "bookkeeper",
            &[OrgPermission::BILLING_READ],
            &meta(),
        )
        .await
        .unwrap();
    assert_eq!(role.name.as_str(), "bookkeeper");
    assert!(matches!(
        h.service
            .create_role(&bob, id, "bookkeeper", &[], &meta())
            .await,
        Err(OrgError::Conflict(_))
    ));
    let names: Vec<String> = h
        .service
        .roles(&cy, id)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.name.as_str().to_owned())
        .collect();
    assert_eq!(names, ["owner", "admin", "member", "bookkeeper"]);
    h.service
        .change_role(&bob, id, cy.user_id, "bookkeeper", &meta())
        .await
        .unwrap();
    // Cy, now a bookkeeper, cannot read the members any more.
    assert!(matches!(
        h.service.members(&cy, id, PageRequest::first(10)).await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service.delete_role(&bob, id, "bookkeeper", &meta()).await,
        Err(OrgError::Conflict(_))
    ));
    h.service
        .change_role(&bob, id, cy.user_id, "member", &meta())
        .await
        .unwrap();
    h.service
        .delete_role(&bob, id, "bookkeeper", &meta())
        .await
        .unwrap();
    assert!(matches!(
        h.service.delete_role(&bob, id, "bookkeeper", &meta()).await,
        Err(OrgError::NotFound)
    ));
}

#[tokio::test]
async fn members_list_shows_addresses_to_those_who_may_read_them() {
    let h = harness();
    let (ada, bob) = (user(), user());
    h.storage
        .know_user(ada.user_id, Email::parse("ada@example.com").unwrap(), "Ada");
    h.storage
        .know_user(bob.user_id, Email::parse("bob@example.com").unwrap(), "Bob");
    let id = h.org(&ada, &[(&bob, "member")]).await;
    let page = h
        .service
        .members(&bob, id, PageRequest::first(10))
        .await
        .unwrap();
    let mut emails: Vec<&str> = page.items.iter().map(|m| m.email.as_str()).collect();
    emails.sort_unstable();
    assert_eq!(emails, ["ada@example.com", "bob@example.com"]);
}

#[tokio::test]
async fn a_change_whose_audit_entry_fails_is_not_stored() {
    let h = harness_with(Arc::new(FailingAuditLog), Arc::new(MemoryAuditLog::new()));
    let ada = user();
    assert!(matches!(
        h.service.create(&ada, "Acme", &meta()).await,
        Err(OrgError::Repo(_))
    ));
    assert!(
        h.service
            .mine(&ada, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
}

#[tokio::test]
async fn a_suspended_organization_can_only_be_seen_and_left() {
    let h = harness();
    let (ada, bob) = (user(), user());
    let id = h.org(&ada, &[(&bob, "member")]).await;
    let admin = Caller::new(
        UserId::new(),
        vec![
            plinth_kernel::Permission::ORGS_READ.to_owned(),
            plinth_kernel::Permission::ORGS_WRITE.to_owned(),
        ],
    );
    assert!(matches!(
        h.service.admin_set_suspended(&ada, id, true, &meta()).await,
        Err(OrgError::Forbidden(_))
    ));
    let suspended = h
        .service
        .admin_set_suspended(&admin, id, true, &meta())
        .await
        .unwrap();
    assert_eq!(suspended.organization.suspended_at, Some(fixed_now()));
    assert_eq!(suspended.members, 2);
    // Suspending again changes and audits nothing.
    h.service
        .admin_set_suspended(&admin, id, true, &meta())
        .await
        .unwrap();
    assert_eq!(
        h.actions()
            .await
            .iter()
            .filter(|a| **a == AuditAction::OrgSuspended)
            .count(),
        1
    );
    assert!(
        h.service
            .get(&ada, id)
            .await
            .unwrap()
            .organization
            .suspended_at
            .is_some()
    );
    assert!(matches!(
        h.service.rename(&ada, id, "Still mine", &meta()).await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service.members(&ada, id, PageRequest::first(10)).await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service
            .invite(&ada, id, "x@example.com", "member", &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    h.service
        .remove_member(&bob, id, bob.user_id, &meta())
        .await
        .unwrap();
    h.service
        .admin_set_suspended(&admin, id, false, &meta())
        .await
        .unwrap();
    h.service.rename(&ada, id, "Back", &meta()).await.unwrap();
    let found = h
        .service
        .admin_search(&admin, Some("bac"), PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(found.items.len(), 1);
    assert!(matches!(
        h.service
            .admin_search(&ada, None, PageRequest::first(10))
            .await,
        Err(OrgError::Forbidden(_))
    ));
}

#[tokio::test]
async fn every_change_to_a_membership_ends_the_tokens_acting_for_the_organization() {
    let h = harness();
    let (ada, bob, cy) = (user(), user(), user());
    let id = h.org(&ada, &[(&bob, "member"), (&cy, "member")]).await;
    let other = h.org(&cy, &[]).await;
    let now = fixed_now();
    let revoked_since = |from: usize| -> Vec<(OrgId, UserId)> {
        h.revoker.revoked()[from..]
            .iter()
            .map(|(org, user, at)| {
                assert_eq!(*at, now, "revoked at the change's time");
                (*org, *user)
            })
            .collect()
    };
    assert!(h.revoker.revoked().is_empty(), "creating ends nothing");

    h.service
        .change_role(&ada, id, bob.user_id, "admin", &meta())
        .await
        .unwrap();
    assert_eq!(revoked_since(0), vec![(id, bob.user_id)], "a role change");

    h.service
        .remove_member(&bob, id, cy.user_id, &meta())
        .await
        .unwrap();
    assert_eq!(revoked_since(1), vec![(id, cy.user_id)], "a removal");

    assert!(matches!(
        h.service
            .remove_member(&ada, id, ada.user_id, &meta())
            .await,
        Err(OrgError::LastOwner)
    ));
    assert_eq!(
        h.revoker.revoked().len(),
        2,
        "a refused change ends nothing"
    );

    h.service
        .transfer_ownership(&ada, id, bob.user_id, &meta())
        .await
        .unwrap();
    let mut both = revoked_since(2);
    both.sort();
    let mut expected = vec![(id, ada.user_id), (id, bob.user_id)];
    expected.sort();
    assert_eq!(both, expected, "a transfer changes two roles");

    h.service
        .remove_member(&ada, id, ada.user_id, &meta())
        .await
        .unwrap();
    assert_eq!(revoked_since(4), vec![(id, ada.user_id)], "leaving");

    let admin = Caller::new(
        UserId::new(),
        vec![plinth_kernel::Permission::ORGS_WRITE.to_owned()],
    );
    h.service
        .admin_set_suspended(&admin, other, true, &meta())
        .await
        .unwrap();
    assert_eq!(revoked_since(5), vec![(other, cy.user_id)], "a suspension");
    h.service
        .admin_set_suspended(&admin, other, false, &meta())
        .await
        .unwrap();
    assert_eq!(h.revoker.revoked().len(), 6, "reinstating ends nothing");

    delete(&h, &bob, id).await.unwrap();
    assert_eq!(
        revoked_since(6),
        vec![(id, bob.user_id)],
        "a deletion ends every remaining member's"
    );
}

#[tokio::test]
async fn standing_says_what_a_token_acting_for_the_organization_may_carry() {
    let h = harness();
    let (ada, bob, outsider) = (user(), user(), user());
    let id = h.org(&ada, &[(&bob, "member")]).await;
    let (membership, role) = h.service.standing(bob.user_id, id).await.unwrap().unwrap();
    assert_eq!(membership.organization.id, id);
    assert!(role.grants(OrgPermission::FILES_READ) && !role.grants(OrgPermission::ORG_WRITE));
    assert!(
        h.service
            .standing(outsider.user_id, id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        h.service
            .standing(ada.user_id, OrgId::new())
            .await
            .unwrap()
            .is_none()
    );
}

/// Deletes organization `id` as `caller`, in a transaction of its own (the application layer
/// commits it with the organization's files).
async fn delete(h: &Harness, caller: &Caller, id: OrgId) -> Result<(), OrgError> {
    let mut tx = plinth_kernel::UnitOfWork::begin(h.uow.as_ref()).await?;
    h.service.delete(tx.as_mut(), caller, id, &meta()).await?;
    tx.commit().await?;
    Ok(())
}
