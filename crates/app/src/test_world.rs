//! The application layer over the in-memory adapters, with faults to inject: an audit log that
//! refuses one action, a unit of work whose commits fail, a blob store whose deletes fail.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::any::Any;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

use bytes::Bytes;
use plinth_audit::testing::MemoryAuditLog;
use plinth_audit::{AuditAction, AuditFilter, AuditLog, StoredEntry};
use plinth_files::FileShareRepository as _;
use plinth_files::testing::{MemoryBlobStore, MemoryFileRepository};
use plinth_files::{
    BlobError, BlobKey, BlobListing, BlobStore, ByteRange, ByteStream, FileLimits, FileObject,
    FilePolicy, FilePorts, FileService, SharePermission, UploadInput, Viewer,
};
use plinth_kernel::testing::{ManualClock, MemoryUnitOfWork};
use plinth_kernel::{
    Clock, Email, Page, PageRequest, RepoError, RequestMeta, Timestamp, Transaction, UnitOfWork,
    UserId,
};
use plinth_sessions::testing::{FakeTokenSigner, MemorySessionRepository};
use plinth_sessions::{AuthService, Principal, RegisterInput, TokenLifetimes};
use plinth_users::testing::{FakePasswordHasher, MemoryRoleRepository, MemoryUserRepository};
use plinth_users::{
    AvatarKeyRepository as _, PasswordPolicy, RoleName, UserChanges, UserRepository as _,
    UserService,
};

use crate::accounts::{Accounts, AccountsParts};
use crate::bridges::{OrgMemberships, UserAvatarReferences, UserViewers};
use crate::sharing::Sharing;

pub(crate) const PASSWORD: &str = "correct horse battery staple";

pub(crate) fn meta() -> RequestMeta {
    RequestMeta::default()
}

/// An audit log that refuses to append one action while told to (a fault between the steps
/// of an erasure: the files are already deleted in the transaction when `user.deleted` fails).
#[derive(Clone)]
struct FaultyAudit {
    inner: MemoryAuditLog,
    refuse: Arc<Mutex<Option<AuditAction>>>,
}

#[async_trait::async_trait]
impl AuditLog for FaultyAudit {
    async fn append(
        &self,
        tx: &mut dyn Transaction,
        event: &plinth_audit::AuditEvent,
    ) -> Result<(), RepoError> {
        let refused = *self.refuse.lock().unwrap_or_else(PoisonError::into_inner);
        if refused == Some(event.action) {
            return Err(RepoError::internal("injected audit failure"));
        }
        self.inner.append(tx, event).await
    }

    async fn list_rows(
        &self,
        filter: &AuditFilter,
        page: PageRequest,
    ) -> Result<Page<StoredEntry>, RepoError> {
        self.inner.list_rows(filter, page).await
    }

    async fn chain_page(
        &self,
        after_seq: Option<u64>,
        limit: u32,
    ) -> Result<Vec<StoredEntry>, RepoError> {
        self.inner.chain_page(after_seq, limit).await
    }
}

/// A unit of work whose commits fail while told to (the transaction is then rolled back).
#[derive(Clone)]
struct FaultyUow {
    inner: MemoryUnitOfWork,
    fail_commit: Arc<AtomicBool>,
}

struct FaultyTx {
    inner: Box<dyn Transaction>,
    fail: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl Transaction for FaultyTx {
    async fn commit(self: Box<Self>) -> Result<(), RepoError> {
        if self.fail.load(Ordering::SeqCst) {
            return Err(RepoError::internal("injected commit failure"));
        }
        self.inner.commit().await
    }

    fn as_any_mut(&mut self) -> &mut dyn Any {
        self.inner.as_any_mut()
    }
}

#[async_trait::async_trait]
impl UnitOfWork for FaultyUow {
    async fn begin(&self) -> Result<Box<dyn Transaction>, RepoError> {
        Ok(Box::new(FaultyTx {
            inner: self.inner.begin().await?,
            fail: Arc::clone(&self.fail_commit),
        }))
    }
}

/// A blob store whose deletes fail while told to (the store is down after the commit).
struct FaultyBlobs {
    inner: MemoryBlobStore,
    refuse_deletes: Arc<AtomicBool>,
}

#[async_trait::async_trait]
impl BlobStore for FaultyBlobs {
    async fn put(&self, key: &BlobKey, body: ByteStream) -> Result<u64, BlobError> {
        self.inner.put(key, body).await
    }

    async fn get(&self, key: &BlobKey, range: Option<ByteRange>) -> Result<ByteStream, BlobError> {
        self.inner.get(key, range).await
    }

    async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        if self.refuse_deletes.load(Ordering::SeqCst) {
            return Err(BlobError::Unavailable("injected outage".into()));
        }
        self.inner.delete(key).await
    }

    async fn exists(&self, key: &BlobKey) -> Result<bool, BlobError> {
        self.inner.exists(key).await
    }

    fn list(&self, prefix: &str) -> BlobListing {
        self.inner.list(prefix)
    }

    async fn sweep_partial_uploads(&self, before: Timestamp) -> Result<u64, BlobError> {
        self.inner.sweep_partial_uploads(before).await
    }

    async fn check(&self) -> Result<(), BlobError> {
        self.inner.check().await
    }
}

pub(crate) struct World {
    pub(crate) accounts: Accounts,
    pub(crate) sharing: Sharing,
    pub(crate) auth: AuthService,
    pub(crate) files: FileService,
    pub(crate) users: MemoryUserRepository,
    pub(crate) file_rows: MemoryFileRepository,
    pub(crate) blobs: MemoryBlobStore,
    pub(crate) audit: MemoryAuditLog,
    pub(crate) refuse: Arc<Mutex<Option<AuditAction>>>,
    pub(crate) fail_commit: Arc<AtomicBool>,
    pub(crate) refuse_blob_deletes: Arc<AtomicBool>,
    pub(crate) uow: Arc<dyn UnitOfWork>,
    pub(crate) clock: ManualClock,
}

/// One account with two files (one with two versions), a share of one of them with another
/// address, a share of someone else's file with the account's address, and an avatar.
pub(crate) struct Owner {
    pub(crate) principal: Principal,
    pub(crate) email: Email,
    pub(crate) files: Vec<FileObject>,
    pub(crate) blobs: Vec<BlobKey>,
    pub(crate) avatar: BlobKey,
    pub(crate) shared_with_owner: FileObject,
}

impl World {
    pub(crate) fn new() -> Self {
        let clock = ManualClock::default();
        let clock_port: Arc<dyn Clock> = Arc::new(clock.clone());
        let audit = MemoryAuditLog::new();
        let refuse = Arc::new(Mutex::new(None));
        let audit_port: Arc<dyn AuditLog> = Arc::new(FaultyAudit {
            inner: audit.clone(),
            refuse: Arc::clone(&refuse),
        });
        let fail_commit = Arc::new(AtomicBool::new(false));
        let uow: Arc<dyn UnitOfWork> = Arc::new(FaultyUow {
            inner: MemoryUnitOfWork::new(),
            fail_commit: Arc::clone(&fail_commit),
        });
        let roles = MemoryRoleRepository::new();
        let users = MemoryUserRepository::with_roles(roles.clone());
        let session_rows: Arc<dyn plinth_sessions::SessionStorage> =
            Arc::new(MemorySessionRepository::new());
        let auth = AuthService::new(
            plinth_sessions::AuthPorts {
                users: Arc::new(users.clone()),
                roles: Arc::new(roles.clone()),
                sessions: Arc::clone(&session_rows),
                hasher: Arc::new(FakePasswordHasher::new()),
                signer: Arc::new(FakeTokenSigner::with_clock(Arc::clone(&clock_port))),
                audit: Arc::clone(&audit_port),
                uow: Arc::clone(&uow),
                clock: Arc::clone(&clock_port),
                mail: plinth_sessions::RecoveryMail::new(
                    Arc::new(plinth_sessions::testing::MemoryMailer::new()),
                    "https://app.example",
                ),
                sealer: Arc::new(plinth_sessions::testing::FakeSealer::new()),
            },
            PasswordPolicy::default(),
            TokenLifetimes::default(),
        );
        let file_rows = MemoryFileRepository::new();
        let blobs = MemoryBlobStore::new().with_clock(Arc::clone(&clock_port));
        let refuse_blob_deletes = Arc::new(AtomicBool::new(false));
        let user_service = UserService::new(
            Arc::new(users.clone()),
            Arc::new(FakePasswordHasher::new()),
            Arc::clone(&audit_port),
            Arc::clone(&uow),
            Arc::clone(&clock_port),
            PasswordPolicy::default(),
        );
        let org_service = plinth_orgs::OrganizationService::new(
            plinth_orgs::OrgPorts {
                orgs: Arc::new(plinth_orgs::testing::MemoryOrgStorage::new()),
                audit: Arc::clone(&audit_port),
                uow: Arc::clone(&uow),
                clock: Arc::clone(&clock_port),
                mailer: Arc::new(plinth_orgs::testing::MemoryInvitationMailer::new()),
                emails: Arc::new(plinth_orgs::testing::MemoryVerifiedEmails::new()),
                revoker: Arc::new(plinth_orgs::testing::MemoryTokenRevoker::new()),
            },
            plinth_orgs::InvitationPolicy::new("http://localhost"),
        );
        // The accounts behind callers and the avatars they show come from the user service,
        // as in production, and their organization standing from the organization service.
        let files = FileService::new(
            FilePorts {
                viewers: Arc::new(UserViewers {
                    users: user_service.clone(),
                    orgs: OrgMemberships(org_service.clone()),
                }),
                avatar_references: Arc::new(UserAvatarReferences(user_service.clone())),
                ..FilePorts::with_fakes(
                    Arc::new(file_rows.clone()),
                    Arc::new(FaultyBlobs {
                        inner: blobs.clone(),
                        refuse_deletes: Arc::clone(&refuse_blob_deletes),
                    }),
                    Arc::clone(&audit_port),
                    Arc::clone(&uow),
                    Arc::clone(&clock_port),
                )
            },
            FilePolicy {
                limits: FileLimits {
                    max_upload_bytes: 1 << 20,
                    allowed_extensions: ["txt".to_owned()].into_iter().collect(),
                },
                public_url: "https://app.example".to_owned(),
                max_avatar_bytes: plinth_files::DEFAULT_MAX_AVATAR_BYTES,
            },
        );
        // No organization subscribes here: subscriptions only need to be there for erasure.
        let subscriptions = plinth_billing::SubscriptionService::new(
            Arc::new(plinth_billing::testing::MemoryBillingRepository::new()),
            Arc::new(plinth_billing::testing::MemorySubscriptionRepository::new()),
            Arc::new(plinth_billing::subscription::NoInvoices),
            Arc::new(OrgMemberships(org_service.clone())),
            Arc::clone(&audit_port),
            Arc::clone(&uow),
            Arc::clone(&clock_port),
            std::collections::BTreeMap::new(),
        );
        let invoices = plinth_billing::InvoiceService::new(
            Arc::new(plinth_billing::testing::MemoryInvoiceRepository::new()),
            Arc::new(plinth_billing::testing::MemoryCustomerDirectory::new()),
            Arc::new(plinth_billing::testing::TextInvoiceRenderer),
            subscriptions.clone(),
            Arc::clone(&audit_port),
            Arc::clone(&uow),
            Arc::clone(&clock_port),
        );
        Self {
            sharing: Sharing::new(user_service.clone(), files.clone()),
            accounts: Accounts::new(AccountsParts {
                auth: auth.clone(),
                admin: plinth_sessions::AccountAdminService::new(
                    Arc::new(users.clone()),
                    Arc::new(roles.clone()),
                    Arc::clone(&session_rows),
                    Arc::clone(&audit_port),
                    Arc::clone(&uow),
                    Arc::clone(&clock_port),
                ),
                users: user_service,
                files: files.clone(),
                orgs: org_service,
                subscriptions,
                invoices,
                audit: audit_port,
                uow: Arc::clone(&uow),
                clock: clock_port,
            }),
            auth,
            files,
            users,
            file_rows,
            blobs,
            audit,
            refuse,
            fail_commit,
            refuse_blob_deletes,
            uow,
            clock,
        }
    }

    pub(crate) async fn sign_up(&self, email: &str, role: RoleName) -> Principal {
        let pair = self
            .auth
            .register(
                RegisterInput {
                    email: email.to_owned(),
                    password: PASSWORD.to_owned(),
                    name: "Someone".to_owned(),
                    locale: None,
                },
                &meta(),
            )
            .await
            .unwrap();
        let changes = UserChanges {
            role: Some(role),
            email_verified: Some(true),
            ..UserChanges::default()
        };
        let mut tx = self.uow.begin().await.unwrap();
        self.users
            .change(tx.as_mut(), pair.user.id, &changes, self.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let pair = self
            .auth
            .refresh(&pair.refresh_token, &meta())
            .await
            .unwrap();
        self.auth.authenticate(&pair.access_token).unwrap()
    }

    pub(crate) async fn upload(
        &self,
        owner: UserId,
        name: &str,
        content: &'static str,
    ) -> FileObject {
        let body: ByteStream = Box::pin(futures::stream::once(async move {
            Ok(Bytes::from_static(content.as_bytes()))
        }));
        self.files
            .upload(
                &plinth_kernel::Caller::new(owner, Vec::new()),
                UploadInput {
                    file_name: name.to_owned(),
                    body,
                },
                &meta(),
            )
            .await
            .unwrap()
    }

    pub(crate) async fn viewer(&self, id: UserId) -> Viewer {
        self.files
            .viewer(&plinth_kernel::Caller::new(id, Vec::new()))
            .await
            .unwrap()
    }

    pub(crate) async fn owner_with_everything(&self, email: &str, role: RoleName) -> Owner {
        let principal = self.sign_up(email, role).await;
        let id = principal.user_id;
        let first = self.upload(id, "first.txt", "first").await;
        let body: ByteStream = Box::pin(futures::stream::once(async {
            Ok(Bytes::from_static(b"first, again"))
        }));
        let first = self
            .files
            .upload_version_for(
                &self.viewer(id).await,
                first.id,
                UploadInput {
                    file_name: "first.txt".to_owned(),
                    body,
                },
                &meta(),
            )
            .await
            .unwrap();
        let second = self.upload(id, "second.txt", "second").await;
        let owner = self.viewer(id).await;
        self.files
            .share(
                &owner,
                second.id,
                Email::parse("friend@example.com").unwrap(),
                SharePermission::View,
                &meta(),
            )
            .await
            .unwrap();
        let other = self
            .sign_up(&format!("other-{email}"), RoleName::user())
            .await;
        let theirs = self.upload(other.user_id, "theirs.txt", "theirs").await;
        self.files
            .share(
                &self.viewer(other.user_id).await,
                theirs.id,
                owner.email.clone(),
                SharePermission::View,
                &meta(),
            )
            .await
            .unwrap();
        let avatar = BlobKey("avatars/face.png".to_owned());
        self.blobs
            .put(
                &avatar,
                Box::pin(futures::stream::once(async {
                    Ok(Bytes::from_static(b"png"))
                })),
            )
            .await
            .unwrap();
        let mut tx = self.uow.begin().await.unwrap();
        self.users
            .set_avatar_key(tx.as_mut(), id, Some(&avatar.0), self.clock.now())
            .await
            .unwrap();
        tx.commit().await.unwrap();
        let mut blobs: Vec<BlobKey> = self
            .file_rows
            .all_versions()
            .into_iter()
            .filter(|v| v.file_id == first.id || v.file_id == second.id)
            .map(|v| v.storage_key)
            .collect();
        blobs.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            blobs.len(),
            3,
            "two versions of the first file, one of the second"
        );
        Owner {
            principal,
            email: owner.email,
            files: vec![first, second],
            blobs,
            avatar,
            shared_with_owner: theirs,
        }
    }

    pub(crate) async fn audit_events(&self) -> Vec<plinth_audit::AuditEvent> {
        self.audit
            .list(&AuditFilter::default(), PageRequest::first(100))
            .await
            .unwrap()
            .items
    }

    pub(crate) async fn audit_count(&self) -> usize {
        self.audit_events().await.len()
    }

    /// Everything of `owner` is still there, as before the failed erasure.
    pub(crate) async fn untouched(&self, owner: &Owner, audit_before: usize) {
        let id = owner.principal.user_id;
        assert!(
            self.users.by_id(id).await.unwrap().is_some(),
            "the account is kept"
        );
        for file in &owner.files {
            assert_eq!(
                self.file_rows
                    .all()
                    .into_iter()
                    .find(|f| f.id == file.id)
                    .as_ref(),
                Some(file),
                "its file {} is kept",
                file.name
            );
        }
        let versions = self
            .file_rows
            .all_versions()
            .into_iter()
            .filter(|v| v.file_id == owner.files[0].id)
            .count();
        assert_eq!(versions, 2, "with every version");
        for key in owner.blobs.iter().chain([&owner.avatar]) {
            assert!(self.blobs.bytes(key).is_some(), "{key:?} is kept");
        }
        let shared = self
            .files
            .shares_for(&self.viewer(id).await, owner.files[1].id)
            .await
            .unwrap();
        assert_eq!(shared.len(), 1, "its share is kept");
        let theirs = self
            .files
            .get_for(&self.viewer(id).await, owner.shared_with_owner.id)
            .await;
        assert!(
            theirs.is_ok(),
            "what was shared with it still is: {theirs:?}"
        );
        assert_eq!(
            self.audit_count().await,
            audit_before,
            "no audit entry of the failed erasure is kept"
        );
    }

    /// `owner` is gone with every file, version, share and blob; the shares with its address
    /// too when `shares_end`.
    pub(crate) async fn erased(&self, owner: &Owner, shares_end: bool) {
        let id = owner.principal.user_id;
        assert!(
            self.users.by_id(id).await.unwrap().is_none(),
            "account gone"
        );
        assert!(
            self.file_rows.all().iter().all(|f| f.owner_id != id),
            "no file of the account is left"
        );
        assert!(
            self.file_rows
                .all_versions()
                .iter()
                .all(|v| !owner.files.iter().any(|f| f.id == v.file_id)),
            "no version is left"
        );
        for key in owner.blobs.iter().chain([&owner.avatar]) {
            assert!(self.blobs.bytes(key).is_none(), "{key:?} is removed");
        }
        let others = self.file_rows.all();
        assert!(
            others.iter().any(|f| f.id == owner.shared_with_owner.id),
            "someone else's file shared with the account stays"
        );
        let share = self
            .file_rows
            .share_of(owner.shared_with_owner.id, &owner.email)
            .await
            .unwrap();
        assert_eq!(
            share.is_none(),
            shares_end,
            "the share with the account's address ended (or stays): {share:?}"
        );
    }
}
