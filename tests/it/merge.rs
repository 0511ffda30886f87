//! Issue 12: topics older versions stored under slugs no request can name now (`-rust--lang-`)
//! are found by `plusk topics odd` and folded by `plusk topics merge`, which keeps the ledger
//! verifiable and a running server's rules in step.

use std::process::Output;

use plusk::domain::endorsement::Status;
use plusk::domain::ledger::Created;
use plusk::service::{model, tx::Tx};
use serde_json::{json, Value};

use crate::both_backends;
use crate::common::{plusk, spawn, Backend, TestApp, TestDb};

both_backends!(
    an_odd_topic_is_merged_into_its_normal_form,
    writes_naming_a_merged_topic_go_where_it_went
);

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// Records `endorser` +K `endorsee` in the topic stored as `slug`, exactly as versions before
/// slugs were normalised did: the entry and the rows name the slug as given.
fn plant(db: &TestDb, endorser: &str, endorsee: &str, slug: &str) {
    let mut conn = db.conn();
    plusk::db::write_tx(&mut conn, |conn| -> plusk::service::Result<()> {
        let mut slot = None;
        let m = model::ready(conn, &mut slot, &Default::default())?;
        let mut tx = Tx::new(conn, m);
        let at = plusk::domain::time::now();
        let (a, b) = (tx.user_id(endorser, at), tx.user_id(endorsee, at));
        let t = tx.topic_id(slug, at, None);
        let (seq, _) = tx.append(at, |seq| Created {
            id: seq,
            endorser: endorser.into(),
            endorsee: endorsee.into(),
            topic: slug.into(),
            note: None,
            created_at: at,
            created_by: None,
        });
        tx.insert_endorsement(plusk::storage::endorsements::NewRow {
            id: seq,
            endorser_id: a,
            endorsee_id: b,
            topic_id: t,
            note: None,
            status: Status::Active,
            created_at: at,
            created_by: None,
            entry_hash: tx.head_hash(),
            entry_at: None,
        });
        tx.flush()
    })
    .expect("plant an endorsement in an odd topic");
}

fn statuses(app_json: &Value) -> Vec<(String, String, String)> {
    let mut out: Vec<_> = app_json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let s = |k: &str| e[k].as_str().unwrap().to_string();
            (s("endorser"), s("endorsee"), s("status"))
        })
        .collect();
    out.sort();
    out
}

async fn merged_entries(app: &TestApp) -> Vec<Value> {
    let r = app.get("/v1/ledger?kind=topic.merged", &app.admin).await;
    assert_eq!(r.status, 200, "{}", r.text);
    r.json["items"].as_array().unwrap().clone()
}

async fn an_odd_topic_is_merged_into_its_normal_form(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    // Written by an older version while the server runs: its writer catches up with them.
    plant(&app.db, "ann", "bob", "-rust--lang-");
    plant(&app.db, "cy", "bob", "-rust--lang-");
    let r = app.endorse("dee", "bob", "rust-lang").await;
    assert_eq!(r.status, 201, "{}", r.text);
    // Also live in the odd topic: the younger of the two is revoked by the merge.
    let r = app.endorse("ann", "bob", "rust-lang").await;
    assert_eq!(r.status, 201, "{}", r.text);
    let duplicate_id = r.json["id"].as_i64().unwrap();

    let odd = plusk(&app.db, &["topics", "odd"]);
    assert!(odd.status.success(), "{}", text(&odd));
    assert_eq!(
        String::from_utf8_lossy(&odd.stdout),
        "-rust--lang-\tplusk topics merge -- '-rust--lang-' rust-lang\n"
    );
    let merged = plusk(&app.db, &["topics", "merge", "-rust--lang-", "rust-lang"]);
    assert!(merged.status.success(), "{}", text(&merged));
    assert!(
        text(&merged).contains(&format!(
            "2 endorsement(s) moved, 1 revoked as duplicates ({duplicate_id})"
        )),
        "{}",
        text(&merged)
    );
    let odd = plusk(&app.db, &["topics", "odd"]);
    assert_eq!(String::from_utf8_lossy(&odd.stdout), "", "none left");

    let listed = app
        .get("/v1/endorsements?topic=rust-lang&status=all", &app.admin)
        .await;
    let want = [
        ("ann", "bob", "active"),
        ("ann", "bob", "revoked"),
        ("cy", "bob", "active"),
        ("dee", "bob", "active"),
    ]
    .map(|(a, b, s)| (a.to_string(), b.to_string(), s.to_string()));
    assert_eq!(statuses(&listed.json), want.to_vec(), "{}", listed.text);
    let topics = app.get("/v1/topics", &app.admin).await;
    let slugs = crate::common::item_strings(&topics.json, "slug");
    assert_eq!(slugs, ["rust-lang"], "the merged topic is not listed");
    assert_eq!(topics.json["items"][0]["endorsements"]["active"], 3);

    // The running server's writer follows the merge: cy's endorsement is in rust-lang now, so
    // a second one is a duplicate (without the reload it would reach the database's unique
    // index and fail as a fault).
    app.endorse("cy", "bob", "rust-lang")
        .await
        .assert_problem(409, "duplicate_endorsement");
    app.endorse("ann", "bob", "rust-lang")
        .await
        .assert_problem(409, "duplicate_endorsement");

    let entries = merged_entries(&app).await;
    assert_eq!(entries.len(), 1);
    assert_eq!(
        entries[0]["payload"],
        json!({"from": "-rust--lang-", "into": "rust-lang", "moved": 2,
               "revoked": [duplicate_id], "by": null})
    );
    assert_eq!(app.verify().await["ok"], true);
    let verify = plusk(&app.db, &["ledger", "verify"]);
    assert!(verify.status.success(), "{}", text(&verify));

    let again = plusk(&app.db, &["topics", "merge", "-rust--lang-", "rust-lang"]);
    assert!(!again.status.success());
    assert!(
        text(&again).contains("topic -rust--lang- was merged into rust-lang already"),
        "{}",
        text(&again)
    );
    let missing = plusk(&app.db, &["topics", "merge", "nope", "rust"]);
    assert!(!missing.status.success());
    assert!(
        text(&missing).contains("topic nope not found"),
        "{}",
        text(&missing)
    );

    // What the merge left is covered by verify like the rest.
    app.db.exec("UPDATE topics SET merged_into = NULL");
    let v = app.verify().await;
    assert_eq!(v["ok"], false, "an undone merge pointer: {v}");
    app.db.exec(
        "UPDATE topics SET merged_into = (SELECT id FROM topics WHERE slug = 'rust-lang') \
         WHERE slug = '-rust--lang-'",
    );
    assert_eq!(app.verify().await["ok"], true);
    app.db
        .exec("UPDATE endorsements SET origin_topic_id = NULL");
    let v = app.verify().await;
    assert_eq!(
        v["ok"], false,
        "a moved endorsement that forgot its topic: {v}"
    );
}

async fn writes_naming_a_merged_topic_go_where_it_went(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    // Remembered with the topic it named then; verify must still accept it after the merge.
    let body = json!({"endorser": "ann", "endorsee": "bob", "topic": "rust-lang"});
    assert_eq!(app.endorse_once("first", &body).await.status, 201);
    assert_eq!(app.endorse("cy", "dee", "rust").await.status, 201);
    let r = app.set_seeds("rust-lang", &["bob"]).await;
    assert_eq!(r.status, 200, "{}", r.text);
    let r = app.set_seeds("rust", &["dee"]).await;
    assert_eq!(r.status, 200, "{}", r.text);

    let merged = plusk(&app.db, &["topics", "merge", "rust-lang", "rust"]);
    assert!(merged.status.success(), "{}", text(&merged));

    let r = app.endorse("eve", "bob", "rust-lang").await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        r.json["topic"], "rust",
        "a write naming the merged topic goes to rust"
    );
    app.endorse("ann", "bob", "rust-lang")
        .await
        .assert_problem(409, "duplicate_endorsement");
    let detail = app.get("/v1/topics/rust-lang", &app.admin).await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    assert_eq!(detail.json["slug"], "rust");
    assert_eq!(detail.json["endorsements"]["active"], 3, "{}", detail.text);
    let seeds = app.get("/v1/topics/rust/seeds", &app.admin).await;
    assert_eq!(
        seeds.json["seeds"],
        json!(["bob", "dee"]),
        "seeds are joined"
    );
    // The idempotent retry still answers what it answered first.
    assert_eq!(app.endorse_once("first", &body).await.status, 201);
    assert_eq!(app.verify().await["ok"], true);

    // A topic merged before follows the next merge.
    let merged = plusk(&app.db, &["topics", "merge", "rust", "programming"]);
    assert!(merged.status.success(), "{}", text(&merged));
    assert!(
        text(&merged).contains("into programming (created)"),
        "{}",
        text(&merged)
    );
    let r = app.endorse("fay", "bob", "rust-lang").await;
    assert_eq!(r.json["topic"], "programming", "{}", r.text);
    assert_eq!(app.verify().await["ok"], true);
}
