//! Parallel requests: the chain never forks, and every rule holds exactly.

use futures::future::join_all;
use serde_json::json;

use crate::both_backends;
use crate::common::{read, spawn_with, Backend, Options, Resp, TestApp};

// The budget, duplicate and idempotency races are in races.rs, with 64 clients.
both_backends!(parallel_writers_keep_one_chain);

fn statuses(rs: &[Resp]) -> (usize, usize) {
    let created = rs.iter().filter(|r| r.status == 201).count();
    (created, rs.len() - created)
}

async fn burst(app: &TestApp, bodies: Vec<serde_json::Value>) -> Vec<Resp> {
    join_all(bodies.into_iter().map(|body| {
        let req = app
            .client
            .post(app.url("/v1/endorsements"))
            .bearer_auth(&app.app_key)
            .json(&body);
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
    let rs = burst(&app, bodies).await;
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
        (crate::common::KEY_ENTRIES + 1..=crate::common::KEY_ENTRIES + 48).collect::<Vec<_>>(),
        "one entry each, no gaps, no forks"
    );
    let v = app.verify().await;
    assert_eq!(
        (v["ok"].as_bool(), v["entries"].as_i64()),
        (Some(true), Some(crate::common::KEY_ENTRIES + 48)),
        "{v}"
    );
}
