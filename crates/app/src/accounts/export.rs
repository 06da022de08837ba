//! Exporting everything stored about an account (`GET /me/export`).

use std::future::Future;

use plinth_audit::{AuditEvent, AuditFilter};
use plinth_files::FileObject;
use plinth_kernel::{Page, PageRequest, RepoError, Timestamp};
use plinth_sessions::{Principal, Session};
use plinth_users::User;

use super::Accounts;
use crate::AppError;

/// Items fetched per page while collecting an export.
const EXPORT_PAGE: u32 = 100;

/// Everything Plinth stores about one account, secrets left out.
#[derive(Debug, Clone)]
pub struct AccountExport {
    /// When the export was made (from the clock port).
    pub exported_at: Timestamp,
    /// The account.
    pub user: User,
    /// Its live sessions.
    pub sessions: Vec<Session>,
    /// The files it owns, newest first.
    pub files: Vec<FileObject>,
    /// Its `/me/data` document.
    pub app_data: String,
    /// The audit entries it is the actor of, newest first (a row edited into something
    /// unreadable is left out; the administrators' listing names it).
    pub audit: Vec<AuditEvent>,
}

impl Accounts {
    /// Everything stored about the caller's own account: the account, its live sessions, the
    /// metadata of every file it owns, its app data and every audit entry it is the actor of.
    /// Only ever the caller's: there is no parameter naming another account.
    ///
    /// # Errors
    /// [`AppError::Users`] (`NotFound`) when the account is gone; storage failure.
    #[tracing::instrument(skip_all, fields(user_id = %principal.user_id))]
    pub async fn export(&self, principal: &Principal) -> Result<AccountExport, AppError> {
        let id = principal.user_id;
        let user = self.users.get(id).await?;
        let sessions = self.auth.sessions(principal).await?;
        let files = all_pages(|page| self.files.list_owned(id, page)).await?;
        let app_data = self.users.app_data(id).await?.json;
        let filter = AuditFilter {
            actor_id: Some(id.as_uuid()),
            ..AuditFilter::default()
        };
        let audit = all_pages(|page| self.audit.list(&filter, page)).await?;
        Ok(AccountExport {
            exported_at: self.clock.now(),
            user,
            sessions,
            files,
            app_data,
            audit,
        })
    }
}

/// Every item of a paginated listing, fetched [`EXPORT_PAGE`] at a time.
async fn all_pages<T, E, F, Fut>(mut fetch: F) -> Result<Vec<T>, AppError>
where
    F: FnMut(PageRequest) -> Fut,
    Fut: Future<Output = Result<Page<T>, E>>,
    AppError: From<E>,
{
    let mut items = Vec::new();
    let mut page = PageRequest::first(EXPORT_PAGE);
    loop {
        let batch = fetch(page).await?;
        items.extend(batch.items);
        match batch.next_cursor {
            Some(cursor) => {
                page = PageRequest::new(Some(EXPORT_PAGE), Some(&cursor.encode()))
                    .map_err(RepoError::internal)?;
            }
            None => return Ok(items),
        }
    }
}
