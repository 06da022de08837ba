//! The command line: `plinth [serve]`, `plinth migrate up|down|status`, `plinth openapi`,
//! `plinth admin create --email E --name N` (password on one line of standard input),
//! `plinth files reconcile [--min-age 1h]`, `plinth billing run-jobs`.

mod admin;
mod billing;
mod files;
mod migrate;

use std::io::{IsTerminal, Write};

use clap::{Parser, Subcommand};

use crate::settings::Settings;
use crate::startup::Application;
use crate::telemetry::{self, LogTarget};

/// `plinth`: the Plinth backend.
#[derive(Debug, Parser)]
#[command(
    name = "plinth",
    version,
    about = "Plinth: accounts, audit, files and billing behind a REST API"
)]
pub struct Cli {
    /// What to do; `serve` when omitted.
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Apply pending migrations, then serve HTTP until SIGTERM (or SIGINT).
    Serve,
    /// Run or report the database migrations against DATABASE_URL.
    Migrate {
        /// Which migration action.
        #[command(subcommand)]
        action: MigrateAction,
    },
    /// Print the OpenAPI document as JSON on standard output (no database needed).
    Openapi,
    /// Administration tasks.
    Admin {
        /// Which admin action.
        #[command(subcommand)]
        action: AdminAction,
    },
    /// Billing maintenance.
    Billing {
        /// Which billing action.
        #[command(subcommand)]
        action: BillingAction,
    },
    /// File storage maintenance.
    Files {
        /// Which files action.
        #[command(subcommand)]
        action: FilesAction,
    },
}

/// `plinth files …`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum FilesAction {
    /// Delete stored blobs that no file version names (left by a crash mid-upload or
    /// mid-delete, or by a deleted account) and unfinished uploads, once older than
    /// `--min-age`; print what was done as JSON. Safe while servers run.
    Reconcile {
        /// Leave anything written more recently than this alone (e.g. `1h`, `30m`, `0s`).
        #[arg(long, default_value = "1h", value_parser = min_age)]
        min_age: std::time::Duration,
    },
}

fn min_age(s: &str) -> Result<std::time::Duration, String> {
    crate::settings::parse::duration(s)
}

/// `plinth billing …`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum BillingAction {
    /// Run the scheduled billing jobs once: open invoices more than
    /// BILLING_UNCOLLECTIBLE_AFTER past their due date become uncollectible (and their
    /// subscriptions unpaid), subscriptions with an overdue invoice become past_due, and due
    /// subscription periods are renewed and invoiced. Prints what was done as JSON.
    /// Idempotent, and safe while servers run.
    RunJobs,
}

/// `plinth migrate …`.
#[derive(Debug, Clone, Copy, Subcommand)]
pub enum MigrateAction {
    /// Apply every pending migration.
    Up,
    /// Revert the most recently applied migration.
    Down,
    /// List every migration as `applied` or `pending`.
    Status,
}

/// `plinth admin …`.
#[derive(Debug, Subcommand)]
pub enum AdminAction {
    /// Create a super_admin, or promote the existing account with this email. The password is
    /// read from one line of standard input.
    Create {
        /// The account's email.
        #[arg(long)]
        email: String,
        /// The display name.
        #[arg(long)]
        name: String,
    },
}

/// Runs a parsed command line to completion.
///
/// # Errors
/// Anything that stops the command; `main` prints it on one line and exits 1.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command.unwrap_or(Command::Serve) {
        Command::Openapi => print_line(&plinth_api::openapi_json()),
        Command::Serve => {
            let settings = Settings::load()?;
            let _log = telemetry::init(&settings.log, LogTarget::Stdout)?;
            runtime()?.block_on(serve(settings))
        }
        Command::Migrate { action } => {
            let settings = Settings::load()?;
            let _log = telemetry::init(&settings.log, LogTarget::Stderr)?;
            runtime()?.block_on(migrate::run(&settings, action))
        }
        Command::Admin {
            action: AdminAction::Create { email, name },
        } => {
            let settings = Settings::load()?;
            let _log = telemetry::init(&settings.log, LogTarget::Stderr)?;
            if std::io::stdin().is_terminal() {
                eprint!("Password for the super_admin (input is shown): ");
            }
            let password = admin::read_password(std::io::stdin().lock())?;
            runtime()?.block_on(admin::create(&settings, &email, &name, password))
        }
        Command::Billing {
            action: BillingAction::RunJobs,
        } => {
            let settings = Settings::load()?;
            let _log = telemetry::init(&settings.log, LogTarget::Stderr)?;
            runtime()?.block_on(billing::run_jobs(&settings))
        }
        Command::Files {
            action: FilesAction::Reconcile { min_age },
        } => {
            let settings = Settings::load()?;
            let _log = telemetry::init(&settings.log, LogTarget::Stderr)?;
            runtime()?.block_on(files::reconcile(&settings, min_age))
        }
    }
}

async fn serve(settings: Settings) -> anyhow::Result<()> {
    let app = Application::build(settings).await?;
    app.run_until_stopped().await?;
    Ok(())
}

/// Writes `text` and a newline to standard output. A closed pipe (`plinth openapi | head`) is
/// not an error: the reader has what it wanted.
///
/// # Errors
/// Any other write failure.
pub fn print_line(text: &str) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match writeln!(out, "{text}").and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => Ok(other?),
    }
}

fn runtime() -> std::io::Result<tokio::runtime::Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
}
