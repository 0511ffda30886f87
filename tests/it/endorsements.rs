//! The endorsement rules, idempotency, reads, listing and revocation.

use serde_json::json;

use crate::both_backends;
use crate::common::{spawn, Backend, Served, TestDb, KEY_ENTRIES};

both_backends!(
    create_returns_the_endorsement,
    handles_and_topics_are_normalised,
    self_endorsement_is_422,
    duplicate_is_409,
    re_endorse_after_revoke_is_too_soon_within_seven_days,
    re_endorse_is_allowed_seven_days_after_the_original,
    daily_budget_is_429_with_retry_after,
    budget_zero_means_unlimited,
    idempotent_retry_returns_the_original,
    idempotency_key_with_other_body_is_422,
    revoke_by_owner_or_admin_only,
    listing_pages_newest_first_with_filters,
    users_and_topics_have_counts,
);

async fn create_returns_the_endorsement(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let body = json!({"endorser": "alice", "endorsee": "bob", "topic": "social-media", "note": "great threads"});
    let r = app.post("/v1/endorsements", &app.app_key, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let e = &r.json;
    assert_eq!(e["endorser"], "alice");
    assert_eq!(e["endorsee"], "bob");
    assert_eq!(e["topic"], "social-media");
    assert_eq!(e["note"], "great threads");
    assert_eq!(e["status"], "active");
    assert_eq!(e["ledger_seq"], KEY_ENTRIES + 1);
    let id = e["id"].as_i64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/endorsements/{id}").as_str())
    );
    let created = e["created_at"].as_str().unwrap();
    assert!(
        chrono::DateTime::parse_from_rfc3339(created).is_ok() && created.ends_with('Z'),
        "{created}"
    );

    let got = app.get(&format!("/v1/endorsements/{id}"), &app.admin).await;
    assert_eq!(got.status, 200);
    assert_eq!(&got.json, e, "a read returns what the write acknowledged");
    assert_eq!(app.count("endorsements"), 1);
    assert_eq!(app.ledger_entries(), KEY_ENTRIES + 1);
}

async fn handles_and_topics_are_normalised(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let r = app.endorse("Alice", "BOB", "Social Media").await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.json["endorser"].as_str(), r.json["topic"].as_str()),
        (Some("alice"), Some("social-media"))
    );
    app.endorse("ALICE", "bob", "social-media")
        .await
        .assert_problem(409, "duplicate_endorsement");
    app.endorse("alice", "bob", "fashion").await;
    let user = app.get("/v1/users/ALICE", &app.app_key).await;
    assert_eq!(user.json["given"], 2, "{}", user.text);
}

async fn self_endorsement_is_422(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.endorse("alice", "Alice", "writing")
        .await
        .assert_problem(422, "self_endorsement");
    assert_eq!(app.count("endorsements"), 0);
    assert_eq!(app.ledger_entries(), KEY_ENTRIES, "nothing but the keys");
    assert_eq!(app.count("users"), 0, "a refused request creates no user");
}

async fn duplicate_is_409(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    assert_eq!(app.endorse("alice", "bob", "writing").await.status, 201);
    app.endorse("alice", "bob", "writing")
        .await
        .assert_problem(409, "duplicate_endorsement");
    assert_eq!(
        app.endorse("alice", "bob", "blogging").await.status,
        201,
        "another topic is another triple"
    );
    assert_eq!(
        app.endorse("bob", "alice", "writing").await.status,
        201,
        "the other direction is another triple"
    );
    assert_eq!(app.count("endorsements"), 3);
}

async fn re_endorse_after_revoke_is_too_soon_within_seven_days(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let id = app.endorse("alice", "bob", "writing").await.json["id"]
        .as_i64()
        .unwrap();
    let r = app
        .delete(&format!("/v1/endorsements/{id}"), &app.app_key)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["status"], "revoked");
    let again = app.endorse("alice", "bob", "writing").await;
    again.assert_problem(409, "too_soon");
    let retry: u64 = again.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (7 * 86_400 - 60..=7 * 86_400).contains(&retry),
        "Retry-After {retry}"
    );
}

async fn re_endorse_is_allowed_seven_days_after_the_original(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    // The original, eight days old, arrives by import (rules are judged at its own time).
    let eight_days_ago =
        plusk::domain::time::format(chrono::Utc::now() - chrono::Duration::days(8));
    let line = json!({"endorser": "alice", "endorsee": "bob", "topic": "writing", "created_at": eight_days_ago});
    let parsed =
        plusk::service::import::parse_line(1, &line.to_string(), plusk::domain::time::now())
            .unwrap();
    let failures = plusk::service::import::import_batch(
        &mut app.db.conn(),
        &[parsed],
        Some(5),
        &Default::default(),
    )
    .unwrap();
    assert!(failures.is_empty(), "{failures:?}");
    app.endorse("alice", "bob", "writing")
        .await
        .assert_problem(409, "duplicate_endorsement");
    assert_eq!(
        app.delete("/v1/endorsements/3", &app.admin).await.status,
        200
    );
    let r = app.endorse("alice", "bob", "writing").await;
    assert_eq!(r.status, 201, "{}", r.text);
}

async fn daily_budget_is_429_with_retry_after(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    for i in 0..5 {
        let r = app.endorse("alice", &format!("user{i}"), "writing").await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let r = app.endorse("alice", "user5", "writing").await;
    r.assert_problem(429, "daily_budget_exhausted");
    let retry: u64 = r.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (86_400 - 120..=86_400).contains(&retry),
        "Retry-After {retry}"
    );
    assert_eq!(
        app.endorse("carol", "user5", "writing").await.status,
        201,
        "the budget is per endorser"
    );
    // Revoking does not refund the budget: giving and taking back is still giving.
    assert_eq!(
        app.delete("/v1/endorsements/3", &app.app_key).await.status,
        200
    );
    app.endorse("alice", "user6", "writing")
        .await
        .assert_problem(429, "daily_budget_exhausted");
}

/// `PLUSK_DAILY_BUDGET=0` lifts the budget: through the real setting of a real `plusk serve`,
/// where 0 must become "no limit" rather than "no endorsements".
async fn budget_zero_means_unlimited(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    let served = Served::start_with(&db, "warn,plusk=info", &[("PLUSK_DAILY_BUDGET", "0")]);
    let key = served
        .stdout
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("the admin key on stdout");
    let client = reqwest::Client::new();
    for i in 0..12 {
        let r = client
            .post(format!("{}/v1/endorsements", served.base()))
            .bearer_auth(&key)
            .json(&json!({"endorser": "alice", "endorsee": format!("user{i}"), "topic": "writing"}))
            .send()
            .await
            .unwrap();
        assert_eq!(
            r.status().as_u16(),
            201,
            "endorsement {i}: {}",
            r.text().await.unwrap()
        );
    }
}

async fn idempotent_retry_returns_the_original(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let body = json!({"endorser": "alice", "endorsee": "bob", "topic": "writing"});
    let first = app.endorse_once("req-123", &body).await;
    let second = app.endorse_once("req-123", &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(first.json, second.json);
    assert_eq!(second.header("idempotent-replayed"), Some("true"));
    assert_eq!(first.header("idempotent-replayed"), None);
    assert_eq!(app.count("endorsements"), 1);
    assert_eq!(app.ledger_entries(), KEY_ENTRIES + 1);
    // Without the key, the same body is an ordinary duplicate.
    app.endorse("alice", "bob", "writing")
        .await
        .assert_problem(409, "duplicate_endorsement");
}

async fn idempotency_key_with_other_body_is_422(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let first = json!({"endorser": "a", "endorsee": "b", "topic": "t"});
    assert_eq!(app.endorse_once("k1", &first).await.status, 201);
    let other = json!({"endorser": "a", "endorsee": "c", "topic": "t"});
    app.endorse_once("k1", &other)
        .await
        .assert_problem(422, "idempotency_mismatch");
    app.endorse_once(&"k".repeat(256), &other)
        .await
        .assert_problem(400, "invalid_idempotency_key");
    assert_eq!(app.count("endorsements"), 1);
}

async fn revoke_by_owner_or_admin_only(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let other_app = crate::common::create_key(
        &mut app.db.conn(),
        "other-app",
        plusk::domain::keys::Role::App,
    );
    let moderator = crate::common::create_key(
        &mut app.db.conn(),
        "mod",
        plusk::domain::keys::Role::Moderator,
    );
    let id1 = app.endorse("alice", "bob", "writing").await.json["id"]
        .as_i64()
        .unwrap();
    let id2 = app.endorse("alice", "carol", "writing").await.json["id"]
        .as_i64()
        .unwrap();
    app.delete(&format!("/v1/endorsements/{id1}"), &other_app)
        .await
        .assert_problem(403, "forbidden");
    app.delete(&format!("/v1/endorsements/{id1}"), &moderator)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.delete(&format!("/v1/endorsements/{id1}"), &app.app_key)
            .await
            .status,
        200
    );
    app.delete(&format!("/v1/endorsements/{id1}"), &app.app_key)
        .await
        .assert_problem(409, "already_revoked");
    let by_admin = app
        .delete(&format!("/v1/endorsements/{id2}"), &app.admin)
        .await;
    assert_eq!(
        (by_admin.status, by_admin.json["status"].as_str()),
        (200, Some("revoked"))
    );
    app.delete("/v1/endorsements/999", &app.admin)
        .await
        .assert_problem(404, "not_found");
    assert_eq!(
        app.ledger_entries(),
        KEY_ENTRIES + 2 + 4,
        "two more keys, two creations and two revocations"
    );
    assert_eq!(app.verify().await["ok"], true);
}

async fn listing_pages_newest_first_with_filters(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    // Endorsement ids are ledger seqs, after the harness's keys.
    let k = |ids: Vec<i64>| -> Vec<i64> { ids.into_iter().map(|i| i + KEY_ENTRIES).collect() };
    for (i, (a, e, t)) in [
        ("alice", "bob", "writing"),
        ("alice", "carol", "writing"),
        ("bob", "carol", "fashion"),
        ("dave", "carol", "writing"),
        ("erin", "bob", "fashion"),
        ("frank", "alice", "writing"),
        ("gina", "alice", "fashion"),
    ]
    .iter()
    .enumerate()
    {
        let r = app.endorse(a, e, t).await;
        assert_eq!(
            (r.status, r.json["id"].as_i64()),
            (201, Some(KEY_ENTRIES + i as i64 + 1)),
            "{}",
            r.text
        );
    }
    app.delete("/v1/endorsements/4", &app.app_key).await;

    let mut ids = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/v1/endorsements?limit=3&cursor={c}"),
            None => "/v1/endorsements?limit=3".to_string(),
        };
        let page = app.get(&path, &app.app_key).await;
        assert_eq!(page.status, 200, "{}", page.text);
        let items = page.json["items"].as_array().unwrap();
        assert!(items.len() <= 3);
        ids.extend(items.iter().map(|i| i["id"].as_i64().unwrap()));
        match page.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(
        ids,
        k(vec![7, 6, 5, 4, 3, 2, 1]),
        "every endorsement once, newest first"
    );

    let ids_of = |r: &crate::common::Resp| -> Vec<i64> {
        r.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_i64().unwrap())
            .collect()
    };
    let q = |p: &'static str| app.get(p, &app.app_key);
    assert_eq!(
        ids_of(&q("/v1/endorsements?endorser=ALICE").await),
        k(vec![2, 1])
    );
    assert_eq!(
        ids_of(&q("/v1/endorsements?endorsee=carol&topic=writing").await),
        k(vec![4, 2])
    );
    assert_eq!(
        ids_of(&q("/v1/endorsements?status=revoked").await),
        k(vec![2])
    );
    assert_eq!(
        ids_of(&q("/v1/endorsements?topic=Fashion&status=active").await),
        k(vec![7, 5, 3])
    );
    assert_eq!(
        ids_of(&q("/v1/endorsements?endorser=nobody").await),
        Vec::<i64>::new()
    );
    let all = q("/v1/endorsements").await;
    let t4 = all.json["items"][3]["created_at"]
        .as_str()
        .unwrap()
        .to_string();
    let since = app
        .get(&format!("/v1/endorsements?since={t4}"), &app.app_key)
        .await;
    assert_eq!(ids_of(&since), k(vec![7, 6, 5, 4]));
    let until = app
        .get(&format!("/v1/endorsements?until={t4}"), &app.app_key)
        .await;
    assert_eq!(ids_of(&until), k(vec![3, 2, 1]));
}

async fn users_and_topics_have_counts(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.endorse("alice", "bob", "writing").await;
    app.endorse("carol", "bob", "writing").await;
    app.endorse("bob", "alice", "fashion").await;
    let id = app.endorse("dave", "bob", "fashion").await.json["id"]
        .as_i64()
        .unwrap();
    app.delete(&format!("/v1/endorsements/{id}"), &app.app_key)
        .await;
    let bob = app.get("/v1/users/Bob", &app.app_key).await;
    assert_eq!(bob.status, 200, "{}", bob.text);
    assert_eq!(
        (
            bob.json["handle"].as_str(),
            bob.json["given"].as_i64(),
            bob.json["received"].as_i64()
        ),
        (Some("bob"), Some(1), Some(2))
    );
    assert!(bob.json["created_at"].as_str().is_some());
    app.get("/v1/users/nobody", &app.app_key)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/users/no%20body", &app.app_key)
        .await
        .assert_problem(400, "invalid_handle");
    let topics = app.get("/v1/topics", &app.app_key).await;
    let summary: Vec<(String, i64, i64)> = topics.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["slug"].as_str().unwrap().to_string(),
                // Not revoked: active, or held by a detector (bob and alice trade +K here).
                ["active", "flagged", "voided"]
                    .iter()
                    .map(|s| t["endorsements"][s].as_i64().unwrap())
                    .sum::<i64>(),
                t["endorsements"]["revoked"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        summary,
        vec![("fashion".to_string(), 1, 1), ("writing".to_string(), 2, 0)]
    );
}
