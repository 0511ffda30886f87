//! `src/db/schema.rs` matches what both migration sets create, and every migration reverts.
//!
//! diesel's `print-schema` names types per backend (`Int4` vs `Integer`), and plusk keeps one
//! schema for both; so this test reads the committed schema and each migrated database and
//! compares tables, columns, their types and nullability. Not the columns' order: diesel names
//! every column it reads or writes, and PostgreSQL's endorsements table is laid out widest
//! column first to spare alignment padding (migration 20), where SQLite's keeps schema.rs's order.

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text};
use diesel_migrations::{embed_migrations, EmbeddedMigrations, MigrationHarness};
use plusk::db::DbConn;

use crate::both_backends;
use crate::common::{spawn, Backend, TestDb};

both_backends!(
    schema_rs_matches_the_migrated_database,
    migrations_revert_and_reapply,
    the_compact_ledger_migration_round_trips,
    the_created_entries_migration_round_trips,
    the_user_order_keys_migration_round_trips,
    the_flag_entries_migration_refuses_to_revert_over_kept_entries
);

const SQLITE: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// (table, [(column, diesel type, nullable)]), columns by name.
type Schema = Vec<(String, Vec<(String, String, bool)>)>;

/// Reads the `diesel::table!` blocks of the committed schema.
fn committed_schema() -> Schema {
    let text = include_str!("../../src/db/schema.rs");
    let mut out: Schema = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if line.starts_with("    ") && !line.starts_with("        ") && trimmed.ends_with('{') {
            let name = trimmed.split_whitespace().next().unwrap();
            out.push((name.to_string(), Vec::new()));
        } else if let Some((col, ty)) = line
            .strip_prefix("        ")
            .and_then(|l| l.trim_end_matches(',').split_once(" -> "))
        {
            let (ty, nullable) = match ty.strip_prefix("Nullable<") {
                Some(inner) => (inner.trim_end_matches('>'), true),
                None => (ty, false),
            };
            out.last_mut()
                .unwrap()
                .1
                .push((col.to_string(), ty.to_string(), nullable));
        }
    }
    by_name(out)
}

/// Tables, and each table's columns, in name order.
fn by_name(mut schema: Schema) -> Schema {
    schema.sort_by(|a, b| a.0.cmp(&b.0));
    for (_, cols) in &mut schema {
        cols.sort_by(|a, b| a.0.cmp(&b.0));
    }
    schema
}

#[derive(QueryableByName)]
struct SqliteColumn {
    #[diesel(sql_type = Text)]
    name: String,
    #[diesel(sql_type = Text)]
    #[diesel(column_name = type_)]
    type_: String,
    #[diesel(sql_type = Integer)]
    notnull: i32,
    #[diesel(sql_type = Integer)]
    pk: i32,
}

#[derive(QueryableByName)]
struct Name {
    #[diesel(sql_type = Text)]
    name: String,
}

#[derive(QueryableByName)]
struct PgColumn {
    #[diesel(sql_type = Text)]
    column_name: String,
    #[diesel(sql_type = Text)]
    data_type: String,
    #[diesel(sql_type = Text)]
    is_nullable: String,
}

fn diesel_type(sql: &str) -> String {
    match sql.to_ascii_lowercase().as_str() {
        "integer" => "Integer",
        "bigint" => "BigInt",
        "text" => "Text",
        "timestamp" | "timestamp without time zone" => "Timestamp",
        "boolean" => "Bool",
        "double precision" | "double" => "Double",
        "blob" | "bytea" => "Binary",
        other => panic!("no diesel type for SQL type {other}"),
    }
    .to_string()
}

/// The live type of a SQLite row-id column.
const ROWID: &str = "RowId";

/// Live types that stand for a committed one: a row-id column for Integer or BigInt (it holds
/// 64 bits), and plusk's `Instant` time type, an INTEGER on SQLite and a TIMESTAMP on PostgreSQL.
fn as_committed(mut live: Schema, committed: &Schema) -> Schema {
    for ((_, cols), (_, want)) in live.iter_mut().zip(committed) {
        for ((name, ty, _), (want_name, want_ty, _)) in cols.iter_mut().zip(want) {
            let fits = match want_ty.as_str() {
                "Integer" | "BigInt" => ty == ROWID,
                "Instant" => ty == "Integer" || ty == "Timestamp",
                _ => false,
            };
            if fits && name == want_name {
                *ty = want_ty.clone();
            }
        }
    }
    live
}

fn live_schema(conn: DbConn) -> Schema {
    let out: Schema = match conn {
        DbConn::Sqlite(mut c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT name FROM sqlite_master WHERE type = 'table' \
                 AND name NOT LIKE 'sqlite_%' AND name <> '__diesel_schema_migrations'",
            )
            .load(&mut c)
            .unwrap();
            tables
                .into_iter()
                .map(|t| {
                    let cols: Vec<SqliteColumn> = diesel::sql_query(format!(
                        "SELECT name, type AS type_, \"notnull\", pk FROM pragma_table_info('{}')",
                        t.name
                    ))
                    .load(&mut c)
                    .unwrap();
                    let cols = cols
                        .into_iter()
                        .map(|c| {
                            // `INTEGER PRIMARY KEY` is SQLite's 64-bit row id: schema.rs may call
                            // it Integer or BigInt (see `as_committed`).
                            let ty = if c.pk == 1 && c.type_ == "INTEGER" {
                                ROWID.to_string()
                            } else {
                                diesel_type(&c.type_)
                            };
                            (c.name, ty, c.notnull == 0)
                        })
                        .collect();
                    (t.name, cols)
                })
                .collect()
        }
        DbConn::Pg(mut c) => {
            let tables: Vec<Name> = diesel::sql_query(
                "SELECT table_name::text AS name FROM information_schema.tables \
                 WHERE table_schema = 'public' AND table_type = 'BASE TABLE' \
                 AND table_name <> '__diesel_schema_migrations'",
            )
            .load(&mut c)
            .unwrap();
            tables
                .into_iter()
                .map(|t| {
                    let cols: Vec<PgColumn> = diesel::sql_query(format!(
                        "SELECT column_name::text, data_type::text, is_nullable::text FROM information_schema.columns \
                         WHERE table_schema = 'public' AND table_name = '{}' ORDER BY ordinal_position",
                        t.name
                    ))
                    .load(&mut c)
                    .unwrap();
                    let cols = cols
                        .into_iter()
                        .map(|c| (c.column_name, diesel_type(&c.data_type), c.is_nullable == "YES"))
                        .collect();
                    (t.name, cols)
                })
                .collect()
        }
    };
    by_name(out)
}

async fn schema_rs_matches_the_migrated_database(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    let committed = committed_schema();
    assert_eq!(committed.len(), 13, "the parser found every table");
    assert_eq!(
        as_committed(live_schema(db.conn()), &committed),
        committed,
        "src/db/schema.rs is out of date with the {b:?} migrations"
    );
}

async fn migrations_revert_and_reapply(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    let before = live_schema(db.conn());
    match db.conn() {
        DbConn::Sqlite(mut c) => c.revert_all_migrations(SQLITE).map(drop),
        DbConn::Pg(mut c) => c.revert_all_migrations(POSTGRES).map(drop),
    }
    .unwrap();
    let mut conn = plusk::db::establish(&db.db_url()).unwrap();
    assert!(
        live_schema(plusk::db::establish(&db.db_url()).unwrap()).is_empty(),
        "down.sql removes every table"
    );
    plusk::db::run_migrations(&mut conn).unwrap();
    assert_eq!(live_schema(conn), before);
}

/// A ledger entry as migrations before the compact ledger stored it.
#[derive(QueryableByName, Debug, PartialEq)]
struct OldEntry {
    #[diesel(sql_type = BigInt)]
    seq: i64,
    #[diesel(sql_type = Text)]
    payload: String,
    #[diesel(sql_type = Text)]
    prev_hash: String,
    #[diesel(sql_type = Text)]
    hash: String,
}

/// Reverts migrations, newest first, until the compact-ledger migration is undone too.
fn revert_compact_ledger(conn: &mut DbConn) {
    revert_through(conn, "20261201000008");
}

/// Reverts migrations, newest first, until `version` is undone too.
fn revert_through(conn: &mut DbConn, version: &str) {
    loop {
        let applied = match conn {
            DbConn::Sqlite(c) => c.applied_migrations(),
            DbConn::Pg(c) => c.applied_migrations(),
        }
        .unwrap();
        if !applied.iter().any(|v| v.to_string() == version) {
            return;
        }
        match conn {
            DbConn::Sqlite(c) => c.revert_last_migration(SQLITE).map(drop),
            DbConn::Pg(c) => c.revert_last_migration(POSTGRES).map(drop),
        }
        .unwrap();
    }
}

/// Reverting the compact-ledger migration writes back every payload, prev_hash and hex hash
/// exactly as the entries were hashed, and applying it again keeps a ledger that verifies.
async fn the_compact_ledger_migration_round_trips(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    for (endorser, note) in [
        ("ann", None),
        ("bea", Some("très \"bien\"\n")),
        ("cy", None),
    ] {
        let body = serde_json::json!({"endorser": endorser, "endorsee": "dan", "topic": "t", "note": note});
        let r = app.post("/v1/endorsements", &app.app_key, &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    assert_eq!(
        app.delete("/v1/endorsements/4", &app.app_key).await.status,
        200
    );
    let mut conn = plusk::db::establish(&app.db.db_url()).unwrap();
    let before = plusk::service::ledger::page(&mut conn, 0, 100).unwrap();
    assert_eq!(
        before.len(),
        2 + 4,
        "the harness's keys, three creations, a revocation"
    );

    revert_compact_ledger(&mut conn);
    let old: Vec<OldEntry> =
        diesel::sql_query("SELECT seq, payload, prev_hash, hash FROM ledger ORDER BY seq")
            .load(&mut conn)
            .unwrap();
    let expected: Vec<OldEntry> = before
        .iter()
        .map(|e| OldEntry {
            seq: e.seq,
            payload: e.payload.clone(),
            prev_hash: e.prev_hash.clone(),
            hash: e.hash.clone(),
        })
        .collect();
    assert_eq!(old, expected, "the old layout, byte for byte");

    plusk::db::run_migrations(&mut conn).unwrap();
    let verdict = plusk::service::ledger::verify(&mut conn).unwrap();
    assert!(verdict.is_ok(), "{verdict:?}");
    assert_eq!(
        plusk::service::ledger::page(&mut conn, 0, 100).unwrap(),
        before
    );
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Seq {
    #[diesel(sql_type = BigInt)]
    seq: i64,
}

/// Migration 18 keeps each created entry on its endorsement row. Reverting it puts every entry
/// back in the ledger table, an import's with the time of the import rather than the
/// endorsement's; applying it again gives the same chain, which verifies.
async fn the_created_entries_migration_round_trips(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let r = app.endorse("ann", "dan", "t").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let line = serde_json::json!({"endorser": "bea", "endorsee": "dan", "topic": "t",
        "created_at": "2025-01-01T00:00:00Z"})
    .to_string();
    let now = plusk::domain::time::now();
    let lines = vec![plusk::service::import::parse_line(1, &line, now).unwrap()];
    plusk::service::import::import_batch(&mut app.db.conn(), &lines, None, &Default::default())
        .unwrap();
    let mut conn = plusk::db::establish(&app.db.db_url()).unwrap();
    let before = plusk::service::ledger::page(&mut conn, 0, 100).unwrap();
    let seqs: Vec<i64> = before.iter().map(|e| e.seq).collect();
    assert_eq!(
        seqs,
        vec![1, 2, 3, 4],
        "the harness's keys, a write, an import"
    );
    let imported = &before[3];
    assert_eq!(imported.kind, "endorsement.created");
    assert!(
        imported.payload.contains("2025-01-01T00:00:00"),
        "{imported:?}"
    );
    assert!(
        imported.at >= now,
        "written at the time of the import: {imported:?}"
    );
    assert_eq!(app.count("ledger"), 2, "creations are kept on their rows");
    assert_eq!(
        app.count("endorsements WHERE entry_at IS NULL"),
        1,
        "the API write's entry has the endorsement's own time"
    );

    revert_through(&mut conn, "20261207000018");
    let old: Vec<Seq> = diesel::sql_query("SELECT seq FROM ledger ORDER BY seq")
        .load(&mut conn)
        .unwrap();
    assert_eq!(
        old.iter().map(|r| r.seq).collect::<Vec<_>>(),
        seqs,
        "every entry back in the ledger table"
    );

    plusk::db::run_migrations(&mut conn).unwrap();
    assert_eq!(
        plusk::service::ledger::page(&mut conn, 0, 100).unwrap(),
        before
    );
    let verdict = plusk::service::ledger::verify(&mut conn).unwrap();
    assert!(verdict.is_ok(), "{verdict:?}");
}

#[derive(QueryableByName)]
struct Entries {
    #[diesel(sql_type = Text)]
    entries: String,
}

/// The lengths of the rows of every user-ordered part: 2 for `[user, rank]`, 8 for whole rows.
fn user_order_row_lengths(conn: &mut DbConn) -> std::collections::BTreeSet<usize> {
    let parts: Vec<Entries> =
        diesel::sql_query("SELECT entries FROM reputation_parts WHERE NOT by_rank")
            .load(conn)
            .unwrap();
    assert!(!parts.is_empty());
    parts
        .iter()
        .flat_map(|p| serde_json::from_str::<Vec<Vec<serde_json::Value>>>(&p.entries).unwrap())
        .map(|row| row.len())
        .collect()
}

/// What readers see of a topic's scores: the whole leaderboard, some users' scores, histories
/// and explanations, and the analysts' SQL view.
async fn scores_as_read(app: &crate::common::TestApp, conn: &mut DbConn) -> Vec<serde_json::Value> {
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/v1/topics/t/leaderboard?limit=50&cursor={c}"),
            None => "/v1/topics/t/leaderboard?limit=50".to_string(),
        };
        let r = app.get(&url, &app.admin).await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.push(r.json["items"].clone());
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    for who in ["fan0", "fan149", "fan77", "star0", "star19"] {
        for path in [
            format!("/v1/users/{who}/reputation"),
            format!("/v1/users/{who}/reputation/t/history"),
            format!("/v1/users/{who}/reputation/t/explain"),
        ] {
            let r = app.get(&path, &app.admin).await;
            assert_eq!(r.status, 200, "{path}: {}", r.text);
            seen.push(r.json);
        }
    }
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = Text)]
        handle: String,
        #[diesel(sql_type = Integer)]
        rank: i32,
        #[diesel(sql_type = diesel::sql_types::Double)]
        raw: f64,
    }
    let view: Vec<Row> = diesel::sql_query(
        "SELECT handle, rank, raw FROM current_scores WHERE topic = 't' ORDER BY rank, handle",
    )
    .load(conn)
    .unwrap();
    seen.push(serde_json::json!(view
        .iter()
        .map(|r| (r.handle.as_str(), r.rank, r.raw))
        .collect::<Vec<_>>()));
    seen
}

/// Migration 19 keeps only `[user, rank]` in a run's user order. Reverting it writes whole rows
/// back there, and every reader (API and SQL view) reads the same scores in both layouts, and
/// again once it is applied anew.
async fn the_user_order_keys_migration_round_trips(b: Backend) {
    let mut opts = crate::reputation::quiet(Default::default());
    opts.detection.enabled = false;
    let Some(app) = crate::common::spawn_with(b, opts).await else {
        return;
    };
    // 170 users: two parts in each order, so rows are found across part boundaries.
    let fans: Vec<String> = (0..150).map(|i| format!("fan{i}")).collect();
    let stars: Vec<String> = (0..20).map(|i| format!("star{i}")).collect();
    let edges: Vec<(&str, &str)> = fans
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), stars[i % 20].as_str()))
        .collect();
    crate::reputation::endorse_all(&app, "t", &edges).await;
    crate::reputation::recompute(&app).await;
    let mut conn = plusk::db::establish(&app.db.db_url()).unwrap();
    assert_eq!(user_order_row_lengths(&mut conn), [2].into());
    let before = scores_as_read(&app, &mut conn).await;

    revert_through(&mut conn, "20261207000019");
    assert_eq!(
        user_order_row_lengths(&mut conn),
        [8].into(),
        "whole rows back"
    );
    assert_eq!(scores_as_read(&app, &mut conn).await, before);

    plusk::db::run_migrations(&mut conn).unwrap();
    assert_eq!(user_order_row_lengths(&mut conn), [2].into());
    assert_eq!(scores_as_read(&app, &mut conn).await, before);
}

#[derive(QueryableByName, Debug, PartialEq)]
struct Times {
    #[diesel(sql_type = BigInt)]
    created_at: i64,
    #[diesel(sql_type = diesel::sql_types::Nullable<BigInt>)]
    revoked_at: Option<i64>,
    #[diesel(sql_type = BigInt)]
    at: i64,
}

/// On SQLite the compact-ledger migration turns diesel's text times, in every form diesel wrote
/// them (no fraction, 1 to 9 digits, before 1970), into microseconds since the epoch.
#[test]
fn sqlite_text_times_become_microseconds() {
    let Some(db) = TestDb::new(Backend::Sqlite) else {
        return;
    };
    let mut conn = plusk::db::establish(&db.db_url()).unwrap();
    plusk::db::run_migrations(&mut conn).unwrap();
    revert_compact_ledger(&mut conn);
    let times = [
        ("2025-01-01 00:00:00", None),
        ("2024-02-29 12:34:56.1", Some("2024-03-01 00:00:00.000001")),
        ("1969-07-20 20:17:40.5", None),
        ("9999-12-31 23:59:59.123456789", None),
        (
            "2026-12-01 03:14:53.123456",
            Some("2026-12-02 03:14:53.654"),
        ),
    ];
    let mut sql = String::from(
        "INSERT INTO users (id, handle, created_at) VALUES (1, 'a', '2020-01-01 00:00:00'), (2, 'b', '2020-01-01 00:00:00');
         INSERT INTO topics (id, slug, created_at) VALUES (1, 't', '2020-01-01 00:00:00');",
    );
    let hash = "ab".repeat(32);
    for (i, (created, revoked)) in times.iter().enumerate() {
        let id = i + 1;
        let revoked = revoked.map_or("NULL".to_string(), |r| format!("'{r}'"));
        sql += &format!(
            "INSERT INTO ledger VALUES ({id}, 'endorsement.created', '{created}', '{{}}', '{hash}', '{hash}');
             INSERT INTO endorsements VALUES ({id}, 1, 2, 1, NULL, 'revoked', '{created}', {revoked}, {id}, NULL);"
        );
    }
    conn.batch_execute(&sql).unwrap();
    plusk::db::run_migrations(&mut conn).unwrap();

    let micros = |raw: &str| {
        chrono::NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S%.f")
            .unwrap()
            .and_utc()
            .timestamp_micros()
    };
    let got: Vec<Times> = diesel::sql_query(
        // Since migration 18 a created entry's time is kept on its row (NULL: created_at).
        "SELECT e.created_at, e.revoked_at, COALESCE(e.entry_at, e.created_at) AS at \
         FROM endorsements e WHERE e.entry_hash IS NOT NULL ORDER BY e.id",
    )
    .load(&mut conn)
    .unwrap();
    let want: Vec<Times> = times
        .iter()
        .map(|(c, r)| Times {
            created_at: micros(c),
            revoked_at: r.map(micros),
            at: micros(c),
        })
        .collect();
    assert_eq!(got, want);
}

/// Migration 21 keeps each `flag.raised` entry on the flag it raised. SQL cannot write those
/// payloads back byte for byte, so reverting it is refused while a flag keeps its entry, and
/// the database is left as it was.
async fn the_flag_entries_migration_refuses_to_revert_over_kept_entries(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let ask = serde_json::json!({"requester": "carol", "text": "please +K me on writing!"});
    let r = app.post("/v1/solicitations", &app.app_key, &ask).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let r = app.endorse("alice", "carol", "writing").await;
    assert_eq!(r.json["status"], "flagged", "{}", r.text);
    let mut conn = plusk::db::establish(&app.db.db_url()).unwrap();
    let before = plusk::service::ledger::page(&mut conn, 0, 100).unwrap();
    assert_eq!(app.count("flags WHERE entry_hash IS NOT NULL"), 1);

    let reverted = match &mut conn {
        DbConn::Sqlite(c) => c.revert_last_migration(SQLITE).map(drop),
        DbConn::Pg(c) => c.revert_last_migration(POSTGRES).map(drop),
    };
    assert!(reverted.is_err(), "reverting over a kept flag entry");
    let applied = match &mut conn {
        DbConn::Sqlite(c) => c.applied_migrations(),
        DbConn::Pg(c) => c.applied_migrations(),
    }
    .unwrap();
    assert!(applied.iter().any(|v| v.to_string() == "20261207000021"));
    assert_eq!(
        plusk::service::ledger::page(&mut conn, 0, 100).unwrap(),
        before
    );
    let verdict = plusk::service::ledger::verify(&mut conn).unwrap();
    assert!(verdict.is_ok(), "{verdict:?}");
}
