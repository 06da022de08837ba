//! The bcrypt queue depth `/metrics` shows: with one blocking thread and three hashes
//! submitted at once, one runs and two wait; when they are done, nothing is counted.
//! (Its own test binary, so no other test's hashing moves the process-wide counters.)
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use plinth_security::{BcryptHasher, HashingLoad, hashing_load};
use plinth_users::{Password, PasswordHasher as _, PasswordPolicy};

#[test]
fn queued_and_running_hashes_are_counted() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .max_blocking_threads(1)
        .enable_time()
        .build()
        .unwrap();
    runtime.block_on(async {
        let hasher = BcryptHasher::new(10);
        let password = Password::new(
            "correct horse battery staple".to_owned(),
            &PasswordPolicy::default(),
            &[],
        )
        .unwrap();
        assert_eq!(
            hashing_load(),
            HashingLoad {
                queued: 0,
                running: 0
            }
        );
        let jobs: Vec<_> = (0..3)
            .map(|_| {
                let (hasher, password) = (hasher.clone(), password.clone());
                tokio::spawn(async move { hasher.hash(&password).await })
            })
            .collect();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut seen = hashing_load();
        while seen
            != (HashingLoad {
                queued: 2,
                running: 1,
            })
        {
            assert!(
                Instant::now() < deadline,
                "never saw 2 queued and 1 running: {seen:?}"
            );
            tokio::time::sleep(Duration::from_millis(1)).await;
            seen = hashing_load();
        }
        for job in jobs {
            job.await.unwrap().unwrap();
        }
        assert_eq!(
            hashing_load(),
            HashingLoad {
                queued: 0,
                running: 0
            }
        );
    });
}
