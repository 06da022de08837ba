//! The membership rules, as pure functions over the roles involved: every use case that
//! changes a membership asks them, so an HTTP handler, a CLI command or another crate cannot
//! apply different ones.
//!
//! - Granting ([`may_grant`]): an owner may grant any role; anyone else needs
//!   `members:write`, may grant only a role ranked below their own, and only one whose
//!   permissions they hold themselves.
//! - Acting on a member ([`may_act_on`], changing their role or removing them): an owner may
//!   act on anyone; anyone else needs `members:write` and a rank above the member's. Nobody
//!   changes their own role (ownership moves by [`transfer_ownership`]).
//! - An organization always keeps an owner ([`keeps_an_owner`]): the last owner can neither
//!   leave, be removed nor lose the role.

use plinth_kernel::UserId;

use crate::{OrgPermission, OrgRole};

/// Why a membership change is refused (messages for the user).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OrgRuleError {
    /// The caller may not do this.
    #[error("{0}")]
    Forbidden(String),
    /// The change would leave the organization without an owner.
    #[error("an organization keeps at least one owner; transfer ownership first")]
    LastOwner,
}

fn forbidden(message: impl Into<String>) -> OrgRuleError {
    OrgRuleError::Forbidden(message.into())
}

/// May a member holding `actor` give `role` to someone?
///
/// # Errors
/// [`OrgRuleError::Forbidden`] naming what is missing.
pub fn may_grant(actor: &OrgRole, role: &OrgRole) -> Result<(), OrgRuleError> {
    if actor.is_owner() {
        return Ok(());
    }
    if !actor.grants(OrgPermission::MEMBERS_WRITE) {
        return Err(forbidden("This needs the `members:write` permission."));
    }
    if role.rank >= actor.rank {
        return Err(forbidden(format!(
            "You can only grant roles ranked below your own (`{}`).",
            actor.name.as_str()
        )));
    }
    let missing: Vec<&str> = role
        .permissions
        .iter()
        .filter(|p| !actor.grants(p))
        .map(String::as_str)
        .collect();
    if !missing.is_empty() {
        return Err(forbidden(format!(
            "You cannot grant permissions you do not hold: {}.",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// May a member holding `actor` change the role of, or remove, a member holding `target`?
/// (Not themselves: see [`MemberChange`].)
///
/// # Errors
/// [`OrgRuleError::Forbidden`].
pub fn may_act_on(actor: &OrgRole, target: &OrgRole) -> Result<(), OrgRuleError> {
    if actor.is_owner() {
        return Ok(());
    }
    if !actor.grants(OrgPermission::MEMBERS_WRITE) {
        return Err(forbidden("This needs the `members:write` permission."));
    }
    if target.rank >= actor.rank {
        return Err(forbidden(format!(
            "You can only act on members ranked below your own role (`{}`).",
            actor.name.as_str()
        )));
    }
    Ok(())
}

/// A change to an organization's membership.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberChange<'a> {
    /// `member` gets `to`.
    ChangeRole {
        /// Whose role changes.
        member: UserId,
        /// The new role.
        to: &'a OrgRole,
    },
    /// `member` leaves or is removed.
    Remove {
        /// Who goes.
        member: UserId,
    },
}

/// Whether the organization, whose members now hold `members` (each user once), still has an
/// owner after `change`.
///
/// # Errors
/// [`OrgRuleError::LastOwner`].
pub fn keeps_an_owner(
    members: &[(UserId, &OrgRole)],
    change: MemberChange<'_>,
) -> Result<(), OrgRuleError> {
    let owners_after = members
        .iter()
        .filter(|(user, role)| match change {
            MemberChange::ChangeRole { member, to } if *user == member => to.is_owner(),
            MemberChange::Remove { member } if *user == member => false,
            _ => role.is_owner(),
        })
        .count();
    if owners_after == 0 {
        Err(OrgRuleError::LastOwner)
    } else {
        Ok(())
    }
}

/// Ownership handed on by a member holding `actor` to another member, whatever their role:
/// the other member becomes owner and the actor an admin. Returns `(the new owner's role, the
/// actor's new role)`.
///
/// # Errors
/// [`OrgRuleError::Forbidden`] unless the actor is an owner.
pub fn transfer_ownership(actor: &OrgRole) -> Result<(OrgRole, OrgRole), OrgRuleError> {
    if !actor.is_owner() {
        return Err(forbidden("Only an owner can hand ownership on."));
    }
    Ok((OrgRole::owner(), OrgRole::admin()))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use super::*;

    fn bookkeeper() -> OrgRole {
        OrgRole::custom("bookkeeper", &[OrgPermission::BILLING_READ]).unwrap()
    }

    fn recruiter() -> OrgRole {
        OrgRole::custom(
            "recruiter",
            &[OrgPermission::MEMBERS_READ, OrgPermission::MEMBERS_WRITE],
        )
        .unwrap()
    }

    #[test]
    fn nobody_grants_above_their_rank_or_beyond_what_they_hold() {
        let (owner, admin, member) = (OrgRole::owner(), OrgRole::admin(), OrgRole::member());
        assert!(
            may_grant(&owner, &owner).is_ok(),
            "owners may make co-owners"
        );
        assert!(may_grant(&admin, &member).is_ok());
        assert!(may_grant(&admin, &bookkeeper()).is_ok());
        assert!(may_grant(&admin, &admin).is_err(), "not their own rank");
        assert!(may_grant(&admin, &owner).is_err());
        assert!(
            may_grant(&member, &bookkeeper()).is_err(),
            "no members:write"
        );
        // A custom role with members:write ranks lowest: it grants nothing that ranks.
        let r = recruiter();
        assert!(may_grant(&r, &member).is_err());
        let Err(OrgRuleError::Forbidden(message)) = may_grant(
            &r,
            &OrgRole {
                rank: OrgRole::CUSTOM_RANK - 1,
                ..bookkeeper()
            },
        ) else {
            panic!("a recruiter does not hold org_billing:read");
        };
        assert!(message.contains("org_billing:read"), "{message}");
    }

    #[test]
    fn only_a_higher_rank_acts_on_a_member() {
        let (owner, admin, member) = (OrgRole::owner(), OrgRole::admin(), OrgRole::member());
        assert!(may_act_on(&owner, &owner).is_ok());
        assert!(may_act_on(&admin, &member).is_ok());
        assert!(may_act_on(&admin, &admin).is_err());
        assert!(may_act_on(&admin, &owner).is_err());
        assert!(
            may_act_on(&member, &bookkeeper()).is_err(),
            "no members:write"
        );
    }

    #[test]
    fn the_last_owner_cannot_leave_be_removed_or_demoted() {
        let (owner, admin) = (OrgRole::owner(), OrgRole::admin());
        let (ada, bob) = (UserId::new(), UserId::new());
        let alone = [(ada, &owner), (bob, &admin)];
        assert_eq!(
            keeps_an_owner(&alone, MemberChange::Remove { member: ada }),
            Err(OrgRuleError::LastOwner)
        );
        assert_eq!(
            keeps_an_owner(
                &alone,
                MemberChange::ChangeRole {
                    member: ada,
                    to: &admin
                }
            ),
            Err(OrgRuleError::LastOwner)
        );
        assert!(keeps_an_owner(&alone, MemberChange::Remove { member: bob }).is_ok());
        assert!(
            keeps_an_owner(
                &alone,
                MemberChange::ChangeRole {
                    member: bob,
                    to: &owner
                }
            )
            .is_ok()
        );
        let two = [(ada, &owner), (bob, &owner)];
        assert!(keeps_an_owner(&two, MemberChange::Remove { member: ada }).is_ok());
    }

    #[test]
    fn ownership_moves_only_from_an_owner_who_then_becomes_admin() {
        let (to, from) = transfer_ownership(&OrgRole::owner()).unwrap();
        assert!(to.is_owner());
        assert_eq!(from, OrgRole::admin());
        assert!(transfer_ownership(&OrgRole::admin()).is_err());
    }
}
