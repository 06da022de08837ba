use plinth_users::PasswordPolicy;

use super::*;

const COST: u32 = 4;

/// Deterministic, unguessable-looking text of `n` ASCII characters.
fn passphrase(n: usize, seed: u64) -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789-_!";
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            char::from(ALPHABET[((state >> 33) % ALPHABET.len() as u64) as usize])
        })
        .collect()
}

async fn hash_of(h: &BcryptHasher, raw: &str) -> PasswordHash {
    let password = Password::new(raw.to_owned(), &PasswordPolicy::default(), &[]).unwrap();
    h.hash(&password).await.unwrap()
}

#[tokio::test]
async fn passwords_sharing_their_first_72_bytes_are_different_passwords() {
    let h = BcryptHasher::new(COST);
    let common = passphrase(99, 7);
    let (a, b) = (format!("{common}a"), format!("{common}b"));
    assert_eq!((a.len(), b.len()), (100, 100));
    let hash_a = hash_of(&h, &a).await;
    assert!(h.verify(&a, &hash_a).await.unwrap());
    assert!(
        !h.verify(&b, &hash_a).await.unwrap(),
        "the 100th character must matter"
    );
    let hash_b = hash_of(&h, &b).await;
    assert!(!h.verify(&a, &hash_b).await.unwrap());
}

#[tokio::test]
async fn long_passwords_verify_in_full() {
    let h = BcryptHasher::new(COST);
    for n in [128, 1000] {
        let raw = passphrase(n, n as u64);
        let hash = hash_of(&h, &raw).await;
        assert!(
            h.verify(&raw, &hash).await.unwrap(),
            "{n} characters verify"
        );
        let mut shorter = raw.clone();
        shorter.pop();
        assert!(
            !h.verify(&shorter, &hash).await.unwrap(),
            "{n} characters minus the last do not"
        );
    }
}

#[tokio::test]
async fn wrong_password_is_false_and_hashes_are_salted_bcrypt() {
    let h = BcryptHasher::new(COST);
    let raw = passphrase(20, 1);
    let first = hash_of(&h, &raw).await;
    let second = hash_of(&h, &raw).await;
    assert!(
        first.0.starts_with("$2b$04$"),
        "a standard bcrypt string with the configured cost"
    );
    assert_eq!(first.0.len(), 60);
    assert_ne!(first, second, "each hash has its own salt");
    assert!(!first.0.contains(&raw));
    assert!(h.verify(&raw, &second).await.unwrap());
    assert!(!h.verify("completely different", &first).await.unwrap());
    assert!(!h.verify("", &first).await.unwrap());
}

#[tokio::test]
async fn a_malformed_stored_hash_is_an_error_not_a_panic() {
    let h = BcryptHasher::new(COST);
    for bad in [
        "",
        "plain-text-password",
        "$2b$04$tooshort",
        "$2b$99$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyz01234",
    ] {
        let err = h
            .verify("whatever", &PasswordHash(bad.into()))
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "password hashing failed: stored password hash is malformed"
        );
        if !bad.is_empty() {
            assert!(
                !err.to_string().contains(bad),
                "the stored hash is not echoed"
            );
        }
    }
}

#[tokio::test]
async fn a_bad_cost_is_an_error() {
    let h = BcryptHasher::new(40);
    let password = Password::new(passphrase(20, 2), &PasswordPolicy::default(), &[]).unwrap();
    assert!(h.hash(&password).await.is_err());
    assert!(h.verify_dummy("x").await.is_err());
}

#[tokio::test]
async fn the_dummy_hash_has_the_configured_cost_and_is_computed_once() {
    let h = BcryptHasher::new(COST);
    h.verify_dummy("anything at all").await.unwrap();
    let first = h.dummy.get().cloned().expect("computed on first use");
    assert!(
        first.starts_with("$2b$04$"),
        "same cost as real hashes, so the same time"
    );
    h.clone().verify_dummy("something else").await.unwrap();
    assert_eq!(
        h.dummy.get(),
        Some(&first),
        "clones share it; it is not recomputed"
    );
}

#[test]
fn the_prehash_is_44_printable_bytes_and_debug_shows_no_state() {
    let p = prehash(&"x".repeat(5000));
    assert_eq!(p.len(), 44);
    assert!(p.bytes().all(|b| b.is_ascii_graphic()));
    assert_ne!(prehash("a"), prehash("b"));
    assert_eq!(
        format!("{:?}", BcryptHasher::new(12)),
        "BcryptHasher { cost: 12, .. }"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_more_hashes_run_at_once_than_there_are_cores() {
    let cores = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let h = BcryptHasher::new(8);
    let stored = hash_of(&h, "correct horse battery staple").await;
    let jobs: Vec<_> = (0..cores * 4)
        .map(|_| {
            let (h, stored) = (h.clone(), stored.clone());
            tokio::spawn(async move { h.verify("correct horse battery staple", &stored).await })
        })
        .collect();
    let (mut most_running, mut saw_queue) = (0, false);
    while !jobs.iter().all(tokio::task::JoinHandle::is_finished) {
        let load = hashing_load();
        most_running = most_running.max(load.running);
        saw_queue |= load.queued > 0;
        tokio::time::sleep(std::time::Duration::from_millis(1)).await;
    }
    for job in jobs {
        assert!(job.await.unwrap().unwrap());
    }
    // Other tests in this binary hash too, but never more than the permits allow either.
    assert!(
        most_running <= cores,
        "{most_running} hashes ran at once on {cores} cores"
    );
    assert!(
        saw_queue,
        "{} hashes on {cores} cores never queued",
        cores * 4
    );
    // The queue empties once the hashes are done. Other tests of this binary may be queueing
    // their own at this moment (the gauge is the process's): a count this test leaked would
    // never drain, theirs do.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while hashing_load().queued > 0 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    assert_eq!(hashing_load().queued, 0);
}
