//! In-memory adapters (feature `testing`).
