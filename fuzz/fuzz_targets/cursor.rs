//! Checks `Cursor::decode` and `RankCursor::decode` on arbitrary strings (no panic; whatever
//! decodes re-encodes with `encode` to a string that decodes to the same cursor), and the
//! `encode` → `decode` round trip on arbitrary cursor values.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use plusk::domain::cursor::{Cursor, RankCursor};
use plusk::domain::Rejection;

fuzz_target!(|data: &[u8]| {
    // Cursors come from query strings: any text at all, forged or corrupted.
    let raw = String::from_utf8_lossy(data);
    check_decoded(&raw);
    // The same bytes read as numbers: cursor values a page could end on.
    if data.len() >= 16 {
        let a = i64::from_le_bytes(data[0..8].try_into().unwrap());
        let b = i64::from_le_bytes(data[8..16].try_into().unwrap());
        check_values(a, b);
    }
});

fn check_decoded(raw: &str) {
    match Cursor::decode(raw) {
        // The next page is asked for with the cursor the server hands out, which it builds with
        // `encode`: that must lead back to the same position.
        Ok(c) => assert_eq!(Cursor::decode(&c.encode()), Ok(c), "{raw:?}"),
        // A bad cursor is a client error (400 invalid_cursor), never anything else.
        Err(e) => assert_eq!(e, Rejection::InvalidCursor),
    }
    match RankCursor::decode(raw) {
        Ok(c) => {
            assert!(c.rank >= 1, "rank {} decoded from {raw:?}", c.rank);
            assert_eq!(RankCursor::decode(&c.encode()), Ok(c), "{raw:?}");
        }
        Err(e) => assert_eq!(e, Rejection::InvalidCursor),
    }
}

fn check_values(micros: i64, id: i64) {
    // Every instant chrono can hold to the microsecond round-trips.
    if let Some(created_at) = DateTime::from_timestamp_micros(micros) {
        let c = Cursor { created_at, id };
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
    }
    // Ranks start at 1; the user id can be any i32.
    let rank = (micros as i32).checked_abs().unwrap_or(i32::MAX).max(1);
    let c = RankCursor {
        rank,
        user_id: id as i32,
    };
    assert_eq!(RankCursor::decode(&c.encode()), Ok(c));
}
