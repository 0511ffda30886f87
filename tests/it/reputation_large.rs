//! Topics with more users than one store transaction holds: their scores are written in chunks,
//! each encoded while the one before it is written, and each run has every user, in rank order.

use std::collections::HashSet;
use std::io::Write;

use serde_json::json;

use crate::both_backends;
use crate::common::{plusk, spawn_on, Backend, TestDb};
use crate::reputation::{quiet, recompute};

both_backends!(a_topic_stored_in_chunks_has_every_user_in_rank_order);

/// More users than one store transaction takes (16,384).
const USERS: usize = 17_000;
/// More large topics than the computation has threads and the store has room for waiting
/// topics together: the computation then waits for the store, which must not need its threads
/// to encode (it once deadlocked so).
const TOPICS: usize = 8;

async fn a_topic_stored_in_chunks_has_every_user_in_rank_order(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    // A ring, and everyone endorsing the user at half their number: scores of every size.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("large.ndjson");
    let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
    let start = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z").unwrap();
    let mut n = 0;
    for topic in 0..TOPICS {
        for i in 0..USERS {
            for to in [(i + 1) % USERS, i / 2] {
                if to != i {
                    // Oldest first, as `import` wants.
                    n += 1;
                    let at = (start + chrono::Duration::seconds(n)).to_rfc3339();
                    let line = json!({"endorser": format!("u{i}"), "endorsee": format!("u{to}"), "topic": format!("crowd-{topic}"), "created_at": at});
                    writeln!(f, "{line}").unwrap();
                }
            }
        }
    }
    drop(f);
    drop(db.conn()); // `import` needs a database: this makes and migrates it
    let out = plusk(
        &db,
        &["import", "--bulk", "--no-budget", path.to_str().unwrap()],
    );
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{err}");
    let app = spawn_on(db, quiet(Default::default()));

    let report = recompute(&app).await;
    assert_eq!(report["scores"], USERS * TOPICS, "{report}");
    // One topic alone is encoded as it is written.
    let body = json!({"topics": ["crowd-0"]});
    let alone = app
        .post("/v1/reputation/recompute", &app.admin, &body)
        .await;
    assert_eq!(alone.status, 200, "{}", alone.text);
    assert_eq!(alone.json["scores"], USERS, "{}", alone.text);
    assert!(
        alone.json["write_transactions"].as_u64().unwrap() > 2,
        "{}",
        alone.text
    );

    let (mut seen, mut last, mut cursor) = (HashSet::new(), (0, String::new()), None::<String>);
    loop {
        let url = match &cursor {
            Some(c) => format!("/v1/topics/crowd-0/leaderboard?limit=1000&cursor={c}"),
            None => "/v1/topics/crowd-0/leaderboard?limit=1000".to_string(),
        };
        let page = app.get(&url, &app.admin).await;
        assert_eq!(page.status, 200, "{}", page.text);
        for item in page.json["items"].as_array().unwrap() {
            let user = item["user"].as_str().unwrap().to_string();
            let at = (item["rank"].as_i64().unwrap(), user.clone());
            assert!(at.0 >= last.0, "{at:?} after {last:?}");
            assert!(seen.insert(user), "{at:?} listed twice");
            last = at;
        }
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), USERS);
    // Each user's own score is found through the user-ordered parts.
    for who in ["u0", "u1", "u8500", &format!("u{}", USERS - 1)] {
        let r = app
            .get(&format!("/v1/users/{who}/reputation"), &app.admin)
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(
            r.json["topics"].as_array().unwrap().len(),
            TOPICS,
            "{}",
            r.text
        );
    }
    // And where the leaderboard has them.
    let top = app
        .get("/v1/topics/crowd-7/leaderboard?limit=1", &app.admin)
        .await;
    let first = top.json["items"][0]["user"].as_str().unwrap();
    let own = app
        .get(&format!("/v1/users/{first}/reputation"), &app.admin)
        .await;
    let topics = own.json["topics"].as_array().unwrap();
    let in_last = topics.iter().find(|t| t["topic"] == "crowd-7").unwrap();
    assert_eq!(in_last["rank"], 1, "{}", own.text);
}
