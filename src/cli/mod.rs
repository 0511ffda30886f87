//! The `plusk` command line. Every setting is a flag and an environment variable.

mod doctor;
mod eval;
mod import;
mod keys;
mod reputation;
mod serve;
mod sweep;
mod topics;

use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};

use crate::db::{self, DbConn, DbUrl};

#[derive(Debug, Parser)]
#[command(name = "plusk", version, about = "An honest ledger of +K endorsements")]
pub struct Cli {
    /// Database: postgres://… or postgresql://… for PostgreSQL; sqlite://PATH or a plain path for SQLite.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://plusk.db",
        global = true
    )]
    pub database_url: String,
    /// PostgreSQL over TLS: a PEM file of the certificate authority that signed the server's
    /// certificate. The server's certificate and host name are then checked
    /// (`sslmode=verify-full` unless DATABASE_URL says `verify-ca`).
    #[arg(
        long,
        env = "PLUSK_DATABASE_CA_FILE",
        global = true,
        value_name = "PEM"
    )]
    pub database_ca_file: Option<String>,
    /// Do not apply pending migrations on start.
    #[arg(long, env = "PLUSK_NO_MIGRATE", global = true)]
    pub no_migrate: bool,
    /// Log format on stderr (the level is set by RUST_LOG, e.g. `info` or `plusk=debug`).
    #[arg(long, env = "PLUSK_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text, global = true)]
    pub log_format: LogFormat,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the HTTP service.
    Serve(Box<serve::ServeArgs>),
    /// Apply pending migrations and exit.
    Migrate,
    /// Manage API keys.
    #[command(subcommand)]
    Keys(keys::KeysCommand),
    /// Work with the ledger.
    #[command(subcommand)]
    Ledger(LedgerCommand),
    /// Back-fill endorsements from an NDJSON file.
    Import(import::ImportArgs),
    /// Precision, recall, F1 and confusion table of the solicitation classifier on a labelled TSV.
    EvalClassifier(eval::EvalArgs),
    /// Work with reputation scores.
    #[command(subcommand)]
    Reputation(reputation::ReputationCommand),
    /// Check the database, migrations, the ledger's last entries, keys and disk; exits 1 on a
    /// problem. Changes nothing.
    Doctor,
    /// Find and merge topics (older versions kept slugs requests can no longer name).
    #[command(subcommand)]
    Topics(topics::TopicsCommand),
    /// Look over the last six weeks for rings and accounts moving together that the checks at
    /// write time could not see whole (too slow, too long), and flag every endorsement of each.
    Sweep(sweep::SweepArgs),
}

#[derive(Debug, Subcommand)]
pub enum LedgerCommand {
    /// Recompute the hash chain and check the endorsement table against it; exits 1 if not ok.
    Verify,
}

/// The daily budget setting shared by `serve` and `import`: 0 lifts it.
#[derive(Debug, Clone, clap::Args)]
pub struct BudgetArgs {
    /// Endorsements one endorser may give per rolling 24 hours (0 = unlimited).
    #[arg(long, env = "PLUSK_DAILY_BUDGET", default_value_t = 5)]
    pub daily_budget: u32,
}

impl BudgetArgs {
    pub fn limit(&self) -> Option<u32> {
        (self.daily_budget > 0).then_some(self.daily_budget)
    }
}

/// The begging detectors' settings, shared by `serve` and `import`.
#[derive(Debug, Clone, clap::Args)]
pub struct DetectionArgs {
    /// `off` skips the six begging detectors (for back-filling trusted history); rules still apply.
    #[arg(long, env = "PLUSK_DETECTION", default_value = "on", value_parser = ["on", "off"])]
    pub detection: String,
    /// Hours within which an ask prompts an endorsement, or two endorsements trade.
    #[arg(long, env = "PLUSK_FLAG_WINDOW_HOURS", default_value_t = 72, value_parser = clap::value_parser!(u32).range(1..=8760))]
    pub flag_window_hours: u32,
    /// A flag scoring this or more holds its endorsement (status flagged) until reviewed.
    #[arg(long, env = "PLUSK_FLAG_HOLD_THRESHOLD", default_value_t = 0.5)]
    pub flag_hold_threshold: f64,
    /// Lockstep: at least this many endorsers…
    #[arg(long, env = "PLUSK_LOCKSTEP_ENDORSERS", default_value_t = 3, value_parser = clap::value_parser!(u32).range(2..=1000))]
    pub lockstep_endorsers: u32,
    /// …each endorsing at least this many of the same endorsees…
    #[arg(long, env = "PLUSK_LOCKSTEP_ENDORSEES", default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=1000))]
    pub lockstep_endorsees: u32,
    /// …within this many minutes.
    #[arg(long, env = "PLUSK_LOCKSTEP_WINDOW_MINUTES", default_value_t = 1440, value_parser = clap::value_parser!(u32).range(1..=10080))]
    pub lockstep_window_minutes: u32,
    /// Solicitations one API key may report per rolling 24 hours (0 = unlimited).
    #[arg(long, env = "PLUSK_REPORTS_PER_KEY_PER_DAY", default_value_t = crate::domain::flag::DEFAULT_REPORTS_PER_KEY)]
    pub reports_per_key_per_day: u32,
}

impl DetectionArgs {
    pub fn settings(&self) -> anyhow::Result<crate::domain::flag::Detection> {
        anyhow::ensure!(
            (0.0..=1.0).contains(&self.flag_hold_threshold),
            "--flag-hold-threshold must be between 0 and 1"
        );
        Ok(crate::domain::flag::Detection {
            enabled: self.detection == "on",
            window: chrono::Duration::hours(i64::from(self.flag_window_hours)),
            hold_threshold: self.flag_hold_threshold,
            lockstep: crate::domain::flag::LockstepRule {
                min_endorsers: self.lockstep_endorsers as usize,
                min_endorsees: self.lockstep_endorsees as usize,
                window: chrono::Duration::minutes(i64::from(self.lockstep_window_minutes)),
            },
            reports_per_key: (self.reports_per_key_per_day > 0)
                .then_some(self.reports_per_key_per_day),
            // Only a server sweeps on a schedule (see `ServeArgs`).
            sweep_every: None,
        })
    }
}

/// Parses the command line and runs the command.
pub fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let default_level = if matches!(cli.command, Command::Serve(_)) {
        "info"
    } else {
        quit_on_broken_pipe();
        "warn"
    };
    init_tracing(cli.log_format, default_level);
    let url = database_url(&cli)?;
    match &cli.command {
        Command::Serve(args) => serve::run(&cli, &url, args),
        Command::Migrate => {
            let mut conn = db::establish(&url)?;
            let applied = db::run_migrations(&mut conn)?;
            adopt_keys(&mut conn)?;
            println!("{} migration(s) applied to {url}", applied.len());
            for version in applied {
                println!("  {version}");
            }
            Ok(ExitCode::SUCCESS)
        }
        Command::Keys(cmd) => keys::run(&mut open(&cli, &url)?, cmd),
        Command::Ledger(LedgerCommand::Verify) => {
            let verdict = crate::service::ledger::verify(&mut open(&cli, &url)?)?;
            println!("{}", serde_json::to_string(&verdict)?);
            Ok(if verdict.is_ok() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Command::Import(args) => import::run(&mut open(&cli, &url)?, args),
        Command::EvalClassifier(args) => eval::run(args),
        Command::Reputation(cmd) => reputation::run(&mut open(&cli, &url)?, &url, cmd),
        Command::Topics(cmd) => topics::run(&mut open(&cli, &url)?, cmd),
        Command::Sweep(args) => sweep::run(&mut open(&cli, &url)?, args),
        Command::Doctor => {
            refuse_missing_file(&url)?;
            doctor::run(&url)
        }
    }
}

/// Commands that print end quietly when their reader goes away (`plusk … | head`), as Unix
/// tools do, instead of panicking in `println!`. Not for `serve`: a server must never die of a
/// client hanging up.
fn quit_on_broken_pipe() {
    #[cfg(unix)]
    // SAFETY: called once at start, before any thread is spawned; restores the default action.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}

/// The database to use: `DATABASE_URL`, with the CA file when one is given.
fn database_url(cli: &Cli) -> anyhow::Result<DbUrl> {
    let url = DbUrl::parse(&cli.database_url).context("DATABASE_URL")?;
    if let Some(ca) = &cli.database_ca_file {
        anyhow::ensure!(
            std::path::Path::new(ca).is_file(),
            "PLUSK_DATABASE_CA_FILE: no file at {ca}"
        );
    }
    Ok(url.with_ca_file(cli.database_ca_file.as_deref())?)
}

/// One connection for a CLI command, with migrations applied unless `--no-migrate`. Only
/// `migrate` and `serve` create a SQLite file: for any other command a missing file is a
/// mistyped `DATABASE_URL`, not a wish for an empty database.
fn open(cli: &Cli, url: &DbUrl) -> anyhow::Result<DbConn> {
    refuse_missing_file(url)?;
    let mut conn = db::establish(url)?;
    if cli.no_migrate {
        db::ensure_migrated(&mut conn)?;
    } else {
        db::run_migrations(&mut conn)?;
        adopt_keys(&mut conn)?;
    }
    Ok(conn)
}

fn refuse_missing_file(url: &DbUrl) -> anyhow::Result<()> {
    if let DbUrl::Sqlite(path) = url {
        anyhow::ensure!(
            path == ":memory:" || std::path::Path::new(path).exists(),
            "no database at {path}: the file does not exist (check DATABASE_URL or \
             --database-url; `plusk migrate` creates a new database)"
        );
    }
    Ok(())
}

/// Records in the ledger, once, the keys made before plusk recorded keys there: part of
/// bringing an older database up to date, like the migrations.
pub(crate) fn adopt_keys(conn: &mut DbConn) -> anyhow::Result<()> {
    let adopted = crate::service::keys::adopt_unrecorded(conn)?;
    if adopted > 0 {
        tracing::info!(keys = adopted, "existing API keys recorded in the ledger");
    }
    Ok(())
}

fn init_tracing(format: LogFormat, default_level: &str) {
    use tracing_subscriber::EnvFilter;
    let filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default_level));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()));
    let _ = match format {
        LogFormat::Text => builder.try_init(),
        LogFormat::Json => builder.json().try_init(),
    };
}
