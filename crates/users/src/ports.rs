//! Ports of the users domain. Account storage is one port per seam ([`UserRepository`],
//! [`AvatarKeyRepository`], [`AppDataRepository`]; together [`UserStorage`]).

use plinth_kernel::{Email, Page, PageRequest, RepoError, Timestamp, Transaction, UserId};

use crate::{
    Announcement, AppData, HashError, Password, PasswordHash, Role, RoleName, User, UserChanges,
    UserCounts, UserFilter,
};

/// Storage of user accounts: the rows, their column-scoped changes, locked reads, lookups,
/// the admin listing and the counts.
#[async_trait::async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts a new user.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "users.email"` when the
    /// (normalised) email is taken.
    async fn insert(&self, tx: &mut dyn Transaction, user: &User) -> Result<(), RepoError>;

    /// Writes only the columns named in `changes` (and `updated_at = at`) of an existing user,
    /// in one `UPDATE`, and returns the row as it now stands in `tx`. Columns not named keep
    /// whatever the latest committed writer stored: a password change made from a copy read
    /// before an administrator's suspension does not bring the old status back.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when no such user exists, or when `changes.role`
    /// names no stored role (nothing is written then).
    async fn change(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
        changes: &UserChanges,
        at: Timestamp,
    ) -> Result<User, RepoError>;

    /// Reads a user inside `tx` and locks its row until `tx` ends (`SELECT … FOR UPDATE` on
    /// PostgreSQL; SQLite and in-memory transactions already exclude every other writer), for
    /// decisions that depend on the current row (the administrators' rank rules).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only; absence is `Ok(None)`.
    async fn by_id_for_update(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
    ) -> Result<Option<User>, RepoError>;

    /// Deletes a user.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when no such user exists.
    async fn delete(&self, tx: &mut dyn Transaction, id: UserId) -> Result<(), RepoError>;

    /// Finds a user by id.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only; absence is `Ok(None)`.
    async fn by_id(&self, id: UserId) -> Result<Option<User>, RepoError>;

    /// Finds a user by normalised email.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only; absence is `Ok(None)`.
    async fn by_email(&self, email: &Email) -> Result<Option<User>, RepoError>;

    /// Lists users matching `filter`, oldest first (by id), paginated.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list(&self, filter: &UserFilter, page: PageRequest) -> Result<Page<User>, RepoError>;

    /// Counts every account, the active ones, and those created at or after `since`.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn count(&self, since: Timestamp) -> Result<UserCounts, RepoError>;
}

/// The link from an account to the image it shows: the `avatar_key` of the user row, written
/// only here (never by [`UserRepository::change`]), and the lookup the storage reconciler
/// needs.
#[async_trait::async_trait]
pub trait AvatarKeyRepository: Send + Sync {
    /// Points the user's avatar at `key` (`None`: no avatar) and sets `updated_at` to `at`;
    /// returns the key it named before.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when no such user exists.
    async fn set_avatar_key(
        &self,
        tx: &mut dyn Transaction,
        id: UserId,
        key: Option<&str>,
        at: Timestamp,
    ) -> Result<Option<String>, RepoError>;

    /// Which of `keys` are some account's `avatar_key` (the others are avatars nobody shows:
    /// an upload whose row was never written, or a replaced image whose removal failed).
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn known_avatar_keys(&self, keys: &[String]) -> Result<Vec<String>, RepoError>;
}

/// Storage of each account's app-data document (`/me/data`), written only over the version
/// the writer saw.
#[async_trait::async_trait]
pub trait AppDataRepository: Send + Sync {
    /// The user's app-data document, if one was ever stored.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn app_data(&self, id: UserId) -> Result<Option<AppData>, RepoError>;

    /// Stores `data` for its user **only if** the stored document's entity tag is still
    /// `expected` (`None`: no document is stored yet), as one conditional write; returns `false`
    /// (and changes nothing) when another writer got there first.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure (the user must exist).
    async fn put_app_data(
        &self,
        tx: &mut dyn Transaction,
        data: &AppData,
        expected: Option<&str>,
    ) -> Result<bool, RepoError>;
}

/// Every storage port of accounts, one per seam, as one object: what `UserService` is built
/// from. Implemented for any type that implements the three (the SQL and in-memory adapters
/// do).
pub trait UserStorage: UserRepository + AvatarKeyRepository + AppDataRepository {}

impl<T> UserStorage for T where T: UserRepository + AvatarKeyRepository + AppDataRepository {}

/// Storage of roles and their permissions (`roles`, `permissions`, `role_permissions`). The
/// built-in roles are always present; a user's role MUST name a stored role (adapters enforce
/// it: an insert or change of a user naming an unknown role fails with
/// [`RepoError::NotFound`] and stores nothing, when the adapter knows the roles).
#[async_trait::async_trait]
pub trait RoleRepository: Send + Sync {
    /// Stores a new role with its permissions.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "roles.name"` when the name is
    /// taken (built-in names included), and [`RepoError::NotFound`] when a permission is not
    /// one of [`RoleRepository::permissions`]; nothing is stored then.
    async fn insert(&self, tx: &mut dyn Transaction, role: &Role) -> Result<(), RepoError>;

    /// The role named `name`, with its permissions.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure only; absence is `Ok(None)`.
    async fn by_name(&self, name: &RoleName) -> Result<Option<Role>, RepoError>;

    /// Every role, highest rank first, then by name.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list(&self) -> Result<Vec<Role>, RepoError>;

    /// Every permission a role may hold, sorted.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn permissions(&self) -> Result<Vec<String>, RepoError>;
}

/// Password hashing. Implementations MUST do their CPU work off the async executor and MUST
/// verify the whole password, however long.
#[async_trait::async_trait]
pub trait PasswordHasher: Send + Sync {
    /// Hashes a password that passed the policy.
    ///
    /// # Errors
    /// [`HashError`] when the hashing backend fails.
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError>;

    /// Checks a candidate against a stored hash in constant time.
    ///
    /// # Errors
    /// [`HashError`] when the stored hash is malformed or the backend fails.
    async fn verify(&self, candidate: &str, hash: &PasswordHash) -> Result<bool, HashError>;

    /// Spends exactly the time of [`PasswordHasher::verify`] against a fixed dummy hash; used
    /// when the email is unknown so that timing does not reveal which accounts exist.
    ///
    /// # Errors
    /// [`HashError`] when the backend fails.
    async fn verify_dummy(&self, candidate: &str) -> Result<(), HashError>;
}

/// Storage of announcements.
#[async_trait::async_trait]
pub trait AnnouncementRepository: Send + Sync {
    /// Stores a new announcement.
    ///
    /// # Errors
    /// [`RepoError::Duplicate`] if the id exists; storage failure.
    async fn insert(
        &self,
        tx: &mut dyn Transaction,
        announcement: &Announcement,
    ) -> Result<(), RepoError>;

    /// Every announcement, newest first (by id), paginated.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn list(&self, page: PageRequest) -> Result<Page<Announcement>, RepoError>;

    /// The announcements shown at `now` (see [`Announcement::is_active`]), newest first (by
    /// id), paginated.
    ///
    /// # Errors
    /// [`RepoError`] on storage failure.
    async fn active(
        &self,
        now: Timestamp,
        page: PageRequest,
    ) -> Result<Page<Announcement>, RepoError>;
}
