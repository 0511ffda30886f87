//! `Instant`, the SQL type of the busiest time columns (endorsements' and ledger entries'):
//! microseconds since the Unix epoch in an INTEGER on SQLite, a TIMESTAMP on PostgreSQL.
//!
//! diesel's `Timestamp` is text on SQLite: 26 bytes in the row and again in each of the four
//! time indexes of `endorsements`, against 6–8 as an integer, and a parse on every read.
//! PostgreSQL's TIMESTAMP already is eight bytes (microseconds since 2000-01-01), so there the
//! column type does not change; only the Rust side reads and writes it as [`Stamp`].

use chrono::{DateTime, Utc};
use diesel::backend::Backend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::pg::Pg;
use diesel::serialize::{self, IsNull, Output, ToSql};
use diesel::sql_types::{BigInt, HasSqlType, SqlType};
use diesel::sqlite::Sqlite;

use super::MultiBackend;

/// See the module documentation.
#[derive(Debug, Clone, Copy, Default, SqlType, diesel::query_builder::QueryId)]
#[diesel(sqlite_type(name = "Long"))]
#[diesel(postgres_type(oid = 1114, array_oid = 1115))]
pub struct Instant;

// Times compare and sort (`max`, `ORDER BY`, ranges) as their integers and timestamps do.
impl diesel::sql_types::SqlOrd for Instant {}

/// A point in time as stored in an [`Instant`] column: microseconds since the Unix epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, AsExpression, FromSqlRow)]
#[diesel(sql_type = Instant)]
pub struct Stamp(pub i64);

impl Stamp {
    pub fn from_utc(t: DateTime<Utc>) -> Stamp {
        Stamp(t.timestamp_micros())
    }

    /// A PostgreSQL TIMESTAMP's value as it travels in binary: microseconds since 2000-01-01.
    pub fn from_pg_micros(pg: i64) -> Stamp {
        Stamp(pg + PG_EPOCH_MICROS)
    }

    /// The time it holds (out-of-range values, which plusk never writes, read as the epoch).
    pub fn utc(self) -> DateTime<Utc> {
        DateTime::from_timestamp_micros(self.0).unwrap_or_default()
    }
}

/// PostgreSQL counts from 2000-01-01, 946,684,800 seconds after the Unix epoch.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

impl ToSql<Instant, Sqlite> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Sqlite>) -> serialize::Result {
        out.set_value(self.0);
        Ok(IsNull::No)
    }
}

impl FromSql<Instant, Sqlite> for Stamp {
    fn from_sql(value: <Sqlite as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        <i64 as FromSql<BigInt, Sqlite>>::from_sql(value).map(Stamp)
    }
}

impl ToSql<Instant, Pg> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, Pg>) -> serialize::Result {
        let pg = self.0 - PG_EPOCH_MICROS;
        ToSql::<BigInt, Pg>::to_sql(&pg, &mut out.reborrow())
    }
}

impl FromSql<Instant, Pg> for Stamp {
    fn from_sql(value: <Pg as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        let pg = <i64 as FromSql<BigInt, Pg>>::from_sql(value)?;
        Ok(Stamp::from_pg_micros(pg))
    }
}

impl HasSqlType<Instant> for MultiBackend {
    fn metadata(lookup: &mut Self::MetadataLookup) -> Self::TypeMetadata {
        MultiBackend::lookup_sql_type::<Instant>(lookup)
    }
}

impl FromSql<Instant, MultiBackend> for Stamp {
    fn from_sql(bytes: <MultiBackend as Backend>::RawValue<'_>) -> deserialize::Result<Self> {
        bytes.from_sql::<Stamp, Instant>()
    }
}

impl ToSql<Instant, MultiBackend> for Stamp {
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, MultiBackend>) -> serialize::Result {
        out.set_value((Instant, self));
        Ok(IsNull::No)
    }
}
