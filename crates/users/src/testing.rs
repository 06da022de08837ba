//! In-memory adapters (feature `testing`). Filled in by the users/sessions work.
