//! The console at `/console`, through real HTTP as a browser would use it (cookies, forms,
//! redirects), on both backends: sign-in per role, sessions, CSRF, reviews, roles, pages.

use std::collections::HashMap;
use std::time::Duration;

use plusk::domain::keys::Role;
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{create_key, read, spawn, spawn_with, Backend, Options, Resp, TestApp};

both_backends!(
    the_sign_in_form_is_served_with_strict_headers,
    each_console_role_signs_in_and_app_keys_are_refused,
    a_form_without_the_right_csrf_token_changes_nothing,
    moderators_uphold_and_dismiss_through_the_forms,
    a_ring_is_reviewed_in_one_action,
    roles_see_and_may_do_only_their_own,
    signing_out_ends_the_session_on_the_server,
    a_revoked_keys_sessions_end,
    analysts_read_topics_leaderboards_and_users,
    admins_manage_keys_and_seeds,
    cookies_are_secure_only_behind_a_trusted_tls_proxy,
    idle_sessions_expire,
    a_burst_is_drawn_and_decided_together,
    the_queue_pages_and_filters,
    a_lockstep_group_and_an_asks_flags_are_decided_together,
    the_leaderboard_pages_by_fifty,
);

/// A browser: keeps cookies, does not follow redirects (the tests look at them).
pub struct Browser<'a> {
    pub app: &'a TestApp,
    client: reqwest::Client,
    pub cookies: HashMap<String, String>,
    /// Extra headers sent with every request.
    extra: Vec<(&'static str, &'static str)>,
}

impl<'a> Browser<'a> {
    pub fn new(app: &'a TestApp) -> Browser<'a> {
        Browser {
            app,
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap(),
            cookies: HashMap::new(),
            extra: Vec::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn remember(&mut self, r: &Resp) {
        for v in r.headers.get_all("set-cookie") {
            let v = v.to_str().unwrap();
            let (pair, attrs) = v.split_once(';').unwrap_or((v, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_string(), value.to_string());
            }
        }
    }

    pub async fn get(&mut self, path: &str) -> Resp {
        let mut req = self
            .client
            .get(self.app.url(path))
            .header("cookie", self.cookie_header());
        for (k, v) in &self.extra {
            req = req.header(*k, *v);
        }
        let r = read(req.send().await.expect("GET")).await;
        self.remember(&r);
        r
    }

    pub async fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let body = serde_urlencoded::to_string(form).unwrap();
        let mut req = self
            .client
            .post(self.app.url(path))
            .header("cookie", self.cookie_header())
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body);
        for (k, v) in &self.extra {
            req = req.header(*k, *v);
        }
        let r = read(req.send().await.expect("POST")).await;
        self.remember(&r);
        r
    }

    /// Opens the sign-in form and posts `key` with the form's token.
    pub async fn sign_in(&mut self, key: &str) -> Resp {
        let form = self.get("/console").await;
        assert_eq!(form.status, 200, "{}", form.text);
        let token = csrf_of(&form.text);
        self.post("/console/login", &[("csrf", &token), ("key", key)])
            .await
    }

    /// Signs in and asserts it worked.
    pub async fn signed_in(app: &'a TestApp, key: &str) -> Browser<'a> {
        let mut b = Browser::new(app);
        let r = b.sign_in(key).await;
        assert_eq!(r.status, 303, "{}", r.text);
        b
    }

    /// The CSRF token of the console's pages (any page with a form carries it).
    pub async fn token(&mut self) -> String {
        csrf_of(&self.get("/console/reviews").await.text)
    }
}

/// The value of the first hidden `csrf` field of a page.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find(r#"name="csrf" value=""#)
        .unwrap_or_else(|| panic!("no csrf field in {html}"));
    let rest = &html[at + r#"name="csrf" value=""#.len()..];
    rest[..rest.find('"').unwrap()].to_string()
}

fn location(r: &Resp) -> &str {
    r.header("location").unwrap_or("")
}

async fn begging_flag(app: &TestApp, endorser: &str, endorsee: &str) -> i64 {
    let body = json!({"endorser": endorser, "endorsee": endorsee, "topic": "writing",
                      "note": "I endorsed you, please endorse me too!"});
    let r = app.post("/v1/endorsements", &app.app_key, &body).await;
    assert_eq!(r.json["status"], "flagged", "{}", r.text);
    let flags = app
        .get(
            &format!("/v1/flags?endorsement_id={}", r.json["id"]),
            &app.admin,
        )
        .await;
    flags.json["items"][0]["id"].as_i64().unwrap()
}

async fn flag(app: &TestApp, id: i64) -> Value {
    app.get(&format!("/v1/flags/{id}"), &app.admin).await.json
}

async fn the_sign_in_form_is_served_with_strict_headers(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut browser = Browser::new(&app);
    let r = browser.get("/console").await;
    assert_eq!(r.status, 200);
    assert!(r.header("content-type").unwrap().starts_with("text/html"));
    assert!(
        r.text.contains(r#"type="password" name="key""#),
        "{}",
        r.text
    );
    let csp = r.header("content-security-policy").unwrap();
    assert!(csp.contains("default-src 'self'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("unsafe-inline"), "{csp}");
    assert!(!r.text.contains("<script>"), "no inline script");
    assert!(
        !r.text.contains("http://") && !r.text.contains("https://"),
        "nothing from elsewhere"
    );
    // The stylesheet and the script come from the binary.
    for (path, kind) in [
        ("/console/static/console.css", "text/css"),
        ("/console/static/console.js", "text/javascript"),
    ] {
        let s = browser.get(path).await;
        assert_eq!(s.status, 200, "{path}");
        assert!(s.header("content-type").unwrap().starts_with(kind));
        assert!(s.text.len() > 500);
    }
    assert_eq!(browser.get("/console/static/other.js").await.status, 404);
    // A page that needs a session sends the visitor to the sign-in form.
    let r = Browser::new(&app).get("/console/flags").await;
    assert_eq!((r.status, location(&r)), (303, "/console?signed_out=1"));
}

async fn each_console_role_signs_in_and_app_keys_are_refused(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut conn = app.db.conn();
    let moderator = create_key(&mut conn, "mia", Role::Moderator);
    let analyst = create_key(&mut conn, "ann", Role::Analyst);
    for (key, landing, name) in [
        (&app.admin, "/console/flags", "test-admin"),
        (&moderator, "/console/flags", "mia"),
        (&analyst, "/console/topics", "ann"),
    ] {
        let mut browser = Browser::new(&app);
        let r = browser.sign_in(key).await;
        assert_eq!((r.status, location(&r)), (303, landing), "{}", r.text);
        let cookie = r
            .headers
            .get_all("set-cookie")
            .iter()
            .map(|v| v.to_str().unwrap())
            .find(|v| v.starts_with("plusk_console="))
            .expect("a session cookie");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/console"] {
            assert!(cookie.contains(attr), "{cookie}");
        }
        assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");
        let id = &browser.cookies["plusk_console"];
        assert!(id.len() >= 43 && !key.contains(id.as_str()) && !id.contains(key.as_str()));
        let page = browser.get(landing).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.text.contains(name), "the page names who is signed in");
        assert!(page.text.contains(r#"action="/console/logout""#));
    }
    let mut browser = Browser::new(&app);
    let r = browser.sign_in(&app.app_key).await;
    assert_eq!(r.status, 403, "{}", r.text);
    assert!(r.text.contains("App keys cannot sign in"), "{}", r.text);
    assert!(!browser.cookies.contains_key("plusk_console"));
    let r = browser.sign_in("plusk_not-a-key").await;
    assert_eq!(r.status, 401);
    assert!(r.text.contains("unknown or has been revoked"));
    assert!(!browser.cookies.contains_key("plusk_console"));
    // The sign-in form is a form like any other: no token, no session.
    let mut browser = Browser::new(&app);
    browser.get("/console").await;
    let r = browser.post("/console/login", &[("key", &app.admin)]).await;
    assert_eq!(r.status, 403);
    assert!(!browser.cookies.contains_key("plusk_console"));
}

async fn a_form_without_the_right_csrf_token_changes_nothing(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let id = begging_flag(&app, "alice", "bob").await;
    let mut browser = Browser::signed_in(&app, &app.admin).await;
    let path = format!("/console/flags/{id}/review");
    let other = Browser::signed_in(&app, &app.admin).await.cookies["plusk_console"].clone();
    let mut another = Browser::signed_in(&app, &app.admin).await;
    let foreign = another.token().await;
    assert_ne!(other, browser.cookies["plusk_console"]);
    for form in [
        vec![("decision", "uphold")],
        vec![("decision", "uphold"), ("csrf", "")],
        vec![("decision", "uphold"), ("csrf", "forged-token")],
        // Another session's token is not this session's.
        vec![("decision", "uphold"), ("csrf", foreign.as_str())],
    ] {
        let r = browser.post(&path, &form).await;
        assert_eq!(r.status, 403, "{form:?}: {}", r.text);
        assert!(r.text.contains("Nothing was changed"));
    }
    let r = browser
        .post(
            "/console/flags/review",
            &[("ids", &id.to_string()), ("decision", "dismiss")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = browser
        .post("/console/keys", &[("name", "sneaky"), ("role", "admin")])
        .await;
    assert_eq!(r.status, 403);
    let r = browser.post("/console/logout", &[]).await;
    assert_eq!(r.status, 403);
    assert_eq!(flag(&app, id).await["status"], "open");
    let keys = app.get("/v1/keys", &app.admin).await;
    assert!(!keys.text.contains("sneaky"));
    assert_eq!(
        browser.get("/console/flags").await.status,
        200,
        "still signed in"
    );
}

async fn moderators_uphold_and_dismiss_through_the_forms(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let moderator = create_key(&mut app.db.conn(), "mia", Role::Moderator);
    let upheld = begging_flag(&app, "alice", "bob").await;
    let dismissed = begging_flag(&app, "carol", "dave").await;
    let mut browser = Browser::signed_in(&app, &moderator).await;
    let queue = browser.get("/console/flags").await;
    assert_eq!(queue.status, 200);
    for id in [upheld, dismissed] {
        assert!(
            queue.text.contains(&format!(
                r#"method="post" action="/console/flags/{id}/review""#
            )),
            "{}",
            queue.text
        );
    }
    assert!(queue.text.contains(r#"name="decision" value="uphold""#));
    assert!(queue.text.contains(r#"name="decision" value="dismiss""#));
    assert!(queue.text.contains("<mark>"), "the note's cues are marked");
    let token = csrf_of(&queue.text);
    let r = browser
        .post(
            &format!("/console/flags/{upheld}/review"),
            &[
                ("csrf", &token),
                ("note", "asked for it"),
                ("decision", "uphold"),
                ("back", "/console/flags?reason=begging_note"),
            ],
        )
        .await;
    assert_eq!(
        (r.status, location(&r)),
        (303, "/console/flags?reason=begging_note")
    );
    let r = browser
        .post(
            &format!("/console/flags/{dismissed}/review"),
            &[("csrf", &token), ("note", ""), ("decision", "dismiss")],
        )
        .await;
    assert_eq!((r.status, location(&r)), (303, "/console/flags"));
    let f = flag(&app, upheld).await;
    assert_eq!(
        (f["status"].as_str(), f["reviewed_by"].as_str()),
        (Some("upheld"), Some("mia"))
    );
    assert_eq!(f["review_note"], "asked for it");
    assert_eq!(f["endorsement"]["status"], "voided");
    let f = flag(&app, dismissed).await;
    assert_eq!(
        (f["status"].as_str(), f["reviewed_by"].as_str()),
        (Some("dismissed"), Some("mia"))
    );
    assert_eq!(f["endorsement"]["status"], "active");
    // The ledger records the reviews, by the key's name, as the API's reviews are.
    let ledger = app.get("/v1/ledger?limit=1000", &app.admin).await;
    let reviews: Vec<&Value> = ledger.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "flag.reviewed")
        .collect();
    assert_eq!(reviews.len(), 2);
    assert!(reviews.iter().all(|e| e["payload"]["by"] == "mia"));
    assert_eq!(app.verify().await["ok"], true);
    // Reviewed once: the form for a decided flag is refused, and nothing changes.
    let r = browser
        .post(
            &format!("/console/flags/{upheld}/review"),
            &[("csrf", &token), ("decision", "dismiss")],
        )
        .await;
    assert_eq!(r.status, 409, "{}", r.text);
    assert_eq!(flag(&app, upheld).await["status"], "upheld");
    // The queue is empty; the history names who decided.
    assert!(!browser
        .get("/console/flags")
        .await
        .text
        .contains("/review\""));
    let history = browser.get("/console/reviews").await;
    assert_eq!(history.status, 200);
    assert!(
        history.text.contains("mia")
            && history.text.contains("upheld")
            && history.text.contains("dismissed")
    );
    let done = browser.get("/console/flags?status=upheld").await;
    assert!(done.text.contains("upheld by mia"), "{}", done.text);
    // Filters that make no sense are a 400 page, not an error.
    let bad = browser.get("/console/flags?reason=gossip").await;
    assert_eq!(bad.status, 400);
    assert!(bad.text.contains("gossip"));
}

async fn a_ring_is_reviewed_in_one_action(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let moderator = create_key(&mut app.db.conn(), "mia", Role::Moderator);
    app.endorse("a", "b", "rust").await;
    app.endorse("b", "c", "rust").await;
    app.endorse("c", "a", "rust").await;
    begging_flag(&app, "alice", "bob").await;
    let ring = app.get("/v1/flags?reason=ring", &app.admin).await;
    let mut ids: Vec<i64> = ring.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert_eq!(ids.len(), 3, "{}", ring.text);
    let mut browser = Browser::signed_in(&app, &moderator).await;
    let queue = browser.get("/console/flags?reason=ring").await;
    let joined = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    assert!(
        queue
            .text
            .contains(&format!(r#"name="ids" value="{joined}""#)),
        "{}",
        queue.text
    );
    assert!(
        queue.text.contains("<svg") && queue.text.contains("<line"),
        "the ring is drawn"
    );
    let token = csrf_of(&queue.text);
    let r = browser
        .post(
            "/console/flags/review",
            &[
                ("csrf", &token),
                ("ids", &joined),
                ("decision", "uphold"),
                ("note", "a ring"),
            ],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    for id in &ids {
        let f = flag(&app, *id).await;
        assert_eq!(
            (f["status"].as_str(), f["reviewed_by"].as_str()),
            (Some("upheld"), Some("mia"))
        );
    }
    assert_eq!(
        app.get("/v1/flags", &app.admin).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // All or none: a group with a decided flag changes nothing.
    let other = app.get("/v1/flags", &app.admin).await.json["items"][0]["id"]
        .as_i64()
        .unwrap();
    let r = browser
        .post(
            "/console/flags/review",
            &[
                ("csrf", &token),
                ("ids", &format!("{other},{}", ids[0])),
                ("decision", "dismiss"),
            ],
        )
        .await;
    assert_eq!(r.status, 409);
    assert_eq!(flag(&app, other).await["status"], "open");
    assert_eq!(app.verify().await["ok"], true);
}

async fn roles_see_and_may_do_only_their_own(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut conn = app.db.conn();
    let moderator = create_key(&mut conn, "mia", Role::Moderator);
    let analyst = create_key(&mut conn, "ann", Role::Analyst);
    let id = begging_flag(&app, "alice", "bob").await;
    app.endorse("x", "y", "rust").await;

    let mut a = Browser::signed_in(&app, &analyst).await;
    let queue = a.get("/console/flags").await;
    assert_eq!(queue.status, 200);
    assert!(queue.text.contains("alice"), "analysts may read the queue");
    assert!(
        !queue.text.contains(r#"name="decision""#),
        "but get no review forms"
    );
    assert!(!queue.text.contains(r#"href="/console/keys""#));
    let token = csrf_of(&queue.text);
    let r = a
        .post(
            &format!("/console/flags/{id}/review"),
            &[("csrf", &token), ("decision", "uphold")],
        )
        .await;
    assert_eq!(r.status, 403, "the server refuses it anyway");
    assert_eq!(flag(&app, id).await["status"], "open");
    assert_eq!(a.get("/console/keys").await.status, 403);
    let r = a
        .post(
            "/console/keys",
            &[("csrf", &token), ("name", "x1"), ("role", "admin")],
        )
        .await;
    assert_eq!(r.status, 403);
    let r = a
        .post(
            "/console/topics/rust/seeds",
            &[("csrf", &token), ("seeds", "x")],
        )
        .await;
    assert_eq!(r.status, 403);
    let topic = a.get("/console/topics/rust").await;
    assert_eq!(topic.status, 200);
    assert!(
        !topic.text.contains("/seeds"),
        "analysts do not see the seeds form"
    );

    let mut m = Browser::signed_in(&app, &moderator).await;
    let queue = m.get("/console/flags").await;
    assert!(queue.text.contains(r#"name="decision""#));
    assert!(
        !queue.text.contains(r#"href="/console/keys""#)
            && !queue.text.contains(r#"href="/console/topics""#)
    );
    assert!(
        !queue.text.contains(r#"href="/console/users/"#),
        "no links to pages moderators may not open"
    );
    for path in [
        "/console/keys",
        "/console/topics",
        "/console/topics/rust",
        "/console/users/alice",
        "/console/topics/rust/leaderboard.csv",
    ] {
        assert_eq!(m.get(path).await.status, 403, "{path}");
    }
    let token = csrf_of(&queue.text);
    assert_eq!(
        m.post("/console/keys/mia/revoke", &[("csrf", &token)])
            .await
            .status,
        403
    );

    let mut admin = Browser::signed_in(&app, &app.admin).await;
    let page = admin.get("/console/flags").await;
    for link in [
        "/console/flags",
        "/console/reviews",
        "/console/topics",
        "/console/keys",
    ] {
        assert!(page.text.contains(&format!(r#"href="{link}""#)), "{link}");
    }
    assert!(page.text.contains(r#"name="decision""#));
}

async fn signing_out_ends_the_session_on_the_server(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut browser = Browser::signed_in(&app, &app.admin).await;
    let session = browser.cookies["plusk_console"].clone();
    let token = browser.token().await;
    let r = browser.post("/console/logout", &[("csrf", &token)]).await;
    assert_eq!((r.status, location(&r)), (303, "/console?signed_out=1"));
    assert!(
        !browser.cookies.contains_key("plusk_console"),
        "the cookie is cleared"
    );
    let r = browser.get("/console?signed_out=1").await;
    assert!(r.text.contains("You are signed out"));
    // The old cookie, replayed, opens nothing: the session ended on the server.
    browser.cookies.insert("plusk_console".into(), session);
    let r = browser.get("/console/flags").await;
    assert_eq!((r.status, location(&r)), (303, "/console?signed_out=1"));
    let r = browser.post("/console/logout", &[("csrf", &token)]).await;
    assert_eq!(r.status, 403);
}

async fn a_revoked_keys_sessions_end(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut conn = app.db.conn();
    let moderator = create_key(&mut conn, "mia", Role::Moderator);
    let analyst = create_key(&mut conn, "ann", Role::Analyst);
    let mut m = Browser::signed_in(&app, &moderator).await;
    let mut a = Browser::signed_in(&app, &analyst).await;
    assert_eq!(m.get("/console/flags").await.status, 200);
    // Revoked over the API…
    assert_eq!(app.delete("/v1/keys/mia", &app.admin).await.status, 204);
    let r = m.get("/console/flags").await;
    assert_eq!((r.status, location(&r)), (303, "/console?signed_out=1"));
    assert_eq!(m.sign_in(&moderator).await.status, 401);
    // … or in the console by an admin.
    let mut admin = Browser::signed_in(&app, &app.admin).await;
    let keys = admin.get("/console/keys").await;
    assert!(keys.text.contains(r#"action="/console/keys/ann/revoke""#));
    let r = admin
        .post(
            "/console/keys/ann/revoke",
            &[("csrf", &csrf_of(&keys.text))],
        )
        .await;
    assert_eq!((r.status, location(&r)), (303, "/console/keys"));
    assert_eq!(a.get("/console/topics").await.status, 303);
    assert_eq!(app.get("/v1/flags", &analyst).await.status, 401);
}

async fn analysts_read_topics_leaderboards_and_users(b: Backend) {
    let Some(app) = spawn_with(b, crate::reputation::quiet(Default::default())).await else {
        return;
    };
    let analyst = create_key(&mut app.db.conn(), "ann", Role::Analyst);
    crate::reputation::endorse_all(
        &app,
        "rust",
        &[("a", "b"), ("c", "b"), ("b", "d"), ("a", "d"), ("e", "b")],
    )
    .await;
    crate::reputation::recompute(&app).await;
    let mut browser = Browser::signed_in(&app, &analyst).await;
    let topics = browser.get("/console/topics").await;
    assert_eq!(topics.status, 200);
    assert!(
        topics.text.contains(r#"href="/console/topics/rust""#),
        "{}",
        topics.text
    );
    let board = browser.get("/console/topics/rust").await;
    assert_eq!(board.status, 200, "{}", board.text);
    assert!(board.text.contains(r#"href="/console/users/b?topic=rust""#));
    assert!(board.text.contains("<svg class=\"bar\""), "score bars");
    assert!(board.text.contains("/console/topics/rust/leaderboard.csv"));
    let csv = browser.get("/console/topics/rust/leaderboard.csv").await;
    assert_eq!(csv.status, 200);
    assert!(csv.header("content-type").unwrap().starts_with("text/csv"));
    assert!(csv
        .header("content-disposition")
        .unwrap()
        .contains("attachment"));
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(lines[0].starts_with("rank,user,score"), "{}", csv.text);
    assert_eq!(lines.len(), 1 + 5, "a header and every user: {}", csv.text);
    assert!(lines[1].starts_with("1,"), "{}", csv.text);
    let user = browser.get("/console/users/b").await;
    assert_eq!(user.status, 200, "{}", user.text);
    assert!(user.text.contains("Why b scores what they do on rust"));
    assert!(
        user.text.contains("<svg class=\"chart\""),
        "the history chart"
    );
    assert!(
        user.text.contains(r#"href="/console/users/a""#),
        "the explain table lists endorsers"
    );
    assert_eq!(browser.get("/console/users/nobody").await.status, 404);
    assert_eq!(
        browser.get("/console/users/not%20a%20handle").await.status,
        400
    );
    assert_eq!(
        browser.get("/console/topics/nothing-here").await.status,
        404
    );
    assert_eq!(
        browser
            .get("/console/topics/rust?cursor=forged")
            .await
            .status,
        400
    );
}

async fn admins_manage_keys_and_seeds(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    app.endorse("a", "b", "rust").await;
    // Seeds must be users plusk has seen (issue 12).
    app.endorse("alice", "bob", "rust").await;
    let mut admin = Browser::signed_in(&app, &app.admin).await;
    let keys = admin.get("/console/keys").await;
    assert_eq!(keys.status, 200);
    let token = csrf_of(&keys.text);
    let r = admin
        .post(
            "/console/keys",
            &[("csrf", &token), ("name", "new-mod"), ("role", "moderator")],
        )
        .await;
    assert_eq!(r.status, 200, "{}", r.text);
    let at = r.text.find("plusk_").expect("the new key is shown once");
    let key: String = r.text[at..].chars().take_while(|c| *c != '"').collect();
    assert_eq!(
        Browser::new(&app).sign_in(&key).await.status,
        303,
        "the new key works"
    );
    assert!(
        !admin.get("/console/keys").await.text.contains(&key),
        "and is never shown again"
    );
    let r = admin
        .post(
            "/console/keys",
            &[("csrf", &token), ("name", "new-mod"), ("role", "moderator")],
        )
        .await;
    assert_eq!(r.status, 409, "names are never reused");
    let r = admin
        .post(
            "/console/keys/new-mod/quota",
            &[("csrf", &token), ("rate_per_sec", "7"), ("burst", "9")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let listed = app.get("/v1/keys", &app.admin).await;
    let k = listed.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["name"] == "new-mod")
        .unwrap()
        .clone();
    assert_eq!(k["rate"], json!({"per_sec": 7, "burst": 9}));
    assert!(admin
        .get("/console/keys")
        .await
        .text
        .contains("7/s, burst 9"));
    let r = admin
        .post(
            "/console/keys/new-mod/quota",
            &[("csrf", &token), ("rate_per_sec", "many")],
        )
        .await;
    assert_eq!(r.status, 400);

    let r = admin
        .post(
            "/console/topics/rust/seeds",
            &[("csrf", &token), ("seeds", "alice, Bob")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.text);
    let seeds = app.get("/v1/topics/rust/seeds", &app.admin).await;
    assert_eq!(seeds.json["seeds"], json!(["alice", "bob"]));
    let page = admin.get("/console/topics/rust").await;
    assert!(page.text.contains("alice bob"), "{}", page.text);
    let r = admin
        .post(
            "/console/topics/rust/seeds",
            &[("csrf", &token), ("seeds", "no/slashes")],
        )
        .await;
    assert_eq!(r.status, 400);
    assert_eq!(app.verify().await["ok"], true);
}

async fn cookies_are_secure_only_behind_a_trusted_tls_proxy(b: Backend) {
    let opts = Options {
        trusted_proxies: "127.0.0.1".parse().unwrap(),
        ..Options::default()
    };
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    let mut browser = Browser::new(&app);
    browser.extra.push(("x-forwarded-proto", "https"));
    let r = browser.sign_in(&app.admin).await;
    assert_eq!(r.status, 303);
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(cookie.contains("; Secure"), "{cookie}");

    let Some(direct) = spawn(b).await else { return };
    let mut browser = Browser::new(&direct);
    browser.extra.push(("x-forwarded-proto", "https"));
    let r = browser.sign_in(&direct.admin).await;
    let cookie = r.header("set-cookie").unwrap().to_string();
    assert!(
        !cookie.contains("Secure"),
        "an untrusted client's header is ignored: {cookie}"
    );
}

async fn idle_sessions_expire(b: Backend) {
    let opts = Options {
        console_idle: Duration::from_millis(1500),
        ..Options::default()
    };
    let Some(app) = spawn_with(b, opts).await else {
        return;
    };
    let mut browser = Browser::signed_in(&app, &app.admin).await;
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(
        browser.get("/console/flags").await.status,
        200,
        "use keeps it alive"
    );
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(browser.get("/console/flags").await.status, 200);
    tokio::time::sleep(Duration::from_millis(1700)).await;
    assert_eq!(
        browser.get("/console/flags").await.status,
        303,
        "idle too long"
    );
}

async fn a_burst_is_drawn_and_decided_together(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    for i in 0..7 {
        app.endorse(&format!("fan{i}"), "newcomer", "music").await;
    }
    let burst = app.get("/v1/flags?reason=burst", &app.admin).await;
    let mut ids: Vec<i64> = burst.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    ids.sort();
    assert!(ids.len() >= 2, "{}", burst.text);
    let mut browser = Browser::signed_in(&app, &app.admin).await;
    let queue = browser.get("/console/flags?reason=burst&topic=music").await;
    assert!(
        queue.text.contains(r#"<svg class="spark""#),
        "{}",
        queue.text
    );
    let joined = ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
    assert!(
        queue
            .text
            .contains(&format!(r#"name="ids" value="{joined}""#)),
        "{}",
        queue.text
    );
    let r = browser
        .post(
            "/console/flags/review",
            &[
                ("csrf", &csrf_of(&queue.text)),
                ("ids", &joined),
                ("decision", "dismiss"),
            ],
        )
        .await;
    assert_eq!(r.status, 303);
    for id in ids {
        assert_eq!(flag(&app, id).await["status"], "dismissed");
    }
}

async fn the_queue_pages_and_filters(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    for i in 0..23 {
        begging_flag(&app, &format!("giver{i}"), &format!("taker{i}")).await;
    }
    begging_flag(&app, "alice", "carol").await;
    let mut browser = Browser::signed_in(&app, &app.admin).await;
    let first = browser.get("/console/flags").await;
    assert_eq!(
        first.text.matches("<article").count(),
        20,
        "a page is 20 flags"
    );
    let at = first.text.find(r#"rel="next""#).expect("a next page");
    let href_at = first.text[..at].rfind("href=\"").unwrap() + 6;
    let next = first.text[href_at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let second = browser.get(&next).await;
    assert_eq!(second.status, 200, "{next}");
    assert_eq!(second.text.matches("<article").count(), 4);
    assert!(!second.text.contains(r#"rel="next""#));
    let carol = browser
        .get("/console/flags?user=carol&status=open&reason=&topic=")
        .await;
    assert_eq!(carol.status, 200, "empty filters mean any");
    assert_eq!(carol.text.matches("<article").count(), 1);
    assert!(
        carol.text.contains(r#"name="user" value="carol""#),
        "the form keeps the filter"
    );
    let none = browser
        .get("/console/flags?topic=writing&reason=ring")
        .await;
    assert_eq!(none.text.matches("<article").count(), 0);
}

async fn a_lockstep_group_and_an_asks_flags_are_decided_together(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    for bot in ["bot1", "bot2", "bot3"] {
        for target in ["x", "y", "z"] {
            app.endorse(bot, target, "crypto").await;
        }
    }
    let ask = json!({"requester": "dave", "target": null, "topic": "writing",
                     "text": "can you please give me a +K on Klout for my blog?"});
    assert_eq!(
        app.post("/v1/solicitations", &app.app_key, &ask)
            .await
            .status,
        201
    );
    for fan in ["ann", "ben"] {
        assert_eq!(
            app.endorse(fan, "dave", "writing").await.json["status"],
            "flagged"
        );
    }
    let ids_of = |page: &Value| {
        let mut ids: Vec<i64> = page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].as_i64().unwrap())
            .collect();
        ids.sort();
        ids.iter().map(i64::to_string).collect::<Vec<_>>().join(",")
    };
    let mut browser = Browser::signed_in(&app, &app.admin).await;
    let lockstep = ids_of(&app.get("/v1/flags?reason=lockstep", &app.admin).await.json);
    assert_eq!(
        lockstep.split(',').count(),
        9,
        "every endorsement of the group is flagged"
    );
    let queue = browser.get("/console/flags?reason=lockstep").await;
    assert!(
        queue
            .text
            .contains(&format!(r#"name="ids" value="{lockstep}""#)),
        "{}",
        queue.text
    );
    let graph = &queue.text[queue.text.find("<svg class=\"graph\"").unwrap()..];
    let graph = &graph[..graph.find("</svg>").unwrap()];
    assert_eq!(
        (
            graph.matches("<circle").count(),
            graph.matches("<line").count()
        ),
        (6, 9),
        "{graph}"
    );
    let solicited = ids_of(&app.get("/v1/flags?reason=solicited", &app.admin).await.json);
    assert_eq!(solicited.split(',').count(), 2);
    let queue = browser.get("/console/flags?reason=solicited").await;
    assert!(
        queue
            .text
            .contains(&format!(r#"name="ids" value="{solicited}""#)),
        "one ask's flags go together"
    );
    let token = csrf_of(&queue.text);
    for (ids, decision) in [(&lockstep, "uphold"), (&solicited, "dismiss")] {
        let r = browser
            .post(
                "/console/flags/review",
                &[("csrf", &token), ("ids", ids), ("decision", decision)],
            )
            .await;
        assert_eq!(r.status, 303, "{}", r.text);
    }
    assert_eq!(
        app.get("/v1/flags", &app.admin).await.json["items"],
        json!([])
    );
    assert_eq!(
        app.get("/v1/flags?status=upheld", &app.admin).await.json["items"]
            .as_array()
            .unwrap()
            .len(),
        9
    );
    assert_eq!(app.verify().await["ok"], true);
}

async fn the_leaderboard_pages_by_fifty(b: Backend) {
    let Some(app) = spawn_with(b, crate::reputation::quiet(Default::default())).await else {
        return;
    };
    let edges: Vec<(String, String)> = (0..60)
        .map(|i| (format!("u{i}"), format!("u{}", (i + 1) % 60)))
        .collect();
    for (a, b) in &edges {
        assert_eq!(app.endorse(a, b, "go").await.status, 201);
    }
    crate::reputation::recompute(&app).await;
    let mut browser = Browser::signed_in(&app, &app.admin).await;
    let first = browser.get("/console/topics/go").await;
    let rows = |html: &str| html.matches(r#"<td class="num">"#).count() / 4;
    assert_eq!(rows(&first.text), 50, "{}", first.text);
    let at = first.text.find(r#"rel="next""#).expect("a next page");
    let href_at = first.text[..at].rfind("href=\"").unwrap() + 6;
    let next = first.text[href_at..].split('"').next().unwrap().to_string();
    let second = browser.get(&next).await;
    assert_eq!(second.status, 200);
    assert_eq!(rows(&second.text), 10);
    assert!(!second.text.contains(r#"rel="next""#));
    let csv = browser.get("/console/topics/go/leaderboard.csv").await;
    assert_eq!(
        csv.text.lines().count(),
        61,
        "the download has every row, not a page"
    );
}
