//! [`Services::wire`]: the one place every service is built from its ports. The `plinth`
//! binary hands it the SQL, blob, bcrypt, JWT and Stripe adapters; the HTTP tests and
//! `docs/reuse.md` hand it the in-memory ones. Whatever differs between them is a port or a
//! policy, never the composition.

use std::collections::BTreeMap;
use std::sync::Arc;

use plinth_audit::{AuditLog, AuditTrail};
use plinth_billing::payment::PaymentEventInbox;
use plinth_billing::{
    BillingJobs, BillingRepository, CustomerDirectory, FeatureValue, GatewaySetup, InvoiceRenderer,
    InvoiceRepository, InvoiceService, InvoiceStorage, PaymentService, PlanPriceRepository,
    PlanService, SubscriptionInvoicer, SubscriptionService, SubscriptionStorage, WebhookSetup,
};
use plinth_events::{EventHub, EventOutbox, HubSettings, OutboxedAuditLog};
use plinth_files::{
    BlobStore, FileLimits, FilePolicy, FilePorts, FileService, FileStorage, UrlSigner,
};
use plinth_kernel::{Clock, UnitOfWork};
use plinth_orgs::{InvitationPolicy, OrgPorts, OrgStorage, OrganizationService};
use plinth_sessions::{
    AccountAdminService, AuthService, LockoutPolicy, Mailer, PasswordlessPolicy, RecoveryMail,
    RefreshReuse, SecretSealer, SessionStorage, TokenLifetimes, TokenSigner,
};
use plinth_users::{
    AnnouncementRepository, AnnouncementService, PasswordHasher, PasswordPolicy, RoleRepository,
    UserRepository, UserService, UserStorage,
};

use crate::bridges::{
    BillingStorageQuota, InvitationMail, OrgMemberships, SessionRevocations, UserAvatarReferences,
    UserEmails, UserViewers,
};
use crate::{Accounts, AccountsParts, Organizations, Sharing, Statistics};

/// Every adapter the services need.
pub struct Ports {
    /// Accounts, their avatar keys and app data.
    pub users: Arc<dyn UserStorage>,
    /// Roles and their permissions.
    pub roles: Arc<dyn RoleRepository>,
    /// Sessions, refresh tokens, lockout, one-time tokens, TOTP, revocations.
    pub sessions: Arc<dyn SessionStorage>,
    /// Announcements.
    pub announcements: Arc<dyn AnnouncementRepository>,
    /// Organizations, their members and custom roles.
    pub orgs: Arc<dyn OrgStorage>,
    /// File metadata.
    pub files: Arc<dyn FileStorage>,
    /// File and avatar bytes.
    pub blobs: Arc<dyn BlobStore>,
    /// Plans and their prices.
    pub plans: Arc<dyn BillingRepository>,
    /// Subscriptions and renewals, pending items, plan price versions, period invoices.
    pub subscriptions: Arc<dyn SubscriptionStorage>,
    /// Invoices, their listings and sums.
    pub invoices: Arc<dyn InvoiceStorage>,
    /// Who invoices are addressed to.
    pub customers: Arc<dyn CustomerDirectory>,
    /// Payment-provider events already handled.
    pub payment_events: Arc<dyn PaymentEventInbox>,
    /// Invoice documents (PDF).
    pub invoice_renderer: Arc<dyn InvoiceRenderer>,
    /// The payment provider, when one is configured.
    pub payment_gateway: GatewaySetup,
    /// The payment provider's webhook signatures, when configured.
    pub payment_webhooks: WebhookSetup,
    /// Password hashing.
    pub hasher: Arc<dyn PasswordHasher>,
    /// Access tokens.
    pub token_signer: Arc<dyn TokenSigner>,
    /// TOTP secrets at rest.
    pub sealer: Arc<dyn SecretSealer>,
    /// Recovery and verification mail.
    pub mailer: Arc<dyn Mailer>,
    /// Signed download links.
    pub url_signer: Arc<dyn UrlSigner>,
    /// The audit trail every service appends to.
    pub audit: Arc<dyn AuditLog>,
    /// The outbox of domain events, written in the transactions of the changes (every audit
    /// entry that implies an event writes it, see [`plinth_events::OutboxedAuditLog`]).
    pub events: Arc<dyn EventOutbox>,
    /// Transactions over every repository above.
    pub uow: Arc<dyn UnitOfWork>,
    /// "Now".
    pub clock: Arc<dyn Clock>,
}

/// The settings the services are built with.
pub struct Policies {
    /// What a password must be.
    pub password: PasswordPolicy,
    /// Access, refresh and idle lifetimes.
    pub lifetimes: TokenLifetimes,
    /// How a spent refresh token presented again is treated.
    pub refresh_reuse: RefreshReuse,
    /// When repeated wrong passwords lock an account.
    pub lockout: LockoutPolicy,
    /// Passwordless sign-in: lifetime, sign-up, the code key.
    pub passwordless: PasswordlessPolicy,
    /// The start of the links the services hand out (mail, signed URLs).
    pub public_url: String,
    /// Upload limits.
    pub file_limits: FileLimits,
    /// The largest avatar image.
    pub max_avatar_bytes: u64,
    /// Days a period invoice is due after it is issued.
    pub invoice_due_days: u32,
    /// How long an overdue invoice waits before it is written off.
    pub uncollectible_after: chrono::Duration,
    /// The features of an account without a subscription (`storage_bytes`…).
    pub default_features: BTreeMap<String, FeatureValue>,
    /// How the realtime hub polls the outbox and keeps streams alive.
    pub events: HubSettings,
}

/// Every service, built once by [`Services::wire`].
#[derive(Clone)]
pub struct Services {
    /// Erasing, exporting an account; its avatar.
    pub accounts: Accounts,
    /// Deleting an organization with its files.
    pub organizations: Organizations,
    /// Sharing files with addresses.
    pub sharing: Sharing,
    /// The service statistics.
    pub statistics: Statistics,
    /// Reading and verifying the audit trail.
    pub audit_trail: AuditTrail,
    /// Sign-up, sign-in, refresh, logout, MFA, recovery.
    pub auth: AuthService,
    /// Administrators changing accounts, custom roles, the account steps of an erasure.
    pub account_admin: AccountAdminService,
    /// Profiles, app data, the admin user list, the super-admin bootstrap.
    pub users: UserService,
    /// Announcements.
    pub announcements: AnnouncementService,
    /// Organizations, their members and roles.
    pub orgs: OrganizationService,
    /// Uploads, downloads, versions, shares and signed URLs.
    pub files: FileService,
    /// Plans and their price versions.
    pub plans: PlanService,
    /// Subscriptions, renewals and entitlements.
    pub subscriptions: SubscriptionService,
    /// Invoices.
    pub invoices: InvoiceService,
    /// Invoice payments, the provider's webhook, revenue.
    pub payments: PaymentService,
    /// The scheduled billing work (write-offs, `past_due`, renewals).
    pub billing_jobs: BillingJobs,
    /// The realtime fan-out of committed events (its poller is started by the embedding
    /// program: [`EventHub::run_poller`]).
    pub events: EventHub,
    /// The clock every service reads.
    pub clock: Arc<dyn Clock>,
}

impl Services {
    /// Builds every service from `ports` with `policies`.
    #[must_use]
    pub fn wire(ports: Ports, policies: Policies) -> Self {
        let Ports {
            users,
            roles,
            sessions,
            announcements,
            orgs,
            files,
            blobs,
            plans,
            subscriptions,
            invoices,
            customers,
            payment_events,
            invoice_renderer,
            payment_gateway,
            payment_webhooks,
            hasher,
            token_signer,
            sealer,
            mailer,
            url_signer,
            audit,
            events,
            uow,
            clock,
        } = ports;
        // Every audited change that clients care about writes its event in its transaction.
        let audit: Arc<dyn AuditLog> = Arc::new(OutboxedAuditLog::new(audit, Arc::clone(&events)));
        let user_service = UserService::new(
            Arc::clone(&users),
            Arc::clone(&hasher),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
            policies.password,
        )
        .with_events(Arc::clone(&events));
        let org_service = OrganizationService::new(
            OrgPorts {
                orgs,
                audit: Arc::clone(&audit),
                uow: Arc::clone(&uow),
                clock: Arc::clone(&clock),
                mailer: Arc::new(InvitationMail(Arc::clone(&mailer))),
                emails: Arc::new(UserEmails(user_service.clone())),
                revoker: Arc::new(SessionRevocations(Arc::clone(&sessions))),
            },
            InvitationPolicy::new(policies.public_url.clone()),
        );
        let auth = AuthService::new(
            plinth_sessions::AuthPorts {
                users: Arc::clone(&users) as Arc<dyn UserRepository>,
                roles: Arc::clone(&roles),
                sessions: Arc::clone(&sessions),
                hasher: Arc::clone(&hasher),
                signer: token_signer,
                audit: Arc::clone(&audit),
                uow: Arc::clone(&uow),
                clock: Arc::clone(&clock),
                mail: RecoveryMail::new(Arc::clone(&mailer), policies.public_url.clone()),
                sealer,
            },
            policies.password,
            policies.lifetimes,
        )
        .with_refresh_reuse(policies.refresh_reuse)
        .with_lockout(policies.lockout)
        .with_passwordless(policies.passwordless)
        .with_org_access(Arc::new(OrgMemberships(org_service.clone())));
        let account_admin = AccountAdminService::new(
            Arc::clone(&users) as Arc<dyn UserRepository>,
            roles,
            sessions,
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let announcement_service = AnnouncementService::new(
            announcements,
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let plan_service = PlanService::new(
            Arc::clone(&plans),
            Arc::clone(&subscriptions) as Arc<dyn PlanPriceRepository>,
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        // Every paid period (subscribe, trial end, renewal) gets its finalised invoice in the
        // transaction that starts the period.
        let invoicer = SubscriptionInvoicer::new(
            Arc::clone(&invoices) as Arc<dyn InvoiceRepository>,
            Arc::clone(&customers),
            Arc::clone(&subscriptions),
            Arc::clone(&audit),
        )
        .with_due_in_days(policies.invoice_due_days);
        let subscription_service = SubscriptionService::new(
            plans,
            subscriptions,
            Arc::new(invoicer),
            Arc::new(OrgMemberships(org_service.clone())),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
            policies.default_features,
        );
        let invoice_service = InvoiceService::new(
            invoices,
            customers,
            invoice_renderer,
            subscription_service.clone(),
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let payment_service = PaymentService::new(
            invoice_service.clone(),
            subscription_service.clone(),
            payment_events,
            payment_gateway,
            payment_webhooks,
            Arc::clone(&audit),
            Arc::clone(&uow),
            Arc::clone(&clock),
        );
        let billing_jobs = BillingJobs::new(invoice_service.clone(), subscription_service.clone())
            .with_uncollectible_after(policies.uncollectible_after);
        let file_service = FileService::new(
            FilePorts {
                files,
                blobs,
                audit: Arc::clone(&audit),
                uow: Arc::clone(&uow),
                clock: Arc::clone(&clock),
                quota: Arc::new(BillingStorageQuota(subscription_service.clone())),
                viewers: Arc::new(UserViewers {
                    users: user_service.clone(),
                    orgs: OrgMemberships(org_service.clone()),
                }),
                avatar_references: Arc::new(UserAvatarReferences(user_service.clone())),
                url_signer,
            },
            FilePolicy {
                limits: policies.file_limits,
                public_url: policies.public_url,
                max_avatar_bytes: policies.max_avatar_bytes,
            },
        );
        let hub = EventHub::new(
            events,
            Arc::new(OrgMemberships(org_service.clone())),
            policies.events,
        );
        Self {
            sharing: Sharing::new(user_service.clone(), file_service.clone()),
            statistics: Statistics::new(
                user_service.clone(),
                auth.clone(),
                file_service.clone(),
                payment_service.clone(),
                Arc::clone(&clock),
            ),
            audit_trail: AuditTrail::new(Arc::clone(&audit)),
            organizations: Organizations::new(
                org_service.clone(),
                file_service.clone(),
                subscription_service.clone(),
                Arc::clone(&uow),
            ),
            accounts: Accounts::new(AccountsParts {
                auth: auth.clone(),
                admin: account_admin.clone(),
                users: user_service.clone(),
                files: file_service.clone(),
                orgs: org_service.clone(),
                subscriptions: subscription_service.clone(),
                invoices: invoice_service.clone(),
                audit,
                uow,
                clock: Arc::clone(&clock),
            }),
            auth,
            account_admin,
            users: user_service,
            announcements: announcement_service,
            orgs: org_service,
            files: file_service,
            plans: plan_service,
            subscriptions: subscription_service,
            invoices: invoice_service,
            payments: payment_service,
            billing_jobs,
            events: hub,
            clock,
        }
    }
}
