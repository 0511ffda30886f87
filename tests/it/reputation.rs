//! Reputation: the seven properties of the score on constructed graphs, the analyst API, and the
//! background recompute, all through the HTTP stack on both backends.

use std::collections::HashMap;
use std::time::Duration;

use diesel::prelude::*;
use diesel::sql_types::{Double, Integer, Text};
use plusk::db::DbConn;
use plusk::domain::keys::Role;
use plusk::domain::reputation::Params;
use plusk::service::reputation::worker::{Memory, Schedule};
use plusk::service::reputation::Scope;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{create_key, read, spawn_instance, spawn_with, Backend, Options, TestApp};

both_backends!(
    merit_counts,
    topics_do_not_leak,
    endorsing_many_dilutes_each,
    begging_does_not_pay,
    seeded_topics_resist_sybil_rings,
    unseeded_ring_gain_is_bounded,
    analyst_api_answers_and_guards,
    writes_trigger_a_background_recompute,
    csv_cells_are_not_formulas,
    explanations_come_in_pages_largest_first,
    a_heavy_users_explanation_follows_changes_from_any_instance,
    old_snapshots_are_pruned_by_the_worker,
    scores_spread_over_many_parts_read_back_whole,
    a_topic_kept_in_memory_follows_every_change,
    a_server_started_after_a_pass_keeps_what_it_left_out,
    a_scheduled_pass_over_many_topics_keeps_the_large_ones,
    a_user_in_hundreds_of_topics_reads_every_one,
);

#[derive(QueryableByName)]
struct ViewRow {
    #[diesel(sql_type = Text)]
    handle: String,
    #[diesel(sql_type = Integer)]
    rank: i32,
    #[diesel(sql_type = Double)]
    score: f64,
}

/// `current_scores` for one topic, as an analyst's SQL client would read it.
fn current_scores_view(conn: DbConn, topic: &str) -> Vec<(String, i32, f64)> {
    let q = diesel::sql_query(
        "SELECT handle, rank, score FROM current_scores WHERE topic = $1 ORDER BY rank, handle",
    );
    let rows: Vec<ViewRow> = match conn {
        DbConn::Sqlite(mut c) => q.bind::<Text, _>(topic).load(&mut c),
        DbConn::Pg(mut c) => q.bind::<Text, _>(topic).load(&mut c),
    }
    .expect("query current_scores");
    rows.into_iter()
        .map(|r| (r.handle, r.rank, r.score))
        .collect()
}

/// No budget, no background surprises: the test says when to recompute.
pub fn quiet(params: Params) -> Options {
    let hour = Duration::from_secs(3600);
    Options {
        daily_budget: None,
        reputation: Schedule {
            params,
            debounce: hour,
            max_delay: hour,
            every: hour,
            keep_snapshots: None,
            ..Schedule::default()
        },
        ..Options::default()
    }
}

pub async fn app_with(b: Backend, params: Params) -> Option<TestApp> {
    spawn_with(b, quiet(params)).await
}

pub async fn endorse_all(app: &TestApp, topic: &str, edges: &[(&str, &str)]) {
    for (a, b) in edges {
        let r = app.endorse(a, b, topic).await;
        assert_eq!(r.status, 201, "{a} → {b}: {}", r.text);
    }
}

pub async fn recompute(app: &TestApp) -> Value {
    let r = app
        .post("/v1/reputation/recompute", &app.admin, &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// Raw scores of every user in a topic, from its leaderboard.
pub async fn raw(app: &TestApp, topic: &str) -> HashMap<String, f64> {
    let r = app
        .get(
            &format!("/v1/topics/{topic}/leaderboard?limit=1000"),
            &app.admin,
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["user"].as_str().unwrap().to_string(),
                i["raw"].as_f64().unwrap(),
            )
        })
        .collect()
}

/// Two fresh users endorse each of `users`, so they all start with the same merit.
fn fans<'a>(users: &[&'a str], prefix: &str) -> Vec<(String, &'a str)> {
    users
        .iter()
        .flat_map(|u| (0..2).map(move |i| (format!("{prefix}{i}-{u}"), *u)))
        .collect()
}

async fn endorse_owned(app: &TestApp, topic: &str, edges: &[(String, &str)]) {
    let borrowed: Vec<(&str, &str)> = edges.iter().map(|(a, b)| (a.as_str(), *b)).collect();
    endorse_all(app, topic, &borrowed).await;
}

/// 1. A +K from a user with merit raises the endorsee more than one from a user without.
async fn merit_counts(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    let fans: Vec<(String, &str)> = (0..8).map(|i| (format!("fan{i}"), "star")).collect();
    endorse_owned(&app, "writing", &fans).await;
    endorse_all(&app, "writing", &[("star", "ann"), ("nobody", "ben")]).await;
    recompute(&app).await;
    let s = raw(&app, "writing").await;
    assert!(s["star"] > s["nobody"] * 3.0, "{s:?}");
    assert!(
        s["ann"] > s["ben"] * 1.5,
        "star's +K outweighs nobody's: {s:?}"
    );
}

/// 2. An expert in one topic counts no more than a newcomer in another.
async fn topics_do_not_leak(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    let fans: Vec<(String, &str)> = (0..8).map(|i| (format!("fan{i}"), "guru")).collect();
    endorse_owned(&app, "social-media", &fans).await;
    endorse_all(&app, "fashion", &[("guru", "ann"), ("newbie", "ben")]).await;
    recompute(&app).await;
    let f = raw(&app, "fashion").await;
    assert!((f["ann"] - f["ben"]).abs() < 1e-12, "{f:?}");
    assert!((f["guru"] - f["newbie"]).abs() < 1e-12, "{f:?}");
    let r = app.get("/v1/users/guru/reputation", &app.admin).await;
    let topics: Vec<&str> = r.json["topics"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["topic"].as_str().unwrap())
        .collect();
    assert_eq!(topics, vec!["fashion", "social-media"]);
    assert!(r.json["topics"][1]["score"].as_f64() > r.json["topics"][0]["score"].as_f64());
}

/// 3. Endorsing ten people gives each of them less than endorsing one.
async fn endorsing_many_dilutes_each(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    endorse_owned(&app, "writing", &fans(&["picky", "generous"], "f")).await;
    endorse_all(&app, "writing", &[("picky", "one")]).await;
    let ten: Vec<String> = (0..10).map(|i| format!("many{i}")).collect();
    for t in &ten {
        endorse_all(&app, "writing", &[("generous", t.as_str())]).await;
    }
    recompute(&app).await;
    let s = raw(&app, "writing").await;
    assert!(
        (s["picky"] - s["generous"]).abs() < 1e-12,
        "equal merit: {s:?}"
    );
    for t in &ten {
        assert!(s["one"] > s[t.as_str()], "{t}: {s:?}");
    }
}

/// 4. A begged +K counts at most 25% while flagged, and nothing once upheld.
async fn begging_does_not_pay(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    endorse_owned(&app, "writing", &fans(&["eve", "ed"], "f")).await;
    let ask = json!({"requester": "beggar", "target": "eve", "topic": "writing", "text": "please +K me on writing, I need it!"});
    assert_eq!(
        app.post("/v1/solicitations", &app.app_key, &ask)
            .await
            .status,
        201
    );
    let begged = app.endorse("eve", "beggar", "writing").await;
    assert_eq!(begged.json["status"], "flagged", "{}", begged.text);
    endorse_all(&app, "writing", &[("ed", "honest")]).await;
    recompute(&app).await;

    let explain = |who: &'static str| {
        let app = &app;
        async move {
            let r = app
                .get(
                    &format!("/v1/users/{who}/reputation/writing/explain"),
                    &app.admin,
                )
                .await;
            assert_eq!(r.status, 200, "{}", r.text);
            r.json
        }
    };
    let honest = explain("honest").await;
    let beggar = explain("beggar").await;
    let full = honest["counted"][0]["contribution"].as_f64().unwrap();
    let held = &beggar["discounted"][0];
    assert_eq!(beggar["counted"].as_array().unwrap().len(), 0, "{beggar}");
    assert_eq!(held["flag_reasons"], json!(["solicited"]), "{beggar}");
    let part = held["contribution"].as_f64().unwrap();
    assert!(
        part > 0.0 && part <= 0.25 * full + 1e-15,
        "{part} vs {full}"
    );
    assert!(beggar["raw"].as_f64() < honest["raw"].as_f64());
    // Explanations add up: baseline plus contributions is the raw score.
    let sum = honest["baseline"].as_f64().unwrap() + full;
    assert!(
        (sum - honest["raw"].as_f64().unwrap()).abs() < 1e-12,
        "{honest}"
    );

    let moderator = create_key(&mut app.db.conn(), "mod", Role::Moderator);
    let flags = app.get("/v1/flags", &moderator).await;
    let id = flags.json["items"][0]["id"].as_i64().unwrap();
    let r = app
        .post(
            &format!("/v1/flags/{id}/review"),
            &moderator,
            &json!({"decision": "uphold"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    recompute(&app).await;
    let voided = explain("beggar").await;
    assert_eq!(voided["discounted"][0]["contribution"], 0.0, "{voided}");
    assert_eq!(voided["raw"], voided["baseline"], "{voided}");
    assert_eq!(voided["discounted"][0]["status"], "voided");
    // The run counts the voided endorsement among the discounted, read in its pass over the graph.
    let standing = app.get("/v1/users/beggar/reputation", &app.admin).await;
    assert_eq!(
        standing.json["topics"][0]["discounted"], 1,
        "{}",
        standing.text
    );
}

/// An honest community: 24 users, each endorsing the next three, the first three endorsed by
/// everyone in the second half.
fn community() -> Vec<(String, String)> {
    let n = 24;
    let mut edges = Vec::new();
    for i in 0..n {
        for k in 1..=3 {
            edges.push((format!("h{i}"), format!("h{}", (i + k) % n)));
        }
    }
    for i in n / 2..n {
        for s in 0..3 {
            if (i + 1) % n != s && (i + 2) % n != s && (i + 3) % n != s {
                edges.push((format!("h{i}"), format!("h{s}")));
            }
        }
    }
    edges
}

/// 20 fresh accounts, each endorsing the next two (a ring with chords), none endorsed by anyone else.
fn sybil_ring() -> Vec<(String, String)> {
    (0..20)
        .flat_map(|i| [1, 2].map(|k| (format!("sybil{i}"), format!("sybil{}", (i + k) % 20))))
        .collect()
}

async fn endorse_pairs(app: &TestApp, topic: &str, edges: &[(String, String)]) {
    let e: Vec<(&str, &str)> = edges
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    endorse_all(app, topic, &e).await;
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// 5a. With seeds, a ring of fresh accounts ends below the median endorsed honest user.
async fn seeded_topics_resist_sybil_rings(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    endorse_pairs(&app, "trading", &community()).await;
    endorse_pairs(&app, "trading", &sybil_ring()).await;
    let r = app.set_seeds("trading", &["h0", "h1", "h2"]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    recompute(&app).await;
    let s = raw(&app, "trading").await;
    let honest = median(
        s.iter()
            .filter(|(u, _)| u.starts_with('h'))
            .map(|(_, x)| *x)
            .collect(),
    );
    for i in 0..20 {
        let x = s[&format!("sybil{i}")];
        assert!(x < honest, "sybil{i} {x} vs median {honest}");
    }
    assert_eq!(app.verify().await["ok"], true, "seeds are in the ledger");
}

/// 5b. Without seeds, a closed ring keeps what it is teleported plus its share of the score
/// nobody passes on, forever: at least k/n, at most k/(n(1 − d)) of the topic (docs/REPUTATION.md).
async fn unseeded_ring_gain_is_bounded(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    endorse_pairs(&app, "trading", &community()).await;
    endorse_pairs(&app, "trading", &sybil_ring()).await;
    endorse_all(&app, "trading", &[("h3", "lurker")]).await;
    recompute(&app).await;
    let s = raw(&app, "trading").await;
    let n = s.len() as f64;
    let ring: f64 = s
        .iter()
        .filter(|(u, _)| u.starts_with("sybil"))
        .map(|(_, x)| x)
        .sum();
    let bound = 20.0 / (n * (1.0 - 0.85));
    assert!(ring <= bound + 1e-9, "ring {ring} > bound {bound}");
    assert!(
        ring > 20.0 / n,
        "with a user who passes nothing on, the ring gains: {ring}"
    );
}

async fn analyst_api_answers_and_guards(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    endorse_all(&app, "writing", &[("a", "b"), ("c", "b"), ("d", "b")]).await;
    let analyst = create_key(&mut app.db.conn(), "analyst", Role::Analyst);
    // Before any recompute the topic exists but has no scores.
    let r = app.get("/v1/topics/writing/leaderboard", &analyst).await;
    assert_eq!(
        (r.status, r.json["items"].as_array().map(Vec::len)),
        (200, Some(0))
    );
    assert_eq!(r.json["computed_at"], Value::Null);

    let report = recompute(&app).await;
    assert_eq!(report["topics"], 1, "{report}");
    assert_eq!(report["endorsements"], 3, "{report}");
    let board = app
        .get("/v1/topics/writing/leaderboard?limit=2", &analyst)
        .await;
    assert_eq!(board.status, 200, "{}", board.text);
    assert_eq!(board.json["items"][0]["user"], "b");
    assert_eq!(board.json["items"][0]["rank"], 1);
    assert_eq!(board.json["items"][0]["score"], 100.0);
    let cursor = board.json["next_cursor"].as_str().unwrap().to_string();
    let rest = app
        .get(
            &format!("/v1/topics/writing/leaderboard?limit=2&cursor={cursor}"),
            &analyst,
        )
        .await;
    let users = |v: &Value| -> Vec<String> {
        v["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["user"].as_str().unwrap().to_string())
            .collect()
    };
    let mut all = users(&board.json);
    all.extend(users(&rest.json));
    all.sort();
    assert_eq!(all, vec!["a", "b", "c", "d"]);

    let csv = app
        .client
        .get(app.url("/v1/topics/writing/leaderboard"))
        .bearer_auth(&analyst)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap();
    assert!(csv.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/csv"));
    let text = csv.text().await.unwrap();
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some("rank,user,score,raw,percentile,counted,discounted")
    );
    assert!(lines.next().unwrap().starts_with("1,b,100"), "{text}");
    assert_eq!(text.lines().count(), 5);

    // The SQL view analysts query holds the same leaderboard.
    let whole = app.get("/v1/topics/writing/leaderboard", &analyst).await;
    let api: Vec<(String, i32, f64)> = whole.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let rank = i["rank"].as_i64().unwrap() as i32;
            (
                i["user"].as_str().unwrap().to_string(),
                rank,
                i["score"].as_f64().unwrap(),
            )
        })
        .collect();
    let view = current_scores_view(app.db.conn(), "writing");
    assert_eq!(view.len(), api.len(), "{view:?} against {api:?}");
    for ((vh, vr, vs), (ah, ar, as_)) in view.iter().zip(&api) {
        assert_eq!((vh, vr), (ah, ar));
        assert!((vs - as_).abs() < 1e-9, "{vh}: {vs} against {as_}");
    }

    let me = app.get("/v1/users/b/reputation", &analyst).await;
    assert_eq!(me.json["topics"][0]["topic"], "writing");
    assert_eq!(me.json["topics"][0]["counted"], 3);
    let history = app
        .get("/v1/users/b/reputation/writing/history", &analyst)
        .await;
    assert_eq!(history.status, 200, "{}", history.text);
    assert!(!history.json["points"].as_array().unwrap().is_empty());
    let topic = app.get("/v1/topics/writing", &analyst).await;
    assert_eq!(topic.json["endorsements"]["active"], 3, "{}", topic.text);
    assert_eq!(topic.json["params"]["damping"], 0.85);
    assert_eq!(topic.json["last_recompute"]["users"], 4);

    // Roles: apps and moderators read no reputation; only admins set seeds or recompute.
    let moderator = create_key(&mut app.db.conn(), "mod", Role::Moderator);
    for key in [&app.app_key, &moderator] {
        app.get("/v1/users/b/reputation", key)
            .await
            .assert_problem(403, "forbidden");
    }
    app.put(
        "/v1/topics/writing/seeds",
        &analyst,
        &json!({"seeds": ["a"]}),
    )
    .await
    .assert_problem(403, "forbidden");
    app.post("/v1/reputation/recompute", &analyst, &json!({}))
        .await
        .assert_problem(403, "forbidden");
    // Clear errors for what does not exist or cannot be.
    app.get("/v1/topics/nope/leaderboard", &analyst)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/users/zed/reputation/writing/explain", &analyst)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/topics/writing/leaderboard?cursor=zz", &analyst)
        .await
        .assert_problem(400, "invalid_cursor");
    app.get("/v1/topics/writing/leaderboard?limit=0", &analyst)
        .await
        .assert_problem(400, "invalid_limit");
    app.put(
        "/v1/topics/writing/seeds",
        &app.admin,
        &json!({"seeds": ["not a handle!"]}),
    )
    .await
    .assert_problem(400, "invalid_handle");
    let one = app
        .post(
            "/v1/reputation/recompute",
            &app.admin,
            &json!({"topics": ["writing"]}),
        )
        .await;
    assert_eq!(one.json["topics"], 1, "{}", one.text);
    app.post(
        "/v1/reputation/recompute",
        &app.admin,
        &json!({"topics": ["nope"]}),
    )
    .await
    .assert_problem(404, "not_found");
    // The body is optional, but one that is sent must be JSON of the documented shape: a
    // malformed one is not taken for "every topic".
    app.post_raw(
        "/v1/reputation/recompute",
        &app.admin,
        "text/plain",
        "writing",
    )
    .await
    .assert_problem(415, "unsupported_media_type");
    app.post_raw(
        "/v1/reputation/recompute",
        &app.admin,
        "application/json",
        r#"{"topics": "writing"}"#,
    )
    .await
    .assert_problem(400, "invalid_json");
    let all = app
        .post_raw(
            "/v1/reputation/recompute",
            &app.admin,
            "application/json",
            "",
        )
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
}

async fn writes_trigger_a_background_recompute(b: Backend) {
    let mut opts = quiet(Params::default());
    opts.reputation.debounce = Duration::from_millis(200);
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    endorse_all(&app, "writing", &[("a", "b")]).await;
    for _ in 0..100 {
        if raw(&app, "writing").await.contains_key("b") {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no recompute within 10 s of a write");
}

/// A handle may begin with `-`, which a spreadsheet reads as the start of a formula: the CSV
/// leaderboard writes such a cell with a leading apostrophe (OWASP's CSV-injection advice).
async fn csv_cells_are_not_formulas(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    endorse_all(&app, "writing", &[("a", "-2-1"), ("c", "-2-1"), ("a", "b")]).await;
    recompute(&app).await;
    let csv = app
        .client
        .get(app.url("/v1/topics/writing/leaderboard"))
        .bearer_auth(&app.admin)
        .header("Accept", "text/csv")
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let cells: Vec<&str> = csv.lines().filter_map(|l| l.split(',').nth(1)).collect();
    assert!(cells.contains(&"'-2-1"), "{csv}");
    assert!(
        cells.iter().all(|c| !c.starts_with(['=', '+', '-', '@'])),
        "{csv}"
    );
}

/// Explain lists the largest contributions first, a page of each part at a time, with what the
/// later pages hold; a cursor from before a recompute is refused rather than mixing runs.
async fn explanations_come_in_pages_largest_first(b: Backend) {
    // Detectors off: seven new accounts endorsing one user at once is a burst, and this test is
    // about pages, not flags.
    let mut opts = quiet(Params::default());
    opts.detection.enabled = false;
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    // Seven endorsers of `star` with different merit: endorser i has i fans of its own.
    for i in 0..7 {
        let me = format!("e{i}");
        let fans: Vec<String> = (0..i).map(|j| format!("fan{i}x{j}")).collect();
        let edges: Vec<(&str, &str)> = fans.iter().map(|f| (f.as_str(), me.as_str())).collect();
        endorse_all(&app, "writing", &edges).await;
        endorse_all(&app, "writing", &[(me.as_str(), "star")]).await;
    }
    recompute(&app).await;
    let base = "/v1/users/star/reputation/writing/explain";
    let whole = app.get(base, &app.admin).await;
    assert_eq!(whole.status, 200, "{}", whole.text);
    assert_eq!(whole.json["counted_total"], 7);
    assert_eq!(
        whole.json["next_cursor"],
        Value::Null,
        "everything fits the default page"
    );
    // More fans, more merit: the endorsers come named, the one with six fans first.
    let names: Vec<&str> = whole.json["counted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["endorser"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["e6", "e5", "e4", "e3", "e2", "e1", "e0"]);
    let all: Vec<f64> = whole.json["counted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["contribution"].as_f64().unwrap())
        .collect();

    // Runs stored before out-weights were kept: explain adds up what each endorser gave, and
    // says the same. (Whole rows are in the rank order; the user order holds their keys.)
    app.db.exec(if app.db.is_postgres() {
        "UPDATE reputation_parts SET entries = (\
             SELECT json_agg(jsonb_set(e.value::jsonb, '{7}', 'null') ORDER BY e.n)::text \
             FROM json_array_elements(entries::json) WITH ORDINALITY AS e(value, n)) \
         WHERE by_rank"
    } else {
        "UPDATE reputation_parts SET entries = (\
             SELECT json_group_array(json(json_set(e.value, '$[7]', json('null')))) \
             FROM json_each(reputation_parts.entries) AS e) \
         WHERE by_rank"
    });
    let older = app.get(base, &app.admin).await;
    for (new, old) in whole.json["counted"]
        .as_array()
        .unwrap()
        .iter()
        .zip(older.json["counted"].as_array().unwrap())
    {
        assert_eq!(new["endorsement_id"], old["endorsement_id"]);
        let (a, b) = (
            new["contribution"].as_f64().unwrap(),
            old["contribution"].as_f64().unwrap(),
        );
        assert!((a - b).abs() <= 1e-12 * a.abs().max(1e-12), "{a} vs {b}");
    }

    let mut seen = Vec::new();
    let mut listed = Vec::new();
    let mut cursor: Option<String> = None;
    for page in 0.. {
        let url = match &cursor {
            Some(c) => format!("{base}?limit=3&cursor={c}"),
            None => format!("{base}?limit=3"),
        };
        let r = app.get(&url, &app.admin).await;
        assert_eq!(r.status, 200, "{}", r.text);
        let items = r.json["counted"].as_array().unwrap().clone();
        assert_eq!(
            items.len(),
            if page < 2 { 3 } else { 1 },
            "page {page}: {}",
            r.text
        );
        assert_eq!(r.json["counted_total"], 7, "totals cover every page");
        let after = &r.json["counted_after"];
        let later: f64 = all[(seen.len() + items.len())..].iter().sum();
        assert_eq!(
            after["endorsements"],
            7 - seen.len() - items.len(),
            "{}",
            r.text
        );
        assert!(
            (after["contribution"].as_f64().unwrap() - later).abs() < 1e-15,
            "{}",
            r.text
        );
        for c in &items {
            seen.push(c["endorsement_id"].as_i64().unwrap());
            listed.push(c["contribution"].as_f64().unwrap());
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(listed, all, "the pages, in order, are the whole list");
    assert!(
        listed.windows(2).all(|w| w[0] >= w[1]),
        "largest first: {listed:?}"
    );
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen.len(), 7, "no endorsement twice, none left out");

    let first = app.get(&format!("{base}?limit=3"), &app.admin).await;
    let stale = first.json["next_cursor"].as_str().unwrap().to_string();
    recompute(&app).await;
    app.get(&format!("{base}?limit=3&cursor={stale}"), &app.admin)
        .await
        .assert_problem(409, "cursor_outdated");
    app.get(&format!("{base}?cursor=zz"), &app.admin)
        .await
        .assert_problem(400, "invalid_cursor");
    for bad in ["0", "501"] {
        app.get(&format!("{base}?limit={bad}"), &app.admin)
            .await
            .assert_problem(400, "invalid_limit");
    }
}

/// A user with hundreds of endorsers is weighed once per run and kept; an endorsement of theirs
/// revoked through another instance leaves the next explanation at once, on this one too.
async fn a_heavy_users_explanation_follows_changes_from_any_instance(b: Backend) {
    let mut opts = quiet(Params::default());
    opts.detection.enabled = false;
    let Some(app) = spawn_with(b, opts.clone()).await else {
        return;
    };
    // More endorsers than the explain cache's threshold.
    const FANS: usize = 210;
    let fans: Vec<String> = (0..FANS).map(|i| format!("fan{i}")).collect();
    let edges: Vec<(&str, &str)> = fans.iter().map(|f| (f.as_str(), "star")).collect();
    endorse_all(&app, "writing", &edges).await;
    recompute(&app).await;
    let url = "/v1/users/star/reputation/writing/explain?limit=500";
    let ids = |r: &crate::common::Resp| -> Vec<i64> {
        r.json["counted"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["endorsement_id"].as_i64().unwrap())
            .collect()
    };
    let first = app.get(url, &app.admin).await;
    assert_eq!(first.status, 200, "{}", first.text);
    assert_eq!(first.json["counted_total"], FANS);
    let again = app.get(url, &app.admin).await;
    assert_eq!(again.json, first.json, "the same run explained twice");

    let (other, _) = spawn_instance(&app.db, opts);
    let gone = ids(&first)[0];
    let r = read(
        app.client
            .delete(format!("{other}/v1/endorsements/{gone}"))
            .bearer_auth(&app.app_key)
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let after = app.get(url, &app.admin).await;
    assert_eq!(after.status, 200, "{}", after.text);
    assert_eq!(after.json["counted_total"], FANS - 1, "{}", after.text);
    assert!(
        !ids(&after).contains(&gone),
        "the revoked endorsement is gone"
    );
    assert_eq!(
        after.json["raw"], first.json["raw"],
        "the score is the run's until the next recompute"
    );
}

/// The worker deletes daily snapshots older than the retention after a full pass; the ones
/// within it, and the current run, stay in the history.
async fn old_snapshots_are_pruned_by_the_worker(b: Backend) {
    let Some(app) = app_with(b, Params::default()).await else {
        return;
    };
    endorse_all(&app, "writing", &[("a", "b"), ("c", "b")]).await;
    let now = chrono::Utc::now();
    let mut conn = app.db.conn();
    for days in [500, 399, 10] {
        let at = now - chrono::Duration::days(days);
        plusk::service::reputation::recompute(&mut conn, &Scope::All, &Params::default(), at, None)
            .expect("recompute in the past");
    }
    let days_ago = |history: &Value| -> Vec<i64> {
        let mut d: Vec<i64> = history["points"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| {
                let at: chrono::DateTime<chrono::Utc> =
                    p["computed_at"].as_str().unwrap().parse().unwrap();
                (now - at).num_days()
            })
            .collect();
        d.sort_unstable();
        d
    };
    let path = "/v1/users/b/reputation/writing/history";
    let before = app.get(path, &app.admin).await;
    let kept = days_ago(&before.json);
    assert!(
        [10, 399, 500].iter().all(|d| kept.contains(d)),
        "{}",
        before.text
    );

    // A second instance whose worker keeps 400 days: its full pass at start prunes.
    let hour = Duration::from_secs(3600);
    let keeping = Options {
        daily_budget: None,
        // The first full pass comes one debounce after start.
        reputation: Schedule {
            params: Params::default(),
            debounce: Duration::from_secs(1),
            max_delay: hour,
            every: hour,
            keep_snapshots: Some(chrono::Duration::days(400)),
            ..Schedule::default()
        },
        ..Options::default()
    };
    let (other, _) = spawn_instance(&app.db, keeping);
    let client = reqwest::Client::new();
    let mut left = Vec::new();
    for _ in 0..150 {
        let r = read(
            client
                .get(format!("{other}{path}"))
                .bearer_auth(&app.admin)
                .send()
                .await
                .expect("history"),
        )
        .await;
        left = days_ago(&r.json);
        if !left.contains(&500) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    assert!(
        !left.contains(&500),
        "the 500-day-old snapshot is gone: {left:?}"
    );
    assert!(
        left.contains(&399) && left.contains(&10),
        "within 400 days all stay: {left:?}"
    );
}

/// Scores are stored in parts of 128 users. A topic of 340 users, most of them tied at the
/// bottom rank, reads back whole across part boundaries: every leaderboard page in order with
/// no user twice or missing, the SQL view agreeing, and each user's own score and history found
/// in the part that holds it.
async fn scores_spread_over_many_parts_read_back_whole(b: Backend) {
    let mut opts = quiet(Params::default());
    opts.detection.enabled = false;
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    const FANS: usize = 300;
    const STARS: usize = 40;
    let fans: Vec<String> = (0..FANS).map(|i| format!("fan{i}")).collect();
    let stars: Vec<String> = (0..STARS).map(|i| format!("star{i}")).collect();
    let edges: Vec<(&str, &str)> = fans
        .iter()
        .enumerate()
        .map(|(i, f)| (f.as_str(), stars[i % STARS].as_str()))
        .collect();
    endorse_all(&app, "writing", &edges).await;
    recompute(&app).await;

    // Seven at a time: pages end inside parts and inside runs of tied ranks.
    let mut walked: Vec<(String, i32, f64)> = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let url = match &cursor {
            Some(c) => format!("/v1/topics/writing/leaderboard?limit=7&cursor={c}"),
            None => "/v1/topics/writing/leaderboard?limit=7".to_string(),
        };
        let r = app.get(&url, &app.admin).await;
        assert_eq!(r.status, 200, "{}", r.text);
        for i in r.json["items"].as_array().unwrap() {
            walked.push((
                i["user"].as_str().unwrap().to_string(),
                i["rank"].as_i64().unwrap() as i32,
                i["score"].as_f64().unwrap(),
            ));
        }
        match r.json["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(walked.len(), FANS + STARS);
    let distinct: std::collections::HashSet<&str> =
        walked.iter().map(|(h, _, _)| h.as_str()).collect();
    assert_eq!(distinct.len(), FANS + STARS, "no user twice");
    assert!(
        walked.windows(2).all(|w| w[0].1 <= w[1].1),
        "ranks in order"
    );
    assert!(walked[..STARS]
        .iter()
        .all(|(h, _, _)| h.starts_with("star")));

    let mut by_handle = walked.clone();
    by_handle.sort_by(|a, b| (a.1, &a.0).cmp(&(b.1, &b.0)));
    let view = current_scores_view(app.db.conn(), "writing");
    assert_eq!(view.len(), by_handle.len());
    for ((vh, vr, vs), (ah, ar, as_)) in view.iter().zip(&by_handle) {
        assert_eq!((vh, vr), (ah, ar));
        assert!((vs - as_).abs() < 1e-9, "{vh}: {vs} against {as_}");
    }

    // The last fan written is in the last user-ordered part.
    for who in ["fan0", "fan299", "star39"] {
        let listed = walked.iter().find(|(h, _, _)| h == who).unwrap();
        let me = app
            .get(&format!("/v1/users/{who}/reputation"), &app.admin)
            .await;
        assert_eq!(me.status, 200, "{}", me.text);
        assert_eq!(me.json["topics"][0]["rank"], listed.1, "{who}: {}", me.text);
        assert_eq!(me.json["topics"][0]["score"], listed.2, "{who}");
        let h = app
            .get(
                &format!("/v1/users/{who}/reputation/writing/history"),
                &app.admin,
            )
            .await;
        assert_eq!(h.json["points"].as_array().unwrap().len(), 1, "{}", h.text);
        assert_eq!(h.json["points"][0]["rank"], listed.1);
    }
    // A star's explanation reads its endorsers' scores out of several parts.
    let r = app
        .get("/v1/users/star39/reputation/writing/explain", &app.admin)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let counted = r.json["counted"].as_array().unwrap();
    assert_eq!(counted.len(), FANS / STARS);
    assert!(counted
        .iter()
        .all(|c| c["contribution"].as_f64().unwrap() > 0.0));
}

/// `path` read through `base` with the admin key: the answer's JSON, which must be a 200.
async fn admin_get(app: &TestApp, base: &str, path: &str) -> Value {
    let r = app.send_to(base, Method::GET, path, &app.admin, None).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// Every user's (rank, raw, counted, discounted) in a topic, from its leaderboard.
async fn standings(
    app: &TestApp,
    base: &str,
    topic: &str,
) -> HashMap<String, (i64, f64, i64, i64)> {
    let path = format!("/v1/topics/{topic}/leaderboard?limit=1000");
    admin_get(app, base, &path).await["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            let n = |f: &str| i[f].as_i64().unwrap();
            let user = i["user"].as_str().unwrap().to_string();
            (
                user,
                (
                    n("rank"),
                    i["raw"].as_f64().unwrap(),
                    n("counted"),
                    n("discounted"),
                ),
            )
        })
        .collect()
}

/// Each counted endorser's contribution to `user`'s score in `writing`, explained by `base`.
async fn contributions(app: &TestApp, base: &str, user: &str) -> HashMap<String, f64> {
    let path = format!("/v1/users/{user}/reputation/writing/explain?limit=500");
    admin_get(app, base, &path).await["counted"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            let endorser = c["endorser"].as_str().unwrap().to_string();
            (endorser, c["contribution"].as_f64().unwrap())
        })
        .collect()
}

/// Forces a recompute of `topics` through `base` and returns its report.
async fn recompute_at(app: &TestApp, base: &str, topics: &[&str]) -> Value {
    let body = json!({ "topics": topics });
    let path = "/v1/reputation/recompute";
    let r = app
        .send_to(base, Method::POST, path, &app.admin, Some(&body))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json
}

/// A topic the worker keeps in memory is recomputed from it plus what changed since, made
/// through any instance: new endorsements, a revoke, a flag, a void. The scores come out as a
/// recompute that reads the topic whole computes them.
async fn a_topic_kept_in_memory_follows_every_change(b: Backend) {
    let mut opts = quiet(Params::default());
    opts.reputation.memory = Memory {
        endorsements: 10_000,
        min_topic: 1,
    };
    let Some(app) = spawn_with(b, opts.clone()).await else {
        return;
    };
    let here = app.url("");
    let here = here.trim_end_matches('/');
    endorse_pairs(&app, "writing", &community()).await;
    let first = recompute_at(&app, here, &["writing"]).await;
    assert_eq!(
        first["from_memory"], 0,
        "read whole the first time: {first}"
    );

    // Changes through another instance sharing the database, and through this one.
    let (other, _) = spawn_instance(&app.db, opts.clone());
    let body = json!({"endorser": "newcomer", "endorsee": "h3", "topic": "writing"});
    let r = app
        .send_to(
            &other,
            Method::POST,
            "/v1/endorsements",
            &app.app_key,
            Some(&body),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    endorse_all(&app, "writing", &[("h5", "h20"), ("h6", "h20"), ("x", "y")]).await;
    let gone = app.endorse("h7", "h21", "writing").await;
    assert_eq!(gone.status, 201, "{}", gone.text);
    let id = gone.json["id"].as_i64().unwrap();
    let r = app
        .delete(&format!("/v1/endorsements/{id}"), &app.app_key)
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let ask = json!({"requester": "beggar", "target": "h1", "topic": "writing", "text": "please +K me on writing, I need it!"});
    let r = app.post("/v1/solicitations", &app.app_key, &ask).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let begged = app.endorse("h1", "beggar", "writing").await;
    assert_eq!(begged.json["status"], "flagged", "{}", begged.text);
    let ask = json!({"requester": "beggar2", "target": "h2", "topic": "writing", "text": "please +K me on writing, I need it!"});
    assert_eq!(
        app.post("/v1/solicitations", &app.app_key, &ask)
            .await
            .status,
        201
    );
    let voided = app.endorse("h2", "beggar2", "writing").await;
    assert_eq!(voided.json["status"], "flagged", "{}", voided.text);
    let moderator = create_key(&mut app.db.conn(), "mod", Role::Moderator);
    let flags = app.get("/v1/flags", &moderator).await;
    let flag = flags.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["endorsement_id"] == voided.json["id"])
        .unwrap_or_else(|| panic!("{}", flags.text))["id"]
        .as_i64()
        .unwrap();
    let r = app
        .post(
            &format!("/v1/flags/{flag}/review"),
            &moderator,
            &json!({"decision": "uphold"}),
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);

    let warm = recompute_at(&app, here, &["writing"]).await;
    assert_eq!(warm["from_memory"], 1, "{warm}");
    let kept = standings(&app, here, "writing").await;
    // What each endorser passed on rests on their out-weight, added up from memory here.
    let kept_explained = contributions(&app, here, "h20").await;
    // A server keeping nothing reads the topic whole.
    let mut cold_opts = opts.clone();
    cold_opts.reputation.memory.endorsements = 0;
    let (cold, _) = spawn_instance(&app.db, cold_opts);
    // A topic just recomputed stays claimed for two seconds.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let read_whole = recompute_at(&app, &cold, &["writing"]).await;
    assert_eq!(read_whole["from_memory"], 0, "{read_whole}");
    let whole = standings(&app, &cold, "writing").await;
    let explained = contributions(&app, &cold, "h20").await;
    assert_eq!(kept_explained.len(), explained.len(), "{explained:?}");
    for (endorser, c) in &explained {
        let k = kept_explained[endorser];
        assert!((k - c).abs() < 1e-9, "{endorser}: {k} vs {c}");
    }
    assert_same_standings(&whole, &kept);
    assert_eq!(
        whole["beggar"].3, 1,
        "the flagged endorsement is discounted"
    );
    assert_eq!(
        whole["beggar2"].3, 1,
        "the voided endorsement is discounted"
    );
    assert!(whole.contains_key("newcomer"));

    // A full pass reads every topic whole, and keeps the large ones again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let full = recompute_at(&app, here, &[]).await;
    assert_eq!(full["from_memory"], 0, "{full}");
    endorse_all(&app, "writing", &[("h9", "h15")]).await;
    let after = recompute_at(&app, here, &["writing"]).await;
    assert_eq!(after["from_memory"], 1, "{after}");

    // A server that never computed the topic on its own keeps it from its first full pass.
    let (fresh, _) = spawn_instance(&app.db, opts);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let full = recompute_at(&app, &fresh, &[]).await;
    assert_eq!(full["from_memory"], 0, "{full}");
    endorse_all(&app, "writing", &[("h11", "h16")]).await;
    let after = recompute_at(&app, &fresh, &["writing"]).await;
    assert_eq!(after["from_memory"], 1, "{after}");
}

/// Ranks and raw scores alike, to the iteration's tolerance.
fn assert_same_standings(
    a: &HashMap<String, (i64, f64, i64, i64)>,
    b: &HashMap<String, (i64, f64, i64, i64)>,
) {
    assert_eq!(a.len(), b.len());
    for (user, (rank, raw, counted, discounted)) in a {
        let (b_rank, b_raw, b_counted, b_discounted) = b[user];
        assert_eq!(
            (*rank, *counted, *discounted),
            (b_rank, b_counted, b_discounted),
            "{user}"
        );
        assert!((raw - b_raw).abs() < 1e-9, "{user}: {raw} vs {b_raw}");
    }
}

/// Memory for topics of `min_topic` endorsements or more, and a first scheduled pass 0.3 s
/// after start.
fn keeping(min_topic: usize) -> Options {
    let mut opts = quiet(Params::default());
    opts.reputation.memory = Memory {
        endorsements: 10_000,
        min_topic,
    };
    opts.reputation.debounce = Duration::from_millis(300);
    opts
}

/// A server started within half a period of another's pass leaves out of its first pass the
/// topics that pass computed, and reads the large ones into memory instead, so that their next
/// recompute starts from there rather than reading them whole.
async fn a_server_started_after_a_pass_keeps_what_it_left_out(b: Backend) {
    let Some(app) = spawn_with(b, quiet(Params::default())).await else {
        return;
    };
    let here = app.url("");
    let here = here.trim_end_matches('/');
    endorse_pairs(&app, "writing", &community()).await;
    recompute_at(&app, here, &["writing"]).await;
    let computed = standings(&app, here, "writing").await;

    let (started, _) = spawn_instance(&app.db, keeping(1));
    // Its first pass, and the two seconds the topic stays claimed after the recompute above.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let next = recompute_at(&app, &started, &["writing"]).await;
    assert_eq!(next["from_memory"], 1, "{next}");
    assert_same_standings(&standings(&app, &started, "writing").await, &computed);
}

/// A scheduled pass over more topics than are read one query each reads the whole graph in one
/// pass, and still keeps the topics large enough (by their last run) in memory.
async fn a_scheduled_pass_over_many_topics_keeps_the_large_ones(b: Backend) {
    let Some(app) = spawn_with(b, quiet(Params::default())).await else {
        return;
    };
    let here = app.url("");
    let here = here.trim_end_matches('/');
    endorse_pairs(&app, "writing", &community()).await;
    for i in 0..70 {
        endorse_all(&app, &format!("small-{i}"), &[("x", "y")]).await;
    }
    recompute_at(&app, here, &[]).await;
    let computed = standings(&app, here, "writing").await;
    // Past the claims' two seconds, and past half the new server's period (one second), so its
    // first pass computes all 71 topics again.
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let mut opts = keeping(20);
    opts.reputation.every = Duration::from_secs(2);
    let (started, _) = spawn_instance(&app.db, opts);
    tokio::time::sleep(Duration::from_millis(2100)).await;
    let next = recompute_at(&app, &started, &["writing"]).await;
    assert_eq!(next["from_memory"], 1, "{next}");
    assert_same_standings(&standings(&app, &started, "writing").await, &computed);
}

/// A user's reputation reads the row of each topic out of its rank order in statements of a
/// few hundred topics: a user in more topics than one statement holds still gets every one,
/// each with its own rank.
async fn a_user_in_hundreds_of_topics_reads_every_one(b: Backend) {
    let mut opts = quiet(Params::default());
    opts.detection.enabled = false;
    const TOPICS: usize = 205;
    opts.topics.per_key = None;
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    for t in 0..TOPICS {
        let topic = format!("t{t:03}");
        // Topic t has t % 3 more endorsements: ranks differ from topic to topic.
        let mut edges = vec![("fan", "pat")];
        edges.extend([("ola", "fan"), ("uma", "ola")].into_iter().take(t % 3));
        endorse_all(&app, &topic, &edges).await;
    }
    recompute(&app).await;
    let me = app.get("/v1/users/pat/reputation", &app.admin).await;
    assert_eq!(me.status, 200, "{}", me.text);
    let topics = me.json["topics"].as_array().unwrap();
    assert_eq!(topics.len(), TOPICS, "{}", me.text);
    for (t, got) in topics.iter().enumerate() {
        let slug = format!("t{t:03}");
        assert_eq!(got["topic"], slug.as_str());
        let board = app
            .get(&format!("/v1/topics/{slug}/leaderboard"), &app.admin)
            .await;
        let listed = board.json["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|i| i["user"] == "pat")
            .unwrap_or_else(|| panic!("{}", board.text));
        assert_eq!(got["rank"], listed["rank"], "{slug}");
        assert_eq!(got["score"], listed["score"], "{slug}");
    }
}
