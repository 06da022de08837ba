//! The service statistics (`GET /admin/stats`): accounts, live sessions, files and revenue,
//! each counted by the domain that owns it, for callers holding `stats:read`.

use plinth_billing::{PaymentService, Revenue};
use plinth_files::{FileService, FileTotals};
use plinth_kernel::{Caller, Clock, Permission};
use plinth_sessions::AuthService;
use plinth_users::{UserCounts, UserService};
use std::sync::Arc;

use crate::AppError;

/// How far back "new accounts" reaches.
pub const NEW_ACCOUNTS_WINDOW_DAYS: i64 = 7;

/// The counts an administrator sees.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Overview {
    /// Accounts: total, active, created in the last [`NEW_ACCOUNTS_WINDOW_DAYS`].
    pub users: UserCounts,
    /// Sessions neither revoked nor expired.
    pub live_sessions: u64,
    /// Files and the bytes of their current versions.
    pub files: FileTotals,
    /// Invoice money per currency: paid this month (UTC), outstanding, overdue.
    pub revenue: Revenue,
}

/// The statistics use case.
#[derive(Clone)]
pub struct Statistics {
    users: UserService,
    auth: AuthService,
    files: FileService,
    payments: PaymentService,
    clock: Arc<dyn Clock>,
}

impl Statistics {
    /// Counts through each domain's service; "this month" by `clock`.
    #[must_use]
    pub fn new(
        users: UserService,
        auth: AuthService,
        files: FileService,
        payments: PaymentService,
        clock: Arc<dyn Clock>,
    ) -> Self {
        Self {
            users,
            auth,
            files,
            payments,
            clock,
        }
    }

    /// The statistics now.
    ///
    /// # Errors
    /// [`AppError::Forbidden`] without `stats:read`; storage failure.
    #[tracing::instrument(skip_all, fields(user_id = %caller.user_id))]
    pub async fn overview(&self, caller: &Caller) -> Result<Overview, AppError> {
        caller.require(Permission::STATS_READ)?;
        Ok(Overview {
            users: self
                .users
                .counts(chrono::Duration::days(NEW_ACCOUNTS_WINDOW_DAYS))
                .await?,
            live_sessions: self.auth.live_session_count().await?,
            files: self.files.totals().await?,
            revenue: self.payments.revenue(self.clock.now()).await?,
        })
    }
}
