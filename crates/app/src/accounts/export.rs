//! Exporting everything stored about an account (`GET /me/export`).

use std::future::Future;

use plinth_audit::{AuditEvent, AuditFilter};
use plinth_billing::{InvoiceRecord, Subscription, SubscriptionError};
use plinth_files::FileObject;
use plinth_kernel::{Page, PageRequest, RepoError, Timestamp};
use plinth_orgs::Membership;
use plinth_sessions::{Passkey, Principal, Session, UserIdentity};
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
    /// The provider identities linked to it.
    pub identities: Vec<UserIdentity>,
    /// Its passkeys (public keys and names; nothing secret is stored).
    pub passkeys: Vec<Passkey>,
    /// The organizations it belongs to, with its role in each.
    pub organizations: Vec<Membership>,
    /// Its own live subscription, if any (an organization's is the organization's).
    pub subscription: Option<Subscription>,
    /// Its own issued invoices, newest first.
    pub invoices: Vec<InvoiceRecord>,
    /// The audit entries it is the actor of, newest first (a row edited into something
    /// unreadable is left out; the administrators' listing names it).
    pub audit: Vec<AuditEvent>,
}

impl Accounts {
    /// Everything stored about the caller's own account: the account, its live sessions, the
    /// metadata of every file it owns, its app data, its linked identities and passkeys, its
    /// organization memberships, its own subscription and invoices, and every audit entry it
    /// is the actor of.
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
        let identities = self.auth.identities(id).await?;
        let passkeys = if self.auth.passkeys_enabled() {
            self.auth.passkeys(id).await?
        } else {
            Vec::new()
        };
        let caller = principal.caller().acting_for(None);
        let organizations = all_pages(|page| self.orgs.mine(&caller, page)).await?;
        let subscription = match self.subscriptions.subscription(id).await {
            Ok(subscription) => Some(subscription),
            Err(SubscriptionError::NotFound) => None,
            Err(e) => return Err(e.into()),
        };
        let invoices = all_pages(|page| self.invoices.customer_invoices(id, page)).await?;
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
            identities,
            passkeys,
            organizations,
            subscription,
            invoices,
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
