//! The embedded migrations of both backends.

use diesel::connection::SimpleConnection;
use diesel::RunQueryDsl;
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};

use super::DbConn;

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// Applies every pending migration; returns the versions applied, oldest first.
pub fn run_migrations(conn: &mut DbConn) -> anyhow::Result<Vec<String>> {
    let applied = match conn {
        DbConn::Sqlite(c) => c
            .run_pending_migrations(SQLITE)
            .map(|v| v.iter().map(|v| v.to_string()).collect()),
        DbConn::Pg(c) => without_statement_timeout(c, |c| {
            c.run_pending_migrations(POSTGRES)
                .map(|v| v.iter().map(|v| v.to_string()).collect())
        }),
    };
    applied.map_err(|e| anyhow::anyhow!("migration failed: {e}"))
}

type MigrationResult<T> = diesel::migration::Result<T>;

/// Runs `f` with no statement timeout, then puts the session's back. A migration that rewrites
/// a table (the scores of every run, say) runs as long as the table is large: on a database of
/// 10M endorsements one took longer than the 30 s every other statement is held to, and failed.
fn without_statement_timeout<T>(
    c: &mut diesel::PgConnection,
    f: impl FnOnce(&mut diesel::PgConnection) -> MigrationResult<T>,
) -> MigrationResult<T> {
    #[derive(diesel::QueryableByName)]
    struct Setting {
        #[diesel(sql_type = diesel::sql_types::Text)]
        statement_timeout: String,
    }
    let was: Setting = diesel::sql_query("SHOW statement_timeout").get_result(c)?;
    c.batch_execute("SET statement_timeout = 0")?;
    let out = f(c);
    diesel::sql_query("SELECT set_config('statement_timeout', $1, false)")
        .bind::<diesel::sql_types::Text, _>(&was.statement_timeout)
        .execute(c)?;
    out
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
