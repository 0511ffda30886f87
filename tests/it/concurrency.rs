//! Parallel requests: the chain never forks, and every rule holds exactly.

use futures::future::join_all;
use serde_json::json;

use crate::both_backends;
use crate::common::{read, spawn, spawn_with, Backend, Options, Resp, TestApp};

both_backends!(
    parallel_writers_keep_one_chain,
    budget_holds_under_parallel_requests,
    duplicate_holds_under_parallel_requests,
    idempotency_holds_under_parallel_retries,
);

fn statuses(rs: &[Resp]) -> (usize, usize) {
    let created = rs.iter().filter(|r| r.status == 201).count();
    (created, rs.len() - created)
}

async fn burst(app: &TestApp, bodies: Vec<serde_json::Value>, idem: Option<&str>) -> Vec<Resp> {
    join_all(bodies.into_iter().map(|body| {
        let mut req = app
            .client
            .post(app.url("/v1/endorsements"))
            .bearer_auth(&app.app_key)
            .json(&body);
        if let Some(k) = idem {
            req = req.header("Idempotency-Key", k);
        }
        async move { read(req.send().await.expect("send")).await }
    }))
    .await
}

async fn parallel_writers_keep_one_chain(b: Backend) {
    let Some(app) = spawn_with(
        b,
        Options {
            daily_budget: None,
            ..Options::default()
        },
    )
    .await
    else {
        return;
    };
    let bodies = (0..48)
        .map(|i| json!({"endorser": format!("giver{i}"), "endorsee": format!("taker{i}"), "topic": "writing"}))
        .collect();
    let rs = burst(&app, bodies, None).await;
    assert_eq!(
        statuses(&rs),
        (48, 0),
        "{:?}",
        rs.iter().find(|r| r.status != 201)
    );
    let mut seqs: Vec<i64> = rs
        .iter()
        .map(|r| r.json["ledger_seq"].as_i64().unwrap())
        .collect();
    seqs.sort_unstable();
    assert_eq!(
        seqs,
        (1..=48).collect::<Vec<_>>(),
        "one entry each, no gaps, no forks"
    );
    let v = app.verify().await;
    assert_eq!(
        (v["ok"].as_bool(), v["entries"].as_i64()),
        (Some(true), Some(48)),
        "{v}"
    );
}

async fn budget_holds_under_parallel_requests(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let bodies = (0..20)
        .map(|i| json!({"endorser": "alice", "endorsee": format!("user{i}"), "topic": "writing"}))
        .collect();
    let rs = burst(&app, bodies, None).await;
    assert_eq!(statuses(&rs), (5, 15));
    for r in rs.iter().filter(|r| r.status != 201) {
        r.assert_problem(429, "daily_budget_exhausted");
    }
    assert_eq!(app.count("endorsements"), 5);
    assert_eq!(app.verify().await["ok"], true);
}

async fn duplicate_holds_under_parallel_requests(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let bodies = (0..20)
        .map(|_| json!({"endorser": "alice", "endorsee": "bob", "topic": "writing"}))
        .collect();
    let rs = burst(&app, bodies, None).await;
    assert_eq!(statuses(&rs), (1, 19));
    for r in rs.iter().filter(|r| r.status != 201) {
        r.assert_problem(409, "duplicate_endorsement");
    }
    assert_eq!(app.count("endorsements"), 1);
}

async fn idempotency_holds_under_parallel_retries(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let bodies = (0..12)
        .map(|_| json!({"endorser": "alice", "endorsee": "bob", "topic": "writing"}))
        .collect();
    let rs = burst(&app, bodies, Some("retry-me")).await;
    assert_eq!(statuses(&rs), (12, 0), "every retry gets the original 201");
    assert!(rs.iter().all(|r| r.json == rs[0].json));
    assert_eq!(
        rs.iter()
            .filter(|r| r.header("idempotent-replayed").is_none())
            .count(),
        1
    );
    assert_eq!(app.count("endorsements"), 1);
    assert_eq!(app.count("ledger"), 1);
}
