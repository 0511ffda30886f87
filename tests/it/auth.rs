//! Keys and roles: 401 without a valid key, 403 for the wrong role; keys shown once, stored hashed.

use serde_json::json;

use crate::both_backends;
use crate::common::{create_key, spawn, Backend};
use plusk::domain::keys::Role;

both_backends!(
    missing_unknown_and_revoked_keys_are_401,
    roles_gate_routes,
    admin_manages_keys,
    keys_are_stored_only_as_hashes,
    no_key_is_anywhere_in_the_database
);

async fn missing_unknown_and_revoked_keys_are_401(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let no_key = app
        .client
        .get(app.url("/v1/endorsements"))
        .send()
        .await
        .unwrap();
    crate::common::read(no_key)
        .await
        .assert_problem(401, "unauthorized");
    let basic = app
        .client
        .get(app.url("/v1/endorsements"))
        .header("authorization", format!("Basic {}", app.app_key))
        .send()
        .await
        .unwrap();
    crate::common::read(basic)
        .await
        .assert_problem(401, "unauthorized");
    app.get("/v1/endorsements", "plusk_not-a-real-key")
        .await
        .assert_problem(401, "unauthorized");
    // 401 comes before any body parsing.
    app.post_raw("/v1/endorsements", "nope", "application/json", "{broken")
        .await
        .assert_problem(401, "unauthorized");
    let doomed = create_key(&mut app.db.conn(), "doomed", Role::App);
    assert_eq!(app.get("/v1/endorsements", &doomed).await.status, 200);
    assert_eq!(app.delete("/v1/keys/doomed", &app.admin).await.status, 204);
    app.get("/v1/endorsements", &doomed)
        .await
        .assert_problem(401, "unauthorized");
    // Probes and docs need no key.
    for path in ["/healthz", "/readyz", "/openapi.json", "/docs/"] {
        let r = app.client.get(app.url(path)).send().await.unwrap();
        assert_eq!(r.status().as_u16(), 200, "{path}");
    }
}

async fn roles_gate_routes(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut conn = app.db.conn();
    let moderator = create_key(&mut conn, "mod", Role::Moderator);
    let analyst = create_key(&mut conn, "analyst", Role::Analyst);
    let body = json!({"endorser": "alice", "endorsee": "bob", "topic": "writing"});
    for key in [&moderator, &analyst] {
        app.post("/v1/endorsements", key, &body)
            .await
            .assert_problem(403, "forbidden");
        app.get("/v1/keys", key)
            .await
            .assert_problem(403, "forbidden");
        for read in [
            "/v1/endorsements",
            "/v1/ledger",
            "/v1/ledger/verify",
            "/v1/topics",
        ] {
            assert_eq!(app.get(read, key).await.status, 200, "{read}");
        }
    }
    app.get("/v1/keys", &app.app_key)
        .await
        .assert_problem(403, "forbidden");
    let new_key = json!({"name": "x", "role": "admin"});
    app.post("/v1/keys", &app.app_key, &new_key)
        .await
        .assert_problem(403, "forbidden");
    app.delete("/v1/keys/test-admin", &app.app_key)
        .await
        .assert_problem(403, "forbidden");
    assert_eq!(
        app.post("/v1/endorsements", &app.admin, &body).await.status,
        201,
        "admin may do everything"
    );
}

async fn admin_manages_keys(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let r = app
        .post(
            "/v1/keys",
            &app.admin,
            &json!({"name": "mobile-app", "role": "app"}),
        )
        .await;
    assert_eq!(r.status, 201, "{}", r.text);
    assert_eq!(
        (r.json["name"].as_str(), r.json["role"].as_str()),
        (Some("mobile-app"), Some("app"))
    );
    let key = r.json["key"].as_str().unwrap().to_string();
    assert!(key.starts_with("plusk_") && key.len() >= 40, "{key}");
    assert_eq!(app.endorse("a", "b", "t").await.status, 201);
    let via_new = app
        .post(
            "/v1/endorsements",
            &key,
            &json!({"endorser": "c", "endorsee": "d", "topic": "t"}),
        )
        .await;
    assert_eq!(via_new.status, 201, "{}", via_new.text);

    app.post(
        "/v1/keys",
        &app.admin,
        &json!({"name": "mobile-app", "role": "analyst"}),
    )
    .await
    .assert_problem(409, "key_exists");
    app.post(
        "/v1/keys",
        &app.admin,
        &json!({"name": "x", "role": "root"}),
    )
    .await
    .assert_problem(400, "invalid_json");
    app.post(
        "/v1/keys",
        &app.admin,
        &json!({"name": "bad name", "role": "app"}),
    )
    .await
    .assert_problem(400, "invalid_handle");

    let list = app.get("/v1/keys", &app.admin).await;
    assert_eq!(list.status, 200);
    assert!(!list.text.contains(&key), "a listing never shows a key");
    let names: Vec<&str> = list.json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["test-admin", "test-app", "mobile-app"]);

    assert_eq!(
        app.delete("/v1/keys/mobile-app", &app.admin).await.status,
        204
    );
    app.delete("/v1/keys/mobile-app", &app.admin)
        .await
        .assert_problem(404, "not_found");
    app.get("/v1/endorsements", &key)
        .await
        .assert_problem(401, "unauthorized");
    let list = app.get("/v1/keys", &app.admin).await;
    assert!(
        list.json["items"][2]["revoked_at"].as_str().is_some(),
        "{}",
        list.text
    );
}

async fn keys_are_stored_only_as_hashes(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let keys = plusk::service::keys::list(&mut app.db.conn()).unwrap();
    assert_eq!(keys.len(), 2);
    let dump = dump_keys_table(&app.db);
    for key in [&app.admin, &app.app_key] {
        let secret = &key["plusk_".len()..];
        assert!(!dump.contains(secret), "a key is stored in clear");
        assert!(
            dump.contains(&plusk::domain::keys::hash_key(key)),
            "its hash is stored"
        );
    }
}

#[derive(diesel::QueryableByName)]
struct KeyText {
    #[diesel(sql_type = diesel::sql_types::Text)]
    t: String,
}

/// Every column of every key row, as text.
fn dump_keys_table(db: &crate::common::TestDb) -> String {
    use diesel::RunQueryDsl;
    use plusk::db::DbConn;
    let sql = "SELECT name || '|' || role || '|' || key_hash AS t FROM api_keys";
    let rows = match db.conn() {
        DbConn::Sqlite(mut c) => diesel::sql_query(sql).load::<KeyText>(&mut c),
        DbConn::Pg(mut c) => diesel::sql_query(sql).load::<KeyText>(&mut c),
    }
    .unwrap();
    rows.into_iter().map(|r| r.t).collect::<Vec<_>>().join("\n")
}

/// The whole database, not just the key table: the SQLite file and its write-ahead log as raw
/// bytes, or a `pg_dump` of the PostgreSQL database, after keys were created through the API
/// and the CLI, used, mistyped and revoked.
async fn no_key_is_anywhere_in_the_database(b: Backend) {
    let Some(app) = spawn(b).await else { return };
    let mut keys = vec![app.admin.clone(), app.app_key.clone()];
    for role in ["moderator", "analyst", "app"] {
        let body = json!({"name": format!("made-{role}"), "role": role});
        let r = app.post("/v1/keys", &app.admin, &body).await;
        assert_eq!(r.status, 201, "{}", r.text);
        keys.push(r.json["key"].as_str().unwrap().to_string());
    }
    for key in &keys {
        assert_eq!(app.get("/v1/topics", key).await.status, 200);
    }
    let typo = format!("{}x", app.app_key);
    assert_eq!(app.get("/v1/topics", &typo).await.status, 401);
    keys.push(typo);
    assert_eq!(
        app.delete("/v1/keys/made-app", &app.admin).await.status,
        204
    );
    assert_eq!(app.endorse("ann", "bob", "writing").await.status, 201);

    let dump: Vec<u8> = match b {
        Backend::Sqlite => {
            let path = app.db.url.trim_start_matches("sqlite://").to_string();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes.extend(std::fs::read(format!("{path}-wal")).unwrap_or_default());
            bytes
        }
        Backend::Postgres => {
            let out = std::process::Command::new("pg_dump")
                .arg(&app.db.url)
                .output()
                .expect("pg_dump");
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            out.stdout
        }
    };
    assert!(dump.len() > 10_000, "the dump holds the database");
    let hash = plusk::domain::keys::hash_key(&app.admin);
    assert!(
        dump.windows(hash.len()).any(|w| w == hash.as_bytes()),
        "the scan can see what is stored (the admin key's hash)"
    );
    for key in &keys {
        let secret = &key.as_bytes()["plusk_".len()..];
        assert!(
            !dump.windows(secret.len()).any(|w| w == secret),
            "a key is in the database in clear"
        );
    }
}
