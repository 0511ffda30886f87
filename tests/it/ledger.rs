//! The ledger: paging in order, and verify catching any change made behind plusk's back.

use crate::both_backends;
use plusk::domain::keys::Role;
use serde_json::json;

use crate::common::{create_key, spawn, Backend, TestApp};

both_backends!(
    ledger_pages_in_order_and_chains,
    verify_covers_api_keys,
    verify_catches_an_edited_endorsement,
    verify_catches_an_edited_creator,
    verify_catches_an_un_revoked_endorsement,
    verify_catches_an_edited_ledger_payload,
    verify_catches_a_rehashed_entry,
    verify_catches_a_row_without_ledger_entry,
    verify_catches_a_deleted_entry,
    verify_covers_solicitations_and_flags,
    verify_covers_topic_seeds,
    verify_covers_users_and_topics,
    verify_covers_remembered_responses,
    verify_over_http_is_incremental_and_one_at_a_time,
    flag_entries_are_kept_on_their_flags,
    flag_entries_left_in_the_ledger_table_are_still_read,
);

/// Five endorsements; the third revoked (ledger: the harness's two keys at 1 and 2, then 3..7
/// created, 8 revoked).
async fn seeded(b: Backend) -> Option<TestApp> {
    let app = spawn(b).await?;
    for (i, e) in ["bob", "carol", "dave", "erin", "frank"].iter().enumerate() {
        let r = app.endorse(&format!("u{i}"), e, "writing").await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    assert_eq!(
        app.delete("/v1/endorsements/5", &app.app_key).await.status,
        200
    );
    let v = app.verify().await;
    assert_eq!(
        (v["ok"].as_bool(), v["entries"].as_i64()),
        (Some(true), Some(8)),
        "{v}"
    );
    Some(app)
}

async fn expect_broken(app: &TestApp, sql: &str, seq: i64) {
    app.db.exec(sql);
    let v = app.verify().await;
    assert_eq!(v["ok"], false, "{sql}: {v}");
    assert_eq!(v["first_bad_seq"], seq, "{sql}: {v}");
    assert!(v["reason"].as_str().is_some_and(|r| !r.is_empty()), "{v}");
}

async fn ledger_pages_in_order_and_chains(b: Backend) {
    let Some(app) = seeded(b).await else { return };
    let mut entries = Vec::new();
    let mut after = 0;
    loop {
        let page = app
            .get(&format!("/v1/ledger?after={after}&limit=4"), &app.app_key)
            .await;
        assert_eq!(page.status, 200, "{}", page.text);
        entries.extend(page.json["items"].as_array().unwrap().iter().cloned());
        match page.json["next_after"].as_i64() {
            Some(n) => after = n,
            None => break,
        }
    }
    let seqs: Vec<i64> = entries.iter().map(|e| e["seq"].as_i64().unwrap()).collect();
    assert_eq!(seqs, vec![1, 2, 3, 4, 5, 6, 7, 8]);
    assert_eq!(entries[0]["prev_hash"], "0".repeat(64));
    for pair in entries.windows(2) {
        assert_eq!(
            pair[1]["prev_hash"], pair[0]["hash"],
            "each entry links to the one before"
        );
    }
    // The harness's keys, by name only: their role, hash and quota are a digest.
    assert_eq!(entries[0]["kind"], "key.changed");
    assert_eq!(entries[0]["payload"]["name"], "test-admin");
    assert_eq!(entries[0]["payload"]["change"], "created");
    assert_eq!(entries[0]["payload"].as_object().unwrap().len(), 3);
    assert_eq!(entries[2]["kind"], "endorsement.created");
    assert_eq!(entries[2]["payload"]["endorsee"], "bob");
    assert_eq!(entries[2]["payload"]["created_by"], "test-app");
    assert_eq!(entries[7]["kind"], "endorsement.revoked");
    assert_eq!(entries[7]["payload"]["id"], 5);
    let head = app.verify().await["head"].clone();
    assert_eq!(head, entries[7]["hash"]);
}

async fn verify_catches_an_edited_endorsement(b: Backend) {
    let Some(app) = seeded(b).await else { return };
    expect_broken(
        &app,
        "UPDATE endorsements SET note = 'edited' WHERE id = 4",
        4,
    )
    .await;
}

async fn verify_catches_an_edited_creator(b: Backend) {
    // Which key created an endorsement is in its entry's payload (rebuilt from the row), so
    // moving the endorsement to another app, or to none, breaks the chain there.
    let Some(app) = seeded(b).await else { return };
    expect_broken(
        &app,
        "UPDATE endorsements SET created_by = NULL WHERE id = 4",
        4,
    )
    .await;
}

async fn verify_catches_an_un_revoked_endorsement(b: Backend) {
    let Some(app) = seeded(b).await else { return };
    expect_broken(
        &app,
        "UPDATE endorsements SET status = 'active', revoked_at = NULL WHERE id = 5",
        5,
    )
    .await;
    // A status no version writes is reported at its row, not as a fault of verify.
    let Some(app) = seeded(b).await else { return };
    expect_broken(
        &app,
        "UPDATE endorsements SET status = 'gone' WHERE id = 5",
        5,
    )
    .await;
}

async fn verify_catches_an_edited_ledger_payload(b: Backend) {
    // A stored payload (the revocation, entry 8) edited in place.
    let Some(app) = seeded(b).await else { return };
    expect_broken(
        &app,
        r#"UPDATE ledger SET payload = REPLACE(payload, '"id":5', '"id":4') WHERE seq = 8"#,
        8,
    )
    .await;
    // A created entry's payload is rebuilt from its row and the handles it names (the ledger
    // does not store it twice): renaming erin edits entry 6's payload.
    let Some(app) = seeded(b).await else { return };
    expect_broken(
        &app,
        "UPDATE users SET handle = 'mallory' WHERE handle = 'erin'",
        6,
    )
    .await;
}

async fn verify_catches_a_rehashed_entry(b: Backend) {
    let Some(app) = seeded(b).await else { return };
    // Someone edits entry 4 (renaming carol, whom its payload names) and even recomputes its
    // hash: entry 5's hash, which chains entry 4's, gives it away.
    let ledger = plusk::service::ledger::page(&mut app.db.conn(), 3, 1).unwrap();
    let e = &ledger[0];
    let payload = e.payload.replace("carol", "mallory");
    let value: serde_json::Value = serde_json::from_str(&payload).unwrap();
    let hash = plusk::domain::ledger::entry_hash(&e.prev_hash, e.seq, &e.kind, e.at, &value);
    let blob = match b {
        Backend::Sqlite => format!("X'{hash}'"),
        Backend::Postgres => format!("'\\x{hash}'::bytea"),
    };
    app.db
        .exec("UPDATE users SET handle = 'mallory' WHERE handle = 'carol'");
    expect_broken(
        &app,
        // A created entry's hash is kept on the row it created (migration 18).
        &format!("UPDATE endorsements SET entry_hash = {blob} WHERE id = 4"),
        5,
    )
    .await;
}

async fn verify_catches_a_row_without_ledger_entry(b: Backend) {
    let Some(app) = seeded(b).await else { return };
    // No entry created it (its `entry_hash` is empty): the break is reported at the row, by id.
    let sql = "INSERT INTO endorsements (id, endorser_id, endorsee_id, topic_id, note, status, created_at) \
               SELECT 99, endorsee_id, endorser_id, topic_id, NULL, 'active', created_at FROM endorsements WHERE id = 3";
    expect_broken(&app, sql, 99).await;
}

async fn verify_catches_a_deleted_entry(b: Backend) {
    let Some(app) = seeded(b).await else { return };
    // The revocation entry is the only one no row refers to; removing it un-does a revoke.
    expect_broken(&app, "DELETE FROM ledger WHERE seq = 8", 5).await;
}

/// After the harness's keys (1, 2): an ask (entry 3), the endorsement it prompted (4), its flag
/// (5), the moderator's key (6) and the flag's review (7).
async fn moderated(b: Backend) -> Option<TestApp> {
    let app = spawn(b).await?;
    let ask = json!({"requester": "carol", "target": "alice", "text": "please +K me on writing!"});
    let r = app.post("/v1/solicitations", &app.app_key, &ask).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        app.endorse("alice", "carol", "writing").await.json["status"],
        "flagged"
    );
    let moderator = create_key(&mut app.db.conn(), "mod", Role::Moderator);
    let review = json!({"decision": "uphold", "note": "asked for it"});
    let r = app.post("/v1/flags/5/review", &moderator, &review).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(app.verify().await["entries"], 7);
    Some(app)
}

async fn verify_covers_solicitations_and_flags(b: Backend) {
    let tampering = [
        ("UPDATE solicitations SET text = 'hello'", 3),
        ("UPDATE solicitations SET begging = false", 3),
        ("UPDATE flags SET status = 'open', reviewed_at = NULL, review_note = NULL, reviewed_by = NULL", 5),
        ("UPDATE flags SET score = 0.01", 5),
        ("UPDATE flags SET reason = 'bogus'", 5),
        ("UPDATE flags SET evidence = '{}'", 5),
        ("DELETE FROM flags", 5),
        ("DELETE FROM solicitations", 3),
    ];
    for (sql, seq) in tampering {
        let Some(app) = moderated(b).await else {
            return;
        };
        expect_broken(&app, sql, seq).await;
    }
}

async fn verify_covers_topic_seeds(b: Backend) {
    for sql in [
        "DELETE FROM topic_seeds",
        "INSERT INTO topic_seeds (topic_id, user_id) SELECT t.id, u.id FROM topics t, users u \
         WHERE u.handle = 'carol'",
    ] {
        let Some(app) = spawn(b).await else { return };
        assert_eq!(app.endorse("alice", "bob", "writing").await.status, 201);
        assert_eq!(app.endorse("carol", "bob", "writing").await.status, 201);
        let r = app.set_seeds("writing", &["alice"]).await;
        assert_eq!(r.status, 200, "{}", r.text);
        assert_eq!(app.verify().await["ok"], true);
        expect_broken(&app, sql, 5).await;
    }
}

/// Issue 18, item 5: when a user or topic came into being is what the first entry naming it
/// says, and no user or topic exists that no entry names.
async fn verify_covers_users_and_topics(b: Backend) {
    let tampering = [
        // erin is first named by entry 6.
        (
            "UPDATE users SET created_at = '2001-01-01 00:00:00' WHERE handle = 'erin'",
            6,
        ),
        ("UPDATE topics SET created_at = '2001-01-01 00:00:00'", 3),
        (
            "INSERT INTO users (handle, created_at) VALUES ('ghost', '2026-01-01 00:00:00')",
            8,
        ),
        (
            "INSERT INTO topics (slug, created_at) VALUES ('ghost', '2026-01-01 00:00:00')",
            8,
        ),
    ];
    for (sql, seq) in tampering {
        let Some(app) = seeded(b).await else { return };
        expect_broken(&app, sql, seq).await;
    }
}

/// Issue 18, item 5: a response remembered for an Idempotency-Key is replayed to every retry as
/// it is, so verify checks it against the ledger and the key that created the endorsement.
async fn verify_covers_remembered_responses(b: Backend) {
    let tampering = [
        r#"UPDATE idempotency_keys SET response_body = REPLACE(response_body, '"endorsee":"bob"', '"endorsee":"mallory"')"#,
        r#"UPDATE idempotency_keys SET response_body = REPLACE(response_body, '"id":3', '"id":7')"#,
        "UPDATE idempotency_keys SET api_key_id = (SELECT id FROM api_keys WHERE name = 'test-admin')",
    ];
    for sql in tampering {
        let Some(app) = spawn(b).await else { return };
        let body = json!({"endorser": "alice", "endorsee": "bob", "topic": "writing"});
        assert_eq!(app.endorse_once("req-1", &body).await.status, 201);
        assert_eq!(app.verify().await["ok"], true);
        app.db.exec(sql);
        let v = app.verify().await;
        assert_eq!(v["ok"], false, "{sql}: {v}");
        assert!(
            v["reason"]
                .as_str()
                .is_some_and(|r| r.contains("Idempotency-Key")),
            "{sql}: {v}"
        );
    }
}

/// Issue 18, item 5: keys are recorded in the ledger (created, revoked, quota set), as a digest
/// of the whole row, so a role, revocation, hash or quota changed behind plusk's back is found.
async fn verify_covers_api_keys(b: Backend) {
    let tampering = [
        "UPDATE api_keys SET role = 'admin' WHERE name = 'test-app'",
        "UPDATE api_keys SET revoked_at = NULL WHERE name = 'gone'",
        // The attacker's own key, whose hash they know, put in place of an admin's.
        "UPDATE api_keys SET key_hash = 'ab' WHERE name = 'test-admin'",
        "UPDATE api_keys SET rate_per_sec = 0, rate_burst = 0 WHERE name = 'test-app'",
        "UPDATE api_keys SET rate_per_sec = NULL, rate_burst = NULL WHERE name = 'quota'",
        "INSERT INTO api_keys (name, role, key_hash, created_at) \
         VALUES ('forged', 'admin', 'ff', '2026-01-01 00:00:00')",
        "DELETE FROM api_keys WHERE name = 'gone'",
    ];
    for sql in tampering {
        let Some(app) = spawn(b).await else { return };
        create_key(&mut app.db.conn(), "gone", Role::App);
        plusk::service::keys::revoke(&mut app.db.conn(), "gone").unwrap();
        let new = json!({"name": "quota", "role": "app"});
        let r = app.post("/v1/keys", &app.admin, &new).await;
        assert_eq!(r.status, 201, "{}", r.text);
        let quota = json!({"rate_per_sec": 5, "burst": 10});
        let r = app.patch("/v1/keys/quota", &app.admin, &quota).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let v = app.verify().await;
        let entries = (v["ok"].as_bool(), v["entries"].as_i64());
        assert_eq!(entries, (Some(true), Some(6)), "{v}");
        app.db.exec(sql);
        let v = app.verify().await;
        assert_eq!(v["ok"], false, "{sql}: {v}");
        assert!(
            v["reason"].as_str().is_some_and(|r| r.contains("key")),
            "{sql}: {v}"
        );
    }
}

/// An app's verify: the quick one.
async fn quick(app: &TestApp) -> crate::common::Resp {
    app.get("/v1/ledger/verify", &app.app_key).await
}

/// Issue 18, item 4: any key's verify checks only what is new since the last good one; the
/// full verify is an admin's, and one verify runs at a time (429 with Retry-After).
async fn verify_over_http_is_incremental_and_one_at_a_time(b: Backend) {
    let Some(app) = seeded(b).await else { return };
    let first = quick(&app).await;
    assert_eq!(
        (first.status, &first.json["entries"]),
        (200, &json!(8)),
        "{}",
        first.text
    );
    app.endorse("u9", "grace", "writing").await;
    let next = quick(&app).await;
    assert_eq!(
        (next.json["ok"].as_bool(), next.json["entries"].as_i64()),
        (Some(true), Some(9))
    );

    // Many full verifies at once: one runs, the others are told to come back.
    let lines: Vec<_> = (0..3000)
        .map(|i| {
            let line = json!({"endorser": format!("f{i}"), "endorsee": format!("t{}", i % 50), "topic": "music", "created_at": "2025-01-01T00:00:00Z"}).to_string();
            plusk::service::import::parse_line(i + 1, &line, plusk::domain::time::now()).unwrap()
        })
        .collect();
    plusk::service::import::import_batch(&mut app.db.conn(), &lines, None, &Default::default())
        .unwrap();
    let calls = (0..8).map(|_| app.get("/v1/ledger/verify?full=true", &app.admin));
    let answers = futures::future::join_all(calls).await;
    let turned_away: Vec<_> = answers.iter().filter(|r| r.status == 429).collect();
    assert!(
        answers.iter().all(|r| r.status == 200 || r.status == 429),
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    assert!(answers.iter().any(|r| r.status == 200));
    assert!(!turned_away.is_empty(), "eight at once, one at a time");
    turned_away[0].assert_problem(429, "verify_in_progress");
    assert!(turned_away[0].header("retry-after").is_some());

    // An entry below the last good head is not read again by the quick verify; the full one,
    // an admin's, finds it.
    // Entry 4 (a creation, kept on its row) given another time.
    app.db.exec(match b {
        Backend::Sqlite => "UPDATE endorsements SET entry_at = created_at + 1 WHERE id = 4",
        Backend::Postgres => {
            "UPDATE endorsements SET entry_at = created_at + interval '1 microsecond' WHERE id = 4"
        }
    });
    assert_eq!(
        quick(&app).await.json["ok"],
        true,
        "only what is new is checked"
    );
    app.get("/v1/ledger/verify?full=true", &app.app_key)
        .await
        .assert_problem(403, "forbidden");
    let full = app.get("/v1/ledger/verify?full=true", &app.admin).await;
    assert_eq!(
        (
            full.json["ok"].as_bool(),
            full.json["first_bad_seq"].as_i64()
        ),
        (Some(false), Some(4)),
        "{}",
        full.text
    );
    // A broken chain is not a good head: the next quick verify starts from the top again.
    assert_eq!(quick(&app).await.json["first_bad_seq"], 4);
    app.db
        .exec("UPDATE endorsements SET entry_at = NULL WHERE id = 4");
    assert_eq!(quick(&app).await.json["ok"], true);
    // The head verified before must still be there: a ledger cut below it is caught.
    let head = quick(&app).await.json["entries"].as_i64().unwrap();
    app.db.exec(&format!(
        "DELETE FROM flags WHERE id = {head} OR endorsement_id = {head}"
    ));
    app.db
        .exec(&format!("DELETE FROM endorsements WHERE id = {head}"));
    app.db
        .exec(&format!("DELETE FROM ledger WHERE seq = {head}"));
    assert_eq!(quick(&app).await.json["first_bad_seq"], head);
}

/// Issue 11, migration 21: a flag keeps the `flag.raised` entry that raised it. The ledger reads
/// it there, in its place in the chain, with the payload it was hashed with, by kind and by time.
async fn flag_entries_are_kept_on_their_flags(b: Backend) {
    let Some(app) = moderated(b).await else {
        return;
    };
    assert_eq!(app.count("ledger WHERE kind = 'flag.raised'"), 0);
    assert_eq!(
        app.count("flags WHERE id = 5 AND entry_hash IS NOT NULL AND entry_status = 'flagged'"),
        1
    );
    let all = app.get("/v1/ledger?after=0&limit=10", &app.app_key).await;
    assert_eq!(all.status, 200, "{}", all.text);
    let items = all.json["items"].as_array().unwrap();
    let raised = &items[4];
    assert_eq!(raised["seq"], 5);
    assert_eq!(raised["kind"], "flag.raised");
    assert_eq!(raised["prev_hash"], items[3]["hash"]);
    assert_eq!(items[5]["prev_hash"], raised["hash"]);
    let payload = &raised["payload"];
    assert_eq!(
        (
            &payload["id"],
            &payload["endorsement_id"],
            &payload["reason"]
        ),
        (&json!(5), &json!(4), &json!("solicited"))
    );
    assert_eq!(
        payload["endorsement_status"], "flagged",
        "as raised, before the review"
    );
    assert!(payload["evidence"].is_object(), "{payload}");

    let by_kind = app.get("/v1/ledger?kind=flag.raised", &app.app_key).await;
    assert_eq!(by_kind.status, 200, "{}", by_kind.text);
    assert_eq!(by_kind.json["items"], json!([raised]));
    let at = raised["at"].as_str().unwrap();
    let at = url_encoded(at);
    let since = app
        .get(
            &format!("/v1/ledger?kind=flag.raised&since={at}"),
            &app.app_key,
        )
        .await;
    assert_eq!(since.json["items"], json!([raised]), "{}", since.text);
    let until = app
        .get(
            &format!("/v1/ledger?kind=flag.raised&until={at}"),
            &app.app_key,
        )
        .await;
    assert_eq!(until.json["items"], json!([]), "{}", until.text);
}

fn url_encoded(s: &str) -> String {
    s.replace(':', "%3A").replace('+', "%2B")
}

/// A flag raised before migration 21 keeps its entry in the ledger table: the chain reads the
/// same from there, verifies, and goes on after it.
async fn flag_entries_left_in_the_ledger_table_are_still_read(b: Backend) {
    let Some(app) = moderated(b).await else {
        return;
    };
    let mut conn = app.db.conn();
    let before = plusk::service::ledger::page(&mut conn, 0, 100).unwrap();
    let e = &before[4];
    assert_eq!(e.kind, "flag.raised");
    let (at, hash) = match b {
        Backend::Sqlite => (
            e.at.timestamp_micros().to_string(),
            format!("X'{}'", e.hash),
        ),
        Backend::Postgres => (
            format!("'{}'::timestamp", e.at.naive_utc()),
            format!("'\\x{}'::bytea", e.hash),
        ),
    };
    app.db.exec(&format!(
        "INSERT INTO ledger (seq, kind, at, payload, hash) VALUES (5, 'flag.raised', {at}, '{}', {hash})",
        e.payload.replace('\'', "''")
    ));
    app.db
        .exec("UPDATE flags SET entry_hash = NULL, entry_status = NULL WHERE id = 5");
    assert_eq!(
        plusk::service::ledger::page(&mut conn, 0, 100).unwrap(),
        before
    );
    assert_eq!(app.verify().await["ok"], true);
    assert_eq!(app.endorse("zoe", "carol", "writing").await.status, 201);
    let v = app.verify().await;
    assert_eq!(
        (v["ok"].as_bool(), v["entries"].as_i64()),
        (Some(true), Some(8)),
        "{v}"
    );
}
