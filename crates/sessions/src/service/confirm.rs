//! Confirming the caller's password before an action that needs it (erasing their account).

use plinth_kernel::RequestMeta;
use plinth_users::User;

use super::AuthService;
use crate::{AuthError, Principal};

impl AuthService {
    /// Checks the caller's password before erasing their account and returns it. The check
    /// counts towards the sign-in lockout (a locked account is refused without a check) and a
    /// wrong password is audited as `auth.login_failed` with `during: account_delete`.
    ///
    /// # Errors
    /// [`AuthError::WrongPassword`], [`AuthError::Locked`], [`AuthError::InvalidToken`] when
    /// the account no longer exists, or storage or hashing failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn confirm_password(
        &self,
        principal: &Principal,
        password: &str,
        meta: &RequestMeta,
    ) -> Result<User, AuthError> {
        self.reauthenticate(
            principal,
            password,
            "account_delete",
            AuthError::WrongPassword,
            meta,
        )
        .await
    }
}
