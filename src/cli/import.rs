//! `plusk import FILE.ndjson`: a progress bar on stderr, failures by line number, a summary.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};

use crate::db::DbConn;
use crate::domain::time;
use crate::service::import::{parse_line, Importer, LineFailure, Parsed};

#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// NDJSON: one {"endorser","endorsee","topic","note"?,"created_at"} object per line.
    pub file: PathBuf,
    /// Lift the daily budget (for back-fills of history that predates it).
    #[arg(long)]
    pub no_budget: bool,
    #[command(flatten)]
    pub budget: super::BudgetArgs,
    #[command(flatten)]
    pub detection: super::DetectionArgs,
    /// Lines committed per transaction.
    #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..=100_000))]
    pub batch_size: u32,
}

/// Counts for the closing summary.
#[derive(Debug, Default)]
struct Tally {
    lines: usize,
    blank: usize,
    imported: usize,
    failed: usize,
}

pub fn run(conn: &mut DbConn, args: &ImportArgs) -> anyhow::Result<ExitCode> {
    let file =
        File::open(&args.file).with_context(|| format!("cannot open {}", args.file.display()))?;
    let size = file.metadata().map(|m| m.len()).unwrap_or(0);
    let bar = ProgressBar::new(size).with_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let detection = args.detection.settings()?;
    let budget = if args.no_budget {
        None
    } else {
        args.budget.limit()
    };
    let mut importer = Importer::new(budget, detection);
    let mut reader = BufReader::new(file);
    let (mut tally, mut batch, mut buf) = (Tally::default(), Vec::new(), Vec::new());
    let now = time::now();
    loop {
        buf.clear();
        let read = reader
            .read_until(b'\n', &mut buf)
            .context("reading the import file")?;
        if read == 0 {
            break;
        }
        bar.inc(read as u64);
        tally.lines += 1;
        let line_no = tally.lines;
        let parsed = match std::str::from_utf8(&buf) {
            Ok(text) if text.trim().is_empty() => {
                tally.blank += 1;
                continue;
            }
            Ok(text) => parse_line(line_no, text.trim_end(), now),
            Err(_) => Err(LineFailure {
                line_no,
                code: "invalid_utf8",
                message: "the line is not valid UTF-8".into(),
            }),
        };
        match parsed {
            Ok(p) => batch.push(p),
            Err(f) => report(&bar, &mut tally, &[f]),
        }
        if batch.len() >= args.batch_size as usize {
            flush(conn, &bar, &mut tally, &mut batch, &mut importer)?;
        }
    }
    flush(conn, &bar, &mut tally, &mut batch, &mut importer)?;
    bar.finish_and_clear();
    println!(
        "import of {}: {} line(s) read, {} imported, {} failed, {} blank",
        args.file.display(),
        tally.lines,
        tally.imported,
        tally.failed,
        tally.blank
    );
    Ok(if tally.failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn flush(
    conn: &mut DbConn,
    bar: &ProgressBar,
    tally: &mut Tally,
    batch: &mut Vec<Parsed>,
    importer: &mut Importer,
) -> anyhow::Result<()> {
    if batch.is_empty() {
        return Ok(());
    }
    let failures = importer.batch(conn, batch)?;
    tally.imported += batch.len() - failures.len();
    report(bar, tally, &failures);
    bar.set_message(format!(
        "{} imported, {} failed",
        tally.imported, tally.failed
    ));
    batch.clear();
    Ok(())
}

fn report(bar: &ProgressBar, tally: &mut Tally, failures: &[LineFailure]) {
    tally.failed += failures.len();
    bar.suspend(|| {
        for f in failures {
            eprintln!("line {}: {}: {}", f.line_no, f.code, f.message);
        }
    });
}
