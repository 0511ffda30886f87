//! `plusk reputation recompute`, and the reputation settings `serve` shares with it.

use std::process::ExitCode;
use std::time::Duration;

use clap::Subcommand;

use crate::db::{DbConn, DbUrl};
use crate::domain::reputation::Params;
use crate::domain::topic::TopicSlug;
use crate::service::reputation::cache;
use crate::service::reputation::worker::{Memory, Schedule, KEEP_SNAPSHOT_DAYS};
use crate::service::reputation::{recompute, topic_ids, Scope};

/// The score's parameters and when the server recomputes.
#[derive(Debug, Clone, clap::Args)]
pub struct ReputationArgs {
    /// Probability of following an endorsement rather than teleporting.
    #[arg(long, env = "PLUSK_REPUTATION_DAMPING", default_value_t = 0.85)]
    pub damping: f64,
    /// An endorsement's weight halves every this many days (0 = no decay).
    #[arg(long, env = "PLUSK_REPUTATION_HALF_LIFE_DAYS", default_value_t = 365.0)]
    pub half_life_days: f64,
    /// Weight of an endorsement held by a flag, until a moderator decides.
    #[arg(long, env = "PLUSK_REPUTATION_FLAGGED_WEIGHT", default_value_t = 0.25)]
    pub flagged_weight: f64,
    /// Recompute changed topics once writes to them pause this long (seconds).
    #[arg(long, env = "PLUSK_REPUTATION_DEBOUNCE_SECS", default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub recompute_debounce_secs: u64,
    /// Recompute every topic this often (minutes), and once at start.
    #[arg(long, env = "PLUSK_REPUTATION_EVERY_MINS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..=10080))]
    pub recompute_every_mins: u64,
    /// Keep one snapshot a day of each topic's scores for this many days (the history
    /// endpoint's reach); older ones are deleted after each full recompute. 0 keeps them all.
    #[arg(long, env = "PLUSK_SNAPSHOT_DAYS", default_value_t = KEEP_SNAPSHOT_DAYS, value_parser = clap::value_parser!(u32).range(0..=36500))]
    pub snapshot_days: u32,
    /// Endorsements of large topics the server keeps in memory between recomputes, so that a
    /// topic that changed a little is recomputed without reading it whole (45 bytes each with
    /// their graph, plus about 48 per user scored in a kept topic; 0 keeps none).
    #[arg(long, env = "PLUSK_REPUTATION_MEMORY_ENDORSEMENTS", default_value_t = cache::DEFAULT_BUDGET)]
    pub memory_endorsements: usize,
}

impl ReputationArgs {
    pub fn params(&self) -> anyhow::Result<Params> {
        let p = Params {
            damping: self.damping,
            half_life_days: (self.half_life_days != 0.0).then_some(self.half_life_days),
            flagged_weight: self.flagged_weight,
            ..Params::default()
        };
        p.check().map_err(anyhow::Error::msg)?;
        Ok(p)
    }

    pub fn schedule(&self) -> anyhow::Result<Schedule> {
        let debounce = Duration::from_secs(self.recompute_debounce_secs);
        Ok(Schedule {
            params: self.params()?,
            debounce,
            max_delay: (debounce * 15).max(Duration::from_secs(30)),
            every: Duration::from_secs(self.recompute_every_mins * 60),
            keep_snapshots: (self.snapshot_days > 0)
                .then(|| chrono::Duration::days(self.snapshot_days.into())),
            memory: Memory {
                endorsements: self.memory_endorsements,
                ..Memory::default()
            },
        })
    }
}

#[derive(Debug, Subcommand)]
pub enum ReputationCommand {
    /// Recompute scores now and print what was done as JSON.
    Recompute {
        /// Only these topics (repeatable); default every topic.
        #[arg(long = "topic")]
        topics: Vec<String>,
        #[command(flatten)]
        settings: ReputationArgs,
    },
}

pub fn run(conn: &mut DbConn, url: &DbUrl, cmd: &ReputationCommand) -> anyhow::Result<ExitCode> {
    let ReputationCommand::Recompute { topics, settings } = cmd;
    let scope = if topics.is_empty() {
        Scope::All
    } else {
        let slugs = topics
            .iter()
            .map(|t| TopicSlug::parse(t))
            .collect::<Result<Vec<_>, _>>()?;
        Scope::Topics(topic_ids(conn, &slugs)?)
    };
    // On PostgreSQL the scores are stored through a second connection as well; without one,
    // through the first alone.
    let mut spare = match url {
        DbUrl::Postgres(_) => crate::db::establish(url).ok(),
        DbUrl::Sqlite(_) => None,
    };
    let report = recompute(
        conn,
        &scope,
        &settings.params()?,
        crate::domain::time::now(),
        spare.as_mut(),
    )?;
    println!("{}", serde_json::to_string(&report)?);
    Ok(ExitCode::SUCCESS)
}
