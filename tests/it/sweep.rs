//! The periodic sweep, end to end: a history imported, `plusk sweep` and a server's own sweep
//! flag what the checks at write time could not see whole, once.

use std::time::{Duration, Instant};

use chrono::Utc;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{plusk, spawn, spawn_detecting, Backend, TestApp};

both_backends!(
    plusk_sweep_flags_a_slow_ring_and_a_slow_pair_whole,
    a_server_sweeps_by_itself,
);

/// A ring of six spread over five weeks, and two fresh accounts on six people over two days
/// (no day holds more than three of them), in an otherwise empty history ending an hour ago: too long and too slow for the checks at
/// write time. Returns the lines, as `plusk import` reads them.
fn history() -> Vec<String> {
    let end = Utc::now() - chrono::Duration::hours(1);
    let at = |hours_before_end: i64| {
        plusk::domain::time::format(end - chrono::Duration::hours(hours_before_end))
    };
    let mut lines = Vec::new();
    for i in 0..6 {
        lines.push(
            json!({"endorser": format!("r{i}"), "endorsee": format!("r{}", (i + 1) % 6),
            "topic": "knitting", "created_at": at(35 * 24 - i * 7 * 24)}),
        );
    }
    for (k, target) in ["p0", "p1", "p2", "p3", "p4", "p5"].iter().enumerate() {
        let k = k as i64;
        for (j, bot) in ["pairA", "pairB"].iter().enumerate() {
            lines.push(
                json!({"endorser": bot, "endorsee": target, "topic": "baking",
                "created_at": at(51 - 10 * k - j as i64)}),
            );
        }
    }
    lines.iter().map(Value::to_string).collect()
}

fn import(app: &TestApp) {
    let now = plusk::domain::time::now();
    let parsed: Vec<_> = history()
        .iter()
        .enumerate()
        .map(|(i, l)| plusk::service::import::parse_line(i + 1, l, now).unwrap())
        .collect();
    let refused = plusk::service::import::import_batch(
        &mut app.db.conn(),
        &parsed,
        None,
        &Default::default(),
    )
    .unwrap();
    assert!(refused.is_empty(), "{refused:?}");
}

/// The items of one listing page, as the app key sees it.
async fn items(app: &TestApp, path: &str) -> Vec<Value> {
    let r = app.get(path, &app.app_key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().unwrap().clone()
}

/// Every flag of this reason.
async fn flags(app: &TestApp, reason: &str) -> Vec<Value> {
    items(
        app,
        &format!("/v1/flags?status=all&reason={reason}&limit=500"),
    )
    .await
}

async fn endorsement_count(app: &TestApp, topic: &str) -> usize {
    items(app, &format!("/v1/endorsements?topic={topic}&limit=100"))
        .await
        .len()
}

/// The sweep's flags: one per endorsement of the ring and of the pair, each saying it came
/// from the sweep.
async fn assert_swept(app: &TestApp) {
    let ring = flags(app, "ring").await;
    assert_eq!(ring.len(), endorsement_count(app, "knitting").await);
    assert_eq!(ring.len(), 6);
    let pair = flags(app, "lockstep").await;
    assert_eq!(pair.len(), 12, "{pair:#?}");
    for f in ring.iter().chain(&pair) {
        let detail = app
            .get(&format!("/v1/flags/{}", f["id"]), &app.app_key)
            .await;
        assert!(
            detail.json["evidence"]["sweep"]["window_days"].is_number(),
            "{}",
            detail.text
        );
    }
}

async fn plusk_sweep_flags_a_slow_ring_and_a_slow_pair_whole(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    import(&app);
    assert!(
        flags(&app, "ring").await.is_empty(),
        "nothing at write time"
    );
    assert!(
        flags(&app, "lockstep").await.is_empty(),
        "nothing at write time"
    );
    let out = plusk(&app.db, &["sweep"]);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{said} {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(said.contains("2 group(s), 18 flag(s) raised"), "{said}");
    assert_swept(&app).await;
    // A ring of six scores 0.6, which holds; the pair's 0.7 does too.
    let held = items(&app, "/v1/endorsements?status=flagged&limit=100").await;
    assert_eq!(held.len(), 18, "{held:#?}");
    // A second sweep finds the same groups and raises nothing new.
    let again = plusk(&app.db, &["sweep"]);
    assert!(
        String::from_utf8_lossy(&again.stdout).contains("0 flag(s) raised"),
        "{}",
        String::from_utf8_lossy(&again.stdout)
    );
    assert_eq!(flags(&app, "ring").await.len(), 6);
    let verify = plusk(&app.db, &["ledger", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stdout)
    );
}

async fn a_server_sweeps_by_itself(b: Backend) {
    let detection = plusk::domain::flag::Detection {
        sweep_every: Some(chrono::Duration::seconds(1)),
        ..Default::default()
    };
    let Some(app) = spawn_detecting(b, detection).await else {
        return;
    };
    import(&app);
    let started = Instant::now();
    while flags(&app, "lockstep").await.len() < 12 || flags(&app, "ring").await.len() < 6 {
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "no sweep within 30 s"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert_swept(&app).await;
}
