//! Every route × every kind of caller → the expected status, in one table. A permitted role gets
//! the route's success status; any other role 403; no key or a revoked key 401. Routes that
//! change something get a fresh target per column, so each cell is independent of the others.

use plusk::domain::keys::Role;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{create_key, read, spawn_with, Backend, Options, Resp, TestApp};

both_backends!(every_route_answers_every_caller_as_the_table_says);

/// The columns: no key, a revoked key, then one live key per role.
const CALLERS: [&str; 6] = ["none", "revoked", "app", "moderator", "analyst", "admin"];
const APP: usize = 2;
const MODERATOR: usize = 3;
const ANALYST: usize = 4;
const ADMIN: usize = 5;

/// Who may call a route, by column index among the roles.
#[derive(Clone, Copy)]
enum Who {
    Public,
    AnyKey,
    Roles(&'static [usize]),
}

/// Ids made ahead, one per column for routes that use their target up.
struct Fixture {
    endorsement: i64,
    /// Endorsements made by the `app` key, one per column (an app revokes only its own).
    own_endorsements: Vec<i64>,
    solicitation: i64,
    flag: i64,
    /// Open flags, one per column.
    open_flags: Vec<i64>,
}

async fn endorse(app: &TestApp, endorser: &str, endorsee: &str) -> i64 {
    let r = app.endorse(endorser, endorsee, "writing").await;
    assert_eq!(r.status, 201, "{}", r.text);
    r.json["id"].as_i64().unwrap()
}

/// A begged endorsement, which raises a `solicited` flag.
async fn flagged(app: &TestApp, i: usize) -> i64 {
    let beggar = format!("beggar{i}");
    let ask = json!({"requester": beggar, "target": format!("giver{i}"), "topic": "writing",
                     "text": "please +K me on writing, I need it!"});
    let r = app.post("/v1/solicitations", &app.app_key, &ask).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let e = endorse(app, &format!("giver{i}"), &beggar).await;
    let flags = app
        .get(&format!("/v1/flags?endorsement_id={e}"), &app.admin)
        .await;
    flags.json["items"][0]["id"].as_i64().expect("a flag")
}

async fn fixture(app: &TestApp) -> Fixture {
    let endorsement = endorse(app, "ann", "bob").await;
    let mut own_endorsements = Vec::new();
    for i in 0..CALLERS.len() {
        own_endorsements.push(endorse(app, &format!("fan{i}"), "bob").await);
    }
    let ask = json!({"requester": "bob", "target": null, "text": "vote for my blog please"});
    let r = app.post("/v1/solicitations", &app.app_key, &ask).await;
    assert_eq!(r.status, 201, "{}", r.text);
    let solicitation = r.json["id"].as_i64().unwrap();
    let flag = flagged(app, 100).await;
    let mut open_flags = Vec::new();
    for i in 0..2 * CALLERS.len() {
        open_flags.push(flagged(app, i).await);
    }
    let r = app
        .post("/v1/reputation/recompute", &app.admin, &json!({}))
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    Fixture {
        endorsement,
        own_endorsements,
        solicitation,
        flag,
        open_flags,
    }
}

/// One route: method, a request for column `c`, who may call it and what they get.
type Request = Box<dyn Fn(&Fixture, usize) -> (String, Option<Value>)>;

fn routes() -> Vec<(Method, &'static str, Request, Who, u16)> {
    use Method as M;
    const READERS: &[usize] = &[ANALYST, ADMIN];
    const WRITERS: &[usize] = &[APP, ADMIN];
    const REVIEWERS: &[usize] = &[MODERATOR, ADMIN];
    const ADMINS: &[usize] = &[ADMIN];
    let fixed = |p: &'static str| -> Request { Box::new(move |_, _| (p.to_string(), None)) };
    vec![
        (M::GET, "/healthz", fixed("/healthz"), Who::Public, 200),
        (M::GET, "/readyz", fixed("/readyz"), Who::Public, 200),
        (
            M::GET,
            "/metrics",
            fixed("/metrics"),
            Who::Roles(ADMINS),
            200,
        ),
        (
            M::GET,
            "/openapi.json",
            fixed("/openapi.json"),
            Who::Public,
            200,
        ),
        (M::GET, "/docs/", fixed("/docs/"), Who::Public, 200),
        (
            M::POST,
            "/v1/endorsements",
            Box::new(|_, c| {
                let body =
                    json!({"endorser": format!("new{c}"), "endorsee": "bob", "topic": "writing"});
                ("/v1/endorsements".into(), Some(body))
            }),
            Who::Roles(WRITERS),
            201,
        ),
        (
            M::GET,
            "/v1/endorsements",
            fixed("/v1/endorsements"),
            Who::AnyKey,
            200,
        ),
        (
            M::GET,
            "/v1/endorsements/{id}",
            Box::new(|f, _| (format!("/v1/endorsements/{}", f.endorsement), None)),
            Who::AnyKey,
            200,
        ),
        (
            M::DELETE,
            "/v1/endorsements/{id}",
            Box::new(|f, c| (format!("/v1/endorsements/{}", f.own_endorsements[c]), None)),
            Who::Roles(WRITERS),
            200,
        ),
        (M::GET, "/v1/ledger", fixed("/v1/ledger"), Who::AnyKey, 200),
        (
            M::GET,
            "/v1/ledger/verify",
            fixed("/v1/ledger/verify"),
            Who::AnyKey,
            200,
        ),
        (
            M::GET,
            "/v1/users/{handle}",
            fixed("/v1/users/bob"),
            Who::AnyKey,
            200,
        ),
        (M::GET, "/v1/topics", fixed("/v1/topics"), Who::AnyKey, 200),
        (
            M::GET,
            "/v1/topics/{slug}",
            fixed("/v1/topics/writing"),
            Who::Roles(READERS),
            200,
        ),
        (
            M::PUT,
            "/v1/topics/{slug}",
            Box::new(|_, c| (format!("/v1/topics/made-{c}"), None)),
            Who::Roles(ADMINS),
            201,
        ),
        (
            M::GET,
            "/v1/topics/{slug}/seeds",
            fixed("/v1/topics/writing/seeds"),
            Who::Roles(READERS),
            200,
        ),
        (
            M::PUT,
            "/v1/topics/{slug}/seeds",
            Box::new(|_, _| {
                (
                    "/v1/topics/writing/seeds".into(),
                    Some(json!({"seeds": ["ann"]})),
                )
            }),
            Who::Roles(ADMINS),
            200,
        ),
        (
            M::GET,
            "/v1/topics/{slug}/leaderboard",
            fixed("/v1/topics/writing/leaderboard"),
            Who::Roles(READERS),
            200,
        ),
        (
            M::GET,
            "/v1/users/{handle}/reputation",
            fixed("/v1/users/bob/reputation"),
            Who::Roles(READERS),
            200,
        ),
        (
            M::GET,
            "/v1/users/{handle}/reputation/{topic}/explain",
            fixed("/v1/users/bob/reputation/writing/explain"),
            Who::Roles(READERS),
            200,
        ),
        (
            M::GET,
            "/v1/users/{handle}/reputation/{topic}/history",
            fixed("/v1/users/bob/reputation/writing/history"),
            Who::Roles(READERS),
            200,
        ),
        (
            M::POST,
            "/v1/reputation/recompute",
            Box::new(|_, _| ("/v1/reputation/recompute".into(), Some(json!({})))),
            Who::Roles(ADMINS),
            200,
        ),
        (
            M::POST,
            "/v1/classify",
            Box::new(|_, _| ("/v1/classify".into(), Some(json!({"text": "+K me please"})))),
            Who::AnyKey,
            200,
        ),
        (
            M::POST,
            "/v1/solicitations",
            Box::new(|_, _| {
                let body = json!({"requester": "carol", "target": null, "text": "hello"});
                ("/v1/solicitations".into(), Some(body))
            }),
            Who::Roles(WRITERS),
            201,
        ),
        (
            M::GET,
            "/v1/solicitations",
            fixed("/v1/solicitations?requester=bob"),
            Who::AnyKey,
            200,
        ),
        (
            M::GET,
            "/v1/solicitations/{id}",
            Box::new(|f, _| (format!("/v1/solicitations/{}", f.solicitation), None)),
            Who::AnyKey,
            200,
        ),
        (M::GET, "/v1/flags", fixed("/v1/flags"), Who::AnyKey, 200),
        (
            M::GET,
            "/v1/flags/{id}",
            Box::new(|f, _| (format!("/v1/flags/{}", f.flag), None)),
            Who::AnyKey,
            200,
        ),
        (
            M::POST,
            "/v1/flags/{id}/review",
            Box::new(|f, c| {
                let path = format!("/v1/flags/{}/review", f.open_flags[2 * c]);
                (path, Some(json!({"decision": "dismiss"})))
            }),
            Who::Roles(REVIEWERS),
            200,
        ),
        (
            M::POST,
            "/v1/flags/review",
            Box::new(|f, c| {
                let body = json!({"ids": [f.open_flags[2 * c + 1]], "decision": "uphold"});
                ("/v1/flags/review".into(), Some(body))
            }),
            Who::Roles(REVIEWERS),
            200,
        ),
        (
            M::POST,
            "/v1/keys",
            Box::new(|_, c| {
                let body = json!({"name": format!("made-by-{c}"), "role": "app"});
                ("/v1/keys".into(), Some(body))
            }),
            Who::Roles(ADMINS),
            201,
        ),
        (
            M::GET,
            "/v1/keys",
            fixed("/v1/keys"),
            Who::Roles(ADMINS),
            200,
        ),
        (
            M::GET,
            "/v1/keys/{name}",
            fixed("/v1/keys/test-app"),
            Who::Roles(ADMINS),
            200,
        ),
        (
            M::PATCH,
            "/v1/keys/{name}",
            Box::new(|_, _| {
                (
                    "/v1/keys/test-app".into(),
                    Some(json!({"rate_per_sec": 10, "burst": 20})),
                )
            }),
            Who::Roles(ADMINS),
            200,
        ),
        (
            M::DELETE,
            "/v1/keys/{name}",
            Box::new(|_, c| (format!("/v1/keys/victim{c}"), None)),
            Who::Roles(ADMINS),
            204,
        ),
        (
            M::GET,
            "/v1/no-such-route",
            fixed("/v1/no-such-route"),
            Who::AnyKey,
            404,
        ),
    ]
}

fn expected(who: Who, success: u16, column: usize) -> u16 {
    match (who, column) {
        (Who::Public, _) => success,
        (_, 0 | 1) => 401,
        (Who::AnyKey, _) => success,
        (Who::Roles(roles), c) if roles.contains(&c) => success,
        _ => 403,
    }
}

async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> Resp {
    let mut req = app.client.request(method, app.url(path));
    if let Some(key) = key {
        req = req.bearer_auth(key);
    }
    if let Some(body) = body {
        req = req.json(&body);
    }
    read(req.send().await.unwrap()).await
}

async fn every_route_answers_every_caller_as_the_table_says(b: Backend) {
    let opts = Options {
        daily_budget: None,
        ..Options::default()
    };
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    let keys: Vec<Option<String>> = {
        let mut conn = app.db.conn();
        let revoked = create_key(&mut conn, "gone", Role::App);
        plusk::service::keys::revoke(&mut conn, "gone").unwrap();
        for c in 0..CALLERS.len() {
            create_key(&mut conn, &format!("victim{c}"), Role::App);
        }
        vec![
            None,
            Some(revoked),
            Some(app.app_key.clone()),
            Some(create_key(&mut conn, "mod", Role::Moderator)),
            Some(create_key(&mut conn, "analyst", Role::Analyst)),
            Some(app.admin.clone()),
        ]
    };
    let f = fixture(&app).await;
    let routes = routes();
    let mut wrong = Vec::new();
    for (method, name, request, who, success) in &routes {
        for (c, key) in keys.iter().enumerate() {
            let (path, body) = request(&f, c);
            let r = call(&app, method.clone(), &path, key.as_deref(), body).await;
            let want = expected(*who, *success, c);
            if r.status != want {
                wrong.push(format!(
                    "{method} {name} as {}: {} (want {want}) {}",
                    CALLERS[c], r.status, r.text
                ));
            } else if want >= 400 && !r.text.is_empty() {
                let code = r.json["code"].as_str().unwrap_or_default();
                let ok = matches!(
                    (want, code),
                    (401, "unauthorized") | (403, "forbidden") | (404, "not_found")
                );
                if !ok {
                    wrong.push(format!(
                        "{method} {name} as {}: {want} with code {code:?}",
                        CALLERS[c]
                    ));
                }
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} cells wrong:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // The table covers the API as documented: every operation in /openapi.json.
    let spec = call(&app, Method::GET, "/openapi.json", None, None)
        .await
        .json;
    let tabled: Vec<String> = routes.iter().map(|(m, n, ..)| format!("{m} {n}")).collect();
    for (path, ops) in spec["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            let op = format!("{} {path}", method.to_uppercase());
            assert!(tabled.contains(&op), "{op} is missing from the table");
        }
    }
}
