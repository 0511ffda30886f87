//! A run's scores encoded as parts (see `parts`): sorted once, then encoded a range of parts at
//! a time, so a large run's first parts can be written while the rest are still encoded.

use rayon::prelude::*;
use std::fmt::Write;
use std::ops::Range;

use super::parts::{Part, Score, PART};

/// A run's scores as parts: each row in full in rank order (ties by user), and in user order
/// only `[user, rank]`, the key of the user's row in the rank order. Writing every row twice
/// was most of a recompute's store (1.1 GB at 10M endorsements); a `[user, rank]` part is
/// 1.9 KB on average, about a quarter of a whole-row part (7.1 KB).
pub fn parts_of(rows: Vec<Score>) -> Vec<Part> {
    let sorted = Sorted::new(rows);
    sorted.encode(0..sorted.len())
}

/// A run's scores in the orders of its parts, not encoded yet. Sorting and encoding run on
/// every core: at 765,000 users they took most of a second on one.
pub struct Sorted {
    /// By (rank, user).
    rows: Vec<Score>,
    /// (user, rank), by user.
    keys: Vec<(i32, i32)>,
}

impl Sorted {
    pub fn new(mut rows: Vec<Score>) -> Sorted {
        // Sorted by (rank, user) packed in one key: comparing fields through the rows reads
        // them all over memory.
        rows.par_sort_unstable_by_key(|r| (i64::from(r.rank) << 32) | i64::from(r.user_id as u32));
        let mut keys: Vec<(i32, i32)> = rows.iter().map(|r| (r.user_id, r.rank)).collect();
        keys.par_sort_unstable();
        Sorted { rows, keys }
    }

    /// Parts in all: those in rank order, then those in user order.
    pub fn len(&self) -> usize {
        2 * self.rows.len().div_ceil(PART)
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Parts `range` (of `0..len()`), encoded.
    pub fn encode(&self, range: Range<usize>) -> Vec<Part> {
        let ranked = self.rows.len().div_ceil(PART);
        range
            .into_par_iter()
            .map(|i| match i.checked_sub(ranked) {
                None => by_rank(&self.rows[i * PART..((i + 1) * PART).min(self.rows.len())]),
                Some(j) => by_user(&self.keys[j * PART..((j + 1) * PART).min(self.keys.len())]),
            })
            .collect()
    }
}

/// A part of whole rows.
fn by_rank(chunk: &[Score]) -> Part {
    // About 80 bytes a row: sized once rather than grown by doubling.
    let mut text = Vec::with_capacity(chunk.len() * 96 + 2);
    for (k, r) in chunk.iter().enumerate() {
        text.push(if k == 0 { b'[' } else { b',' });
        // Numbers only, and finite (the recompute's), so this cannot fail; a NaN would be
        // written as null and refused on reading rather than taken for a score.
        let _ = serde_json::to_writer(&mut text, r);
    }
    text.push(b']');
    Part {
        by_rank: true,
        first_rank: chunk[0].rank,
        first_user: chunk[0].user_id,
        // serde_json writes UTF-8.
        entries: String::from_utf8(text).unwrap_or_default(),
    }
}

/// A part of `[user, rank]` keys.
fn by_user(chunk: &[(i32, i32)]) -> Part {
    let mut text = String::with_capacity(chunk.len() * 16 + 2);
    for (k, (user, rank)) in chunk.iter().enumerate() {
        text.push_str(if k == 0 { "[[" } else { ",[" });
        // Writing to a String cannot fail.
        let _ = write!(text, "{user},{rank}]");
    }
    text.push(']');
    Part {
        by_rank: false,
        first_rank: 0,
        first_user: chunk[0].0,
        entries: text,
    }
}
