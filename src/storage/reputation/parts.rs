//! The `reputation_parts` table: each run's scores as parts of [`PART`] rows in JSON, written
//! once in user order and once in rank order. A recompute writes a few thousand text values
//! where one row per user cost a million B-tree inserts. A read finds the parts it needs by key
//! (a part is keyed by its first row), and parses one user's row without the rest of its part.

use diesel::prelude::*;
use diesel::sql_types::{Integer, Text};
use serde::{Deserialize, Serialize};
use std::fmt::Write;

use super::Run;
use crate::db::schema::{reputation_parts, users};
use crate::db::DbConn;
use crate::storage::prepared::Prepared;

/// Rows per part: a leaderboard page or one user's score decodes a few kilobytes.
pub const PART: usize = 128;

/// Up to this many users wanted from one part are looked up one by one; more, and the part
/// is decoded whole.
const FIND_UP_TO: usize = 8;

/// One user's score in a run.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(from = "Entry", into = "Entry")]
pub struct Score {
    pub user_id: i32,
    pub raw: f64,
    pub score: f64,
    pub rank: i32,
    pub percentile: f64,
    pub counted: i32,
    pub discounted: i32,
    /// The decayed total of what the user gave in the topic; `None` in runs stored before it
    /// was kept.
    pub out_weight: Option<f64>,
}

/// A score as it is written in a part: a JSON array, in the column order the SQL view reads.
#[derive(Serialize, Deserialize)]
struct Entry(i32, f64, f64, i32, f64, i32, i32, Option<f64>);

impl From<Entry> for Score {
    fn from(
        Entry(user_id, raw, score, rank, percentile, counted, discounted, out_weight): Entry,
    ) -> Self {
        Score {
            user_id,
            raw,
            score,
            rank,
            percentile,
            counted,
            discounted,
            out_weight,
        }
    }
}

impl From<Score> for Entry {
    fn from(s: Score) -> Self {
        Entry(
            s.user_id,
            s.raw,
            s.score,
            s.rank,
            s.percentile,
            s.counted,
            s.discounted,
            s.out_weight,
        )
    }
}

/// A part ready to write, for a run not yet inserted.
#[derive(Debug, Clone)]
pub struct Part {
    pub(super) by_rank: bool,
    pub(super) first_rank: i32,
    pub(super) first_user: i32,
    pub(super) entries: String,
}

/// What a user-ordered part holds for one user: `[user, rank]`, which says where the user's
/// row is in the rank order. A run written by a build before migration 19 holds the whole row
/// there instead.
#[derive(Debug, Clone, Copy, PartialEq, Deserialize)]
#[serde(untagged)]
enum Held {
    Rank(i32, i32),
    Row(Score),
}

#[derive(Insertable)]
#[diesel(table_name = reputation_parts)]
// Every column given: what COPY and SQLite's many-row INSERT need.
#[diesel(treat_none_as_default_value = false)]
struct NewPart<'a> {
    run_id: i32,
    by_rank: bool,
    first_rank: i32,
    first_user: i32,
    entries: &'a str,
}

/// Parts per INSERT statement on SQLite (five values each, well under its bound-value limit).
const PARTS_PER_INSERT: usize = 64;

/// Writes `run`'s parts: by binary `COPY` on PostgreSQL, many per statement on SQLite.
pub fn insert_parts(conn: &mut DbConn, run: i32, parts: &[Part]) -> QueryResult<()> {
    insert_parts_of(conn, &[(run, parts)])
}

/// [`insert_parts`] for several runs at once: one `COPY`, or INSERTs of many parts whatever
/// run they belong to (a recompute of many small topics writes one or two parts for each).
pub fn insert_parts_of(conn: &mut DbConn, runs: &[(i32, &[Part])]) -> QueryResult<()> {
    let rows: Vec<NewPart> = runs
        .iter()
        .flat_map(|(run, parts)| {
            parts.iter().map(|p| NewPart {
                run_id: *run,
                by_rank: p.by_rank,
                first_rank: p.first_rank,
                first_user: p.first_user,
                entries: &p.entries,
            })
        })
        .collect();
    if rows.is_empty() {
        return Ok(());
    }
    match conn {
        DbConn::Pg(c) => diesel::copy_from(reputation_parts::table)
            .from_insertable(&rows)
            .execute(c)
            .map(drop),
        DbConn::Sqlite(c) => {
            for chunk in rows.chunks(PARTS_PER_INSERT) {
                diesel::insert_into(reputation_parts::table)
                    .values(chunk)
                    .execute(c)?;
            }
            Ok(())
        }
    }
}

/// Deletes up to `limit` of `run`'s parts, user-ordered ones first; returns how many went.
pub fn delete_parts(conn: &mut DbConn, run: i32, limit: i64) -> QueryResult<usize> {
    use reputation_parts::dsl as p;
    let keys: Vec<(bool, i32, i32)> = p::reputation_parts
        .filter(p::run_id.eq(run))
        .order((p::by_rank.asc(), p::first_rank.asc(), p::first_user.asc()))
        .select((p::by_rank, p::first_rank, p::first_user))
        .limit(limit)
        .load(conn)?;
    let Some(&(by_rank, rank, user)) = keys.last() else {
        return Ok(0);
    };
    // Everything up to the last key read, in key order: those `limit` parts and no others.
    let upto = p::first_rank
        .lt(rank)
        .or(p::first_rank.eq(rank).and(p::first_user.le(user)));
    let q = p::reputation_parts.filter(p::run_id.eq(run));
    if by_rank {
        diesel::delete(q.filter(p::by_rank.eq(false).or(upto))).execute(conn)
    } else {
        diesel::delete(q.filter(p::by_rank.eq(false)).filter(upto)).execute(conn)
    }
}

fn decode(entries: &str) -> QueryResult<Vec<Score>> {
    serde_json::from_str(entries).map_err(|e| diesel::result::Error::DeserializationError(e.into()))
}

/// A user-ordered part, whichever way its run wrote it.
fn decode_held(entries: &str) -> QueryResult<Vec<Held>> {
    match serde_json::from_str::<Vec<(i32, i32)>>(entries) {
        Ok(keys) => Ok(keys.into_iter().map(|(u, r)| Held::Rank(u, r)).collect()),
        Err(_) => Ok(decode(entries)?.into_iter().map(Held::Row).collect()),
    }
}

/// One user's row in a part, parsing that row only: a row is the only place where `[` is
/// followed by a number, so `[<user>,` finds it (in a part of either order). Anything else (a
/// part written with other spacing, a user it does not hold) falls back to decoding the whole
/// part.
fn find<T: Rowed>(entries: &str, user: i32) -> QueryResult<Option<T>> {
    let key = format!("[{user},");
    if let Some(start) = entries.find(&key) {
        if let Some(len) = entries[start..].find(']') {
            if let Ok(row) = serde_json::from_str::<T>(&entries[start..=start + len]) {
                if row.user_id() == user {
                    return Ok(Some(row));
                }
            }
        }
    }
    Ok(T::decode_part(entries)?
        .into_iter()
        .find(|r| r.user_id() == user))
}

/// The user-ordered part of `run` that would hold `user`. (Written out with `LIMIT 1` in its
/// text: SQLite plans with a bound `LIMIT`'s value, so diesel's `.first()` made it prepare the
/// statement again on every call.)
fn part_holding(conn: &mut DbConn, run: i32, user: i32) -> QueryResult<Option<String>> {
    let found: Option<Entries> = Prepared::new(
        "SELECT entries FROM reputation_parts \
         WHERE by_rank = false AND first_rank = 0 AND run_id = ",
    )
    .int(run)
    .sql(" AND first_user <= ")
    .int(user)
    .sql(" ORDER BY first_user DESC LIMIT 1")
    .get_result(conn)
    .optional()?;
    Ok(found.map(|e| e.entries))
}

/// A part's rows, alone.
#[derive(QueryableByName)]
struct Entries {
    #[diesel(sql_type = Text)]
    entries: String,
}

/// The rank-ordered part of `run` that would hold the row keyed `(rank, user)`.
fn rank_part_holding(
    conn: &mut DbConn,
    run: i32,
    (rank, user): (i32, i32),
) -> QueryResult<Option<String>> {
    Ok(rank_parts_holding(conn, &[(run, rank)], user)?
        .pop()
        .map(|p| p.entries))
}

/// `run`'s rank-ordered parts up to the one that would hold the row keyed `(rank, user)`,
/// that one first: where a leaderboard page after a cursor starts. `rank_parts_holding` spells
/// the same seek in SQL text, for the reads that want the part itself; change both together.
fn holding_first(
    run: i32,
    (rank, user): (i32, i32),
) -> reputation_parts::BoxedQuery<'static, crate::db::MultiBackend> {
    use reputation_parts::dsl as p;
    p::reputation_parts
        .filter(p::run_id.eq(run))
        .filter(p::by_rank.eq(true))
        // `first_rank <= rank` says again what the OR says, as a range the key can seek.
        .filter(p::first_rank.le(rank))
        .filter(
            p::first_rank
                .lt(rank)
                .or(p::first_rank.eq(rank).and(p::first_user.le(user))),
        )
        .order((p::first_rank.desc(), p::first_user.desc()))
        .into_boxed()
}

/// The rows of `run` keyed `(rank, user)` in its rank order (those it holds).
fn rows_by_rank(
    conn: &mut DbConn,
    run: i32,
    mut wanted: Vec<(i32, i32)>,
) -> QueryResult<Vec<Score>> {
    use reputation_parts::dsl as p;
    if let [one] = wanted[..] {
        return Ok(match rank_part_holding(conn, run, one)? {
            Some(entries) => find(&entries, one.1)?.into_iter().collect(),
            None => Vec::new(),
        });
    }
    if wanted.is_empty() {
        return Ok(Vec::new());
    }
    wanted.sort_unstable();
    wanted.dedup();
    let keys: Vec<(i32, i32)> = p::reputation_parts
        .filter(p::run_id.eq(run))
        .filter(p::by_rank.eq(true))
        .order((p::first_rank.asc(), p::first_user.asc()))
        .select((p::first_rank, p::first_user))
        .load(conn)?;
    let needed = holding_keys(&keys, &wanted);
    let mut out = Vec::with_capacity(wanted.len());
    for chunk in needed.chunks(500) {
        for KeyedPart {
            first_rank,
            first_user,
            entries,
        } in rank_parts_keyed(conn, run, chunk)?
        {
            let mine = in_part(&keys, &wanted, (first_rank, first_user));
            out.extend(rows_in::<_, Score>(&entries, mine, |k| k.1)?);
        }
    }
    Ok(out)
}

/// A rank-ordered part with its key.
#[derive(QueryableByName)]
struct KeyedPart {
    #[diesel(sql_type = Integer)]
    first_rank: i32,
    #[diesel(sql_type = Integer)]
    first_user: i32,
    #[diesel(sql_type = Text)]
    entries: String,
}

/// The rank-ordered parts of `run` with the given keys, by their key pairs. (Separate `IN`
/// lists for the two key columns made SQLite seek every pair of the two lists: a cold
/// explanation of a 4,700-endorser user took 84 ms where it had taken 32.) The keys are
/// integers read from the database, written into the statement.
fn rank_parts_keyed(
    conn: &mut DbConn,
    run: i32,
    keys: &[(i32, i32)],
) -> QueryResult<Vec<KeyedPart>> {
    let mut pairs = String::with_capacity(keys.len() * 16);
    for (i, (rank, user)) in keys.iter().enumerate() {
        let sep = if i == 0 { "" } else { "," };
        let _ = write!(pairs, "{sep}({rank},{user})");
    }
    diesel::sql_query(format!(
        "SELECT first_rank, first_user, entries FROM reputation_parts \
         WHERE run_id = $1 AND by_rank = true AND (first_rank, first_user) IN (VALUES {pairs})"
    ))
    .bind::<Integer, _>(run)
    .load(conn)
}

/// The keys of the parts (keyed by their first row, sorted) that would hold `wanted` (sorted),
/// each once, in order.
fn holding_keys<K: Ord + Copy>(keys: &[K], wanted: &[K]) -> Vec<K> {
    let mut needed: Vec<K> = wanted
        .iter()
        .filter_map(|w| keys.partition_point(|k| k <= w).checked_sub(1))
        .map(|i| keys[i])
        .collect();
    needed.dedup();
    needed
}

/// Those of `wanted` (sorted) that the part keyed `first` would hold: from its key up to the
/// next part's.
fn in_part<'w, K: Ord + Copy>(keys: &[K], wanted: &'w [K], first: K) -> &'w [K] {
    let next = keys.partition_point(|k| *k <= first);
    let end = keys
        .get(next)
        .map_or(wanted.len(), |k| wanted.partition_point(|w| w < k));
    &wanted[wanted.partition_point(|w| *w < first)..end]
}

/// The rows of `mine` in one part: looked up one by one when they are few, else the part
/// decoded whole.
fn rows_in<K, T: Rowed>(part: &str, mine: &[K], user: fn(&K) -> i32) -> QueryResult<Vec<T>> {
    if mine.len() <= FIND_UP_TO {
        let mut out = Vec::with_capacity(mine.len());
        for k in mine {
            out.extend(find::<T>(part, user(k))?);
        }
        return Ok(out);
    }
    let mut ids: Vec<i32> = mine.iter().map(user).collect();
    ids.sort_unstable();
    Ok(T::decode_part(part)?
        .into_iter()
        .filter(|r| ids.binary_search(&r.user_id()).is_ok())
        .collect())
}

/// A row of either order's parts.
trait Rowed: serde::de::DeserializeOwned {
    fn user_id(&self) -> i32;
    fn decode_part(part: &str) -> QueryResult<Vec<Self>>;
}

impl Rowed for Score {
    fn user_id(&self) -> i32 {
        self.user_id
    }
    fn decode_part(part: &str) -> QueryResult<Vec<Score>> {
        decode(part)
    }
}

impl Rowed for Held {
    fn user_id(&self) -> i32 {
        match self {
            Held::Rank(user, _) => *user,
            Held::Row(s) => s.user_id,
        }
    }
    fn decode_part(part: &str) -> QueryResult<Vec<Held>> {
        decode_held(part)
    }
}

/// Rows as they were found in user-ordered parts, made whole: those that hold only the rank
/// are read from the rank order.
fn resolve(conn: &mut DbConn, run: i32, held: Vec<Held>) -> QueryResult<Vec<Score>> {
    let mut out = Vec::with_capacity(held.len());
    let mut keys = Vec::new();
    for h in held {
        match h {
            Held::Row(s) => out.push(s),
            Held::Rank(user, rank) => keys.push((rank, user)),
        }
    }
    out.extend(rows_by_rank(conn, run, keys)?);
    Ok(out)
}

/// Scores of the given users in one run (those it scored).
pub fn scores_in_run(conn: &mut DbConn, run: i32, users: &[i32]) -> QueryResult<Vec<Score>> {
    use reputation_parts::dsl as p;
    if let [one] = users {
        let held = match part_holding(conn, run, *one)? {
            Some(entries) => find::<Held>(&entries, *one)?.into_iter().collect(),
            None => Vec::new(),
        };
        return resolve(conn, run, held);
    }
    let keys: Vec<i32> = p::reputation_parts
        .filter(p::run_id.eq(run))
        .filter(p::by_rank.eq(false))
        .order(p::first_user.asc())
        .select(p::first_user)
        .load(conn)?;
    let mut wanted: Vec<i32> = users.to_vec();
    wanted.sort_unstable();
    wanted.dedup();
    let needed = holding_keys(&keys, &wanted);
    let mut held = Vec::with_capacity(wanted.len());
    for chunk in needed.chunks(500) {
        let parts: Vec<(i32, String)> = p::reputation_parts
            .filter(p::run_id.eq(run))
            .filter(p::by_rank.eq(false))
            .filter(p::first_rank.eq(0))
            .filter(p::first_user.eq_any(chunk))
            .select((p::first_user, p::entries))
            .load(conn)?;
        for (first, part) in parts {
            held.extend(rows_in::<_, Held>(
                &part,
                in_part(&keys, &wanted, first),
                |u| *u,
            )?);
        }
    }
    resolve(conn, run, held)
}

/// Every user's raw score in `run`: what a topic kept in memory starts its next iteration
/// from. Read from the rank order, which holds every row in full.
pub fn raw_scores(conn: &mut DbConn, run: i32) -> QueryResult<Vec<(i32, f64)>> {
    use reputation_parts::dsl as p;
    let parts: Vec<String> = p::reputation_parts
        .filter(p::run_id.eq(run))
        .filter(p::by_rank.eq(true))
        .select(p::entries)
        .load(conn)?;
    let mut out = Vec::new();
    for part in parts {
        out.extend(decode(&part)?.into_iter().map(|s| (s.user_id, s.raw)));
    }
    Ok(out)
}

/// A run with the part that would hold one user.
#[derive(QueryableByName)]
struct RunPart {
    #[diesel(embed)]
    run: Run,
    #[diesel(sql_type = Text)]
    slug: String,
    /// `None` when the user comes before the run's first part: not scored in it.
    #[diesel(sql_type = diesel::sql_types::Nullable<Text>)]
    entries: Option<String>,
}

/// Runs (with their topic's slug), each with the user-ordered part that would hold `user`; `tail`
/// adds the `WHERE` and `ORDER BY`. The part is a subquery per run, so the plan starts from the
/// few runs asked for (as a join, SQLite without statistics scanned every part).
fn runs_with_part(user: i32, tail: &'static str) -> Prepared {
    Prepared::new(
        "SELECT r.id, r.topic_id, r.computed_at, r.users, r.endorsements, \
            r.iterations, r.params, r.is_current, r.is_snapshot, t.slug, \
            (SELECT p.entries FROM reputation_parts p \
                WHERE p.run_id = r.id AND p.by_rank = false AND p.first_rank = 0 \
                    AND p.first_user <= ",
    )
    .int(user)
    .sql(
        " ORDER BY p.first_user DESC LIMIT 1) AS entries \
        FROM reputation_runs r \
        JOIN topics t ON t.id = r.topic_id ",
    )
    .sql(tail)
}

/// The user's score in each of the runs, where the run scored them.
fn user_in(
    conn: &mut DbConn,
    rows: Vec<RunPart>,
    user: i32,
) -> QueryResult<Vec<(Score, String, Run)>> {
    let mut found = Vec::with_capacity(rows.len());
    for row in rows {
        let Some(entries) = row.entries else {
            continue;
        };
        if let Some(held) = find::<Held>(&entries, user)? {
            found.push((held, row.slug, row.run));
        }
    }
    let keyed: Vec<(i32, i32)> = found
        .iter()
        .filter_map(|(held, _, run)| match held {
            Held::Rank(_, rank) => Some((run.id, *rank)),
            Held::Row(_) => None,
        })
        .collect();
    let ranked = rank_parts_holding(conn, &keyed, user)?;
    let mut out = Vec::with_capacity(found.len());
    for (held, slug, run) in found {
        let score = match held {
            Held::Row(s) => Some(s),
            Held::Rank(..) => match ranked.iter().find(|p| p.run_id == run.id) {
                Some(p) => find(&p.entries, user)?,
                None => None,
            },
        };
        out.extend(score.map(|s| (s, slug, run)));
    }
    Ok(out)
}

/// A rank-ordered part, with its run.
#[derive(QueryableByName)]
struct RunRankPart {
    #[diesel(sql_type = Integer)]
    run_id: i32,
    #[diesel(sql_type = Text)]
    entries: String,
}

/// For each `(run, rank)`, the rank-ordered part of that run that would hold `user`'s row at
/// that rank: one statement for them all (a user's reputation reads one part in each topic,
/// and a query each put one round trip per topic on every read on PostgreSQL).
fn rank_parts_holding(
    conn: &mut DbConn,
    runs: &[(i32, i32)],
    user: i32,
) -> QueryResult<Vec<RunRankPart>> {
    let mut out = Vec::with_capacity(runs.len());
    // SQLite allows 500 terms in a compound SELECT.
    for chunk in runs.chunks(256) {
        // Padded to a power of two with a run that does not exist, so that the few texts there
        // are stay prepared (see `storage::prepared`).
        let arms = chunk.len().next_power_of_two();
        let mut q = Prepared::default();
        for i in 0..arms {
            let (run, rank) = chunk.get(i).copied().unwrap_or((NO_RUN, 0));
            q = q
                .sql(if i == 0 { "" } else { " UNION ALL " })
                .sql(
                    "SELECT * FROM (SELECT run_id, entries FROM reputation_parts \
                     WHERE run_id = ",
                )
                .int(run)
                .sql(" AND by_rank = true AND first_rank <= ")
                .int(rank)
                .sql(" AND (first_rank < ")
                .int(rank)
                .sql(" OR (first_rank = ")
                .int(rank)
                .sql(" AND first_user <= ")
                .int(user)
                .sql(")) ORDER BY first_rank DESC, first_user DESC LIMIT 1) AS p");
        }
        out.extend(q.load::<RunRankPart>(conn)?);
    }
    Ok(out)
}

/// A run id no run has (ids start at 1).
const NO_RUN: i32 = 0;

/// A user's scores in the current run of every topic, with the topic slug and the run.
pub fn of_user(conn: &mut DbConn, user: i32) -> QueryResult<Vec<(Score, String, Run)>> {
    // A recompute that raced a merge can leave a run for the merged topic.
    let rows: Vec<RunPart> = runs_with_part(
        user,
        "WHERE r.is_current AND t.merged_into IS NULL ORDER BY t.slug",
    )
    .load(conn)?;
    user_in(conn, rows, user)
}

/// One user's score in each kept run of a topic, oldest first.
pub fn history(conn: &mut DbConn, topic: i32, user: i32) -> QueryResult<Vec<(Score, Run)>> {
    let rows: Vec<RunPart> = runs_with_part(user, "WHERE r.topic_id = ")
        .int(topic)
        .sql(" AND (r.is_current OR r.is_snapshot) ORDER BY r.computed_at")
        .load(conn)?;
    Ok(user_in(conn, rows, user)?
        .into_iter()
        .map(|(s, _, run)| (s, run))
        .collect())
}

/// A page of a run's leaderboard, strictly after `(rank, user_id)`, with handles.
pub fn leaderboard(
    conn: &mut DbConn,
    run: i32,
    after: Option<(i32, i32)>,
    limit: i64,
) -> QueryResult<Vec<(Score, String)>> {
    use reputation_parts::dsl as p;
    let limit = limit.clamp(0, crate::storage::MAX_PAGE) as usize;
    let ranked = p::reputation_parts
        .filter(p::run_id.eq(run))
        .filter(p::by_rank.eq(true));
    // The page starts in the last part whose first row is not after the cursor.
    let start: Option<(i32, i32)> = match after {
        None => None,
        Some(key) => holding_first(run, key)
            .select((p::first_rank, p::first_user))
            .first(conn)
            .optional()?,
    };
    let mut q = ranked.into_boxed();
    if let Some((rank, user)) = start {
        q = q.filter(p::first_rank.ge(rank)).filter(
            p::first_rank
                .gt(rank)
                .or(p::first_rank.eq(rank).and(p::first_user.ge(user))),
        );
    }
    let parts: Vec<String> = q
        .order((p::first_rank.asc(), p::first_user.asc()))
        .select(p::entries)
        .limit((limit / PART + 2) as i64)
        .load(conn)?;
    let mut page = Vec::with_capacity(limit);
    for part in parts {
        page.extend(
            decode(&part)?
                .into_iter()
                .filter(|s| after.is_none_or(|cursor| (s.rank, s.user_id) > cursor)),
        );
        if page.len() >= limit {
            break;
        }
    }
    page.truncate(limit);
    let ids: Vec<i32> = page.iter().map(|s| s.user_id).collect();
    let handles: std::collections::HashMap<i32, String> = users::table
        .filter(users::id.eq_any(&ids))
        .select((users::id, users::handle))
        .load(conn)?
        .into_iter()
        .collect();
    Ok(page
        .into_iter()
        .filter_map(|s| handles.get(&s.user_id).map(|h| (s, h.clone())))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::super::encode::{parts_of, Sorted};
    use super::*;

    fn score(user_id: i32, rank: i32, raw: f64) -> Score {
        Score {
            user_id,
            raw,
            score: raw * 100.0,
            rank,
            percentile: 12.5,
            counted: user_id % 7,
            discounted: 1,
            out_weight: (user_id % 3 != 0).then_some(raw / 3.0),
        }
    }

    #[test]
    fn rank_parts_hold_every_row_and_user_parts_the_key_to_it() {
        // 300 users (three parts each way), ranks tied in runs of five, awkward floats.
        let rows: Vec<Score> = (0..300)
            .rev()
            .map(|u| score(u * 3 + 1, u / 5 + 1, 1.0 / f64::from(u + 3)))
            .collect();
        let parts = parts_of(rows.clone());
        let (by_user, by_rank): (Vec<&Part>, Vec<&Part>) = parts.iter().partition(|p| !p.by_rank);
        assert_eq!((by_user.len(), by_rank.len()), (3, 3));

        let mut want = rows.clone();
        want.sort_by_key(|r| (r.rank, r.user_id));
        let mut got = Vec::new();
        for p in &by_rank {
            let decoded = decode(&p.entries).unwrap();
            assert_eq!(
                (p.first_rank, p.first_user),
                (decoded[0].rank, decoded[0].user_id)
            );
            got.extend(decoded);
        }
        assert_eq!(got, want, "rank order, ties by user, every float exact");

        want.sort_by_key(|r| r.user_id);
        let keys: Vec<Held> = want.iter().map(|r| Held::Rank(r.user_id, r.rank)).collect();
        let mut got = Vec::new();
        for p in &by_user {
            let decoded = decode_held(&p.entries).unwrap();
            assert_eq!((p.first_rank, p.first_user), (0, decoded[0].user_id()));
            assert!(p.entries.len() < 2000, "small enough to stay in the page");
            got.extend(decoded);
        }
        assert_eq!(got, keys, "user order: each user's rank");
        assert!(parts_of(Vec::new()).is_empty());

        // Encoded a few parts at a time: the same parts in the same order.
        let sorted = Sorted::new(rows);
        assert_eq!(sorted.len(), 6);
        let pieces: Vec<Part> = [0..2, 2..5, 5..6]
            .into_iter()
            .flat_map(|r| sorted.encode(r))
            .collect();
        let fields = |p: &Part| (p.by_rank, p.first_rank, p.first_user, p.entries.clone());
        let whole: Vec<_> = parts.iter().map(fields).collect();
        assert_eq!(pieces.iter().map(fields).collect::<Vec<_>>(), whole);
    }

    #[test]
    fn one_row_is_found_without_decoding_the_part_and_absent_users_are_not() {
        let rows: Vec<Score> = (1..=40)
            .map(|u| score(u * 10, u, 0.1 / f64::from(u)))
            .collect();
        let parts = parts_of(rows.clone());
        let ranked = parts.iter().find(|p| p.by_rank).unwrap();
        let keyed = parts.iter().find(|p| !p.by_rank).unwrap();
        for r in &rows {
            assert_eq!(find(&ranked.entries, r.user_id).unwrap(), Some(*r));
            assert_eq!(
                find::<Held>(&keyed.entries, r.user_id).unwrap(),
                Some(Held::Rank(r.user_id, r.rank))
            );
        }
        // 1 and 100 are prefixes and suffixes of held ids (10, 100 is held, 1000 is not).
        for absent in [1, 11, 1000, 0] {
            assert_eq!(
                find::<Score>(&ranked.entries, absent).unwrap(),
                None,
                "{absent}"
            );
            assert_eq!(
                find::<Held>(&keyed.entries, absent).unwrap(),
                None,
                "{absent}"
            );
        }
        // Spacing as PostgreSQL's jsonb prints it still has `[400,`; a space after `[` does
        // not, and the fallback decodes the part.
        let jsonb = ranked.entries.replace(',', ", ");
        assert_eq!(find(&jsonb, 400).unwrap(), Some(rows[39]));
        let spaced = ranked.entries.replace('[', "[ ");
        assert_eq!(find(&spaced, 400).unwrap(), Some(rows[39]));
        assert_eq!(find::<Score>(&spaced, 1000).unwrap(), None);
        let spaced = keyed.entries.replace('[', "[ ");
        assert_eq!(
            find::<Held>(&spaced, 400).unwrap(),
            Some(Held::Rank(400, 40))
        );
        // A run stored before 2026-12-07 has whole rows in its user order: they are read as
        // they are.
        for r in &rows {
            assert_eq!(
                find::<Held>(&ranked.entries, r.user_id).unwrap(),
                Some(Held::Row(*r))
            );
        }
        assert_eq!(decode_held(&spaced).unwrap().len(), 40);
        assert_eq!(decode_held(&ranked.entries).unwrap()[0], Held::Row(rows[0]));
    }

    #[test]
    fn the_parts_that_hold_keys_are_found_by_their_first_keys() {
        // Parts starting at (1,1), (1,9), (3,2): rank 1 tied across two parts.
        let keys = [(1, 1), (1, 9), (3, 2)];
        let wanted = [(1, 1), (1, 5), (1, 9), (2, 4), (3, 2), (7, 7)];
        assert_eq!(holding_keys(&keys, &wanted), keys);
        assert_eq!(in_part(&keys, &wanted, (1, 1)), &wanted[..2]);
        assert_eq!(in_part(&keys, &wanted, (1, 9)), &wanted[2..4]);
        assert_eq!(in_part(&keys, &wanted, (3, 2)), &wanted[4..]);
        // Before the first part: held by none.
        assert!(holding_keys(&keys, &[(0, 5)]).is_empty());
    }
}
