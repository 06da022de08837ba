//! Erasing an account: its files, its shares, its sessions and the account itself in one
//! transaction; the stored bytes once that is committed.

use plinth_kernel::{RequestMeta, UserId};
use plinth_sessions::{Eraser, Principal};
use plinth_users::User;

use super::Accounts;
use crate::AppError;

/// What erasing an account removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ErasedAccount {
    /// Files the account owned (each with all its versions).
    pub files: u64,
    /// Shares with the account's address that ended (none when an administrator erases it).
    pub shares: u64,
    /// Sessions that ended.
    pub sessions: u64,
    /// Organizations deleted because the account was their only member.
    pub organizations: u64,
}

impl Accounts {
    /// The caller erases their own account after proving it with `password` (a wrong one
    /// counts towards the sign-in lockout; see `AuthService::confirm_password`).
    ///
    /// # Errors
    /// [`AppError::Auth`]: a wrong password, a locked or vanished account; storage failure.
    /// Nothing is erased then.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn erase_own(
        &self,
        principal: &Principal,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<ErasedAccount, AppError> {
        self.auth
            .confirm_password(principal, password, meta)
            .await?;
        let mut tx = self.uow.begin().await?;
        let account = self.admin.lock_own_account(tx.as_mut(), principal).await?;
        self.erase(tx, account, Eraser::Owner, meta).await
    }

    /// An administrator erases another account: they need the `users:write` permission, and
    /// the account's role must rank strictly below theirs (`AccountAdminService::lock_account_for_admin`).
    ///
    /// # Errors
    /// [`AppError::Admin`]: forbidden, unknown account; storage failure. Nothing is erased
    /// then.
    #[tracing::instrument(skip_all, fields(actor = %principal.user_id, user_id = %id))]
    pub async fn erase_by_admin(
        &self,
        principal: &Principal,
        id: UserId,
        meta: &RequestMeta,
    ) -> Result<ErasedAccount, AppError> {
        let mut tx = self.uow.begin().await?;
        let account = self
            .admin
            .lock_account_for_admin(tx.as_mut(), principal, id)
            .await?;
        self.erase(tx, account, Eraser::Admin(principal.user_id), meta)
            .await
    }

    /// The erasure itself, with `account` locked in `tx`: its organization memberships (it
    /// leaves each one, whose files it uploaded and subscriptions it answers for go to an
    /// owner who stays; one it was alone in is deleted with its files, its subscription
    /// ended; being the last owner of one with other members refuses the
    /// whole erasure), every file the account owns (all
    /// versions, audited as `file.deleted`), every share with its address when the user
    /// erases themselves, every session and the account (audited as `user.deleted`) go in that one transaction, so a failure at any
    /// step leaves the account with all its files. Only after the commit are the files' blobs
    /// and the avatar image removed, best effort: one left behind belongs to no row and the
    /// storage reconciler removes it.
    async fn erase(
        &self,
        mut tx: Box<dyn plinth_kernel::Transaction>,
        account: User,
        by: Eraser,
        meta: &RequestMeta,
    ) -> Result<ErasedAccount, AppError> {
        // Shares with the address end when its owner leaves. An administrator's erasure keeps
        // them: they are grants to an address, not to the account, and removing an account
        // that registered someone else's address (it could never see them, unverified) must
        // leave them to the address's real owner.
        let (actor, ended_shares) = match by {
            Eraser::Owner => (account.id, Some(&account.email)),
            Eraser::Admin(admin) => (admin, None),
        };
        // First, so that an account still needed as an organization's last owner stops the
        // erasure before anything else is touched.
        let released = self
            .orgs
            .release_account(tx.as_mut(), account.id, actor, meta)
            .await?;
        let organizations = released.deleted.len() as u64;
        // An organization deleted with its last member takes its files; one the account leaves
        // keeps the files the account uploaded for it, handed to an owner who stays.
        let mut org_blobs = Vec::new();
        for org in &released.deleted {
            let erased = self
                .files
                .erase_org_files(tx.as_mut(), *org, actor, meta)
                .await?;
            org_blobs.extend(erased.blobs);
            self.subscriptions
                .end_for_deleted_org(tx.as_mut(), *org, actor, meta)
                .await?;
        }
        for (org, heir) in &released.left {
            self.files
                .hand_over_org_files(tx.as_mut(), *org, account.id, *heir)
                .await?;
            self.subscriptions
                .hand_over_org_subscriptions(tx.as_mut(), *org, account.id, *heir)
                .await?;
        }
        let files = self
            .files
            .erase_account_files(tx.as_mut(), account.id, actor, ended_shares, meta)
            .await?;
        let sessions = self
            .admin
            .delete_account(tx.as_mut(), &account, by, meta)
            .await?;
        tx.commit().await?;
        self.files.remove_erased_blobs(&files.blobs).await;
        self.files.remove_erased_blobs(&org_blobs).await;
        if let Some(avatar) = &account.avatar_key {
            self.files.remove_avatar(avatar).await;
        }
        tracing::info!(
            user_id = %account.id,
            by = match by {
                Eraser::Owner => "self",
                Eraser::Admin(_) => "admin",
            },
            files = files.files,
            shares = files.shares,
            sessions,
            organizations,
            "account erased"
        );
        Ok(ErasedAccount {
            files: files.files,
            shares: files.shares,
            sessions,
            organizations,
        })
    }
}
