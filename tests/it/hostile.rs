//! Hostile input: whatever a client sends, plusk answers a 4xx problem with a stable code, never
//! a 5xx, and stores nothing it could not give back (on both backends).

use std::time::{Duration, Instant};

use reqwest::Method;
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::both_backends;
use crate::common::{read, spawn, spawn_with, Backend, Options, TestApp};

both_backends!(
    hostile_requests_get_clear_4xx_problems,
    text_with_control_characters_is_refused
);

fn nested(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

async fn send(app: &TestApp, method: Method, path: &str, body: Vec<u8>) -> crate::common::Resp {
    let req = app
        .client
        .request(method, app.url(path))
        .bearer_auth(&app.admin)
        .header("content-type", "application/json")
        .body(body);
    read(req.send().await.unwrap()).await
}

async fn hostile_requests_get_clear_4xx_problems(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let many_params: String = (0..5000).map(|i| format!("p{i}=1&")).collect();
    let same_param: String = (0..2000).map(|_| "limit=1&").collect();
    let long_cursor = "A".repeat(10_000);
    let endorse = |endorser: &str| {
        format!(r#"{{"endorser":"{endorser}","endorsee":"bob","topic":"t"}}"#).into_bytes()
    };
    let cases: Vec<(Method, String, Vec<u8>, u16, &str)> = vec![
        // Bodies.
        (
            Method::POST,
            "/v1/endorsements".into(),
            nested(100_000).into_bytes(),
            413,
            "payload_too_large",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            format!(
                r#"{{"endorser":"a","endorsee":"b","topic":"t","note":{}}}"#,
                nested(5_000)
            )
            .into_bytes(),
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/v1/classify".into(),
            format!(r#"{{"text":{}}}"#, nested(3_000)).into_bytes(),
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            br#"{"endorser":1e999,"endorsee":"b","topic":"t"}"#.to_vec(),
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            br#"{"endorser":"a","endorsee":"b","topic":"t","note":123456789012345678901234567890}"#
                .to_vec(),
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            b"{\"endorser\":\"a\xff\xfe\",\"endorsee\":\"b\",\"topic\":\"t\"}".to_vec(),
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            vec![0xff; 100],
            400,
            "invalid_json",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            vec![b'a'; 10 * 1024 * 1024],
            413,
            "payload_too_large",
        ),
        (
            Method::POST,
            "/v1/classify".into(),
            format!(r#"{{"text":"{}"}}"#, "a".repeat(10 * 1024 * 1024)).into_bytes(),
            413,
            "payload_too_large",
        ),
        // Handles: NUL, confusables, bidi overrides and full-width letters are refused, not
        // normalised (docs/RELIABILITY.md says why).
        (
            Method::POST,
            "/v1/endorsements".into(),
            endorse("a\\u0000b"),
            400,
            "invalid_handle",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            endorse("\u{430}lice"),
            400,
            "invalid_handle",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            endorse("ali\u{202e}ce"),
            400,
            "invalid_handle",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            endorse("\u{ff41}lice"),
            400,
            "invalid_handle",
        ),
        (
            Method::POST,
            "/v1/endorsements".into(),
            endorse("al\u{200b}ice"),
            400,
            "invalid_handle",
        ),
        (
            Method::GET,
            "/v1/users/\u{430}lice".into(),
            vec![],
            400,
            "invalid_handle",
        ),
        (
            Method::GET,
            format!("/v1/users/{}", "a".repeat(10_000)),
            vec![],
            400,
            "invalid_handle",
        ),
        // Queries.
        (
            Method::GET,
            format!("/v1/endorsements?{many_params}"),
            vec![],
            400,
            "invalid_query",
        ),
        (
            Method::GET,
            format!("/v1/endorsements?{same_param}"),
            vec![],
            400,
            "invalid_query",
        ),
        (
            Method::GET,
            "/v1/endorsements?limit=-1".into(),
            vec![],
            400,
            "invalid_limit",
        ),
        (
            Method::GET,
            "/v1/endorsements?limit=0".into(),
            vec![],
            400,
            "invalid_limit",
        ),
        (
            Method::GET,
            "/v1/endorsements?limit=501".into(),
            vec![],
            400,
            "invalid_limit",
        ),
        (
            Method::GET,
            "/v1/endorsements?limit=99999999999999999999".into(),
            vec![],
            400,
            "invalid_query",
        ),
        (
            Method::GET,
            "/v1/topics/t/leaderboard?limit=-5".into(),
            vec![],
            400,
            "invalid_limit",
        ),
        (
            Method::GET,
            "/v1/flags?limit=9223372036854775807".into(),
            vec![],
            400,
            "invalid_limit",
        ),
        (
            Method::GET,
            "/v1/ledger?after=-5".into(),
            vec![],
            400,
            "invalid_after",
        ),
        (
            Method::GET,
            "/v1/ledger?after=99999999999999999999".into(),
            vec![],
            400,
            "invalid_query",
        ),
        (
            Method::GET,
            "/v1/endorsements?since=2020-13-45".into(),
            vec![],
            400,
            "invalid_timestamp",
        ),
        // Forged cursors.
        (
            Method::GET,
            "/v1/endorsements?cursor=AAAA".into(),
            vec![],
            400,
            "invalid_cursor",
        ),
        (
            Method::GET,
            "/v1/endorsements?cursor=eyJpZCI6LTF9".into(),
            vec![],
            400,
            "invalid_cursor",
        ),
        (
            Method::GET,
            "/v1/endorsements?cursor=%00%FF".into(),
            vec![],
            400,
            "invalid_cursor",
        ),
        (
            Method::GET,
            format!("/v1/endorsements?cursor={long_cursor}"),
            vec![],
            400,
            "invalid_cursor",
        ),
        (
            Method::GET,
            "/v1/flags?cursor=AAAA".into(),
            vec![],
            400,
            "invalid_cursor",
        ),
        (
            Method::GET,
            "/v1/topics/t/leaderboard?cursor=AAAA".into(),
            vec![],
            400,
            "invalid_cursor",
        ),
        // Ids.
        (
            Method::GET,
            "/v1/endorsements/99999999999999999999".into(),
            vec![],
            400,
            "invalid_path",
        ),
        (
            Method::GET,
            "/v1/endorsements/-1".into(),
            vec![],
            404,
            "not_found",
        ),
        (
            Method::GET,
            "/v1/flags/9223372036854775807".into(),
            vec![],
            404,
            "not_found",
        ),
        // Lists.
        (
            Method::PUT,
            "/v1/topics/t/seeds".into(),
            json!({"seeds": (0..5000).map(|i| format!("s{i}")).collect::<Vec<_>>()})
                .to_string()
                .into_bytes(),
            400,
            "too_many_seeds",
        ),
        (
            Method::POST,
            "/v1/flags/review".into(),
            json!({"ids": (0..10_000).collect::<Vec<_>>(), "decision": "dismiss"})
                .to_string()
                .into_bytes(),
            400,
            "invalid_ids",
        ),
    ];
    let mut wrong = Vec::new();
    for (method, path, body, status, code) in cases {
        let short: String = path.chars().take(60).collect();
        let r = send(&app, method.clone(), &path, body).await;
        let problem = r.headers["content-type"] == "application/problem+json";
        if r.status != status || r.json["code"] != code || !problem {
            wrong.push(format!(
                "{method} {short}: {} {}",
                r.status,
                r.text.chars().take(200).collect::<String>()
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert_eq!(app.verify().await["ok"], true);
}

/// NUL and other control characters in free text are refused on both backends alike
/// (PostgreSQL cannot store NUL at all; before this, it answered 500 and SQLite stored it).
async fn text_with_control_characters_is_refused(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let cases = [
        (
            "/v1/endorsements",
            json!({"endorser": "a", "endorsee": "b", "topic": "t", "note": "a\u{0}b"}),
        ),
        (
            "/v1/endorsements",
            json!({"endorser": "a", "endorsee": "b", "topic": "t", "note": "red \u{1b}[31m"}),
        ),
        (
            "/v1/solicitations",
            json!({"requester": "a", "text": "please \u{0} +K me"}),
        ),
        (
            "/v1/flags/1/review",
            json!({"decision": "dismiss", "note": "ok\u{0}"}),
        ),
        (
            "/v1/flags/review",
            json!({"ids": [1], "decision": "dismiss", "note": "ok\u{7}"}),
        ),
    ];
    for (path, body) in cases {
        app.post(path, &app.admin, &body)
            .await
            .assert_problem(400, "invalid_text");
    }
    let fine =
        json!({"endorser": "a", "endorsee": "b", "topic": "t", "note": "two\tlines\r\nok ✓"});
    let r = app.post("/v1/endorsements", &app.admin, &fine).await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(r.json["note"], "two\tlines\r\nok ✓");
}

/// A client that sends its body slowly is answered 408 once the body deadline passes, whether
/// it stalls or drips.
#[tokio::test]
async fn slow_bodies_time_out_with_408() {
    let opts = Options {
        body_timeout: Duration::from_secs(1),
        ..Options::default()
    };
    let app = spawn_with(Backend::Sqlite, opts).await.unwrap();
    for drip in [false, true] {
        let started = Instant::now();
        let mut s = TcpStream::connect(app.base.trim_start_matches("http://"))
            .await
            .unwrap();
        let head = format!(
            "POST /v1/classify HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\
             Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{{\"te",
            app.admin
        );
        s.write_all(head.as_bytes()).await.unwrap();
        if drip {
            // Steady progress does not extend the deadline.
            for _ in 0..8 {
                tokio::time::sleep(Duration::from_millis(250)).await;
                if s.write_all(b" ").await.is_err() {
                    break;
                }
            }
        }
        let mut answer = vec![0; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), s.read(&mut answer))
            .await
            .expect("an answer, not a hang")
            .unwrap();
        let text = String::from_utf8_lossy(&answer[..n]);
        assert!(text.starts_with("HTTP/1.1 408"), "drip {drip}: {text}");
        assert!(
            text.contains("application/problem+json") && text.contains("request_timeout"),
            "{text}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "drip {drip}: {:?}",
            started.elapsed()
        );
    }
    // The server still serves others.
    assert_eq!(app.get("/v1/topics", &app.admin).await.status, 200);
}
