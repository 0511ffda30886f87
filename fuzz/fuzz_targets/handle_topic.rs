//! Checks `Handle::parse` and `TopicSlug::parse` on arbitrary strings: no panic, anything
//! accepted is already canonical (parsing its canonical form gives it back unchanged), and the
//! canonical form keeps to the documented alphabet and length.
#![no_main]

use libfuzzer_sys::fuzz_target;
use plusk::domain::handle::{self, Handle};
use plusk::domain::topic::{self, TopicSlug};

fuzz_target!(|data: &[u8]| {
    let raw = String::from_utf8_lossy(data);
    check_handle(&raw);
    check_topic(&raw);
});

fn check_handle(raw: &str) {
    let parsed = Handle::parse("fuzz", raw);
    // Handles compare case-insensitively: changing the ASCII case of the input must not change
    // whether it is accepted, nor what it becomes. (Non-ASCII is refused either way, and
    // ASCII case changes keep the character count, so the length limit is unaffected.)
    assert_eq!(
        Handle::parse("fuzz", &raw.to_ascii_uppercase()),
        parsed,
        "case changes the verdict on {raw:?}"
    );
    let Ok(h) = parsed else { return };
    let s = h.as_str();
    // What is stored and compared is the canonical form; re-parsing it (as the stored handle
    // is, when it comes back in a later request) must give the same handle.
    assert_eq!(
        Handle::parse("fuzz", s).as_ref(),
        Ok(&h),
        "not idempotent: {raw:?}"
    );
    assert_eq!(s, raw.to_ascii_lowercase(), "not just lower-cased: {raw:?}");
    assert!(
        !s.is_empty() && s.len() <= handle::MAX_LEN,
        "length of {s:?}"
    );
    assert!(
        s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '_' | '.' | '-')),
        "alphabet of {s:?}"
    );
    assert_eq!(h.to_string(), s, "Display differs from as_str");
}

fn check_topic(raw: &str) {
    let Ok(t) = TopicSlug::parse(raw) else { return };
    let s = t.as_str();
    // A slug sent back (from a URL or a listing) must name the same topic.
    assert_eq!(
        TopicSlug::parse(s).as_ref(),
        Ok(&t),
        "not idempotent: {raw:?}"
    );
    assert!(
        !s.is_empty() && s.chars().count() <= topic::MAX_LEN,
        "length of {s:?}"
    );
    // Only a-z, 0-9 and '-' may be stored: slugs go into URLs unescaped.
    assert!(
        s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-'),
        "alphabet of {s:?}"
    );
    // The normalisation is exactly "lower-case, spaces to dashes".
    assert_eq!(
        s,
        raw.to_ascii_lowercase().replace(' ', "-"),
        "unexpected normalisation of {raw:?}"
    );
}
