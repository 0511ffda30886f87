//! Issue 18, item 3: topics are created by use, so an app could make a recompute as large as it
//! likes. Topics can be closed to all but admins, a key creates a limited number a day, and a
//! recompute of many topics writes in few short transactions while endorsements go on.

use std::io::Write;
use std::process::Command;

use plusk::domain::keys::Role;
use plusk::domain::rules::TopicPolicy;
use serde_json::json;

use crate::both_backends;
use crate::common::{spawn_on, spawn_with, Backend, Options, TestDb};

both_backends!(
    closed_topics_are_made_by_an_admin,
    a_key_creates_a_limited_number_of_topics_a_day,
    a_recompute_of_many_topics_writes_in_few_transactions
);

async fn closed_topics_are_made_by_an_admin(b: Backend) {
    let opts = Options {
        topics: TopicPolicy {
            open: false,
            per_key: None,
        },
        ..Default::default()
    };
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    app.endorse("ann", "bob", "rust")
        .await
        .assert_problem(422, "unknown_topic");
    let ask = json!({"requester": "cy", "topic": "rust", "text": "please +K me"});
    app.post("/v1/solicitations", &app.app_key, &ask)
        .await
        .assert_problem(422, "unknown_topic");
    assert_eq!(app.count("topics"), 0, "a refused write creates no topic");
    assert_eq!(app.count("users"), 0, "nor users");

    let made = app.put("/v1/topics/rust", &app.app_key, &json!(null)).await;
    made.assert_problem(403, "forbidden");
    let made = app.put("/v1/topics/Rust", &app.admin, &json!(null)).await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.header("location"), Some("/v1/topics/rust"));
    assert_eq!(made.json["slug"], "rust");
    let again = app.put("/v1/topics/rust", &app.admin, &json!(null)).await;
    assert_eq!(again.status, 200, "an existing topic: {}", again.text);

    let r = app.endorse("ann", "bob", "rust").await;
    assert_eq!(r.status, 201, "the topic exists now: {}", r.text);
    let r = app.post("/v1/solicitations", &app.app_key, &ask).await;
    assert_eq!(r.status, 201, "{}", r.text);
    // An admin's write may still bring a topic into being.
    let by_admin = json!({"endorser": "ann", "endorsee": "bob", "topic": "go"});
    let r = app.post("/v1/endorsements", &app.admin, &by_admin).await;
    assert_eq!(r.status, 201, "{}", r.text);

    let ledger = app.get("/v1/ledger", &app.admin).await;
    let kinds: Vec<&str> = ledger.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds[2], "topic.created",
        "after the harness's keys: {kinds:?}"
    );
    assert_eq!(app.verify().await["ok"], true);
}

async fn a_key_creates_a_limited_number_of_topics_a_day(b: Backend) {
    let opts = Options {
        topics: TopicPolicy {
            open: true,
            per_key: Some(3),
        },
        ..Default::default()
    };
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    for t in ["t1", "t2", "t3"] {
        let r = app.endorse("ann", "bob", t).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let over = app.endorse("cy", "bob", "t4").await;
    over.assert_problem(429, "topic_limit_exhausted");
    let wait: u64 = over.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (86_000..=86_400).contains(&wait),
        "the first topic leaves the window in a day: {wait}"
    );
    // A report naming a new topic counts too; an existing topic is always fine.
    let ask = json!({"requester": "cy", "topic": "t5", "text": "please +K me"});
    app.post("/v1/solicitations", &app.app_key, &ask)
        .await
        .assert_problem(429, "topic_limit_exhausted");
    let r = app.endorse("cy", "bob", "t1").await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(app.count("topics"), 3);

    let other = crate::common::create_key(&mut app.db.conn(), "other-app", Role::App);
    let body = json!({"endorser": "dee", "endorsee": "bob", "topic": "t4"});
    let r = app.post("/v1/endorsements", &other, &body).await;
    assert_eq!(r.status, 201, "another key has its own limit: {}", r.text);
    let body = json!({"endorser": "dee", "endorsee": "bob", "topic": "t6"});
    let r = app.post("/v1/endorsements", &app.admin, &body).await;
    assert_eq!(r.status, 201, "admins are not limited: {}", r.text);
    assert_eq!(app.verify().await["ok"], true);
}

/// Topics of one endorsement each, imported; each one's scores are a handful of rows.
const TOPICS: usize = 3_000;

async fn a_recompute_of_many_topics_writes_in_few_transactions(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    import_topics(&db, TOPICS);
    let app = spawn_on(db, crate::reputation::quiet(Default::default()));

    let writes = async {
        let mut statuses = Vec::new();
        for i in 0..40 {
            let body = json!({"endorser": format!("w{i}"), "endorsee": "star", "topic": "t0"});
            statuses.push(app.post("/v1/endorsements", &app.admin, &body).await.status);
        }
        statuses
    };
    let (report, statuses) = tokio::join!(crate::reputation::recompute(&app), writes);
    assert!(
        statuses.iter().all(|s| *s == 201),
        "writes during the recompute: {statuses:?}"
    );
    assert!(
        report["topics"].as_u64().unwrap() >= TOPICS as u64,
        "{report}"
    );
    // One transaction per topic and more (run, scores, switch, the old run's deletion) was what
    // kept writers out; small topics now share transactions of a bounded size.
    let transactions = report["write_transactions"].as_u64().unwrap();
    assert!(
        transactions <= 100,
        "{transactions} write transactions: {report}"
    );
    assert!(report["longest_write_ms"].as_f64().is_some(), "{report}");

    // A second recompute replaces every run it wrote, in as few transactions.
    let again = crate::reputation::recompute(&app).await;
    let transactions = again["write_transactions"].as_u64().unwrap();
    assert!(transactions <= 100, "{transactions}: {again}");
    let board = app.get("/v1/topics/t7/leaderboard", &app.admin).await;
    assert_eq!(board.status, 200, "{}", board.text);
    assert_eq!(board.json["items"][0]["user"], "v7", "{}", board.text);
    let runs = app.count("reputation_runs");
    assert!(
        runs <= 2 * (TOPICS as i64 + 1),
        "replaced runs are deleted (a day's snapshot is kept): {runs}"
    );
}

fn import_topics(db: &TestDb, n: usize) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("topics.ndjson");
    let mut f = std::fs::File::create(&path).unwrap();
    for t in 0..n {
        let line = json!({"endorser": format!("u{t}"), "endorsee": format!("v{t}"), "topic": format!("t{t}"), "created_at": "2026-11-01T00:00:00Z"});
        writeln!(f, "{line}").unwrap();
    }
    drop(f);
    drop(db.conn()); // `import` needs a database: this makes and migrates it
    let out = Command::new(env!("CARGO_BIN_EXE_plusk"))
        .args(["import", path.to_str().unwrap(), "--no-budget", "--bulk"])
        .args(["--detection", "off"])
        .env("DATABASE_URL", &db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
