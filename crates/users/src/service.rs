//! UserService: profile reads and changes, admin listing, and the CLI's super-admin bootstrap.

use std::sync::Arc;

use plinth_audit::{AuditAction, AuditEvent, AuditLog};
use plinth_events::EventOutbox;
use plinth_kernel::{
    Caller, Clock, Email, Page, PageRequest, Permission, RepoError, RequestMeta, UnitOfWork, UserId,
};

pub use announcements::AnnouncementService;

use crate::{
    DisplayName, Locale, Password, PasswordHasher, PasswordPolicy, RoleName, User, UserChanges,
    UserCounts, UserError, UserFilter, UserStatus, UserStorage,
};

/// Fields a user may change on their own profile. Role, status and verification are not here:
/// a user cannot change them on themselves.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProfilePatch {
    /// New display name.
    pub name: Option<String>,
    /// New locale (a raw language tag, see [`crate::Locale::parse`]); `Some(None)` goes back
    /// to the default language; `None` leaves it as it is.
    pub locale: Option<Option<String>>,
}

/// Use cases on user accounts.
#[derive(Clone)]
pub struct UserService {
    users: Arc<dyn UserStorage>,
    hasher: Arc<dyn PasswordHasher>,
    audit: Arc<dyn AuditLog>,
    uow: Arc<dyn UnitOfWork>,
    clock: Arc<dyn Clock>,
    policy: PasswordPolicy,
    /// Where `app_data.changed` events go, when events are wired.
    events: Option<Arc<dyn EventOutbox>>,
}

impl UserService {
    /// Wires the service to its ports: account storage (every seam: rows, avatar keys, app
    /// data), the password hasher, the audit log, transactions and the clock.
    #[must_use]
    pub fn new(
        users: Arc<dyn UserStorage>,
        hasher: Arc<dyn PasswordHasher>,
        audit: Arc<dyn AuditLog>,
        uow: Arc<dyn UnitOfWork>,
        clock: Arc<dyn Clock>,
        policy: PasswordPolicy,
    ) -> Self {
        Self {
            users,
            hasher,
            audit,
            uow,
            clock,
            policy,
            events: None,
        }
    }

    /// Writes an `app_data.changed` event to `events` in the transaction of every app-data
    /// write (the other changes of this service reach the outbox through their audit entries).
    #[must_use]
    pub fn with_events(mut self, events: Arc<dyn EventOutbox>) -> Self {
        self.events = Some(events);
        self
    }

    /// The user with this id.
    ///
    /// # Errors
    /// [`UserError::NotFound`], or storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn get(&self, id: UserId) -> Result<User, UserError> {
        self.users.by_id(id).await?.ok_or(UserError::NotFound)
    }

    /// Applies a profile patch made by the user themselves; audited as `user.updated` with
    /// the names of the fields that changed (`fields: ["name", "locale"]`). Every field is
    /// parsed before anything is written: one bad field changes nothing. A patch that changes
    /// nothing records nothing.
    ///
    /// # Errors
    /// [`UserError::InvalidName`], [`UserError::InvalidLocale`], [`UserError::NotFound`], or
    /// storage failure.
    #[tracing::instrument(skip(self, meta))]
    pub async fn update_profile(
        &self,
        id: UserId,
        patch: ProfilePatch,
        meta: &RequestMeta,
    ) -> Result<User, UserError> {
        let user = self.get(id).await?;
        let mut changes = UserChanges::default();
        if let Some(name) = patch.name {
            let name = DisplayName::parse(&name).map_err(UserError::InvalidName)?;
            if name != user.name {
                changes.name = Some(name);
            }
        }
        if let Some(locale) = patch.locale {
            let locale = locale
                .as_deref()
                .map(Locale::parse)
                .transpose()
                .map_err(UserError::InvalidLocale)?;
            if locale != user.locale {
                changes.locale = Some(locale);
            }
        }
        if changes.is_empty() {
            return Ok(user);
        }
        let fields: Vec<&str> = [
            changes.name.as_ref().map(|_| "name"),
            changes.locale.as_ref().map(|_| "locale"),
        ]
        .into_iter()
        .flatten()
        .collect();
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        // Only the patched columns are written: a role or status an administrator set since
        // `user` was read stays as they set it.
        let user = self
            .users
            .change(tx.as_mut(), id, &changes, now)
            .await
            .map_err(not_found_or)?;
        let event = AuditEvent::new(AuditAction::UserUpdated, now, meta)
            .actor(id)
            .target("user", id)
            .details(serde_json::json!({ "fields": fields }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Points the user's avatar at the stored image `key` (`None`: removes the avatar), audited
    /// as `user.updated` (`fields: ["avatar"]`) in the same transaction. Returns the account as
    /// it is now and the key it named before, whose blob the caller removes once this returned.
    /// Removing an avatar that is not there changes nothing and records nothing.
    ///
    /// # Errors
    /// [`UserError::NotFound`], or storage failure (nothing changed).
    #[tracing::instrument(skip(self, meta))]
    pub async fn set_avatar(
        &self,
        id: UserId,
        key: Option<String>,
        meta: &RequestMeta,
    ) -> Result<(User, Option<String>), UserError> {
        let mut user = self.get(id).await?;
        if key.is_none() && user.avatar_key.is_none() {
            return Ok((user, None));
        }
        let now = self.clock.now();
        let mut tx = self.uow.begin().await?;
        let previous = self
            .users
            .set_avatar_key(tx.as_mut(), id, key.as_deref(), now)
            .await
            .map_err(not_found_or)?;
        let change = if key.is_some() { "replaced" } else { "removed" };
        let event = AuditEvent::new(AuditAction::UserUpdated, now, meta)
            .actor(id)
            .target("user", id)
            .details(serde_json::json!({ "fields": ["avatar"], "avatar": change }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        user.avatar_key = key;
        user.updated_at = now;
        Ok((user, previous))
    }

    /// Which of `keys` some account shows as its avatar (for the storage reconciler).
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip_all, fields(keys = keys.len()))]
    pub async fn known_avatar_keys(&self, keys: &[String]) -> Result<Vec<String>, UserError> {
        Ok(self.users.known_avatar_keys(keys).await?)
    }

    /// Lists users for administrators (permission `users:read`).
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `users:read`; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn list(
        &self,
        caller: &Caller,
        filter: &UserFilter,
        page: PageRequest,
    ) -> Result<Page<User>, UserError> {
        caller.require(Permission::USERS_READ)?;
        Ok(self.users.list(filter, page).await?)
    }

    /// Any account, for administrators (permission `users:read`); the caller's own account
    /// is [`UserService::get`].
    ///
    /// # Errors
    /// [`UserError::Forbidden`] without `users:read`, [`UserError::NotFound`]; storage failure.
    #[tracing::instrument(skip(self, caller), fields(caller = %caller.user_id))]
    pub async fn find(&self, caller: &Caller, id: UserId) -> Result<User, UserError> {
        caller.require(Permission::USERS_READ)?;
        self.get(id).await
    }

    /// Counts every account, the active ones, and those created within `window` of now.
    ///
    /// # Errors
    /// Storage failure.
    #[tracing::instrument(skip(self))]
    pub async fn counts(&self, window: chrono::Duration) -> Result<UserCounts, UserError> {
        Ok(self.users.count(self.clock.now() - window).await?)
    }

    /// Creates a `super_admin`, or promotes an existing account with this email (keeping its
    /// password). Used by `plinth admin create`; audited as `admin.role_changed` with no actor.
    ///
    /// # Errors
    /// Invalid email, name or password, or storage failure.
    #[tracing::instrument(skip(self, password, meta))]
    pub async fn create_super_admin(
        &self,
        email: &str,
        name: &str,
        password: String,
        meta: &RequestMeta,
    ) -> Result<User, UserError> {
        let email = Email::parse(email)?;
        let name = DisplayName::parse(name).map_err(UserError::InvalidName)?;
        let now = self.clock.now();
        let existing = self.users.by_email(&email).await?;
        let password = Password::new(password, &self.policy, &[email.as_str(), name.as_str()])?;
        // Everything, including the hash, is prepared before the transaction opens: bcrypt
        // must never hold a database transaction.
        let mut tx;
        let user = if let Some(existing) = existing {
            // Only the role and the status are written; the name and password stay the
            // account's own.
            let changes = UserChanges {
                role: Some(RoleName::super_admin()),
                status: Some(UserStatus::Active),
                ..UserChanges::default()
            };
            tx = self.uow.begin().await?;
            self.users
                .change(tx.as_mut(), existing.id, &changes, now)
                .await
                .map_err(not_found_or)?
        } else {
            let hash = self.hasher.hash(&password).await?;
            let user = User::new_registered(email, name, hash, RoleName::super_admin(), true, now);
            tx = self.uow.begin().await?;
            self.users
                .insert(tx.as_mut(), &user)
                .await
                .map_err(email_taken_or)?;
            user
        };
        let event = AuditEvent::new(AuditAction::RoleChanged, now, meta)
            .target("user", user.id)
            .details(serde_json::json!({ "role": "super_admin", "via": "cli" }));
        self.audit.append(tx.as_mut(), &event).await?;
        tx.commit().await?;
        Ok(user)
    }
}

mod announcements;
mod app_data;
#[cfg(test)]
mod tests;

fn not_found_or(e: RepoError) -> UserError {
    match e {
        RepoError::NotFound => UserError::NotFound,
        RepoError::Duplicate { .. } => UserError::EmailTaken,
        other => UserError::Repo(other),
    }
}

/// Maps the email uniqueness violation to [`UserError::EmailTaken`].
pub(crate) fn email_taken_or(e: RepoError) -> UserError {
    match e {
        RepoError::Duplicate { .. } => UserError::EmailTaken,
        other => UserError::Repo(other),
    }
}
