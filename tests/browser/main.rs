//! The console in a real browser: headless Chromium driven over WebDriver (chromedriver) with
//! fantoccini, against plusk on a fresh SQLite database. Each step saves a screenshot of the
//! page it visits to `target/console-screenshots/`.
//!
//! Needs `/usr/bin/chromium` and `/usr/bin/chromedriver` (Debian `chromium`, `chromium-driver`;
//! `.ci/run` installs them). Without them the tests are skipped, except under `CI=true`.

#[allow(dead_code)]
#[path = "../it/common.rs"]
mod common;
mod driver;

use std::time::Duration;

use fantoccini::actions::{InputSource, KeyAction, KeyActions};
use fantoccini::{Client, Locator};
use plusk::domain::keys::Role;
use serde_json::{json, Value};

use common::{create_key, spawn_with, Backend, Options, TestApp};
use driver::Driver;

/// A small world to look at: a begged-for endorsement and a begging note, a ring, a burst,
/// and scores computed on three days (older runs moved back in time, as daily snapshots).
async fn world() -> TestApp {
    let hour = Duration::from_secs(3600);
    let opts = Options {
        daily_budget: None,
        reputation: plusk::service::reputation::worker::Schedule {
            params: Default::default(),
            debounce: hour,
            max_delay: hour,
            every: hour,
            keep_snapshots: None,
            ..Default::default()
        },
        ..Options::default()
    };
    let app = spawn_with(Backend::Sqlite, opts).await.expect("SQLite");
    let days: [&[(&str, &str)]; 3] = [
        &[
            ("ada", "grace"),
            ("grace", "ken"),
            ("ada", "ken"),
            ("alan", "ken"),
        ],
        &[("linus", "grace"), ("dennis", "grace"), ("barbara", "ken")],
        &[
            ("edsger", "grace"),
            ("margaret", "grace"),
            ("barbara", "grace"),
        ],
    ];
    for (i, edges) in days.iter().enumerate() {
        for (a, b) in *edges {
            assert_eq!(app.endorse(a, b, "rust").await.status, 201);
        }
        let r = app
            .post("/v1/reputation/recompute", &app.admin, &json!({}))
            .await;
        assert_eq!(r.status, 200, "{}", r.text);
        if i + 1 < days.len() {
            app.db
                .exec("UPDATE reputation_runs SET computed_at = datetime(computed_at, '-1 days')");
        }
    }
    for (a, b) in [
        ("mallory", "trent"),
        ("trent", "peggy"),
        ("peggy", "mallory"),
    ] {
        assert_eq!(app.endorse(a, b, "rust").await.status, 201);
    }
    for i in 0..7 {
        let r = app.endorse(&format!("fan{i}"), "newcomer", "rust").await;
        assert_eq!(r.status, 201);
    }
    let ask = json!({"requester": "eve", "target": "bob", "topic": "rust",
                     "text": "Hey Bob, could you please give me a +K on rust? I really need the karma"});
    assert_eq!(
        app.post("/v1/solicitations", &app.app_key, &ask)
            .await
            .status,
        201
    );
    assert_eq!(app.endorse("bob", "eve", "rust").await.status, 201);
    let note = json!({"endorser": "oscar", "endorsee": "ada", "topic": "rust",
                      "note": "I endorsed you, please endorse me back!"});
    assert_eq!(
        app.post("/v1/endorsements", &app.app_key, &note)
            .await
            .status,
        201
    );
    app
}

async fn open_flags(app: &TestApp) -> Vec<Value> {
    app.get("/v1/flags?limit=100", &app.admin).await.json["items"]
        .as_array()
        .unwrap()
        .clone()
}

async fn press(c: &Client, key: char) {
    let keys = KeyActions::new("keyboard".into())
        .then(KeyAction::Down { value: key })
        .then(KeyAction::Up { value: key });
    c.perform_actions(keys).await.expect("key press");
}

async fn sign_in(d: &mut Driver, app: &TestApp, key: &str) {
    let c = d.client();
    c.goto(&app.url("/console")).await.unwrap();
    d.shot("sign-in").await;
    let c = d.client();
    c.find(Locator::Css("input[name=key]"))
        .await
        .unwrap()
        .send_keys(key)
        .await
        .unwrap();
    mark(&c).await;
    c.find(Locator::Css("form.signin button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    loaded(&c).await;
}

/// Marks the current document, so [`loaded`] can tell when another has replaced it.
async fn mark(c: &Client) {
    c.execute("window.pluskOldPage = true;", vec![])
        .await
        .unwrap();
}

/// Waits until a new document (after a form post or a link) has replaced the marked one and
/// has loaded: elements found before then may belong to the old page.
async fn loaded(c: &Client) {
    let script = "return window.pluskOldPage === undefined && document.readyState === 'complete';";
    for _ in 0..100 {
        if matches!(c.execute(script, vec![]).await, Ok(Value::Bool(true))) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no new page after 10 s");
}

async fn path_of(c: &Client) -> String {
    let url = c.current_url().await.unwrap();
    match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_moderator_reviews_with_the_keyboard_and_the_mouse() {
    let Some(mut d) = Driver::start("moderator", 1280, 1600).await else {
        return;
    };
    let app = world().await;
    let moderator = create_key(&mut app.db.conn(), "mia", Role::Moderator);
    sign_in(&mut d, &app, &moderator).await;
    let c = d.client();
    assert_eq!(path_of(&c).await, "/console/flags");
    // The evidence at a glance: the ring drawn as a graph, the burst as a sparkline.
    for chart in ["svg.graph line", "svg.spark polyline", "mark"] {
        c.find(Locator::Css(chart)).await.unwrap();
    }
    d.shot("queue").await;
    let before = open_flags(&app).await;
    let first = before[0]["id"].as_i64().unwrap();

    // Keyboard: j selects the first flag, u upholds it.
    let c = d.client();
    press(&c, 'j').await;
    let current = c.find(Locator::Css("article.flag.current")).await.unwrap();
    assert_eq!(
        current.attr("data-flag").await.unwrap(),
        Some(first.to_string())
    );
    d.shot("queue-first-selected").await;
    let c = d.client();
    mark(&c).await;
    press(&c, 'u').await;
    loaded(&c).await;
    wait_until(|| async { flag_status(&app, first).await == "upheld" }).await;
    d.shot("queue-after-uphold").await;
    let f = app
        .get(&format!("/v1/flags/{first}"), &app.admin)
        .await
        .json;
    assert_eq!(f["reviewed_by"], "mia");

    // Keyboard again: j j k lands on the first row, n opens its note, Escape leaves it, d
    // dismisses that flag with the note.
    let c = d.client();
    let second = open_flags(&app).await[0]["id"].as_i64().unwrap();
    for key in ['j', 'j', 'k', 'n'] {
        press(&c, key).await;
    }
    let active: Value = c
        .execute(
            "return document.activeElement.name + ':' + document.activeElement.id;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(active, json!(format!("note:note-{second}")));
    for ch in "keyboard".chars() {
        press(&c, ch).await;
    }
    press(&c, '\u{E00C}').await; // Escape
    mark(&c).await;
    press(&c, 'd').await;
    loaded(&c).await;
    wait_until(|| async { flag_status(&app, second).await == "dismissed" }).await;
    d.shot("queue-after-keyboard-dismiss").await;
    let f = app
        .get(&format!("/v1/flags/{second}"), &app.admin)
        .await
        .json;
    assert_eq!(f["review_note"], "keyboard", "{f}");

    // Mouse: the dismiss button of a ring flag, with a note typed in first.
    let c = d.client();
    let note_flag = open_flags(&app)
        .await
        .into_iter()
        .find(|f| f["reason"] == "ring")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let row = c
        .find(Locator::Css(&format!("#flag-{note_flag}")))
        .await
        .unwrap();
    row.find(Locator::Css("form.review:not(.bulk) input[name=note]"))
        .await
        .unwrap()
        .send_keys("colleagues for years, not a ring")
        .await
        .unwrap();
    mark(&c).await;
    row.find(Locator::Css("form.review:not(.bulk) button[value=dismiss]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    loaded(&c).await;
    wait_until(|| async { flag_status(&app, note_flag).await == "dismissed" }).await;
    d.shot("queue-after-dismiss").await;
    let f = app
        .get(&format!("/v1/flags/{note_flag}"), &app.admin)
        .await
        .json;
    assert_eq!(f["review_note"], "colleagues for years, not a ring");

    // The history names who decided.
    let c = d.client();
    c.goto(&app.url("/console/reviews")).await.unwrap();
    let text = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("mia") && text.contains("upheld") && text.contains("dismissed"),
        "{text}"
    );
    d.shot("reviews").await;

    // At 375 px the queue is one column with every control reachable.
    let c = d.client();
    c.set_window_size(375, 800).await.unwrap();
    c.goto(&app.url("/console/flags")).await.unwrap();
    let overflow: Value = c
        .execute(
            "return document.documentElement.scrollWidth - window.innerWidth;",
            vec![],
        )
        .await
        .unwrap();
    assert!(
        overflow.as_i64().unwrap_or(999) <= 0,
        "no sideways scrolling at 375 px: {overflow}"
    );
    d.shot("queue-375").await;

    // Sign out: back to the form, and the queue is closed.
    let c = d.client();
    c.find(Locator::Css("form[action='/console/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("input[name=key]"))
        .await
        .unwrap();
    d.shot("signed-out").await;
    let c = d.client();
    c.goto(&app.url("/console/flags")).await.unwrap();
    assert!(path_of(&c).await.starts_with("/console?signed_out"));
    d.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_analyst_reads_a_leaderboard_its_csv_and_a_user() {
    let Some(mut d) = Driver::start("analyst", 1280, 1200).await else {
        return;
    };
    let app = world().await;
    let analyst = create_key(&mut app.db.conn(), "ann", Role::Analyst);
    sign_in(&mut d, &app, &analyst).await;
    let c = d.client();
    assert_eq!(path_of(&c).await, "/console/topics");
    d.shot("topics").await;
    let c = d.client();
    c.find(Locator::LinkText("rust"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("table.board"))
        .await
        .unwrap();
    assert_eq!(path_of(&c).await, "/console/topics/rust");
    let bars = c
        .find_all(Locator::Css("table.board svg.bar"))
        .await
        .unwrap();
    assert!(bars.len() >= 5, "a bar per user");
    d.shot("leaderboard").await;

    // The CSV download lands in the browser's download folder.
    let c = d.client();
    c.find(Locator::LinkText("Download CSV"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let file = d.downloads.join("leaderboard-rust.csv");
    wait_until(|| async { std::fs::read_to_string(&file).is_ok_and(|t| t.lines().count() > 5) })
        .await;
    let csv = std::fs::read_to_string(&file).unwrap();
    assert!(csv.starts_with("rank,user,score"), "{csv}");
    assert!(csv.lines().nth(1).unwrap().starts_with("1,"), "{csv}");

    // A user: scores per topic, the explain table and the history chart.
    let c = d.client();
    c.find(Locator::LinkText("grace"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("svg.chart"))
        .await
        .unwrap();
    let rows = c
        .find_all(Locator::Css("table.explain tbody tr"))
        .await
        .unwrap();
    assert!(rows.len() >= 3, "grace's endorsers are listed");
    let points = c.find_all(Locator::Css("svg.chart circle")).await.unwrap();
    assert_eq!(points.len(), 3, "a point a day");
    let chart = c.find(Locator::Css("svg.chart")).await.unwrap();
    assert!(chart
        .attr("aria-label")
        .await
        .unwrap()
        .unwrap()
        .contains("grace"));
    d.shot("user").await;
    let c = d.client();
    c.find(Locator::Css("form[action='/console/logout'] button"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    c.wait()
        .for_element(Locator::Css("input[name=key]"))
        .await
        .unwrap();
    d.shot("signed-out").await;
    d.finish().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_app_key_is_refused_in_the_browser() {
    let Some(mut d) = Driver::start("app-key", 1280, 900).await else {
        return;
    };
    let app = world().await;
    sign_in(&mut d, &app, &app.app_key.clone()).await;
    let c = d.client();
    let text = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(text.contains("App keys cannot sign in"), "{text}");
    d.shot("app-key-refused").await;
    d.finish().await;
}

async fn flag_status(app: &TestApp, id: i64) -> String {
    app.get(&format!("/v1/flags/{id}"), &app.admin).await.json["status"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// Polls `ready` for up to ten seconds.
async fn wait_until<F, Fut>(mut ready: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..100 {
        if ready().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not ready after 10 s");
}
