//! `plusk doctor`: checks an installation the way an operator would, one line per check.

use std::process::ExitCode;

use crate::db::{self, DbConn, DbUrl};
use crate::domain::keys::Role;
use crate::domain::ledger::Chain;
use crate::service;

/// Entries the quick verify reads back from the head.
const RECENT: i64 = 1000;
/// Free space below which a SQLite database's disk is a problem.
const LOW_DISK_BYTES: u64 = 1 << 30;

/// The outcome of one check, in plain words.
struct Check {
    name: &'static str,
    ok: bool,
    says: String,
}

fn ok(name: &'static str, says: impl Into<String>) -> Check {
    Check {
        name,
        ok: true,
        says: says.into(),
    }
}

fn problem(name: &'static str, says: impl Into<String>) -> Check {
    Check {
        name,
        ok: false,
        says: says.into(),
    }
}

/// Runs every check on `url`, prints each, and exits 1 if any found a problem. Nothing is
/// changed: migrations are not applied.
pub fn run(url: &DbUrl) -> anyhow::Result<ExitCode> {
    let mut checks = Vec::new();
    match db::establish(url) {
        Ok(mut conn) => {
            checks.push(ok("database", format!("connected to {url}")));
            if url.backend() == db::Backend::Postgres {
                checks.push(tls(&mut conn));
            }
            checks.extend(with_database(&mut conn));
        }
        // With its causes: libpq's own words (refused, certificate verify failed) are the news.
        Err(e) => checks.push(problem("database", format!("{:#}", anyhow::Error::new(e)))),
    }
    if let DbUrl::Sqlite(path) = url {
        checks.push(disk(path));
    }
    for c in &checks {
        let mark = if c.ok { "ok     " } else { "PROBLEM" };
        println!("{mark} {:<10} {}", c.name, c.says);
    }
    Ok(if checks.iter().all(|c| c.ok) {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn with_database(conn: &mut DbConn) -> Vec<Check> {
    let migrations = match db::pending_migrations(conn) {
        Ok(p) if p.is_empty() => ok("migrations", "none pending"),
        Ok(p) => problem(
            "migrations",
            format!(
                "{} pending ({}): run `plusk migrate`",
                p.len(),
                p.join(", ")
            ),
        ),
        Err(e) => problem("migrations", e.to_string()),
    };
    let pending = !migrations.ok;
    let mut out = vec![migrations];
    // The tables may not be there yet; what follows would only repeat that.
    if pending {
        return out;
    }
    out.push(ledger(conn));
    out.push(keys(conn));
    out
}

/// Whether the connection to PostgreSQL is encrypted. Plain text is not a problem on a private
/// network, so it is only said, with how to change it.
fn tls(conn: &mut DbConn) -> Check {
    match db::tls_version(conn) {
        Ok(Some(version)) => ok("tls", format!("the connection is encrypted ({version})")),
        Ok(None) => ok(
            "tls",
            "the connection is not encrypted (add sslmode=require to DATABASE_URL, or \
             PLUSK_DATABASE_CA_FILE to check the server's certificate)",
        ),
        Err(e) => problem("tls", format!("cannot tell: {e}")),
    }
}

/// The head, and the chain of the last entries up to it.
fn ledger(conn: &mut DbConn) -> Check {
    let head = match service::ledger::head_seq(conn) {
        Ok(h) => h,
        Err(e) => return problem("ledger", format!("cannot read the head: {e}")),
    };
    let from = (head - RECENT).max(0);
    let start = match from {
        0 => Ok(Chain::genesis()),
        _ => service::ledger::page(conn, from - 1, 1).map(|p| match p.first() {
            Some(e) => Chain {
                seq: e.seq,
                head: e.hash.clone(),
            },
            None => Chain::genesis(),
        }),
    };
    match start.and_then(|chain| service::ledger::verify_since(conn, chain)) {
        Ok((v, _)) if v.is_ok() => ok(
            "ledger",
            format!(
                "{head} entries; the last {} chain correctly (`plusk ledger verify` checks all)",
                head - from
            ),
        ),
        Ok((v, _)) => problem(
            "ledger",
            format!("broken: {}", serde_json::to_string(&v).unwrap_or_default()),
        ),
        Err(e) => problem("ledger", format!("cannot read it: {e}")),
    }
}

/// Live keys, and whether one of them can administer.
fn keys(conn: &mut DbConn) -> Check {
    match service::keys::list(conn) {
        Ok(keys) => {
            let live: Vec<_> = keys.iter().filter(|k| k.revoked_at.is_none()).collect();
            let admins = live.iter().filter(|k| k.role == Role::Admin).count();
            let says = format!("{} live ({admins} admin)", live.len());
            if admins == 0 {
                problem(
                    "keys",
                    format!("{says}: no live admin key (`plusk keys create --role admin`)"),
                )
            } else {
                ok("keys", says)
            }
        }
        Err(e) => problem("keys", format!("cannot list them: {e}")),
    }
}

/// Free space on the file system holding a SQLite database.
fn disk(path: &str) -> Check {
    let dir = std::path::Path::new(path)
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    match free_bytes(dir) {
        Some(free) if free < LOW_DISK_BYTES => {
            problem("disk", format!("{} MiB free beside {path}", free >> 20))
        }
        Some(free) => ok("disk", format!("{} MiB free beside {path}", free >> 20)),
        None => problem("disk", format!("cannot read the free space beside {path}")),
    }
}

#[cfg(unix)]
fn free_bytes(dir: &std::path::Path) -> Option<u64> {
    use std::os::unix::ffi::OsStrExt;
    let c = std::ffi::CString::new(dir.as_os_str().as_bytes()).ok()?;
    let mut s: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c` is a valid NUL-terminated path and `s` a writable statvfs.
    if unsafe { libc::statvfs(c.as_ptr(), &mut s) } != 0 {
        return None;
    }
    #[allow(clippy::unnecessary_cast)]
    Some(s.f_bavail as u64 * s.f_frsize as u64)
}

#[cfg(not(unix))]
fn free_bytes(_: &std::path::Path) -> Option<u64> {
    None
}
