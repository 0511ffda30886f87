//! The listings client apps and the console read: flags with their names and filters, reviewed
//! flags with who decided and when, and reported solicitations.

use plusk::domain::keys::Role;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{create_key, spawn, Backend, TestApp};

both_backends!(
    flags_carry_names_and_filter_by_topic_user_and_reason,
    bad_flag_queries_are_400_naming_the_parameter,
    solicitations_are_listed_newest_first_with_filters,
);

const BEGGING: &str = "I endorsed you, please endorse me too!";

async fn endorse_with_note(app: &TestApp, endorser: &str, endorsee: &str, topic: &str) -> Value {
    let body = json!({"endorser": endorser, "endorsee": endorsee, "topic": topic, "note": BEGGING});
    let r = app.post("/v1/endorsements", &app.app_key, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json
}

fn triples(page: &Value) -> Vec<(String, String, String, String)> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            let s = |k: &str| f[k].as_str().unwrap_or("?").to_string();
            (s("endorser"), s("endorsee"), s("topic"), s("reason"))
        })
        .collect()
}

fn t(a: &str, b: &str, topic: &str, reason: &str) -> (String, String, String, String) {
    (a.into(), b.into(), topic.into(), reason.into())
}

async fn flags_carry_names_and_filter_by_topic_user_and_reason(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    endorse_with_note(&app, "alice", "bob", "writing").await;
    endorse_with_note(&app, "carol", "dave", "rust").await;
    app.endorse("x", "y", "rust").await;
    app.endorse("y", "x", "rust").await;
    let key = &app.app_key;

    let all = app.get("/v1/flags", key).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(triples(&all.json).len(), 4, "{}", all.text);
    for f in all.json["items"].as_array().unwrap() {
        assert_eq!(f["reviewed_by"], Value::Null);
        assert_eq!(f["reviewed_at"], Value::Null);
    }

    let rust = app.get("/v1/flags?topic=rust", key).await;
    let mut got = triples(&rust.json);
    got.sort();
    assert_eq!(
        got,
        vec![
            t("carol", "dave", "rust", "begging_note"),
            t("x", "y", "rust", "reciprocal"),
            t("y", "x", "rust", "reciprocal"),
        ]
    );
    // Either side of the endorsement; handles and topics are normalised as everywhere.
    for user in ["alice", "BOB"] {
        let r = app.get(&format!("/v1/flags?user={user}"), key).await;
        assert_eq!(
            triples(&r.json),
            vec![t("alice", "bob", "writing", "begging_note")],
            "{user}"
        );
    }
    let r = app
        .get("/v1/flags?reason=reciprocal&user=x&topic=Rust", key)
        .await;
    assert_eq!(triples(&r.json).len(), 2, "{}", r.text);
    let r = app.get("/v1/flags?user=nobody-yet", key).await;
    assert_eq!((r.status, triples(&r.json).len()), (200, 0));
    let r = app.get("/v1/flags?topic=unused-topic", key).await;
    assert_eq!((r.status, triples(&r.json).len()), (200, 0));

    // Paging with a filter visits each flag once.
    let mut seen = Vec::new();
    let mut path = "/v1/flags?topic=rust&limit=1".to_string();
    loop {
        let r = app.get(&path, key).await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(triples(&r.json));
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/flags?topic=rust&limit=1&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen.len(), 3);

    // A reviewed flag names the key that decided and when.
    let moderator = create_key(&mut app.db.conn(), "mia", Role::Moderator);
    let id = app.get("/v1/flags?user=alice", key).await.json["items"][0]["id"].clone();
    let before = chrono::Utc::now();
    let r = app
        .post(
            &format!("/v1/flags/{id}/review"),
            &moderator,
            &json!({"decision": "dismiss"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["reviewed_by"], "mia");
    let upheld = app.get("/v1/flags?status=dismissed", key).await;
    let f = &upheld.json["items"][0];
    assert_eq!(
        (f["id"].clone(), f["reviewed_by"].as_str()),
        (id, Some("mia"))
    );
    let at = chrono::DateTime::parse_from_rfc3339(f["reviewed_at"].as_str().unwrap()).unwrap();
    assert!(at >= before - chrono::Duration::seconds(1), "{at}");
    assert_eq!(triples(&app.get("/v1/flags", key).await.json).len(), 3);
}

async fn bad_flag_queries_are_400_naming_the_parameter(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    for (query, code) in [
        ("user=no%20spaces", "invalid_handle"),
        ("user=", "invalid_handle"),
        ("topic=%F0%9F%98%80", "invalid_topic"),
        ("reason=gossip", "invalid_reason"),
        ("status=closed", "invalid_status"),
        ("limit=0", "invalid_limit"),
        ("limit=many", "invalid_query"),
        ("cursor=not-a-cursor", "invalid_cursor"),
        ("colour=red", "invalid_query"),
    ] {
        let r = app.get(&format!("/v1/flags?{query}"), &app.app_key).await;
        r.assert_problem(400, code);
        if code == "invalid_handle" {
            assert!(
                r.json["detail"].as_str().unwrap().contains("user"),
                "{}",
                r.text
            );
        }
    }
    for (query, code) in [
        ("requester=a%20b", "invalid_handle"),
        ("target=%2F", "invalid_handle"),
        ("topic=%F0%9F%98%80", "invalid_topic"),
        ("limit=501", "invalid_limit"),
        ("cursor=xyz", "invalid_cursor"),
        ("text=hi", "invalid_query"),
    ] {
        let r = app
            .get(&format!("/v1/solicitations?{query}"), &app.app_key)
            .await;
        r.assert_problem(400, code);
    }
    let r = app
        .get("/v1/solicitations?requester=a%20b", &app.app_key)
        .await;
    assert!(
        r.json["detail"].as_str().unwrap().contains("requester"),
        "{}",
        r.text
    );
}

async fn report(
    app: &TestApp,
    requester: &str,
    target: Option<&str>,
    topic: Option<&str>,
    hours_ago: i64,
) -> i64 {
    let at = plusk::domain::time::format(chrono::Utc::now() - chrono::Duration::hours(hours_ago));
    let body = json!({"requester": requester, "target": target, "topic": topic,
                      "text": "can you please give me a +K on Klout for my blog?", "observed_at": at});
    let r = app.post("/v1/solicitations", &app.app_key, &body).await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_i64().unwrap()
}

fn ids(page: &Value) -> Vec<i64> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["id"].as_i64().unwrap())
        .collect()
}

async fn solicitations_are_listed_newest_first_with_filters(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let key = &app.app_key;
    let oldest = report(&app, "carol", Some("alice"), Some("rust"), 5).await;
    let newest = report(&app, "carol", None, None, 1).await;
    let middle = report(&app, "dave", Some("alice"), Some("writing"), 3).await;
    let other = report(&app, "erin", Some("bob"), Some("rust"), 2).await;

    let all = app.get("/v1/solicitations", key).await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(ids(&all.json), vec![newest, other, middle, oldest]);
    assert_eq!(all.json["items"][0]["requester"], "carol");
    assert_eq!(all.json["items"][0]["target"], Value::Null);
    assert_eq!(all.json["next_cursor"], Value::Null);

    let by = |q: &'static str| {
        let app = &app;
        async move {
            ids(&app
                .get(&format!("/v1/solicitations?{q}"), &app.app_key)
                .await
                .json)
        }
    };
    assert_eq!(by("requester=Carol").await, vec![newest, oldest]);
    assert_eq!(by("target=alice").await, vec![middle, oldest]);
    assert_eq!(by("topic=rust").await, vec![other, oldest]);
    assert_eq!(by("topic=rust&target=alice").await, vec![oldest]);
    assert_eq!(by("requester=nobody").await, Vec::<i64>::new());

    let mut seen = Vec::new();
    let mut path = "/v1/solicitations?limit=3".to_string();
    loop {
        let r = app.get(&path, key).await;
        assert_eq!(r.status, 200, "{}", r.text);
        seen.extend(ids(&r.json));
        match r.json["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/solicitations?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, vec![newest, other, middle, oldest]);
}
