//! Issue 17: what an operator sees. `GET /metrics` in the Prometheus format (an admin key on the
//! API listener, none on `--metrics-bind`), parsed by a real Prometheus parser, with label values
//! that stay few however many ids clients ask for; request log lines that name the key and the
//! problem; a JSON log stream that stays JSON; `/readyz` and `plusk doctor` naming what is wrong.

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use openmetrics_parser::{prometheus::parse_prometheus, PrometheusValue};
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{plusk, spawn, Backend, TestApp, TestDb};

both_backends!(
    metrics_are_for_admins_and_parse,
    readiness_names_what_is_missing,
    the_doctor_names_each_problem
);

/// The newest migration's version, as diesel records it.
const NEWEST_MIGRATION: &str = "20261202000011";

async fn ready(app: &TestApp) -> crate::common::Resp {
    // The writer loads its state after start: give it a moment.
    for _ in 0..100 {
        let r = app.get("/readyz", &app.app_key).await;
        if r.status == 200 || r.json["code"] != "writer_starting" {
            return r;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    app.get("/readyz", &app.app_key).await
}

async fn readiness_names_what_is_missing(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    assert_eq!(ready(&app).await.status, 200);
    app.db.exec(&format!(
        "DELETE FROM __diesel_schema_migrations WHERE version = '{NEWEST_MIGRATION}'"
    ));
    let r = ready(&app).await;
    r.assert_problem(503, "migrations_pending");
    assert!(
        r.json["detail"]
            .as_str()
            .unwrap()
            .contains(NEWEST_MIGRATION),
        "{}",
        r.text
    );
    app.db.exec_unmigrated(&format!(
        "INSERT INTO __diesel_schema_migrations (version) VALUES ('{NEWEST_MIGRATION}')"
    ));
    assert_eq!(ready(&app).await.status, 200);
}

fn doctor(db: &TestDb) -> (bool, String) {
    let out = plusk(db, &["doctor"]);
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

async fn the_doctor_names_each_problem(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    assert!(plusk(&db, &["migrate"]).status.success());
    let (fine, text) = doctor(&db);
    assert!(!fine, "no admin key yet: {text}");
    assert!(text.contains("PROBLEM keys"), "{text}");
    assert!(
        plusk(&db, &["keys", "create", "--name", "ops", "--role", "admin"])
            .status
            .success()
    );
    let (fine, text) = doctor(&db);
    assert!(fine, "{text}");
    let mut want = vec!["database", "migrations", "ledger", "keys"];
    match b {
        Backend::Sqlite => want.push("disk"),
        Backend::Postgres => want.push("tls"),
    }
    for check in want {
        assert!(
            text.lines()
                .any(|l| l.starts_with("ok") && l.contains(check)),
            "{check}: {text}"
        );
    }
    db.exec("UPDATE ledger SET payload = REPLACE(payload, 'ops', 'opz')");
    let (fine, text) = doctor(&db);
    assert!(!fine && text.contains("PROBLEM ledger"), "{text}");
    db.exec(&format!(
        "DELETE FROM __diesel_schema_migrations WHERE version = '{NEWEST_MIGRATION}'"
    ));
    let (fine, text) = doctor(&db);
    assert!(!fine, "{text}");
    assert!(
        text.contains("PROBLEM migrations") && text.contains("run `plusk migrate`"),
        "{text}"
    );
}

/// One series of a scrape: its name (a histogram's by its `_count`), labels and value.
#[derive(Debug)]
struct Sample {
    metric: String,
    labels: std::collections::HashMap<String, String>,
    value: f64,
}

/// Parses the exposition with a grammar of the format (label values may hold `{}`).
fn scrape(text: &str) -> Vec<Sample> {
    let exposition = parse_prometheus(text).expect("the exposition parses");
    let mut out = Vec::new();
    for family in exposition.families.values() {
        for s in family.iter_samples() {
            let labels = s.get_labelset().expect("labels match the family's names");
            let (suffix, value) = match &s.value {
                PrometheusValue::Counter(c) => ("", c.value.as_f64()),
                PrometheusValue::Gauge(n) | PrometheusValue::Unknown(n) => ("", n.as_f64()),
                PrometheusValue::Histogram(h) => ("_count", h.count.unwrap_or(0) as f64),
                PrometheusValue::Summary(_) => ("_count", 0.0),
            };
            out.push(Sample {
                metric: format!("{}{suffix}", family.family_name),
                labels: labels.iter().map(|(k, v)| (k.clone(), v.clone())).collect(),
                value,
            });
        }
    }
    out
}

fn value(s: &Sample) -> f64 {
    s.value
}

fn find<'a>(samples: &'a [Sample], name: &str, label: (&str, &str)) -> Option<&'a Sample> {
    samples
        .iter()
        .find(|s| s.metric == name && s.labels.get(label.0).map(String::as_str) == Some(label.1))
}

async fn metrics_are_for_admins_and_parse(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    assert_eq!(app.endorse("ann", "bob", "rust").await.status, 201);
    app.endorse("ann", "bob", "rust")
        .await
        .assert_problem(409, "duplicate_endorsement");
    // Many different ids and paths: the route label must stay the pattern.
    for id in 987_600..987_640 {
        let r = app
            .get(&format!("/v1/endorsements/{id}"), &app.app_key)
            .await;
        assert_eq!(r.status, 404);
        let r = app.get(&format!("/nowhere/{id}"), &app.app_key).await;
        assert_eq!(r.status, 404);
    }

    let no_key = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(no_key.status(), 401);
    app.get("/metrics", &app.app_key)
        .await
        .assert_problem(403, "forbidden");
    let r = app.get("/metrics", &app.admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(
        r.header("content-type")
            .is_some_and(|c| c.starts_with("text/plain; version=0.0.4")),
        "{:?}",
        r.header("content-type")
    );
    let samples = scrape(&r.text);

    let by_id = find(
        &samples,
        "plusk_http_requests_total",
        ("route", "/v1/endorsements/{id}"),
    )
    .expect("requests counted by route pattern");
    assert!(value(by_id) >= 40.0, "{by_id:?}");
    let routes: HashSet<&str> = samples
        .iter()
        .filter_map(|s| s.labels.get("route").map(String::as_str))
        .collect();
    assert!(
        routes.iter().all(|r| !r.contains("9876")),
        "no raw path in a label: {routes:?}"
    );
    assert!(routes.contains("unmatched"), "{routes:?}");
    // 40 ids and 40 unknown paths became a handful of series each (methods × statuses).
    for route in ["/v1/endorsements/{id}", "unmatched"] {
        let series = samples
            .iter()
            .filter(|s| s.metric == "plusk_http_requests_total")
            .filter(|s| s.labels.get("route").map(String::as_str) == Some(route))
            .count();
        assert!(series <= 10, "{series} series for {route} after 40 paths");
    }

    let dup = find(
        &samples,
        "plusk_problems_total",
        ("code", "duplicate_endorsement"),
    );
    assert!(dup.is_some_and(|s| value(s) >= 1.0), "{dup:?}");
    let written = find(
        &samples,
        "plusk_endorsements_written_total",
        ("status", "active"),
    );
    assert!(written.is_some_and(|s| value(s) >= 1.0), "{written:?}");
    let names: HashSet<&str> = samples.iter().map(|s| s.metric.as_str()).collect();
    for name in [
        "plusk_http_request_duration_seconds_count",
        "plusk_writer_batch_size_count",
        "plusk_writer_queue_depth",
        "plusk_db_pool_connections",
        "plusk_db_pool_wait_seconds_count",
        "plusk_ledger_head_seq",
        "plusk_process_resident_memory_bytes",
        "plusk_process_open_fds",
    ] {
        assert!(names.contains(name), "{name} missing from {names:?}");
    }
    // The Grafana dashboard asks only for metrics that exist.
    let dashboard = include_str!("../../deploy/grafana-dashboard.json");
    for word in dashboard.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_')) {
        if let Some(name) = word.strip_prefix("plusk_") {
            let family = ["_bucket", "_sum"]
                .iter()
                .fold(name, |n, suffix| n.strip_suffix(suffix).unwrap_or(n));
            let known = names.contains(format!("plusk_{family}").as_str())
                || names.contains(format!("plusk_{family}_count").as_str());
            assert!(known, "the dashboard's {word} is not exposed");
        }
    }
    let head = samples
        .iter()
        .find(|s| s.metric == "plusk_ledger_head_seq")
        .map(value);
    assert!(head.is_some_and(|h| h >= 3.0), "{head:?}");
}

/// A line of a JSON log.
fn json_line(line: &str) -> Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"))
}

/// With `PLUSK_LOG_FORMAT=json` every stderr line is JSON (the first admin key's notice too; the
/// key itself goes to stdout only), request lines name the key and the problem code, and
/// `--metrics-bind` serves `/metrics` without a key. One real `plusk serve`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn json_logs_and_the_metrics_listener() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let free = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let metrics_port = free.local_addr().unwrap().port();
    drop(free);
    let mut child = Command::new(env!("CARGO_BIN_EXE_plusk"))
        .args(["serve", "--bind", "127.0.0.1:0", "--workers", "1"])
        .env("DATABASE_URL", &db.url)
        .env("PLUSK_LOG_FORMAT", "json")
        .env("PLUSK_METRICS_BIND", format!("127.0.0.1:{metrics_port}"))
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let stderr = BufReader::new(child.stderr.take().unwrap());
    std::thread::spawn(move || {
        for line in stderr.lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let key = BufReader::new(child.stdout.take().unwrap())
        .lines()
        .next()
        .unwrap()
        .unwrap();
    let mut lines = Vec::new();
    let port = loop {
        let line = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("a log line");
        let v = json_line(&line);
        lines.push(line);
        if v["fields"]["message"] == "plusk is listening" {
            break v["fields"]["port"].as_u64().unwrap();
        }
    };
    let notice = lines
        .iter()
        .map(|l| json_line(l))
        .find(|v| v["fields"]["key_name"] == "admin");
    assert!(
        notice.is_some(),
        "the admin-key notice is a JSON line: {lines:?}"
    );
    assert!(lines.iter().all(|l| !l.contains(&key)), "never the key");

    let client = reqwest::Client::new();
    let base = format!("http://127.0.0.1:{port}");
    let r = client
        .get(format!("{base}/v1/endorsements/424242"))
        .bearer_auth(&key)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 404);
    let r = client
        .post(format!("{base}/v1/endorsements"))
        .bearer_auth(&key)
        .json(&json!({"endorser": "ann", "endorsee": "ann", "topic": "rust"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 422);
    let open = client
        .get(format!("http://127.0.0.1:{metrics_port}/metrics"))
        .send()
        .await
        .unwrap();
    assert_eq!(open.status(), 200, "no key on the metrics listener");
    let samples = scrape(&open.text().await.unwrap());
    assert!(
        find(
            &samples,
            "plusk_problems_total",
            ("code", "self_endorsement")
        )
        .is_some(),
        "the same metrics"
    );

    let mut requests = Vec::new();
    while requests.len() < 2 {
        let line = rx.recv_timeout(Duration::from_secs(30)).expect("log line");
        let v = json_line(&line);
        if v["fields"]["message"] == "request" {
            requests.push(v);
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    let fields: Vec<(Value, Value, Value)> = requests
        .iter()
        .map(|v| {
            let f = &v["fields"];
            (f["key"].clone(), f["code"].clone(), f["route"].clone())
        })
        .collect();
    assert_eq!(
        fields,
        [
            (
                json!("admin"),
                json!("not_found"),
                json!("/v1/endorsements/{id}")
            ),
            (
                json!("admin"),
                json!("self_endorsement"),
                json!("/v1/endorsements")
            ),
        ],
        "{requests:?}"
    );
}

/// A second `plusk serve` on the same SQLite file says at start that SQLite is for one instance.
#[test]
fn a_second_server_on_one_sqlite_file_says_so() {
    let db = TestDb::new(Backend::Sqlite).unwrap();
    let warning = "another plusk serve already uses this SQLite file";
    let first = crate::common::Served::start(&db);
    let second = crate::common::Served::start(&db);
    let said =
        |s: &crate::common::Served| s.log.lock().unwrap().iter().any(|l| l.contains(warning));
    assert!(!said(&first), "the first has the file to itself");
    assert!(said(&second), "{:?}", second.log.lock().unwrap());
}
