//! The embedded migrations of both backends.

use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration; returns the versions applied, oldest first.
pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE),
        DbConn::Pg(c) => c.run_pending_migrations(POSTGRES),
    }
    .map_err(|e| anyhow::anyhow!("migration failed: {e}"))?;
    Ok(applied.iter().map(|v| v.to_string()).collect())
}

/// The versions of the migrations not yet applied, oldest first.
pub fn pending_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let versions = match conn {
        DbConn::Sqlite(c) => c
            .pending_migrations(SQLITE)
            .map(|p| p.iter().map(|m| m.name().version().to_string()).collect()),
        DbConn::Pg(c) => c
            .pending_migrations(POSTGRES)
            .map(|p| p.iter().map(|m| m.name().version().to_string()).collect()),
    };
    versions.map_err(|e| anyhow::anyhow!("cannot read the applied migrations: {e}"))
}

/// Refuses, in plain words, a database that `--no-migrate` would otherwise meet with "no such
/// table".
pub fn ensure_migrated(conn: &mut DbConn) -> anyhow::Result<()> {
    let pending = pending_migrations(conn)?;
    anyhow::ensure!(
        pending.is_empty(),
        "the database has {} pending migration(s) ({}); run `plusk migrate` first, or start without --no-migrate",
        pending.len(),
        pending.join(", ")
    );
    Ok(())
}
