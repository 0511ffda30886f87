//! The `plusk` binary: keys, migrate, ledger verify, import and serve.

use std::io::Write;
use std::process::{Command, Output};
use std::time::Duration;

use serde_json::json;

use crate::both_backends;
use crate::common::{plusk, spawn_on, Backend, Options, Served, TestDb};

both_backends!(
    keys_commands,
    migrate_and_verify_commands,
    import_command,
    an_import_brings_reported_asks_along,
    a_bulk_import_brings_reported_asks_along,
    bulk_import_command,
    a_bulk_import_whose_rows_fail_to_write_leaves_nothing,
    a_killed_bulk_import_leaves_nothing,
    keys_made_before_the_ledger_recorded_them_are_adopted_once
);

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Issue 18, item 5: a database from before keys were recorded has keys and no `key.changed`
/// entry. Opened by this version, every key is recorded once (`adopted`), and from then on a
/// key without an entry is an error, not adopted in turn.
async fn keys_made_before_the_ledger_recorded_them_are_adopted_once(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    assert!(plusk(&db, &["migrate"]).status.success());
    let old_key = "INSERT INTO api_keys (name, role, key_hash, created_at) \
                   VALUES ('old-app', 'app', 'aa', '2026-01-01 00:00:00')";
    db.exec(old_key);
    let verify = |db: &TestDb| {
        let out = plusk(db, &["ledger", "verify"]);
        serde_json::from_str::<serde_json::Value>(stdout(&out).trim()).unwrap()
    };
    let v = verify(&db);
    assert_eq!(
        (v["ok"].as_bool(), v["entries"].as_i64()),
        (Some(true), Some(1)),
        "{v}"
    );
    let v = verify(&db);
    assert_eq!(v["entries"], 1, "adopted once: {v}");
    db.exec(
        &old_key
            .replace("old-app", "new-app")
            .replace("'aa'", "'bb'"),
    );
    let v = verify(&db);
    assert_eq!(v["ok"], false, "{v}");
    assert!(v["reason"].as_str().unwrap().contains("new-app"), "{v}");
}

async fn keys_commands(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    assert!(plusk(&db, &["migrate"]).status.success());
    let out = plusk(
        &db,
        &["keys", "create", "--name", "cli-app", "--role", "app"],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let text = stdout(&out);
    let key = text.lines().last().unwrap().to_string();
    assert!(
        key.starts_with("plusk_"),
        "the key is the last line: {text}"
    );

    let bad = plusk(&db, &["keys", "create", "--name", "x", "--role", "root"]);
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("root"), "{}", stderr(&bad));
    let taken = plusk(
        &db,
        &["keys", "create", "--name", "cli-app", "--role", "app"],
    );
    assert_eq!(taken.status.code(), Some(2));
    assert!(
        stderr(&taken).contains("already exists"),
        "{}",
        stderr(&taken)
    );

    let list = plusk(&db, &["keys", "list"]);
    assert!(list.status.success());
    assert!(stdout(&list).contains("cli-app") && stdout(&list).contains("app"));
    assert!(!stdout(&list).contains(&key), "list never prints a key");

    let app = spawn_on(db, Options::default());
    assert_eq!(
        app.get("/v1/endorsements", &key).await.status,
        200,
        "the printed key works"
    );
    let revoke = plusk(&app.db, &["keys", "revoke", "cli-app"]);
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    // The server trusts a key lookup for a moment; a revoke from outside it shows after that.
    tokio::time::sleep(plusk::http::key_cache::KEY_CACHE_TTL + Duration::from_millis(100)).await;
    app.get("/v1/endorsements", &key)
        .await
        .assert_problem(401, "unauthorized");
    assert_eq!(
        plusk(&app.db, &["keys", "revoke", "cli-app"]).status.code(),
        Some(2)
    );
}

async fn migrate_and_verify_commands(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    let first = plusk(&db, &["migrate"]);
    assert!(first.status.success(), "{}", stderr(&first));
    let applied = stdout(&first);
    assert!(
        applied.contains("migration(s) applied") && !applied.starts_with("0 "),
        "{applied}"
    );
    assert!(applied.contains("20261125000001"), "{applied}");
    assert!(stdout(&plusk(&db, &["migrate"])).starts_with("0 migration(s) applied"));

    let app = spawn_on(db, Options::default());
    app.endorse("alice", "bob", "writing").await;
    app.endorse("bob", "carol", "writing").await;
    let ok = plusk(&app.db, &["ledger", "verify"]);
    assert!(ok.status.success(), "{}", stderr(&ok));
    let v: serde_json::Value = serde_json::from_str(stdout(&ok).trim()).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["entries"].as_i64()),
        (Some(true), Some(crate::common::KEY_ENTRIES + 2))
    );

    app.db
        .exec("UPDATE endorsements SET endorsee_id = endorser_id WHERE id = 4");
    let bad = plusk(&app.db, &["ledger", "verify"]);
    assert_eq!(bad.status.code(), Some(1), "not ok exits non-zero");
    let v: serde_json::Value = serde_json::from_str(stdout(&bad).trim()).unwrap();
    assert_eq!(
        (v["ok"].as_bool(), v["first_bad_seq"].as_i64()),
        (Some(false), Some(4)),
        "{v}"
    );
}

async fn import_command(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    assert!(plusk(&db, &["migrate"]).status.success());
    let dir = tempfile::tempdir().unwrap();
    let day = |h: u32| format!("2025-03-0{}T{:02}:00:00Z", 1 + h / 24, h % 24);
    let mut lines: Vec<String> = Vec::new();
    for i in 0..6 {
        // Six from one endorser in one day: the sixth is over the budget of 5.
        lines.push(format!(
            r#"{{"endorser":"alice","endorsee":"u{i}","topic":"trading","created_at":"{}"}}"#,
            day(i)
        ));
    }
    lines.push(r#"{"endorser":"bob","endorsee":"bob","topic":"trading","created_at":"2025-03-01T08:00:00Z"}"#.into());
    lines.push("{not json".into());
    lines.push(String::new());
    lines.push(r#"{"endorser":"carol","endorsee":"u0","topic":"trading","note":"solid","created_at":"2025-03-01T09:00:00+02:00"}"#.into());
    lines.push(r#"{"endorser":"carol","endorsee":"u0","topic":"trading","created_at":"2025-03-01T10:00:00Z"}"#.into());
    lines.push(format!(
        r#"{{"endorser":"alice","endorsee":"u6","topic":"trading","created_at":"{}"}}"#,
        day(30)
    ));
    let file = dir.path().join("history.ndjson");
    std::fs::File::create(&file)
        .unwrap()
        .write_all(lines.join("\n").as_bytes())
        .unwrap();

    let out = plusk(&db, &["import", file.to_str().unwrap()]);
    let (err, text) = (stderr(&out), stdout(&out));
    assert_eq!(out.status.code(), Some(1), "some lines failed: {err}");
    for (line, code) in [
        (6, "daily_budget_exhausted"),
        (7, "self_endorsement"),
        (8, "invalid_json"),
        (11, "duplicate_endorsement"),
    ] {
        assert!(
            err.contains(&format!("line {line}: {code}")),
            "line {line} {code} missing from: {err}"
        );
    }
    assert!(
        text.contains("12 line(s) read, 7 imported, 4 failed, 1 blank"),
        "{text}"
    );

    let app = spawn_on(db, Options::default());
    let carol = app
        .get("/v1/endorsements?endorser=carol", &app.app_key)
        .await;
    assert_eq!(
        carol.json["items"][0]["created_at"], "2025-03-01T07:00:00.000000Z",
        "original time kept, in UTC"
    );
    assert_eq!(carol.json["items"][0]["note"], "solid");
    assert_eq!(app.verify().await["ok"], true);

    let backfill = dir.path().join("backfill.ndjson");
    let many: Vec<String> = (0..9)
        .map(|i| format!(r#"{{"endorser":"dave","endorsee":"v{i}","topic":"trading","created_at":"2025-04-01T00:0{i}:00Z"}}"#))
        .collect();
    std::fs::write(&backfill, many.join("\n")).unwrap();
    let out = plusk(
        &app.db,
        &[
            "import",
            "--no-budget",
            "--batch-size",
            "4",
            backfill.to_str().unwrap(),
        ],
    );
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("9 imported, 0 failed"),
        "{}",
        stdout(&out)
    );
    let missing = plusk(&app.db, &["import", "/no/such/file.ndjson"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(
        stderr(&missing).contains("cannot open"),
        "{}",
        stderr(&missing)
    );
}

/// A history may carry the asks reported at the time: the endorsements after one are judged
/// as they would have been live, also for an ask made on a friend's behalf.
async fn an_import_brings_reported_asks_along(b: Backend) {
    imports_asks(b, &[]).await;
}

/// The same in a bulk load, a line a batch: an ask's batch reads and writes through the
/// connection while the endorsement before it may still be with the writing thread.
async fn a_bulk_import_brings_reported_asks_along(b: Backend) {
    imports_asks(b, &["--bulk", "--batch-size", "1"]).await;
}

async fn imports_asks(b: Backend, flags: &[&str]) {
    let Some(db) = TestDb::new(b) else { return };
    assert!(plusk(&db, &["migrate"]).status.success());
    let ask = |text: &str| {
        json!({"solicitation": {"requester": "fran", "text": text, "topic": "baking",
            "observed_at": "2025-03-01T09:00:00Z"}})
        .to_string()
    };
    let endorse = |who: &str, hour: u32| {
        json!({"endorser": who, "endorsee": "gina", "topic": "baking",
            "created_at": format!("2025-03-01T{hour:02}:00:00Z")})
        .to_string()
    };
    let lines = [
        endorse("early", 8),
        ask("can you all please give my friend @gina a +K on Klout for her baking blog?"),
        endorse("e1", 10),
        endorse("e2", 11),
        ask("   "),
        r#"{"solicitation":{"requester":"fran","observed_at":"2025-03-01T09:00:00Z"}}"#.into(),
    ];
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.ndjson");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let mut args = vec!["import", file.to_str().unwrap()];
    args.extend(flags);
    let out = plusk(&db, &args);
    let err = stderr(&out);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("line 5: invalid_text"), "{err}");
    assert!(err.contains("line 6: invalid_json"), "{err}");
    assert!(
        stdout(&out).contains("4 imported, 2 failed"),
        "{}",
        stdout(&out)
    );

    let app = spawn_on(db, Options::default());
    let asks = app.get("/v1/solicitations", &app.app_key).await;
    assert_eq!(asks.json["items"][0]["begging"], true, "{}", asks.text);
    let flags = app
        .get("/v1/flags?reason=solicited&limit=10", &app.app_key)
        .await;
    let items = flags.json["items"].as_array().unwrap();
    let mut by: Vec<&str> = items
        .iter()
        .map(|f| f["endorser"].as_str().unwrap())
        .collect();
    by.sort_unstable();
    assert_eq!(
        by,
        ["e1", "e2"],
        "not the one before the ask: {}",
        flags.text
    );
    let detail = app
        .get(&format!("/v1/flags/{}", items[0]["id"]), &app.app_key)
        .await;
    assert_eq!(
        detail.json["evidence"]["on_behalf_of"], "gina",
        "{}",
        detail.text
    );
    assert_eq!(detail.json["endorsement"]["status"], "flagged");
    assert_eq!(app.verify().await["ok"], true);
}

/// `lines` endorsements from distinct endorsers, in time order, as an import file.
fn history(dir: &std::path::Path, lines: usize) -> std::path::PathBuf {
    let path = dir.join(format!("history-{lines}.ndjson"));
    let mut out = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    for i in 0..lines {
        let (min, sec) = (i / 60 % 60, i % 60);
        writeln!(
            out,
            r#"{{"endorser":"e{i}","endorsee":"r{}","topic":"t{}","created_at":"2025-05-{:02}T{:02}:{min:02}:{sec:02}Z"}}"#,
            i % 997,
            i % 7,
            1 + i / 86_400,
            i / 3600 % 24,
        )
        .unwrap();
    }
    out.flush().unwrap();
    path
}

fn endorsement_indexes(db: &TestDb) -> Vec<plusk::storage::indexes::Index> {
    plusk::storage::indexes::secondary(&mut db.conn(), "endorsements").unwrap()
}

/// `plusk import --bulk` of `file` in batches of 64 lines.
fn bulk_import(db: &TestDb, file: &std::path::Path) -> Output {
    let file = file.to_str().unwrap();
    plusk(
        db,
        &[
            "import",
            "--bulk",
            "--no-budget",
            "--batch-size",
            "64",
            file,
        ],
    )
}

async fn bulk_import_command(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    let indexes = endorsement_indexes(&db);
    assert!(indexes.len() >= 4, "{indexes:?}");
    let dir = tempfile::tempdir().unwrap();
    let file = history(dir.path(), 300);
    let mut text = std::fs::read_to_string(&file).unwrap();
    // A duplicate of line 1 and a line that does not parse: refused, the rest goes in.
    let first = text.lines().next().unwrap().to_owned();
    text.push_str(&format!("{first}\n{{oops\n"));
    std::fs::write(&file, text).unwrap();

    let out = bulk_import(&db, &file);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stdout(&out).contains("302 line(s) read, 300 imported, 2 failed"),
        "{}",
        stdout(&out)
    );
    let err = stderr(&out);
    assert!(err.contains("line 301: duplicate_endorsement"), "{err}");
    assert!(err.contains("line 302: invalid_json"), "{err}");
    assert_eq!(
        endorsement_indexes(&db),
        indexes,
        "every index built again, as it was"
    );
    assert_eq!(crate::common::count_rows(&db, "endorsements"), 300);
    let verify = plusk(&db, &["ledger", "verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    if b == Backend::Sqlite {
        // The load ran with a rollback journal and no foreign key checks (`db::bulk`): every
        // row it wrote still names rows that exist, and the file is back in WAL mode.
        assert_eq!(
            crate::common::count_rows(&db, "pragma_foreign_key_check"),
            0
        );
        assert_eq!(sqlite_header_modes(&db), [2, 2], "the file is in WAL mode");
    }

    // The rules see what the bulk load wrote: the same lines again are all duplicates.
    let again = plusk(
        &db,
        &["import", "--bulk", "--no-budget", file.to_str().unwrap()],
    );
    assert!(
        stdout(&again).contains("0 imported, 302 failed"),
        "{}",
        stdout(&again)
    );
}

/// The read and write versions in a SQLite file's header (bytes 18 and 19): 2 and 2 in WAL
/// mode, 1 and 1 with a rollback journal. Read from the file, since opening a connection
/// through plusk would set WAL mode itself.
fn sqlite_header_modes(db: &TestDb) -> [u8; 2] {
    let path = db.url.strip_prefix("sqlite://").expect("a SQLite URL");
    let header = std::fs::read(path).expect("the database file");
    [header[18], header[19]]
}

/// A bulk load's rows are written on a thread of their own while the next batch is judged; when
/// that write fails (here a trigger refuses one row of the third batch), the import says so
/// and nothing of it stays, indexes included.
async fn a_bulk_import_whose_rows_fail_to_write_leaves_nothing(b: Backend) {
    use diesel::connection::SimpleConnection;
    let Some(db) = TestDb::new(b) else { return };
    let indexes = endorsement_indexes(&db);
    let trigger = match b {
        Backend::Sqlite => {
            "CREATE TRIGGER refuse BEFORE INSERT ON endorsements WHEN NEW.note = 'refused' \
             BEGIN SELECT RAISE(ABORT, 'refused by the test'); END;"
        }
        Backend::Postgres => {
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN \
             IF NEW.note = 'refused' THEN RAISE EXCEPTION 'refused by the test'; END IF; \
             RETURN NEW; END $$ LANGUAGE plpgsql; \
             CREATE TRIGGER refuse BEFORE INSERT ON endorsements \
             FOR EACH ROW EXECUTE FUNCTION refuse();"
        }
    };
    db.conn().batch_execute(trigger).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let file = history(dir.path(), 300);
    let text = std::fs::read_to_string(&file).unwrap();
    let lines: Vec<String> = text
        .lines()
        .enumerate()
        .map(|(i, l)| match i {
            150 => l.replacen("\"topic\"", "\"note\":\"refused\",\"topic\"", 1),
            _ => l.to_owned(),
        })
        .collect();
    std::fs::write(&file, lines.join("\n")).unwrap();

    let out = bulk_import(&db, &file);
    let err = stderr(&out);
    assert!(!out.status.success(), "{}", stdout(&out));
    assert!(err.contains("rolled back"), "{err}");
    assert!(err.contains("refused by the test"), "{err}");
    nothing_stayed(&db, &indexes);
    assert_eq!(crate::common::count_rows(&db, "users"), 0);
}

/// A bulk import that did not finish left no endorsement, no ledger entry, and every index of
/// the endorsements as it was before.
fn nothing_stayed(db: &TestDb, indexes: &[plusk::storage::indexes::Index]) {
    assert_eq!(crate::common::count_rows(db, "endorsements"), 0);
    assert_eq!(crate::common::count_rows(db, "ledger"), 0);
    assert_eq!(endorsement_indexes(db), indexes, "the indexes as they were");
}

/// Whether another writer can take the write lock right now (checked without waiting).
fn write_lock_free(db: &TestDb) -> bool {
    use diesel::connection::SimpleConnection;
    // A SQLite bulk load runs with a rollback journal (`db::bulk`): once it holds the lock, a
    // new connection cannot even set WAL mode, and is told the database is locked.
    let mut conn = match plusk::db::establish(&db.db_url()) {
        Ok(conn) => conn,
        Err(plusk::db::ConnectError::Setup { source, .. })
            if !db.is_postgres() && source.to_string().contains("database is locked") =>
        {
            return false
        }
        Err(e) => panic!("connect to the test database: {e}"),
    };
    match &mut conn {
        plusk::db::DbConn::Sqlite(c) => {
            c.batch_execute("PRAGMA busy_timeout = 0").unwrap();
            let free = c.batch_execute("BEGIN IMMEDIATE").is_ok();
            if free {
                c.batch_execute("ROLLBACK").unwrap();
            }
            free
        }
        plusk::db::DbConn::Pg(c) => {
            #[derive(diesel::QueryableByName)]
            struct Got {
                #[diesel(sql_type = diesel::sql_types::Bool)]
                got: bool,
            }
            use diesel::RunQueryDsl;
            // The key of plusk's write lock (src/db/tx.rs).
            diesel::sql_query("SELECT pg_try_advisory_xact_lock(482670127467) AS got")
                .get_result::<Got>(c)
                .unwrap()
                .got
        }
    }
}

async fn a_killed_bulk_import_leaves_nothing(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    let indexes = endorsement_indexes(&db);
    let dir = tempfile::tempdir().unwrap();
    let file = history(dir.path(), 150_000);
    let mut child = Command::new(env!("CARGO_BIN_EXE_plusk"))
        .args(["import", "--bulk", "--no-budget", file.to_str().unwrap()])
        .env("DATABASE_URL", &db.url)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("run plusk");
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while write_lock_free(&db) {
        assert!(
            std::time::Instant::now() < deadline,
            "the import never took the write lock"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    // Well into the load, not yet at its end.
    std::thread::sleep(Duration::from_millis(700));
    assert!(
        child.try_wait().unwrap().is_none(),
        "the import ended before it could be killed"
    );
    child.kill().unwrap();
    child.wait().unwrap();

    nothing_stayed(&db, &indexes);
    let verify = plusk(&db, &["ledger", "verify"]);
    assert!(verify.status.success(), "{}", stdout(&verify));
    if b == Backend::Sqlite {
        // The next connection rolled back the load's hot journal and set WAL mode again.
        assert_eq!(sqlite_header_modes(&db), [2, 2], "the file is in WAL mode");
    }
}

#[tokio::test]
async fn database_url_errors_are_clear() {
    let run = |url: &str| {
        Command::new(env!("CARGO_BIN_EXE_plusk"))
            .args(["migrate"])
            .env("DATABASE_URL", url)
            .output()
            .unwrap()
    };
    let mysql = run("mysql://localhost/plusk");
    assert_eq!(mysql.status.code(), Some(2));
    assert!(
        stderr(&mysql).contains("unsupported database URL scheme"),
        "{}",
        stderr(&mysql)
    );
    let down = run("postgres://nobody@127.0.0.1:9/plusk");
    assert_eq!(down.status.code(), Some(2));
    assert!(
        stderr(&down).contains("cannot connect to postgres://nobody@127.0.0.1:9/plusk"),
        "{}",
        stderr(&down)
    );
}

/// Issue 12: the CLI does not guess. A missing SQLite file is a typo, not a wish for an empty
/// database (only `migrate` and `serve` create one); `--no-migrate` on an unmigrated database
/// says so; `serve` checks its settings before it migrates, and names an address it cannot
/// listen on.
#[test]
fn the_command_line_refuses_what_it_would_otherwise_guess() {
    let dir = tempfile::tempdir().unwrap();
    let run = |path: &std::path::Path, args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_plusk"))
            .args(args)
            .env("DATABASE_URL", format!("sqlite://{}", path.display()))
            .env_remove("RUST_LOG")
            .output()
            .unwrap()
    };
    let typo = dir.path().join("plsuk.db");
    for args in [
        &["keys", "list"][..],
        &["ledger", "verify"],
        &["import", "x.ndjson"],
    ] {
        let out = run(&typo, args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert!(
            err.contains("no database at") && err.contains("plsuk.db"),
            "{args:?}: {err}"
        );
        assert!(!typo.exists(), "{args:?} created the file");
    }

    let bad_bind = run(&typo, &["serve", "--bind", "nonsense"]);
    assert_eq!(bad_bind.status.code(), Some(2));
    assert!(
        stderr(&bad_bind).contains("`nonsense`"),
        "{}",
        stderr(&bad_bind)
    );
    assert!(
        !typo.exists(),
        "settings are checked before the database is touched"
    );

    let empty = dir.path().join("empty.db");
    std::fs::File::create(&empty).unwrap();
    let unmigrated = run(&empty, &["--no-migrate", "keys", "list"]);
    assert_eq!(unmigrated.status.code(), Some(2));
    let err = stderr(&unmigrated);
    assert!(
        err.contains("pending migration") && err.contains("plusk migrate"),
        "{err}"
    );
    assert!(!err.contains("no such table"), "{err}");

    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let in_use = run(&empty, &["serve", "--bind", &addr]);
    assert_eq!(in_use.status.code(), Some(2));
    let err = stderr(&in_use);
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
}

#[tokio::test]
async fn serve_prints_a_first_admin_key_and_stops_on_sigterm() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut first = Served::start(&db);
    let key = first
        .stdout
        .recv_timeout(Duration::from_secs(10))
        .expect("the admin key on stdout");
    assert!(key.starts_with("plusk_"), "{key}");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", first.port);
    let health = client.get(format!("{base}/healthz")).send().await.unwrap();
    assert_eq!(health.status().as_u16(), 200);
    let keys = client
        .get(format!("{base}/v1/keys"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(
        keys.status().as_u16(),
        200,
        "the printed key is an admin key"
    );
    first.terminate();

    let mut second = Served::start(&db);
    let health = client
        .get(format!("http://127.0.0.1:{}/healthz", second.port))
        .send()
        .await
        .unwrap();
    assert_eq!(health.status().as_u16(), 200);
    second.terminate();
    let printed: Vec<String> = second.stdout.try_iter().collect();
    assert!(
        printed.is_empty(),
        "a key is printed only when none exists: {printed:?}"
    );
}

/// The log of a server that saw keys of every role created, used, mistyped and revoked, at the
/// most verbose level, holds none of them; and each request's `X-Request-Id` is in it.
#[tokio::test]
async fn logs_carry_request_ids_and_never_keys() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let mut served = Served::start_logging(&db, "trace");
    let admin = served
        .stdout
        .recv_timeout(Duration::from_secs(10))
        .expect("the admin key on stdout");
    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{}", served.port);
    let mut keys = vec![admin.clone(), "plusk_mistyped-0123456789abcdef".to_string()];
    let mut ids = Vec::new();
    for role in ["app", "moderator", "analyst", "admin"] {
        let r = client
            .post(format!("{base}/v1/keys"))
            .bearer_auth(&admin)
            .json(&json!({"name": format!("k-{role}"), "role": role}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status().as_u16(), 201);
        let body: serde_json::Value = r.json().await.unwrap();
        keys.push(body["key"].as_str().unwrap().to_string());
    }
    for key in &keys {
        for path in ["/v1/endorsements", "/v1/flags", "/v1/topics/x/leaderboard"] {
            let r = client
                .get(format!("{base}{path}"))
                .bearer_auth(key)
                .send()
                .await
                .unwrap();
            let id = r.headers()["x-request-id"].to_str().unwrap().to_string();
            ids.push(id);
        }
    }
    let revoke = client
        .delete(format!("{base}/v1/keys/k-app"))
        .bearer_auth(&admin)
        .send()
        .await
        .unwrap();
    assert_eq!(revoke.status().as_u16(), 204);
    served.terminate();

    let log = served.log.lock().unwrap().join("\n");
    assert!(log.len() > 1000, "the server logged: {log}");
    for key in &keys {
        let secret = &key["plusk_".len()..];
        assert!(!log.contains(secret), "a key is in the log");
    }
    for id in &ids {
        assert!(log.contains(id.as_str()), "request {id} is not in the log");
    }
}
