//! `plusk topics …`: topics older versions stored under slugs no request can name now.

use std::process::ExitCode;

use crate::db::DbConn;
use crate::domain::topic::TopicSlug;
use crate::service::topics as svc;

#[derive(Debug, clap::Subcommand)]
pub enum TopicsCommand {
    /// List stored slugs that requests can no longer name (runs of dashes, dashes at the ends),
    /// each with the `plusk topics merge` that folds it into its normal form.
    Odd,
    /// Merge topic FROM into INTO, recorded in the ledger (`topic.merged`): endorsements,
    /// reports and seeds move; where a pair of users is live in both, the older endorsement
    /// stays (a voided one always stays) and the other is revoked; writes naming FROM go to
    /// INTO from then on. INTO is created if nobody has used it.
    Merge {
        /// The slug exactly as stored (`plusk topics odd` lists them), e.g. `-rust--lang-`.
        #[arg(allow_hyphen_values = true)]
        from: String,
        /// The topic to merge into, as a request would name it.
        #[arg(allow_hyphen_values = true, value_parser = parse_slug)]
        into: TopicSlug,
    },
}

fn parse_slug(s: &str) -> Result<TopicSlug, String> {
    TopicSlug::parse(s).map_err(|e| e.to_string())
}

pub fn run(conn: &mut DbConn, cmd: &TopicsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        TopicsCommand::Odd => {
            for (slug, normal) in svc::odd(conn)? {
                match normal {
                    Some(n) => println!("{slug}\tplusk topics merge -- '{slug}' {n}"),
                    None => {
                        println!("{slug}\t(no letter or digit: merge it into a topic you choose)")
                    }
                }
            }
        }
        TopicsCommand::Merge { from, into } => {
            let m = svc::merge(conn, from, into, None)?;
            let created = if m.created { " (created)" } else { "" };
            println!(
                "merged topic {} into {}{created}: {} endorsement(s) moved, {} revoked as \
                 duplicates{}; ledger entry {}",
                m.from,
                m.into,
                m.moved,
                m.revoked.len(),
                if m.revoked.is_empty() {
                    String::new()
                } else {
                    format!(" ({})", join(&m.revoked))
                },
                m.seq
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn join(ids: &[i64]) -> String {
    ids.iter()
        .map(i64::to_string)
        .collect::<Vec<_>>()
        .join(", ")
}
