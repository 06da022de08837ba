//! The most logins per second bcrypt allows on this machine: verifies one password at the
//! given cost on every core for a few seconds and prints `{"cost", "threads",
//! "verifies_per_second"}`. `just bench` compares login throughput with it.
//!
//! `cargo run --release -p plinth-security --example bcrypt_ceiling -- [cost] [seconds]`

use std::time::{Duration, Instant};

fn main() {
    let mut args = std::env::args().skip(1);
    let cost: u32 = args.next().and_then(|a| a.parse().ok()).unwrap_or(12);
    let seconds: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let threads = std::thread::available_parallelism().map_or(1, std::num::NonZero::get);
    let Ok(hash) = bcrypt::hash("plinth-bench-password", cost) else {
        eprintln!("bcrypt cost {cost} is out of range (4-31)");
        std::process::exit(2);
    };
    let until = Instant::now() + Duration::from_secs(seconds);
    let started = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let hash = hash.clone();
            std::thread::spawn(move || {
                let mut done = 0_u64;
                while Instant::now() < until {
                    if bcrypt::verify("plinth-bench-password", &hash).unwrap_or(false) {
                        done += 1;
                    }
                }
                done
            })
        })
        .collect();
    let done: u64 = workers.into_iter().map(|w| w.join().unwrap_or(0)).sum();
    #[allow(clippy::cast_precision_loss)]
    let rate = done as f64 / started.elapsed().as_secs_f64();
    println!("{{\"cost\": {cost}, \"threads\": {threads}, \"verifies_per_second\": {rate:.1}}}");
}
