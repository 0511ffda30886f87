//! Checks `plusk::service::import::parse_line` on arbitrary NDJSON lines: no panic; a refused
//! line carries its line number and a known rejection code; an accepted line is valid by the
//! domain's own rules, not in the future, and survives the trip through the ledger payload
//! (`Created`, whose timestamps are written and read back as RFC 3339 text).
#![no_main]

use chrono::DateTime;
use libfuzzer_sys::fuzz_target;
use plusk::domain::endorsement::MAX_NOTE_CHARS;
use plusk::domain::handle::Handle;
use plusk::domain::ledger::Created;
use plusk::domain::time;
use plusk::domain::topic::TopicSlug;
use plusk::service::import::parse_line;

/// Codes a refused line may carry: JSON errors, and the domain's validation rejections.
const CODES: &[&str] = &[
    "invalid_json",
    "invalid_handle",
    "invalid_topic",
    "note_too_long",
    "invalid_timestamp",
];

fuzz_target!(|data: &[u8]| {
    // The importer reads lines of a UTF-8 file; lossy decoding keeps every input useful.
    let line = String::from_utf8_lossy(data);
    // A fixed "now" keeps runs reproducible: 2030-01-01T00:00:00Z.
    let now = DateTime::from_timestamp(1_893_456_000, 0).unwrap();
    match parse_line(7, &line, now) {
        Err(f) => {
            // The import report names the line and a stable code.
            assert_eq!(f.line_no, 7);
            assert!(
                CODES.contains(&f.code),
                "unexpected code {:?} for {line:?}",
                f.code
            );
            assert!(!f.message.is_empty());
        }
        Ok(p) => {
            assert_eq!(p.line_no, 7);
            assert!(p.created_at <= now, "{} is in the future", p.created_at);
            // Stored instants have microsecond precision (PostgreSQL's), or a value read back
            // would differ from the one hashed into the ledger.
            assert_eq!(time::truncate(p.created_at), p.created_at);
            // The parsed request is what the domain accepts, and canonical.
            let r = &p.req;
            assert_eq!(
                Handle::parse("endorser", r.endorser.as_str()).as_ref(),
                Ok(&r.endorser)
            );
            assert_eq!(
                Handle::parse("endorsee", r.endorsee.as_str()).as_ref(),
                Ok(&r.endorsee)
            );
            assert_eq!(TopicSlug::parse(r.topic.as_str()).as_ref(), Ok(&r.topic));
            if let Some(n) = &r.note {
                assert!(n.chars().count() <= MAX_NOTE_CHARS);
            }
            // An imported endorsement is recorded in the ledger as `Created`, its time written
            // with `time::format`; `ledger verify` reads it back with `time::parse`. Both must
            // give the same instant, or an import can write a ledger that no longer verifies.
            let text = time::format(p.created_at);
            assert_eq!(
                time::parse(&text),
                Some(p.created_at),
                "created_at {:?} from {line:?} is written as {text:?}, which does not read back",
                p.created_at
            );
            let created = Created {
                id: 1,
                endorser: r.endorser.to_string(),
                endorsee: r.endorsee.to_string(),
                topic: r.topic.to_string(),
                note: r.note.clone(),
                created_at: p.created_at,
                created_by: None,
            };
            let json = serde_json::to_value(&created).unwrap();
            let back: Created = serde_json::from_value(json)
                .unwrap_or_else(|e| panic!("ledger payload of {line:?} does not read back: {e}"));
            assert_eq!(back, created);
        }
    }
});
