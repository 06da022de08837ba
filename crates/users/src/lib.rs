//! The users domain: accounts, roles and permissions, the password policy, and [`UserService`].

mod app_data;
mod error;
mod password;
mod ports;
mod role;
mod service;
mod user;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use app_data::{AppData, MAX_APP_DATA_BYTES, etag_of};
pub use error::UserError;
pub use password::{HashError, Password, PasswordError, PasswordHash, PasswordPolicy};
pub use plinth_kernel::UserId;
pub use ports::{PasswordHasher, RoleRepository, UserRepository};
pub use role::{CUSTOM_ROLE_RANK, Permission, Role, RoleName, built_in_roles};
pub use service::{ProfilePatch, UserService};
pub use user::{DisplayName, User, UserCounts, UserFilter, UserStatus};
