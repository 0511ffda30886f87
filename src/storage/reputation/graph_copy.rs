//! The endorsement graph read out of PostgreSQL with one binary `COPY … TO STDOUT`: the rows
//! stream to the client while the server still produces them, where a query's rows arrive only
//! once the whole result is built (libpq holds it), and each row costs a few bytes to decode.

use std::io::{BufRead, Read};

use diesel::connection::SimpleConnection;
use diesel::pg::{CopyFormat, CopyTarget, Pg, PgConnection};
use diesel::query_builder::AstPass;
use diesel::result::Error as DieselError;
use diesel::sql_types;
use diesel::{QueryResult, RunQueryDsl};

use super::graph::GraphRow;
use crate::db::instant::Stamp;
use crate::db::schema::endorsements;
use crate::domain::endorsement::Status;

/// The binary format's signature, which opens the stream.
const SIGNATURE: &[u8; 11] = b"PGCOPY\n\xff\r\n\0";
/// Columns of each row, in the order the query selects them.
const COLUMNS: i16 = 7;

/// The graph's rows as `COPY` reads them: every endorsement that is not revoked, in id order
/// (the order SQLite reads them in), of one topic when `ONE_TOPIC`: the topic named by the
/// transaction's setting `plusk.graph_topic` (`CopyTarget` writes its SQL from the type alone, so
/// the value cannot be bound the usual way).
struct GraphQuery<const ONE_TOPIC: bool>;

impl<const ONE_TOPIC: bool> CopyTarget for GraphQuery<ONE_TOPIC> {
    type Table = endorsements::table;
    type SqlType = (
        sql_types::BigInt,
        sql_types::Integer,
        sql_types::Integer,
        sql_types::Integer,
        sql_types::Bool,
        sql_types::Bool,
        sql_types::Timestamp,
    );

    fn walk_target(mut pass: AstPass<'_, '_, Pg>) -> QueryResult<()> {
        let (flagged, voided, active) = (
            Status::Flagged.as_str(),
            Status::Voided.as_str(),
            Status::Active.as_str(),
        );
        let topic = if ONE_TOPIC {
            " AND topic_id = current_setting('plusk.graph_topic')::INTEGER"
        } else {
            ""
        };
        pass.push_sql(&format!(
            "(SELECT id, topic_id, endorser_id, endorsee_id, status = '{flagged}', \
             status = '{voided}', created_at FROM endorsements \
             WHERE status IN ('{active}', '{flagged}', '{voided}'){topic} ORDER BY id)"
        ));
        Ok(())
    }
}

/// Hands every row of the graph (of `topic` alone, if given) to `each` as it arrives. Inside a
/// transaction: the topic is set for that transaction only.
pub fn graph_copy(
    conn: &mut PgConnection,
    topic: Option<i32>,
    each: &mut dyn FnMut(GraphRow),
) -> QueryResult<()> {
    let read = match topic {
        Some(t) => {
            diesel::sql_query("SELECT set_config('plusk.graph_topic', $1, true)")
                .bind::<sql_types::Text, _>(t.to_string())
                .execute(conn)?;
            let out = diesel::copy_to(GraphQuery::<true>)
                .with_format(CopyFormat::Binary)
                .load_raw(conn)?;
            read_all(out, each)
        }
        None => {
            let out = diesel::copy_to(GraphQuery::<false>)
                .with_format(CopyFormat::Binary)
                .load_raw(conn)?;
            read_all(out, each)
        }
    };
    // diesel hands the stream over but never collects the COPY's final result, and until
    // something does, every prepared statement on this connection fails ("another command is
    // already in progress"). A simple query collects and discards it first.
    conn.batch_execute("SELECT 1")?;
    read.map_err(|e| DieselError::DeserializationError(e.into()))
}

/// [`read_rows`], then the rest of the stream, read or not, so that the copy ends.
fn read_all(mut out: impl BufRead, each: &mut dyn FnMut(GraphRow)) -> std::io::Result<()> {
    let read = read_rows(&mut out, each);
    loop {
        match out.fill_buf() {
            Ok([]) | Err(_) => return read,
            Ok(rest) => {
                let n = rest.len();
                out.consume(n);
            }
        }
    }
}

/// Parses the binary stream: a header, then one tuple per row until the trailer (`-1`).
fn read_rows(mut out: impl BufRead, each: &mut dyn FnMut(GraphRow)) -> std::io::Result<()> {
    let mut header = [0u8; 19];
    out.read_exact(&mut header)?;
    if &header[..11] != SIGNATURE {
        return Err(bad("not a binary COPY stream"));
    }
    let extension = u32::from_be_bytes(header[15..19].try_into().expect("four bytes"));
    std::io::copy(
        &mut (&mut out).take(u64::from(extension)),
        &mut std::io::sink(),
    )?;
    loop {
        let columns = i16::from_be_bytes(take(&mut out)?);
        if columns == -1 {
            return Ok(());
        }
        if columns != COLUMNS {
            return Err(bad("unexpected column count"));
        }
        each(GraphRow {
            id: i64::from_be_bytes(field(&mut out)?),
            topic: i32::from_be_bytes(field(&mut out)?),
            endorser: i32::from_be_bytes(field(&mut out)?),
            endorsee: i32::from_be_bytes(field(&mut out)?),
            flagged: field::<1>(&mut out)? == [1],
            voided: field::<1>(&mut out)? == [1],
            created_at: Stamp::from_pg_micros(i64::from_be_bytes(field(&mut out)?)),
        });
    }
}

/// One field of `N` bytes: its length, which must be `N` (no column here is ever NULL), then
/// its bytes.
fn field<const N: usize>(out: &mut impl Read) -> std::io::Result<[u8; N]> {
    let len = i32::from_be_bytes(take(out)?);
    if usize::try_from(len).ok() != Some(N) {
        return Err(bad("unexpected field length"));
    }
    take(out)
}

fn take<const N: usize>(out: &mut impl Read) -> std::io::Result<[u8; N]> {
    let mut bytes = [0u8; N];
    out.read_exact(&mut bytes)?;
    Ok(bytes)
}

fn bad(what: &str) -> std::io::Error {
    std::io::Error::new(std::io::ErrorKind::InvalidData, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(bytes: &[u8]) -> Vec<u8> {
        let mut out = (bytes.len() as i32).to_be_bytes().to_vec();
        out.extend_from_slice(bytes);
        out
    }

    /// A stream as PostgreSQL writes it: the header with a 3-byte extension, one row, the
    /// trailer.
    fn stream() -> Vec<u8> {
        let mut s = SIGNATURE.to_vec();
        s.extend_from_slice(&0i32.to_be_bytes());
        s.extend_from_slice(&3i32.to_be_bytes());
        s.extend_from_slice(b"ext");
        s.extend_from_slice(&COLUMNS.to_be_bytes());
        s.extend(field(&7i64.to_be_bytes()));
        s.extend(field(&3i32.to_be_bytes()));
        s.extend(field(&11i32.to_be_bytes()));
        s.extend(field(&12i32.to_be_bytes()));
        s.extend(field(&[1]));
        s.extend(field(&[0]));
        s.extend(field(&(-5i64).to_be_bytes()));
        s.extend_from_slice(&(-1i16).to_be_bytes());
        s
    }

    #[test]
    fn a_row_reads_back_with_its_time_from_the_unix_epoch() {
        let mut rows = Vec::new();
        read_rows(&stream()[..], &mut |r| rows.push(r)).unwrap();
        assert_eq!(rows.len(), 1);
        let r = rows[0];
        assert_eq!((r.id, r.topic, r.endorser, r.endorsee), (7, 3, 11, 12));
        assert!(r.flagged && !r.voided);
        assert_eq!(
            crate::domain::time::format(r.created_at.utc()),
            "1999-12-31T23:59:59.999995Z"
        );
    }

    #[test]
    fn a_cut_or_foreign_stream_is_an_error_not_a_short_graph() {
        let whole = stream();
        for cut in [5, 19, 30, whole.len() - 1] {
            assert!(
                read_rows(&whole[..cut], &mut |_| {}).is_err(),
                "cut at {cut}"
            );
        }
        let mut foreign = whole.clone();
        foreign[0] = b'X';
        assert!(read_rows(&foreign[..], &mut |_| {}).is_err());
    }
}
