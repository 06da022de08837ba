//! The `plinth` binary as a library: settings, telemetry, the composition root and the CLI.
//!
//! `main.rs` is a thin shell over [`cli::run`]; tests and embedders use [`Settings`] and
//! [`Application`] directly:
//!
//! ```no_run
//! # async fn demo() -> anyhow::Result<()> {
//! use plinth_server::{Application, Settings, settings::Environment};
//!
//! let mut settings = Settings::builtin(Environment::Test)?;
//! settings.server.port = 0; // any free port
//! let app = Application::build(settings).await?;
//! println!("listening on {}", app.port());
//! app.run_until_stopped().await?;
//! # Ok(()) }
//! ```

pub mod cli;
pub mod settings;
pub mod startup;
pub mod telemetry;

pub use settings::{Environment, Settings, SettingsError};
pub use startup::Application;

/// `docs/reuse.md`, compiled and run as a doctest so the page cannot drift from the code.
#[doc = include_str!("../../../docs/reuse.md")]
#[cfg(doctest)]
pub struct ReuseDoc;
