//! The events domain: what happened in Plinth, who may see it, and how it leaves.
//!
//! - [`DomainEvent`]: one [`EventType`], the resource it concerns, a small `data` object and
//!   its [`Audience`] (a user, the members of an organization holding a permission, or every
//!   signed-in user).
//! - [`EventOutbox`]: the transactional outbox port. Events are appended **inside the
//!   transaction of the change they report** and get a position ([`EventId`]) one more than
//!   the newest committed event, so positions follow commit order without gaps.
//! - [`OutboxedAuditLog`]: the audit log wrapped so that every audited change clients care
//!   about is [`project`]ed into the outbox in the same transaction.
//! - [`EventHub`]: one poller per process reads newly committed events and fans them out to
//!   every open stream ([`EventStream`]), each of which re-checks visibility per event at
//!   delivery time through [`MemberPermissions`].

mod event;
mod hub;
mod outboxed;
mod ports;
mod projection;
mod visibility;

#[cfg(any(test, feature = "testing"))]
pub mod testing;

pub use event::{Audience, DomainEvent, EventId, EventType, MemberAudience, StoredEvent};
pub use hub::{EventHub, EventStream, HubSettings, StreamItem};
pub use outboxed::OutboxedAuditLog;
pub use ports::{EventOutbox, MemberPermissions, OutboxBounds};
pub use projection::project;
pub use visibility::Visibility;
