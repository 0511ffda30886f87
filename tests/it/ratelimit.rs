//! Request rate limits: per key, per client IP without a key, per-key quotas, proxies, memory.

use std::time::Duration;

use futures::future::join_all;
use plusk::domain::keys::Rate;
use plusk::http::RateSettings;
use serde_json::json;

use crate::both_backends;
use crate::common::{read, spawn_with, Backend, Options, Resp, TestApp};

both_backends!(
    writes_and_reads_have_their_own_quotas,
    requests_without_a_valid_key_are_limited_by_ip,
    a_flood_of_random_keys_is_refused_before_any_lookup,
    admin_gives_a_key_its_own_quota,
    forwarded_for_is_believed_only_from_trusted_proxies,
    an_ipv6_client_is_limited_by_its_64,
);

fn limited(write: (u32, u32), read: (u32, u32)) -> Options {
    Options {
        rate: RateSettings {
            write: Rate {
                per_sec: write.0,
                burst: write.1,
            },
            read: Rate {
                per_sec: read.0,
                burst: read.1,
            },
        },
        daily_budget: None,
        ..Options::default()
    }
}

fn header(r: &Resp, name: &str) -> Option<u64> {
    r.header(name).and_then(|v| v.parse().ok())
}

async fn writes_and_reads_have_their_own_quotas(b: Backend) {
    let Some(app) = spawn_with(b, limited((1, 3), (100, 5))).await else {
        return;
    };
    for remaining in [2, 1, 0] {
        let r = app.endorse("alice", &format!("u{remaining}"), "t").await;
        assert_eq!(r.status, 201, "{}", r.text);
        assert_eq!(header(&r, "ratelimit-limit"), Some(3));
        assert_eq!(header(&r, "ratelimit-remaining"), Some(remaining));
        assert!(header(&r, "ratelimit-reset").is_some_and(|s| (1..=3).contains(&s)));
    }
    let denied = app.endorse("alice", "u9", "t").await;
    denied.assert_problem(429, "rate_limited");
    assert!(header(&denied, "retry-after").is_some_and(|s| s >= 1));
    assert_eq!(header(&denied, "ratelimit-remaining"), Some(0));
    assert_eq!(
        app.count("endorsements"),
        3,
        "a limited request does nothing"
    );

    let r = app.get("/v1/endorsements", &app.app_key).await;
    assert_eq!(
        (r.status, header(&r, "ratelimit-limit")),
        (200, Some(5)),
        "reads draw on their own bucket"
    );
    let missing = app.get("/v1/endorsements/999", &app.app_key).await;
    missing.assert_problem(404, "not_found");
    assert!(
        header(&missing, "ratelimit-remaining").is_some(),
        "errors carry the headers too"
    );
    let admin = app
        .post(
            "/v1/endorsements",
            &app.admin,
            &json!({"endorser": "x", "endorsee": "y", "topic": "t"}),
        )
        .await;
    assert_eq!(admin.status, 201, "another key has its own bucket");
}

async fn requests_without_a_valid_key_are_limited_by_ip(b: Backend) {
    let Some(app) = spawn_with(b, limited((100, 100), (1, 3))).await else {
        return;
    };
    for _ in 0..3 {
        let r = read(
            app.client
                .get(app.url("/v1/endorsements"))
                .send()
                .await
                .unwrap(),
        )
        .await;
        r.assert_problem(401, "unauthorized");
        assert_eq!(header(&r, "ratelimit-limit"), Some(3));
    }
    app.get("/v1/endorsements", "plusk_guess")
        .await
        .assert_problem(429, "rate_limited");
    let with_key = app.get("/v1/endorsements", &app.app_key).await;
    assert_eq!(
        with_key.status, 200,
        "a valid key is limited as itself, not by IP"
    );
}

/// Issue 18, item 7: every request with a key the cache does not know cost a database lookup,
/// even from a client far past its limit. Now such lookups draw from the address's lookup
/// bucket first (4 × the larger quota: here 8 at once, 4 a second).
async fn a_flood_of_random_keys_is_refused_before_any_lookup(b: Backend) {
    let Some(app) = spawn_with(b, limited((1, 2), (1, 2))).await else {
        return;
    };
    let r = app.get("/v1/endorsements", &app.app_key).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let mut statuses = Vec::new();
    for i in 0..12 {
        let r = app
            .get("/v1/endorsements", &format!("plusk_random{i}"))
            .await;
        statuses.push(r.status);
        if i >= 9 {
            r.assert_problem(429, "rate_limited");
            assert!(header(&r, "retry-after").is_some_and(|s| s >= 1));
        }
    }
    assert_eq!(&statuses[..2], [401, 401], "{statuses:?}");
    // Proof that no lookup was made: a live key the cache has not seen is refused too. That is
    // the price: a client past its lookup bucket waits for it like anyone else.
    app.get("/v1/endorsements", &app.admin)
        .await
        .assert_problem(429, "rate_limited");
    // A key already cached costs no lookup and is served as itself.
    let r = app.get("/v1/endorsements", &app.app_key).await;
    assert_eq!(r.status, 200, "a cached key is not held up: {}", r.text);
}

async fn admin_gives_a_key_its_own_quota(b: Backend) {
    let Some(app) = spawn_with(b, limited((1, 2), (100, 100))).await else {
        return;
    };
    plusk::service::keys::set_rate(&mut app.db.conn(), "test-admin", Some(Rate::UNLIMITED))
        .unwrap();
    let patch = |body: serde_json::Value, key: String| {
        let req = app
            .client
            .patch(app.url("/v1/keys/test-app"))
            .bearer_auth(key)
            .json(&body);
        async move { read(req.send().await.unwrap()).await }
    };
    let r = patch(json!({"rate_per_sec": 0}), app.admin.clone()).await;
    assert_eq!(r.status, 200, "{}", r.text);
    assert_eq!(r.json["rate"], json!({"per_sec": 0, "burst": 0}));
    for i in 0..25 {
        let r = app.endorse(&format!("g{i}"), "bob", "t").await;
        assert_eq!(r.status, 201, "unlimited: {}", r.text);
        assert_eq!(
            r.header("ratelimit-limit"),
            None,
            "no quota applies, so none is announced"
        );
    }
    let r = patch(json!({"rate_per_sec": 1, "burst": 4}), app.admin.clone()).await;
    assert_eq!(
        r.json["rate"],
        json!({"per_sec": 1, "burst": 4}),
        "{}",
        r.text
    );
    let endorsees: Vec<String> = (0..6).map(|i| format!("v{i}")).collect();
    let responses = join_all(endorsees.iter().map(|e| app.endorse("h", e, "t"))).await;
    let statuses: Vec<u16> = responses.iter().map(|r| r.status).collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        4,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 429).count(),
        2,
        "{statuses:?}"
    );

    let r = patch(json!({"rate_per_sec": null}), app.admin.clone()).await;
    assert_eq!(
        (r.status, &r.json["rate"]),
        (200, &serde_json::Value::Null),
        "{}",
        r.text
    );
    assert_eq!(
        header(&app.endorse("k", "w", "t").await, "ratelimit-limit"),
        Some(2),
        "back to the defaults"
    );

    patch(json!({"rate_per_sec": -1}), app.admin.clone())
        .await
        .assert_problem(400, "invalid_json");
    patch(json!({"rate_per_sec": 5, "colour": 1}), app.admin.clone())
        .await
        .assert_problem(400, "invalid_json");
    patch(json!({"rate_per_sec": 2_000_000}), app.admin.clone())
        .await
        .assert_problem(400, "invalid_rate");
    patch(json!({"rate_per_sec": 5}), app.app_key.clone())
        .await
        .assert_problem(403, "forbidden");
    let unknown = app
        .client
        .patch(app.url("/v1/keys/nobody"))
        .bearer_auth(&app.admin)
        .json(&json!({"rate_per_sec": 5}))
        .send();
    read(unknown.await.unwrap())
        .await
        .assert_problem(404, "not_found");
}

/// A GET without a key, as if relayed by a proxy for `forwarded`.
async fn anonymous_via(app: &TestApp, forwarded: &str) -> Resp {
    let req = app
        .client
        .get(app.url("/v1/topics"))
        .header("x-forwarded-for", forwarded);
    read(req.send().await.unwrap()).await
}

async fn forwarded_for_is_believed_only_from_trusted_proxies(b: Backend) {
    // One read a second after a burst of two: the third request is refused however slowly the
    // machine serves the first two (at 100 a second, a 10 ms pause refilled the bucket).
    let trusting = Options {
        trusted_proxies: "127.0.0.1".parse().unwrap(),
        ..limited((100, 100), (1, 2))
    };
    let Some(app) = spawn_with(b, trusting).await else {
        return;
    };
    assert_eq!(anonymous_via(&app, "198.51.100.1").await.status, 401);
    assert_eq!(anonymous_via(&app, "198.51.100.1").await.status, 401);
    anonymous_via(&app, "198.51.100.1")
        .await
        .assert_problem(429, "rate_limited");
    // The client can prepend anything; only the right-most untrusted hop counts.
    anonymous_via(&app, "203.0.113.5, 198.51.100.1")
        .await
        .assert_problem(429, "rate_limited");
    assert_eq!(
        anonymous_via(&app, "198.51.100.2").await.status,
        401,
        "another client, another bucket"
    );

    let Some(direct) = spawn_with(b, limited((100, 100), (1, 2))).await else {
        return;
    };
    assert_eq!(anonymous_via(&direct, "198.51.100.1").await.status, 401);
    assert_eq!(anonymous_via(&direct, "198.51.100.2").await.status, 401);
    anonymous_via(&direct, "198.51.100.3")
        .await
        .assert_problem(429, "rate_limited");
}

/// A client that draws a fresh IPv6 address from its /64 for every request still draws from
/// one bucket; another /64 is another client.
async fn an_ipv6_client_is_limited_by_its_64(b: Backend) {
    let trusting = Options {
        trusted_proxies: "127.0.0.1".parse().unwrap(),
        ..limited((100, 100), (1, 2))
    };
    let Some(app) = spawn_with(b, trusting).await else {
        return;
    };
    assert_eq!(anonymous_via(&app, "2001:db8::1").await.status, 401);
    assert_eq!(anonymous_via(&app, "2001:db8::2").await.status, 401);
    anonymous_via(&app, "2001:db8::ffff:1234")
        .await
        .assert_problem(429, "rate_limited");
    assert_eq!(
        anonymous_via(&app, "2001:db8:0:1::1").await.status,
        401,
        "another /64, another client"
    );
}

/// 100,000 distinct clients (through a trusted proxy) fill the limiter; the sweeper empties it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn limiter_memory_falls_back_after_100k_clients() {
    let opts = Options {
        trusted_proxies: "127.0.0.1".parse().unwrap(),
        sweep_every: Duration::from_millis(500),
        ..limited((1000, 1000), (1000, 1000))
    };
    let app = spawn_with(Backend::Sqlite, opts).await.unwrap();
    const CLIENTS: u32 = 100_000;
    let mut peak = 0;
    for chunk in (0..CLIENTS).collect::<Vec<_>>().chunks(2000) {
        let sent = join_all(chunk.iter().map(|i| {
            let ip = std::net::Ipv4Addr::from(0x0a00_0000 + 0x0100_0000 + i);
            let req = app
                .client
                .get(app.url("/v1/topics"))
                .header("x-forwarded-for", ip.to_string());
            async move {
                // A pooled connection the server closed as idle (seen on a loaded machine:
                // `IncompleteMessage`) says nothing of the limiter: send the GET again, once.
                match req.try_clone().unwrap().send().await {
                    Err(e) if e.is_request() => req.send().await.map(|r| r.status().as_u16()),
                    other => other.map(|r| r.status().as_u16()),
                }
            }
        }))
        .await;
        assert!(
            sent.iter().all(|s| matches!(s, Ok(401))),
            "{:?}",
            sent.iter().find(|s| !matches!(s, Ok(401)))
        );
        peak = peak.max(app.limiters.len());
    }
    assert!(
        peak >= 2000,
        "the limiter held the clients of at least one chunk: peak {peak}"
    );
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !app.limiters.is_empty() {
        assert!(
            std::time::Instant::now() < deadline,
            "still {} buckets after 10 s",
            app.limiters.len()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
