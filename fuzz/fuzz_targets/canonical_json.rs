//! Checks `ledger::canonical_json` and the ledger hashing (`entry_hash`, `next_entry`, and
//! `Replay::push`, which re-checks them) on arbitrary JSON values: no panic, canonical JSON is
//! a fixed point (parsing it and canonicalising again gives the same text), hashes are
//! deterministic and survive the store-and-reparse trip, and a freshly built entry verifies.
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use plusk::domain::ledger::{canonical_json, entry_hash, next_entry, Replay, GENESIS_HASH};
use serde_json::Value;

/// A kind no version projects: `Replay` then checks chaining and hashing only.
const KIND: &str = "fuzz.opaque";

fuzz_target!(|data: &[u8]| {
    // Payloads reach the ledger as serde_json values; anything that is not JSON cannot.
    let Ok(value) = serde_json::from_slice::<Value>(data) else {
        return;
    };
    let canonical = canonical_json(&value);
    // canonical_json falls back to "null" on a serialisation error: a real payload hashed as
    // null would be a silent loss, so only `null` itself may come out as "null".
    assert!(
        value.is_null() || canonical != "null",
        "{value:?} canonicalised to null"
    );
    // The payload is stored as this text and `ledger verify` re-parses and re-canonicalises
    // it, requiring the same text: so canonical JSON must be a fixed point.
    let reparsed: Value = serde_json::from_str(&canonical)
        .unwrap_or_else(|e| panic!("canonical JSON {canonical:?} does not parse: {e}"));
    assert_eq!(
        canonical_json(&reparsed),
        canonical,
        "not idempotent for {value:?}"
    );

    // An instant from the input, within chrono's range, as a ledger entry's `at`.
    let micros = data
        .iter()
        .fold(0i64, |acc, b| acc.wrapping_mul(31).wrapping_add(*b as i64))
        % 253_402_300_799_000_000; // before year 10000
    let at = DateTime::from_timestamp_micros(micros).expect("in range");
    let seq = data.len() as i64 + 1;

    // Deterministic: the same inputs hash the same, also from the re-parsed payload (which is
    // what verification hashes).
    let h1 = entry_hash(GENESIS_HASH, seq, KIND, at, &value);
    let h2 = entry_hash(GENESIS_HASH, seq, KIND, at, &value);
    let h3 = entry_hash(GENESIS_HASH, seq, KIND, at, &reparsed);
    assert_eq!(h1, h2, "entry_hash not deterministic for {value:?}");
    assert_eq!(
        h1, h3,
        "hash changes after the store-and-reparse trip for {value:?}"
    );
    assert_eq!(h1.len(), 64);
    assert!(h1
        .bytes()
        .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()));

    // A chain of two entries built by `next_entry` must verify with `Replay`, as
    // `ledger verify` would: the payload stored is canonical and the hashes match.
    let first = next_entry(None, KIND, at, &value);
    assert_eq!(first.payload, canonical);
    assert_eq!(first.hash, entry_hash(GENESIS_HASH, 1, KIND, at, &value));
    let second = next_entry(Some((first.seq, &first.hash)), KIND, at, &reparsed);
    let mut replay = Replay::default();
    replay
        .push(&first)
        .unwrap_or_else(|b| panic!("entry 1 of {value:?} does not verify: {b:?}"));
    replay
        .push(&second)
        .unwrap_or_else(|b| panic!("entry 2 of {value:?} does not verify: {b:?}"));
    assert_eq!(replay.head(), second.hash);
});
