//! Raw SQL that stays prepared on its connection.
//!
//! diesel prepares the text of every `sql_query` again on each call, since it cannot know that
//! the text is one of a few. On the read paths, preparing cost more than running: a user's
//! reputation spent a third of its time in SQLite's parser. A [`Prepared`] statement is built
//! from pieces of SQL and integer parameters. diesel writes the placeholders and keys its
//! statement cache by the resulting text, so each text is prepared once per connection. Use it
//! only for texts drawn from a small set: the cache keeps every text it sees for the
//! connection's life.

use diesel::backend::Backend;
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::serialize::ToSql;
use diesel::sql_types::{HasSqlType, Integer, Untyped};
use diesel::{QueryResult, RunQueryDsl};

/// A statement of fixed text with integer parameters, loaded by name (`QueryableByName`) like
/// `sql_query`.
#[derive(Debug, Default, Clone)]
pub struct Prepared {
    parts: Vec<Part>,
}

#[derive(Debug, Clone)]
enum Part {
    Sql(&'static str),
    Int(i32),
}

impl Prepared {
    pub fn new(sql: &'static str) -> Prepared {
        Prepared {
            parts: vec![Part::Sql(sql)],
        }
    }

    /// Appends SQL text.
    pub fn sql(mut self, sql: &'static str) -> Prepared {
        self.parts.push(Part::Sql(sql));
        self
    }

    /// Appends a placeholder bound to `value`.
    pub fn int(mut self, value: i32) -> Prepared {
        self.parts.push(Part::Int(value));
        self
    }
}

impl QueryId for Prepared {
    type QueryId = ();
    // No static id: diesel keys the cache by the statement's text.
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl Query for Prepared {
    type SqlType = Untyped;
}

impl<DB> QueryFragment<DB> for Prepared
where
    DB: Backend + HasSqlType<Integer>,
    i32: ToSql<Integer, DB>,
{
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, DB>) -> QueryResult<()> {
        for part in &self.parts {
            match part {
                Part::Sql(sql) => out.push_sql(sql),
                Part::Int(value) => out.push_bind_param::<Integer, _>(value)?,
            }
        }
        Ok(())
    }
}

impl<Conn> RunQueryDsl<Conn> for Prepared {}
