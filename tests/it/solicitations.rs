//! Reported solicitations: validated, classified, stored, and recorded in the ledger.

use plusk::domain::keys::Role;
use serde_json::json;

use crate::both_backends;
use crate::common::{spawn, Backend};

both_backends!(
    a_report_is_classified_stored_and_chained,
    bad_reports_are_400,
    one_key_reports_a_limited_number_a_day
);

async fn a_report_is_classified_stored_and_chained(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    // An hour ago, written at +01:00: stored and answered in UTC.
    let observed = plusk::domain::time::truncate(chrono::Utc::now() - chrono::Duration::hours(1));
    let plus_one = chrono::FixedOffset::east_opt(3600).unwrap();
    let body = json!({
        "requester": "Carol", "target": "alice", "topic": "Writing",
        "text": "can you please give me a +K on Klout for my blog?",
        "channel": "dm", "observed_at": observed.with_timezone(&plus_one).to_rfc3339()
    });
    let r = app.post("/v1/solicitations", &app.app_key, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let s = &r.json;
    assert_eq!(
        (
            s["requester"].as_str(),
            s["target"].as_str(),
            s["topic"].as_str()
        ),
        (Some("carol"), Some("alice"), Some("writing"))
    );
    assert_eq!(s["observed_at"], plusk::domain::time::format(observed));
    assert_eq!(
        (s["begging"].as_bool(), s["language"].as_str()),
        (Some(true), Some("en"))
    );
    assert!(s["cues"].as_array().is_some_and(|c| !c.is_empty()));
    let id = s["id"].as_i64().unwrap();
    assert_eq!(
        r.header("location"),
        Some(format!("/v1/solicitations/{id}").as_str())
    );

    let got = app
        .get(&format!("/v1/solicitations/{id}"), &app.admin)
        .await;
    assert_eq!(&got.json, s, "a read returns what the write acknowledged");

    let broadcast = json!({"requester": "dave", "text": "I'm not asking anyone for +K, thanks"});
    let r = app
        .post("/v1/solicitations", &app.app_key, &broadcast)
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.json["target"].is_null(), r.json["begging"].as_bool()),
        (true, Some(false))
    );

    let after = crate::common::KEY_ENTRIES;
    let ledger = app
        .get(&format!("/v1/ledger?after={after}"), &app.app_key)
        .await;
    assert_eq!(ledger.json["items"][0]["kind"], "solicitation.recorded");
    assert_eq!(ledger.json["items"][0]["payload"]["text"], body["text"]);
    assert_eq!(app.verify().await["ok"], true);
    app.get("/v1/solicitations/999", &app.app_key)
        .await
        .assert_problem(404, "not_found");
}

async fn bad_reports_are_400(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let post = |body: serde_json::Value| {
        let app = &app;
        async move { app.post("/v1/solicitations", &app.app_key, &body).await }
    };
    post(json!({"requester": "c d", "text": "x"}))
        .await
        .assert_problem(400, "invalid_handle");
    post(json!({"requester": "c", "text": ""}))
        .await
        .assert_problem(400, "invalid_text");
    post(json!({"requester": "c", "text": "x".repeat(5001)}))
        .await
        .assert_problem(400, "invalid_text");
    post(json!({"requester": "c", "text": "x", "topic": "a_b"}))
        .await
        .assert_problem(400, "invalid_topic");
    post(json!({"requester": "c", "text": "x", "observed_at": "soon"}))
        .await
        .assert_problem(400, "invalid_timestamp");
    post(json!({"requester": "c", "text": "x", "observed_at": "2999-01-01T00:00:00Z"}))
        .await
        .assert_problem(400, "invalid_timestamp");
    // Backdated beyond the flag window (72 h): such a report could hold every endorsement the
    // requester received since, from any app.
    let backdated = chrono::Utc::now() - chrono::Duration::hours(73);
    post(json!({"requester": "c", "text": "please +K me", "observed_at": plusk::domain::time::format(backdated)}))
        .await
        .assert_problem(400, "invalid_timestamp");
    post(json!({"requester": "c", "text": "x", "mood": "sad"}))
        .await
        .assert_problem(400, "invalid_json");
    let analyst =
        crate::common::create_key(&mut app.db.conn(), "an", plusk::domain::keys::Role::Analyst);
    app.post(
        "/v1/solicitations",
        &analyst,
        &json!({"requester": "c", "text": "x"}),
    )
    .await
    .assert_problem(403, "forbidden");
    assert_eq!(app.count("solicitations"), 0);
}

/// Issue 18, item 1: a report can hold other apps' endorsements, so a key reports at most its
/// limit per rolling 24 hours; other keys are not affected.
async fn one_key_reports_a_limited_number_a_day(b: Backend) {
    let detection = plusk::domain::flag::Detection {
        reports_per_key: Some(3),
        ..Default::default()
    };
    let Some(app) = crate::common::spawn_detecting(b, detection).await else {
        return;
    };
    let report = |i: usize| json!({"requester": format!("r{i}"), "text": "please +K me on Klout"});
    for i in 0..3 {
        let r = app
            .post("/v1/solicitations", &app.app_key, &report(i))
            .await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let over = app
        .post("/v1/solicitations", &app.app_key, &report(3))
        .await;
    over.assert_problem(429, "report_limit_exhausted");
    let wait: u64 = over.header("retry-after").unwrap().parse().unwrap();
    assert!(
        (86_000..=86_400).contains(&wait),
        "the first report leaves the window in a day: {wait}"
    );
    assert_eq!(
        app.count("solicitations"),
        3,
        "the refused report left nothing"
    );
    let other = crate::common::create_key(&mut app.db.conn(), "other-app", Role::App);
    let r = app.post("/v1/solicitations", &other, &report(4)).await;
    assert_eq!(r.status, 201, "another key has its own limit: {}", r.text);
}
