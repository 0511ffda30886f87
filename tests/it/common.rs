//! Test harness: per-test databases, an in-process server on a free port, HTTP helpers.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{mpsc, Mutex};
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::Connection;
use plusk::db::{self, DbConn, DbUrl, PoolOptions};
use plusk::domain::keys::Role;
use plusk::http::{Application, Limiters, RateSettings, ServerOptions, TrustedProxies};
use serde_json::{json, Value};
use std::sync::Arc;
use std::time::Duration;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Generates a `sqlite` and a `postgres` test for each scenario `async fn name(Backend)`.
#[macro_export]
macro_rules! both_backends {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    super::$name($crate::common::Backend::Sqlite).await
                }
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    super::$name($crate::common::Backend::Postgres).await
                }
            }
        )*
    };
}

/// The PostgreSQL server to create test databases on; `None` skips PostgreSQL tests,
/// except under CI, where they must run.
fn pg_base_url() -> Option<String> {
    match std::env::var("PLUSK_TEST_POSTGRES_URL") {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var("CI").as_deref() != Ok("true"),
                "CI=true but PLUSK_TEST_POSTGRES_URL is not set: the PostgreSQL tests must run in CI"
            );
            None
        }
    }
}

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A fresh, empty database, removed when dropped.
pub struct TestDb {
    pub url: String,
    _dir: Option<tempfile::TempDir>,
    pg: Option<(String, String)>,
}

impl TestDb {
    /// `None` when the backend is PostgreSQL and no server is configured.
    pub fn new(backend: Backend) -> Option<TestDb> {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temp dir");
                let path = dir.path().join("plusk.db");
                Some(TestDb {
                    url: format!("sqlite://{}", path.display()),
                    _dir: Some(dir),
                    pg: None,
                })
            }
            Backend::Postgres => {
                let base = pg_base_url()?;
                let name = format!(
                    "plusk_test_{}_{}_{}",
                    std::process::id(),
                    COUNTER.fetch_add(1, Ordering::SeqCst),
                    chrono::Utc::now().timestamp_micros() % 1_000_000
                );
                let mut admin = diesel::PgConnection::establish(&base)
                    .expect("connect to PLUSK_TEST_POSTGRES_URL");
                admin
                    .batch_execute(&format!("CREATE DATABASE {name}"))
                    .expect("create test database");
                Some(TestDb {
                    url: with_database(&base, &name),
                    _dir: None,
                    pg: Some((base, name)),
                })
            }
        }
    }

    pub fn db_url(&self) -> DbUrl {
        DbUrl::parse(&self.url).expect("test URL parses")
    }

    /// A new connection, migrated.
    pub fn conn(&self) -> DbConn {
        let mut conn = db::establish(&self.db_url()).expect("connect to test database");
        db::run_migrations(&mut conn).expect("migrate");
        conn
    }

    /// Whether this database is PostgreSQL (for raw SQL that differs between the backends).
    pub fn is_postgres(&self) -> bool {
        self.pg.is_some()
    }

    /// Runs raw SQL, as someone with direct database access would.
    pub fn exec(&self, sql: &str) {
        self.conn().batch_execute(sql).expect("raw SQL");
    }

    /// Runs raw SQL on a connection that applies no pending migration first.
    pub fn exec_unmigrated(&self, sql: &str) {
        db::establish(&self.db_url())
            .expect("connect to test database")
            .batch_execute(sql)
            .expect("raw SQL");
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((base, name)) = &self.pg {
            if let Ok(mut admin) = diesel::PgConnection::establish(base) {
                let _ =
                    admin.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
            }
        }
    }
}

/// Replaces the database name in a PostgreSQL URL, keeping any query string.
fn with_database(base: &str, name: &str) -> String {
    let (url, query) = match base.split_once('?') {
        Some((u, q)) => (u, format!("?{q}")),
        None => (base, String::new()),
    };
    let (scheme, rest) = url.split_once("://").expect("URL with scheme");
    let host = rest.split('/').next().unwrap_or(rest);
    format!("{scheme}://{host}/{name}{query}")
}

/// How to start the app under test.
#[derive(Debug, Clone)]
pub struct Options {
    pub daily_budget: Option<u32>,
    /// Off unless a test is about rate limits.
    pub rate: RateSettings,
    pub trusted_proxies: TrustedProxies,
    pub sweep_every: Duration,
    pub detection: plusk::domain::flag::Detection,
    pub reputation: plusk::service::reputation::worker::Schedule,
    pub cors: plusk::http::CorsOrigins,
    pub body_timeout: Duration,
    pub topics: plusk::domain::rules::TopicPolicy,
    pub console_idle: Duration,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            daily_budget: Some(5),
            rate: RateSettings::OFF,
            trusted_proxies: TrustedProxies::default(),
            sweep_every: Duration::from_secs(3600),
            detection: Default::default(),
            reputation: Default::default(),
            cors: Default::default(),
            body_timeout: plusk::http::body::DEFAULT_BODY_TIMEOUT,
            topics: Default::default(),
            console_idle: plusk::http::console::session::DEFAULT_IDLE,
        }
    }
}

/// The harness's two keys (admin, then app) are the first two ledger entries, so what a test
/// writes starts at entry and endorsement id 3.
pub const KEY_ENTRIES: i64 = 2;

/// A running plusk with an admin key and an app key.
pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub admin: String,
    pub app_key: String,
    pub limiters: Arc<Limiters>,
    pub db: TestDb,
}

pub async fn spawn(backend: Backend) -> Option<TestApp> {
    spawn_with(backend, Options::default()).await
}

pub async fn spawn_with(backend: Backend, opts: Options) -> Option<TestApp> {
    let db = TestDb::new(backend)?;
    Some(spawn_on(db, opts))
}

/// A fresh app with these detection settings and the other options at their defaults.
pub async fn spawn_detecting(
    backend: Backend,
    detection: plusk::domain::flag::Detection,
) -> Option<TestApp> {
    let opts = Options {
        detection,
        ..Default::default()
    };
    spawn_with(backend, opts).await
}

/// Starts plusk on an existing test database.
pub fn spawn_on(db: TestDb, opts: Options) -> TestApp {
    let mut conn = db.conn();
    let admin = create_key(&mut conn, "test-admin", Role::Admin);
    let app_key = create_key(&mut conn, "test-app", Role::App);
    let (base, limiters) = spawn_instance(&db, opts);
    TestApp {
        base,
        client: reqwest::Client::new(),
        admin,
        app_key,
        limiters,
        db,
    }
}

/// Starts a plusk instance (its own writer, pool and model) on `db`: its base URL and limiters.
pub fn spawn_instance(db: &TestDb, opts: Options) -> (String, Arc<Limiters>) {
    let pool = db::build_pool(&db.db_url(), &PoolOptions::default()).expect("pool");
    let server = ServerOptions {
        bind: "127.0.0.1:0".into(),
        metrics_bind: None,
        workers: Some(2),
        handle_signals: false,
        daily_budget: opts.daily_budget,
        rate: opts.rate,
        trusted_proxies: opts.trusted_proxies,
        sweep_every: opts.sweep_every,
        detection: opts.detection,
        reputation: opts.reputation,
        cors: opts.cors,
        body_timeout: opts.body_timeout,
        topics: opts.topics,
        console_idle: opts.console_idle,
    };
    let app = Application::build(&server, pool.clone()).expect("bind");
    let base = format!("http://127.0.0.1:{}", app.port());
    let limiters = app.limiters();
    tokio::spawn(app.run());
    (base, limiters)
}

/// The string `field` of every item of a listing (`{"items": [...]}`), in order.
pub fn item_strings<'a>(listing: &'a Value, field: &str) -> Vec<&'a str> {
    listing["items"]
        .as_array()
        .expect("a listing")
        .iter()
        .map(|item| item[field].as_str().expect("a string field"))
        .collect()
}

/// Runs the `plusk` binary on `db` with `args`, and waits for it.
pub fn plusk(db: &TestDb, args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_plusk"))
        .args(args)
        .env("DATABASE_URL", &db.url)
        .env_remove("RUST_LOG")
        .output()
        .expect("run plusk")
}

pub fn create_key(conn: &mut DbConn, name: &str, role: Role) -> String {
    plusk::service::keys::create(conn, name, role)
        .expect("create key")
        .key
}

/// A response, read whole.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub text: String,
    pub json: Value,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn assert_problem(&self, status: u16, code: &str) {
        assert_eq!(self.status, status, "body: {}", self.text);
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "{}",
            self.text
        );
        assert_eq!(self.json["code"], code, "{}", self.text);
        assert_eq!(self.json["status"], status);
        assert_eq!(self.json["type"], format!("urn:plusk:problem:{code}"));
        assert!(self.json["title"].as_str().is_some_and(|t| !t.is_empty()));
        assert!(self.json["detail"].as_str().is_some_and(|t| !t.is_empty()));
    }
}

pub async fn read(res: reqwest::Response) -> Resp {
    let status = res.status().as_u16();
    let headers = res.headers().clone();
    let text = res.text().await.expect("body");
    let json = serde_json::from_str(&text).unwrap_or(Value::Null);
    Resp {
        status,
        headers,
        text,
        json,
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    /// One request with the key, and a JSON body when there is one: every helper below.
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> Resp {
        self.send_to(&self.base, method, path, key, body).await
    }

    /// [`TestApp::send`] to another instance on the same database, at `base`.
    pub async fn send_to(
        &self,
        base: &str,
        method: reqwest::Method,
        path: &str,
        key: &str,
        body: Option<&Value>,
    ) -> Resp {
        let mut req = self
            .client
            .request(method.clone(), format!("{base}{path}"))
            .bearer_auth(key);
        if let Some(body) = body {
            req = req.json(body);
        }
        read(
            req.send()
                .await
                .unwrap_or_else(|e| panic!("{method} {path}: {e}")),
        )
        .await
    }

    pub async fn get(&self, path: &str, key: &str) -> Resp {
        self.send(reqwest::Method::GET, path, key, None).await
    }

    pub async fn delete(&self, path: &str, key: &str) -> Resp {
        self.send(reqwest::Method::DELETE, path, key, None).await
    }

    pub async fn put(&self, path: &str, key: &str, body: &Value) -> Resp {
        self.send(reqwest::Method::PUT, path, key, Some(body)).await
    }

    pub async fn patch(&self, path: &str, key: &str, body: &Value) -> Resp {
        self.send(reqwest::Method::PATCH, path, key, Some(body))
            .await
    }

    pub async fn post(&self, path: &str, key: &str, body: &Value) -> Resp {
        self.send(reqwest::Method::POST, path, key, Some(body))
            .await
    }

    /// POSTs a raw body with a content type.
    pub async fn post_raw(
        &self,
        path: &str,
        key: &str,
        content_type: &str,
        body: impl Into<reqwest::Body>,
    ) -> Resp {
        let req = self
            .client
            .post(self.url(path))
            .bearer_auth(key)
            .header("content-type", content_type)
            .body(body);
        read(req.send().await.expect("POST")).await
    }

    /// `endorser` +K `endorsee` on `topic`, with the app key.
    pub async fn endorse(&self, endorser: &str, endorsee: &str, topic: &str) -> Resp {
        let body = json!({"endorser": endorser, "endorsee": endorsee, "topic": topic});
        self.post("/v1/endorsements", &self.app_key, &body).await
    }

    /// Sets a topic's seeds with the admin key.
    pub async fn set_seeds(&self, topic: &str, seeds: &[&str]) -> Resp {
        let path = format!("/v1/topics/{topic}/seeds");
        self.put(&path, &self.admin, &json!({ "seeds": seeds }))
            .await
    }

    /// POSTs an endorsement with an `Idempotency-Key`, with the app key.
    pub async fn endorse_once(&self, idempotency_key: &str, body: &Value) -> Resp {
        let req = self
            .client
            .post(self.url("/v1/endorsements"))
            .bearer_auth(&self.app_key)
            .header("Idempotency-Key", idempotency_key)
            .json(body);
        read(req.send().await.expect("POST /v1/endorsements")).await
    }

    /// The full verify (every entry and every table), as an admin asks for it: the tests that
    /// use this change rows behind plusk's back, which only the full verify looks at again.
    pub async fn verify(&self) -> Value {
        let r = self.get("/v1/ledger/verify?full=true", &self.admin).await;
        assert_eq!(r.status, 200, "{}", r.text);
        r.json
    }

    /// Rows in a table, counted directly in the database.
    pub fn count(&self, table: &str) -> i64 {
        count_rows(&self.db, table)
    }

    /// The ledger's entries, wherever they are stored: `endorsement.created` entries on the
    /// endorsement rows they created (migration 18), `flag.raised` entries on the flags they
    /// raised (migration 21), the rest in the `ledger` table.
    pub fn ledger_entries(&self) -> i64 {
        count_rows(&self.db, "ledger")
            + count_rows(&self.db, "endorsements WHERE entry_hash IS NOT NULL")
            + count_rows(&self.db, "flags WHERE entry_hash IS NOT NULL")
    }
}

#[derive(diesel::QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

pub fn count_rows(db: &TestDb, table: &str) -> i64 {
    use diesel::RunQueryDsl;
    let sql = format!("SELECT CAST(COUNT(*) AS BIGINT) AS n FROM {table}");
    match db.conn() {
        DbConn::Sqlite(mut c) => diesel::sql_query(sql).get_result::<Count>(&mut c),
        DbConn::Pg(mut c) => diesel::sql_query(sql).get_result::<Count>(&mut c),
    }
    .expect("count")
    .n
}

/// A running `plusk serve`: its port, what it printed on stdout, and its log (stderr) so far.
/// Killed if the test fails.
pub struct Served {
    pub child: std::process::Child,
    pub port: u16,
    pub stdout: mpsc::Receiver<String>,
    pub log: Arc<Mutex<Vec<String>>>,
}

impl Drop for Served {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

impl Served {
    pub fn start(db: &TestDb) -> Served {
        Served::start_with(db, "info", &[])
    }

    pub fn start_logging(db: &TestDb, rust_log: &str) -> Served {
        Served::start_with(db, rust_log, &[])
    }

    /// Starts `plusk serve` on `db` with extra environment variables.
    pub fn start_with(db: &TestDb, rust_log: &str, env: &[(&str, &str)]) -> Served {
        let mut child = Command::new(env!("CARGO_BIN_EXE_plusk"))
            .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1"])
            .env("DATABASE_URL", &db.url)
            .env("RUST_LOG", rust_log)
            .envs(env.iter().copied())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let (port_tx, port_rx) = mpsc::channel();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let log = Arc::new(Mutex::new(Vec::new()));
        let sink = log.clone();
        std::thread::spawn(move || {
            for line in stderr.lines().map_while(Result::ok) {
                sink.lock().unwrap().push(line.clone());
                if let Some(port) = line
                    .split("port=")
                    .nth(1)
                    .and_then(|r| r.split_whitespace().next())
                {
                    let _ = port_tx.send(port.parse::<u16>().unwrap());
                }
            }
        });
        let (out_tx, stdout) = mpsc::channel();
        let out = BufReader::new(child.stdout.take().unwrap());
        std::thread::spawn(move || {
            for line in out.lines().map_while(Result::ok) {
                let _ = out_tx.send(line);
            }
        });
        let port = port_rx
            .recv_timeout(Duration::from_secs(60))
            .expect("serve logs its port");
        Served {
            child,
            port,
            stdout,
            log,
        }
    }

    pub fn base(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// Kills the process at once (SIGKILL), as a crash would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM and waits for a clean exit.
    pub fn terminate(&mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if let Some(status) = self.child.try_wait().unwrap() {
                assert!(status.success(), "exit after SIGTERM: {status}");
                return;
            }
            assert!(Instant::now() < deadline, "serve did not stop on SIGTERM");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}
