//! The writer keeps the rules' state in memory: several instances on one database stay exact
//! (each catches up with the others' ledger entries under the write lock), and a server killed
//! under load rebuilds its state from the database and still holds every rule.

use futures::future::join_all;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{
    plusk, read, spawn_instance, spawn_with, Backend, Options, Resp, Served, TestDb,
};

both_backends!(
    three_instances_on_one_database_stay_exact,
    a_killed_server_restarts_with_every_rule_intact,
    two_instances_share_recomputes_through_claims,
    a_global_quota_holds_across_instances
);

const CLIENTS: usize = 64;

/// Posts every endorsement at once, the i-th to `bases[i % len]`. A request the server never
/// answered (it was killed) reads as status 0.
async fn post_spread(
    client: &reqwest::Client,
    bases: &[String],
    key: &str,
    bodies: Vec<(Value, Option<&str>)>,
) -> Vec<Resp> {
    join_all(bodies.into_iter().enumerate().map(|(i, (body, idem))| {
        let url = format!("{}/v1/endorsements", bases[i % bases.len()]);
        let mut req = client.post(url).bearer_auth(key).json(&body);
        if let Some(k) = idem {
            req = req.header("Idempotency-Key", k);
        }
        async move {
            let Ok(res) = req.send().await else {
                return unanswered();
            };
            let status = res.status().as_u16();
            let headers = res.headers().clone();
            match res.text().await {
                Ok(text) => Resp {
                    status,
                    headers,
                    json: serde_json::from_str(&text).unwrap_or(Value::Null),
                    text,
                },
                Err(_) => unanswered(),
            }
        }
    }))
    .await
}

fn unanswered() -> Resp {
    Resp {
        status: 0,
        headers: Default::default(),
        text: String::new(),
        json: Value::Null,
    }
}

fn count(rs: &[Resp], status: u16) -> usize {
    rs.iter().filter(|r| r.status == status).count()
}

async fn three_instances_on_one_database_stay_exact(b: Backend) {
    let opts = Options::default();
    let Some(app) = spawn_with(b, opts.clone()).await else {
        return;
    };
    let bases = [
        app.base.clone(),
        spawn_instance(&app.db, opts.clone()).0,
        spawn_instance(&app.db, opts).0,
    ];
    let client = &app.client;

    // One endorser's budget of 5, spent from three instances at once.
    let spend = (0..CLIENTS)
        .map(|i| {
            (
                json!({"endorser": "spender", "endorsee": format!("e{i}"), "topic": "t"}),
                None,
            )
        })
        .collect();
    let rs = post_spread(client, &bases, &app.app_key, spend).await;
    assert_eq!(count(&rs, 201), 5, "exactly the budget");
    assert_eq!(count(&rs, 429), CLIENTS - 5);

    // One triple sent 30 times at once.
    let triple = (0..30)
        .map(|_| {
            (
                json!({"endorser": "ann", "endorsee": "bob", "topic": "t"}),
                None,
            )
        })
        .collect();
    let rs = post_spread(client, &bases, &app.app_key, triple).await;
    assert_eq!(count(&rs, 201), 1, "exactly one");
    assert_eq!(count(&rs, 409), 29);

    // One Idempotency-Key sent to all three, many times.
    let body = json!({"endorser": "cat", "endorsee": "dan", "topic": "t"});
    let idem = (0..CLIENTS).map(|_| (body.clone(), Some("once"))).collect();
    let rs = post_spread(client, &bases, &app.app_key, idem).await;
    assert_eq!(count(&rs, 201), CLIENTS, "every retry answers the original");
    let ids: std::collections::BTreeSet<i64> =
        rs.iter().map(|r| r.json["id"].as_i64().unwrap()).collect();
    assert_eq!(ids.len(), 1, "one id: {ids:?}");

    // 1,500 distinct endorsements, 64 in flight at a time, spread over the three.
    for chunk in (0..1500).collect::<Vec<_>>().chunks(CLIENTS) {
        let bodies = chunk
            .iter()
            .map(|i| {
                let body = json!({"endorser": format!("fan{i}"), "endorsee": format!("star{}", i % 7), "topic": "crowd"});
                (body, None)
            })
            .collect();
        let rs = post_spread(client, &bases, &app.app_key, bodies).await;
        assert_eq!(
            count(&rs, 201),
            chunk.len(),
            "{:?}",
            rs.iter().find(|r| r.status != 201)
        );
    }
    let mut listed = 0;
    let mut path = "/v1/endorsements?topic=crowd&limit=100".to_string();
    loop {
        let page = app.get(&path, &app.admin).await;
        listed += page.json["items"].as_array().unwrap().len();
        match page.json["next_cursor"].as_str() {
            Some(c) => path = format!("/v1/endorsements?topic=crowd&limit=100&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(listed, 1500, "all listed");
    assert_eq!(app.verify().await["ok"], true);
}

async fn a_killed_server_restarts_with_every_rule_intact(b: Backend) {
    let Some(db) = TestDb::new(b) else { return };
    let key =
        crate::common::create_key(&mut db.conn(), "crash-app", plusk::domain::keys::Role::App);
    let env = [("PLUSK_DAILY_BUDGET", "5")];
    let mut first = Served::start_with(&db, "info", &env);
    let client = reqwest::Client::new();
    let bases = [first.base()];

    let before = vec![
        (
            json!({"endorser": "ann", "endorsee": "bob", "topic": "t"}),
            Some("k-ann-bob"),
        ),
        (
            json!({"endorser": "spender", "endorsee": "x1", "topic": "t"}),
            None,
        ),
        (
            json!({"endorser": "spender", "endorsee": "x2", "topic": "t"}),
            None,
        ),
        (
            json!({"endorser": "spender", "endorsee": "x3", "topic": "t"}),
            None,
        ),
        (
            json!({"endorser": "spender", "endorsee": "x4", "topic": "t"}),
            None,
        ),
        (
            json!({"endorser": "spender", "endorsee": "x5", "topic": "t"}),
            None,
        ),
    ];
    let rs = post_spread(&client, &bases, &key, before).await;
    assert_eq!(count(&rs, 201), 6, "{rs:?}");

    // Load in flight when the server dies: whatever it acknowledged must survive.
    let load = (0..400)
        .map(|i| {
            (
                json!({"endorser": format!("load{i}"), "endorsee": "star", "topic": "t"}),
                None,
            )
        })
        .collect();
    let in_flight = post_spread(&client, &bases, &key, load);
    let killer = async {
        tokio::time::sleep(std::time::Duration::from_millis(150)).await;
        first.kill();
    };
    let (rs, ()) = tokio::join!(in_flight, killer);
    let load0_acknowledged = rs[0].status == 201;
    let acknowledged: Vec<i64> = rs
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.json["id"].as_i64().unwrap())
        .collect();

    let second = Served::start_with(&db, "info", &env);
    let bases = [second.base()];
    let again = |endorser: &str, endorsee: &str, idem: Option<&'static str>| {
        (
            json!({"endorser": endorser, "endorsee": endorsee, "topic": "t"}),
            idem,
        )
    };
    let rs = post_spread(
        &client,
        &bases,
        &key,
        vec![
            again("spender", "x6", None),
            again("ann", "bob", None),
            again("ann", "bob", Some("k-ann-bob")),
            again("load0", "star", None),
        ],
    )
    .await;
    rs[0].assert_problem(429, "daily_budget_exhausted");
    rs[1].assert_problem(409, "duplicate_endorsement");
    assert_eq!(rs[2].status, 201, "the idempotent retry replays");
    assert_eq!(rs[2].header("idempotent-replayed"), Some("true"));
    if load0_acknowledged {
        rs[3].assert_problem(409, "duplicate_endorsement");
    } else {
        // Not answered before the kill: committed or not, either answer is right.
        assert!([201, 409].contains(&rs[3].status), "{:?}", rs[3]);
    }
    for id in &acknowledged {
        let r = read(
            client
                .get(format!("{}/v1/endorsements/{id}", second.base()))
                .bearer_auth(&key)
                .send()
                .await
                .unwrap(),
        )
        .await;
        assert_eq!(
            r.status, 200,
            "acknowledged endorsement {id} survived the kill"
        );
    }
    let verify = read(
        client
            .get(format!("{}/v1/ledger/verify", second.base()))
            .bearer_auth(&key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(verify.json["ok"], true, "{verify:?}");
}

/// Issue 17: recomputes are claimed per topic in the database. Two instances asked to recompute
/// everything at the same moment compute each topic once between them; a topic claimed by an
/// instance that died is left alone until its claim expires, then computed.
async fn two_instances_share_recomputes_through_claims(b: Backend) {
    // No scheduled recompute: only the ones the test asks for.
    let quiet = plusk::service::reputation::worker::Schedule {
        debounce: std::time::Duration::from_secs(3600),
        max_delay: std::time::Duration::from_secs(3600),
        every: std::time::Duration::from_secs(3600),
        ..Default::default()
    };
    let opts = Options {
        reputation: quiet,
        daily_budget: None,
        ..Default::default()
    };
    let Some(app) = spawn_with(b, opts.clone()).await else {
        return;
    };
    let (other, _) = spawn_instance(&app.db, opts);
    // More than the recompute reads one query each: the rest take the one pass, filtered.
    const TOPICS: i64 = 80;
    for t in 0..TOPICS {
        let r = app.endorse("ann", "bob", &format!("topic-{t}")).await;
        assert_eq!(r.status, 201, "{}", r.text);
    }
    let recompute = |base: String| {
        let req = app
            .client
            .post(format!("{base}/v1/reputation/recompute"))
            .bearer_auth(&app.admin)
            .json(&json!({}));
        async move { read(req.send().await.unwrap()).await }
    };
    let (a, b2) = tokio::join!(recompute(app.base.clone()), recompute(other.clone()));
    assert_eq!((a.status, b2.status), (200, 200), "{} {}", a.text, b2.text);
    let done = |r: &Resp| r.json["topics"].as_i64().unwrap();
    let held = |r: &Resp| r.json["held_elsewhere"].as_i64().unwrap();
    assert_eq!(
        done(&a) + done(&b2),
        TOPICS,
        "each topic once: {} / {}",
        a.text,
        b2.text
    );
    assert_eq!(done(&a) + held(&a), TOPICS, "{}", a.text);
    assert_eq!(done(&b2) + held(&b2), TOPICS, "{}", b2.text);
    assert_eq!(app.count("reputation_runs"), TOPICS, "one run per topic");

    // Whichever instance computed a topic keeps it for two seconds (so one starting the same
    // work a moment later leaves it); past that, the other may claim it.
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    // An instance that died while holding topic-0.
    app.db.exec(
        "UPDATE recompute_claims SET claimed_by = 'gone', until_micros = 9000000000000000 \
         WHERE topic_id = (SELECT id FROM topics WHERE slug = 'topic-0')",
    );
    let r = recompute(app.base.clone()).await;
    assert_eq!((done(&r), held(&r)), (TOPICS - 1, 1), "{}", r.text);
    app.db
        .exec("UPDATE recompute_claims SET until_micros = 0 WHERE claimed_by = 'gone'");
    let r = recompute(app.base.clone()).await;
    assert_eq!((done(&r), held(&r)), (TOPICS, 0), "expired: {}", r.text);
}

/// Reads a listing with `key` from `base`.
async fn list_topics(client: &reqwest::Client, base: &str, key: &str) -> Resp {
    read(
        client
            .get(format!("{base}/v1/topics"))
            .bearer_auth(key)
            .send()
            .await
            .expect("GET /v1/topics"),
    )
    .await
}

async fn a_global_quota_holds_across_instances(b: Backend) {
    let Some(app) = spawn_with(b, Options::default()).await else {
        return;
    };
    let bases = [
        app.base.clone(),
        spawn_instance(&app.db, Options::default()).0,
    ];
    let set = app
        .patch(
            "/v1/keys/test-app",
            &app.admin,
            &json!({"global_per_minute": 10}),
        )
        .await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.json["global_per_minute"], 10);
    app.patch(
        "/v1/keys/test-app",
        &app.admin,
        &json!({"global_per_minute": 0}),
    )
    .await
    .assert_problem(400, "invalid_rate");

    // Fourteen requests, alternating between the instances: ten in all pass, not ten each.
    let mut answers = Vec::new();
    for i in 0..14 {
        answers.push(list_topics(&app.client, &bases[i % 2], &app.app_key).await);
    }
    assert_eq!(
        count(&answers, 200),
        10,
        "{:?}",
        answers.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let refused: Vec<&Resp> = answers.iter().filter(|r| r.status != 200).collect();
    assert_eq!(refused.len(), 4);
    for r in refused {
        r.assert_problem(429, "global_quota_exhausted");
        let wait: u64 = r
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        // At most a minute for the current minute to end, then 6 s more for a tenth of the
        // carried count to fade (10 requests made at the very start of a minute wait 66 s).
        assert!((1..=66).contains(&wait), "{wait}");
    }
    // Only that key is held: the admin's requests go on, on both instances.
    for base in &bases {
        assert_eq!(list_topics(&app.client, base, &app.admin).await.status, 200);
    }

    // `null` removes the quota; the other instance learns it within its key cache's second.
    let cleared = app
        .patch(
            "/v1/keys/test-app",
            &app.admin,
            &json!({"global_per_minute": null}),
        )
        .await;
    assert_eq!(
        cleared.json["global_per_minute"],
        Value::Null,
        "{}",
        cleared.text
    );
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    for base in &bases {
        assert_eq!(
            list_topics(&app.client, base, &app.app_key).await.status,
            200
        );
    }
    // The ledger recorded both changes, and the key rows still match their digests.
    let verified = plusk(&app.db, &["ledger", "verify"]);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stdout)
    );
}
