//! `plusk serve`.

use std::process::ExitCode;
use std::time::Duration;

use crate::db::{self, DbUrl, PoolOptions};
use crate::http::{Application, ServerOptions};

#[derive(Debug, Clone, clap::Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "PLUSK_BIND", default_value = "127.0.0.1:8080")]
    pub bind: String,
    #[command(flatten)]
    pub budget: super::BudgetArgs,
    /// HTTP worker threads (default: one per core).
    #[arg(long, env = "PLUSK_WORKERS")]
    pub workers: Option<usize>,
    /// Most database connections open at once.
    #[arg(long, env = "PLUSK_POOL_SIZE", default_value_t = 8)]
    pub pool_size: u32,
    /// Seconds a request waits for a free database connection before it is answered 503.
    #[arg(long, env = "PLUSK_POOL_TIMEOUT_SECS", default_value_t = 5)]
    pub pool_timeout_secs: u64,
}

pub fn run(cli: &super::Cli, url: &DbUrl, args: &ServeArgs) -> anyhow::Result<ExitCode> {
    let pool_opts = PoolOptions {
        max_size: args.pool_size.max(1),
        checkout_timeout: Duration::from_secs(args.pool_timeout_secs.max(1)),
    };
    let pool = db::build_pool(url, &pool_opts)?;
    let mut conn = pool.get()?;
    if !cli.no_migrate {
        let applied = db::run_migrations(&mut conn)?;
        tracing::info!(count = applied.len(), "migrations applied");
    }
    if let Some(new) = crate::service::keys::bootstrap_admin(&mut conn)? {
        eprintln!(
            "plusk: the database had no API keys, so an admin key named `admin` was created."
        );
        eprintln!("plusk: it is shown this once; keep it safe (the next line of stdout):");
        println!("{}", new.key);
    }
    drop(conn);
    let opts = ServerOptions {
        bind: args.bind.clone(),
        workers: args.workers,
        handle_signals: true,
        daily_budget: args.budget.limit(),
    };
    actix_web::rt::System::new().block_on(async move {
        let app = Application::build(&opts, pool)?;
        tracing::info!(bind = %opts.bind, port = app.port(), database = %url, "plusk is listening");
        app.run().await
    })?;
    tracing::info!("plusk stopped");
    Ok(ExitCode::SUCCESS)
}
