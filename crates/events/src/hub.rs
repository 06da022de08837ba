//! [`EventHub`]: one poller per process reads newly committed events from the outbox and fans
//! them out to every open [`EventStream`].
//!
//! Streams never trust the fan-out alone: a batch says which position it follows, and a stream
//! whose own position is behind that (it connected with an old `Last-Event-ID`, or fell so far
//! behind that the channel dropped batches) reads the outbox itself until it has caught up.
//! Since positions follow commit order without gaps (see [`EventOutbox::append`]), a stream
//! that has delivered up to `n` has missed nothing up to `n`; a gap can only be events purged
//! by retention, and is reported as [`StreamItem::Reload`].

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use plinth_kernel::{RepoError, UserId};
use tokio::sync::{broadcast, watch};

use crate::{EventId, EventOutbox, MemberPermissions, StoredEvent, Visibility};

/// How often the hub polls, how often idle streams hear a heartbeat, how many events one read
/// takes.
#[derive(Debug, Clone, Copy)]
pub struct HubSettings {
    /// The pause between two polls of the outbox (the delivery latency, at worst).
    pub poll_interval: Duration,
    /// How long an idle stream waits before a heartbeat.
    pub heartbeat: Duration,
    /// The most events read at once.
    pub batch: u32,
}

impl Default for HubSettings {
    fn default() -> Self {
        Self {
            poll_interval: Duration::from_millis(250),
            heartbeat: Duration::from_secs(15),
            batch: 500,
        }
    }
}

/// Events the poller read, following position `after` without a gap.
struct Batch {
    after: EventId,
    events: Vec<Arc<StoredEvent>>,
}

/// How many batches a slow stream may fall behind before it reads the outbox itself.
const CHANNEL_CAPACITY: usize = 1024;

struct Inner {
    outbox: Arc<dyn EventOutbox>,
    access: Arc<dyn MemberPermissions>,
    batches: broadcast::Sender<Arc<Batch>>,
    closing: watch::Sender<bool>,
    settings: HubSettings,
}

/// The fan-out of committed events to open streams. Cheap to clone.
#[derive(Clone)]
pub struct EventHub {
    inner: Arc<Inner>,
}

impl EventHub {
    /// A hub over `outbox`, checking organization standings with `access`.
    #[must_use]
    pub fn new(
        outbox: Arc<dyn EventOutbox>,
        access: Arc<dyn MemberPermissions>,
        settings: HubSettings,
    ) -> Self {
        let (batches, _) = broadcast::channel(CHANNEL_CAPACITY);
        let (closing, _) = watch::channel(false);
        Self {
            inner: Arc::new(Inner {
                outbox,
                access,
                batches,
                closing,
                settings,
            }),
        }
    }

    /// The settings it runs with.
    #[must_use]
    pub fn settings(&self) -> HubSettings {
        self.inner.settings
    }

    /// The outbox it reads.
    #[must_use]
    pub fn outbox(&self) -> &Arc<dyn EventOutbox> {
        &self.inner.outbox
    }

    /// How many streams are open.
    #[must_use]
    pub fn open_streams(&self) -> usize {
        self.inner.batches.receiver_count()
    }

    /// Polls the outbox every [`HubSettings::poll_interval`] and fans out what was committed
    /// since, forever (run it once per process, in a task of its own). Failures are logged
    /// and retried at the next poll.
    pub async fn run_poller(&self) {
        let settings = self.inner.settings;
        let mut cursor = loop {
            match self.inner.outbox.bounds().await {
                Ok(bounds) => break bounds.map_or(EventId(0), |b| b.newest),
                Err(error) => {
                    tracing::warn!(%error, "reading the event outbox failed");
                    tokio::time::sleep(settings.poll_interval).await;
                }
            }
        };
        // Streams opened before this poller read its starting point never hear of the events
        // up to it from the fan-out: this empty batch tells them to read those themselves.
        let _ = self.inner.batches.send(Arc::new(Batch {
            after: cursor,
            events: Vec::new(),
        }));
        loop {
            tokio::time::sleep(settings.poll_interval).await;
            cursor = self.poll_from(cursor).await;
        }
    }

    /// Reads and fans out everything committed after `cursor`; returns the new position.
    async fn poll_from(&self, mut cursor: EventId) -> EventId {
        let limit = self.inner.settings.batch.max(1);
        loop {
            match self.inner.outbox.after(cursor, limit).await {
                Ok(events) => {
                    let Some(last) = events.last().map(|e| e.id) else {
                        return cursor;
                    };
                    let full = events.len() >= limit as usize;
                    let batch = Batch {
                        after: cursor,
                        events: events.into_iter().map(Arc::new).collect(),
                    };
                    // No stream open: nobody to tell, which is fine.
                    let _ = self.inner.batches.send(Arc::new(batch));
                    cursor = last;
                    if !full {
                        return cursor;
                    }
                }
                Err(error) => {
                    tracing::warn!(%error, "polling the event outbox failed");
                    return cursor;
                }
            }
        }
    }

    /// Ends every open stream (at shutdown, so that draining does not wait for them).
    pub fn close(&self) {
        self.inner.closing.send_replace(true);
    }

    /// Opens a stream for `viewer`, resuming after `last_seen` (the client's `Last-Event-ID`)
    /// or starting with what is committed from now on. A `last_seen` the outbox no longer
    /// holds the events after (purged by retention), or never held, starts the stream with a
    /// [`StreamItem::Reload`].
    ///
    /// # Errors
    /// [`RepoError`] when the outbox cannot be read.
    pub async fn open(
        &self,
        viewer: UserId,
        last_seen: Option<EventId>,
    ) -> Result<EventStream, RepoError> {
        // Subscribe before reading the bounds: every batch after them is received.
        let batches = self.inner.batches.subscribe();
        let bounds = self.inner.outbox.bounds().await?;
        let newest = bounds.map_or(EventId(0), |b| b.newest);
        let mut pending = VecDeque::new();
        let (cursor, behind) = match (last_seen, bounds) {
            (None, _) => (newest, false),
            (Some(seen), _) if seen > newest => {
                pending.push_back(StreamItem::Reload { resume_at: newest });
                (newest, false)
            }
            (Some(seen), Some(b)) if seen.next() < b.oldest => {
                pending.push_back(StreamItem::Reload { resume_at: newest });
                (newest, false)
            }
            (Some(seen), _) => (seen, seen < newest),
        };
        Ok(EventStream {
            hub: self.clone(),
            viewer,
            cursor,
            behind,
            batches,
            closing: self.inner.closing.subscribe(),
            pending,
            quiet_since: tokio::time::Instant::now(),
        })
    }
}

/// What an open stream hands its client next.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamItem {
    /// An event the viewer may see.
    Event(Arc<StoredEvent>),
    /// Events the client has not seen are gone (retention) or its position is unknown: it
    /// should reload its state; the stream continues after `resume_at`.
    Reload {
        /// Where the stream continues from (the client's new `Last-Event-ID`).
        resume_at: EventId,
    },
    /// Nothing for [`HubSettings::heartbeat`]: every event up to `position` was considered
    /// (those the viewer may see were delivered), so a client may resume from there.
    Heartbeat {
        /// The stream's position.
        position: EventId,
    },
    /// The hub is closing (the server is stopping): end the stream.
    Closed,
}

/// One viewer's stream of the events they may see, in position order.
pub struct EventStream {
    hub: EventHub,
    viewer: UserId,
    cursor: EventId,
    /// Whether committed events past `cursor` may not have been fanned out to this stream.
    behind: bool,
    batches: broadcast::Receiver<Arc<Batch>>,
    closing: watch::Receiver<bool>,
    pending: VecDeque<StreamItem>,
    /// When the stream last handed out an item: a heartbeat is due one
    /// [`HubSettings::heartbeat`] later, however many invisible events went by meanwhile.
    quiet_since: tokio::time::Instant,
}

impl EventStream {
    /// The position of the last event considered.
    #[must_use]
    pub const fn position(&self) -> EventId {
        self.cursor
    }

    /// The next item: an event the viewer may see (visibility is checked now, not when the
    /// event was written), a reload, a heartbeat after an idle [`HubSettings::heartbeat`], or
    /// [`StreamItem::Closed`].
    ///
    /// # Errors
    /// [`RepoError`] when the outbox or a standing cannot be read; the stream should end (the
    /// client resumes from its last event).
    pub async fn next(&mut self) -> Result<StreamItem, RepoError> {
        let item = self.next_item().await;
        self.quiet_since = tokio::time::Instant::now();
        item
    }

    async fn next_item(&mut self) -> Result<StreamItem, RepoError> {
        let heartbeat_at = self.quiet_since + self.hub.inner.settings.heartbeat;
        loop {
            if let Some(item) = self.pending.pop_front() {
                return Ok(item);
            }
            if *self.closing.borrow() {
                return Ok(StreamItem::Closed);
            }
            if self.behind {
                self.catch_up().await?;
                continue;
            }
            let received = tokio::select! {
                received = self.batches.recv() => received,
                _ = self.closing.changed() => return Ok(StreamItem::Closed),
                () = tokio::time::sleep_until(heartbeat_at) => {
                    return Ok(StreamItem::Heartbeat { position: self.cursor });
                }
            };
            match received {
                Ok(batch) if batch.after > self.cursor => self.behind = true,
                Ok(batch) => {
                    let fresh: Vec<_> = batch
                        .events
                        .iter()
                        .filter(|e| e.id > self.cursor)
                        .cloned()
                        .collect();
                    self.deliver(fresh).await?;
                }
                Err(broadcast::error::RecvError::Lagged(_)) => self.behind = true,
                Err(broadcast::error::RecvError::Closed) => return Ok(StreamItem::Closed),
            }
        }
    }

    /// Reads the outbox after the stream's position.
    async fn catch_up(&mut self) -> Result<(), RepoError> {
        let limit = self.hub.inner.settings.batch.max(1);
        let events = self.hub.inner.outbox.after(self.cursor, limit).await?;
        self.behind = events.len() >= limit as usize;
        if events.first().is_some_and(|e| e.id > self.cursor.next()) {
            // Purged while this stream was behind: its client must reload.
            let newest = self
                .hub
                .inner
                .outbox
                .bounds()
                .await?
                .map_or(self.cursor, |b| b.newest);
            self.cursor = newest;
            self.behind = false;
            self.pending
                .push_back(StreamItem::Reload { resume_at: newest });
            return Ok(());
        }
        self.deliver(events.into_iter().map(Arc::new).collect())
            .await
    }

    /// Queues the events of `events` the viewer may see now, and moves past all of them.
    async fn deliver(&mut self, events: Vec<Arc<StoredEvent>>) -> Result<(), RepoError> {
        let access = Arc::clone(&self.hub.inner.access);
        let mut visibility = Visibility::new(self.viewer, access.as_ref());
        for event in events {
            if visibility.can_see(&event.event).await? {
                self.pending
                    .push_back(StreamItem::Event(Arc::clone(&event)));
            }
            self.cursor = event.id;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests;
