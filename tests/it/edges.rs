//! The API's edges (issue 12): slugs, seeds, key patches, refusals that name what was wrong,
//! one rule for query parameters, `Allow` on 405, paging of topics.

use serde_json::json;

use crate::both_backends;
use crate::common::{spawn, Backend};

both_backends!(
    topic_slugs_are_trimmed_and_collapsed,
    slugs_without_a_letter_or_digit_are_refused,
    seeds_must_be_known_users,
    a_key_patch_changes_only_the_fields_sent,
    keys_can_be_read_one_by_one,
    refusals_name_the_field_or_parameter,
    every_route_refuses_unknown_query_parameters,
    method_not_allowed_names_the_allowed_methods,
    topics_are_paged_and_counted_by_status,
    the_ledger_filters_by_kind_and_time,
    the_leaderboard_negotiates_its_format,
    a_revoked_endorsement_says_when,
    a_page_of_the_largest_size_still_says_more_follow,
);

async fn topic_slugs_are_trimmed_and_collapsed(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let first = app.endorse("alice", "bob", " Rust  Lang ").await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.json["topic"], "rust-lang");
    // The same topic however it is spelled: the second is a duplicate of the first.
    app.endorse("alice", "bob", "-rust--lang-")
        .await
        .assert_problem(409, "duplicate_endorsement");
    let trailing = app.endorse("carol", "bob", "rust-").await;
    assert_eq!(trailing.json["topic"], "rust", "{}", trailing.text);
    let topics = app.get("/v1/topics", &app.app_key).await;
    let slugs = crate::common::item_strings(&topics.json, "slug");
    assert_eq!(slugs, ["rust", "rust-lang"]);
}

async fn slugs_without_a_letter_or_digit_are_refused(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    for bad in ["-", "--", "  ", " - "] {
        let r = app.endorse("alice", "bob", bad).await;
        r.assert_problem(400, "invalid_topic");
        assert!(
            r.json["detail"]
                .as_str()
                .unwrap()
                .contains("letter or a digit"),
            "{bad:?}: {}",
            r.text
        );
    }
    assert_eq!(app.count("topics"), 0);
}

async fn seeds_must_be_known_users(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.endorse("alice", "bob", "rust").await;
    let r = app.set_seeds("rust", &["alice", "ghost", "phantom"]).await;
    r.assert_problem(422, "unknown_users");
    let detail = r.json["detail"].as_str().unwrap();
    assert!(detail.contains("ghost, phantom"), "{detail}");
    assert!(!detail.contains("alice"), "{detail}");
    assert_eq!(app.count("users"), 2, "no user was made up");
    let ok = app.set_seeds("rust", &["alice"]).await;
    assert_eq!(ok.status, 200, "{}", ok.text);
}

async fn a_key_patch_changes_only_the_fields_sent(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let path = "/v1/keys/test-app";
    let rate = |r: &crate::common::Resp| {
        (
            r.json["rate"]["per_sec"].clone(),
            r.json["rate"]["burst"].clone(),
        )
    };
    let set = app
        .patch(path, &app.admin, &json!({"rate_per_sec": 10, "burst": 50}))
        .await;
    assert_eq!(rate(&set), (json!(10), json!(50)), "{}", set.text);
    let burst_only = app.patch(path, &app.admin, &json!({"burst": 5})).await;
    assert_eq!(
        rate(&burst_only),
        (json!(10), json!(5)),
        "{}",
        burst_only.text
    );
    let empty = app.patch(path, &app.admin, &json!({})).await;
    assert_eq!(rate(&empty), (json!(10), json!(5)), "{}", empty.text);
    let rate_only = app
        .patch(path, &app.admin, &json!({"rate_per_sec": 2}))
        .await;
    assert_eq!(rate(&rate_only), (json!(2), json!(5)), "{}", rate_only.text);
    let burst_cleared = app.patch(path, &app.admin, &json!({"burst": null})).await;
    assert_eq!(
        rate(&burst_cleared),
        (json!(2), json!(2)),
        "{}",
        burst_cleared.text
    );
    let cleared = app
        .patch(path, &app.admin, &json!({"rate_per_sec": null}))
        .await;
    assert_eq!(cleared.json["rate"], json!(null), "{}", cleared.text);
    app.patch(path, &app.admin, &json!({"burst": 5}))
        .await
        .assert_problem(400, "invalid_rate");
}

async fn keys_can_be_read_one_by_one(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let made = app
        .post(
            "/v1/keys",
            &app.admin,
            &json!({"name": "reader", "role": "analyst"}),
        )
        .await;
    assert_eq!(made.status, 201, "{}", made.text);
    assert_eq!(made.header("location"), Some("/v1/keys/reader"));
    let got = app.get("/v1/keys/reader", &app.admin).await;
    assert_eq!(got.status, 200, "{}", got.text);
    assert_eq!(
        (&got.json["name"], &got.json["role"]),
        (&json!("reader"), &json!("analyst"))
    );
    assert!(
        got.json.get("key").is_none(),
        "the key itself is never shown again"
    );
    app.get("/v1/keys/nobody", &app.admin)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/keys/reader", &app.app_key)
        .await
        .assert_problem(403, "forbidden");
}

async fn refusals_name_the_field_or_parameter(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let array = app
        .post_raw("/v1/endorsements", &app.app_key, "application/json", "[]")
        .await;
    array.assert_problem(400, "invalid_json");
    assert_eq!(array.json["detail"], "the body must be a JSON object");
    let typed = app
        .patch(
            "/v1/keys/test-app",
            &app.admin,
            &json!({"rate_per_sec": "fast"}),
        )
        .await;
    typed.assert_problem(400, "invalid_json");
    let detail = typed.json["detail"].as_str().unwrap();
    assert!(
        detail.starts_with("field `rate_per_sec`: expected a whole number"),
        "{detail}"
    );
    let missing = app
        .post(
            "/v1/endorsements",
            &app.app_key,
            &json!({"endorser": "a", "topic": "t"}),
        )
        .await;
    assert_eq!(
        missing.json["detail"], "field `endorsee` is required",
        "{}",
        missing.text
    );
    let query = app.get("/v1/endorsements?limit=abc", &app.app_key).await;
    query.assert_problem(400, "invalid_query");
    assert_eq!(
        query.json["detail"],
        "query parameter `limit`: must be a whole number"
    );
    let path = app.get("/v1/endorsements/abc", &app.app_key).await;
    path.assert_problem(400, "invalid_path");
    let detail = path.json["detail"].as_str().unwrap();
    assert!(
        detail.contains("`id`") && detail.contains("whole number"),
        "{detail}"
    );
}

async fn every_route_refuses_unknown_query_parameters(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.endorse("alice", "bob", "rust").await;
    let id = crate::common::KEY_ENTRIES + 1;
    for path in [
        "/v1/endorsements?sort=asc".to_string(),
        format!("/v1/endorsements/{id}?expand=all"),
        "/v1/users/alice?x=1".to_string(),
        "/v1/topics?x=1".to_string(),
        "/v1/topics/rust?x=1".to_string(),
        "/v1/keys?x=1".to_string(),
        "/v1/flags?x=1".to_string(),
        "/v1/ledger?x=1".to_string(),
    ] {
        let r = app.get(&path, &app.admin).await;
        r.assert_problem(400, "invalid_query");
        assert!(
            r.json["detail"]
                .as_str()
                .unwrap()
                .starts_with("unknown query parameter"),
            "{path}: {}",
            r.text
        );
    }
}

async fn method_not_allowed_names_the_allowed_methods(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let put = app.put("/v1/endorsements", &app.app_key, &json!({})).await;
    put.assert_problem(405, "method_not_allowed");
    assert_eq!(put.header("allow"), Some("POST, GET"));
    let keys = app.post("/v1/keys/test-app", &app.admin, &json!({})).await;
    assert_eq!(keys.status, 405, "{}", keys.text);
    assert_eq!(keys.header("allow"), Some("GET, PATCH, DELETE"));
}

async fn topics_are_paged_and_counted_by_status(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    for (i, topic) in ["a", "b", "c", "d", "e"].into_iter().enumerate() {
        let r = app
            .endorse(&format!("giver{i}"), &format!("taker{i}"), topic)
            .await;
        assert_eq!(r.json["status"], "active", "{}", r.text);
    }
    let mut slugs = Vec::new();
    let mut path = "/v1/topics?limit=2".to_string();
    loop {
        let page = app.get(&path, &app.app_key).await;
        assert_eq!(page.status, 200, "{}", page.text);
        for t in page.json["items"].as_array().unwrap() {
            slugs.push(t["slug"].as_str().unwrap().to_string());
            assert_eq!(
                t["endorsements"],
                json!({"active": 1, "flagged": 0, "voided": 0, "revoked": 0})
            );
        }
        match page.json["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/topics?limit=2&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(slugs, ["a", "b", "c", "d", "e"]);
    app.get("/v1/topics?cursor=zzz", &app.app_key)
        .await
        .assert_problem(400, "invalid_cursor");
    let detail = app.get("/v1/topics/a", &app.admin).await;
    assert_eq!(detail.json["endorsements"]["active"], 1, "{}", detail.text);
}

async fn the_ledger_filters_by_kind_and_time(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let id = app.endorse("alice", "bob", "rust").await.json["id"]
        .as_i64()
        .unwrap();
    app.delete(&format!("/v1/endorsements/{id}"), &app.app_key)
        .await;
    let between = app.get("/v1/ledger?limit=1000", &app.app_key).await;
    let all = between.json["items"].as_array().unwrap().clone();
    let revoked = app
        .get("/v1/ledger?kind=endorsement.revoked", &app.app_key)
        .await;
    assert_eq!(revoked.status, 200, "{}", revoked.text);
    let items = revoked.json["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", revoked.text);
    assert_eq!(items[0]["payload"]["id"], id);
    // The entry keeps its real prev_hash: the hash of the entry before it in the chain.
    let seq = items[0]["seq"].as_i64().unwrap();
    let before = all.iter().find(|e| e["seq"] == seq - 1).unwrap();
    assert_eq!(items[0]["prev_hash"], before["hash"]);
    let keys = app.get("/v1/ledger?kind=key.changed", &app.app_key).await;
    assert_eq!(
        keys.json["items"].as_array().unwrap().len(),
        2,
        "{}",
        keys.text
    );
    let at = all.last().unwrap()["at"].as_str().unwrap().to_string();
    let since = app
        .get(
            &format!("/v1/ledger?since={}", at.replace('+', "%2B")),
            &app.app_key,
        )
        .await;
    assert_eq!(
        since.json["items"].as_array().unwrap().len(),
        1,
        "{}",
        since.text
    );
    let until = app
        .get(
            &format!("/v1/ledger?until={}", at.replace('+', "%2B")),
            &app.app_key,
        )
        .await;
    assert_eq!(until.json["items"].as_array().unwrap().len(), all.len() - 1);
    app.get("/v1/ledger?kind=endorsement.deleted", &app.app_key)
        .await
        .assert_problem(400, "invalid_kind");
    app.get("/v1/ledger?since=yesterday", &app.app_key)
        .await
        .assert_problem(400, "invalid_timestamp");
}

async fn the_leaderboard_negotiates_its_format(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.endorse("alice", "bob", "rust").await;
    crate::reputation::recompute(&app).await;
    let path = app.url("/v1/topics/rust/leaderboard");
    let ask = |accept: &'static str| {
        let req = app
            .client
            .get(path.clone())
            .bearer_auth(&app.admin)
            .header("accept", accept);
        async move { crate::common::read(req.send().await.unwrap()).await }
    };
    let json_first = ask("text/csv;q=0.5, application/json").await;
    assert!(json_first
        .header("content-type")
        .unwrap()
        .starts_with("application/json"));
    let upper = ask("TEXT/CSV").await;
    assert!(
        upper
            .header("content-type")
            .unwrap()
            .starts_with("text/csv"),
        "{}",
        upper.text
    );
    assert!(upper.text.starts_with("rank,user,score"), "{}", upper.text);
    ask("text/xml").await.assert_problem(406, "not_acceptable");
    ask("application/json;q=0, text/csv;q=0")
        .await
        .assert_problem(406, "not_acceptable");
}

async fn a_revoked_endorsement_says_when(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let made = app.endorse("alice", "bob", "rust").await;
    assert_eq!(made.json["revoked_at"], json!(null));
    let id = made.json["id"].as_i64().unwrap();
    let revoked = app
        .delete(&format!("/v1/endorsements/{id}"), &app.app_key)
        .await;
    let at = revoked.json["revoked_at"]
        .as_str()
        .expect("revoked_at")
        .to_string();
    let got = app
        .get(&format!("/v1/endorsements/{id}"), &app.app_key)
        .await;
    assert_eq!(got.json["revoked_at"], at);
    assert_eq!(got.json["status"], "revoked");
}

/// A listing asked for its largest page (1,000) over more than that still hands out the next
/// cursor: the one row more a listing reads to know must not be cut by the storage cap.
async fn a_page_of_the_largest_size_still_says_more_follow(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let lines: Vec<String> = (0..1001)
        .map(|i| {
            json!({"endorser": format!("g{i}"), "endorsee": format!("t{i}"), "topic": format!("topic{i}"),
                   "created_at": "2026-11-01T00:00:00Z"})
            .to_string()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("history.ndjson");
    std::fs::write(&file, lines.join("\n")).unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_plusk"))
        .args([
            "import",
            "--no-budget",
            "--detection",
            "off",
            file.to_str().unwrap(),
        ])
        .env("DATABASE_URL", &app.db.url)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let topics = app.get("/v1/topics?limit=1000", &app.app_key).await;
    assert_eq!(topics.json["items"].as_array().unwrap().len(), 1000);
    assert!(
        topics.json["next_cursor"].is_string(),
        "1,001 topics: a next page"
    );
    let ledger = app.get("/v1/ledger?limit=1000", &app.app_key).await;
    assert_eq!(ledger.json["items"].as_array().unwrap().len(), 1000);
    assert!(
        ledger.json["next_after"].is_i64(),
        "1,003 entries: a next page"
    );
}
