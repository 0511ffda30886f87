//! Bad input gets a problem+json with a stable code: never a 500, never a panic.

use base64::Engine;
use serde_json::json;

use crate::both_backends;
use crate::common::{spawn, Backend};

both_backends!(
    bad_bodies_are_400_or_413,
    bad_queries_and_paths_are_400,
    unknown_routes_and_methods
);

async fn bad_bodies_are_400_or_413(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let key = app.app_key.clone();
    let raw = |body: &'static str| app.post_raw("/v1/endorsements", &key, "application/json", body);
    raw("{not json").await.assert_problem(400, "invalid_json");
    raw("").await.assert_problem(400, "invalid_json");
    raw("[]").await.assert_problem(400, "invalid_json");
    raw(r#"{"endorser": 5, "endorsee": "b", "topic": "t"}"#)
        .await
        .assert_problem(400, "invalid_json");
    raw(r#"{"endorser": "a", "endorsee": "b"}"#)
        .await
        .assert_problem(400, "invalid_json");
    raw(r#"{"endorser": "a", "endorsee": "b", "topic": "t", "weight": 10}"#)
        .await
        .assert_problem(400, "invalid_json");
    raw(r#"{"endorser": "a", "endorsee": "b", "topic": "t", "note": null}"#).await;

    let app = &app;
    let post = |body: serde_json::Value| async move {
        app.post("/v1/endorsements", &app.app_key, &body).await
    };
    post(json!({"endorser": "al ice", "endorsee": "b", "topic": "t"}))
        .await
        .assert_problem(400, "invalid_handle");
    post(json!({"endorser": "a", "endorsee": "", "topic": "t"}))
        .await
        .assert_problem(400, "invalid_handle");
    post(json!({"endorser": "a".repeat(65), "endorsee": "b", "topic": "t"}))
        .await
        .assert_problem(400, "invalid_handle");
    // `.` and `..` are path segments: /v1/users/../reputation would not name a user.
    for dots in [".", "..", "..."] {
        post(json!({"endorser": "a", "endorsee": dots, "topic": "t"}))
            .await
            .assert_problem(400, "invalid_handle");
    }
    post(json!({"endorser": "a", "endorsee": "b", "topic": "rust_lang"}))
        .await
        .assert_problem(400, "invalid_topic");
    post(json!({"endorser": "a", "endorsee": "b", "topic": ""}))
        .await
        .assert_problem(400, "invalid_topic");
    post(json!({"endorser": "a", "endorsee": "b", "topic": "t", "note": "x".repeat(501)}))
        .await
        .assert_problem(400, "note_too_long");
    let ok = post(json!({"endorser": "a", "endorsee": "d", "topic": "t", "note": "é".repeat(500)}))
        .await;
    assert_eq!(
        ok.status, 201,
        "500 characters is the limit, not 500 bytes: {}",
        ok.text
    );

    let big = format!(
        r#"{{"endorser":"a","endorsee":"c","topic":"t","note":"{}"}}"#,
        "x".repeat(70 * 1024)
    );
    app.post_raw("/v1/endorsements", &key, "application/json", big)
        .await
        .assert_problem(413, "payload_too_large");
    app.post_raw(
        "/v1/endorsements",
        &key,
        "text/plain",
        r#"{"endorser":"a","endorsee":"c","topic":"t"}"#,
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    assert_eq!(
        app.count("endorsements"),
        2,
        "only the two valid requests were recorded"
    );
}

async fn bad_queries_and_paths_are_400(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let get = |p: &'static str| app.get(p, &app.app_key);
    for p in [
        "/v1/endorsements?limit=0",
        "/v1/endorsements?limit=501",
        "/v1/endorsements?limit=-1",
    ] {
        get(p).await.assert_problem(400, "invalid_limit");
    }
    get("/v1/endorsements?limit=99999999999999999999999")
        .await
        .assert_problem(400, "invalid_query");
    get("/v1/endorsements?limit=ten")
        .await
        .assert_problem(400, "invalid_query");
    get("/v1/endorsements?colour=red")
        .await
        .assert_problem(400, "invalid_query");
    get("/v1/endorsements?cursor=garbage!")
        .await
        .assert_problem(400, "invalid_cursor");
    get("/v1/endorsements?cursor=YWJjOmRlZg")
        .await
        .assert_problem(400, "invalid_cursor");
    // Well-formed cursors at times no database column holds (PostgreSQL said 500 "timestamp out
    // of range" to the first): refused as forged, on both backends.
    for micros in [
        "-250000000000000000",
        "-62167219200000001",
        "253402300800000000",
    ] {
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{micros}:1"));
        app.get(&format!("/v1/endorsements?cursor={forged}"), &app.app_key)
            .await
            .assert_problem(400, "invalid_cursor");
    }
    get("/v1/endorsements?status=pending")
        .await
        .assert_problem(400, "invalid_status");
    get("/v1/endorsements?since=yesterday")
        .await
        .assert_problem(400, "invalid_timestamp");
    get("/v1/endorsements?endorser=a%20b")
        .await
        .assert_problem(400, "invalid_handle");
    get("/v1/endorsements?topic=a_b")
        .await
        .assert_problem(400, "invalid_topic");
    get("/v1/endorsements/abc")
        .await
        .assert_problem(400, "invalid_path");
    get("/v1/endorsements/99999999999999999999")
        .await
        .assert_problem(400, "invalid_path");
    get("/v1/endorsements/12")
        .await
        .assert_problem(404, "not_found");
    get("/v1/ledger?limit=1001")
        .await
        .assert_problem(400, "invalid_limit");
    get("/v1/ledger?after=-5")
        .await
        .assert_problem(400, "invalid_after");
    assert_eq!(get("/v1/endorsements?limit=500").await.status, 200);
}

async fn unknown_routes_and_methods(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.get("/v1/nothing-here", &app.app_key)
        .await
        .assert_problem(404, "not_found");
    app.get("/nothing-here", &app.app_key)
        .await
        .assert_problem(404, "not_found");
    let put = app
        .client
        .put(app.url("/v1/endorsements"))
        .bearer_auth(&app.app_key)
        .send()
        .await
        .unwrap();
    crate::common::read(put)
        .await
        .assert_problem(405, "method_not_allowed");
}
