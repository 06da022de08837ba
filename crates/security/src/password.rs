//! [`BcryptHasher`]: bcrypt over a keyed pre-hash, so every byte of a long password counts.

use std::fmt;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use hmac::{Hmac, Mac};
use plinth_users::{HashError, Password, PasswordHash, PasswordHasher};
use sha2::Sha256;
use tokio::sync::{OnceCell, Semaphore};

/// The fixed HMAC-SHA256 key under which passwords are pre-hashed before bcrypt. It is not a
/// secret: it separates this use of SHA-256 from any other (so a leaked unsalted hash from
/// elsewhere cannot be "shucked" against our bcrypt hashes) and versions the scheme. Changing it
/// invalidates every stored password hash.
pub const PREHASH_KEY: &[u8] = b"plinth/password-prehash/v1";

/// The password the dummy hash is made from; never accepted for any account because no
/// account's hash is the dummy.
const DUMMY_PASSWORD: &str = "plinth dummy password for timing equalisation";

/// bcrypt (cost from `BCRYPT_COST`) over `base64(HMAC-SHA256(PREHASH_KEY, password))`.
///
/// bcrypt reads at most 72 bytes and stops at a NUL byte; the pre-hash turns a password of any
/// length into 44 printable ASCII bytes that depend on every byte of it, so two passwords that
/// share their first 72 bytes still hash differently, and nothing is silently truncated. Hashes
/// are standard `$2b$` strings. All bcrypt work runs on tokio's blocking pool, never on the
/// async executor, and never more of it at once than there are cores. Clones share the lazily
/// computed dummy hash used by [`PasswordHasher::verify_dummy`].
#[derive(Clone)]
pub struct BcryptHasher {
    cost: u32,
    dummy: Arc<OnceCell<String>>,
}

impl BcryptHasher {
    /// A hasher with this bcrypt work factor (4–31; 12 in production). A cost outside that range
    /// makes every call fail with [`HashError`].
    #[must_use]
    pub fn new(cost: u32) -> Self {
        Self {
            cost,
            dummy: Arc::new(OnceCell::new()),
        }
    }

    /// The bcrypt work factor.
    #[must_use]
    pub const fn cost(&self) -> u32 {
        self.cost
    }

    /// The dummy hash, computed once (same cost as real hashes) on first use.
    async fn dummy_hash(&self) -> Result<&str, HashError> {
        let cost = self.cost;
        self.dummy
            .get_or_try_init(|| blocking(move || bcrypt_hash(DUMMY_PASSWORD, cost)))
            .await
            .map(String::as_str)
    }
}

impl fmt::Debug for BcryptHasher {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("BcryptHasher")
            .field("cost", &self.cost)
            .finish_non_exhaustive()
    }
}

/// `base64(HMAC-SHA256(PREHASH_KEY, password))`: 44 ASCII bytes, no NUL.
fn prehash(password: &str) -> String {
    // HMAC accepts keys of any length, so this cannot fail.
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(PREHASH_KEY)
        .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
    mac.update(password.as_bytes());
    STANDARD.encode(mac.finalize().into_bytes())
}

fn bcrypt_hash(password: &str, cost: u32) -> Result<String, HashError> {
    bcrypt::non_truncating_hash(prehash(password), cost).map_err(|e| match e {
        bcrypt::BcryptError::CostNotAllowed(c) => {
            HashError(format!("bcrypt cost {c} is outside 4-31"))
        }
        _ => HashError("bcrypt hashing failed".into()),
    })
}

fn bcrypt_verify(candidate: &str, hash: &str) -> Result<bool, HashError> {
    bcrypt::non_truncating_verify(prehash(candidate), hash).map_err(|e| match e {
        bcrypt::BcryptError::InvalidHash(_) | bcrypt::BcryptError::CostNotAllowed(_) => {
            HashError("stored password hash is malformed".into())
        }
        _ => HashError("bcrypt verification failed".into()),
    })
}

static QUEUED: AtomicUsize = AtomicUsize::new(0);
static RUNNING: AtomicUsize = AtomicUsize::new(0);

/// How many password hashes (and verifications) are waiting for a core (one runs per core at
/// most) and how many are running, across the whole process: the bcrypt queue depth `/metrics`
/// shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct HashingLoad {
    /// Submitted, not started yet.
    pub queued: usize,
    /// On a blocking-pool thread now.
    pub running: usize,
}

/// The current [`HashingLoad`].
#[must_use]
pub fn hashing_load() -> HashingLoad {
    HashingLoad {
        queued: QUEUED.load(Ordering::Relaxed),
        running: RUNNING.load(Ordering::Relaxed),
    }
}

/// Decrements `RUNNING` when the work ends, even by a panic.
struct Running;

impl Drop for Running {
    fn drop(&mut self) {
        RUNNING.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Decrements `QUEUED` once the work starts, or when the caller gives up waiting.
struct Queued;

impl Drop for Queued {
    fn drop(&mut self) {
        QUEUED.fetch_sub(1, Ordering::Relaxed);
    }
}

/// At most one hash per core runs at a time: more would not finish sooner (bcrypt is pure CPU)
/// but would crowd out the async workers, so every other request (`/health` included) would
/// wait behind a login storm. The rest wait here, asynchronously, counted in `queued`.
fn permits() -> &'static Semaphore {
    static PERMITS: OnceLock<Semaphore> = OnceLock::new();
    PERMITS.get_or_init(|| {
        Semaphore::new(std::thread::available_parallelism().map_or(1, std::num::NonZero::get))
    })
}

/// Runs CPU-heavy work on the blocking pool, one job per core at most, counted in
/// [`hashing_load`].
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, HashError> + Send + 'static,
) -> Result<T, HashError> {
    QUEUED.fetch_add(1, Ordering::Relaxed);
    let queued = Queued;
    let permit = permits()
        .acquire()
        .await
        .map_err(|_| HashError("password hashing is shut down".into()))?;
    tokio::task::spawn_blocking(move || {
        // Declared first, dropped last: the count falls before the next job may start.
        let _permit = permit;
        drop(queued);
        RUNNING.fetch_add(1, Ordering::Relaxed);
        let _running = Running;
        work()
    })
    .await
    .map_err(|_| HashError("password hashing task did not complete".into()))?
}

#[async_trait::async_trait]
impl PasswordHasher for BcryptHasher {
    async fn hash(&self, password: &Password) -> Result<PasswordHash, HashError> {
        let (raw, cost) = (password.expose().to_owned(), self.cost);
        blocking(move || bcrypt_hash(&raw, cost))
            .await
            .map(PasswordHash)
    }

    async fn verify(&self, candidate: &str, hash: &PasswordHash) -> Result<bool, HashError> {
        let (candidate, hash) = (candidate.to_owned(), hash.0.clone());
        blocking(move || bcrypt_verify(&candidate, &hash)).await
    }

    async fn verify_dummy(&self, candidate: &str) -> Result<(), HashError> {
        let (candidate, hash) = (candidate.to_owned(), self.dummy_hash().await?.to_owned());
        blocking(move || bcrypt_verify(&candidate, &hash))
            .await
            .map(|_| ())
    }
}

#[cfg(test)]
mod tests;
