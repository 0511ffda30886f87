//! `plusk serve`.

use std::process::ExitCode;
use std::time::Duration;

use super::adopt_keys;
use crate::db::{self, DbUrl, PoolOptions};
use crate::domain::keys::Rate;
use crate::domain::rules::TopicPolicy;
use crate::http::{Application, CorsOrigins, RateSettings, ServerOptions, TrustedProxies};

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PLUSK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    /// Also serve `GET /metrics` without a key on this address (a private network only; off
    /// by default, when `/metrics` on the API listener needs an admin key).
    #[arg(long, env = "PLUSK_METRICS_BIND")]
    pub metrics_bind: Option<String>,
    #[command(flatten)]
    pub budget: super::BudgetArgs,
    #[command(flatten)]
    pub detection: super::DetectionArgs,
    #[command(flatten)]
    pub reputation: super::reputation::ReputationArgs,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "PLUSK_WORKERS")]
    pub workers: Option<usize>,
    /// Most database connections open at once.
    #[arg(long, env = "PLUSK_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
    /// Seconds a request waits for a free database connection before it is answered 503.
    #[arg(long, env = "PLUSK_POOL_TIMEOUT_SECS", default_value_t = 5)]
    pub pool_timeout_secs: u64,
    /// Writes (POST, PATCH, DELETE) per second per API key, or per client IP without a valid key (0 = unlimited).
    #[arg(long, env = "PLUSK_RATE_WRITE_PER_SEC", default_value_t = 50)]
    pub rate_write_per_sec: u32,
    /// Writes allowed in one burst.
    #[arg(long, env = "PLUSK_RATE_WRITE_BURST", default_value_t = 100)]
    pub rate_write_burst: u32,
    /// Reads (GET) per second per API key, or per client IP without a valid key (0 = unlimited).
    #[arg(long, env = "PLUSK_RATE_READ_PER_SEC", default_value_t = 200)]
    pub rate_read_per_sec: u32,
    /// Reads allowed in one burst.
    #[arg(long, env = "PLUSK_RATE_READ_BURST", default_value_t = 400)]
    pub rate_read_burst: u32,
    /// Proxies (addresses or CIDR ranges, comma-separated) whose X-Forwarded-For names the client.
    #[arg(long, env = "PLUSK_TRUSTED_PROXIES", default_value = "")]
    pub trusted_proxies: TrustedProxies,
    /// Seconds between sweeps that drop the rate-limit state of idle clients.
    #[arg(long, env = "PLUSK_RATE_SWEEP_SECS", default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    pub rate_sweep_secs: u64,
    /// Web origins (comma-separated, like https://app.example) whose pages may call the API
    /// from a browser; none by default.
    #[arg(long, env = "PLUSK_CORS_ORIGINS", default_value = "")]
    pub cors_origins: CorsOrigins,
    /// `open`: any app or admin key creates a topic by using it; `closed`: only an admin
    /// creates topics (PUT /v1/topics/{slug}), and other keys get 422 unknown_topic.
    #[arg(long, env = "PLUSK_TOPICS", default_value = "open", value_parser = ["open", "closed"])]
    pub topics: String,
    /// When topics are open: new topics one non-admin key may create per rolling 24 hours
    /// (0 = unlimited).
    #[arg(long, env = "PLUSK_NEW_TOPICS_PER_KEY_PER_DAY", default_value_t = crate::domain::rules::DEFAULT_NEW_TOPICS_PER_KEY)]
    pub new_topics_per_key_per_day: u32,
    /// Seconds a client may take to send a request body before it is answered 408.
    #[arg(long, env = "PLUSK_BODY_TIMEOUT_SECS", default_value_t = 10, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub body_timeout_secs: u64,
    /// Minutes a console session may sit unused before it ends.
    #[arg(long, env = "PLUSK_CONSOLE_IDLE_MINS", default_value_t = 720, value_parser = clap::value_parser!(u64).range(1..=525_600))]
    pub console_idle_mins: u64,
    /// Minutes between two runs of the periodic sweep (six weeks of endorsements searched for
    /// slow rings and groups; 0 = never; `plusk sweep` runs it once).
    #[arg(long, env = "PLUSK_SWEEP_EVERY_MINUTES", default_value_t = crate::domain::flag::DEFAULT_SWEEP_MINUTES)]
    pub sweep_every_minutes: u32,
}

/// SQLite is for one instance: a second `plusk serve` on the same file would keep its own writer
/// state beside the first's and race it for the one write lock. Each server holds an exclusive
/// lock on `PATH.lock` while it runs, and one that cannot get it says so at start. The returned
/// file keeps the lock until it is dropped.
fn one_server_per_file(url: &DbUrl) -> Option<std::fs::File> {
    let DbUrl::Sqlite(path) = url else {
        return None;
    };
    if path == ":memory:" {
        return None;
    }
    let lock_path = format!("{path}.lock");
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .ok()?;
    if try_lock(&file) {
        return Some(file);
    }
    tracing::warn!(
        database = %path,
        "another plusk serve already uses this SQLite file: SQLite is for one instance; \
         run several instances on PostgreSQL (README, Concurrency)"
    );
    None
}

/// An exclusive, non-blocking lock on `file`, held until it is closed (`File::try_lock` needs a
/// newer Rust than plusk's minimum).
#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> bool {
    use std::os::unix::io::AsRawFd;
    // SAFETY: flock on a descriptor this function borrows open; no memory is passed.
    unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) == 0 }
}

#[cfg(not(unix))]
fn try_lock(_: &std::fs::File) -> bool {
    true
}

/// Says on stderr that a first admin key was made and is on stdout (never the key itself): in
/// the log's own format, so a JSON log stream stays JSON.
fn announce_admin_key(format: super::LogFormat) {
    match format {
        super::LogFormat::Json => tracing::warn!(
            key_name = "admin",
            "the database had no API keys, so an admin key named `admin` was created; it is \
             the next line of stdout, shown this once: keep it safe"
        ),
        super::LogFormat::Text => {
            eprintln!(
                "plusk: the database had no API keys, so an admin key named `admin` was created."
            );
            eprintln!("plusk: it is shown this once; keep it safe (the next line of stdout):");
        }
    }
}

/// A bind address must be `HOST:PORT` that resolves; `setting` names where it came from.
fn check_bind(setting: &str, bind: &str) -> anyhow::Result<()> {
    use std::net::ToSocketAddrs;
    match bind.to_socket_addrs().map(|mut addrs| addrs.next()) {
        Ok(Some(_)) => Ok(()),
        Ok(None) => anyhow::bail!("{setting} `{bind}` resolves to no address"),
        Err(e) => anyhow::bail!("{setting} `{bind}` is not HOST:PORT ({e})"),
    }
}

impl ServeArgs {
    fn rate(&self) -> anyhow::Result<RateSettings> {
        Ok(RateSettings {
            write: Rate::new(self.rate_write_per_sec, Some(self.rate_write_burst))?,
            read: Rate::new(self.rate_read_per_sec, Some(self.rate_read_burst))?,
        })
    }

    /// The server's options, every setting checked.
    fn options(&self) -> anyhow::Result<ServerOptions> {
        check_bind("--bind / PLUSK_BIND", &self.bind)?;
        if let Some(m) = &self.metrics_bind {
            check_bind("--metrics-bind / PLUSK_METRICS_BIND", m)?;
        }
        Ok(ServerOptions {
            bind: self.bind.clone(),
            metrics_bind: self.metrics_bind.clone(),
            workers: self.workers,
            handle_signals: true,
            daily_budget: self.budget.limit(),
            rate: self.rate()?,
            trusted_proxies: self.trusted_proxies.clone(),
            sweep_every: Duration::from_secs(self.rate_sweep_secs),
            detection: crate::domain::flag::Detection {
                sweep_every: (self.sweep_every_minutes > 0)
                    .then(|| chrono::Duration::minutes(i64::from(self.sweep_every_minutes))),
                ..self.detection.settings()?
            },
            reputation: self.reputation.schedule()?,
            cors: self.cors_origins.clone(),
            body_timeout: Duration::from_secs(self.body_timeout_secs),
            topics: self.topics(),
            console_idle: Duration::from_secs(self.console_idle_mins * 60),
        })
    }

    fn topics(&self) -> TopicPolicy {
        TopicPolicy {
            open: self.topics == "open",
            per_key: (self.new_topics_per_key_per_day > 0)
                .then_some(self.new_topics_per_key_per_day),
        }
    }
}

pub fn run(cli: &super::Cli, url: &DbUrl, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    // Every setting is checked before the database is touched: a typo must not leave a
    // migrated database behind a server that never started.
    let opts = args.options()?;
    let pool_opts = PoolOptions {
        max_size: args.pool_size.max(1),
        checkout_timeout: Duration::from_secs(args.pool_timeout_secs.max(1)),
    };
    let _only = one_server_per_file(url);
    let pool = db::build_pool(url, &pool_opts)?;
    let mut conn = pool.get()?;
    if cli.no_migrate {
        db::ensure_migrated(&mut conn)?;
    } else {
        let applied = db::run_migrations(&mut conn)?;
        tracing::info!(count = applied.len(), "migrations applied");
        adopt_keys(&mut conn)?;
    }
    if let Some(new) = crate::service::keys::bootstrap_admin(&mut conn)? {
        announce_admin_key(cli.log_format);
        println!("{}", new.key);
    }
    let odd = crate::service::topics::odd(&mut conn)?.len();
    if odd > 0 {
        tracing::warn!(
            topics = odd,
            "topics stored under slugs requests can no longer name: `plusk topics odd` lists them"
        );
    }
    drop(conn);
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&opts, pool)?;
        tracing::info!(bind = %opts.bind, port = app.port(), database = %url, "plusk is listening");
        if let Some(port) = app.metrics_port() {
            tracing::info!(
                metrics_port = port,
                "metrics are served without a key on this port"
            );
        }
        anyhow::Ok(app.run().await?)
    })?;
    tracing::info!("plusk stopped");
    Ok(ExitCode::SUCCESS)
}
