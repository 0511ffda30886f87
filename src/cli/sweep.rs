//! `plusk sweep`: the periodic sweep once, by hand (a server runs it every
//! `--sweep-every-minutes`).

use std::process::ExitCode;

use crate::db::DbConn;
use crate::domain::detect::sweep::WINDOW;
use crate::service::{sweep, tx::outside};

#[derive(Debug, clap::Args)]
pub struct SweepArgs {
    #[command(flatten)]
    pub detection: super::DetectionArgs,
}

pub fn run(conn: &mut DbConn, args: &SweepArgs) -> anyhow::Result<ExitCode> {
    let detection = args.detection.settings()?;
    let found = sweep::find(conn, &detection)?;
    let report = outside(conn, |tx| sweep::apply(tx, &found, &detection))?;
    println!(
        "swept {} endorsement(s) of the last {} days in {} ms: {} group(s), {} flag(s) raised",
        report.judged,
        WINDOW.num_days(),
        found.ms,
        report.groups,
        report.flagged
    );
    Ok(ExitCode::SUCCESS)
}
