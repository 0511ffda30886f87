//! The begging detectors and the moderation queue.

use plusk::domain::keys::Role;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{create_key, spawn, Backend, TestApp};

both_backends!(
    an_endorsement_after_an_ask_is_held_as_solicited,
    a_late_report_flags_the_endorsements_it_prompted,
    a_begging_note_is_flagged,
    recent_trades_are_reciprocal_old_mutual_ones_are_not,
    moderators_review_each_flag_once,
    rings_of_three_and_four_are_flagged,
    a_burst_is_judged_against_the_own_baseline,
    a_ring_is_reviewed_at_once,
    endorsers_in_lockstep_are_flagged,
    thresholds_and_windows_are_settings,
    an_upheld_flag_cannot_be_laundered,
    a_report_is_dismissed_in_one_action,
    an_ask_for_a_friend_counts_for_the_friend,
    a_plea_that_begs_only_for_the_friend_counts_for_the_friend,
);

async fn ask(
    app: &TestApp,
    requester: &str,
    target: Option<&str>,
    observed_at: Option<String>,
) -> Value {
    let mut body = json!({"requester": requester, "text": "can you please give me a +K on Klout for my blog?", "target": target});
    if let Some(t) = observed_at {
        body["observed_at"] = json!(t);
    }
    let r = app.post("/v1/solicitations", &app.app_key, &body).await;
    assert_eq!(
        (r.status, r.json["begging"].as_bool()),
        (201, Some(true)),
        "{}",
        r.text
    );
    r.json
}

async fn flags_of(app: &TestApp, endorsement_id: i64) -> Vec<Value> {
    let r = app
        .get(
            &format!("/v1/flags?status=all&endorsement_id={endorsement_id}"),
            &app.app_key,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().unwrap().clone()
}

fn ago(hours: i64) -> String {
    plusk::domain::time::format(chrono::Utc::now() - chrono::Duration::hours(hours))
}

async fn an_endorsement_after_an_ask_is_held_as_solicited(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let s = ask(&app, "carol", Some("alice"), Some(ago(2))).await;
    let e = app.endorse("alice", "carol", "writing").await;
    assert_eq!(
        (e.status, e.json["status"].as_str()),
        (201, Some("flagged")),
        "{}",
        e.text
    );
    let flags = flags_of(&app, e.json["id"].as_i64().unwrap()).await;
    assert_eq!(flags.len(), 1);
    assert_eq!(flags[0]["reason"], "solicited");
    let detail = app
        .get(&format!("/v1/flags/{}", flags[0]["id"]), &app.app_key)
        .await;
    assert_eq!(detail.json["evidence"]["solicitation_id"], s["id"]);
    assert_eq!(detail.json["evidence"]["text"], s["text"]);
    assert_eq!(
        detail.json["evidence"]["reported_by"], "test-app",
        "the moderator sees which app reported the ask"
    );
    assert_eq!(detail.json["endorsement"]["status"], "flagged");

    let third_party = app.endorse("bob", "carol", "writing").await;
    assert_eq!(
        third_party.json["status"], "active",
        "carol asked alice, not bob"
    );
    ask(&app, "dave", None, Some(ago(1))).await;
    let broadcast = app.endorse("bob", "dave", "writing").await;
    assert_eq!(
        broadcast.json["status"], "flagged",
        "a broadcast ask reaches everyone"
    );
    // An ask older than the 72 h window is refused at the door (it could prompt nothing now),
    // and so holds nothing.
    let old = json!({"requester": "erin", "target": "alice", "observed_at": ago(100),
                     "text": "can you please give me a +K on Klout for my blog?"});
    app.post("/v1/solicitations", &app.app_key, &old)
        .await
        .assert_problem(400, "invalid_timestamp");
    assert_eq!(
        app.endorse("alice", "erin", "writing").await.json["status"],
        "active",
        "an ask older than 72 h"
    );
    assert_eq!(app.verify().await["ok"], true);
}

async fn a_late_report_flags_the_endorsements_it_prompted(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let e = app.endorse("alice", "carol", "writing").await;
    let before = app.endorse("bob", "carol", "writing").await;
    assert_eq!(e.json["status"], "active");
    // Reported now, seen an hour before alice's endorsement.
    ask(&app, "carol", Some("alice"), Some(ago(1))).await;
    let id = e.json["id"].as_i64().unwrap();
    assert_eq!(
        app.get(&format!("/v1/endorsements/{id}"), &app.app_key)
            .await
            .json["status"],
        "flagged"
    );
    let flag = &flags_of(&app, id).await[0]["id"];
    let detail = app.get(&format!("/v1/flags/{flag}"), &app.app_key).await;
    assert_eq!(detail.json["evidence"]["reported_by"], "test-app");
    assert!(
        flags_of(&app, before.json["id"].as_i64().unwrap())
            .await
            .is_empty(),
        "aimed at alice only"
    );
    // An ask seen after the endorsement did not prompt it.
    let later = app.endorse("dan", "frank", "writing").await;
    let future_ask = json!({"requester": "frank", "target": "dan", "text": "please +K me on writing", "observed_at": plusk::domain::time::format(chrono::Utc::now() + chrono::Duration::minutes(2))});
    assert_eq!(
        app.post("/v1/solicitations", &app.app_key, &future_ask)
            .await
            .status,
        201
    );
    assert!(flags_of(&app, later.json["id"].as_i64().unwrap())
        .await
        .is_empty());
    assert_eq!(app.verify().await["ok"], true);
}

async fn a_begging_note_is_flagged(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let body = json!({"endorser": "alice", "endorsee": "bob", "topic": "writing", "note": "I endorsed you, please endorse me too!"});
    let r = app.post("/v1/endorsements", &app.app_key, &body).await;
    assert_eq!(r.json["status"], "flagged", "{}", r.text);
    let flags = flags_of(&app, r.json["id"].as_i64().unwrap()).await;
    assert_eq!(flags[0]["reason"], "begging_note");
    let fine = json!({"endorser": "alice", "endorsee": "carol", "topic": "writing", "note": "Her essays on craft are the best I have read."});
    assert_eq!(
        app.post("/v1/endorsements", &app.app_key, &fine).await.json["status"],
        "active"
    );
}

async fn recent_trades_are_reciprocal_old_mutual_ones_are_not(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.endorse("alice", "bob", "writing").await;
    let back = app.endorse("bob", "alice", "writing").await;
    assert_eq!(back.json["status"], "flagged", "{}", back.text);
    assert_eq!(
        flags_of(&app, back.json["id"].as_i64().unwrap()).await[0]["reason"],
        "reciprocal"
    );
    assert_eq!(
        app.endorse("alice", "bob", "fashion").await.json["status"],
        "active",
        "another topic"
    );

    let months_ago = plusk::domain::time::format(chrono::Utc::now() - chrono::Duration::days(90));
    let line = json!({"endorser": "carol", "endorsee": "dave", "topic": "writing", "created_at": months_ago}).to_string();
    let parsed = plusk::service::import::parse_line(1, &line, plusk::domain::time::now()).unwrap();
    assert!(plusk::service::import::import_batch(
        &mut app.db.conn(),
        &[parsed],
        Some(5),
        &Default::default()
    )
    .unwrap()
    .is_empty());
    assert_eq!(
        app.endorse("dave", "carol", "writing").await.json["status"],
        "active",
        "mutual, months apart"
    );
    assert_eq!(app.verify().await["ok"], true);
}

async fn moderators_review_each_flag_once(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let moderator = create_key(&mut app.db.conn(), "mod", Role::Moderator);
    let first = app.endorse("alice", "bob", "writing").await.json["id"]
        .as_i64()
        .unwrap();
    let traded = app.endorse("bob", "alice", "writing").await.json["id"]
        .as_i64()
        .unwrap();
    let note = json!({"endorser": "carol", "endorsee": "dave", "topic": "writing", "note": "now +K me back, as promised"});
    let begged = app.post("/v1/endorsements", &app.app_key, &note).await.json["id"]
        .as_i64()
        .unwrap();
    let queue = app.get("/v1/flags", &moderator).await;
    let items = queue.json["items"].as_array().unwrap();
    // Both endorsements of the trade are flagged (issue 16: a group is flagged whole), and the
    // begging note.
    assert_eq!(items.len(), 3, "{}", queue.text);
    assert!(
        items[0]["score"].as_f64() >= items[1]["score"].as_f64(),
        "highest score first"
    );
    assert!(
        items[1]["score"].as_f64() >= items[2]["score"].as_f64(),
        "highest score first"
    );
    let page = app.get("/v1/flags?limit=1", &moderator).await;
    let next = page.json["next_cursor"].as_str().unwrap().to_string();
    let rest = app
        .get(&format!("/v1/flags?limit=1&cursor={next}"), &moderator)
        .await;
    assert_eq!(rest.json["items"][0]["id"], items[1]["id"]);

    let flag_of = |id: i64| {
        items.iter().find(|f| f["endorsement_id"] == id).unwrap()["id"]
            .as_i64()
            .unwrap()
    };
    let review = |flag: i64, decision: &str, key: &str| {
        let body = json!({"decision": decision, "note": "checked the thread"});
        let (app, key) = (&app, key.to_string());
        async move {
            app.post(&format!("/v1/flags/{flag}/review"), &key, &body)
                .await
        }
    };
    review(flag_of(traded), "uphold", &app.app_key)
        .await
        .assert_problem(403, "forbidden");
    let upheld = review(flag_of(traded), "uphold", &moderator).await;
    assert_eq!(
        (upheld.status, upheld.json["status"].as_str()),
        (200, Some("upheld")),
        "{}",
        upheld.text
    );
    assert_eq!(upheld.json["endorsement"]["status"], "voided");
    review(flag_of(traded), "dismiss", &moderator)
        .await
        .assert_problem(409, "already_reviewed");
    let dismissed = review(flag_of(begged), "dismiss", &app.admin).await;
    assert_eq!(dismissed.json["endorsement"]["status"], "active");
    let answered = review(flag_of(first), "dismiss", &moderator).await;
    assert_eq!(answered.json["endorsement"]["status"], "active");
    assert!(
        app.get("/v1/flags", &moderator).await.json["items"]
            .as_array()
            .unwrap()
            .is_empty(),
        "queue worked"
    );
    review(999, "dismiss", &moderator)
        .await
        .assert_problem(404, "not_found");
    review(flag_of(begged), "maybe", &moderator)
        .await
        .assert_problem(400, "invalid_json");
    app.get("/v1/flags?status=pending", &moderator)
        .await
        .assert_problem(400, "invalid_status");
    app.get("/v1/flags?cursor=zz", &moderator)
        .await
        .assert_problem(400, "invalid_cursor");
    let ledger = app.get("/v1/ledger?limit=1000", &app.app_key).await;
    let kinds: Vec<&str> = ledger.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds.iter().filter(|k| **k == "flag.raised").count(), 3);
    assert_eq!(kinds.iter().filter(|k| **k == "flag.reviewed").count(), 3);
    let v = app.verify().await;
    assert_eq!(v["ok"], true, "{v}");
    app.db.exec(&format!(
        "UPDATE endorsements SET status = 'active' WHERE id = {traded}"
    ));
    assert_eq!(
        app.verify().await["ok"],
        false,
        "un-voiding behind plusk's back is caught"
    );
}

async fn rings_of_three_and_four_are_flagged(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.endorse("a", "b", "rust").await;
    app.endorse("b", "c", "rust").await;
    let closing = app.endorse("c", "a", "rust").await;
    assert_eq!(closing.json["status"], "flagged", "{}", closing.text);
    let id = closing.json["id"].as_i64().unwrap();
    let flags = flags_of(&app, id).await;
    assert_eq!(flags[0]["reason"], "ring");
    let detail = app
        .get(&format!("/v1/flags/{}", flags[0]["id"]), &app.app_key)
        .await;
    assert_eq!(detail.json["evidence"]["length"], 3);
    assert_eq!(
        detail.json["evidence"]["cycle_endorsement_ids"]
            .as_array()
            .unwrap()
            .len(),
        3
    );

    for (x, y) in [("p", "q"), ("q", "r"), ("r", "s")] {
        assert_eq!(app.endorse(x, y, "rust").await.json["status"], "active");
    }
    assert_eq!(
        app.endorse("s", "p", "rust").await.json["status"],
        "flagged",
        "a ring of four"
    );
    app.endorse("k", "l", "rust").await;
    app.endorse("l", "m", "rust").await;
    assert_eq!(
        app.endorse("m", "k", "go").await.json["status"],
        "active",
        "another topic closes nothing"
    );
    let path = app.endorse("k", "m", "rust").await.json["id"]
        .as_i64()
        .unwrap();
    let reasons: Vec<Value> = flags_of(&app, path)
        .await
        .iter()
        .map(|f| f["reason"].clone())
        .collect();
    // k → m answers m → k given in `go` the moment before: a trade across topics (issue 16),
    // but no ring.
    assert_eq!(reasons, [json!("reciprocal")], "a path, not a cycle");
    assert_eq!(app.verify().await["ok"], true);
}

async fn a_burst_is_judged_against_the_own_baseline(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut statuses = Vec::new();
    for i in 0..7 {
        statuses.push(
            app.endorse(&format!("fan{i}"), "newcomer", "music")
                .await
                .json["status"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert_eq!(&statuses[..4], ["active"; 4], "{statuses:?}");
    assert!(statuses[5..].iter().all(|s| s == "flagged"), "{statuses:?}");
    let detail = app
        .get(
            &format!("/v1/flags/{}", flags_of(&app, 7).await[0]["id"]),
            &app.app_key,
        )
        .await;
    assert_eq!(detail.json["reason"], "burst");
    assert!(detail.json["evidence"]["baseline_median"].is_number());

    // A user who steadily gets ~6 an hour is not bursting at 7.
    let now = chrono::Utc::now();
    let lines: Vec<_> = (1..=48 * 6)
        .map(|i| {
            let at = plusk::domain::time::format(now - chrono::Duration::minutes(10 * i + 61));
            let line = json!({"endorser": format!("old{i}"), "endorsee": "star", "topic": "music", "created_at": at}).to_string();
            plusk::service::import::parse_line(i as usize, &line, plusk::domain::time::now()).unwrap()
        })
        .collect();
    assert!(plusk::service::import::import_batch(
        &mut app.db.conn(),
        &lines,
        None,
        &Default::default()
    )
    .unwrap()
    .is_empty());
    for i in 0..7 {
        let r = app.endorse(&format!("new{i}"), "star", "music").await;
        assert_eq!(r.json["status"], "active", "endorsement {i}: {}", r.text);
    }
}

async fn a_ring_is_reviewed_at_once(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let moderator = create_key(&mut app.db.conn(), "mod", Role::Moderator);
    app.endorse("a", "b", "rust").await;
    app.endorse("b", "c", "rust").await;
    let ring = app.endorse("c", "a", "rust").await.json["id"]
        .as_i64()
        .unwrap();
    app.endorse("x", "y", "rust").await;
    let traded = app.endorse("y", "x", "rust").await.json["id"]
        .as_i64()
        .unwrap();
    let mut flag_ids = Vec::new();
    for e in [ring, traded] {
        flag_ids.push(flags_of(&app, e).await[0]["id"].as_i64().unwrap());
    }
    let bulk = |ids: Vec<i64>| {
        let (app, moderator) = (&app, moderator.clone());
        async move {
            app.post(
                "/v1/flags/review",
                &moderator,
                &json!({"ids": ids, "decision": "uphold"}),
            )
            .await
        }
    };
    let r = bulk(flag_ids.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert!(r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["endorsement"]["status"] == "voided"));
    // All or none: one already reviewed flag stops the whole request.
    app.endorse("m", "n", "rust").await;
    let fresh = flags_of(
        &app,
        app.endorse("n", "m", "rust").await.json["id"]
            .as_i64()
            .unwrap(),
    )
    .await[0]["id"]
        .as_i64()
        .unwrap();
    bulk(vec![fresh, flag_ids[0]])
        .await
        .assert_problem(409, "already_reviewed");
    assert_eq!(
        app.get(&format!("/v1/flags/{fresh}"), &moderator)
            .await
            .json["status"],
        "open"
    );
    bulk(vec![]).await.assert_problem(400, "invalid_ids");
    assert_eq!(app.verify().await["ok"], true);
}

async fn endorsers_in_lockstep_are_flagged(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut last = Vec::new();
    for bot in ["bot1", "bot2", "bot3"] {
        for target in ["x", "y", "z"] {
            last.push(app.endorse(bot, target, "crypto").await.json);
        }
    }
    assert!(
        last[..8].iter().all(|e| e["status"] == "active"),
        "two bots are not yet a group"
    );
    assert_eq!(last[8]["status"], "flagged");
    let flags = flags_of(&app, last[8]["id"].as_i64().unwrap()).await;
    assert_eq!(flags[0]["reason"], "lockstep");
    let detail = app
        .get(&format!("/v1/flags/{}", flags[0]["id"]), &app.app_key)
        .await;
    assert_eq!(detail.json["evidence"]["endorsees"], json!(["x", "y", "z"]));
    assert_eq!(
        detail.json["evidence"]["endorsers"]
            .as_array()
            .unwrap()
            .len(),
        3
    );
    for (i, who) in ["ann", "ben", "cat"].iter().enumerate() {
        let r = app.endorse(who, ["x", "y", "z"][i], "crypto").await;
        assert_eq!(
            r.json["status"], "active",
            "independent fans are not a group"
        );
    }
}

async fn thresholds_and_windows_are_settings(b: Backend) {
    let detection = plusk::domain::flag::Detection {
        window: chrono::Duration::hours(1),
        // Above any score: findings are queued, never held.
        hold_threshold: 1.5,
        ..Default::default()
    };
    let Some(app) = crate::common::spawn_detecting(b, detection).await else {
        return;
    };
    // The 1 h window bounds how old a reported ask may be, too.
    let old = json!({"requester": "carol", "target": "alice", "observed_at": ago(2),
                     "text": "can you please give me a +K on Klout for my blog?"});
    let r = app.post("/v1/solicitations", &app.app_key, &old).await;
    r.assert_problem(400, "invalid_timestamp");
    assert!(r.text.contains("1 h"), "{}", r.text);
    assert_eq!(
        app.endorse("alice", "carol", "writing").await.json["status"],
        "active",
        "the ask is outside a 1 h window"
    );
    ask(&app, "dave", Some("alice"), Some(ago(0))).await;
    let e = app.endorse("alice", "dave", "writing").await;
    assert_eq!(
        e.json["status"], "active",
        "below the hold threshold: counted, but queued"
    );
    assert_eq!(
        flags_of(&app, e.json["id"].as_i64().unwrap()).await[0]["reason"],
        "solicited"
    );
}

/// Voided is final: the app cannot revoke what a moderator voided (it would then give the same
/// endorsement again, clean, after the cooldown), and the triple stays taken.
async fn an_upheld_flag_cannot_be_laundered(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    ask(&app, "carol", Some("alice"), Some(ago(2))).await;
    let e = app.endorse("alice", "carol", "writing").await;
    assert_eq!(e.json["status"], "flagged", "{}", e.text);
    let id = e.json["id"].as_i64().unwrap();
    let flag = flags_of(&app, id).await[0]["id"].as_i64().unwrap();
    let moderator = create_key(&mut app.db.conn(), "mod", Role::Moderator);
    let r = app
        .post(
            &format!("/v1/flags/{flag}/review"),
            &moderator,
            &json!({"decision": "uphold"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    app.delete(&format!("/v1/endorsements/{id}"), &app.app_key)
        .await
        .assert_problem(409, "endorsement_voided");
    let again = app
        .get(&format!("/v1/endorsements/{id}"), &app.app_key)
        .await;
    assert_eq!(again.json["status"], "voided", "{}", again.text);
    app.endorse("alice", "carol", "writing")
        .await
        .assert_problem(409, "duplicate_endorsement");
    assert_eq!(app.verify().await["ok"], true);
}

/// A moderator dismisses every flag one reported ask raised in one action (a backdated or
/// malicious broadcast report can hold many endorsements), and only those.
async fn a_report_is_dismissed_in_one_action(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let broadcast = ask(&app, "dave", None, Some(ago(1))).await;
    let mut held = Vec::new();
    for endorser in ["bob", "erin", "fay"] {
        let e = app.endorse(endorser, "dave", "writing").await;
        assert_eq!(e.json["status"], "flagged", "{}", e.text);
        held.push(e.json["id"].as_i64().unwrap());
    }
    ask(&app, "carol", Some("alice"), Some(ago(1))).await;
    let other = app.endorse("alice", "carol", "writing").await;
    assert_eq!(other.json["status"], "flagged");

    let moderator = create_key(&mut app.db.conn(), "mod", Role::Moderator);
    let body = json!({"solicitation_id": broadcast["id"], "decision": "dismiss", "note": "backdated report"});
    let r = app.post("/v1/flags/review", &moderator, &body).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut decided: Vec<i64> = r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["endorsement"]["id"].as_i64().unwrap())
        .collect();
    decided.sort_unstable();
    assert_eq!(decided, held, "exactly the report's flags");
    for id in held {
        let e = app
            .get(&format!("/v1/endorsements/{id}"), &app.app_key)
            .await;
        assert_eq!(e.json["status"], "active", "{}", e.text);
    }
    let o = other.json["id"].as_i64().unwrap();
    assert_eq!(
        flags_of(&app, o).await[0]["status"],
        "open",
        "another report's flag stays"
    );

    let both = json!({"ids": [1], "solicitation_id": broadcast["id"], "decision": "dismiss"});
    app.post("/v1/flags/review", &moderator, &both)
        .await
        .assert_problem(400, "invalid_ids");
    let unknown = json!({"solicitation_id": 9999, "decision": "dismiss"});
    assert_eq!(
        app.post("/v1/flags/review", &moderator, &unknown)
            .await
            .status,
        404
    );
    assert_eq!(app.verify().await["ok"], true);
}

/// A plea made on someone else's behalf ("+K my friend @bob") holds endorsements of the friend
/// as solicited, whether the endorsement comes after the report or before it; a user the ask
/// does not name is not touched.
async fn an_ask_for_a_friend_counts_for_the_friend(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let plea = json!({"requester": "carol", "target": "alice", "observed_at": ago(2),
        "text": "can you please give my friend @Bob a +K on Klout for his blog?"});
    let r = app.post("/v1/solicitations", &app.app_key, &plea).await;
    assert_eq!(
        (r.status, r.json["begging"].as_bool()),
        (201, Some(true)),
        "{}",
        r.text
    );

    // bob had never been seen when the ask was reported.
    let e = app.endorse("alice", "bob", "writing").await;
    assert_eq!(e.json["status"], "flagged", "{}", e.text);
    let flags = flags_of(&app, e.json["id"].as_i64().unwrap()).await;
    assert_eq!(flags.len(), 1, "{flags:?}");
    assert_eq!(flags[0]["reason"], "solicited");
    let detail = app
        .get(&format!("/v1/flags/{}", flags[0]["id"]), &app.app_key)
        .await;
    assert_eq!(
        detail.json["evidence"]["on_behalf_of"], "bob",
        "{}",
        detail.text
    );
    assert_eq!(detail.json["evidence"]["solicitation_id"], r.json["id"]);
    // Only alice was asked, and only bob was named.
    assert_eq!(
        app.endorse("dave", "bob", "writing").await.json["status"],
        "active"
    );
    assert_eq!(
        app.endorse("alice", "erin", "writing").await.json["status"],
        "active"
    );

    // Reported late: the endorsement came first, then the ask that named its endorsee.
    let before = app.endorse("frank", "gina", "writing").await;
    assert_eq!(before.json["status"], "active", "{}", before.text);
    let late = json!({"requester": "hank", "observed_at": ago(1),
        "text": "can you please give my friend @gina a +K on Klout for her blog?"});
    let r = app.post("/v1/solicitations", &app.app_key, &late).await;
    assert_eq!(
        (r.status, r.json["begging"].as_bool()),
        (201, Some(true)),
        "{}",
        r.text
    );
    let flags = flags_of(&app, before.json["id"].as_i64().unwrap()).await;
    assert_eq!(
        flags.len(),
        1,
        "the late report flags what it prompted: {flags:?}"
    );
    let detail = app
        .get(&format!("/v1/flags/{}", flags[0]["id"]), &app.app_key)
        .await;
    assert_eq!(
        detail.json["evidence"]["on_behalf_of"], "gina",
        "{}",
        detail.text
    );
    assert_eq!(app.verify().await["ok"], true);
}

/// A friend's campaign that does not beg for its writer ("give @bob a +K, he deserves it") is
/// read as bob's own ask: endorsements of bob after it are flagged as solicited, the writer's
/// are not, and an instance that loads the ask from the database at start-up does the same.
async fn a_plea_that_begs_only_for_the_friend_counts_for_the_friend(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let plea = json!({"requester": "carol", "observed_at": ago(2), "topic": "baking",
        "text": "Please everyone, give @bob a +K for baking, he really deserves it!"});
    let r = app.post("/v1/solicitations", &app.app_key, &plea).await;
    assert_eq!(
        (r.status, r.json["begging"].as_bool()),
        (201, Some(false)),
        "the ask does not beg for carol herself: {}",
        r.text
    );

    let e = app.endorse("alice", "bob", "baking").await;
    assert_eq!(e.json["status"], "flagged", "{}", e.text);
    let flags = flags_of(&app, e.json["id"].as_i64().unwrap()).await;
    assert_eq!(flags.len(), 1, "{flags:?}");
    let detail = app
        .get(&format!("/v1/flags/{}", flags[0]["id"]), &app.app_key)
        .await;
    assert_eq!(detail.json["reason"], "solicited", "{}", detail.text);
    assert_eq!(detail.json["evidence"]["on_behalf_of"], "bob");
    assert_eq!(detail.json["evidence"]["solicitation_id"], r.json["id"]);
    assert_eq!(
        app.endorse("dave", "carol", "baking").await.json["status"],
        "active",
        "carol asked for bob, not for herself"
    );

    // Another instance builds its model from the database: the ask is kept for bob there too.
    let (other, _) = crate::common::spawn_instance(&app.db, crate::common::Options::default());
    let body = json!({"endorser": "erin", "endorsee": "bob", "topic": "baking"});
    let e = app
        .send_to(
            &other,
            reqwest::Method::POST,
            "/v1/endorsements",
            &app.app_key,
            Some(&body),
        )
        .await;
    assert_eq!(
        (e.status, e.json["status"].as_str()),
        (201, Some("flagged")),
        "{}",
        e.text
    );
    assert_eq!(app.verify().await["ok"], true);
}
