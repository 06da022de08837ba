//! Ports of the users domain.

use plinth_kernel::{Email, Page, PageRequest, RepoError, Timestamp, Transaction, UserId};

use crate::{AppData, HashError, Password, PasswordHash, User, UserCounts, UserFilter};

/// Storage of user accounts.
#[async_trait::async_trait]
pub trait UserRepository: Send + Sync {
    /// Inserts a new user.
    ///
    /// # Errors
    /// MUST return [`RepoError::Duplicate`] with `constraint == "users.email"` when the
    /// (normalised) email is taken.
    async fn insert(&self, tx: &mut dyn Transaction, user: &User) -> Result<(), RepoError>;

    /// Replaces every mutable field of an existing user (matched by id), except `avatar_key`,
    /// which only [`UserRepository::set_avatar_key`] changes: a profile edit racing an avatar
    /// change must not bring back an image whose blob is already removed.
    ///
    /// # Errors
    /// MUST return [`RepoError::NotFound`] when no such user exists, and
    /// [`RepoError::Duplicate`] (`users.email`) when the new email is taken.
    async fn update(&self, tx: &mut dyn Transaction, user: &User) -> Result<(), RepoError>;

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
