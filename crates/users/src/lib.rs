//! The users domain: accounts, roles and permissions, the password policy, [`UserService`], and
//! the announcements administrators broadcast to them ([`AnnouncementService`]).

mod announcement;
mod app_data;
mod error;
mod locale;
mod password;
mod ports;
mod role;
mod service;
mod user;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use announcement::{
    Announcement, AnnouncementError, AnnouncementId, AnnouncementInput, MAX_BODY_CHARS,
    MAX_TITLE_CHARS,
};
pub use app_data::{AppData, MAX_APP_DATA_BYTES, etag_of};
pub use error::UserError;
pub use locale::Locale;
pub use password::{HashError, Password, PasswordError, PasswordHash, PasswordPolicy};
pub use plinth_kernel::UserId;
pub use ports::{
    AnnouncementRepository, AppDataRepository, AvatarKeyRepository, PasswordHasher, RoleRepository,
    UserRepository, UserStorage,
};
pub use role::{CUSTOM_ROLE_RANK, Permission, Role, RoleName, built_in_roles};
pub use service::{AnnouncementService, ProfilePatch, UserService};
pub use user::{DisplayName, User, UserChanges, UserCounts, UserFilter, UserStatus};
