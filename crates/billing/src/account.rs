//! Whose billing a caller reaches: their own, or the organization they act for.
//!
//! An access token acting for an organization carries the caller's organization permissions
//! there; `org_billing:read` shows the organization's subscription, entitlements and invoices,
//! `org_billing:write` changes its subscription and pays its invoices. A caller acting for
//! nobody reaches their own billing.

use plinth_kernel::{Caller, Forbidden, Owner};

/// The organization permission to see an organization's subscription, entitlements and
/// invoices.
pub const ORG_BILLING_READ: &str = "org_billing:read";

/// The organization permission to change an organization's subscription and pay its
/// invoices.
pub const ORG_BILLING_WRITE: &str = "org_billing:write";

/// Whose billing `caller` reaches with `permission` (one of [`ORG_BILLING_READ`],
/// [`ORG_BILLING_WRITE`]): the organization they act for, or their own when they act for
/// nobody (an account may always see and change its own billing).
///
/// # Errors
/// [`Forbidden`] naming `permission` when they act for an organization without it.
pub fn billing_owner(caller: &Caller, permission: &str) -> Result<Owner, Forbidden> {
    if let Some(acting) = caller.org() {
        acting.require(permission)?;
    }
    Ok(acting_owner(caller))
}

/// Whose billing `caller` acts within, permissions aside: the organization they act for, or
/// their own. For a lookup by id that must answer 404 for anyone else's resource before it
/// answers 403 for a missing permission (the caller's own organization's invoice).
#[must_use]
pub fn acting_owner(caller: &Caller) -> Owner {
    match caller.org() {
        Some(acting) => Owner::Org(acting.org_id),
        None => Owner::User(caller.user_id),
    }
}

#[cfg(test)]
mod tests {
    use plinth_kernel::{ActingFor, OrgId, UserId};

    use super::*;

    #[test]
    fn acting_for_an_organization_reaches_its_billing_only_with_the_permission() {
        let user = UserId::new();
        let org = OrgId::new();
        let own = Caller::new(user, vec![]);
        assert_eq!(
            billing_owner(&own, ORG_BILLING_WRITE),
            Ok(Owner::User(user))
        );
        let reader = Caller::new(user, vec![]).acting_for(Some(ActingFor {
            org_id: org,
            permissions: vec![ORG_BILLING_READ.to_owned()],
        }));
        assert_eq!(
            billing_owner(&reader, ORG_BILLING_READ),
            Ok(Owner::Org(org))
        );
        assert_eq!(
            billing_owner(&reader, ORG_BILLING_WRITE),
            Err(Forbidden::missing(ORG_BILLING_WRITE)),
            "a reader cannot change the organization's billing, nor fall back to their own"
        );
        let member = Caller::new(user, vec![]).acting_for(Some(ActingFor {
            org_id: org,
            permissions: vec!["org_files:read".to_owned()],
        }));
        assert!(billing_owner(&member, ORG_BILLING_READ).is_err());
    }
}
