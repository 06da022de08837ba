//! Sharing a file with an address and ending a share (`POST` and
//! `DELETE /files/{id}/shares/…`): the file and the caller (through the file service's
//! viewer port) are the file service's, the account a grantee id names is the accounts'.

use std::collections::BTreeMap;

use plinth_files::{FileError, FileId, FileService, FileShare, SharePermission};
use plinth_kernel::{Email, RequestMeta, UserId};
use plinth_sessions::Principal;
use plinth_users::{UserError, UserService};

use crate::AppError;

/// Who a share is with, as the caller named them in `DELETE /files/{id}/shares/{grantee}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Grantee {
    /// A user id: the share with that account's address.
    User(UserId),
    /// An address, which may have no account yet.
    Address(String),
}

/// Sharing files with addresses.
#[derive(Clone)]
pub struct Sharing {
    users: UserService,
    files: FileService,
}

impl Sharing {
    /// The use cases over `users` (a grantee's account) and `files` (the caller, the file).
    #[must_use]
    pub fn new(users: UserService, files: FileService) -> Self {
        Self { users, files }
    }

    /// The caller shares file `id` with `email` for `permission` (or changes the permission of
    /// the existing share). Who the file is and whether the caller owns it are checked before
    /// the address and permission are read, so a stranger learns nothing from a bad body.
    ///
    /// # Errors
    /// [`AppError::Files`]: the caller's account gone, no such file (or someone else's), a
    /// sharee asking, the owner's own address; [`AppError::Invalid`] naming each bad field.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, file_id = %id))]
    pub async fn share(
        &self,
        principal: &Principal,
        id: FileId,
        email: &str,
        permission: &str,
        meta: &RequestMeta,
    ) -> Result<FileShare, AppError> {
        let viewer = self.files.viewer(&principal.caller()).await?;
        self.files.owned(&viewer, id, "share it").await?;
        let email = Email::parse(email);
        let permission = SharePermission::parse(permission);
        let (email, permission) = match (email, permission) {
            (Ok(email), Some(permission)) => (email, permission),
            (email, permission) => {
                let mut fields = BTreeMap::new();
                if let Err(e) = email {
                    fields.insert("email".to_owned(), vec![e.to_string()]);
                }
                if permission.is_none() {
                    fields.insert(
                        "permission".to_owned(),
                        vec!["must be one of `view`, `download`, `edit`".to_owned()],
                    );
                }
                return Err(AppError::Invalid(fields));
            }
        };
        Ok(self
            .files
            .share(&viewer, id, email, permission, meta)
            .await?)
    }

    /// The caller ends the share of file `id` with `grantee`. Ownership is checked first, so a
    /// stranger learns nothing about the grantee; an unknown user or address is "not shared".
    ///
    /// # Errors
    /// [`AppError::Files`]: the caller's account gone, no such file, a sharee asking, not
    /// shared with them.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id, file_id = %id))]
    pub async fn unshare(
        &self,
        principal: &Principal,
        id: FileId,
        grantee: &Grantee,
        meta: &RequestMeta,
    ) -> Result<(), AppError> {
        let viewer = self.files.viewer(&principal.caller()).await?;
        self.files.owned(&viewer, id, "change its shares").await?;
        let email = match grantee {
            Grantee::User(user) => match self.users.get(*user).await {
                Ok(account) => account.email,
                Err(UserError::NotFound) => return Err(FileError::ShareNotFound.into()),
                Err(e) => return Err(e.into()),
            },
            Grantee::Address(raw) => Email::parse(raw).map_err(|_| FileError::ShareNotFound)?,
        };
        Ok(self.files.unshare(&viewer, id, &email, meta).await?)
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::panic)]

    use plinth_files::FileError;
    use plinth_users::RoleName;

    use super::Grantee;
    use crate::AppError;
    use crate::test_world::{World, meta};

    #[tokio::test]
    async fn a_stranger_learns_nothing_from_a_bad_body_and_the_owner_is_told_each_bad_field() {
        let w = World::new();
        let owner = w.sign_up("owner@example.com", RoleName::user()).await;
        let stranger = w.sign_up("stranger@example.com", RoleName::user()).await;
        let file = w.upload(owner.user_id, "plan.txt", "the plan").await;

        let hidden = w
            .sharing
            .share(&stranger, file.id, "not an address", "own", &meta())
            .await;
        assert!(
            matches!(hidden, Err(AppError::Files(FileError::NotFound))),
            "someone else's file is a 404 before the body is read: {hidden:?}"
        );
        let invalid = w
            .sharing
            .share(&owner, file.id, "not an address", "own", &meta())
            .await;
        let Err(AppError::Invalid(fields)) = invalid else {
            panic!("{invalid:?}");
        };
        assert_eq!(
            fields.keys().cloned().collect::<Vec<_>>(),
            vec!["email".to_owned(), "permission".to_owned()]
        );
        let shared = w
            .sharing
            .share(&owner, file.id, "friend@example.com", "edit", &meta())
            .await
            .unwrap();
        assert_eq!(shared.grantee_email.as_str(), "friend@example.com");
    }

    #[tokio::test]
    async fn a_share_ends_by_the_grantees_user_id_or_by_address_and_unknown_ones_are_not_shared() {
        let w = World::new();
        let owner = w.sign_up("owner@example.com", RoleName::user()).await;
        let friend = w.sign_up("friend@example.com", RoleName::user()).await;
        let file = w.upload(owner.user_id, "plan.txt", "the plan").await;
        for email in ["friend@example.com", "nobody-yet@example.com"] {
            w.sharing
                .share(&owner, file.id, email, "view", &meta())
                .await
                .unwrap();
        }
        let cases = [
            Grantee::User(friend.user_id),
            Grantee::Address("nobody-yet@example.com".to_owned()),
        ];
        for grantee in &cases {
            w.sharing
                .unshare(&owner, file.id, grantee, &meta())
                .await
                .unwrap();
            let again = w.sharing.unshare(&owner, file.id, grantee, &meta()).await;
            assert!(
                matches!(again, Err(AppError::Files(FileError::ShareNotFound))),
                "{grantee:?}: {again:?}"
            );
        }
        for unknown in [
            Grantee::User(plinth_kernel::UserId::new()),
            Grantee::Address("not an address".to_owned()),
        ] {
            let res = w.sharing.unshare(&owner, file.id, &unknown, &meta()).await;
            assert!(
                matches!(res, Err(AppError::Files(FileError::ShareNotFound))),
                "{unknown:?}: {res:?}"
            );
        }
        // A stranger cannot probe who a file is shared with.
        let res = w
            .sharing
            .unshare(&friend, file.id, &Grantee::User(owner.user_id), &meta())
            .await;
        assert!(
            matches!(res, Err(AppError::Files(FileError::NotFound))),
            "{res:?}"
        );
    }

    #[tokio::test]
    async fn a_sharee_is_told_that_only_the_owner_can_share_or_change_the_shares() {
        let w = World::new();
        let owner = w.sign_up("owner@example.com", RoleName::user()).await;
        let friend = w.sign_up("friend@example.com", RoleName::user()).await;
        let file = w.upload(owner.user_id, "plan.txt", "the plan").await;
        w.sharing
            .share(&owner, file.id, "friend@example.com", "edit", &meta())
            .await
            .unwrap();

        let share = w
            .sharing
            .share(&friend, file.id, "not an address", "own", &meta())
            .await;
        let Err(AppError::Files(FileError::Forbidden(message))) = share else {
            panic!("a sharee is refused before the body is read: {share:?}");
        };
        assert_eq!(message, "Only the file's owner can share it.");
        let unshare = w
            .sharing
            .unshare(&friend, file.id, &Grantee::User(friend.user_id), &meta())
            .await;
        let Err(AppError::Files(FileError::Forbidden(message))) = unshare else {
            panic!("{unshare:?}");
        };
        assert_eq!(message, "Only the file's owner can change its shares.");
    }

    #[tokio::test]
    async fn a_caller_whose_account_is_gone_can_neither_share_nor_unshare() {
        let w = World::new();
        let owner = w.sign_up("owner@example.com", RoleName::user()).await;
        let file = w.upload(owner.user_id, "plan.txt", "the plan").await;
        w.accounts
            .erase_own(&owner, crate::test_world::PASSWORD, &meta())
            .await
            .unwrap();

        let share = w
            .sharing
            .share(&owner, file.id, "friend@example.com", "view", &meta())
            .await;
        assert!(
            matches!(share, Err(AppError::Files(FileError::CallerGone))),
            "{share:?}"
        );
        let unshare = w
            .sharing
            .unshare(
                &owner,
                file.id,
                &Grantee::Address("friend@example.com".to_owned()),
                &meta(),
            )
            .await;
        assert!(
            matches!(unshare, Err(AppError::Files(FileError::CallerGone))),
            "{unshare:?}"
        );
    }
}
