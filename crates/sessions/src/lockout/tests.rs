use chrono::Duration;
use plinth_kernel::Clock;
use plinth_kernel::testing::ManualClock;

use super::*;

fn clock() -> ManualClock {
    ManualClock::new("2026-03-01T12:00:00Z".parse().unwrap())
}

fn policy() -> LockoutPolicy {
    LockoutPolicy::default()
}

#[test]
fn no_lock_below_the_threshold() {
    let clock = clock();
    let mut state = LockoutState::default();
    for _ in 0..4 {
        assert_eq!(state.record_failure(&policy(), clock.now()), None);
        assert_eq!(state.check(&policy(), clock.now()), Ok(()));
        clock.advance(Duration::seconds(1));
    }
    assert_eq!(state.failed_attempts, 4);
}

#[test]
fn the_threshold_failure_locks_for_base_and_the_lock_ends() {
    let clock = clock();
    let mut state = LockoutState::default();
    for _ in 0..4 {
        state.record_failure(&policy(), clock.now());
    }
    let fifth = clock.now();
    let lock = state.record_failure(&policy(), fifth).unwrap();
    assert_eq!(lock.until, fifth + Duration::minutes(1));
    assert_eq!(lock.retry_after_secs(fifth), 60);

    clock.advance(Duration::seconds(59));
    let err = state.check(&policy(), clock.now()).unwrap_err();
    assert_eq!(err.retry_after_secs(clock.now()), 1);
    clock.advance(Duration::milliseconds(500));
    assert_eq!(
        state
            .check(&policy(), clock.now())
            .unwrap_err()
            .retry_after_secs(clock.now()),
        1
    );
    clock.advance(Duration::milliseconds(500));
    assert_eq!(
        state.check(&policy(), clock.now()),
        Ok(()),
        "over after exactly base"
    );
}

#[test]
fn each_further_failure_doubles_the_lock_up_to_one_hour() {
    let clock = clock();
    let mut state = LockoutState::default();
    let mut lengths = Vec::new();
    for _ in 0..12 {
        if let Some(lock) = state.record_failure(&policy(), clock.now()) {
            lengths.push((lock.until - clock.now()).num_minutes());
            clock.set(lock.until);
        }
    }
    assert_eq!(lengths, vec![1, 2, 4, 8, 16, 32, 60, 60]);
}

#[test]
fn a_lock_is_never_permanent() {
    for failures in [5, 6, 40, 64, 1_000, u32::MAX] {
        let d = lock_duration(failures, 5, Duration::minutes(1)).unwrap();
        assert!(d > Duration::zero() && d <= MAX_LOCK, "{failures}: {d}");
    }
    assert_eq!(lock_duration(3, 1, Duration::hours(5)), Some(MAX_LOCK));
    assert_eq!(
        lock_duration(u32::MAX, 1, Duration::seconds(1)),
        Some(MAX_LOCK)
    );
}

#[test]
fn the_pure_function_matches_the_brief() {
    let last: Timestamp = "2026-03-01T12:00:00Z".parse().unwrap();
    let base = Duration::seconds(30);
    assert_eq!(locked_until(2, Some(last), 3, base), None);
    assert_eq!(locked_until(3, None, 3, base), None);
    assert_eq!(locked_until(3, Some(last), 3, base), Some(last + base));
    assert_eq!(locked_until(4, Some(last), 3, base), Some(last + base * 2));
    assert_eq!(locked_until(5, Some(last), 3, base), Some(last + base * 4));
    assert_eq!(locked_until(50, Some(last), 3, base), Some(last + MAX_LOCK));
    assert_eq!(
        locked_until(50, Some(last), 0, base),
        None,
        "threshold 0 disables lockout"
    );
}

#[test]
fn success_or_reset_clears_the_lock() {
    let clock = clock();
    let mut state = LockoutState::default();
    for _ in 0..7 {
        state.record_failure(&policy(), clock.now());
    }
    assert!(state.check(&policy(), clock.now()).is_err());
    state.clear();
    assert_eq!(state.check(&policy(), clock.now()), Ok(()));
    assert_eq!(state.failed_attempts, 0);
    assert_eq!(
        state.record_failure(&policy(), clock.now()),
        None,
        "counting starts again"
    );
}

#[test]
fn a_quiet_streak_is_forgotten() {
    let clock = clock();
    let mut state = LockoutState::default();
    for _ in 0..20 {
        state.record_failure(&policy(), clock.now());
    }
    clock.advance(FORGET_AFTER);
    assert_eq!(state.record_failure(&policy(), clock.now()), None);
    assert_eq!(state.failed_attempts, 1);
}

#[test]
fn other_accounts_are_unaffected() {
    let clock = clock();
    let mut victim = LockoutState::default();
    let bystander = LockoutState::default();
    for _ in 0..10 {
        victim.record_failure(&policy(), clock.now());
    }
    assert!(victim.check(&policy(), clock.now()).is_err());
    assert_eq!(bystander.check(&policy(), clock.now()), Ok(()));
}
