//! Gives the system back the memory glibc's allocator keeps after the program freed it.
//!
//! glibc returns freed memory to the kernel only from the top of each arena, and each thread
//! allocates from its own arena: what start-up builds and drops (the migrations, the OpenAPI
//! document generated once for `/api/v1/openapi.json` and again by each worker as it registers
//! the routes) stays resident in those arenas for the life of the process, about 11 MiB of a
//! 45 MiB server (docs/benchmarks.md). `malloc_trim(0)` walks every arena and hands whole free
//! pages back with `madvise`, leaving live allocations where they are.
//!
//! This is the one place in the workspace that uses `unsafe` (the lint is `deny` rather than
//! `forbid` for it): a call into glibc with no pointer and no invariant on the caller's side.

use std::time::Duration;

/// How often the free memory goes back: soon after start-up (once the workers have built
/// their applications), then after bursts such as a login storm or a large upload.
pub(crate) const TRIM_INTERVAL: Duration = Duration::from_secs(10);

/// Asks the allocator to return the free pages of every arena to the kernel; whether it gave
/// any back. Elsewhere than glibc (musl, macOS) it does nothing and answers `false`: those
/// allocators return memory themselves or have no such call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[allow(unsafe_code)]
pub(crate) fn release_free_memory() -> bool {
    // SAFETY: `malloc_trim` takes no pointer and requires nothing of its caller; glibc
    // serialises it with every other allocator call, arena by arena.
    unsafe { libc::malloc_trim(0) == 1 }
}

/// Asks the allocator to return free memory: nothing to ask off glibc.
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
pub(crate) const fn release_free_memory() -> bool {
    false
}

#[cfg(all(test, target_os = "linux", target_env = "gnu"))]
mod tests {
    use super::*;

    /// Resident pages of this process, in bytes, from `/proc/self/statm`.
    fn resident_bytes() -> usize {
        let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
        let pages: usize = statm
            .split_whitespace()
            .nth(1)
            .and_then(|p| p.parse().ok())
            .unwrap_or(0);
        pages * 4096
    }

    #[test]
    fn freed_memory_behind_a_live_allocation_goes_back_to_the_system() {
        // On a thread of its own, so its arena holds nothing but what the test allocates.
        let dropped = std::thread::spawn(|| {
            // 32 MiB in 1 KiB blocks (each under glibc's mmap threshold, so they come from
            // the arena), every 256th kept: the freed blocks lie below live ones, so glibc
            // cannot give them back by shrinking the top of its heap.
            let mut blocks: Vec<Vec<u8>> = (0..32 * 1024).map(|i| vec![i as u8; 1024]).collect();
            let before_free = resident_bytes();
            let kept: Vec<Vec<u8>> = blocks
                .drain(..)
                .enumerate()
                .filter(|(i, _)| i % 256 == 0)
                .map(|(_, b)| b)
                .collect();
            drop(blocks);
            let after_free = resident_bytes();
            let released = release_free_memory();
            let after_release = resident_bytes();
            drop(kept);
            (before_free, after_free, released, after_release)
        })
        .join()
        .unwrap_or_default();
        let (before_free, after_free, released, after_release) = dropped;
        assert!(before_free > 0, "could not read /proc/self/statm");
        // Freeing alone keeps (nearly) everything resident; the release gives back most of
        // the 32 MiB.
        assert!(
            after_free + 24 * 1024 * 1024 > before_free,
            "freeing alone already returned the memory ({before_free} -> {after_free}): \
             the test no longer shows anything"
        );
        assert!(released, "malloc_trim reported nothing released");
        assert!(
            after_free.saturating_sub(after_release) > 24 * 1024 * 1024,
            "resident {after_free} -> {after_release} bytes after the release"
        );
    }
}
