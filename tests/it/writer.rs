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
