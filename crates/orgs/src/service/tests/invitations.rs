//! Invitations: sent, listed, revoked, resent and accepted, with the rules around them.

use plinth_audit::{AuditAction, AuditFilter, AuditLog};
use plinth_kernel::{Caller, Email, PageRequest, UserId};

use super::{Harness, harness, meta, user};
use crate::OrgError;

fn email(s: &str) -> Email {
    Email::parse(s).unwrap()
}

/// The token in the last mailed link.
fn last_token(h: &Harness) -> String {
    let mail = h.mailer.sent().pop().expect("a mail was sent");
    mail.link
        .split_once("token=")
        .map(|(_, t)| t.to_owned())
        .unwrap()
}

/// A signed-in account with `address`, verified or not.
fn account(h: &Harness, address: &str, verified: bool) -> Caller {
    let caller = Caller::new(UserId::new(), Vec::new());
    h.emails.set(caller.user_id, email(address), verified);
    caller
}

#[tokio::test]
async fn an_invited_address_joins_with_the_offered_role_once() {
    let h = harness();
    let ada = user();
    let org = h.org(&ada, &[]).await;
    let sent = h
        .service
        .invite(&ada, org, " Bob@Example.com ", "admin", &meta())
        .await
        .unwrap();
    assert!(sent.mailed);
    assert_eq!(sent.invitation.email.as_str(), "bob@example.com");
    assert_eq!(
        sent.invitation.expires_at,
        h.clock.now() + chrono::Duration::days(7)
    );
    let mail = h.mailer.sent().pop().unwrap();
    assert_eq!(mail.to.as_str(), "bob@example.com");
    assert_eq!(mail.organization, "Acme Clinic");
    assert!(
        mail.link
            .starts_with("https://app.example.com/accept-invitation?token="),
        "{}",
        mail.link
    );
    let token = last_token(&h);

    let bob = account(&h, "bob@example.com", true);
    let joined = h
        .service
        .accept_invitation(&bob, &token, &meta())
        .await
        .unwrap();
    assert_eq!(joined.role.as_str(), "admin");
    assert_eq!(h.role(org, &bob).await.as_deref(), Some("admin"));
    // Spent: a second use (by anyone) is refused, and the list has nothing pending.
    assert!(matches!(
        h.service.accept_invitation(&bob, &token, &meta()).await,
        Err(OrgError::NotFoundBecause(_))
    ));
    assert!(
        h.service
            .invitations(&ada, org, PageRequest::first(10))
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let accepted = h
        .audit
        .list(
            &AuditFilter {
                action: Some(AuditAction::OrgInvitationAccepted),
                ..AuditFilter::default()
            },
            PageRequest::first(10),
        )
        .await
        .unwrap()
        .items;
    assert_eq!(accepted.len(), 1);
    assert_eq!(accepted[0].actor_id, Some(bob.user_id.as_uuid()));
}

use plinth_kernel::Clock as _;

#[tokio::test]
async fn only_the_verified_owner_of_the_address_accepts_before_expiry() {
    let h = harness();
    let ada = user();
    let org = h.org(&ada, &[]).await;
    h.service
        .invite(&ada, org, "bob@example.com", "member", &meta())
        .await
        .unwrap();
    let token = last_token(&h);
    let eve = account(&h, "eve@example.com", true);
    assert!(matches!(
        h.service.accept_invitation(&eve, &token, &meta()).await,
        Err(OrgError::NotFoundBecause(_))
    ));
    let unverified = account(&h, "bob@example.com", false);
    assert!(matches!(
        h.service
            .accept_invitation(&unverified, &token, &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service
            .accept_invitation(&unverified, "forged-token", &meta())
            .await,
        Err(OrgError::NotFoundBecause(_))
    ));
    // A week later the link is dead, even for the right account.
    h.clock.advance(chrono::Duration::days(7));
    let bob = account(&h, "bob@example.com", true);
    assert!(matches!(
        h.service.accept_invitation(&bob, &token, &meta()).await,
        Err(OrgError::NotFoundBecause(_))
    ));
    assert_eq!(h.role(org, &bob).await, None);
    assert_eq!(h.role(org, &eve).await, None);
}

#[tokio::test]
async fn inviting_needs_members_write_and_offers_only_grantable_roles() {
    let h = harness();
    let (ada, bob, cy) = (user(), user(), user());
    let org = h.org(&ada, &[(&bob, "admin"), (&cy, "member")]).await;
    assert!(matches!(
        h.service
            .invite(&cy, org, "x@example.com", "member", &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service
            .invite(&bob, org, "x@example.com", "admin", &meta())
            .await,
        Err(OrgError::Forbidden(_))
    ));
    assert!(matches!(
        h.service
            .invite(&bob, org, "not an address", "member", &meta())
            .await,
        Err(OrgError::Invalid { field: "email", .. })
    ));
    assert!(matches!(
        h.service
            .invite(&bob, org, "x@example.com", "wizard", &meta())
            .await,
        Err(OrgError::Invalid { field: "role", .. })
    ));
    let outsider = user();
    assert!(matches!(
        h.service
            .invite(&outsider, org, "x@example.com", "member", &meta())
            .await,
        Err(OrgError::NotFound)
    ));
    assert!(h.mailer.sent().is_empty(), "nothing was mailed");
    h.service
        .invite(&bob, org, "x@example.com", "member", &meta())
        .await
        .unwrap();
    assert!(matches!(
        h.service
            .invite(&ada, org, "X@example.com", "admin", &meta())
            .await,
        Err(OrgError::Conflict(_))
    ));
}

#[tokio::test]
async fn a_revoked_or_resent_link_stops_working() {
    let h = harness();
    let ada = user();
    let org = h.org(&ada, &[]).await;
    let sent = h
        .service
        .invite(&ada, org, "bob@example.com", "member", &meta())
        .await
        .unwrap();
    let first = last_token(&h);
    h.clock.advance(chrono::Duration::days(6));
    let resent = h
        .service
        .resend_invitation(&ada, org, sent.invitation.id, &meta())
        .await
        .unwrap();
    assert_eq!(
        resent.invitation.expires_at,
        h.clock.now() + chrono::Duration::days(7)
    );
    let second = last_token(&h);
    assert_ne!(first, second);
    let bob = account(&h, "bob@example.com", true);
    assert!(matches!(
        h.service.accept_invitation(&bob, &first, &meta()).await,
        Err(OrgError::NotFoundBecause(_))
    ));
    h.service
        .revoke_invitation(&ada, org, sent.invitation.id, &meta())
        .await
        .unwrap();
    assert!(matches!(
        h.service.accept_invitation(&bob, &second, &meta()).await,
        Err(OrgError::NotFoundBecause(_))
    ));
    assert!(matches!(
        h.service
            .revoke_invitation(&ada, org, sent.invitation.id, &meta())
            .await,
        Err(OrgError::NotFound)
    ));
    assert!(matches!(
        h.service
            .resend_invitation(&ada, org, sent.invitation.id, &meta())
            .await,
        Err(OrgError::NotFound)
    ));
}

#[tokio::test]
async fn an_organization_sends_at_most_its_hourly_share() {
    let h = harness();
    let ada = user();
    let org = h.org(&ada, &[]).await;
    for i in 0..50 {
        h.service
            .invite(
                &ada,
                org,
                &format!("guest{i}@example.com"),
                "member",
                &meta(),
            )
            .await
            .unwrap();
    }
    assert!(matches!(
        h.service
            .invite(&ada, org, "one-more@example.com", "member", &meta())
            .await,
        Err(OrgError::RateLimited { .. })
    ));
    assert_eq!(h.mailer.sent().len(), 50);
    h.clock.advance(chrono::Duration::minutes(61));
    h.service
        .invite(&ada, org, "one-more@example.com", "member", &meta())
        .await
        .unwrap();
}

#[tokio::test]
async fn a_failed_mail_leaves_the_invitation_to_be_resent() {
    let h = harness();
    let ada = user();
    let org = h.org(&ada, &[]).await;
    h.mailer.fail();
    let sent = h
        .service
        .invite(&ada, org, "bob@example.com", "member", &meta())
        .await
        .unwrap();
    assert!(!sent.mailed);
    let pending = h
        .service
        .invitations(&ada, org, PageRequest::first(10))
        .await
        .unwrap();
    assert_eq!(pending.items.len(), 1);
}

#[tokio::test]
async fn two_acceptances_at_once_make_one_membership() {
    let h = harness();
    let ada = user();
    let org = h.org(&ada, &[]).await;
    h.service
        .invite(&ada, org, "bob@example.com", "member", &meta())
        .await
        .unwrap();
    let token = last_token(&h);
    let bob = account(&h, "bob@example.com", true);
    let m = meta();
    let (a, b) = tokio::join!(
        h.service.accept_invitation(&bob, &token, &m),
        h.service.accept_invitation(&bob, &token, &m),
    );
    assert!(a.is_ok() != b.is_ok(), "{a:?} {b:?}");
    assert_eq!(h.role(org, &bob).await.as_deref(), Some("member"));
}
