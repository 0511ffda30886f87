//! `plusk import FILE.ndjson`: a progress bar on stderr, failures by line number, a summary.

use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::mpsc::{self, SyncSender};
use std::thread;

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
    /// Import the whole file in one transaction, all or nothing, with the endorsements'
    /// indexes built once at the end: several times faster for a large back-fill. It holds
    /// the write lock throughout (and on PostgreSQL keeps readers off the endorsements), so
    /// stop the service first.
    #[arg(long)]
    pub bulk: bool,
}

/// Counts for the closing summary.
#[derive(Debug, Default)]
struct Tally {
    lines: usize,
    blank: usize,
    imported: usize,
    failed: usize,
}

/// Up to one batch of lines as the reading thread parsed them.
struct Chunk {
    parsed: Vec<Parsed>,
    failures: Vec<LineFailure>,
    lines: usize,
    blank: usize,
    bytes: u64,
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
    let mut tally = Tally::default();
    // Reading and parsing run on a thread of their own, a few batches ahead of the writer.
    let (send, chunks) = mpsc::sync_channel(4);
    let batch_size = args.batch_size as usize;
    let reader = thread::Builder::new()
        .name("plusk-import-read".into())
        .spawn(move || read_chunks(file, batch_size, &send))
        .context("cannot start the thread reading the import file")?;
    let mut write =
        |chunk: Chunk, sink: &mut dyn FnMut(&[Parsed]) -> anyhow::Result<Vec<LineFailure>>| {
            bar.inc(chunk.bytes);
            tally.lines += chunk.lines;
            tally.blank += chunk.blank;
            let mut failures = chunk.failures;
            if !chunk.parsed.is_empty() {
                let refused = sink(&chunk.parsed)?;
                tally.imported += chunk.parsed.len() - refused.len();
                failures.extend(refused);
            }
            failures.sort_by_key(|f| f.line_no);
            report(&bar, &mut tally, &failures);
            anyhow::Ok(())
        };
    if args.bulk {
        let on_index = |name: &str, i, n| {
            bar.set_message(format!("building index {name} ({i} of {n})"));
            bar.enable_steady_tick(std::time::Duration::from_millis(200));
        };
        importer
            .bulk(
                conn,
                |load| {
                    for chunk in chunks.iter() {
                        write(chunk?, &mut |batch| Ok(load.batch(batch)?))?;
                    }
                    anyhow::Ok(())
                },
                on_index,
            )
            .context("the bulk import was rolled back: nothing of it was written")?;
    } else {
        for chunk in chunks.iter() {
            write(chunk?, &mut |batch| Ok(importer.batch(conn, batch)?))?;
        }
    }
    reader
        .join()
        .map_err(|_| anyhow::anyhow!("the thread reading the import file panicked"))?;
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

/// Reads and parses the file, sending a chunk for every `batch_size` lines that parsed; stops at
/// the end of the file, at a read error (sent on), or when the writer has gone.
fn read_chunks(file: File, batch_size: usize, send: &SyncSender<anyhow::Result<Chunk>>) {
    let now = time::now();
    let mut reader = BufReader::new(file);
    let (mut buf, mut line_no) = (Vec::new(), 0);
    let fresh = || Chunk {
        parsed: Vec::with_capacity(batch_size),
        failures: Vec::new(),
        lines: 0,
        blank: 0,
        bytes: 0,
    };
    let mut chunk = fresh();
    loop {
        buf.clear();
        let read = match reader.read_until(b'\n', &mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) => {
                let _ = send.send(Err(anyhow::Error::new(e).context("reading the import file")));
                return;
            }
        };
        line_no += 1;
        chunk.lines += 1;
        chunk.bytes += read as u64;
        match std::str::from_utf8(&buf) {
            Ok(text) if text.trim().is_empty() => chunk.blank += 1,
            Ok(text) => match parse_line(line_no, text.trim_end(), now) {
                Ok(p) => chunk.parsed.push(p),
                Err(f) => chunk.failures.push(f),
            },
            Err(_) => chunk.failures.push(LineFailure {
                line_no,
                code: "invalid_utf8",
                message: "the line is not valid UTF-8".into(),
            }),
        }
        if chunk.parsed.len() >= batch_size
            && send
                .send(Ok(std::mem::replace(&mut chunk, fresh())))
                .is_err()
        {
            return;
        }
    }
    let _ = send.send(Ok(chunk));
}

fn report(bar: &ProgressBar, tally: &mut Tally, failures: &[LineFailure]) {
    tally.failed += failures.len();
    bar.suspend(|| {
        for f in failures {
            eprintln!("line {}: {}: {}", f.line_no, f.code, f.message);
        }
    });
    bar.set_message(format!(
        "{} imported, {} failed",
        tally.imported, tally.failed
    ));
}
