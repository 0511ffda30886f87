//! The group-commit writer: a write that fails after writing leaves nothing behind, and the
//! writer goes on serving.

use plusk::db::{self, PoolOptions};
use plusk::service::writer::Writer;
use plusk::service::Error;

use crate::both_backends;
use crate::common::{count_rows, Backend, TestDb};

both_backends!(a_faulting_write_is_rolled_back_and_the_writer_goes_on);

async fn a_faulting_write_is_rolled_back_and_the_writer_goes_on(b: Backend) {
    let Some(test_db) = TestDb::new(b) else {
        return;
    };
    drop(test_db.conn());
    let pool = db::build_pool(&test_db.db_url(), &PoolOptions::default()).unwrap();
    let writer = Writer::start(pool).unwrap();
    let now = plusk::domain::time::now();

    let faulted = writer
        .write(move |conn| {
            plusk::storage::topics::insert(conn, "half-written", now)?;
            Err::<(), _>(Error::Internal("failed after writing".into()))
        })
        .await;
    assert!(matches!(faulted, Err(Error::Internal(_))), "{faulted:?}");
    assert_eq!(
        count_rows(&test_db, "topics"),
        0,
        "the batch was rolled back"
    );

    // A refusal (which comes before its write writes anything) reaches its caller as that
    // refusal, and does not roll back the writes batched with it: sent together, the one beside
    // it commits.
    let (refused, beside) = futures::future::join(
        writer.write(|_| Err::<(), _>(Error::Rejected(plusk::domain::Rejection::SelfEndorsement))),
        writer.write(move |conn| Ok(plusk::storage::topics::insert(conn, "beside", now)?)),
    )
    .await;
    assert!(
        matches!(
            refused,
            Err(Error::Rejected(plusk::domain::Rejection::SelfEndorsement))
        ),
        "{refused:?}"
    );
    assert!(beside.is_ok(), "{beside:?}");
    assert_eq!(
        count_rows(&test_db, "topics"),
        1,
        "the write beside the refusal was committed"
    );

    let ids = futures::future::join_all((0..20).map(|i| {
        writer.write(move |conn| {
            Ok(plusk::storage::topics::insert(
                conn,
                &format!("topic-{i}"),
                now,
            )?)
        })
    }))
    .await;
    assert!(ids.iter().all(|r| r.is_ok()), "{ids:?}");
    assert_eq!(
        count_rows(&test_db, "topics"),
        21,
        "every acknowledged write is committed"
    );
}

/// The server's writer answers a SQLite write only once the write-ahead log holding it is
/// synced (see `service::writer::sync`). When the log can no longer be synced, the write is
/// not acknowledged (503, never 201), and neither is any later one: a failed fsync may have
/// lost pages that later frames build on.
#[tokio::test]
async fn a_write_whose_log_cannot_be_synced_is_not_acknowledged() {
    let app = crate::common::spawn(Backend::Sqlite).await.unwrap();
    let first = app.endorse("ann", "bob", "rust").await;
    assert_eq!(first.status, 201, "{}", first.text);

    // SQLite keeps writing to the log through the handle it holds; the name now leads
    // nowhere (a link to itself), so opening it to sync fails.
    let db = app.db.url.trim_start_matches("sqlite://").to_string();
    let wal = std::path::PathBuf::from(format!("{db}-wal"));
    assert!(wal.exists(), "the server's database runs in WAL mode");
    std::fs::remove_file(&wal).unwrap();
    std::os::unix::fs::symlink(&wal, &wal).unwrap();

    for endorser in ["cy", "dee"] {
        app.endorse(endorser, "bob", "rust")
            .await
            .assert_problem(503, "database_unavailable");
    }
}
